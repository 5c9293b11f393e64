"""Tests of cnnviz.viz: each picture shows the right data, says the right thing in its titles,
and every number it computes agrees with cnnviz.ops."""

import matplotlib.pyplot as plt
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from matplotlib.animation import FuncAnimation
from matplotlib.colors import to_hex
from matplotlib.figure import Figure

from cnnviz import ops, viz

D2L_X = np.arange(9).reshape(3, 3)
D2L_K = np.array([[0, 1], [2, 3]])
SOBEL = np.array([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]])
RNG = np.random.default_rng(0)


def data(ax, k=0):
    """The data (masked cells included) of image ``k`` of ``ax``."""
    return np.ma.getdata(ax.images[k].get_array())


def texts(ax):
    return [t.get_text() for t in ax.texts if t.get_visible()]


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


def test_show_images_grid_titles_and_layouts():
    batch = RNG.random((5, 6, 6))
    fig = viz.show_images(batch, titles=list("abcde"), ncols=3)
    assert len(fig.axes) == 5  # the sixth cell of the 2x3 grid is removed
    assert [ax.get_title() for ax in fig.axes] == list("abcde")
    np.testing.assert_array_equal(data(fig.axes[4]), batch[4])

    nchw = RNG.random((2, 3, 4, 5))  # (N, C, H, W) batches are shown as RGB
    fig = viz.show_images(nchw)
    assert data(fig.axes[1]).shape == (4, 5, 3)
    with pytest.raises(ValueError, match="titles has 1 entries for 2 images"):
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
    with pytest.raises(ValueError, match=r"kernel must be 2-D \(H, W\), got shape \(3,\)"):
        viz.show_kernel([1, 2, 3])


# ---------------------------------------------------------------------------------------------
# Convolution step and animation
# ---------------------------------------------------------------------------------------------


def test_conv_step_d2l_example():
    fig = viz.show_conv_step(D2L_X, D2L_K)
    assert fig.cnnviz_value == 19
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
    window = [p for p in inp.patches if p.get_linewidth() == 2.5][0]
    assert window.get_xy() == (4 - 0.5, 2 - 0.5)  # the window of output (1, 2) starts at (2, 4)
    np.testing.assert_array_equal(data(out), ops.conv2d(x, SOBEL, stride=2, padding=1))
    row, below = [p for p in out.patches if p.get_facecolor() == (1, 1, 1, 1)]
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
    assert fig.cnnviz_value == pytest.approx(expected[position], abs=1e-9)
    assert fig.cnnviz_position == position
    assert texts(fig.axes[3])[0].splitlines()[0] == f"y[{position[0]}, {position[1]}] ="
    plt.close("all")


def test_conv_step_large_image_has_no_numbers_but_a_highlight():
    fig = viz.show_conv_step(RNG.random((32, 32)), SOBEL, position=(10, 20), padding=1)
    inp, out = fig.axes[0], fig.axes[4]
    assert texts(inp) == [] and texts(out) == []
    assert fig.axes[3].texts[0].get_text().endswith(f"≈ {viz._fmt(fig.cnnviz_value)}")
    ring = [line for line in out.lines if line.get_visible()]
    assert [(line.get_xdata()[0], line.get_ydata()[0]) for line in ring] == [(20, 10)]


def test_conv_step_refuses_bad_positions_and_kernels_with_clear_messages():
    with pytest.raises(ValueError, match=r"position \(2, 0\) is outside the 2×2 output"):
        viz.show_conv_step(D2L_X, D2L_K, position=(2, 0))
    with pytest.raises(ValueError, match="does not fit"):
        viz.show_conv_step(D2L_X, np.ones((4, 4)))


def test_animate_conv_subsamples_to_max_frames():
    anim = viz.animate_conv(RNG.random((9, 9)), SOBEL, max_frames=6)
    assert isinstance(anim, FuncAnimation)
    positions = anim.cnnviz_positions  # 49 positions, 6 frames from first to last
    assert len(positions) == 6 and positions[0] == (0, 0) and positions[-1] == (6, 6)
    assert positions == sorted(positions)
    assert anim.to_jshtml().count("data:image/png;base64") == 6


def test_animate_conv_exports_every_frame():
    x = RNG.integers(0, 9, (7, 7))
    anim = viz.animate_conv(x, SOBEL)  # 25 positions, all of them frames
    html = anim.to_jshtml()
    assert len(anim.cnnviz_positions) == 25
    assert html.count("data:image/png;base64") == 25
    anim._draw_frame((2, 3))  # frames carry the value of their position
    assert anim._fig.cnnviz_value == ops.conv2d(x, SOBEL)[2, 3]


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
    assert fig.cnnviz_value == value and fig.cnnviz_chosen == chosen
    assert fig.get_suptitle() == f"{mode} pooling 2×2, stride=2 → 2×2"
    inp, text, out = fig.axes
    np.testing.assert_array_equal(data(inp), X_POOL)
    np.testing.assert_array_equal(data(out), op(X_POOL, 2))
    assert texts(text)[0].endswith(f"= {viz._fmt(value)}")
    circles = [line for line in inp.lines if line.get_marker() == "o"]
    assert len(circles) == (chosen is not None)
    if chosen:
        assert (circles[0].get_ydata()[0], circles[0].get_xdata()[0]) == chosen


def test_pooling_step_overlapping_windows_and_bad_mode():
    fig = viz.show_pooling_step(X_POOL, 3, stride=1, position=(1, 1))
    assert fig.cnnviz_value == 8 and fig.get_suptitle().endswith("→ 2×2")
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
    relu_slope = fig.axes[0].lines[-1].get_ydata()
    np.testing.assert_allclose(relu_slope[np.abs(x) > 0.005], x[np.abs(x) > 0.005] > 0)

    assert len(viz.plot_activations("tanh", derivatives=False).axes[0].get_legend().texts) == 1
    with pytest.raises(ValueError, match="names must be among"):
        viz.plot_activations(["swish"])


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
    assert fig.cnnviz_output_size == ops.conv_output_size(5, 3, 1, 2) == 3
    assert centres(fig) == 9 and fig.cnnviz_unreached == 0
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
    assert (i + 2 * p - d * (k - 1) - 1) % s == unreached == fig.cnnviz_unreached
    patches = fig.axes[0].patches
    assert len([q for q in patches if q.get_gid() == "unreached-row"]) == unreached
    assert len([q for q in patches if q.get_gid() == "unreached-column"]) == unreached
    assert "never reached" in fig.cnnviz_note
    assert centres(fig) == ops.conv_output_size(i, k, p, s, d) ** 2


def test_arithmetic_diagram_says_when_the_kernel_does_not_fit():
    fig = viz.conv_arithmetic_diagram(3, 5)  # no exception
    assert fig.cnnviz_output_size is None
    assert fig.cnnviz_note.startswith("kernel does not fit")
    assert fig.axes[0].get_legend().get_title().get_text() == fig.cnnviz_note
    assert fig.axes[0].get_title().splitlines()[0] == "i=3, k=5, p=0, s=1, d=1 → no output"
    with pytest.raises(ValueError, match="k must be a positive int, got 0"):
        viz.conv_arithmetic_diagram(3, 0)


def test_arithmetic_diagram_transposed():
    fig = viz.conv_arithmetic_diagram(3, 3, p=1, s=2, transposed=True, output_padding=1)
    o = ops.conv_transpose_output_size(3, 3, 1, 2, output_padding=1)
    assert fig.cnnviz_output_size == o == 6
    title = fig.axes[0].get_title().splitlines()
    assert title[0] == "transposed: i=3, k=3, p=1, s=2, d=1, output_padding=1 → o=6"
    assert title[2] == "= (3 − 1)·2 − 2·1 + 1·(3 − 1) + 1 + 1 = 6"
    roles = data(fig.axes[0])
    assert (roles == 1).sum() == 9 and (roles == 2).sum() == 25 - 9  # input, inserted zeros
    assert centres(fig) == 36
    bad = viz.conv_arithmetic_diagram(3, 3, s=2, transposed=True, output_padding=2)
    assert bad.cnnviz_output_size is None and "output_padding" in bad.cnnviz_note


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
    with pytest.raises(ValueError, match="history needs one of"):
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
