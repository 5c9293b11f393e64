"""cnnviz.viz.architectures: chapter 13's figures draw what they are given, and fit the page."""

import numpy as np
import pytest

from cnnviz import viz


def _width_px(fig, dpi=90):  # chapters draw at 90 dpi; the book's column allows 860 px
    return fig.get_size_inches()[0] * dpi


def test_accuracy_vs_flops_labels_every_point():
    fig = viz.plot_accuracy_vs_flops(["VGG-16", "ResNet-18"], [30.9, 3.63], [71.6, 69.8])
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.texts] == ["VGG-16", "ResNet-18"]
    assert ax.get_xscale() == "log" and _width_px(fig) <= 860
    with pytest.raises(ValueError, match="gflops must have 2 values"):
        viz.plot_accuracy_vs_flops(["a", "b"], [1.0], [50.0, 60.0])
    with pytest.raises(ValueError, match="accuracy must be in %"):
        viz.plot_accuracy_vs_flops(["a"], [1.0], [150.0])


def test_curves_and_gradient_norms():
    fig = viz.plot_curves({"plain": [2.0, 1.5], "residual": [2.0, 1.0]}, title="44 layers")
    np.testing.assert_allclose(fig.axes[0].lines[1].get_ydata(), [2.0, 1.0])
    fig = viz.plot_gradient_norms({"plain": [1e-3, 1e-1], "residual": [0.2, 0.1]})
    assert fig.axes[0].get_yscale() == "log" and len(fig.axes[0].lines) == 2
    with pytest.raises(ValueError, match="must hold finite values > 0"):
        viz.plot_gradient_norms({"plain": [0.0, 1.0]})


def test_transfer_plot_marks_chance_and_every_value():
    fig = viz.plot_transfer([50, 200, 1000], {"probe": [0.5, 0.6, 0.7]}, chance=0.2)
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.texts] == ["50", "60", "70"]
    assert ax.lines[-1].get_ydata()[0] == 20
    with pytest.raises(ValueError, match="must hold 3 values in"):
        viz.plot_transfer([50, 200, 1000], {"probe": [0.5, 0.6]})


def test_top_predictions_draw_bars_in_order():
    pairs = [("cat", 0.6), ("dog", 0.3), ("frog", 0.1)]
    fig = viz.show_top_predictions([np.zeros((8, 8, 3))] * 3, [pairs] * 3, titles=["a", "b", "c"])
    assert len(fig.axes) == 6 and _width_px(fig) <= 860
    bars = fig.axes[1].patches
    assert [round(b.get_width()) for b in bars] == [10, 30, 60]  # most probable on top
    with pytest.raises(ValueError, match="predictions\\[0\\] must be"):
        viz.show_top_predictions([np.zeros((8, 8, 3))], [[("cat", 2.0)]])


#: One valid call per public function (tests/test_bad_input.py tries a bad value in each).
ARCH_VIZ_CALLS = {
    "plot_accuracy_vs_flops": dict(
        labels=["a", "b"], gflops=[1.0, 2.0], accuracy=[60.0, 70.0], ax=None
    ),
    "plot_curves": dict(curves={"a": [1.0, 0.5]}, xlabel="step", ylabel="loss", title="t", ax=None),
    "plot_gradient_norms": dict(norms={"a": [1.0, 0.5]}, ax=None),
    "plot_transfer": dict(sizes=[50, 200], accuracy={"a": [0.5, 0.6]}, chance=0.2, ax=None),
    "show_top_predictions": dict(
        images=[np.zeros((4, 4, 3))], predictions=[[("cat", 0.5)]], titles=["cat"]
    ),
}
