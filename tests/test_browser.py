"""The built book in headless Chromium: every page loads offline, cleanly, and its interactive
parts work without a Python kernel.

The book (``_build/html``, or ``CNNVIZ_BOOK_HTML``) is served from a local ``http.server`` on
127.0.0.1; every request to another host is blocked and recorded. For each page we check: no
JavaScript errors, no failed requests, no request leaving the machine, every figure loaded, the
jshtml animations' frames and controls present, the formulas typeset by MathJax and the embedded
ipywidgets rendered (their JavaScript is vendored into the book: ``book/vendor_js``), and the
kernel-free convolution-arithmetic explorers compute the output size that
:func:`cnnviz.ops.conv_output_size` gives.

Chromium is the system one (``chromium``, ``chromium-browser`` or ``google-chrome`` on PATH);
``playwright install`` is never needed. Without it the tests skip, unless
``CNNVIZ_REQUIRE_BROWSER=1`` (CI), where they fail.
"""

from __future__ import annotations

import functools
import hashlib
import http.server
import itertools
import os
import random
import re
import shutil
import threading
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml

from cnnviz.explorer import PARAM_RANGES, formula_text
from cnnviz.ops import conv_output_size

REPO = Path(__file__).resolve().parents[1]
BOOK = Path(os.environ.get("CNNVIZ_BOOK_HTML") or REPO / "_build" / "html")
REQUIRE_BROWSER = os.environ.get("CNNVIZ_REQUIRE_BROWSER") == "1"

CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
# sphinx-thebe 0.3.1 injects its config script twice, on every page (see PITFALLS.md).
KNOWN_ERRORS = ("Identifier 'THEBE_JS_URL' has already been declared",)
LOCAL_HOSTS = ("127.0.0.1", "localhost")
# Built files that are not book pages.

EXPLORER_MARKER = "cnnviz-explorer"
WIDGET_STATE_MARKER = "application/vnd.jupyter.widget-state+json"
ANIMATION_MARKER = 'class="anim-controls"'
MATH_MARKER = 'class="math'  # inline and display math, as Sphinx writes them
TIMEOUT_MS = 30_000


def _missing_book_message():
    return (
        f"the built book is missing ({BOOK / 'index.html'} does not exist): run `make book` "
        "first (`make test` builds it before pytest), or point CNNVIZ_BOOK_HTML at a built book"
    )


def _toc_files(node):
    """Every ``root`` and ``file`` entry of ``_toc.yml``, in order."""
    if isinstance(node, dict):
        found = [node[key] for key in ("root", "file") if key in node]
        return found + [f for value in node.values() for f in _toc_files(value)]
    if isinstance(node, list):
        return [f for item in node for f in _toc_files(item)]
    return []


def _pages():
    """Relative paths of the book's pages: ``index.html`` and one per ``_toc.yml`` entry.

    Taken from the table of contents, not from the build folder, so that a stale page left by
    an earlier incremental build (of a file no longer in the book) is not tested.
    """
    if not (BOOK / "index.html").is_file():
        return []
    toc = yaml.safe_load((REPO / "_toc.yml").read_text(encoding="utf-8"))
    return ["index.html"] + [f"{name}.html" for name in _toc_files(toc)]


def _pages_containing(marker):
    return [page for page in PAGES if marker in (BOOK / page).read_text(encoding="utf-8")]


def _notebook_pages():
    """Pages built from a notebook (myst-nb keeps each one's source under ``_sources``)."""
    return sorted(p.relative_to(BOOK / "_sources") for p in BOOK.glob("_sources/**/*.ipynb"))


PAGES = _pages()
EXPLORER_PAGES = _pages_containing(EXPLORER_MARKER)
WIDGET_PAGES = _pages_containing(WIDGET_STATE_MARKER)
ANIMATION_PAGES = _pages_containing(ANIMATION_MARKER)
MATH_PAGES = _pages_containing(MATH_MARKER)


def _params(pages, what):
    """Parametrize over ``pages``; with no built book, one case that fails with the reason."""
    if not PAGES:
        return [pytest.param(None, id="no-built-book")]
    if not pages:
        return [pytest.param(None, id=f"no-{what}", marks=pytest.mark.skip(f"no page has {what}"))]
    return pages


def _unavailable(reason):
    if REQUIRE_BROWSER:
        pytest.fail(f"{reason}, and CNNVIZ_REQUIRE_BROWSER=1 requires the browser test to run")
    pytest.skip(reason)


def _find_chromium():
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


# ---------------------------------------------------------------------------------------------
# Fixtures: the book on a local server, one Chromium for the module
# ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def book_url():
    if not PAGES:
        pytest.fail(_missing_book_message())

    class QuietHandler(http.server.SimpleHTTPRequestHandler):
        def log_message(self, fmt, *args):
            pass

        def do_GET(self):
            # Chromium asks for /favicon.ico on its own when a page names no icon; that guess is
            # not a request of the book's, so it gets "No Content" rather than a 404.
            if self.path == "/favicon.ico" and not (BOOK / "favicon.ico").is_file():
                self.send_response(204)
                self.end_headers()
                return
            super().do_GET()

    class QuietServer(http.server.ThreadingHTTPServer):
        def handle_error(self, request, client_address):
            pass  # a page closed mid-transfer (BrokenPipeError) is not a failure of the book

    handler = functools.partial(QuietHandler, directory=str(BOOK))
    server = QuietServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture(scope="module")
def browser():
    executable = _find_chromium()
    if executable is None:
        _unavailable("no Chromium found (looked for chromium, chromium-browser, google-chrome)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("the Python package playwright is not installed")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=executable, headless=True, args=CHROMIUM_FLAGS
        )
        try:
            yield chromium
        finally:
            chromium.close()


class PageRecord:
    """A page with everything that went wrong while it loaded."""

    def __init__(self, page):
        self.page = page
        self.errors = []  # console errors and uncaught exceptions
        self.failed = []  # requests that failed or answered >= 400
        self.external = []  # requests to any host but this machine (blocked)
        self.pending = {}  # requests in flight: url -> count

    def wait_until_idle(self):
        """Wait for the network to be quiet; on a timeout, say which requests still hang."""
        from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

        try:
            self.page.wait_for_load_state("networkidle")
        except PlaywrightTimeoutError:
            pending = [url for url, count in self.pending.items() if count > 0]
            pytest.fail(f"the network never went idle; requests in flight: {pending}")

    def problems(self):
        out = [f"JavaScript error: {e}" for e in self.errors]
        out += [f"failed request: {f}" for f in self.failed]
        out += [f"request to a non-local host (blocked): {u}" for u in self.external]
        return out


@pytest.fixture
def open_page(browser, book_url):
    """``open_page(rel_path)`` loads a page of the book and returns its :class:`PageRecord`."""
    contexts = []

    def _open(rel_path):
        context = browser.new_context(viewport={"width": 1200, "height": 900})
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(TIMEOUT_MS)
        record = PageRecord(page)

        def route(route):
            url = route.request.url
            parts = urlsplit(url)
            if parts.scheme in ("http", "https", "ws", "wss") and parts.hostname not in LOCAL_HOSTS:
                record.external.append(url)
                route.abort()
            else:
                route.continue_()

        def on_console(message):
            if message.type == "error" and not _known(message.text):
                record.errors.append(message.text)

        def on_page_error(error):
            text = str(error)
            if not _known(text):
                record.errors.append(text)

        def on_failed(request):
            if request.url not in record.external:
                record.failed.append(f"{request.url} ({request.failure})")

        def on_response(response):
            if response.status >= 400:
                record.failed.append(f"{response.url} (HTTP {response.status})")

        def on_request(request):
            record.pending[request.url] = record.pending.get(request.url, 0) + 1

        def on_done(request):
            record.pending[request.url] = record.pending.get(request.url, 1) - 1

        context.route("**/*", route)
        page.on("request", on_request)
        page.on("requestfinished", on_done)
        page.on("requestfailed", on_done)
        page.on("console", on_console)
        page.on("pageerror", on_page_error)
        page.on("requestfailed", on_failed)
        page.on("response", on_response)
        page.goto(book_url + rel_path, wait_until="load")
        record.wait_until_idle()
        return record

    yield _open
    for context in contexts:
        context.close()


def _known(text):
    return any(known == text.strip() or known in text for known in KNOWN_ERRORS)


# ---------------------------------------------------------------------------------------------
# The vendored JavaScript (no browser needed)
# ---------------------------------------------------------------------------------------------

VENDOR = REPO / "book" / "vendor_js"


def test_config_serves_widget_and_math_javascript_from_the_book():
    config = yaml.safe_load((REPO / "_config.yml").read_text(encoding="utf-8"))["sphinx"]["config"]
    assert config["html_static_path"] == ["book/vendor_js"]
    local = [*config["nb_ipywidgets_js"], config["mathjax_path"]]
    assert [Path(p).name for p in config["nb_ipywidgets_js"]] == [
        "require.js",
        "widgets-setup.js",
        "embed-amd.js",
    ]
    for path in local:
        assert "://" not in path, f"{path} would be loaded from the network"
        assert (VENDOR / path).is_file(), (
            f"{path} is not in book/vendor_js (run scripts/vendor_js.sh)"
        )


def test_vendored_files_match_versions_file():
    lines = (VENDOR / "VERSIONS.txt").read_text(encoding="utf-8").splitlines()
    sums = [line.split() for line in lines if re.fullmatch(r"[0-9a-f]{64}  \S+", line)]
    recorded = {path: digest for digest, path in sums}
    assert any("embed-amd.js" in p for p in recorded) and any("mathjax" in p for p in recorded)
    for rel, digest in recorded.items():
        data = (VENDOR / rel).read_bytes()
        assert hashlib.sha256(data).hexdigest() == digest, f"{rel} differs from VERSIONS.txt"
    assert "@jupyter-widgets/html-manager@1.0.15" in lines[2]


# ---------------------------------------------------------------------------------------------
# Every page
# ---------------------------------------------------------------------------------------------


def test_book_is_built():
    if not PAGES:
        pytest.fail(_missing_book_message())
    assert "index.html" in PAGES


@pytest.mark.parametrize("rel_path", _params(PAGES, "pages"))
def test_page_loads_offline_without_errors(open_page, rel_path):
    record = open_page(rel_path)
    page = record.page
    if (BOOK / rel_path).read_text(encoding="utf-8").count(WIDGET_STATE_MARKER):
        # Let the widget manager render, so that what it loads is checked too.
        page.locator(".cell_output .jupyter-widgets").first.wait_for(state="attached")
        record.wait_until_idle()
    broken = page.evaluate(
        """() => Array.from(document.querySelectorAll('main img, article img'))
                 .filter(img => !(img.complete && img.naturalWidth > 0))
                 .map(img => img.getAttribute('src') || img.id || img.alt)"""
    )
    problems = record.problems() + [f"image not loaded: {src}" for src in broken]
    assert not problems, f"{rel_path}:\n" + "\n".join(problems)


@pytest.mark.parametrize("rel_path", _params(ANIMATION_PAGES, "animations"))
def test_animations_show_frames_and_controls(open_page, rel_path):
    page = open_page(rel_path).page
    animations = page.locator("div.animation")
    assert animations.count() >= 1
    for index in range(animations.count()):
        animation = animations.nth(index)
        image = animation.locator("img").first
        assert image.evaluate("img => img.complete && img.naturalWidth > 0"), "no frame shown"
        assert animation.locator(".anim-controls button").count() >= 5
        blank = animation.locator(".anim-buttons button").evaluate_all(
            """buttons => buttons.filter(b => {
                 const icon = b.querySelector('svg, i');
                 return !icon || icon.getBoundingClientRect().width === 0;
               }).map(b => b.title)"""
        )
        assert not blank, f"buttons without a visible icon: {blank}"
        assert animation.locator("input.anim-slider").count() == 1
        first = image.get_attribute("src")
        frames = int(animation.locator("input.anim-slider").get_attribute("max")) + 1
        if frames > 1:
            animation.locator('button[title="Next frame"]').click()
            assert image.get_attribute("src") != first, "Next frame did not change the frame"


@pytest.mark.parametrize("rel_path", _params(MATH_PAGES, "math"))
def test_math_renders_offline(open_page, rel_path):
    record = open_page(rel_path)
    page = record.page
    page.locator("mjx-container").first.wait_for(state="attached")
    version = page.evaluate("() => window.MathJax && window.MathJax.version")
    assert version and version.startswith("3."), f"MathJax did not load: {version!r}"
    errors = page.locator("mjx-merror").all_inner_texts()
    assert not errors, f"TeX errors on {rel_path}: {errors}"
    scripts = page.evaluate("() => Array.from(document.scripts).map(s => s.src).filter(Boolean)")
    mathjax = [src for src in scripts if "mathjax" in src.lower()]
    assert mathjax and all(urlsplit(src).hostname in LOCAL_HOSTS for src in mathjax), mathjax
    assert not record.problems(), "\n".join(record.problems())


@pytest.mark.parametrize("rel_path", _params(WIDGET_PAGES, "embedded widgets"))
def test_embedded_widgets_render_offline(open_page, rel_path):
    record = open_page(rel_path)
    page = record.page
    views = page.locator('script[type="application/vnd.jupyter.widget-view+json"]')
    n_views = views.count()
    assert n_views >= 1
    page.locator(".cell_output .jupyter-widgets").first.wait_for(state="visible")
    rendered = page.locator(".cell_output .widget-slider, .cell_output .jupyter-widgets")
    assert rendered.count() >= n_views
    scripts = page.evaluate("() => Array.from(document.scripts).map(s => s.src).filter(Boolean)")
    widget_js = [src for src in scripts if "require" in src or "embed-amd" in src]
    assert len(widget_js) == 2, f"expected require.js and embed-amd.js, got {widget_js}"
    assert all(urlsplit(src).hostname in LOCAL_HOSTS for src in widget_js), widget_js
    assert not record.problems(), "\n".join(record.problems())


# ---------------------------------------------------------------------------------------------
# The kernel-free explorer
# ---------------------------------------------------------------------------------------------

SET_AND_READ = """
([index, cases]) => {
  const root = document.querySelectorAll('.cnnviz-explorer')[index];
  return cases.map(c => {
    for (const [name, value] of Object.entries(c)) {
      const input = root.querySelector(`input[data-param="${name}"]`);
      input.value = String(value);
      input.dispatchEvent(new Event('input', {bubbles: true}));
    }
    return {
      size: root.querySelector('.cnnviz-output-size').textContent,
      formula: root.querySelector('.cnnviz-formula').textContent,
      o: root.getAttribute('data-o'),
      outputCells: root.querySelectorAll('.cnnviz-cell-output').length,
      taps: root.querySelectorAll('.cnnviz-tap').length,
      message: root.querySelector('.cnnviz-message').textContent,
    };
  });
}
"""


def _cases():
    """Corner cases, then a seeded sample of the slider ranges (no-fit cases included)."""
    corners = [
        dict(i=5, k=3, p=0, s=1, d=1),
        dict(i=5, k=3, p=1, s=1, d=1),
        dict(i=5, k=3, p=1, s=2, d=1),
        dict(i=6, k=3, p=1, s=2, d=1),  # remainder 1: a row and a column never reached
        dict(i=7, k=3, p=0, s=1, d=2),
        dict(i=1, k=1, p=0, s=1, d=1),
        dict(i=3, k=5, p=0, s=1, d=1),  # does not fit
        dict(i=3, k=5, p=1, s=1, d=1),  # fits exactly thanks to the padding
        dict(i=2, k=7, p=0, s=5, d=4),  # does not fit by far
        dict(i=16, k=1, p=5, s=1, d=1),  # the largest output
        dict(i=16, k=7, p=5, s=5, d=4),
    ]
    rng = random.Random(1234)
    names = list(PARAM_RANGES)
    sample = [{n: rng.randint(*PARAM_RANGES[n]) for n in names} for _ in range(120)]
    return corners + sample


def _expected(case):
    try:
        return conv_output_size(**case)
    except ValueError:
        return None


@pytest.mark.parametrize("rel_path", _params(EXPLORER_PAGES, "explorers"))
def test_explorer_sliders_give_conv_output_size(open_page, rel_path):
    record = open_page(rel_path)
    page = record.page
    n_explorers = page.locator(".cnnviz-explorer").count()
    assert n_explorers >= 1
    ids = page.evaluate(
        "() => Array.from(document.querySelectorAll('.cnnviz-explorer'), e => e.id)"
    )
    assert len(set(ids)) == len(ids), f"explorer ids are not unique: {ids}"
    for index in range(n_explorers):
        root = page.locator(".cnnviz-explorer").nth(index)
        assert root.get_attribute("data-ready") == "1", "the explorer's script did not run"
        # The initial state (from Python) and the redrawn one (from JavaScript) agree.
        initial = {n: int(root.locator(f'input[data-param="{n}"]').input_value()) for n in "ikpsd"}
        expected = _expected(initial)
        size_text = root.locator(".cnnviz-output-size").inner_text()
        assert size_text == (str(expected) if expected else "kernel does not fit")
        assert root.locator(".cnnviz-formula").inner_text() == formula_text(**initial)

        # One slider through Playwright's own input handling ...
        root.locator('input[data-param="s"]').fill("2")
        case = dict(initial, s=2)
        want = _expected(case)
        assert root.locator(".cnnviz-output-size").inner_text() == (
            str(want) if want else "kernel does not fit"
        )
        assert root.locator('[data-value-for="s"]').inner_text() == "2"

        # ... then a grid of cases in one round trip.
        cases = _cases()
        results = page.evaluate(SET_AND_READ, [index, cases])
        mismatches = []
        for case, got in zip(cases, results, strict=True):
            want = _expected(case)
            top = case["i"] + 2 * case["p"] - case["d"] * (case["k"] - 1) - 1
            ok = (
                got["size"] == (str(want) if want else "kernel does not fit")
                and got["formula"] == formula_text(**case)
                and int(got["o"]) == top // case["s"] + 1
                and got["taps"] == case["k"] ** 2
                and got["outputCells"] == (want * want if want else 0)
                and (want is not None or "does not fit" in got["message"])
            )
            if not ok:
                mismatches.append(f"{case}: expected o={want}, got {got}")
        assert not mismatches, "\n".join(mismatches[:10])
    assert not record.problems(), "\n".join(record.problems())


@pytest.mark.parametrize("rel_path", _params(EXPLORER_PAGES, "explorers"))
def test_explorers_on_one_page_are_independent(open_page, rel_path):
    page = open_page(rel_path).page
    roots = page.locator(".cnnviz-explorer")
    if roots.count() < 2:
        pytest.skip("fewer than two explorers on this page")
    before = [roots.nth(n).locator(".cnnviz-output-size").inner_text() for n in range(2)]
    before_svg = roots.nth(1).locator("svg").inner_html()
    roots.nth(0).locator('input[data-param="k"]').fill("7")
    roots.nth(0).locator('input[data-param="i"]').fill("2")
    assert roots.nth(0).locator(".cnnviz-output-size").inner_text() == "kernel does not fit"
    assert roots.nth(0).locator(".cnnviz-output-size").inner_text() != before[0]
    assert roots.nth(1).locator(".cnnviz-output-size").inner_text() == before[1]
    assert roots.nth(1).locator("svg").inner_html() == before_svg


def test_explorer_hover_selects_window(open_page):
    if not EXPLORER_PAGES:
        pytest.skip("no page has explorers")
    page = open_page(EXPLORER_PAGES[0]).page
    root = page.locator(".cnnviz-explorer").first
    for name, value in dict(i=7, k=3, p=1, s=2, d=1).items():
        root.locator(f'input[data-param="{name}"]').fill(str(value))
    last = root.locator('.cnnviz-cell-output[data-row="3"][data-col="3"]')
    last.scroll_into_view_if_needed()
    last.hover()
    assert "Window 16 of 16" in root.locator(".cnnviz-message").inner_text()
    assert "row 6, column 6" in root.locator(".cnnviz-message").inner_text()


# ---------------------------------------------------------------------------------------------
# The book uses them at all (the tests above are vacuous otherwise)
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("what", "pages"),
    [("a convolution-arithmetic explorer", EXPLORER_PAGES), ("embedded ipywidgets", WIDGET_PAGES)],
    ids=["explorer", "widgets"],
)
def test_book_contains_interactive_pages(what, pages):
    if not PAGES:
        pytest.fail(_missing_book_message())
    notebooks = _notebook_pages()
    if not notebooks:
        pytest.skip("the book has no notebook pages yet")
    assert pages, (
        f"no page of the built book ({len(notebooks)} notebook pages) shows {what}: the "
        "browser tests for it would check nothing"
    )


def test_every_case_grid_is_meaningful():
    """The sample covers both fitting and non-fitting kernels, and uneven strides."""
    cases = _cases()
    fits = [_expected(c) is not None for c in cases]
    assert any(fits) and not all(fits)
    uneven = [
        c
        for c in cases
        if _expected(c) and (c["i"] + 2 * c["p"] - c["d"] * (c["k"] - 1) - 1) % c["s"]
    ]
    assert uneven
    assert len({tuple(c.values()) for c in itertools.islice(cases, 20)}) > 10
