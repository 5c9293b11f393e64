"""The built book in headless Chromium: every page loads offline, cleanly, and its interactive
parts work without a Python kernel.

The book (``_build/html``, or ``CNNVIZ_BOOK_HTML``) is served from a local ``http.server`` on
127.0.0.1; every request to another host is blocked and recorded. For each page we check: no
JavaScript errors, no failed requests, no request leaving the machine, every figure loaded, the
jshtml animations' frames and controls present, the formulas typeset by MathJax and the embedded
ipywidgets rendered (their JavaScript is vendored into the book: ``book/vendor_js``), and the
kernel-free convolution-arithmetic explorers compute the output size that
:func:`cnnviz.ops.conv_output_size` gives.

Without the book, the same checks run on explorers made here and set into a blank page, and the
JavaScript core of the explorers (``cnnviz/explorers/static/core.js``) is compared with
:func:`cnnviz.arithmetic.table`, row by row, so that the two languages cannot drift.

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
import threading
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml

from cnnviz import arithmetic, palette
from cnnviz.arithmetic import formula_text
from cnnviz.explorers import PARAM_RANGES, arithmetic_explorer
from cnnviz.explorers._page import static_text
from cnnviz.ops import conv_output_size

REPO = Path(__file__).resolve().parents[1]
BOOK = Path(os.environ.get("CNNVIZ_BOOK_HTML") or REPO / "_build" / "html")
REQUIRE_BROWSER = os.environ.get("CNNVIZ_REQUIRE_BROWSER") == "1"

LOCAL_HOSTS = ("127.0.0.1", "localhost")
# Built files that are not book pages.

EXPLORER_MARKER = 'class="cnnviz-arith '  # the convolution-arithmetic explorer
KERNEL_FREE_MARKER = "data-cnnviz-explorer="  # every explorer built on static/base.js
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
KERNEL_FREE_PAGES = _pages_containing(KERNEL_FREE_MARKER)
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


def _watch(context, page):
    """A :class:`PageRecord` of ``page``: requests off this machine are blocked and recorded."""
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
        if message.type == "error":
            record.errors.append(message.text)

    def on_page_error(error):
        record.errors.append(str(error))

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
    return record


@pytest.fixture
def open_page(browser, book_url):
    """``open_page(rel_path)`` loads a page of the book and returns its :class:`PageRecord`."""
    contexts = []

    def _open(rel_path):
        context = browser.new_context(viewport={"width": 1200, "height": 900})
        contexts.append(context)
        record = _watch(context, context.new_page())
        record.page.goto(book_url + rel_path, wait_until="load")
        record.wait_until_idle()
        return record

    yield _open
    for context in contexts:
        context.close()


@pytest.fixture
def blank_page(browser):
    """``blank_page(html)``: a page of no site with ``html`` as its content (no book needed)."""
    context = browser.new_context(viewport={"width": 1200, "height": 900})

    def _open(markup=""):
        record = _watch(context, context.new_page())
        record.page.set_content(
            f'<!doctype html><html><head><meta charset="utf-8"></head><body>{markup}</body></html>'
        )
        return record

    yield _open
    context.close()


# ---------------------------------------------------------------------------------------------
# The vendored JavaScript (no browser needed)
# ---------------------------------------------------------------------------------------------

VENDOR = REPO / "book" / "vendor_js"


def test_config_serves_widget_and_math_javascript_from_the_book():
    config = yaml.safe_load((REPO / "_config.yml").read_text(encoding="utf-8"))["sphinx"]["config"]
    assert "book/vendor_js" in config["html_static_path"]
    # A folder named _static would have every *.js in it added to every page.
    assert not any(Path(p).name == "_static" for p in config["html_static_path"])
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
  const root = document.querySelectorAll('.cnnviz-arith')[index];
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


def _size_text(o):
    return str(o) if o else "kernel does not fit"


def _check_explorer_sliders(record):
    """Every explorer of the page: first view, one slider, then a grid of cases, vs Python."""
    page = record.page
    n_explorers = page.locator(".cnnviz-arith").count()
    assert n_explorers >= 1
    ids = page.evaluate("() => Array.from(document.querySelectorAll('.cnnviz-arith'), e => e.id)")
    assert len(set(ids)) == len(ids), f"explorer ids are not unique: {ids}"
    for index in range(n_explorers):
        root = page.locator(".cnnviz-arith").nth(index)
        assert root.get_attribute("data-ready") == "1", "the explorer's script did not run"
        # The initial state (from Python) and the redrawn one (from JavaScript) agree.
        initial = {n: int(root.locator(f'input[data-param="{n}"]').input_value()) for n in "ikpsd"}
        assert root.locator(".cnnviz-output-size").inner_text() == _size_text(_expected(initial))
        assert root.locator(".cnnviz-formula").inner_text() == formula_text(**initial)

        # One slider through Playwright's own input handling ...
        root.locator('input[data-param="s"]').fill("2")
        want = _expected(dict(initial, s=2))
        assert root.locator(".cnnviz-output-size").inner_text() == _size_text(want)
        assert root.locator('[data-value-for="s"]').inner_text() == "2"

        # ... then a grid of cases in one round trip.
        cases = _cases()
        results = page.evaluate(SET_AND_READ, [index, cases])
        mismatches = []
        for case, got in zip(cases, results, strict=True):
            want = _expected(case)
            ok = (
                got["size"] == _size_text(want)
                and got["formula"] == formula_text(**case)
                and int(got["o"]) == arithmetic.formula_o(**case)
                and got["taps"] == case["k"] ** 2
                and got["outputCells"] == (want * want if want else 0)
                and (want is not None or "does not fit" in got["message"])
            )
            if not ok:
                mismatches.append(f"{case}: expected o={want}, got {got}")
        assert not mismatches, "\n".join(mismatches[:10])
    assert not record.problems(), "\n".join(record.problems())


def _check_independent(page):
    """Moving the sliders of the first explorer leaves the second one as it was."""
    roots = page.locator(".cnnviz-arith")
    before = [roots.nth(n).locator(".cnnviz-output-size").inner_text() for n in range(2)]
    before_svg = roots.nth(1).locator("svg").inner_html()
    roots.nth(0).locator('input[data-param="k"]').fill("7")
    roots.nth(0).locator('input[data-param="i"]').fill("2")
    assert roots.nth(0).locator(".cnnviz-output-size").inner_text() == "kernel does not fit"
    assert roots.nth(0).locator(".cnnviz-output-size").inner_text() != before[0]
    assert roots.nth(1).locator(".cnnviz-output-size").inner_text() == before[1]
    assert roots.nth(1).locator("svg").inner_html() == before_svg


def _check_hover(page):
    root = page.locator(".cnnviz-arith").first
    for name, value in dict(i=7, k=3, p=1, s=2, d=1).items():
        root.locator(f'input[data-param="{name}"]').fill(str(value))
    last = root.locator('.cnnviz-cell-output[data-row="3"][data-col="3"]')
    last.scroll_into_view_if_needed()
    last.hover()
    assert "Window 16 of 16" in root.locator(".cnnviz-message").inner_text()
    assert "row 6, column 6" in root.locator(".cnnviz-message").inner_text()


@pytest.mark.parametrize("rel_path", _params(EXPLORER_PAGES, "explorers"))
def test_explorer_sliders_give_conv_output_size(open_page, rel_path):
    _check_explorer_sliders(open_page(rel_path))


@pytest.mark.parametrize("rel_path", _params(EXPLORER_PAGES, "explorers"))
def test_explorers_on_one_page_are_independent(open_page, rel_path):
    page = open_page(rel_path).page
    if page.locator(".cnnviz-arith").count() < 2:
        pytest.skip("fewer than two explorers on this page")
    _check_independent(page)


def test_explorer_hover_selects_window(open_page):
    if not EXPLORER_PAGES:
        pytest.skip("no page has explorers")
    _check_hover(open_page(EXPLORER_PAGES[0]).page)


# ---------------------------------------------------------------------------------------------
# Every kernel-free explorer (data-cnnviz-explorer): each control changes the result, and the
# layout holds on a desktop (1280 px) and on a phone (390 px)
# ---------------------------------------------------------------------------------------------

WIDTHS = (1280, 390)

# What a control changes: root.cnnviz.output (or the message that says why there is none).
# What an explorer shows: its output ({shape, data}, or the network explorer's {logits,
# probabilities}) and its message; typed arrays as plain Arrays.
STATE = """root => JSON.stringify(
  {output: root.cnnviz.output, message: root.cnnviz.message},
  (key, value) => ArrayBuffer.isView(value) ? Array.from(value) : value)"""

# Boxes [left, top, right, bottom] of the explorer, its visible controls and their labels.
GEOMETRY = """
root => {
  const box = e => {
    const r = e.getBoundingClientRect();
    return [r.left, r.top, r.right, r.bottom];
  };
  const controls = Array.from(root.querySelectorAll('[data-param]'))
    .filter(e => e.getClientRects().length);
  const labels = [...new Set(controls.map(e => e.closest('label')).filter(Boolean))];
  return {
    root: box(root),
    controls: controls.map(e => [e.getAttribute('data-param'), box(e)]),
    labels: labels.map(l => [l.textContent.trim().slice(0, 30), box(l)]),
    unlabelled: controls.filter(e => !e.labels.length && !e.getAttribute('aria-label'))
      .map(e => e.getAttribute('data-param')),
    scroll: [root.scrollWidth, root.clientWidth],
    page: document.documentElement.clientWidth,
  };
}
"""


@pytest.fixture(scope="module")
def screenshots(tmp_path_factory):
    """Where the screenshots go: ``CNNVIZ_SCREENSHOTS``, or a fresh folder under pytest's tmp."""
    folder = os.environ.get("CNNVIZ_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        return Path(folder)
    return tmp_path_factory.mktemp("screenshots")


def _overlap(a, b):
    return min(a[2], b[2]) - max(a[0], b[0]) > 0.5 and min(a[3], b[3]) - max(a[1], b[1]) > 0.5


def _inside(a, outer):
    return all(a[n] >= outer[n] - 0.5 for n in (0, 1)) and all(
        a[n] <= outer[n] + 0.5 for n in (2, 3)
    )


def _layout_problems(geometry, where):
    """Controls (and labels) that overlap each other or stick out of their explorer."""
    problems = [f"{where}: control {name!r} has no label" for name in geometry["unlabelled"]]
    for group in ("controls", "labels"):
        items = geometry[group]
        for (one, a), (other, b) in itertools.combinations(items, 2):
            if _overlap(a, b):
                problems.append(f"{where}: {one!r} overlaps {other!r}")
        problems += [
            f"{where}: {name!r} overflows the explorer"
            for name, box in items
            if not _inside(box, geometry["root"])
        ]
    scroll_width, client_width = geometry["scroll"]
    if scroll_width > client_width + 1:
        problems.append(f"{where}: content {scroll_width} px wide in a {client_width} px explorer")
    if geometry["root"][2] > geometry["page"] + 0.5:
        problems.append(f"{where}: the explorer is wider than the page ({geometry['page']} px)")
    return problems


def _check_layout(page, folder, stem):
    """At each width: no overlap, no overflow, and a screenshot of every explorer."""
    problems = []
    roots = page.locator("[data-cnnviz-explorer]")
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        page.evaluate(
            "() => new Promise(done => requestAnimationFrame(() => setTimeout(done, 50)))"
        )
        for index in range(roots.count()):
            root = roots.nth(index)
            kind = root.get_attribute("data-cnnviz-explorer")
            where = f"{stem} {kind} explorer {index} at {width} px"
            problems += _layout_problems(root.evaluate(GEOMETRY), where)
            _screenshot(page, root, folder / f"{stem}-{index}-{kind}-{width}.png")
        page.set_viewport_size({"width": width, "height": 900})
    return problems


def _screenshot(page, root, path):
    """The whole explorer, in a window tall enough that no sticky page header covers it."""
    width = page.viewport_size["width"]
    height = int(root.bounding_box()["height"]) + 200
    page.set_viewport_size({"width": width, "height": max(900, height)})
    root.evaluate("e => window.scrollTo(0, e.getBoundingClientRect().top + window.scrollY - 100)")
    root.screenshot(path=str(path))


def _move(control):
    """Move a control as a reader would; False when this one cannot move (a chosen radio)."""
    kind = control.evaluate("e => e.tagName === 'SELECT' ? 'select' : e.type")
    if kind == "select":
        options = control.evaluate("e => Array.from(e.options, o => o.value)")
        current = options.index(control.input_value())
        control.select_option(options[(current + 1) % len(options)])
    elif kind in ("range", "number"):
        at_top = control.evaluate("e => e.max !== '' && Number(e.value) >= Number(e.max)")
        control.press("ArrowLeft" if at_top else "ArrowRight")  # from the keyboard
    elif kind == "radio" and control.is_checked():
        return False
    elif kind in ("checkbox", "radio"):
        control.click()
    else:
        raise AssertionError(f"no way to move a control of type {kind!r}")
    return True


class ControlWalk:
    """Moves the controls of one explorer and records which of them changed its result."""

    def __init__(self, root):
        self.root = root
        self.controls = root.locator("[data-param]")
        self.names = [self.controls.nth(n).get_attribute("data-param") for n in range(self.count)]
        self.tried, self.changed = set(), set()

    @property
    def count(self):
        return self.controls.count()

    def attempt(self, index):
        """Move control ``index`` if a reader could (enabled and shown) and note the effect."""
        control = self.controls.nth(index)
        if control.is_disabled() or not control.is_visible():
            return
        before = self.root.evaluate(STATE)
        if not _move(control):
            return
        self.tried.add(index)
        if self.root.evaluate(STATE) != before or self.root.evaluate("r => r.cnnviz.message"):
            self.changed.add(index)

    def pending(self):
        return [n for n in range(len(self.names)) if n not in self.changed]

    def problems(self, where):
        return [
            f"{where}: moving {name!r} changed nothing"
            if n in self.tried
            else f"{where}: {name!r} could never be moved"
            for n, name in enumerate(self.names)
            if n not in self.changed
        ]


def _walk_controls(root, where):
    """Move every control of the explorer; each must change the output (or say why not).

    In order, twice: the second pass moves what another control enabled (leaky ReLU's slope)
    and retries what changed nothing in the state it met first (a padding mode at padding 0).
    Then every option of every menu, for the controls that only some choice shows (a kernel's
    own parameters).
    """
    walk = ControlWalk(root)
    for _ in range(2):
        for index in walk.pending():
            walk.attempt(index)
    menus = [n for n in range(len(walk.names)) if walk.controls.nth(n).evaluate(IS_MENU)]
    for menu in menus:
        for _ in range(walk.controls.nth(menu).evaluate("e => e.options.length")):
            if not walk.pending():
                break
            walk.attempt(menu)
            for index in walk.pending():
                walk.attempt(index)
    return walk.problems(where), len(walk.tried)


IS_MENU = "e => e.tagName === 'SELECT'"


def _check_kernel_free(record, folder, stem):
    page = record.page
    roots = page.locator("[data-cnnviz-explorer]")
    count = roots.count()
    assert count >= 1
    problems = _check_layout(page, folder, f"{stem}-start")
    page.set_viewport_size({"width": WIDTHS[0], "height": 900})
    total = 0
    for index in range(count):
        root = roots.nth(index)
        root.scroll_into_view_if_needed()
        where = f"{stem} {root.get_attribute('data-cnnviz-explorer')} explorer {index}"
        found, moved = _walk_controls(root, where)
        problems += found
        total += moved
    problems += _check_layout(page, folder, f"{stem}-moved")
    problems += record.problems()
    assert total >= count, "no control was moved"
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("rel_path", _params(KERNEL_FREE_PAGES, "kernel-free explorers"))
def test_kernel_free_explorers_respond_to_every_control(open_page, screenshots, rel_path):
    stem = re.sub(r"\W+", "-", rel_path.removesuffix(".html"))
    _check_kernel_free(open_page(rel_path), screenshots, stem)


def _kernel_free_factories():
    """Every public ``*_explorer`` of cnnviz.explorers that builds a kernel-free explorer from
    its defaults (the network explorer needs a model and images: tests/test_network_explorer.py
    walks it)."""
    import inspect

    import cnnviz.explorers as package

    factories = [getattr(package, name) for name in package.__all__ if name.endswith("_explorer")]
    factories = [
        f
        for f in factories
        if all(p.default is not p.empty for p in inspect.signature(f).parameters.values())
    ]
    return [f for f in factories if KERNEL_FREE_MARKER in f().html]


def test_standalone_kernel_free_explorers_respond_to_every_control(blank_page, screenshots):
    factories = _kernel_free_factories()
    assert {f.__name__ for f in factories} >= {
        "pooling_explorer",
        "activation_explorer",
        "softmax_explorer",
    }
    record = blank_page("".join(f().html for f in factories))
    _check_kernel_free(record, screenshots, "standalone")


# ---------------------------------------------------------------------------------------------
# The explorers and their JavaScript core on their own (no built book needed)
# ---------------------------------------------------------------------------------------------

CORE_ROWS = """
rows => rows.map(r => {
  const core = cnnvizCore;
  const args = [r.i, r.k, r.p, r.s, r.d];
  let fits = null;
  try {
    core.checkFits(r.i + 2 * r.p, r.k, r.d);
  } catch (error) {
    fits = [error.message, error.kernel, error.dilation, error.extent, error.padded];
  }
  return {
    o: core.formulaO(...args),
    size: core.outputSize(...args),
    unreached: core.unreached(...args),
    formula: core.formulaText(...args),
    numbers: core.formulaText(...args, {style: "numbers"}),
    rule: core.formulaText(...args, {style: "rule"}),
    fits: fits,
  };
})
"""


def _python_row(row):
    """What core.js must give for a row of arithmetic.table(): the table's own columns, and
    what the explorers use beside them, from cnnviz.arithmetic."""
    try:
        arithmetic.check_fits(row["i"] + 2 * row["p"], row["k"], row["d"])
        fits = None
    except arithmetic.KernelDoesNotFitError as err:
        fits = [str(err), err.kernel, err.dilation, err.extent, err.padded]
    return {
        "o": row["o"],
        "size": row["o"] if row["fits"] else None,
        "unreached": row["unreached"],
        "formula": row["formula"],
        "numbers": row["numbers"],
        "rule": arithmetic.FORMULA,
        "fits": fits,
    }


def test_core_js_matches_the_arithmetic_table(blank_page):
    record = blank_page()
    record.page.add_script_tag(content=static_text("core.js"))
    rows = arithmetic.table()
    assert len(rows) > 1000 and any(r["fits"] for r in rows) and not all(r["fits"] for r in rows)
    results = record.page.evaluate(CORE_ROWS, rows)
    mismatches = [
        f"{ {n: row[n] for n in 'ikpsd'} }: JavaScript {got}, Python {want}"
        for row, got in zip(rows, results, strict=True)
        if got != (want := _python_row(row))
    ]
    assert not mismatches, f"{len(mismatches)} rows differ:\n" + "\n".join(mismatches[:10])
    # check_fits on pairs (h, w), as the image explorers call it, with another `what`.
    pairs = [
        ([h, w], [kh, kw], d, "input")
        for h, w, kh, kw in itertools.product([1, 3, 6], [2, 5], [1, 3, 7], [2, 6])
        for d in (1, [1, 2], [3, 1])
    ]
    js_pairs = record.page.evaluate(
        """cases => cases.map(([size, kernel, dilation, what]) => {
             try { cnnvizCore.checkFits(size, kernel, dilation, what); return null; }
             catch (e) { return [e.name, e.message, e.kernel, e.dilation, e.extent, e.padded]; }
           })""",
        pairs,
    )
    for (size, kernel, d, what), got in zip(pairs, js_pairs, strict=True):
        dilation = tuple(d) if isinstance(d, list) else d
        try:
            arithmetic.check_fits(tuple(size), tuple(kernel), dilation, what)
            want = None
        except arithmetic.KernelDoesNotFitError as err:
            facts = (err.kernel, err.dilation, err.extent, err.padded)
            want = [type(err).__name__, str(err), *(list(fact) for fact in facts)]
        assert got == want, (size, kernel, d)
    assert any(js_pairs) and not all(js_pairs)
    constants = record.page.evaluate("() => [cnnvizCore.MINUS, cnnvizCore.FORMULA]")
    assert constants == [arithmetic.MINUS, arithmetic.FORMULA]
    with pytest.raises(ValueError) as err:
        arithmetic.formula_text(5, 3, style="bad")
    js_error = record.page.evaluate(
        """() => { try { cnnvizCore.formulaText(5, 3, 0, 1, 1, {style: "bad"}); }
                   catch (error) { return error.message; } }"""
    )
    assert js_error == str(err.value)
    assert not record.problems(), "\n".join(record.problems())


STANDALONE = [dict(i=5, k=3, p=0, s=1, d=1), dict(i=3, k=5, p=0, s=1, d=1), dict(i=6, k=3, s=2)]


def _standalone_page(blank_page):
    return blank_page("".join(arithmetic_explorer(**params).html for params in STANDALONE))


def test_standalone_explorers_give_conv_output_size(blank_page):
    _check_explorer_sliders(_standalone_page(blank_page))


def test_standalone_explorers_are_independent_and_scope_their_ids(blank_page):
    record = _standalone_page(blank_page)
    page = record.page
    # Every id in the document (the roots' and the SVG patterns' they draw) is unique and
    # derived from its explorer's id.
    owners = page.evaluate(
        """() => Array.from(document.querySelectorAll('[id]'), e =>
             [e.id, e.closest('.cnnviz-explorer') && e.closest('.cnnviz-explorer').id])"""
    )
    ids = [element_id for element_id, _ in owners]
    assert len(set(ids)) == len(ids) > len(STANDALONE), ids
    assert all(root and element_id.startswith(root) for element_id, root in owners), owners
    _check_independent(page)
    _check_hover(page)
    assert not record.problems(), "\n".join(record.problems())


COMPUTED_COLOURS = """
() => {
  const shapes = new Set(['rect', 'circle', 'path', 'line', 'text', 'polygon', 'ellipse']);
  const found = [];
  for (const root of document.querySelectorAll('.cnnviz-explorer')) {
    for (const el of [root, ...root.querySelectorAll('*')]) {
      const style = getComputedStyle(el);
      const name = el.tagName.toLowerCase();
      if (el instanceof SVGElement) {
        if (shapes.has(name)) {
          if (name !== 'line') {  // a line has no inside to fill
            found.push([name + '.fill', style.fill]);
          }
          found.push([name + '.stroke', style.stroke]);
        }
        continue;
      }
      found.push([name + '.color', style.color], [name + '.background', style.backgroundColor]);
      for (const side of ['top', 'right', 'bottom', 'left']) {
        if (parseFloat(style.getPropertyValue(`border-${side}-width`)) > 0) {
          found.push([name + '.border', style.getPropertyValue(`border-${side}-color`)]);
        }
      }
    }
  }
  return found;
}
"""


def _rgb(hex_colour):
    r, g, b = (int(hex_colour[n : n + 2], 16) for n in (1, 3, 5))
    return f"rgb({r}, {g}, {b})"


def test_standalone_explorers_paint_only_with_the_palette(blank_page):
    record = _standalone_page(blank_page)
    allowed = {_rgb(c) for c in palette.COLORS.values()} | {"none", "rgba(0, 0, 0, 0)"}
    found = record.page.evaluate(COMPUTED_COLOURS)
    foreign = {
        (what, value)
        for what, value in found
        if value not in allowed and not value.startswith("url(")  # the hatching pattern
    }
    assert not foreign, sorted(foreign)
    painted = {value for _, value in found}
    for role in ("highlight", "input", "output", "padding", "unreached"):
        assert _rgb(palette.COLORS[role]) in painted, role


# ---------------------------------------------------------------------------------------------
# The book uses them at all (the tests above are vacuous otherwise)
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("what", "pages"),
    [
        ("a convolution-arithmetic explorer", EXPLORER_PAGES),
        ("a kernel-free explorer", KERNEL_FREE_PAGES),
        ("embedded ipywidgets", WIDGET_PAGES),
    ],
    ids=["explorer", "kernel-free", "widgets"],
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
