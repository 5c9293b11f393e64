"""The kernel-free pooling, activation and softmax explorers, in Python and in Chromium.

Without a browser: the HTML they emit (self-contained, labelled controls named and ranged like
their ipywidgets twins in :mod:`cnnviz.widgets`), their first result (from :mod:`cnnviz.ops`)
and their argument checks.

In headless Chromium (Playwright with the system ``chromium``; ``playwright install`` is never
needed), a cross-language differential test: the real explorers are set into a blank page, each
gets random settings through ``root.cnnviz.set`` (the reader's path: the controls move, then the
explorer recomputes), and what the page reports (``root.cnnviz.output`` for
``root.cnnviz.input`` and ``params``) is compared with :mod:`cnnviz.ops` in Python to
``rtol=1e-6``. Impossible settings must give no output, the page's sentence for the Python error
(:func:`cnnviz.explorers.pool.explain` for pooling) with the control to change, and leave the
last good picture on screen. Also: keyboard, labels, dragging, two explorers on one page, the
activation maps' colour bars, and the layout at 1280 and 390 px. Without Chromium or Playwright
the browser tests skip, unless ``CNNVIZ_REQUIRE_BROWSER=1``, where they fail.
"""

from __future__ import annotations

import os
import re
from html.parser import HTMLParser

import numpy as np
import pytest

from cnnviz import ops, widgets
from cnnviz.explorers import (
    activation_explorer,
    arithmetic_explorer,
    pooling_explorer,
    softmax_explorer,
)
from cnnviz.explorers._page import static_text
from cnnviz.explorers.activation import FEATURE_MAP, points
from cnnviz.explorers.pool import explain, image_array

REQUIRE_BROWSER = os.environ.get("CNNVIZ_REQUIRE_BROWSER") == "1"
RTOL = 1e-6
ATOL = 1e-12  # where cnnviz.ops itself cancels (GELU near x = -4), see test_js_ops.py
CASES = 80  # random settings per explorer; at least 50 of them must be possible
FACTORIES = {
    "pool": pooling_explorer,
    "activation": activation_explorer,
    "softmax": softmax_explorer,
}
STATIC = ["layers.js", "layers.css", "pool.js", "activation.js", "softmax.js"]


class Controls(HTMLParser):
    """The controls of an explorer's HTML: [(tag, attributes, inside a <label>)]."""

    def __init__(self, markup):
        super().__init__()
        self.found, self.depth, self.scripts = [], 0, 0
        self.feed(markup)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.depth += tag == "label"
        self.scripts += tag == "script"
        if "data-param" in attrs:
            self.found.append((tag, attrs, self.depth > 0))

    def handle_endtag(self, tag):
        self.depth -= tag == "label"


def _controls(explorer):
    return {
        attrs["data-param"]: (tag, attrs, labelled)
        for tag, attrs, labelled in Controls(explorer.html).found
    }


# ---------------------------------------------------------------------------------------------
# The HTML (no browser)
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", FACTORIES)
def test_html_is_one_self_contained_output(kind):
    explorer = FACTORIES[kind]()
    page = explorer.html
    assert explorer._repr_html_() == page
    assert page.startswith(f'<div class="cnnviz-{kind} cnnviz-explorer cnnviz-layer" ')
    assert f'data-cnnviz-explorer="{kind}"' in page.split(">", 1)[0]
    assert re.fullmatch(rf"cnnviz-{kind}-[0-9a-f]{{12}}", explorer.element_id)
    assert page.count(f'id="{explorer.element_id}"') == 1 and page.count(' id="') == 1
    assert not re.search(r"""(src|href)\s*=\s*["']?\s*(https?:)?//""", page, re.IGNORECASE)
    assert not re.search(r"<link\b|@import|type=\"module\"", page)
    assert not re.search(r"\b(fetch|XMLHttpRequest|require|define|import)\s*\(", page)
    assert Controls(page).scripts == 1 and page.count("<style>") == 1
    assert FACTORIES[kind]().element_id != explorer.element_id


@pytest.mark.parametrize("name", STATIC)
def test_static_files_have_no_colour_and_cannot_end_the_script(name):
    text = static_text(name)
    assert not re.findall(r"#[0-9a-fA-F]{3,8}\b", text)
    assert not re.findall(r"\b(rgba?|hsla?)\(", text)
    assert "</" not in text


@pytest.mark.parametrize("kind", FACTORIES)
def test_every_control_has_a_label(kind):
    controls = _controls(FACTORIES[kind]())
    assert controls
    for name, (tag, attrs, labelled) in controls.items():
        assert labelled, f"{name} is not inside a <label>"
        assert attrs["aria-label"].startswith(name), name
        assert tag in ("input", "select")


def _range(attrs):
    return float(attrs["min"]), float(attrs["max"]), float(attrs["step"])


def test_pooling_controls_are_those_of_the_ipywidgets_twin():
    twin = widgets.PoolingExplorer()
    controls = _controls(pooling_explorer())
    assert list(controls) == ["image", "mode", "kernel_size", "stride", "padding"]
    for name in ("kernel_size", "stride", "padding"):
        slider = getattr(twin, name)
        assert _range(controls[name][1]) == (slider.min, slider.max, slider.step), name
    assert "option" in pooling_explorer().html and list(twin.mode.options) == ["max", "avg", "min"]
    for mode in twin.mode.options:
        assert f'<option value="{mode}"' in pooling_explorer().html


def test_activation_controls_are_those_of_the_ipywidgets_twin():
    twin = widgets.ActivationExplorer()
    explorer = activation_explorer()
    controls = _controls(explorer)
    assert set(controls) == {"activation", "x", "negative_slope"}
    for name in ("x", "negative_slope"):
        slider = getattr(twin, name)
        assert _range(controls[name][1]) == (slider.min, slider.max, slider.step), name
    options = re.findall(r'<option value="(\w+)"', explorer.html)
    assert options == list(twin.activation.options) == list(ops.ACTIVATIONS)


def test_softmax_controls_are_those_of_the_ipywidgets_twin():
    twin = widgets.SoftmaxExplorer()
    controls = _controls(softmax_explorer())
    assert list(controls) == ["logits[0]", "logits[1]", "logits[2]", "temperature", "target"]
    slider = twin.logits[0]
    assert _range(controls["logits[0]"][1]) == (slider.min, slider.max, slider.step)
    t = twin.temperature  # a log slider: the range input moves log10(T)
    assert t.base == 10 and _range(controls["temperature"][1]) == (t.min, t.max, t.step)


def test_first_results_come_from_cnnviz_ops():
    pool = pooling_explorer(mode="avg", kernel_size=3, stride=2, padding=1)
    np.testing.assert_array_equal(pool.input, image_array("numbers"))
    np.testing.assert_array_equal(pool.output, ops.avg_pool2d(pool.input, 3, stride=2, padding=1))
    act = activation_explorer("leaky_relu", x=-2.0, negative_slope=0.2)
    np.testing.assert_array_equal(act.input, np.concatenate([[-2.0], FEATURE_MAP.ravel()]))
    assert act.output.shape == (2, 37) and act.output[0, 0] == -0.4 and act.output[1, 0] == 0.2
    soft = softmax_explorer(logits=(1, 2, 3, 4), labels=None, temperature=0.5, target=2)
    assert soft.labels == ["class 0", "class 1", "class 2", "class 3"]
    assert soft.params["temperature"] == 10**-0.3  # 0.5 on the log slider's steps
    p = ops.softmax(np.array([1.0, 2, 3, 4]), temperature=10**-0.3)
    np.testing.assert_allclose(soft.output, [*p, -np.log(p[2])], rtol=1e-12)


def test_settings_snap_to_the_sliders():
    assert activation_explorer(x=1.04, negative_slope=0.123).params == {
        "activation": "relu",
        "x": 1.0,
        "negative_slope": 0.12,
    }
    soft = softmax_explorer(logits=(2.54, -1.0), labels=("a", "b"), temperature=2.0)
    assert soft.params["logits"] == [2.5, -1.0]
    assert soft.params["temperature"] == 10**0.3
    assert repr(pooling_explorer()) == (
        "PoolingExplorer(image='numbers', mode='max', kernel_size=2, stride=2, padding=0)"
    )


def test_pooling_says_why_in_poolings_own_terms():
    """A window that does not fit is said without the dilation that pooling here lacks."""
    explorer = pooling_explorer(kernel_size=7)
    assert explorer.output is None
    assert explorer.message == (
        "No output: the window (7, 7) does not fit the padded input (6, 6). "
        "Raise the padding or narrow the window (kernel_size)."
    )
    assert pooling_explorer(image="photo", kernel_size=8, padding=1).message == ""
    assert pooling_explorer(kernel_size=3, padding=2).message == (
        "No output: padding must be at most half of kernel_size (3, 3) (torch's rule: a window "
        "must never lie entirely in the padding), got (2, 2). Keep the padding at most half the "
        "window (1 here), or widen the window (kernel_size)."
    )
    for mode in ("max", "avg", "min"):
        for k, s, p in [(7, 1, 0), (8, 3, 0), (8, 1, 0), (2, 1, 2)]:
            message = pooling_explorer(mode=mode, kernel_size=k, stride=s, padding=p).message
            assert message.startswith("No output: ") and "dilation" not in message


@pytest.mark.parametrize(
    ("factory", "kwargs", "error", "message"),
    [
        (pooling_explorer, {"image": "cat"}, ValueError, "image must be one of 'numbers', 'photo'"),
        (pooling_explorer, {"mode": "median"}, ValueError, "mode must be one of 'max'"),
        (pooling_explorer, {"kernel_size": 0}, ValueError, "kernel_size must be between 1 and 8"),
        (pooling_explorer, {"padding": 5}, ValueError, "padding must be between 0 and 4"),
        (pooling_explorer, {"stride": 2.0}, TypeError, "stride must be an int"),
        (activation_explorer, {"activation": "elu"}, ValueError, "activation must be one of"),
        (activation_explorer, {"negative_slope": 0.6}, ValueError, "negative_slope must be"),
        (activation_explorer, {"x": "1"}, TypeError, "x must be a real number"),
        (softmax_explorer, {"logits": [1.0]}, ValueError, "logits must be 2 to 10 numbers"),
        (softmax_explorer, {"logits": [1, 7]}, ValueError, r"logits\[1\] must be between -6"),
        (
            softmax_explorer,
            {"labels": ("a", "b")},
            ValueError,
            "labels must have 3 entries, one per class, got 2",
        ),
        (softmax_explorer, {"temperature": 0}, ValueError, "temperature must be between 0.1"),
        (softmax_explorer, {"target": -1}, ValueError, "target must be between 0 and 2"),
    ],
)
def test_bad_arguments_name_the_argument(factory, kwargs, error, message):
    with pytest.raises(error, match=f"^{message}"):
        factory(**kwargs)


# ---------------------------------------------------------------------------------------------
# In Chromium
# ---------------------------------------------------------------------------------------------


class Page:
    """A blank page holding explorers, with every error and request it made."""

    def __init__(self, browser, explorers):
        self.page = browser.new_page(viewport={"width": 1000, "height": 900})
        self.errors, self.requests = [], []
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("request", lambda request: self.requests.append(request.url))
        markup = "".join(e.html for e in explorers)
        self.page.set_content(f'<!doctype html><meta charset="utf-8"><body>{markup}</body>')

    def root(self, index):
        return self.page.locator("[data-cnnviz-explorer]").nth(index)

    def run(self, index, cases, extra="null", with_input=True):
        """Set each case with root.cnnviz.set; read params, input, output, message, ``extra``.

        Without ``with_input``, the input comes back as its shape and the sum of its values.
        """
        script = SET_AND_READ.replace("EXTRA", extra)
        return self.page.evaluate(script, [index, cases, with_input])

    def state(self, index):
        return self.run(index, [{}])[0]

    def check_clean(self):
        assert not self.errors, self.errors
        assert not [u for u in self.requests if not u.startswith(("about:", "data:"))]


# cases: [{param: value}] -> [{params, input, output, message, extra}]; {} re-reads.
SET_AND_READ = """
([index, cases, withInput]) => {
  const root = document.querySelectorAll('[data-cnnviz-explorer]')[index];
  const digest = a => ({shape: a.shape, sum: a.data.reduce((total, v) => total + v, 0)});
  const plain = a => a && {shape: Array.from(a.shape), data: Array.from(a.data)};
  return cases.map(c => {
    const api = Object.keys(c).length ? root.cnnviz.set(c) : root.cnnviz;
    const extra = (api => (EXTRA))(api);
    return {params: JSON.parse(JSON.stringify(api.params)), output: plain(api.output),
            input: withInput ? plain(api.input) : digest(api.input),
            message: api.message, extra: extra};
  });
}
"""


def _array(value):
    return np.array(value["data"], dtype=np.float64).reshape(value["shape"])


@pytest.fixture(scope="module")
def page(browser):
    explorers = [
        pooling_explorer(),
        activation_explorer(),
        softmax_explorer(),
        softmax_explorer(logits=(1, -2, 0.5, 3, 0), labels=None, target=4),
        pooling_explorer(image="photo", mode="min", kernel_size=4, stride=4),
    ]
    holder = Page(browser, explorers)
    holder.explorers = explorers
    yield holder
    holder.page.close()


def test_first_views_equal_python(page):
    for index, explorer in enumerate(page.explorers):
        state = page.state(index)
        assert state["message"] == ""
        assert state["params"] == explorer.params
        np.testing.assert_allclose(_array(state["input"]), explorer.input, rtol=0, atol=0)
        np.testing.assert_allclose(_array(state["output"]), explorer.output, rtol=1e-12)
    page.check_clean()


def _pool_expected(params):
    """(values, indices or None) of cnnviz.ops for the page's params, or the ValueError."""
    x = image_array(params["image"])
    k, s, p = params["kernel_size"], params["stride"], params["padding"]
    if params["mode"] == "avg":
        return ops.avg_pool2d(x, k, stride=s, padding=p), None
    if params["mode"] == "max":
        return ops.max_pool2d(x, k, stride=s, padding=p, return_indices=True)
    values, indices = ops.max_pool2d(-x, k, stride=s, padding=p, return_indices=True)
    return -values, indices


def _pool_cases(rng, n):
    return [
        {
            "image": str(rng.choice(["numbers", "numbers", "photo"])),
            "mode": str(rng.choice(["max", "avg", "min"])),
            "kernel_size": int(rng.integers(1, 9)),
            "stride": int(rng.integers(1, 9)),
            "padding": int(rng.integers(0, 5)),
        }
        for _ in range(n)
    ]


def test_pooling_agrees_with_cnnviz_ops(page):
    cases = _pool_cases(np.random.default_rng(0), 2 * CASES)  # about half are impossible
    extra = "api.output && api.result.indices && Array.from(api.result.indices.data)"
    results = page.run(0, cases, extra, with_input=False)  # the photo is checked once, above
    valid = 0
    for case, got in zip(cases, results, strict=True):
        assert got["params"] == case
        x = image_array(case["image"])
        assert got["input"]["shape"] == list(x.shape)
        assert got["input"]["sum"] == pytest.approx(x.sum(), rel=1e-12)
        try:
            values, indices = _pool_expected(case)
        except ValueError as err:
            assert got["output"] is None, case
            assert got["message"] == explain(err), case
            assert "dilation" not in got["message"], case
            control = "padding" if "padding must" in str(err) else "kernel_size"
            assert control in got["message"]
            continue
        assert got["message"] == "", case
        np.testing.assert_allclose(_array(got["output"]), values, rtol=RTOL, err_msg=str(case))
        assert _array(got["output"]).shape == values.shape
        if indices is not None:
            np.testing.assert_array_equal(np.reshape(got["extra"], indices.shape), indices)
        valid += 1
    assert valid >= 50 and valid < len(cases), valid
    page.check_clean()


def _activation_expected(params, x_values):
    chosen = ops.ACTIVATIONS[params["activation"]]
    options = (
        {"negative_slope": params["negative_slope"]} if "negative_slope" in chosen.options else {}
    )
    return chosen.function(x_values, **options), chosen.derivative(x_values, **options)


def test_activations_agree_with_cnnviz_ops(page):
    rng = np.random.default_rng(1)
    cases = [
        {
            "activation": str(rng.choice(list(ops.ACTIVATIONS))),
            "x": round(float(rng.integers(-40, 41)) / 10, 1),
            "negative_slope": round(float(rng.integers(0, 51)) / 100, 2),
        }
        for _ in range(CASES)
    ]
    extra = (
        "{x: Array.from(api.result.curve.x), f: Array.from(api.result.curve.f), "
        "df: Array.from(api.result.curve.df)}"
    )
    results = page.run(1, cases, extra)
    for case, got in zip(cases, results, strict=True):
        assert got["params"] == case and got["message"] == ""
        x_values = _array(got["input"])
        np.testing.assert_array_equal(x_values, points(case["x"]))
        f, df = _activation_expected(case, x_values)
        np.testing.assert_allclose(
            _array(got["output"]), np.stack([f, df]), rtol=RTOL, atol=ATOL, err_msg=str(case)
        )
        grid = np.array(got["extra"]["x"])
        assert grid[0] == -4 and grid[-1] == 4 and grid.size == 401
        f, df = _activation_expected(case, grid)
        np.testing.assert_allclose(got["extra"]["f"], f, rtol=RTOL, atol=ATOL)
        np.testing.assert_allclose(got["extra"]["df"], df, rtol=RTOL, atol=ATOL)
    page.check_clean()


@pytest.mark.parametrize("index", [2, 3], ids=["3 classes", "5 classes"])
def test_softmax_agrees_with_cnnviz_ops(page, index):
    k = len(page.explorers[index].labels)
    rng = np.random.default_rng(index)
    cases = [
        {
            "logits": [round(float(v) / 10, 1) for v in rng.integers(-60, 61, size=k)],
            "temperature": 10 ** (float(rng.integers(-100, 101)) / 100),
            "target": int(rng.integers(0, k)),
        }
        for _ in range(CASES)
    ]
    results = page.run(index, cases)
    for case, got in zip(cases, results, strict=True):
        params = got["params"]
        assert params["logits"] == case["logits"] and params["target"] == case["target"]
        assert params["temperature"] == pytest.approx(case["temperature"], rel=1e-9)
        z, t = _array(got["input"]), params["temperature"]
        np.testing.assert_array_equal(z, case["logits"])
        want = [*ops.softmax(z, temperature=t), ops.cross_entropy(z / t, params["target"])]
        np.testing.assert_allclose(_array(got["output"]), want, rtol=RTOL, err_msg=str(case))
    page.check_clean()


# ---------------------------------------------------------------------------------------------
# Bad input, keyboard, labels, dragging, independence
# ---------------------------------------------------------------------------------------------

PICTURE = "root => root.querySelector('.cnnviz-stage').innerHTML"


@pytest.mark.parametrize(
    ("setting", "control"),
    [
        ({"kernel_size": 2, "padding": 2}, "padding"),  # more than half the window (torch)
        ({"kernel_size": 7, "padding": 0}, "kernel_size"),  # the 6x6 map is too small
        ({"kernel_size": 8, "padding": 0, "stride": 3}, "kernel_size"),
    ],
)
def test_impossible_pooling_keeps_the_last_good_picture(browser, setting, control):
    holder = Page(browser, [pooling_explorer(kernel_size=3, stride=1, padding=1)])
    root = holder.root(0)
    good = holder.state(0)
    picture = root.evaluate(PICTURE)
    (bad,) = holder.run(0, [setting])
    with pytest.raises(ValueError) as err:
        _pool_expected({**bad["params"], "image": "numbers"})
    assert bad["output"] is None
    assert bad["message"] == explain(err.value)
    assert control in bad["message"]
    assert root.locator(".cnnviz-message").inner_text() == bad["message"]
    assert root.locator(".cnnviz-bad [data-param]").get_attribute("data-param") == control
    assert root.evaluate(PICTURE) == picture  # the last good result stays on screen
    assert "cnnviz-impossible" in root.get_attribute("class")
    (fixed,) = holder.run(0, [good["params"]])
    assert fixed["message"] == "" and fixed["output"] == good["output"]
    assert root.locator(".cnnviz-bad").count() == 0
    holder.check_clean()


def test_sliders_and_menus_work_from_the_keyboard(browser):
    holder = Page(browser, [f() for f in FACTORIES.values()])
    for index in range(3):
        root = holder.root(index)
        for control in root.locator("[data-param]").all():
            if control.is_disabled():
                continue
            name = control.get_attribute("data-param")
            before = holder.state(index)
            control.focus()
            key = "ArrowDown" if control.evaluate("e => e.tagName") == "SELECT" else "ArrowRight"
            if control.evaluate("e => e.type === 'range' && e.value === e.max"):
                key = "ArrowLeft"
            holder.page.keyboard.press(key)
            after = holder.state(index)
            assert after["params"] != before["params"], name
            assert after["output"] != before["output"] or after["message"], name
    holder.check_clean()


def test_every_control_has_an_accessible_name(browser):
    holder = Page(browser, [f() for f in FACTORIES.values()])
    names = holder.page.evaluate(
        """() => Array.from(document.querySelectorAll('[data-param]'), e =>
             [e.getAttribute('data-param'), e.labels.length, e.getAttribute('aria-label')])"""
    )
    assert len(names) == 5 + 3 + 5
    for name, labels, aria in names:
        assert labels == 1 and aria and aria.startswith(name), name
    holder.check_clean()


def test_dragging_the_point_moves_x(browser):
    holder = Page(browser, [activation_explorer("tanh", x=1.0)])
    chart = holder.root(0).locator(".cnnviz-chart")
    box = chart.bounding_box()
    mouse = holder.page.mouse
    mouse.move(box["x"] + box["width"] * 0.5, box["y"] + box["height"] * 0.5)
    mouse.down()
    mouse.move(box["x"] + box["width"] * 0.25, box["y"] + box["height"] * 0.5, steps=5)
    mouse.up()
    state = holder.state(0)
    x = state["params"]["x"]
    assert -3 < x < 0 and round(x, 1) == x
    assert holder.root(0).locator('input[data-param="x"]').input_value() == str(x)
    assert state["output"]["data"][0] == pytest.approx(np.tanh(x), rel=1e-12)
    holder.check_clean()


def test_explorers_on_one_page_do_not_clash(browser):
    # The arithmetic explorer last: its copy of explorers.css must not undo layers.css.
    explorers = [pooling_explorer(), pooling_explorer(), softmax_explorer(), arithmetic_explorer()]
    holder = Page(browser, explorers)
    name = holder.root(0).locator(".cnnviz-control .cnnviz-name").first
    assert name.evaluate("e => getComputedStyle(e).gridRowStart") == "2"  # under the argument
    before = [holder.state(n) for n in range(3)]
    pictures = [holder.root(n).evaluate(PICTURE) for n in range(3)]
    holder.root(0).locator('input[data-param="kernel_size"]').fill("3")
    holder.root(0).locator('select[data-param="mode"]').select_option("avg")
    assert holder.state(0)["output"] != before[0]["output"]
    assert [holder.state(n) for n in (1, 2)] == before[1:]
    assert [holder.root(n).evaluate(PICTURE) for n in (1, 2)] == pictures[1:]
    holder.check_clean()


# ---------------------------------------------------------------------------------------------
# The activation maps' colour bars; the layout on a desktop and on a phone
# ---------------------------------------------------------------------------------------------

MAPS = """
root => Array.from(root.querySelectorAll('.cnnviz-panel:not(.cnnviz-wide)'), panel => {
  const map = panel.querySelector('svg.cnnviz-map');
  const bar = panel.querySelector('svg.cnnviz-colorbar');
  const tone = r => [r.getAttribute('class'), Number(r.getAttribute('fill-opacity')),
                     getComputedStyle(r).fill];
  return {
    cells: Array.from(map.querySelectorAll('rect'), tone),
    steps: Array.from(bar.querySelectorAll('rect:not(.cnnviz-bar-frame)'), tone),
    labels: Array.from(bar.querySelectorAll('text'), t => t.textContent),
    widths: [map.getBoundingClientRect().width, bar.getBoundingClientRect().width],
  };
})
"""


def _tone(values, scale):
    """(class, opacity) of each value, as activation.js colours the maps: 3 decimals."""
    values = np.asarray(values, dtype=np.float64)
    classes = np.where(values < 0, "cnnviz-cell-neg", "cnnviz-cell-pos")
    opacity = np.round(0.06 + 0.8 * np.minimum(1, np.abs(values) / scale), 3)
    return [(str(c), float(o)) for c, o in zip(classes, opacity, strict=True)]


@pytest.mark.parametrize(
    "setting",
    [
        {"activation": "relu"},
        {"activation": "leaky_relu", "negative_slope": 0.3},
        {"activation": "sigmoid"},
        {"activation": "gelu"},
    ],
    ids=lambda s: s["activation"],
)
def test_activation_maps_have_colour_bars_on_their_own_scale(browser, setting):
    from cnnviz.palette import COLORS

    holder = Page(browser, [activation_explorer(**setting)])
    (state,) = holder.run(0, [{}])
    f, df = _array(state["output"])[:, 1:]
    big = float(np.abs(FEATURE_MAP).max())
    scales = [big, big, max(1.0, float(np.abs(df).max()))]
    maps = holder.root(0).evaluate(MAPS)
    assert len(maps) == 3
    blue, orange = (_rgb(COLORS[role]) for role in ("input_edge", "highlight"))
    for values, scale, drawn in zip([FEATURE_MAP.ravel(), f, df], scales, maps, strict=True):
        # the cells: the colour of their value on the bar's scale
        assert [(c, o) for c, o, _ in drawn["cells"]] == _tone(values, scale)
        # the bar: from -scale (full blue) through 0 (almost white) to +scale (full orange)
        steps = drawn["steps"]
        assert len(steps) == 48
        centres = -scale + (np.arange(48) + 0.5) * 2 * scale / 48
        assert [(c, o) for c, o, _ in steps] == _tone(centres, scale)
        assert {fill for *_, fill in steps} == {blue, orange}
        assert steps[0][1] == steps[-1][1] == pytest.approx(0.06 + 0.8 * 47 / 48, abs=1e-3)
        high = f"{scale:.2f}".rstrip("0").rstrip(".")
        assert drawn["labels"] == [f"−{high}", "0", f"+{high}"]
        assert drawn["widths"][1] == pytest.approx(drawn["widths"][0], abs=1)
    holder.check_clean()


def _rgb(hex_colour):
    r, g, b = (int(hex_colour[n : n + 2], 16) for n in (1, 3, 5))
    return f"rgb({r}, {g}, {b})"


LAYOUT = """
root => {
  const outer = root.getBoundingClientRect();
  const parts = Array.from(root.querySelectorAll(
    '.cnnviz-control, .cnnviz-panel, .cnnviz-panel svg, .cnnviz-panel canvas, .cnnviz-buttons, ' +
    '.cnnviz-result > *, .cnnviz-point, .cnnviz-bars > *'
  )).filter(e => e.getClientRects().length);
  const problems = [];
  for (const e of parts) {
    const r = e.getBoundingClientRect();
    if (r.left < outer.left - 0.5 || r.right > outer.right + 0.5) {
      problems.push('sticks out: ' + (e.getAttribute('class') || e.tagName));
    }
  }
  const controls = Array.from(root.querySelectorAll('.cnnviz-control'));
  for (let i = 0; i < controls.length; i++) {
    for (let j = i + 1; j < controls.length; j++) {
      const a = controls[i].getBoundingClientRect();
      const b = controls[j].getBoundingClientRect();
      const w = Math.min(a.right, b.right) - Math.max(a.left, b.left);
      const h = Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top);
      if (w > 0.5 && h > 0.5) problems.push('controls overlap: ' + i + ' / ' + j);
    }
  }
  const panels = Array.from(root.querySelectorAll('.cnnviz-panel'))
    .filter(e => e.getClientRects().length);
  for (let i = 0; i < panels.length; i++) {
    for (let j = i + 1; j < panels.length; j++) {
      const a = panels[i].getBoundingClientRect();
      const b = panels[j].getBoundingClientRect();
      const w = Math.min(a.right, b.right) - Math.max(a.left, b.left);
      const h = Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top);
      if (w > 0.5 && h > 0.5) problems.push('panels overlap: ' + i + ' / ' + j);
    }
  }
  if (root.scrollWidth > root.clientWidth + 1) problems.push('scrolls sideways');
  if (document.documentElement.scrollWidth > window.innerWidth) problems.push('page scrolls');
  return problems;
}
"""


@pytest.mark.parametrize("width", [1280, 390])
def test_layout_fits_a_desktop_and_a_phone(browser, width):
    """Nothing sticks out of its explorer or overlaps, in the book's column or on a phone,
    also after the settings that draw the most: a 4x4 padded window, the photo, leaky ReLU."""
    explorers = [
        pooling_explorer(),
        pooling_explorer(kernel_size=8, stride=1, padding=4),
        pooling_explorer(image="photo", mode="min", kernel_size=4, stride=4),
        activation_explorer(),
        activation_explorer("gelu", x=-4.0),
        softmax_explorer(logits=(1, -2, 0.5, 3, 0, 2, -1, 4, -6, 6), labels=None),
    ]
    page = browser.new_page(viewport={"width": width, "height": 900})
    try:
        markup = "".join(e.html for e in explorers)
        page.set_content(
            '<!doctype html><meta charset="utf-8"><meta name="viewport" '
            'content="width=device-width"><body style="margin: 0">'
            f'<main style="max-width: 688px; margin: 0 auto; padding: 0 16px">{markup}</main>'
            "</body>"
        )
        roots = page.locator("[data-cnnviz-explorer]")
        problems = []
        for index in range(roots.count()):
            problems += [f"explorer {index}: {p}" for p in roots.nth(index).evaluate(LAYOUT)]
        assert not problems, problems
    finally:
        page.close()
