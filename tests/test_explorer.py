"""The kernel-free explorers' HTML (cnnviz.explorers): self-contained, scoped, correct.

What the page does with it in a browser is tested in ``test_browser.py`` (with and without the
built book); here we check the HTML that Python emits: no network, one unique id per output,
the palette as the only source of colours, the initial output size equal to
:func:`cnnviz.ops.conv_output_size`, and clear errors for bad parameters.
"""

from __future__ import annotations

import json
import os
import random
import re
import shutil
import subprocess
from html.parser import HTMLParser

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cnnviz import explorer as old_module
from cnnviz import palette
from cnnviz.arithmetic import coverage, formula_text
from cnnviz.explorers import (
    PARAM_RANGES,
    AnimationHTML,
    ArithmeticExplorer,
    animation_html,
    arithmetic_explorer,
)
from cnnviz.explorers._page import static_text
from cnnviz.ops import conv2d, conv_output_size

DEFAULTS = dict(i=5, k=3, p=0, s=1, d=1)
REQUIRE_BROWSER = os.environ.get("CNNVIZ_REQUIRE_BROWSER") == "1"


class Outline(HTMLParser):
    """Elements (tag, attributes), text by class, and the inline scripts and styles."""

    VOID = {"input", "br", "img", "meta", "link", "hr", "wbr", "source", "col", "area"}

    def __init__(self, markup):
        super().__init__(convert_charrefs=True)
        self.elements = []
        self.text_by_class = {}
        self.scripts = []
        self.styles = []
        self._open = []  # (tag, classes) of the elements being read
        self._raw = None
        self.feed(markup)
        self.close()

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.elements.append((tag, attrs))
        if tag in ("script", "style"):
            self._raw = (tag, [])
        if tag not in self.VOID:
            self._open.append((tag, (attrs.get("class") or "").split()))

    def handle_startendtag(self, tag, attrs):
        self.elements.append((tag, dict(attrs)))

    def handle_endtag(self, tag):
        if self._raw is not None and tag == self._raw[0]:
            (self.scripts if tag == "script" else self.styles).append("".join(self._raw[1]))
            self._raw = None
        if tag in self.VOID:
            return
        assert self._open, f"</{tag}> closes nothing"
        opened, _ = self._open.pop()
        assert opened == tag, f"<{opened}> closed by </{tag}>"

    def handle_data(self, data):
        if self._raw is not None:
            self._raw[1].append(data)
            return
        for _, classes in self._open:
            for name in classes:
                self.text_by_class[name] = self.text_by_class.get(name, "") + data


def outline(explorer):
    parsed = Outline(explorer.html)
    assert not parsed._open, f"unclosed elements: {parsed._open}"
    return parsed


def expected_size_text(params):
    try:
        return str(conv_output_size(**params))
    except ValueError:
        return "kernel does not fit"


# ---------------------------------------------------------------------------------------------
# Self-contained
# ---------------------------------------------------------------------------------------------


def test_html_is_self_contained():
    page = arithmetic_explorer().html
    # Nothing is loaded from anywhere: no src/href to a URL, no external script or stylesheet.
    assert not re.search(r"""(src|href)\s*=\s*["']?\s*(https?:)?//""", page, re.IGNORECASE)
    assert not re.search(r"<script[^>]*\bsrc\s*=", page, re.IGNORECASE)
    assert not re.search(r"<link\b", page, re.IGNORECASE)
    assert "@import" not in page
    assert not re.search(r"url\(\s*['\"]?(https?:)?//", page, re.IGNORECASE)
    # Classic inline scripts only: no modules, no require.js, no fetch.
    assert 'type="module"' not in page
    assert not re.search(r"\b(require|define)\s*\(", page)
    assert not re.search(r"\b(fetch|XMLHttpRequest|import)\s*\(", page)
    parsed = outline(arithmetic_explorer())
    assert len(parsed.scripts) == 1 and len(parsed.styles) == 1
    script_tags = [attrs for tag, attrs in parsed.elements if tag == "script"]
    assert script_tags == [{}]


def test_repr_html_is_the_html():
    explorer = arithmetic_explorer(i=7, k=3, p=1, s=2)
    assert explorer._repr_html_() == explorer.html
    assert repr(explorer) == "ArithmeticExplorer(i=7, k=3, p=1, s=2, d=1)"
    assert isinstance(explorer, ArithmeticExplorer)


def test_ids_are_unique_per_call_and_given_to_the_script():
    # That the script touches only its own output is tested in the browser (test_browser.py).
    explorers = [arithmetic_explorer() for _ in range(20)]
    ids = [e.element_id for e in explorers]
    assert len(set(ids)) == len(ids)
    for explorer in explorers:
        assert re.fullmatch(r"cnnviz-arith-[0-9a-f]{12}", explorer.element_id)
        parsed = outline(explorer)
        all_ids = [attrs["id"] for _, attrs in parsed.elements if "id" in attrs]
        assert all_ids == [explorer.element_id]  # one id, on the root element
        root_tag, root_attrs = parsed.elements[0]
        assert root_tag == "div" and "cnnviz-explorer" in root_attrs["class"].split()
        (script,) = parsed.scripts
        config = json.loads(re.search(r"var CONFIG = (\{.*?\});", script).group(1))
        assert config["id"] == explorer.element_id


def test_script_is_valid_javascript(tmp_path):
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed; the browser test runs the script instead")
    path = tmp_path / "explorer.js"
    path.write_text(outline(arithmetic_explorer()).scripts[0], encoding="utf-8")
    result = subprocess.run([node, "--check", str(path)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


# ---------------------------------------------------------------------------------------------
# Controls and initial numbers
# ---------------------------------------------------------------------------------------------


def test_defaults():
    explorer = arithmetic_explorer()
    assert explorer.params == DEFAULTS
    assert explorer.output_size == 3
    assert explorer.formula == formula_text(**DEFAULTS)
    parsed = outline(explorer)
    assert parsed.text_by_class["cnnviz-output-size"] == "3"
    assert parsed.text_by_class["cnnviz-formula"] == formula_text(**DEFAULTS)
    assert parsed.elements[0][1]["data-o"] == "3"


def test_root_is_marked_as_a_kernel_free_explorer():
    parsed = outline(arithmetic_explorer())
    root_tag, root_attrs = parsed.elements[0]
    assert root_tag == "div"
    assert root_attrs["data-cnnviz-explorer"] == "arithmetic"
    (script,) = parsed.scripts
    assert "root.cnnviz = api" in script  # the API; what it holds is checked in Chromium
    assert "coverage: coverage" in script  # core.js's twin of cnnviz.arithmetic.coverage


def test_no_fit_says_no_output():
    parsed = outline(arithmetic_explorer(i=3, k=5))
    assert parsed.text_by_class["cnnviz-size"].startswith("No output: the kernel does not fit")
    assert parsed.text_by_class["cnnviz-output-size"] == "kernel does not fit"


def test_sliders_have_stable_hooks_and_ranges():
    params = dict(i=9, k=5, p=2, s=3, d=2)
    parsed = outline(arithmetic_explorer(**params))
    sliders = {
        attrs["data-param"]: attrs
        for tag, attrs in parsed.elements
        if tag == "input" and "data-param" in attrs
    }
    assert list(sliders) == ["i", "k", "p", "s", "d"]
    for name, attrs in sliders.items():
        assert attrs["type"] == "range"
        assert (int(attrs["min"]), int(attrs["max"])) == PARAM_RANGES[name]
        assert int(attrs["value"]) == params[name]
        assert attrs["step"] == "1"
        assert name in attrs["aria-label"]
    shown = {attrs["data-value-for"] for tag, attrs in parsed.elements if "data-value-for" in attrs}
    assert shown == set(PARAM_RANGES)


CASES = [
    DEFAULTS,
    dict(i=5, k=3, p=1, s=1, d=1),  # "same" padding
    dict(i=5, k=3, p=1, s=2, d=1),
    dict(i=6, k=3, p=1, s=2, d=1),  # one row and column never reached
    dict(i=7, k=3, p=0, s=1, d=2),
    dict(i=1, k=1, p=0, s=1, d=1),
    dict(i=3, k=5, p=0, s=1, d=1),  # does not fit
    dict(i=3, k=5, p=1, s=1, d=1),  # fits exactly
    dict(i=16, k=1, p=5, s=1, d=1),
    dict(i=2, k=7, p=0, s=5, d=4),
]


@pytest.mark.parametrize("params", CASES, ids=lambda c: "-".join(f"{k}{v}" for k, v in c.items()))
def test_initial_output_size_is_conv_output_size(params):
    explorer = arithmetic_explorer(**params)
    parsed = outline(explorer)
    assert parsed.text_by_class["cnnviz-output-size"] == expected_size_text(params)
    assert parsed.text_by_class["cnnviz-formula"] == formula_text(**params)
    fits = expected_size_text(params) != "kernel does not fit"
    assert ("cnnviz-arith--nofit" in parsed.elements[0][1]["class"].split()) is not fits
    assert explorer.output_size == (conv_output_size(**params) if fits else None)


params_strategy = st.fixed_dictionaries(
    {name: st.integers(low, high) for name, (low, high) in PARAM_RANGES.items()}
)


@settings(max_examples=60, deadline=None)
@given(params=params_strategy)
def test_initial_output_size_matches_everywhere_in_range(params):
    parsed = outline(arithmetic_explorer(**params))
    assert parsed.text_by_class["cnnviz-output-size"] == expected_size_text(params)
    top = params["i"] + 2 * params["p"] - params["d"] * (params["k"] - 1) - 1
    assert parsed.elements[0][1]["data-o"] == str(top // params["s"] + 1)


def test_formula_text_substitutes_the_numbers():
    assert formula_text(5, 3) == (
        "o = ⌊(i + 2p − d(k − 1) − 1) / s⌋ + 1 = ⌊(5 + 2·0 − 1·(3 − 1) − 1) / 1⌋ + 1 "
        "= ⌊2 / 1⌋ + 1 = 3"
    )
    assert formula_text(7, 3, p=1, s=2).endswith("= ⌊6 / 2⌋ + 1 = 4")
    # Floor, not truncation, for a kernel that does not fit: floor(-2/3) + 1 = 0.
    assert formula_text(3, 5, p=0, s=3).endswith("= ⌊−2 / 3⌋ + 1 = 0 → no output")
    assert formula_text(3, 5).endswith("= ⌊−2 / 1⌋ + 1 = −1 → no output")


def test_the_old_import_path_still_works():
    assert old_module.arithmetic_explorer is arithmetic_explorer
    assert old_module.animation_html is animation_html
    assert old_module.ArithmeticExplorer is ArithmeticExplorer
    assert old_module.formula_text is formula_text
    assert old_module.PARAM_RANGES is PARAM_RANGES


# ---------------------------------------------------------------------------------------------
# One palette: the page carries cnnviz.palette, the static files no colour of their own
# ---------------------------------------------------------------------------------------------


def test_the_page_carries_the_palette():
    (style,) = outline(arithmetic_explorer()).styles
    assert palette.css_variables() in style
    used = set(re.findall(r"var\(--cnnviz-([a-z-]+)\)", style))
    defined = {role.replace("_", "-") for role in palette.COLORS}
    assert used and used <= defined, used - defined


@pytest.mark.parametrize("name", ["core.js", "arithmetic.js", "explorers.css"])
def test_static_files_write_no_colour_of_their_own(name):
    text = static_text(name)
    assert not re.findall(r"#[0-9a-fA-F]{3,8}\b", text)
    assert not re.findall(r"\b(rgba?|hsla?)\(", text)


# ---------------------------------------------------------------------------------------------
# Argument checks
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", list(PARAM_RANGES))
def test_out_of_range_raises_value_error_naming_the_argument(name):
    low, high = PARAM_RANGES[name]
    for bad in (low - 1, high + 1):
        with pytest.raises(ValueError, match=rf"^{name} \(.*\) must be between {low} and {high}"):
            arithmetic_explorer(**{name: bad})
    arithmetic_explorer(**{name: low})
    arithmetic_explorer(**{name: high})


@pytest.mark.parametrize("bad", [2.0, "3", None, True])
def test_non_integers_raise_type_error_naming_the_argument(bad):
    with pytest.raises(TypeError, match=r"^k \(kernel size\) must be an int"):
        arithmetic_explorer(k=bad)


def test_numpy_integers_are_accepted():
    explorer = arithmetic_explorer(i=np.int64(7), k=np.int32(3))
    assert explorer.params["i"] == 7 and type(explorer.params["i"]) is int
    assert '"i": 7' in outline(explorer).scripts[0]


def test_config_cannot_break_out_of_the_script():
    # Parameters are validated ints; the JSON is escaped for an inline script all the same.
    script = outline(arithmetic_explorer()).scripts[0]
    config = re.search(r"var CONFIG = (\{.*?\});", script).group(1)
    assert not set("<>&") & set(config)
    assert "</" not in script


# ---------------------------------------------------------------------------------------------
# Matplotlib animations without a CDN
# ---------------------------------------------------------------------------------------------


@pytest.fixture
def tiny_animation():
    import matplotlib.pyplot as plt
    from matplotlib.animation import FuncAnimation

    fig, ax = plt.subplots(figsize=(1, 1), dpi=20)
    image = ax.imshow(np.zeros((2, 2)), vmin=0, vmax=1)

    def step(t):
        frame = np.zeros((2, 2))
        frame.flat[t] = 1
        image.set_data(frame)
        return [image]

    yield FuncAnimation(fig, step, frames=4)
    plt.close(fig)


def test_animation_html_needs_no_network(tiny_animation):
    raw = tiny_animation.to_jshtml()
    assert "maxcdn.bootstrapcdn.com" in raw  # what we remove: matplotlib links Font Awesome
    player = animation_html(tiny_animation)
    assert isinstance(player, AnimationHTML)
    assert player._repr_html_() == player.html
    assert repr(player) == "AnimationHTML(frames=4)"
    assert not re.search(r"""(src|href)\s*=\s*["']?\s*(https?:)?//""", player.html, re.I)
    assert not re.search(r"<link\b", player.html, re.I)
    # Every button icon is an inline SVG now; the player itself is untouched.
    assert 'class="fa ' not in player.html
    assert player.html.count('class="cnnviz-anim-icon"') == 9
    assert player.html.count("<button") == raw.count("<button") == 9
    assert player.html.count("data:image/png;base64,") == 4


def test_animation_html_passes_options(tiny_animation):
    checked = r'value="{}"[^>]*\bchecked\b'
    once = animation_html(tiny_animation, default_mode="once").html
    assert re.search(checked.format("once"), once) and not re.search(checked.format("loop"), once)
    fast = animation_html(tiny_animation, fps=50).html
    assert re.search(r"new Animation\(frames, img_id, slider_id, 20(\.0)?,", fast)
    with pytest.raises(TypeError, match="animation must be a matplotlib Animation"):
        animation_html("not an animation")
    with pytest.raises(ValueError, match="fps must be positive, got 0"):
        animation_html(tiny_animation, fps=0)
    with pytest.raises(ValueError, match="default_mode must be one of 'loop', 'once', 'reflect'"):
        animation_html(tiny_animation, default_mode="bounce")


# ---------------------------------------------------------------------------------------------
# root.cnnviz in Chromium: output = np.outer(coverage, coverage) = conv2d(ones, ones)
# ---------------------------------------------------------------------------------------------


@pytest.fixture
def explorer_page(browser):
    """A blank page holding ``explorers``; fails the test on any JavaScript error."""
    pages = []

    def _open(*explorers):
        page = browser.new_page(viewport={"width": 1000, "height": 900})
        errors = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        markup = "".join(e.html for e in explorers)
        page.set_content(f'<!doctype html><meta charset="utf-8"><body>{markup}</body>')
        pages.append((page, errors))
        return page

    yield _open
    for page, errors in pages:
        page.close()
        assert not errors, errors


# Each case through root.cnnviz.set; then the API as plain JSON.
SET_AND_READ = """
([index, cases]) => {
  const root = document.querySelectorAll('[data-cnnviz-explorer="arithmetic"]')[index];
  const plain = a => a && {shape: Array.from(a.shape), data: Array.from(a.data)};
  return cases.map(c => {
    const back = root.cnnviz.set(c);
    const api = root.cnnviz;
    return {
      same: back === api,
      params: api.params,
      input: plain(api.input),
      output: plain(api.output),
      message: api.message,
      size: root.querySelector('.cnnviz-size').textContent,
      outputSize: root.querySelector('.cnnviz-output-size').textContent,
      formula: root.querySelector('.cnnviz-formula').textContent,
      invalid: Array.from(root.querySelectorAll('[aria-invalid="true"]'),
                          e => e.getAttribute('data-param')),
      bad: root.querySelectorAll('.cnnviz-bad').length,
      cells: root.querySelectorAll('.cnnviz-cell-output').length,
    };
  });
}
"""


def _random_cases(count, seed=2026):
    rng = random.Random(seed)
    return [{n: rng.randint(*PARAM_RANGES[n]) for n in PARAM_RANGES} for _ in range(count)]


def _fits(case):
    try:
        conv_output_size(**case)
    except ValueError:
        return False
    return True


def test_api_exists_and_starts_from_the_python_settings(explorer_page):
    params = dict(i=7, k=3, p=1, s=2, d=1)
    page = explorer_page(arithmetic_explorer(**params))
    api = page.evaluate(
        """() => {
      const root = document.querySelector('[data-cnnviz-explorer="arithmetic"]');
      const c = root.cnnviz;
      return {keys: Object.keys(c).sort(), set: typeof c.set, params: c.params,
              input: {shape: c.input.shape, data: Array.from(c.input.data)},
              output: {shape: c.output.shape, data: Array.from(c.output.data)},
              message: c.message};
    }"""
    )
    assert {"params", "set", "input", "output", "message"} <= set(api["keys"])
    assert api["set"] == "function"
    assert api["params"] == params
    assert api["input"] == {"shape": [7, 7], "data": [1.0] * 49}
    c = coverage(**params)
    assert api["output"]["shape"] == [4, 4]
    np.testing.assert_array_equal(api["output"]["data"], np.outer(c, c).ravel())
    assert api["message"] == ""


def test_output_is_the_outer_product_of_python_coverage(explorer_page):
    page = explorer_page(arithmetic_explorer())
    cases = _random_cases(80)
    fitting = [case for case in cases if _fits(case)]
    assert len(fitting) >= 50, "too few random settings in which the kernel fits"
    results = page.evaluate(SET_AND_READ, [0, cases])
    mismatches = []
    for case, got in zip(cases, results, strict=True):
        assert got["same"] and got["params"] == case
        i = case["i"]
        assert got["input"] == {"shape": [i, i], "data": [1.0] * (i * i)}
        c = coverage(**case)
        if not len(c):
            assert got["output"] is None, case
            continue
        want = np.outer(c, c)
        out = got["output"]
        if out is None or out["shape"] != list(want.shape) or out["data"] != want.ravel().tolist():
            mismatches.append(f"{case}: expected {want.tolist()}, got {out}")
        assert got["message"] == "" and got["invalid"] == [] and got["bad"] == 0, case
        assert got["cells"] == want.size
    assert not mismatches, "\n".join(mismatches[:5])


@pytest.mark.parametrize(
    "case",
    [
        DEFAULTS,
        dict(i=6, k=3, p=1, s=2, d=1),
        dict(i=7, k=3, p=2, s=3, d=2),
        dict(i=9, k=5, p=4, s=2, d=1),
        dict(i=16, k=7, p=5, s=5, d=4),
        dict(i=1, k=1, p=3, s=2, d=1),
    ],
    ids=lambda c: "-".join(f"{k}{v}" for k, v in c.items()),
)
def test_output_is_conv2d_of_ones_by_ones(explorer_page, case):
    page = explorer_page(arithmetic_explorer())
    (got,) = page.evaluate(SET_AND_READ, [0, [case]])
    i, k = case["i"], case["k"]
    want = conv2d(
        np.ones((i, i)), np.ones((k, k)), stride=case["s"], padding=case["p"], dilation=case["d"]
    )
    assert got["output"]["shape"] == list(want.shape)
    np.testing.assert_allclose(got["output"]["data"], want.ravel(), rtol=0, atol=1e-12)


@pytest.mark.parametrize(
    "case, blamed",
    [
        (dict(i=3, k=5, p=0, s=1, d=1), "k"),
        (dict(i=2, k=7, p=0, s=5, d=4), "d"),  # set() moves d last among what makes it fit
        (dict(i=4, k=4, p=0, s=1, d=3), "d"),
    ],
)
def test_impossible_settings_give_no_output_and_say_why(explorer_page, case, blamed):
    page = explorer_page(arithmetic_explorer(i=16, k=1, p=0, s=1, d=1))
    got, back = page.evaluate(SET_AND_READ, [0, [case, DEFAULTS]])
    assert got["output"] is None
    assert got["message"].startswith("No output: kernel ") and "does not fit" in got["message"]
    assert got["size"].startswith("No output: the kernel does not fit")
    assert got["outputSize"] == "kernel does not fit"
    assert got["formula"] == formula_text(**case)
    assert got["invalid"] == [blamed] and got["bad"] == 1
    assert got["cells"] == 0
    # Back to a setting that fits: the outline and the message go.
    assert back["output"] is not None and back["message"] == ""
    assert back["invalid"] == [] and back["bad"] == 0
    assert back["size"].startswith("Output size: o = 3")


def test_set_moves_the_sliders_as_a_reader_would(explorer_page):
    page = explorer_page(arithmetic_explorer())
    (got,) = page.evaluate(SET_AND_READ, [0, [dict(s=99, p=-3)]])  # a slider stops at its ends
    assert got["params"] == dict(DEFAULTS, s=PARAM_RANGES["s"][1], p=PARAM_RANGES["p"][0])
    shown = page.evaluate("() => document.querySelector('[data-value-for=\"s\"]').textContent")
    assert shown == str(PARAM_RANGES["s"][1])
    message = page.evaluate(
        """() => { try { document.querySelector('[data-cnnviz-explorer]').cnnviz.set({q: 1}); }
                   catch (error) { return error.message; } return null; }"""
    )
    assert message == "set: no control named q takes 1"


def test_softmax_explorer_reports_ties(explorer_page):
    from cnnviz.explorers import softmax_explorer

    page = explorer_page(softmax_explorer())
    read = """(logits) => {
      const root = document.querySelector('[data-cnnviz-explorer="softmax"]');
      root.cnnviz.set({logits: logits, temperature: 1});
      return {size: root.querySelector('.cnnviz-size').textContent,
              top: Array.from(root.querySelectorAll('.cnnviz-bar-label.cnnviz-top'),
                              e => e.textContent)};
    }"""
    n = page.evaluate("() => document.querySelectorAll('.cnnviz-bar-label').length")
    labels = page.evaluate(
        "() => Array.from(document.querySelectorAll('.cnnviz-bar-label'), e => e.textContent)"
    )
    tie = page.evaluate(read, [2.0, 2.0] + [0.0] * (n - 2))
    p = np.exp([2.0, 2.0] + [0.0] * (n - 2))
    shown = f"{p[0] / p.sum():.3f}"
    assert tie["size"].startswith(f"{labels[0]} and {labels[1]} tie at {shown};"), tie
    assert tie["top"] == labels[:2]
    single = page.evaluate(read, [3.0, 2.0] + [0.0] * (n - 2))
    assert single["size"].startswith(f"Largest: {labels[0]}, "), single
    assert single["top"] == labels[:1]
