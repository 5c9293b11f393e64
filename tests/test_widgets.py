"""Tests of cnnviz.widgets: drive the controls from code and compare with cnnviz.ops.

Every explorer's ``.output`` is checked against the op of :mod:`cnnviz.ops` called directly,
and the text it shows (shape, formula, message) against the sizing rules of ``ops`` and
:mod:`cnnviz.arithmetic`. Runs under ipywidgets 7.7 and 8.x without a browser or a kernel.
"""

import os
import re
from unittest import mock

import ipywidgets
import numpy as np
import pytest

from cnnviz import filters, images, ops
from cnnviz.arithmetic import formula_text
from cnnviz.palette import COLORS
from cnnviz.widgets import (
    ActivationExplorer,
    ArithmeticExplorer,
    ConvExplorer,
    PoolingExplorer,
    SoftmaxExplorer,
)

PNG = b"\x89PNG\r\n\x1a\n"
EXPLORERS = [ConvExplorer, ArithmeticExplorer, PoolingExplorer, ActivationExplorer, SoftmaxExplorer]


def conv_size_formula(i, k, p=0, s=1, d=1):
    """The formula as the explorers show it: the numbers filled in, then ``o``."""
    return formula_text(i, k, p, s, d, style="numbers")


def conv_transpose_size_formula(i, k, p=0, s=1, d=1, output_padding=0):
    return formula_text(
        i, k, p, s, d, transposed=True, output_padding=output_padding, style="numbers"
    )


def _last_number(text):
    """The number after the last '=' of a formula (a true minus sign becomes '-')."""
    return int(text.split("=")[-1].split("→")[0].strip().replace("−", "-"))


@pytest.fixture(scope="module")
def conv():
    """One ConvExplorer shared by the tests that reset every control they touch."""
    return ConvExplorer()


def _set(w, **values):
    for name, value in values.items():
        getattr(w, name).value = value


# ---------------------------------------------------------------------------------------------
# The formulas (cnnviz.arithmetic.formula_text, as the explorers show them)
# ---------------------------------------------------------------------------------------------


def test_conv_size_formula_matches_ops():
    for i in (5, 7, 28, 128):
        for k in (1, 2, 3, 5):
            for p in (0, 1, 2):
                for s in (1, 2, 3):
                    for d in (1, 2):
                        text = conv_size_formula(i, k, p, s, d)
                        assert text.startswith(f"o = ⌊({i} + 2·{p} − {d}·({k} − 1) − 1) / {s}⌋")
                        if d * (k - 1) + 1 > i + 2 * p:  # ops raises; the text says so
                            assert text.endswith("→ no output")
                        else:
                            assert _last_number(text) == ops.conv_output_size(i, k, p, s, d)


def test_conv_size_formula_says_when_there_is_no_output():
    text = conv_size_formula(6, 3, p=0, s=1, d=4)
    assert text.endswith("→ no output") and _last_number(text) < 1


def test_conv_transpose_size_formula_matches_ops():
    for i, k, p, s, d, op in [
        (5, 3, 0, 1, 1, 0),
        (64, 3, 1, 2, 1, 1),
        (4, 4, 1, 2, 1, 0),
        (3, 3, 2, 3, 2, 2),
        (7, 5, 1, 1, 3, 0),
    ]:
        text = conv_transpose_size_formula(i, k, p, s, d, op)
        assert _last_number(text) == ops.conv_transpose_output_size(i, k, p, s, d, op)


# ---------------------------------------------------------------------------------------------
# ConvExplorer
# ---------------------------------------------------------------------------------------------


def test_conv_default_is_the_spec_example(conv):
    _set(
        conv, image="photo", kernel="sobel_x", stride=2, padding=1, dilation=1, padding_mode="zeros"
    )
    assert conv.output.shape == (64, 64)
    assert conv.formula == "o = ⌊(128 + 2·1 − 1·(3 − 1) − 1) / 2⌋ + 1 = 64"
    assert "o = ⌊(128 + 2·1 − 1·(3 − 1) − 1) / 2⌋ + 1 = 64" in conv.info.value
    assert "64×64" in conv.output_caption.value and "64×64" in conv.info.value
    assert conv.message == "" and conv.alert.value == ""


@pytest.mark.parametrize(
    ("stride", "padding", "dilation", "mode"),
    [
        (1, 0, 1, "zeros"),
        (2, 1, 1, "reflect"),
        (3, 2, 2, "replicate"),
        (1, 4, 3, "circular"),
        (4, 8, 4, "zeros"),
    ],
)
def test_conv_output_matches_ops(conv, stride, padding, dilation, mode):
    _set(
        conv,
        image="photo",
        kernel="sobel_y",
        stride=stride,
        padding=padding,
        dilation=dilation,
        padding_mode=mode,
    )
    expected = ops.conv2d(
        images.SAMPLES["photo"](),
        filters.sobel_y(),
        stride=stride,
        padding=padding,
        dilation=dilation,
        padding_mode=mode,
    )
    np.testing.assert_allclose(conv.output, expected)
    size = ops.conv_output_size(128, 3, padding, stride, dilation)
    assert conv.output.shape == (size, size)
    assert f"{size}×{size}" in conv.info.value
    assert conv_size_formula(128, 3, padding, stride, dilation) == conv.formula
    assert bytes(conv.output_view.value).startswith(PNG)


def test_conv_every_image_and_preset(conv):
    _set(conv, kernel="sobel_x", stride=1, padding=1, dilation=1, padding_mode="zeros")
    for name in images.SAMPLES:
        conv.image.value = name
        np.testing.assert_allclose(conv.input_array, images.SAMPLES[name]())
        expected = ops.conv2d(images.SAMPLES[name](), filters.sobel_x(), padding=1)
        np.testing.assert_allclose(conv.output, expected, err_msg=name)
    for preset, make in filters.KERNELS.items():
        conv.kernel.value = preset
        np.testing.assert_allclose(conv.weight, make())
        expected = ops.conv2d(images.SAMPLES["stripes"](), make(), padding=1)
        np.testing.assert_allclose(conv.output, expected, err_msg=preset)
        assert preset in conv.kernel_caption.value


def test_conv_preset_fills_the_cells(conv):
    for preset in ("identity", "box", "sobel_x", "sobel_y", "laplacian", "sharpen", "emboss"):
        conv.kernel.value = preset
        cells = np.array([[cell.value for cell in row] for row in conv.cells])
        np.testing.assert_allclose(cells, filters.KERNELS[preset]())
        assert not any(cell.disabled for row in conv.cells for cell in row)


def test_conv_larger_preset_disables_the_cells_and_says_so(conv):
    conv.kernel.value = "gabor"
    assert conv.weight.shape == filters.gabor_kernel().shape
    assert all(cell.disabled for row in conv.cells for cell in row)
    assert "3×3 cells are off" in conv.info.value
    conv.kernel.value = "custom"
    assert not any(cell.disabled for row in conv.cells for cell in row)
    assert conv.weight.shape == (3, 3)


def test_conv_editing_a_cell_switches_to_custom_and_changes_the_output(conv):
    _set(
        conv,
        image="checkerboard",
        kernel="box",
        stride=1,
        padding=1,
        dilation=1,
        padding_mode="zeros",
    )
    before = conv.output.copy()
    conv.cells[1][1].value = 2.0
    assert conv.kernel.value == "custom"
    kernel = np.full((3, 3), 1 / 9)
    kernel[1, 1] = 2.0
    np.testing.assert_allclose(conv.weight, kernel)
    np.testing.assert_allclose(
        conv.output, ops.conv2d(images.checkerboard(64, 8), kernel, padding=1)
    )
    assert not np.allclose(conv.output, before)
    conv.cells[0][2].value = -1.0  # a second edit, already custom
    kernel[0, 2] = -1.0
    np.testing.assert_allclose(
        conv.output, ops.conv2d(images.checkerboard(64, 8), kernel, padding=1)
    )
    assert "custom" in conv.kernel_caption.value


def test_conv_kernel_that_does_not_fit_gives_a_message_and_no_output():
    w = ConvExplorer(image=np.linspace(0, 1, 36).reshape(6, 6))
    assert w.image.value == "your image"
    w.kernel.value = "sobel_x"
    w.padding.value = 0
    w.dilation.value = 4  # a 3x3 kernel with dilation 4 spans 9 pixels > 6
    assert w.output is None
    # ops decides (its error names the span and the padded input), the widget explains
    assert "does not fit" in w.message and "(9, 9)" in w.message and "(6, 6)" in w.message
    assert w.message.startswith("No output: ") and "Raise the padding" in w.message
    assert f"color:{COLORS['unreached']}" in w.alert.value and "does not fit" in w.alert.value
    assert "no output" in w.info.value
    assert bytes(w.output_view.value) == b""
    w.padding.value = 2  # 6 + 2*2 = 10 >= 9: fits again
    assert w.message == "" and w.alert.value == ""
    np.testing.assert_allclose(
        w.output, ops.conv2d(w.input_array, filters.sobel_x(), padding=2, dilation=4)
    )


def test_conv_impossible_reflect_padding_gives_a_message():
    w = ConvExplorer(image=np.ones((6, 6)))
    _set(w, padding_mode="reflect", padding=6)
    assert w.output is None
    assert "reflect" in w.message and "smaller than the input" in w.message
    w.padding_mode.value = "replicate"
    assert w.message == "" and w.output.shape == (16, 16)


def test_conv_notes_the_rows_a_stride_drops(conv):
    _set(conv, image="photo", kernel="sobel_x", stride=3, padding=0, dilation=1)
    assert conv.output.shape == (42, 42)  # (128 - 3) = 125 = 3*41 + 2
    assert "leaves the last 2 rows and columns" in conv.info.value


def test_conv_accepts_rgb_and_rejects_bad_images():
    rgb = np.random.default_rng(0).random((20, 30, 3))
    w = ConvExplorer(image=rgb)
    np.testing.assert_allclose(w.input_array, images.to_grayscale(rgb))
    assert w.output.shape == (20, 30)
    assert "height: " in w.info.value and "width: " in w.info.value
    with pytest.raises(ValueError, match="image must be"):
        ConvExplorer(image=np.ones((2, 3, 4, 5)))
    with pytest.raises(ValueError, match="image must be one of"):
        ConvExplorer(image="cat")
    assert ConvExplorer(image="disk").input_array.shape == (64, 64)


# ---------------------------------------------------------------------------------------------
# ArithmeticExplorer
# ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def arith():
    return ArithmeticExplorer()


@pytest.mark.parametrize(
    ("i", "k", "p", "s", "d"), [(5, 3, 0, 1, 1), (5, 3, 1, 2, 1), (7, 3, 0, 1, 2), (6, 4, 2, 3, 1)]
)
def test_arithmetic_matches_ops(arith, i, k, p, s, d):
    _set(arith, transposed=False, input_size=i, kernel_size=k, padding=p, stride=s, dilation=d)
    o = ops.conv_output_size(i, k, p, s, d)
    assert arith.output_size == o and arith.output.shape == (o, o)
    np.testing.assert_allclose(
        arith.output, ops.conv2d(np.ones((i, i)), np.ones((k, k)), stride=s, padding=p, dilation=d)
    )
    assert arith.formula == conv_size_formula(i, k, p, s, d)
    assert f"output {o}×{o}" in arith.info.value
    assert bytes(arith.view.value).startswith(PNG)
    assert arith.output_padding.disabled


@pytest.mark.parametrize(
    ("i", "k", "p", "s", "d", "op"),
    [
        (5, 3, 0, 1, 1, 0),
        (3, 3, 1, 2, 1, 1),
        (4, 4, 1, 2, 1, 0),
        (3, 3, 0, 2, 2, 1),
        (2, 5, 2, 3, 1, 2),
    ],
)
def test_arithmetic_transposed_toggle(arith, i, k, p, s, d, op):
    _set(
        arith,
        transposed=False,
        output_padding=0,
        input_size=i,
        kernel_size=k,
        padding=p,
        stride=s,
        dilation=d,
    )
    conv_formula = arith.formula
    _set(arith, transposed=True, output_padding=op)
    assert not arith.output_padding.disabled
    o = ops.conv_transpose_output_size(i, k, p, s, d, op)
    assert arith.output_size == o and arith.output.shape == (o, o)
    assert arith.formula == conv_transpose_size_formula(i, k, p, s, d, op) != conv_formula
    assert "transposed convolution" in arith.info.value
    np.testing.assert_allclose(
        arith.output, _conv_transpose_loop(np.ones((i, i)), np.ones((k, k)), p, s, d, op)
    )


def _conv_transpose_loop(x, kernel, p, s, d, op):
    """The textbook transposed convolution: each input pixel adds value * kernel, spread by
    the stride and dilation, into an output whose first p rows/columns are then cropped."""
    i, k = x.shape[0], kernel.shape[0]
    full = (i - 1) * s + d * (k - 1) + 1 + op
    out = np.zeros((full, full))
    for a in range(i):
        for b in range(i):
            for u in range(k):
                for v in range(k):
                    out[a * s + u * d, b * s + v * d] += x[a, b] * kernel[u, v]
    o = ops.conv_transpose_output_size(i, k, p, s, d, op)
    return out[p : p + o, p : p + o]


def test_arithmetic_impossible_settings(arith):
    _set(
        arith,
        transposed=False,
        output_padding=0,
        input_size=3,
        kernel_size=5,
        padding=0,
        stride=1,
        dilation=1,
    )
    assert arith.output is None and arith.output_size is None
    assert "does not fit" in arith.message and "no output" in arith.info.value
    arith.padding.value = 1  # 3 + 2 = 5: fits
    assert arith.message == "" and arith.output.shape == (1, 1)
    _set(arith, transposed=True, stride=2, output_padding=2)
    assert arith.output is None and "output_padding must be smaller" in arith.message
    assert "got 2" in arith.message
    arith.output_padding.value = 1
    assert arith.message == ""
    assert arith.output_size == ops.conv_transpose_output_size(3, 5, 1, 2, 1, 1)


def test_arithmetic_kernel_alias_and_arguments():
    w = ArithmeticExplorer(i=7, k=3, p=1, s=2, d=1)
    assert w.kernel is w.kernel_size and w.output_size == 4


# ---------------------------------------------------------------------------------------------
# PoolingExplorer
# ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def pool():
    return PoolingExplorer()


@pytest.mark.parametrize("mode", ["max", "avg", "min"])
@pytest.mark.parametrize(("k", "s", "p"), [(2, 2, 0), (3, 2, 1), (4, 4, 2), (5, 1, 0)])
def test_pooling_matches_ops(pool, mode, k, s, p):
    w = pool
    _set(w, image="stripes", mode=mode, kernel_size=k, stride=s, padding=p)
    op = {"max": ops.max_pool2d, "avg": ops.avg_pool2d, "min": ops.min_pool2d}[mode]
    np.testing.assert_allclose(w.output, op(images.SAMPLES["stripes"](), k, stride=s, padding=p))
    o = ops.conv_output_size(64, k, p, s)
    assert w.output.shape == (o, o) and f"output {o}×{o}" in w.info.value
    assert w.message == ""


def test_pooling_padding_rule_and_window_too_large():
    w = PoolingExplorer(image=np.arange(16.0).reshape(4, 4))
    _set(w, kernel_size=2, stride=2, padding=2)
    assert w.output is None and "at most half the window" in w.message
    assert w.kernel is w.kernel_size
    _set(w, padding=0, kernel_size=6)
    assert w.output is None and "does not fit" in w.message
    w.padding.value = 1  # 4 + 2 = 6: fits
    np.testing.assert_allclose(w.output, ops.max_pool2d(w.input_array, 6, stride=2, padding=1))


# ---------------------------------------------------------------------------------------------
# ActivationExplorer
# ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def act():
    return ActivationExplorer()


@pytest.mark.parametrize("name", ["relu", "leaky_relu", "sigmoid", "tanh", "gelu"])
def test_activation_matches_ops_and_its_derivative(act, name):
    _set(act, activation=name, negative_slope=0.2, x=-1.5)
    grid = act.grid
    expected = _activation_values(name, grid)
    np.testing.assert_allclose(act.output, expected)
    assert act.negative_slope.disabled == (name != "leaky_relu")
    x, fx, dfx = act.point
    assert x == -1.5
    np.testing.assert_allclose(fx, np.interp(-1.5, grid, expected), atol=1e-12)
    assert f"{name}(-1.50) = {fx:.4f}" in act.info.value
    h = 1e-6
    numerical = (_activation_values(name, grid + h) - _activation_values(name, grid - h)) / (2 * h)
    smooth = np.abs(grid) > 1e-3  # away from the kink of relu and leaky_relu at 0
    np.testing.assert_allclose(act.derivative[smooth], numerical[smooth], atol=1e-6)
    act.x.value = 0.0  # at the kink, torch's autograd gives 0 for relu, the slope for leaky
    at_zero = {"relu": 0.0, "leaky_relu": 0.2, "sigmoid": 0.25, "tanh": 1.0, "gelu": 0.5}
    assert act.point[2] == pytest.approx(at_zero[name])


def _activation_values(name, x):
    return {
        "relu": lambda: ops.relu(x),
        "leaky_relu": lambda: ops.leaky_relu(x, 0.2),
        "sigmoid": lambda: ops.sigmoid(x),
        "tanh": lambda: ops.tanh(x),
        "gelu": lambda: ops.gelu(x),
    }[name]()


def test_activation_slope_changes_the_curve(act):
    _set(act, activation="leaky_relu", negative_slope=0.05, x=-2.0)
    assert act.point == (-2.0, pytest.approx(-0.1), pytest.approx(0.05))
    act.negative_slope.value = 0.3
    assert act.point[1] == pytest.approx(-0.6)
    assert bytes(act.view.value).startswith(PNG)


# ---------------------------------------------------------------------------------------------
# SoftmaxExplorer
# ---------------------------------------------------------------------------------------------


def test_softmax_matches_ops_and_temperature_reshapes_it():
    w = SoftmaxExplorer()
    logits = np.array([2.5, 1.8, 0.2])
    np.testing.assert_allclose(w.output, ops.softmax(logits))
    assert "0.626" in w.info.value and w.temperature.value == 1.0

    def entropy(p):
        return float(-(p * np.log(p)).sum())

    w.temperature.value = 10.0
    hot = w.output.copy()
    np.testing.assert_allclose(hot, ops.softmax(logits, temperature=10.0))
    w.temperature.value = 0.1
    cold = w.output.copy()
    np.testing.assert_allclose(cold, ops.softmax(logits / 0.1))
    assert entropy(cold) < entropy(ops.softmax(logits)) < entropy(hot) < np.log(3)
    assert cold.argmax() == hot.argmax() == 0 and cold[0] > 0.999
    w.logits[2].value = 6.0  # the elephant logit overtakes
    np.testing.assert_allclose(w.output, ops.softmax([2.5, 1.8, 6.0], temperature=0.1))
    assert w.output.argmax() == 2 and "largest: elephant" in w.info.value
    np.testing.assert_allclose(w.output.sum(), 1.0)


def test_softmax_arguments():
    w = SoftmaxExplorer(logits=[0, 0, 0, 0], labels=None)
    np.testing.assert_allclose(w.output, 0.25)
    assert [s.description for s in w.logits] == ["class 0", "class 1", "class 2", "class 3"]
    with pytest.raises(ValueError, match="labels must have 2 entries, one per class, got 1"):
        SoftmaxExplorer(logits=(1, 2), labels=("a",))
    with pytest.raises(ValueError, match="logits must be"):
        SoftmaxExplorer(logits=(1,), labels=("a",))


# ---------------------------------------------------------------------------------------------
# Display, on ipywidgets 7 and 8
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("cls", EXPLORERS)
def test_each_explorer_displays(cls):
    w = cls()
    assert isinstance(w.widget, ipywidgets.Box)
    assert w.message == "" and w.output is not None
    bundle = w._repr_mimebundle_()
    view = bundle["application/vnd.jupyter.widget-view+json"]
    assert view["model_id"] == w.widget.model_id and view["version_major"] == 2
    assert "text/plain" in bundle
    with mock.patch("IPython.display.display") as display:
        w._ipython_display_()
    display.assert_called_once_with(w.widget)
    pictures = [c for c in _descendants(w.widget) if isinstance(c, ipywidgets.Image)]
    assert pictures and all(bytes(p.value).startswith(PNG) for p in pictures)
    assert re.match(r"<\w+Explorer: ", repr(w))


def _descendants(widget):
    yield widget
    for child in getattr(widget, "children", ()):
        yield from _descendants(child)


def _pixels(png):
    from io import BytesIO

    from PIL import Image

    return np.asarray(Image.open(BytesIO(bytes(png))))


@pytest.mark.parametrize("cls", EXPLORERS)
def test_first_view_is_in_the_saved_widget_state(cls):
    """The static page shows the widget state saved with the notebook: every picture of a
    freshly built explorer is in it, as PNG bytes, before any control moves."""
    from base64 import b64decode

    from ipywidgets.embed import embed_data

    w = cls()
    pictures = [c for c in _descendants(w.widget) if isinstance(c, ipywidgets.Image)]
    assert pictures
    state = embed_data(views=[w.widget])["manager_state"]["state"]
    for picture in pictures:
        saved = state[picture.model_id]
        (buffer,) = [b for b in saved.get("buffers", []) if b["path"] == ["value"]]
        png = b64decode(buffer["data"])
        assert png.startswith(PNG) and png == bytes(picture.value)
        assert _pixels(png).size > 0


def test_a_uniform_first_view_is_framed_and_captioned():
    """Max pooling a thin dark circle on white leaves only white: the first view of chapter 5.
    The picture is there (white on a white page): its frame shows where, its caption says why."""
    ring = images.disk(48, radius=18) - images.disk(48, radius=17)
    w = PoolingExplorer(1.0 - ring)
    assert w.mode.value == "max" and w.output.shape == (24, 24)
    assert (w.output == 1).all()
    pixels = _pixels(w.output_view.value)
    assert pixels.shape == (240, 240) and (pixels == 255).all()  # white, not missing
    for view in (w.input_view, w.output_view):
        assert view.layout.border == f"1px solid {COLORS['rule']}"
    assert "every value is 1: all white" in w.output_caption.value
    assert "black 0 · white 1" in w.input_caption.value  # the input has both
    w.mode.value = "min"  # the circle survives min pooling
    assert w.output.min() == 0 and "black 0 · white 1" in w.output_caption.value
    w.image.value = "photo"
    assert "every value" not in w.output_caption.value
    conv = ConvExplorer(image=np.full((8, 8), 0.5))
    _set(conv, kernel="sobel_x", padding=0)
    assert "every value is 0: all black" in conv.output_caption.value  # gray: 0 is black


def test_controls_have_the_contract_names():
    conv = ConvExplorer()
    for name in ("image", "kernel", "stride", "padding", "dilation"):
        assert isinstance(getattr(conv, name), ipywidgets.Widget), name
    pool = PoolingExplorer()
    for name in ("image", "kernel", "stride", "padding", "mode"):
        assert isinstance(getattr(pool, name), ipywidgets.Widget), name
    assert isinstance(SoftmaxExplorer().temperature, ipywidgets.Widget)


def test_pictures_show_the_output_pixel_for_pixel():
    from io import BytesIO

    from PIL import Image

    x = np.linspace(0, 1, 64).reshape(8, 8)
    w = PoolingExplorer(image=x)
    _set(w, mode="avg", kernel_size=2, stride=2)
    picture = np.asarray(Image.open(BytesIO(bytes(w.output_view.value))))
    assert picture.shape == (128, 128)  # 4x4 values, each a sharp 32x32 square
    np.testing.assert_array_equal(picture[::32, ::32], np.rint(w.output * 255).astype(np.uint8))
    assert "black 0 · white 1" in w.output_caption.value
    conv = ConvExplorer(image=x)
    _set(conv, kernel="sobel_x", padding=1)  # negative values: blue-white-red centred on 0
    assert conv.output.min() < 0 and "white 0" in conv.output_caption.value
    rgb = np.asarray(Image.open(BytesIO(bytes(conv.output_view.value))))
    assert rgb.shape == (256, 256, 3)


def test_arithmetic_transposed_padding_that_crops_everything():
    w = ArithmeticExplorer(i=1, k=1, p=1)
    w.transposed.value = True  # (1 - 1)*1 - 2 + 0 + 0 + 1 = -1
    assert w.output is None and w.output_size is None
    assert "crops 2·1 = 2 rows and columns" in w.message
    assert w.formula.endswith("= −1 → no output")


# ---------------------------------------------------------------------------------------------
# One home for each rule: the widgets use the registries of ops and the texts of arithmetic
# ---------------------------------------------------------------------------------------------


def test_activation_curves_come_from_the_registry(act):
    assert list(act.activation.options) == list(ops.ACTIVATIONS)
    for name, activation in ops.ACTIVATIONS.items():
        _set(act, activation=name, negative_slope=0.2)
        options = {"negative_slope": 0.2} if "negative_slope" in activation.options else {}
        np.testing.assert_array_equal(act.output, activation.function(act.grid, **options))
        np.testing.assert_array_equal(act.derivative, activation.derivative(act.grid, **options))


def test_padding_modes_are_those_of_ops(conv):
    assert tuple(conv.padding_mode.options) == tuple(ops.PADDING_MODES)


def test_refusals_quote_ops_and_add_advice():
    w = PoolingExplorer(image=np.ones((4, 4)))
    _set(w, kernel_size=2, stride=1, padding=2)
    with pytest.raises(ValueError) as err:
        ops.max_pool2d(w.input_array, 2, stride=1, padding=2)
    assert w.message.startswith(f"No output: {err.value}. ")
    assert len(w.message) > len(f"No output: {err.value}. ")  # and a sentence of advice
    conv = ConvExplorer(image=np.ones((4, 4)))
    _set(conv, padding=0, dilation=3)
    with pytest.raises(ValueError) as err:
        ops.conv2d(conv.input_array, conv.weight, dilation=3)
    assert conv.message.startswith(f"No output: {err.value}. ")


@pytest.mark.parametrize("mode", ["max", "avg", "min"])
def test_pooling_says_a_window_does_not_fit_without_dilation(mode):
    """Pooling here has no dilation: a window that does not fit is said with the error's
    facts in pooling's terms, as the kernel-free pooling explorer says it."""
    from cnnviz.explorers.pool import explain

    w = PoolingExplorer(image=np.ones((4, 4)))
    _set(w, mode=mode, kernel_size=6, stride=1, padding=0)
    with pytest.raises(ValueError) as err:
        {"max": ops.max_pool2d, "avg": ops.avg_pool2d, "min": ops.min_pool2d}[mode](
            w.input_array, 6, stride=1
        )
    assert "dilation" in str(err.value)  # ops' own words name it
    reason = "No output: the window (6, 6) does not fit the padded input (4, 4). "
    assert w.message == reason + "Raise the padding or narrow the window."
    assert explain(err.value).startswith(reason)  # the browser explorer's words


def test_both_arithmetic_explorers_use_the_same_names():
    from cnnviz.explorer import arithmetic_explorer

    browser, widget = (
        arithmetic_explorer(i=7, k=3, p=1, s=2),
        ArithmeticExplorer(i=7, k=3, p=1, s=2),
    )
    assert browser.output_size == widget.output_size == 4
    assert browser.formula == formula_text(7, 3, 1, 2)
    assert widget.formula == formula_text(7, 3, 1, 2, style="numbers")


def test_runs_under_the_ipywidgets_version_asked_for():
    """`make test` runs this file a second time under Colab's ipywidgets 7.7.1 (see Makefile)."""
    expected = os.environ.get("CNNVIZ_EXPECT_IPYWIDGETS")
    if not expected:
        pytest.skip("CNNVIZ_EXPECT_IPYWIDGETS is not set: the main environment's ipywidgets")
    assert ipywidgets.__version__ == expected
