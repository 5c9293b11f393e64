"""Tests of cnnviz.viz: each picture shows the right data, says the right thing in its titles,
every number it computes agrees with cnnviz.ops and cnnviz.arithmetic, its colours are those of
cnnviz.palette, and every argument is checked as everywhere in cnnviz."""

import dataclasses

import matplotlib.pyplot as plt
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from matplotlib.animation import AbstractMovieWriter, FuncAnimation
from matplotlib.colors import to_hex, to_rgb
from matplotlib.figure import Figure

from cnnviz import arithmetic, ops, palette, viz
from cnnviz.inspect import ReceptiveField, TopActivations
from cnnviz.viz import inspect as viz_inspect

D2L_X = np.arange(9).reshape(3, 3)
D2L_K = np.array([[0, 1], [2, 3]])
SOBEL = np.array([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]])
RNG = np.random.default_rng(0)


def data(ax, k=0):
    """The data (masked cells included) of image ``k`` of ``ax``."""
    return np.ma.getdata(ax.images[k].get_array())


def texts(ax):
    return [t.get_text() for t in ax.texts if t.get_visible()]


def with_gid(ax, gid):
    return [p for p in ax.patches if p.get_gid() == gid]


def printed(text):
    """The number a figure prints (with a true minus sign), as a float."""
    return float(text.replace("\u2212", "-"))


# ---------------------------------------------------------------------------------------------
# Figures
# ---------------------------------------------------------------------------------------------


def test_figures_stay_out_of_pyplot_and_render_as_png():
    fig = viz.show_kernel(SOBEL)
    assert isinstance(fig, Figure)
    assert plt.get_fignums() == []  # a notebook shows it once; a widget leaks nothing
    assert fig._repr_png_().startswith(b"\x89PNG")


def test_functions_draw_into_a_given_ax():
    fig, axes = plt.subplots(1, 3)
    assert viz.show_kernel(SOBEL, ax=axes[0]) is fig
    assert viz.show_image(D2L_X, ax=axes[1]) is fig
    assert viz.conv_arithmetic_diagram(5, 3, ax=axes[2]) is fig
    assert data(axes[0]).tolist() == SOBEL.tolist()


# ---------------------------------------------------------------------------------------------
# Images and kernels
# ---------------------------------------------------------------------------------------------


def test_show_image_gray_keeps_brightness_and_diverging_for_negative():
    image = np.linspace(0.2, 0.6, 12).reshape(3, 4)
    fig = viz.show_image(image, title="ramp")
    (ax,) = fig.axes
    assert ax.get_title() == "ramp"
    np.testing.assert_array_equal(data(ax), image)
    assert ax.images[0].get_cmap().name == "gray"
    assert (ax.images[0].norm.vmin, ax.images[0].norm.vmax) == (0, 1)  # no contrast stretch

    signed = np.array([[-1.0, 0.5], [2.0, 0.0]])
    fig = viz.show_image(signed, colorbar=True)
    assert len(fig.axes) == 2  # the image and its colorbar
    im = fig.axes[0].images[0]
    assert im.get_cmap().name == "RdBu_r"
    assert (im.norm.vmin, im.norm.vmax) == (-2, 2)


def test_cmap_norm_is_the_colour_rule_of_every_picture():
    cmap, norm = viz.cmap_norm(np.array([[0.2, 0.6]]))
    assert (cmap.name, norm.vmin, norm.vmax) == ("gray", 0, 1)  # [0, 1] images: no stretch
    cmap, norm = viz.cmap_norm(np.array([[0, 200]], dtype=np.uint8))
    assert (cmap.name, norm.vmin, norm.vmax) == ("gray", 0, 255)
    cmap, norm = viz.cmap_norm(np.array([[0.0, 7.0]]))
    assert (norm.vmin, norm.vmax) == (0, 7)
    cmap, norm = viz.cmap_norm(np.array([[-1.0, 3.0]]))
    assert (cmap.name, norm.vmin, norm.vmax) == (palette.DIVERGING, -3, 3)
    image = viz.show_image(np.array([[-1.0, 3.0]])).axes[0].images[0]
    assert (image.get_cmap().name, image.norm.vmin, image.norm.vmax) == (cmap.name, -3, 3)
    with pytest.raises(ValueError, match="cmap must be the name of a matplotlib colormap"):
        viz.cmap_norm(D2L_X, cmap="no such map")


def test_show_images_grid_titles_and_layouts():
    batch = RNG.random((5, 6, 6))
    fig = viz.show_images(batch, titles=list("abcde"), ncols=3)
    assert len(fig.axes) == 5  # the sixth cell of the 2x3 grid is removed
    assert [ax.get_title() for ax in fig.axes] == list("abcde")
    np.testing.assert_array_equal(data(fig.axes[4]), batch[4])

    nchw = RNG.random((2, 3, 4, 5))  # (N, C, H, W) batches are shown as RGB
    fig = viz.show_images(nchw)
    assert data(fig.axes[1]).shape == (4, 5, 3)
    with pytest.raises(ValueError, match="titles must have 2 entries, one per image, got 1"):
        viz.show_images(nchw, titles=["x"])


def test_show_kernel_prints_values_on_a_centred_diverging_map():
    fig = viz.show_kernel(SOBEL)
    (ax,) = fig.axes
    assert ax.get_title() == "kernel 3×3"
    np.testing.assert_array_equal(data(ax), SOBEL)
    norm = ax.images[0].norm
    assert (norm.vmin, norm.vmax) == (-2, 2)
    assert sorted(texts(ax)) == sorted(["−1", "0", "1", "−2", "0", "2", "−1", "0", "1"])

    big = viz.show_kernel(np.ones((15, 15)), title="box")
    assert len(big.axes) == 2 and texts(big.axes[0]) == []  # a colorbar instead of numbers
    with pytest.raises(
        ValueError, match=r"kernel must have 2 \(H, W\) dimensions, got shape \(3,\)"
    ):
        viz.show_kernel([1, 2, 3])


# ---------------------------------------------------------------------------------------------
# Convolution step and animation
# ---------------------------------------------------------------------------------------------


def test_conv_step_d2l_example():
    fig = viz.show_conv_step(D2L_X, D2L_K)
    assert fig.cnnviz == viz.ConvStepResult(value=19.0, position=(0, 0))
    assert fig.get_suptitle() == "stride=1, padding=0 → 2×2"
    inp, kernel, products, text, out = fig.axes  # in reading order
    np.testing.assert_array_equal(data(inp), D2L_X)
    np.testing.assert_array_equal(data(kernel), D2L_K)
    np.testing.assert_array_equal(data(products), D2L_X[:2, :2] * D2L_K)
    np.testing.assert_array_equal(data(out), ops.conv2d(D2L_X, D2L_K))
    assert texts(text) == ["y[0, 0] =\n  0×0 + 1×1\n+ 3×2 + 4×3\n= 19"]
    assert [ax.get_title() for ax in (inp, kernel, products, out)] == [
        "input 3×3",
        "kernel 2×2",
        "window × kernel",
        "output 2×2",
    ]


def test_conv_step_draws_padding_and_fills_the_output_up_to_the_position():
    x = RNG.integers(0, 9, (5, 5))
    fig = viz.show_conv_step(x, SOBEL, position=(1, 2), stride=2, padding=1)
    assert fig.get_suptitle() == "stride=2, padding=1 → 3×3"
    inp, out = fig.axes[0], fig.axes[4]
    assert inp.get_title() == "input 5×5, padded to 7×7"
    padded = inp.images[0].get_array()
    np.testing.assert_array_equal(np.ma.getdata(padded), ops.pad2d(x, 1))
    assert padded.mask.sum() == 7 * 7 - 5 * 5  # the padding ring is drawn apart ...
    assert len([p for p in inp.patches if p.get_gid() == "padding"]) == 4  # ... and hatched
    (window,) = with_gid(inp, "window")
    assert window.get_xy() == (4 - 0.5, 2 - 0.5)  # the window of output (1, 2) starts at (2, 4)
    assert (window.get_width(), window.get_height()) == (3, 3)
    np.testing.assert_array_equal(data(out), ops.conv2d(x, SOBEL, stride=2, padding=1))
    (current,) = with_gid(out, "current")
    assert current.get_xy() == (2 - 0.5, 1 - 0.5)  # output (1, 2) is outlined
    row, below = with_gid(out, "unfilled")  # the cells after (1, 2) are not filled yet
    assert (row.get_x(), row.get_width()) == (2.5, 0)  # nothing left in row 1 ...
    assert (below.get_y(), below.get_height()) == (1.5, 1)  # ... and row 2 still empty


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    size=st.integers(3, 7),
    k=st.integers(1, 3),
    stride=st.integers(1, 3),
    padding=st.integers(0, 2),
    dilation=st.integers(1, 2),
    seed=st.integers(0, 2**16),
)
def test_conv_step_value_matches_conv2d(size, k, stride, padding, dilation, seed):
    rng = np.random.default_rng(seed)
    x, w = rng.normal(size=(size, size)), rng.normal(size=(k, k))
    if dilation * (k - 1) + 1 > size + 2 * padding:
        with pytest.raises(ValueError, match="does not fit"):
            viz.show_conv_step(x, w, stride=stride, padding=padding, dilation=dilation)
        return
    expected = ops.conv2d(x, w, stride=stride, padding=padding, dilation=dilation)
    position = tuple(int(rng.integers(n)) for n in expected.shape)
    fig = viz.show_conv_step(x, w, position, stride=stride, padding=padding, dilation=dilation)
    assert fig.cnnviz.value == pytest.approx(expected[position], abs=1e-9)
    assert fig.cnnviz.position == position
    assert texts(fig.axes[3])[0].splitlines()[0] == f"y[{position[0]}, {position[1]}] ="
    plt.close("all")


def test_conv_step_large_image_has_no_numbers_but_a_highlight():
    fig = viz.show_conv_step(RNG.random((32, 32)), SOBEL, position=(10, 20), padding=1)
    inp, out = fig.axes[0], fig.axes[4]
    assert texts(inp) == [] and texts(out) == []
    total = fig.axes[3].texts[0].get_text().splitlines()[-1]
    assert total.startswith("≈ ")  # rounded to two decimals
    assert printed(total[2:]) == pytest.approx(fig.cnnviz.value, abs=0.005)
    ring = [line for line in out.lines if line.get_visible()]
    assert [(line.get_xdata()[0], line.get_ydata()[0]) for line in ring] == [(20, 10)]


def test_conv_step_refuses_bad_positions_and_kernels_with_clear_messages():
    with pytest.raises(ValueError, match=r"position must be inside the 2×2 output .*got \(2, 0\)"):
        viz.show_conv_step(D2L_X, D2L_K, position=(2, 0))
    with pytest.raises(arithmetic.KernelDoesNotFitError, match="does not fit"):
        viz.show_conv_step(D2L_X, np.ones((4, 4)))
    with pytest.raises(TypeError, match="stride must be an int or a pair of ints, got 1.0"):
        viz.show_conv_step(D2L_X, D2L_K, stride=1.0)  # a type error, as in cnnviz.ops


def test_animate_conv_subsamples_to_max_frames():
    anim = viz.animate_conv(RNG.random((9, 9)), SOBEL, max_frames=6)
    assert isinstance(anim, FuncAnimation)
    positions = anim.cnnviz.positions  # 49 positions, 6 frames from first to last
    assert len(positions) == 6 and positions[0] == (0, 0) and positions[-1] == (6, 6)
    assert list(positions) == sorted(positions)
    assert anim.to_jshtml().count("data:image/png;base64") == 6


class Recorder(AbstractMovieWriter):
    """A movie writer that keeps, for each frame, what its figure says it shows."""

    def setup(self, fig, outfile, dpi=None):
        super().setup(fig, outfile, dpi)
        self.frames = []

    def grab_frame(self, **savefig_kwargs):
        self.frames.append(self.fig.cnnviz)

    def finish(self):
        pass


def test_animate_conv_exports_every_frame():
    x = RNG.integers(0, 9, (7, 7))
    anim = viz.animate_conv(x, SOBEL)  # 25 positions, all of them frames
    html = anim.to_jshtml()
    assert len(anim.cnnviz.positions) == 25
    assert html.count("data:image/png;base64") == 25
    recorder = Recorder()
    anim.save("unused", writer=recorder)  # each frame carries the value of its position
    expected = ops.conv2d(x, SOBEL)
    assert [frame.position for frame in recorder.frames] == list(anim.cnnviz.positions)
    assert [frame.value for frame in recorder.frames] == [
        expected[p] for p in anim.cnnviz.positions
    ]


# ---------------------------------------------------------------------------------------------
# Feature maps and pooling
# ---------------------------------------------------------------------------------------------


def test_show_feature_maps_grid_with_colorbars():
    maps = RNG.normal(size=(1, 5, 6, 6))
    fig = viz.show_feature_maps(maps)
    assert len(fig.axes) == 10  # five maps, five colorbars
    images = [ax for ax in fig.axes if ax.images]
    assert [ax.get_title() for ax in images] == [f"channel {c}" for c in range(5)]
    np.testing.assert_array_equal(data(images[3]), maps[0, 3])
    assert images[0].images[0].get_cmap().name == "RdBu_r"

    relu = viz.show_feature_maps(
        [np.abs(m) for m in maps[0, :2]], titles=["a", "b"], colorbar=False
    )
    assert len(relu.axes) == 2 and relu.axes[0].images[0].get_cmap().name == "gray"


X_POOL = np.array([[1, 0, 2, 3], [4, 6, 6, 8], [3, 1, 1, 0], [1, 2, 2, 4]])


@pytest.mark.parametrize(
    ("mode", "position", "value", "chosen", "op"),
    [
        ("max", (0, 1), 8, (1, 3), ops.max_pool2d),
        ("min", (1, 0), 1, (2, 1), ops.min_pool2d),  # the first 1 in row-major order
        ("avg", (1, 1), 1.75, None, ops.avg_pool2d),
    ],
)
def test_pooling_step(mode, position, value, chosen, op):
    fig = viz.show_pooling_step(X_POOL, 2, position=position, mode=mode)
    assert fig.cnnviz == viz.PoolingStepResult(value, chosen)
    assert fig.get_suptitle() == f"{mode} pooling 2×2, stride=2 → 2×2"
    inp, text, out = fig.axes
    np.testing.assert_array_equal(data(inp), X_POOL)
    np.testing.assert_array_equal(data(out), op(X_POOL, 2))
    assert texts(text)[0].endswith(f"= {value:g}")
    circles = [line for line in inp.lines if line.get_gid() == "chosen"]
    assert len(circles) == (chosen is not None)
    if chosen:
        assert (circles[0].get_ydata()[0], circles[0].get_xdata()[0]) == chosen
        assert to_hex(circles[0].get_markeredgecolor()) == palette.CHOSEN


def test_pooling_step_overlapping_windows_and_bad_mode():
    fig = viz.show_pooling_step(X_POOL, 3, stride=1, position=(1, 1))
    assert fig.cnnviz.value == 8 and fig.get_suptitle().endswith("→ 2×2")
    with pytest.raises(ValueError, match="mode must be one of 'max', 'avg', 'min'"):
        viz.show_pooling_step(X_POOL, mode="median")


# ---------------------------------------------------------------------------------------------
# Activations and softmax
# ---------------------------------------------------------------------------------------------


def test_plot_activations_functions_and_derivatives():
    fig = viz.plot_activations()
    assert [ax.get_title() for ax in fig.axes] == [
        "ReLU",
        "leaky ReLU (slope 0.1)",
        "sigmoid",
        "tanh",
        "GELU",
    ]
    for ax in fig.axes:
        assert [t.get_text() for t in ax.get_legend().get_texts()] == ["f(x)", "f′(x)"]
    f, df = [line for line in fig.axes[2].lines if line.get_label() in ("f(x)", "f′(x)")]
    x = f.get_xdata()
    np.testing.assert_allclose(f.get_ydata(), ops.sigmoid(x))
    s = ops.sigmoid(x)
    np.testing.assert_allclose(df.get_ydata()[1:-1], (s * (1 - s))[1:-1], atol=1e-4)
    np.testing.assert_allclose(df.get_ydata(), s * (1 - s), rtol=1e-12)  # exact, at the ends too
    relu_slope = fig.axes[0].lines[-1].get_ydata()
    np.testing.assert_allclose(relu_slope[np.abs(x) > 0.005], x[np.abs(x) > 0.005] > 0)
    np.testing.assert_array_equal(relu_slope, x > 0)  # 0 at 0, as autograd

    assert len(viz.plot_activations("tanh", derivatives=False).axes[0].get_legend().texts) == 1
    with pytest.raises(ValueError, match="names must be one of 'relu', .*, got 'swish'"):
        viz.plot_activations(["swish"])


@pytest.mark.parametrize("name", list(ops.ACTIVATIONS))
def test_plot_activations_draws_the_registry(name):
    """f and f′ are those of ops.ACTIVATIONS; leaky ReLU with slope 0.1, so that it shows."""
    (ax,) = viz.plot_activations(name).axes
    activation = ops.ACTIVATIONS[name]
    f, df = [line for line in ax.lines if line.get_label() in ("f(x)", "f′(x)")]
    x = f.get_xdata()
    options = {"negative_slope": 0.1} if name == "leaky_relu" else {}
    np.testing.assert_array_equal(f.get_ydata(), activation.function(x, **options))
    np.testing.assert_array_equal(df.get_ydata(), activation.derivative(x, **options))
    assert ax.get_title().startswith(activation.label)


def test_plot_softmax_bars_are_the_probabilities():
    fig = viz.plot_softmax([2.5, 1.8, 0.2], ["cat", "dog", "elephant"], temperature=0.5)
    (ax,) = fig.axes
    assert ax.get_title() == "softmax(z / T) with temperature T = 0.5"
    heights = [bar.get_height() for bar in ax.patches]
    np.testing.assert_allclose(heights, ops.softmax([2.5, 1.8, 0.2], temperature=0.5))
    assert [t.get_text() for t in ax.get_xticklabels()] == [
        "cat\nz = 2.5",
        "dog\nz = 1.8",
        "elephant\nz = 0.2",
    ]
    assert to_hex(ax.patches[0].get_facecolor()) == viz.HIGHLIGHT.lower()  # the argmax
    np.testing.assert_array_equal(fig.cnnviz.probabilities, heights)
    with pytest.raises(ValueError, match="labels must have 3 entries, one per logit, got 2"):
        viz.plot_softmax([2.5, 1.8, 0.2], ["cat", "dog"])


# ---------------------------------------------------------------------------------------------
# Convolution arithmetic
# ---------------------------------------------------------------------------------------------


def centres(fig):
    (dots,) = [line for line in fig.axes[0].lines if line.get_gid() == "window-centres"]
    return len(dots.get_xdata())


def test_arithmetic_diagram_formula_and_positions():
    fig = viz.conv_arithmetic_diagram(5, 3, p=1, s=2)
    setting, formula = fig.axes[0].get_title().splitlines()
    assert setting == "i=5, k=3, p=1, s=2, d=1 → o=3"
    assert formula.endswith("= ⌊(5 + 2·1 − 1·(3 − 1) − 1) / 2⌋ + 1 = ⌊4 / 2⌋ + 1 = 3")
    assert formula == arithmetic.formula_text(5, 3, p=1, s=2)  # the one renderer
    assert fig.cnnviz.output_size == ops.conv_output_size(5, 3, 1, 2) == 3
    assert centres(fig) == 9 and fig.cnnviz.unreached == 0
    roles = data(fig.axes[0])
    assert roles.shape == (7, 7) and (roles == 1).sum() == 25  # 5x5 input in a ring of 1
    (output,) = [im for im in fig.axes[0].images if im.get_gid() == "output"]
    assert output.get_array().shape == (3, 3)


@pytest.mark.parametrize(
    ("i", "k", "p", "s", "d", "unreached"),
    [(6, 3, 0, 2, 1, 1), (9, 2, 0, 4, 1, 3), (11, 3, 1, 3, 2, 2)],
)
def test_arithmetic_diagram_shades_what_the_stride_never_reaches(i, k, p, s, d, unreached):
    fig = viz.conv_arithmetic_diagram(i, k, p, s, d)
    assert (i + 2 * p - d * (k - 1) - 1) % s == unreached == fig.cnnviz.unreached
    assert unreached == arithmetic.unreached(i, k, p, s, d)
    patches = fig.axes[0].patches
    assert len([q for q in patches if q.get_gid() == "unreached-row"]) == unreached
    assert len([q for q in patches if q.get_gid() == "unreached-column"]) == unreached
    assert "never reached" in fig.cnnviz.note
    numerator = i + 2 * p - d * (k - 1) - 1
    assert f"= {numerator} mod {s} = {unreached}:" in fig.cnnviz.note
    assert centres(fig) == ops.conv_output_size(i, k, p, s, d) ** 2


def test_arithmetic_diagram_says_when_the_kernel_does_not_fit():
    fig = viz.conv_arithmetic_diagram(3, 5)  # no exception
    assert fig.cnnviz.output_size is None
    with pytest.raises(arithmetic.KernelDoesNotFitError) as error:
        arithmetic.output_size(3, 5)
    assert "does not fit" in fig.cnnviz.note
    assert fig.cnnviz.note == str(error.value)  # one wording of "the kernel does not fit"
    assert fig.axes[0].get_legend().get_title().get_text() == fig.cnnviz.note
    assert fig.axes[0].get_title().splitlines()[0] == "i=3, k=5, p=0, s=1, d=1 → no output"
    assert fig.axes[0].get_title().splitlines()[1] == arithmetic.formula_text(3, 5)
    with pytest.raises(ValueError, match="k must be positive, got 0"):
        viz.conv_arithmetic_diagram(3, 0)
    with pytest.raises(TypeError, match="k must be an int, got 3.0"):
        viz.conv_arithmetic_diagram(3, 3.0)


def test_arithmetic_diagram_transposed():
    fig = viz.conv_arithmetic_diagram(3, 3, p=1, s=2, transposed=True, output_padding=1)
    o = ops.conv_transpose_output_size(3, 3, 1, 2, output_padding=1)
    assert fig.cnnviz.output_size == o == 6
    title = fig.axes[0].get_title().splitlines()
    assert title[0] == "transposed: i=3, k=3, p=1, s=2, d=1, output_padding=1 → o=6"
    assert title[1] == arithmetic.TRANSPOSE_FORMULA
    assert title[2] == "o = (3 − 1)·2 − 2·1 + 1·(3 − 1) + 1 + 1 = 6"
    roles = data(fig.axes[0])
    assert (roles == 1).sum() == 9 and (roles == 2).sum() == 25 - 9  # input, inserted zeros
    assert centres(fig) == 36
    bad = viz.conv_arithmetic_diagram(3, 3, s=2, transposed=True, output_padding=2)
    assert bad.cnnviz.output_size is None and "output_padding" in bad.cnnviz.note
    with pytest.raises(ValueError) as error:
        arithmetic.transpose_output_size(3, 3, s=2, output_padding=2)
    assert bad.cnnviz.note == str(error.value)


# ---------------------------------------------------------------------------------------------
# Training
# ---------------------------------------------------------------------------------------------


def test_plot_history_and_redraw_in_place():
    history = {
        "train_loss": [2.0, 1.0],
        "val_loss": [2.2, 1.4],
        "train_acc": [0.5, 0.7],
        "val_acc": [0.45, 0.6],
    }
    fig = viz.plot_history(history)
    assert [ax.get_title() for ax in fig.axes] == ["loss", "accuracy"]
    loss = fig.axes[0].lines
    assert [line.get_label() for line in loss] == ["train (last 1.000)", "val (last 1.400)"]
    accuracy = [line.get_label() for line in fig.axes[1].lines]
    assert accuracy == ["train (last 70.0%)", "val (last 60.0%)"]
    np.testing.assert_array_equal(loss[1].get_xdata(), [1, 2])
    np.testing.assert_array_equal(loss[1].get_ydata(), [2.2, 1.4])

    history = {key: [*values, values[-1]] for key, values in history.items()}
    assert viz.plot_history(history, fig=fig) is fig
    assert len(fig.axes) == 2 and len(fig.axes[1].lines[0].get_xdata()) == 3

    assert len(viz.plot_history({"train_loss": [1.0]}).axes) == 1
    with pytest.raises(ValueError, match="history must have one of 'train_loss', .*got keys"):
        viz.plot_history({"lr": [0.1]})


def test_confusion_matrix_counts_and_fractions():
    y_true = RNG.integers(0, 4, 200)
    y_pred = np.where(RNG.random(200) < 0.7, y_true, RNG.integers(0, 4, 200))
    counts = np.zeros((4, 4), int)
    for t, p in zip(y_true, y_pred, strict=True):
        counts[t, p] += 1
    classes = ["cat", "dog", "frog", "ship"]
    fig = viz.plot_confusion_matrix(y_true, y_pred, classes, normalize=False)
    (ax,) = fig.axes
    np.testing.assert_array_equal(data(ax), counts)
    assert [t.get_text() for t in ax.get_yticklabels()] == classes
    assert ax.get_xlabel() == "predicted" and ax.get_ylabel() == "true"
    assert f"accuracy {np.trace(counts) / 200:.1%} of 200" in ax.get_title()
    assert sorted(texts(ax)) == sorted(str(c) for c in counts.ravel())

    normalized = data(viz.plot_confusion_matrix(y_true, y_pred, classes).axes[0])
    np.testing.assert_allclose(normalized, counts / counts.sum(axis=1, keepdims=True))
    with pytest.raises(ValueError, match=r"y_pred must hold class indices in \[0, 4\)"):
        viz.plot_confusion_matrix([0, 1], [0, 4], classes)


def test_show_predictions_marks_wrong_ones_in_red():
    images = RNG.random((5, 1, 8, 8))  # (N, C, H, W) as a DataLoader gives them
    y_true, y_pred = [0, 1, 2, 1, 0], [0, 2, 2, 1, 1]
    fig = viz.show_predictions(images, y_true, y_pred, ["a", "b", "c"], ncols=3)
    assert len(fig.axes) == 5
    assert [ax.get_title() for ax in fig.axes] == ["a", "c\n(true: b)", "c", "b", "b\n(true: a)"]
    red = [ax for ax in fig.axes if to_hex(ax.title.get_color()) == viz.CHOSEN]
    assert len(red) == 2
    np.testing.assert_array_equal(data(fig.axes[2]), images[2, 0])
    assert fig.get_suptitle() == "3 of 5 right (wrong ones in red)"
    titled = viz.show_predictions(images, y_true, y_pred, ["a", "b", "c"], title="mistakes")
    assert titled.get_suptitle() == "mistakes"


# ---------------------------------------------------------------------------------------------
# Inside a trained network (chapter 12)
# ---------------------------------------------------------------------------------------------


def test_show_filters_scales_each_filter_and_sorts_by_brightness_share():
    weight = RNG.normal(size=(5, 3, 4, 4))
    weight[2] = weight[2, :1]  # the same weights in R, G and B: blind to colour
    weight[4] = 0.0  # a dead filter is mid-grey
    fig = viz.show_filters(weight, references={"Sobel x": SOBEL})
    result = fig.cnnviz
    mean = weight.mean(axis=1)
    expected = 3 * (mean**2).sum(axis=(1, 2)) / np.maximum((weight**2).sum(axis=(1, 2, 3)), 1e-300)
    expected[4] = 1.0
    np.testing.assert_allclose(result.brightness, expected)
    assert result.order[0] in (2, 4) and list(result.order) == sorted(
        range(5), key=lambda i: -result.brightness[i]
    )
    np.testing.assert_allclose(result.scales, np.abs(weight).max(axis=(1, 2, 3)))
    panels = [ax for ax in fig.axes if ax.images]
    first = result.order[0]
    assert panels[0].get_title() == str(first)
    shown = 0.5 + 0.5 * weight[first] / (result.scales[first] or 1.0)
    np.testing.assert_allclose(data(panels[0]), shown.transpose(1, 2, 0))
    dead = panels[result.order.index(4)]
    np.testing.assert_allclose(data(dead), 0.5)
    np.testing.assert_allclose(data(panels[-1]), 0.5 + 0.5 * SOBEL / 2)  # grey = 0, as the filters
    assert panels[-1].get_title() == "Sobel x"
    unsorted = viz.show_filters(weight, sort=False).cnnviz
    assert unsorted.order == (0, 1, 2, 3, 4) and unsorted.brightness == result.brightness
    with pytest.raises(ValueError, match="weight must be .* with C 1 or 3"):
        viz.show_filters(np.zeros((2, 2, 3, 3)))


def test_show_layer_maps_picks_the_busiest_channels_on_one_scale_per_layer():
    image = RNG.random((3, 8, 8))
    maps = {"early": RNG.normal(size=(5, 8, 8)), "late": RNG.random((3, 2, 2))}
    maps["early"][3] += 2.0  # the busiest channel of the first layer
    fields = {"early": ReceptiveField(3, 1, -1), "late": ReceptiveField(12, 4, -6)}
    fig = viz.show_layer_maps(image, maps, fields, n=2, title="one image")
    result = fig.cnnviz
    assert result.channels["early"][0] == 3 and len(result.channels["early"]) == 2
    assert result.channels["late"] == tuple(np.argsort(-maps["late"].mean(axis=(1, 2)))[:2])
    rows = [ax for ax in fig.axes if ax.images and ax.get_ylabel()]
    assert [ax.get_ylabel() for ax in rows] == ["early\n5×8×8\nfield 3", "late\n3×2×2\nfield 12"]
    early = [ax for ax in fig.axes if ax.get_title().startswith("channel")][:2]
    assert [ax.get_title() for ax in early] == [f"channel {c}" for c in result.channels["early"]]
    norms = {(ax.images[0].norm.vmin, ax.images[0].norm.vmax) for ax in early}
    assert norms == {result.limits["early"]}  # one scale for the row
    low, high = result.limits["early"]
    assert low == -high  # diverging around 0: the maps go negative
    (square,) = rows[0].patches  # the centre unit (4, 4) sees rows and columns 3..5
    assert (square.get_xy(), square.get_width()) == ((2.5, 2.5), 3)
    (whole,) = rows[1].patches  # a field larger than the image frames all of it
    assert (whole.get_xy(), whole.get_width(), whole.get_height()) == ((-0.5, -0.5), 8, 8)
    assert to_hex(square.get_edgecolor()) == palette.COLORS["highlight"]
    with pytest.raises(ValueError, match="fields must have the keys of maps"):
        viz.show_layer_maps(image, maps, {"early": fields["early"]})


def _tops(size=3, k=2, starts=(-1, 0)):
    """A TopActivations with crops of side ``size`` whose windows start at row/col ``starts``."""
    field = ReceptiveField(size=size, jump=1, start=starts[0])
    positions = np.array([[0, 0], [starts[1] - starts[0], starts[1] - starts[0]]])[:k]
    crops = np.full((k, 3, size, size), 0.25)
    return TopActivations(np.arange(k), np.ones(k), positions, crops, field)


def test_show_top_activations_denormalizes_and_marks_what_lies_past_the_image():
    tops = [_tops(), _tops()]
    fig = viz.show_top_activations(
        tops, ["a", "b"], mean=[0.5, 0.5, 0.5], std=[2.0, 2.0, 2.0], image_size=(4, 4)
    )
    first, second = fig.axes[0], fig.axes[1]
    assert first.get_ylabel() == "a" and fig.axes[2].get_ylabel() == "b"
    crop = data(first)  # unit 0 sees rows and columns -1..1: the first row and column are padding
    padding = np.array(to_rgb(palette.COLORS["padding"]))
    np.testing.assert_allclose(crop[0, 0], padding)
    np.testing.assert_allclose(crop[1:, 1:], 0.25 * 2.0 + 0.5)  # crop * std + mean
    (edge,) = first.patches
    assert edge.get_xy() == (0.5, 0.5) and to_hex(edge.get_edgecolor()) == viz.HIGHLIGHT
    assert not second.patches  # unit 1 sees rows 0..2: inside the image, no frame
    np.testing.assert_allclose(data(second), 0.25 * 2.0 + 0.5)
    with pytest.raises(TypeError, match="tops must hold cnnviz.inspect.TopActivations"):
        viz.show_top_activations([object()], ["a"])
    with pytest.raises(ValueError, match="titles must have 2 entries, one per row, got 1"):
        viz.show_top_activations(tops, ["a"])


def test_show_attributions_scales_gradient_maps_and_keeps_occlusion_units():
    images = RNG.random((2, 3, 6, 6))
    maps = {"saliency": 3.0 * RNG.random((2, 6, 6)), "occlusion": RNG.normal(size=(2, 6, 6))}
    fig = viz.show_attributions(images, maps, titles=["x", "y"], units={"occlusion": "drop"})
    result = fig.cnnviz
    assert result.methods == ("saliency", "occlusion")
    np.testing.assert_allclose(result.peaks["saliency"], maps["saliency"].max(axis=(1, 2)))
    panels = [ax for ax in fig.axes if ax.images]
    grid = np.array(panels).reshape(2, 3)
    assert [ax.get_title() for ax in grid[0]] == ["image", "saliency", "occlusion"]
    assert [ax.get_ylabel() for ax in grid[:, 0]] == ["x", "y"]
    for i in range(2):
        np.testing.assert_allclose(
            data(grid[i, 1]), maps["saliency"][i] / maps["saliency"][i].max()
        )
        np.testing.assert_allclose(data(grid[i, 2]), maps["occlusion"][i])  # its own units
    m = np.abs(maps["occlusion"]).max()
    assert result.limits == {"saliency": (0.0, 1.0), "occlusion": (-m, m)}
    assert {(ax.images[0].norm.vmin, ax.images[0].norm.vmax) for ax in grid[:, 2]} == {(-m, m)}
    assert grid[0, 2].images[0].get_cmap().name == palette.DIVERGING
    bars = [ax for ax in fig.axes if not ax.images]
    assert sorted(ax.get_ylabel() or ax.get_xlabel() for ax in bars) == [
        "drop",
        "share of the map's largest value",
    ]
    with pytest.raises(ValueError, match="maps must have 2 maps per entry"):
        viz.show_attributions(images, {"saliency": maps["saliency"][:1]})
    with pytest.raises(ValueError, match="images must hold values in"):
        viz.show_attributions(images * 300, maps)


def test_plot_fgsm_accuracy_writes_every_value_on_the_curve():
    fig = viz.plot_fgsm_accuracy([0, 1, 2, 4], [0.86, 0.5, 0.25, 0.05], chance=0.1)
    (ax,) = fig.axes
    curve, chance = ax.get_lines()
    np.testing.assert_allclose(curve.get_ydata(), [86, 50, 25, 5])
    np.testing.assert_allclose(chance.get_ydata(), [10, 10])
    assert [t.get_text() for t in ax.texts] == ["86 %", "50 %", "25 %", "5 %"]
    with pytest.raises(ValueError, match=r"accuracy must lie in \[0, 1\]"):
        viz.plot_fgsm_accuracy([0, 1], [0.5, 50.0])
    with pytest.raises(ValueError, match="one value per level"):
        viz.plot_fgsm_accuracy([0, 1], [0.5])


def test_show_adversarial_magnifies_the_change_around_grey():
    image = RNG.random((3, 5, 5)) * 0.9 + 0.05
    change = RNG.choice([-1.0, 0.0, 1.0], size=image.shape) / 255
    fig = viz.show_adversarial(image, image + change, titles=["cat (90%)", "dog (60%)"])
    assert fig.cnnviz == viz_inspect.AdversarialResult(max_change=pytest.approx(1.0), magnify=127.5)
    before, after, shown = fig.axes
    assert (before.get_title(), after.get_title()) == ("cat (90%)", "dog (60%)")
    np.testing.assert_allclose(data(after), (image + change).transpose(1, 2, 0))
    expected = (0.5 + 127.5 * change).transpose(1, 2, 0)
    np.testing.assert_allclose(data(shown), expected, atol=1e-12)
    assert shown.get_title().startswith("change × 128")
    same = viz.show_adversarial(image, image)  # nothing changed: grey, magnified by 1
    assert same.cnnviz.max_change == 0 and same.cnnviz.magnify == 1.0
    with pytest.raises(ValueError, match="adversarial must have the image's shape"):
        viz.show_adversarial(image, image[:, :4])


def test_plot_embedding_names_each_class_at_its_median():
    points = RNG.normal(size=(30, 2)) + np.repeat([[0, 0], [10, 0], [0, 10]], 10, axis=0)
    labels = np.repeat([0, 1, 2], 10)
    fig = viz.plot_embedding(points, labels, ["cat", "dog", "ship", "frog"], title="t-SNE")
    centres = np.array(fig.cnnviz.centres)
    np.testing.assert_allclose(centres[:3], [np.median(points[labels == c], 0) for c in range(3)])
    assert np.isnan(centres[3]).all()  # no frog among the points: no name
    (ax,) = fig.axes
    assert [t.get_text() for t in ax.texts] == ["cat", "dog", "ship"]
    assert sum(len(c.get_offsets()) for c in ax.collections) == 30
    with pytest.raises(ValueError, match=r"labels must hold class indices in \[0, 4\)"):
        viz.plot_embedding(points, labels + 2, ["cat", "dog", "ship", "frog"])


def test_inspect_figures_hand_back_frozen_records():
    records = [
        viz.show_filters(np.ones((1, 3, 2, 2))).cnnviz,
        viz.show_layer_maps(np.zeros((2, 2)), {"a": np.ones((1, 2, 2))}).cnnviz,
        viz.show_attributions(np.zeros((1, 2, 2)), {"a": np.ones((1, 2, 2))}).cnnviz,
        viz.show_adversarial(np.zeros((2, 2)), np.zeros((2, 2))).cnnviz,
        viz.plot_embedding(np.zeros((1, 2)), [0], ["a"]).cnnviz,
    ]
    for record in records:
        field = dataclasses.fields(record)[0].name
        with pytest.raises(dataclasses.FrozenInstanceError):
            setattr(record, field, None)


# ---------------------------------------------------------------------------------------------
# What the figures hand back, their colours, their arguments
# ---------------------------------------------------------------------------------------------


@pytest.mark.filterwarnings("ignore:Animation was deleted")
def test_results_are_frozen_records_on_fig_cnnviz():
    results = [
        viz.show_conv_step(D2L_X, D2L_K).cnnviz,
        viz.show_pooling_step(X_POOL).cnnviz,
        viz.plot_softmax([1.0, 2.0]).cnnviz,
        viz.conv_arithmetic_diagram(5, 3).cnnviz,
        viz.animate_conv(D2L_X, D2L_K).cnnviz,
    ]
    kinds = [
        viz.ConvStepResult,
        viz.PoolingStepResult,
        viz.SoftmaxResult,
        viz.ArithmeticResult,
        viz.AnimationResult,
    ]
    for result, kind in zip(results, kinds, strict=True):
        assert type(result) is kind
        field = dataclasses.fields(result)[0].name
        with pytest.raises(dataclasses.FrozenInstanceError):
            setattr(result, field, None)
    with pytest.raises(ValueError, match="read-only"):
        results[2].probabilities[0] = 1.0
    assert not [name for name in vars(viz.show_conv_step(D2L_X, D2L_K)) if "cnnviz_" in name]


def test_colours_come_from_the_palette():
    assert (viz.HIGHLIGHT, viz.CHOSEN, viz.DIVERGING) == (
        palette.HIGHLIGHT,
        palette.CHOSEN,
        palette.DIVERGING,
    )
    fig = viz.show_conv_step(D2L_X, D2L_K, padding=1)
    (window,) = with_gid(fig.axes[0], "window")
    assert to_hex(window.get_edgecolor()) == palette.COLORS["highlight"]
    bad = fig.axes[0].images[0].get_cmap().get_bad()
    assert to_hex(bad) == palette.COLORS["padding"]  # the padding cells

    diagram = viz.conv_arithmetic_diagram(6, 3, s=2)
    ax = diagram.axes[0]
    colours = {to_hex(c) for c in ax.images[0].get_cmap().colors}
    assert {palette.COLORS["input"], palette.COLORS["padding"]} <= colours
    (output,) = [im for im in ax.images if im.get_gid() == "output"]
    assert to_hex(output.get_cmap().colors[0]) == palette.COLORS["output"]
    (row,) = with_gid(ax, "unreached-row")
    assert to_hex(row.get_edgecolor()) == palette.COLORS["unreached"]


#: One valid call of each public function of viz, with every argument named.
CALLS = {
    "cmap_norm": dict(values=D2L_X, cmap=None, soft=False),
    "show_image": dict(image=D2L_X, ax=None, title="x", cmap=None, colorbar=False),
    "show_images": dict(images=[D2L_X], titles=["x"], ncols=2, cmap="gray", figsize=(2, 2)),
    "show_kernel": dict(kernel=SOBEL, ax=None, title=None, decimals=2),
    "show_feature_maps": dict(
        maps=RNG.normal(size=(2, 4, 4)),
        titles=None,
        ncols=2,
        colorbar=True,
        shared=False,
        figsize=None,
    ),
    "show_conv_step": dict(
        image=D2L_X, kernel=D2L_K, position=(0, 0), stride=1, padding=0, dilation=1, decimals=2
    ),
    "animate_conv": dict(
        image=D2L_X,
        kernel=D2L_K,
        stride=1,
        padding=0,
        dilation=1,
        max_frames=2,
        interval=100,
        dpi=30,
        decimals=2,
    ),
    "show_pooling_step": dict(
        x=X_POOL, kernel_size=2, stride=2, position=(0, 0), mode="max", decimals=2
    ),
    "plot_activations": dict(names=["relu"], derivatives=True),
    "plot_softmax": dict(logits=[1.0, 2.0], labels=["a", "b"], temperature=1.0, ax=None),
    "conv_arithmetic_diagram": dict(
        i=5, k=3, p=0, s=1, d=1, ax=None, transposed=False, output_padding=0
    ),
    "plot_history": dict(history={"train_loss": [1.0, 0.5]}, fig=None),
    "plot_confusion_matrix": dict(
        y_true=[0, 1], y_pred=[0, 0], classes=["a", "b"], normalize=True, ax=None
    ),
    "show_predictions": dict(
        images=np.zeros((2, 4, 4)),
        y_true=[0, 1],
        y_pred=[0, 0],
        classes=["a", "b"],
        ncols=2,
        title=None,
    ),
    "show_filters": dict(weight=np.ones((2, 3, 3, 3)), sort=True, references={"k": SOBEL}, ncols=2),
    "show_layer_maps": dict(
        image=np.zeros((3, 4, 4)),
        maps={"a": np.ones((2, 4, 4))},
        fields={"a": ReceptiveField(3, 1, -1)},
        n=2,
        title="x",
    ),
    "show_top_activations": dict(
        tops=[_tops()], titles=["a"], mean=[0.0] * 3, std=[1.0] * 3, image_size=(4, 4)
    ),
    "show_attributions": dict(
        images=np.zeros((1, 3, 4, 4)),
        maps={"a": np.ones((1, 4, 4)), "b": -np.ones((1, 4, 4))},
        titles=["x"],
        units={"b": "drop"},
    ),
    "plot_fgsm_accuracy": dict(levels=[0, 1], accuracy=[0.9, 0.5], chance=0.1, ax=None),
    "show_adversarial": dict(
        image=np.zeros((4, 4, 3)), adversarial=np.zeros((4, 4, 3)), titles=["a", "b"], magnify=2.0
    ),
    "plot_embedding": dict(
        points=np.zeros((2, 2)), labels=[0, 1], classes=["a", "b"], ax=None, title="x"
    ),
}
