"""The kernel-free convolution explorer (cnnviz.explorers.conv): its Python side, then its page.

The page tests drive the real output in headless Chromium (the system one, no network, no
``playwright install``): random settings go through ``root.cnnviz.set`` exactly as if the
reader had moved the controls, and the page's result must equal :func:`cnnviz.ops.conv2d` on
the page's own input and kernel to ``rtol=1e-6``; its box, Gaussian and Gabor kernels must
equal :mod:`cnnviz.filters` to 1e-9, at every kernel size the slider offers. Without Chromium or
Playwright those tests skip, unless ``CNNVIZ_REQUIRE_BROWSER=1`` (CI), where they fail.
"""

from __future__ import annotations

import base64
import re
import zlib

import matplotlib
import numpy as np
import pytest

from cnnviz import filters, images, ops, widgets
from cnnviz.explorers import arithmetic_explorer
from cnnviz.explorers._page import static_text
from cnnviz.explorers.conv import (
    PARAM_RANGES,
    SIZED,
    YOUR_IMAGE,
    _sample_entry,
    conv_explorer,
    explain,
    image_array,
    preset_weight,
)

RTOL = 1e-6
ATOL = 1e-12
SETTINGS = 60  # random settings per explorer, at least 50 of them possible
TINY = np.arange(25.0).reshape(5, 5) / 24  # a 5x5 image: small enough to refuse settings


def _grid(name):
    low, high, step = PARAM_RANGES[name]
    values = np.arange(low, high + step / 2, step)
    return [int(v) for v in values] if isinstance(step, int) else [round(v, 1) for v in values]


# ---------------------------------------------------------------------------------------------
# Python side
# ---------------------------------------------------------------------------------------------


def test_controls_are_those_of_the_ipywidgets_twin():
    twin = widgets.ConvExplorer()
    for name in ("stride", "padding", "dilation"):
        slider = getattr(twin, name)
        assert PARAM_RANGES[name][:2] == (slider.min, slider.max), name
    markup = conv_explorer().html
    options = dict(re.findall(r'<select data-param="(\w+)".*?>(.*?)</select>', markup))
    assert re.findall(r'value="([^"]+)"', options["kernel"]) == list(twin.kernel.options)
    assert re.findall(r'value="([^"]+)"', options["padding_mode"]) == list(ops.PADDING_MODES)
    assert re.findall(r'value="([^"]+)"', options["image"]) == list(twin.image.options)
    for name, (low, high, step) in PARAM_RANGES.items():
        assert f'min="{low}" max="{high}" step="{step}"' in markup, name


def test_output_is_one_self_contained_element():
    explorer = conv_explorer()
    markup = explorer.html
    assert markup.startswith(f'<div class="cnnviz-conv cnnviz-explorer" id="{explorer.element_id}"')
    assert 'data-cnnviz-explorer="conv"' in markup
    assert conv_explorer().element_id != explorer.element_id
    assert not re.search(r"\b(src|href)=", markup)
    script = markup[markup.index("<script>") + 8 : markup.rindex("</script>")]
    assert "</" not in script
    assert len(markup) < 160_000  # the images are ~37 kB of it


@pytest.mark.parametrize("name", ["conv.js", "conv.css"])
def test_static_files_have_no_colour_and_cannot_end_the_script(name):
    text = static_text(name)
    assert not re.findall(r"#[0-9a-fA-F]{3,8}\b", text)  # colours: the palette's variables
    assert not re.findall(r"\b(rgba?|hsla?)\(", text)
    assert "</" not in text


def test_sample_images_travel_as_uint8():
    for name in images.SAMPLES:
        entry = _sample_entry(name)
        rows = np.frombuffer(zlib.decompress(base64.b64decode(entry["data"])), np.uint8)
        u8 = np.cumsum(rows.reshape(entry["shape"]), axis=0, dtype=np.uint8)  # wraps like JS
        np.testing.assert_array_equal(u8 / 255, image_array(name))
        original = np.asarray(images.SAMPLES[name](), dtype=np.float64)
        assert np.abs(image_array(name) - original).max() <= 0.5 / 255 + 1e-12, name


def test_initial_output_and_formula_follow_ops():
    explorer = conv_explorer(image="disk", kernel="gaussian", sigma=1.5, stride=2, padding=3)
    weight = filters.gaussian_kernel(5, 1.5)
    np.testing.assert_array_equal(explorer.weight, weight)
    expected = ops.conv2d(image_array("disk"), weight, stride=2, padding=3)
    np.testing.assert_array_equal(explorer.output, expected)
    assert explorer.formula == "o = ⌊(64 + 2·3 − 1·(5 − 1) − 1) / 2⌋ + 1 = 33"
    assert explorer.message == ""
    assert explorer.params["kernel_size"] == 5


def test_box_and_gaussian_start_at_the_default_sizes_of_filters():
    assert SIZED == {"box": 3, "gaussian": 5}
    for name, size in SIZED.items():
        explorer = conv_explorer(kernel=name)
        np.testing.assert_array_equal(explorer.weight, filters.KERNELS[name]())
        assert explorer.params["kernel_size"] == size
    for size in _grid("kernel_size"):
        np.testing.assert_array_equal(
            preset_weight("box", kernel_size=size), filters.box_kernel(size)
        )
        np.testing.assert_array_equal(
            preset_weight("gaussian", sigma=0.7, kernel_size=size),
            filters.gaussian_kernel(size, 0.7),
        )
    with pytest.raises(ValueError, match="kernel_size must be 3 plus a multiple of 2, got 4"):
        preset_weight("box", kernel_size=4)


def _label_of(markup, name):
    """The attributes of the <label> that holds the control ``name``."""
    labels = re.findall(r'<label class="cnnviz-control"([^>]*)>(.*?)</label>', markup)
    (attrs,) = [attrs for attrs, inside in labels if f'data-param="{name}"' in inside]
    return attrs


def test_kernel_size_slider_belongs_to_box_gaussian_and_custom():
    label = _label_of(conv_explorer(kernel="box").html, "kernel_size")
    assert label == ' data-kernel="box gaussian custom"'
    assert _label_of(conv_explorer(kernel=np.ones((5, 5))).html, "kernel_size") == label
    label = _label_of(conv_explorer(kernel="sobel_x").html, "kernel_size")
    assert label == ' data-kernel="box gaussian custom" hidden'
    assert _label_of(conv_explorer(kernel="gaussian").html, "sigma") == ' data-kernel="gaussian"'


def test_custom_kernel_and_your_image():
    kernel = np.arange(9.0).reshape(3, 3) - 4
    explorer = conv_explorer(image=TINY, kernel=kernel, padding=1)
    assert explorer.params["image"] == YOUR_IMAGE and explorer.params["kernel"] == "custom"
    assert explorer.params["weight"] == kernel.tolist()
    np.testing.assert_array_equal(explorer.input, TINY)
    np.testing.assert_allclose(explorer.output, ops.conv2d(TINY, kernel, padding=1))
    rgb = np.stack([TINY] * 3, axis=-1)
    np.testing.assert_allclose(conv_explorer(image=rgb).input, TINY)


def test_impossible_initial_setting_is_allowed_and_explained():
    explorer = conv_explorer(image=TINY, padding=5, padding_mode="reflect")
    assert explorer.output is None
    assert explorer.message.startswith("No output: padding must be smaller than the input")
    assert explorer.message.endswith("Lower the padding to at most 4 or pick another mode.")
    explorer = conv_explorer(image=TINY, kernel="gabor")
    assert explorer.message == (
        "No output: kernel (11, 11) with dilation (1, 1) does not fit the padded input (5, 5): "
        "it spans (11, 11). Raise the padding, lower the dilation or pick a smaller kernel."
    )


@pytest.mark.parametrize(
    ("kwargs", "error", "text"),
    [
        ({"stride": 5}, ValueError, "stride must be between 1 and 4, got 5"),
        ({"padding": 1.0}, TypeError, "padding must be an int, got 1.0"),
        ({"sigma": 1.23}, ValueError, "sigma must be a multiple of 0.1, got 1.23"),
        ({"theta": 10}, ValueError, "theta must be 0 plus a multiple of 15, got 10"),
        ({"theta": np.pi / 4}, TypeError, "theta must be an int"),
        ({"wavelength": 1}, ValueError, "wavelength must be between 2 and 16, got 1"),
        ({"padding_mode": "mirror"}, ValueError, "padding_mode must be one of 'zeros'"),
        ({"kernel": "blur"}, ValueError, "kernel must be one of 'identity'"),
        ({"kernel": np.ones((4, 4))}, ValueError, "kernel must be a square array of side 3"),
        ({"kernel": np.ones((3, 5))}, ValueError, "kernel must be a square array of side 3"),
        ({"image": "lena"}, ValueError, "image must be one of 'photo'"),
        ({"image": np.zeros((200, 10))}, ValueError, "image must have between 1 and 128"),
        ({"image": np.full((3, 3), np.nan)}, ValueError, "image must hold finite numbers"),
    ],
)
def test_bad_arguments_are_named(kwargs, error, text):
    with pytest.raises(error, match=re.escape(text)):
        conv_explorer(**kwargs)


# ---------------------------------------------------------------------------------------------
# The page, in Chromium
# ---------------------------------------------------------------------------------------------


class Page:
    """A page holding some explorers, with what went wrong in it."""

    def __init__(self, chromium, explorers, width=1280):
        self.page = chromium.new_page(viewport={"width": width, "height": 900})
        self.errors = []
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.route("**/*", lambda route: route.abort())
        body = "".join(e.html for e in explorers)
        self.page.set_content(
            '<!doctype html><html><head><meta charset="utf-8"></head><body>'
            f'<main style="max-width: 750px; margin: 0 auto; padding: 0 16px">{body}</main>'
            "</body></html>"
        )
        for e in explorers:  # root.cnnviz appears once the images are unpacked
            self.page.wait_for_function(
                "id => { const r = document.getElementById(id); "
                "return r.cnnviz || !r.hasAttribute('data-cnnviz-explorer'); }",
                arg=e.element_id,
            )

    def set(self, explorer, params):
        """``root.cnnviz.set(params)``, then what the page holds."""
        return self.page.evaluate(
            """([id, params]) => {
              const api = document.getElementById(id).cnnviz;
              api.set(params);
              const array = a => a && {shape: a.shape, data: Array.from(a.data)};
              return {params: api.params, input: array(api.input), output: array(api.output),
                      message: api.message};
            }""",
            [explorer.element_id, params],
        )

    def state(self, explorer):
        return self.set(explorer, {})

    def root(self, explorer):
        return self.page.locator(f"#{explorer.element_id}")


@pytest.fixture
def open_page(browser):
    pages = []

    def _open(*explorers, width=1280):
        pages.append(Page(browser, explorers, width))
        return pages[-1]

    yield _open
    for page in pages:
        assert not page.errors, page.errors
        page.page.close()


def _array(value):
    return np.array(value["data"], dtype=np.float64).reshape(value["shape"])


def _expected_weight(params):
    if params["kernel"] == "custom":
        return None
    return preset_weight(
        params["kernel"],
        params["sigma"],
        params["theta"],
        params["wavelength"],
        kernel_size=params["kernel_size"] if params["kernel"] in SIZED else None,
    )


def _check(state, where):
    """The page's output against cnnviz.ops on the page's input and kernel; its message
    against Python's for an impossible setting. True when the setting was possible."""
    params = state["params"]
    weight = np.array(params["weight"], dtype=np.float64)
    expected_weight = _expected_weight(params)
    if expected_weight is not None:
        np.testing.assert_allclose(weight, expected_weight, rtol=0, atol=1e-9, err_msg=where)
    options = {k: params[k] for k in ("stride", "padding", "dilation", "padding_mode")}
    try:
        expected = ops.conv2d(_array(state["input"]), weight, **options)
    except ValueError as err:
        assert state["output"] is None, where
        assert state["message"] == explain(err), where
        return False
    assert state["message"] == "", where
    got = _array(state["output"])
    assert got.shape == expected.shape, where
    np.testing.assert_allclose(got, expected, rtol=RTOL, atol=ATOL, err_msg=where)
    return True


def _random_setting(rng, images_offered):
    params = {
        "image": str(rng.choice(images_offered)),
        "stride": int(rng.integers(1, 5)),
        "padding": int(rng.integers(0, 9)),
        "dilation": int(rng.integers(1, 5)),
        "padding_mode": str(rng.choice(ops.PADDING_MODES)),
    }
    kernel = str(rng.choice([*filters.KERNELS, "custom"]))
    if kernel == "custom":
        size = int(rng.choice([3, 5, 7]))
        params["weight"] = rng.normal(size=(size, size)).round(3).tolist()
    else:
        params["kernel"] = kernel
        params["sigma"] = float(rng.choice(_grid("sigma")))
        params["theta"] = int(rng.choice(_grid("theta")))
        params["wavelength"] = int(rng.choice(_grid("wavelength")))
        if kernel in SIZED:
            params["kernel_size"] = int(rng.choice(_grid("kernel_size")))
    return params


def test_random_settings_agree_with_ops(open_page):
    explorer = conv_explorer()
    page = open_page(explorer)
    rng = np.random.default_rng(20261130)
    possible = 0
    for n in range(SETTINGS):
        params = _random_setting(rng, list(images.SAMPLES))
        state = page.set(explorer, params)
        np.testing.assert_array_equal(_array(state["input"]), image_array(params["image"]))
        possible += _check(state, f"setting {n}: {params}")
    assert possible >= 50


def test_random_settings_on_a_tiny_image_agree_with_ops_and_its_errors(open_page):
    explorer = conv_explorer(image=TINY)
    page = open_page(explorer)
    rng = np.random.default_rng(7)
    outcomes = []
    for n in range(SETTINGS):
        params = _random_setting(rng, [YOUR_IMAGE] * 3 + ["disk"])
        state = page.set(explorer, params)
        outcomes.append(_check(state, f"setting {n}: {params}"))
    assert sum(outcomes) >= 20 and outcomes.count(False) >= 10  # both kinds were tried


def test_box_gaussian_and_gabor_kernels_match_filters(open_page):
    explorer = conv_explorer(image="step edge")
    page = open_page(explorer)
    sizes = _grid("kernel_size")
    assert sizes == [3, 5, 7]
    settings = [{"kernel": "box", "kernel_size": k} for k in sizes]
    settings += [
        {"kernel": "gaussian", "kernel_size": k, "sigma": s} for k in sizes for s in _grid("sigma")
    ]
    settings += [
        {"kernel": "gabor", "theta": t, "wavelength": w}
        for t in _grid("theta")
        for w in _grid("wavelength")
    ]
    weights = page.page.evaluate(
        """([id, settings]) => settings.map(p => {
             const api = document.getElementById(id).cnnviz;
             api.set(p);
             return api.params.weight;
           })""",
        [explorer.element_id, settings],
    )
    for params, weight in zip(settings, weights, strict=True):
        if params["kernel"] == "box":
            expected = filters.box_kernel(params["kernel_size"])
        elif params["kernel"] == "gaussian":
            expected = filters.gaussian_kernel(params["kernel_size"], params["sigma"])
        else:
            angle = np.deg2rad(params["theta"])
            expected = filters.gabor_kernel(11, theta=angle, wavelength=params["wavelength"])
        np.testing.assert_allclose(weight, expected, rtol=0, atol=1e-9, err_msg=str(params))


def test_colour_bar_is_matplotlibs_rdbu_r(open_page):
    explorer = conv_explorer()
    page = open_page(explorer)
    pixels = page.page.evaluate(
        """id => {
             const canvas = document.getElementById(id).querySelector('.cnnviz-colorbar-canvas');
             return Array.from(canvas.getContext('2d').getImageData(0, 0, 256, 1).data);
           }""",
        explorer.element_id,
    )
    got = np.array(pixels).reshape(256, 4)[:, :3]
    expected = matplotlib.colormaps["RdBu_r"](np.linspace(0, 1, 256))[:, :3] * 255
    assert np.abs(got - expected).max() <= 1


def test_initial_page_matches_python(open_page):
    explorers = [
        conv_explorer(kernel="sharpen", stride=3, padding=2, padding_mode="circular"),
        conv_explorer(image=TINY, kernel="gabor"),
        conv_explorer(image=TINY, kernel=np.eye(5), padding=2, padding_mode="reflect"),
    ]
    page = open_page(*explorers)
    for explorer in explorers:
        state = page.state(explorer)
        weight = state["params"].pop("weight")
        assert state["params"] == {k: v for k, v in explorer.params.items() if k != "weight"}
        np.testing.assert_allclose(weight, explorer.weight, rtol=0, atol=1e-9)
        assert state["message"] == explorer.message
        if explorer.output is not None:
            got = _array(state["output"])
            np.testing.assert_allclose(got, explorer.output, rtol=RTOL, atol=ATOL)
        numbers = page.root(explorer).locator(".cnnviz-formula-numbers").inner_text()
        assert numbers == explorer.formula


def test_explorers_on_one_page_are_independent(open_page):
    first, second = conv_explorer(), conv_explorer(image="disk")
    arithmetic = arithmetic_explorer()
    page = open_page(first, second, arithmetic)
    page.root(first).locator('input[data-param="stride"]').fill("3")
    assert page.state(first)["params"]["stride"] == 3
    assert page.state(second)["params"]["stride"] == 1
    assert page.state(second)["output"]["shape"] == [62, 62]
    assert page.root(arithmetic).locator(".cnnviz-output-size").inner_text() == "3"
    ids = page.page.evaluate("() => Array.from(document.querySelectorAll('[id]'), e => e.id)")
    assert len(ids) == len(set(ids)) >= 3


def _kernel_state(page, explorer):
    state = page.state(explorer)
    slider = page.root(explorer).locator('input[data-param="kernel_size"]')
    visible = slider.is_visible()
    assert slider.input_value() == str(state["params"]["kernel_size"]) or not visible
    return state["params"]["kernel"], state["params"]["kernel_size"], visible, state


def test_kernel_size_slider_sizes_box_and_gaussian_and_each_keeps_its_own(open_page):
    explorer = conv_explorer(kernel="sobel_x")
    page = open_page(explorer)
    root = page.root(explorer)
    menu = root.locator('select[data-param="kernel"]')
    slider = root.locator('input[data-param="kernel_size"]')
    assert _kernel_state(page, explorer)[:3] == ("sobel_x", 3, False)
    menu.select_option("box")
    assert _kernel_state(page, explorer)[:3] == ("box", 3, True)
    before = page.state(explorer)["output"]
    slider.focus()
    page.page.keyboard.press("ArrowRight")  # 3 -> 5, from the keyboard as a reader would
    kernel, size, _, state = _kernel_state(page, explorer)
    assert (kernel, size) == ("box", 5) and state["output"] != before
    assert root.locator(".cnnviz-kernel-shape").inner_text() == "5 × 5"
    np.testing.assert_array_equal(state["params"]["weight"], filters.box_kernel(5))
    assert _check(state, "box 5x5")
    slider.fill("7")
    assert _kernel_state(page, explorer)[:2] == ("box", 7)
    menu.select_option("gaussian")  # the Gaussian starts at its own side, 5
    kernel, size, _, state = _kernel_state(page, explorer)
    assert (kernel, size) == ("gaussian", 5)
    np.testing.assert_allclose(state["params"]["weight"], filters.gaussian_kernel(5, 1.0))
    page.set(explorer, {"kernel_size": 3, "sigma": 0.5})
    kernel, size, _, state = _kernel_state(page, explorer)
    np.testing.assert_allclose(
        state["params"]["weight"], filters.gaussian_kernel(3, 0.5), rtol=0, atol=1e-12
    )
    assert _check(state, "gaussian 3x3, sigma 0.5")
    menu.select_option("gabor")  # 11x11: the slider hides
    assert _kernel_state(page, explorer)[:3] == ("gabor", 11, False)
    menu.select_option("box")  # each kernel comes back at the side it was left at
    assert _kernel_state(page, explorer)[:3] == ("box", 7, True)
    menu.select_option("gaussian")
    assert _kernel_state(page, explorer)[:2] == ("gaussian", 3)
    page.set(explorer, {"kernel": "box", "kernel_size": 3})  # both at once: the size counts
    assert _kernel_state(page, explorer)[:2] == ("box", 3)
    page.set(explorer, {"kernel": "gaussian", "kernel_size": 3})  # the slider held 3 already
    assert _kernel_state(page, explorer)[:2] == ("gaussian", 3)
    menu.select_option("custom")  # custom starts from the kernel on screen, at its side
    kernel, size, visible, state = _kernel_state(page, explorer)
    assert (kernel, size, visible) == ("custom", 3, True)
    np.testing.assert_allclose(
        state["params"]["weight"], filters.gaussian_kernel(3, 0.5), rtol=0, atol=1e-12
    )


def test_custom_starts_from_the_kernel_on_screen(open_page):
    explorer = conv_explorer(kernel="gaussian", sigma=1.5)
    page = open_page(explorer)
    root = page.root(explorer)
    root.locator('select[data-param="kernel"]').select_option("custom")
    state = page.state(explorer)
    assert state["params"]["kernel_size"] == 5
    np.testing.assert_allclose(state["params"]["weight"], filters.gaussian_kernel(5, 1.5))
    root.locator('input[data-param="kernel_size"]').fill("3")  # crops about the centre
    weight = page.state(explorer)["params"]["weight"]
    np.testing.assert_allclose(weight, filters.gaussian_kernel(5, 1.5)[1:4, 1:4])
    root.locator('select[data-param="kernel"]').select_option("sobel_y")
    root.locator(".cnnviz-cell").nth(4).fill("3")  # typing into a preset makes it custom
    state = page.state(explorer)
    expected = filters.sobel_y()
    expected[1, 1] = 3
    assert state["params"]["kernel"] == "custom"
    assert state["params"]["weight"] == expected.tolist()
    assert _check(state, "sobel_y with a 3 in the middle")


def _output_canvas_pixels(page, explorer):
    return page.page.evaluate(
        """id => document.getElementById(id).querySelector('.cnnviz-output-canvas').toDataURL()""",
        explorer.element_id,
    )


def _assert_kept(page, explorer, before, message_start, control):
    state = page.state(explorer)
    assert state["output"] is None
    assert state["message"].startswith(message_start), state["message"]
    assert _output_canvas_pixels(page, explorer) == before  # the last good result stays
    assert control.get_attribute("aria-invalid") == "true"
    assert page.root(explorer).locator(".cnnviz-message").inner_text() == state["message"]


def test_bad_input_is_explained_and_the_last_result_stays(open_page):
    explorer = conv_explorer(image=TINY, kernel="sobel_x")
    page = open_page(explorer)
    root = page.root(explorer)
    before = _output_canvas_pixels(page, explorer)

    cell = root.locator(".cnnviz-cell").nth(5)  # kernel[1, 2]
    cell.fill("abc")
    _assert_kept(page, explorer, before, "No output: kernel[1, 2] must be a real number", cell)
    assert page.state(explorer)["params"]["kernel"] == "custom"
    cell.fill("−2.5")  # the minus sign the cells show
    state = page.state(explorer)
    assert state["params"]["weight"][1][2] == -2.5 and _check(state, "typed −2.5")
    before = _output_canvas_pixels(page, explorer)

    dilation = root.locator('input[data-param="dilation"]')
    dilation.fill("3")
    _assert_kept(
        page,
        explorer,
        before,
        "No output: kernel (3, 3) with dilation (3, 3)",
        root.locator('select[data-param="kernel"]'),
    )
    _check(page.state(explorer), "kernel does not fit")
    dilation.fill("1")

    root.locator('select[data-param="padding_mode"]').select_option("reflect")
    before = _output_canvas_pixels(page, explorer)
    padding = root.locator('input[data-param="padding"]')
    padding.fill("5")
    _assert_kept(
        page, explorer, before, "No output: padding must be smaller than the input", padding
    )
    _check(page.state(explorer), "reflect padding too large")
    padding.fill("4")
    assert page.state(explorer)["message"] == ""


def test_picking_an_output_pixel_shows_its_sum_of_products(open_page):
    explorer = conv_explorer(kernel="emboss", stride=2, padding=1, dilation=2)
    page = open_page(explorer)
    canvas = page.root(explorer).locator(".cnnviz-output-canvas")
    box = canvas.bounding_box()
    expected = explorer.output
    for fx, fy, action in [(0.3, 0.6, "hover"), (0.8, 0.1, "click"), (0.02, 0.98, "hover")]:
        x, y = box["x"] + fx * box["width"], box["y"] + fy * box["height"]
        page.page.mouse.move(x, y)
        if action == "click":
            page.page.mouse.click(x, y)
        picked = page.page.evaluate(
            "id => document.getElementById(id).cnnviz.selected", explorer.element_id
        )
        row, col = picked["row"], picked["col"]
        assert (row, col) == (int(fy * expected.shape[0]), int(fx * expected.shape[1]))
        assert picked["value"] == pytest.approx(expected[row, col], rel=RTOL, abs=ATOL)
        terms = np.array(picked["terms"])
        assert len(terms) == 9
        assert terms.prod(axis=1).sum() == pytest.approx(picked["value"], rel=1e-12, abs=1e-12)
        text = page.root(explorer).locator(".cnnviz-sum").inner_text()
        assert text.startswith(f"output[{row}, {col}] = ")
        assert text.split("\n")[1].count("×") == 9
    # the arrow keys move the picked pixel too
    canvas.focus()
    page.page.keyboard.press("ArrowLeft")
    picked = page.page.evaluate(
        "id => document.getElementById(id).cnnviz.selected", explorer.element_id
    )
    assert (picked["row"], picked["col"]) == (row, max(0, col - 1))


def test_sliders_work_from_the_keyboard(open_page):
    explorer = conv_explorer()
    page = open_page(explorer)
    stride = page.root(explorer).locator('input[data-param="stride"]')
    stride.focus()
    page.page.keyboard.press("ArrowRight")
    state = page.state(explorer)
    assert state["params"]["stride"] == 2
    assert state["output"]["shape"] == [63, 63]
    assert page.root(explorer).locator('[data-value-for="stride"]').inner_text() == "2"


def test_every_control_has_a_label(open_page):
    explorer = conv_explorer(kernel="gabor")
    page = open_page(explorer)
    nameless = page.page.evaluate(
        """id => Array.from(
             document.getElementById(id).querySelectorAll('input, select, button, [tabindex]'),
             el => [el.outerHTML.slice(0, 80),
                    (el.getAttribute('aria-label') ||
                     Array.from(el.labels || [], l => l.textContent).join(' ')).trim()]
           ).filter(pair => !pair[1]).map(pair => pair[0])""",
        explorer.element_id,
    )
    assert not nameless


LAYOUT = """
id => {
  const root = document.getElementById(id);
  const outer = root.getBoundingClientRect();
  const boxes = Array.from(
    root.querySelectorAll('.cnnviz-choice, .cnnviz-control, .cnnviz-panel, .cnnviz-cell, ' +
                          '.cnnviz-window-view > *, .cnnviz-result'),
    el => [el.className, el.parentElement, el.getBoundingClientRect()]
  ).filter(b => b[2].width > 0);
  const problems = [];
  for (const [name, , r] of boxes) {
    if (r.left < outer.left - 0.5 || r.right > outer.right + 0.5) {
      problems.push('overflows: ' + name);
    }
  }
  for (let i = 0; i < boxes.length; i++) {
    for (let j = i + 1; j < boxes.length; j++) {
      const [a, pa, ra] = boxes[i];
      const [b, pb, rb] = boxes[j];
      if (pa !== pb) continue;  // siblings only: a cell lies inside its panel
      const w = Math.min(ra.right, rb.right) - Math.max(ra.left, rb.left);
      const h = Math.min(ra.bottom, rb.bottom) - Math.max(ra.top, rb.top);
      if (w > 0.5 && h > 0.5) problems.push('overlap: ' + a + ' / ' + b);
    }
  }
  if (root.scrollWidth > root.clientWidth + 1) problems.push('scrolls sideways');
  if (document.documentElement.scrollWidth > window.innerWidth) problems.push('page scrolls');
  return problems;
}
"""


@pytest.mark.parametrize("width", [1280, 390])
@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"kernel": "gabor", "padding": 8, "stride": 3},
        {"kernel": np.ones((7, 7))},
        {"kernel": "gaussian", "sigma": 2.5},
    ],
    ids=["sobel", "gabor", "custom7", "gaussian"],
)
def test_controls_neither_overlap_nor_overflow(open_page, width, kwargs):
    explorer = conv_explorer(**kwargs)
    page = open_page(explorer, width=width)
    assert page.page.evaluate(LAYOUT, explorer.element_id) == []
    assert page.root(explorer).bounding_box()["width"] <= 760
