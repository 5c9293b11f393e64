"""Every page of the built book is readable at desktop (1280 px) and phone (390 px) width.

At 1280 px:

- every figure is shown at no less than 80 % of its natural width (a wider figure is shrunk
  until its text is a few pixels high: size it for the column, or split it);
- no code block or printed output needs scrolling (88 characters fit the column,
  ``tests/test_notebook_lines.py`` keeps the lines that short);
- no formula, inline or displayed, is wider than the text column.

At both widths the page as a whole never scrolls sideways, and nothing sticks out of the text
column unless it sits in a box that scrolls (a code block or a displayed formula at phone
width, each with its own scroll bar). Explorers and frozen widgets are checked by
``tests/test_browser.py``.
"""

import pytest
from test_browser import PAGES, _params, book_url  # noqa: F401  (fixture)

SHRINK_LIMIT = 0.8

MEASURE = r"""
() => {
  const column = document.querySelector('article.bd-article');
  const edge = column.getBoundingClientRect();
  const own = e => !e.closest('[data-cnnviz-explorer], .jupyter-widgets, .widget-subarea');
  const scrolls = e => ['auto', 'scroll'].includes(getComputedStyle(e).overflowX);
  const label = e => {
    const cell = e.closest('.cell');
    const where = cell ? 'cell ' + Array.from(document.querySelectorAll('.cell')).indexOf(cell)
                       : 'text';
    const text = (e.textContent || e.getAttribute('src') || '').trim().replace(/\s+/g, ' ');
    return where + ' ' + e.tagName.toLowerCase() + ': ' + text.slice(0, 50);
  };
  const out = {page: [document.documentElement.scrollWidth, window.innerWidth],
               shrunk: [], scrolling: [], sticking: []};
  for (const img of column.querySelectorAll('.cell_output img')) {
    if (!own(img) || !img.naturalWidth) continue;
    const shown = img.getBoundingClientRect().width;
    out.shrunk.push([label(img).slice(0, 30), img.naturalWidth, Math.round(shown)]);
  }
  for (const e of column.querySelectorAll('pre, mjx-container[display="true"]')) {
    if (own(e) && e.scrollWidth > e.clientWidth + 1) out.scrolling.push(label(e));
  }
  for (const e of column.querySelectorAll('pre, mjx-container, img, table, p, li')) {
    const box = e.getBoundingClientRect();
    if (!own(e) || !box.width || (box.right <= edge.right + 1 && box.left >= edge.left - 1)) {
      continue;
    }
    let a = e.parentElement;
    const fits = a => a.getBoundingClientRect().right <= edge.right + 1;
    while (a && a !== column && !(scrolls(a) && fits(a))) a = a.parentElement;
    const past = Math.round(box.right - edge.right);
    if (!a || a === column) out.sticking.push(label(e) + ` (${past} px)`);
  }
  return out;
}
"""


def _measure(browser, url, width):
    context = browser.new_context(viewport={"width": width, "height": 900})
    try:
        page = context.new_page()
        page.route("**/*", lambda r: r.continue_() if "127.0.0.1" in r.request.url else r.abort())
        page.goto(url, wait_until="load")
        page.wait_for_load_state("networkidle")
        page.wait_for_function(
            "() => !window.MathJax || !MathJax.startup || MathJax.startup.promise !== undefined"
        )
        page.evaluate("() => window.MathJax && MathJax.startup ? MathJax.startup.promise : null")
        return page.evaluate(MEASURE)
    finally:
        context.close()


def _problems(found, width):
    scroll_width, window_width = found["page"]
    problems = [f"the page scrolls sideways ({scroll_width} px in {window_width})"] * (
        scroll_width > window_width + 1
    )
    problems += [f"sticks out of the column: {what}" for what in found["sticking"]]
    if width >= 1280:
        problems += [
            f"figure shown at {shown} of its {natural} px: {what}"
            for what, natural, shown in found["shrunk"]
            if shown < SHRINK_LIMIT * natural
        ]
        problems += [f"needs scrolling: {what}" for what in found["scrolling"]]
    return problems


@pytest.mark.parametrize("width", [1280, 390])
@pytest.mark.parametrize("rel_path", _params(PAGES, "pages"))
def test_page_is_readable(browser, book_url, rel_path, width):  # noqa: F811
    problems = _problems(_measure(browser, book_url + rel_path, width), width)
    assert not problems, f"{rel_path} at {width} px:\n" + "\n".join(problems)
