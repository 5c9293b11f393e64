#!/usr/bin/env bash
# Re-vendor the JavaScript that the built book needs, so that it works offline.
#
# By default the book's pages load three things from CDNs: require.js and
# @jupyter-widgets/html-manager's embed-amd.js (myst-nb, to render the embedded ipywidgets) and
# MathJax (Sphinx, for the formulas). Offline, or behind a strict proxy, a reader would see no
# widgets and raw LaTeX. We serve all of them from the book itself: they live in book/vendor_js/,
# which `html_static_path` in _config.yml copies to _build/html/_static/, and `nb_ipywidgets_js`
# and `mathjax_path` point at the copies. The files are committed: the build never fetches
# anything. Run this script (it needs `npm` and the npm registry) only to change a version;
# tests/test_browser.py then checks every page of the built book offline.
#
# Versions. The html-manager must match the ipywidgets that wrote the widget state: ipywidgets
# 8.1.9 (jupyterlab_widgets 3.0.17, labextension 5.0.16) was released with
# @jupyter-widgets/html-manager 1.0.15, controls 5.0.13 and base 6.0.12 (same git commit,
# af2386d4b0cb). MathJax stays on 3.x, the major version Sphinx 7.4 configures.
# What was fetched, with the tarballs' integrity hashes, is written to book/vendor_js/VERSIONS.txt.
set -euo pipefail

HTML_MANAGER_VERSION="${HTML_MANAGER_VERSION:-1.0.15}"
REQUIREJS_VERSION="${REQUIREJS_VERSION:-2.3.8}"
MATHJAX_VERSION="${MATHJAX_VERSION:-3.2.2}"

cd "$(dirname "$0")/.."
dest=book/vendor_js
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

packages=(
    "@jupyter-widgets/html-manager@${HTML_MANAGER_VERSION}"
    "requirejs@${REQUIREJS_VERSION}"
    "mathjax@${MATHJAX_VERSION}"
)
(cd "$work" && npm pack --silent "${packages[@]}" >/dev/null)
for tarball in "$work"/*.tgz; do
    name="$(basename "$tarball" .tgz)"
    mkdir -p "$work/$name"
    tar xzf "$tarball" -C "$work/$name"
done
hm="$work/jupyter-widgets-html-manager-${HTML_MANAGER_VERSION}/package"
rq="$work/requirejs-${REQUIREJS_VERSION}/package"
mj="$work/mathjax-${MATHJAX_VERSION}/package"

# Widgets: require.js, the AMD bundle (base, controls, output, html-manager) and the Font Awesome
# woff2 fonts that the bundle's CSS asks for when a widget shows an icon (every browser the book
# supports reads woff2, so the eot/ttf/svg/woff variants stay out). widgets-setup.js is ours and
# is kept.
widgets="$dest/jupyter-widgets"
mkdir -p "$widgets"
rm -f "$widgets/embed-amd.js" "$widgets/require.js" "$widgets"/*.woff2 "$widgets"/LICENSE-*
cp "$rq/require.js" "$widgets/require.js"
cp "$hm/dist/embed-amd.js" "$widgets/embed-amd.js"
cp "$hm/dist/"*.woff2 "$widgets/"
cp "$hm/dist/embed.js.LICENSE.txt" "$widgets/LICENSE-bundled-in-embed-amd.txt"

# MathJax: one combined component with every TeX extension (nothing is loaded on demand), and the
# CHTML fonts it loads relative to its own URL.
rm -rf "$dest/mathjax"
mkdir -p "$dest/mathjax/output/chtml/fonts"
cp "$mj/es5/tex-chtml-full.js" "$dest/mathjax/"
cp -r "$mj/es5/output/chtml/fonts/woff-v2" "$dest/mathjax/output/chtml/fonts/"
cp "$mj/LICENSE" "$dest/mathjax/LICENSE"

{
    echo "# Vendored by scripts/vendor_js.sh on $(date -u +%Y-%m-%d); do not edit by hand."
    echo "# package version (license) npm integrity"
    for spec in "${packages[@]}"; do
        echo "$spec ($(cd "$work" && npm view --silent "$spec" license))" \
            "$(cd "$work" && npm view --silent "$spec" dist.integrity)"
    done
    echo
    echo "# sha256 of each vendored file"
    (cd "$dest" && find . -type f ! -name VERSIONS.txt ! -name 'LICENSE*' ! -name widgets-setup.js \
        | sort | xargs sha256sum)
} > "$dest/VERSIONS.txt"

du -ah "$dest" | sort -k2
