"""Famous architectures, deep nets and transfer learning: the figures of chapter 13.

The numbers come from :mod:`cnnviz.zoo`, :mod:`cnnviz.inspect` and :mod:`cnnviz.transfer`;
this module only draws them, from arrays and lists (it never imports torch).

=================================  ==========================================================
function                           shows
=================================  ==========================================================
:func:`plot_accuracy_vs_flops`     published accuracy against FLOPs, log scale, one label each
:func:`plot_curves`                several curves side by side (training losses)
:func:`plot_gradient_norms`        the gradient's norm at every layer, log scale
:func:`plot_transfer`              test accuracy against labelled images per class
:func:`show_top_predictions`       images beside bars of their top-k class probabilities
=================================  ==========================================================
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib
import numpy as np

from cnnviz._checks import check_array, check_number
from cnnviz.palette import COLORS

from ._base import check_ax, check_text, check_texts, fig_ax, halo, new_figure

__all__ = [
    "plot_accuracy_vs_flops",
    "plot_curves",
    "plot_gradient_norms",
    "plot_transfer",
    "show_top_predictions",
]

LABEL_PT = 8


def _positive(values, name, n=None):
    values = check_array(values, name, ndims=(1,))
    if n is not None and len(values) != n:
        raise ValueError(f"{name} must have {n} values, one per label, got {len(values)}")
    if not len(values) or not (np.isfinite(values).all() and (values > 0).all()):
        raise ValueError(f"{name} must hold finite values > 0, got {values.tolist()}")
    return values


def _names(value, name):
    if isinstance(value, str) or not isinstance(value, Sequence) or not value:
        raise TypeError(f"{name} must be a non-empty sequence of str, got {value!r}")
    return check_texts(value, name, len(value), "name")


def plot_accuracy_vs_flops(labels, gflops, accuracy, ax=None):
    """Accuracy against the FLOPs of one image, on a log scale, each point labelled.

    Parameters
    ----------
    labels : sequence of str
    gflops : array_like (M,)
        Billions of FLOPs per image, > 0.
    accuracy : array_like (M,)
        Top-1 accuracy in %, in (0, 100].
    ax : matplotlib.axes.Axes, optional

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> fig = plot_accuracy_vs_flops(["a", "b"], [0.5, 4.0], [60.0, 75.0])
    >>> fig.axes[0].get_xscale()
    'log'
    """
    labels = _names(labels, "labels")
    gflops = _positive(gflops, "gflops", len(labels))
    accuracy = _positive(accuracy, "accuracy", len(labels))
    if accuracy.max() > 100:
        raise ValueError(f"accuracy must be in % (at most 100), got {accuracy.max()}")
    fig, ax = fig_ax(check_ax(ax), (6.4, 4.0))
    ax.scatter(gflops, accuracy, s=36, color=COLORS["input_edge"], zorder=3)
    for i, (x, y, label) in enumerate(zip(gflops, accuracy, labels, strict=True)):
        # a neighbour just to the right at about the same height: label this point on the left
        crowded = any(
            0 < np.log10(gflops[j] / x) < 0.3 and abs(accuracy[j] - y) < 2
            for j in range(len(labels)) if j != i
        )  # fmt: skip
        text = ax.annotate(
            label, (x, y), xytext=(-5 if crowded else 5, 4), textcoords="offset points",
            fontsize=LABEL_PT + 1, color=COLORS["text"], ha="right" if crowded else "left",
        )  # fmt: skip
        halo(text, 2.5)
    ax.set_xscale("log")
    ax.set_xlim(gflops.min() / 1.6, gflops.max() * 2.5)
    ax.set(
        xlabel="GFLOPs for one 224×224 image (log scale)",
        ylabel="ImageNet top-1 accuracy (%, published)",
    )
    ax.grid(alpha=0.3, which="both")
    ax.spines[["top", "right"]].set_visible(False)
    return fig


def _curves(curves, name):
    if not isinstance(curves, Mapping) or not curves:
        raise TypeError(f"{name} must be a non-empty dict of label -> values, got {curves!r:.60}")
    out = {}
    for label, values in curves.items():
        check_text(label, f"{name} label")
        values = check_array(values, f"{name}[{label!r}]", ndims=(1,))
        if not len(values) or not np.isfinite(values).all():
            raise ValueError(f"{name}[{label!r}] must hold finite values, got {values.tolist()}")
        out[label] = values
    return out


def plot_curves(curves, xlabel="training step", ylabel="training loss", title=None, ax=None):
    """Several curves on one axes (one colour each, labelled): training losses side by side.

    Parameters
    ----------
    curves : dict of str to array_like (T,)
        Label -> values; the x of value ``t`` is ``t + 1``.
    xlabel, ylabel, title : str
    ax : matplotlib.axes.Axes, optional

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> fig = plot_curves({"plain": [2.3, 2.0, 1.9], "residual": [2.3, 1.7, 1.4]})
    >>> [line.get_label() for line in fig.axes[0].lines]
    ['plain', 'residual']
    """
    curves = _curves(curves, "curves")
    xlabel, ylabel = check_text(xlabel, "xlabel"), check_text(ylabel, "ylabel")
    title = check_text(title, "title")
    fig, ax = fig_ax(check_ax(ax), (6.4, 3.6))
    colours = matplotlib.colormaps["tab10"]
    for i, (label, values) in enumerate(curves.items()):
        ax.plot(np.arange(1, len(values) + 1), values, color=colours(i), label=label, lw=1.6)
    ax.set(xlabel=xlabel, ylabel=ylabel)
    if title is not None:
        ax.set_title(title, fontsize=10)
    ax.grid(alpha=0.3)
    ax.legend(frameon=False, fontsize=LABEL_PT + 1)
    ax.spines[["top", "right"]].set_visible(False)
    return fig


def plot_gradient_norms(norms, ax=None):
    """The norm of the gradient of every weight layer, first layer on the left, log scale.

    Parameters
    ----------
    norms : dict of str to array_like (L,)
        Network label -> one norm per layer, in forward order
        (:func:`cnnviz.inspect.gradient_norms`), each > 0.
    ax : matplotlib.axes.Axes, optional

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> fig = plot_gradient_norms({"plain": [0.1, 0.5, 2.0]})
    >>> fig.axes[0].get_yscale()
    'log'
    """
    norms = _curves(norms, "norms")
    for label, values in norms.items():
        _positive(values, f"norms[{label!r}]")
    fig, ax = fig_ax(check_ax(ax), (6.4, 3.6))
    colours = matplotlib.colormaps["tab10"]
    for i, (label, values) in enumerate(norms.items()):
        ax.plot(np.arange(1, len(values) + 1), values, marker="o", ms=3, color=colours(i),
                label=label, lw=1.2)  # fmt: skip
    ax.set_yscale("log")
    ax.set(xlabel="weight layer (1 = first convolution)", ylabel="‖gradient‖ of its weights")
    ax.grid(alpha=0.3, which="both")
    ax.legend(frameon=False, fontsize=LABEL_PT + 1)
    ax.spines[["top", "right"]].set_visible(False)
    return fig


def plot_transfer(sizes, accuracy, chance=None, ax=None):
    """Test accuracy against the number of labelled images per class, one line per method.

    Parameters
    ----------
    sizes : array_like (S,)
        Labelled images per class, > 0 (drawn on a log scale).
    accuracy : dict of str to array_like (S,)
        Method -> test accuracy in [0, 1] at each size; each point is labelled in %.
    chance : float, optional
        A dotted line (0.2 for five classes).
    ax : matplotlib.axes.Axes, optional

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> fig = plot_transfer([50, 200], {"probe": [0.6, 0.7], "scratch": [0.4, 0.6]}, 0.2)
    >>> len(fig.axes[0].lines)
    3
    """
    sizes = _positive(sizes, "sizes")
    accuracy = _curves(accuracy, "accuracy")
    for label, values in accuracy.items():
        if len(values) != len(sizes) or values.min() < 0 or values.max() > 1:
            raise ValueError(
                f"accuracy[{label!r}] must hold {len(sizes)} values in [0, 1], got "
                f"{values.tolist()}"
            )
    fig, ax = fig_ax(check_ax(ax), (6.4, 3.8))
    colours = matplotlib.colormaps["tab10"]
    table = np.array(list(accuracy.values()))  # (methods, sizes)
    for i, (label, values) in enumerate(accuracy.items()):
        ax.plot(sizes, 100 * values, marker="o", color=colours(i), label=label)
        for k, (x, y) in enumerate(zip(sizes, values, strict=True)):
            # the highest value at this size is labelled above, the lowest below, others right
            column = table[:, k]
            above, below = y == column.max() and i == column.argmax(), i == column.argmin()
            offset, va = ((0, 6), "bottom") if above else ((0, -6), "top") if below else (
                (7, 0), "center")  # fmt: skip
            text = ax.annotate(
                f"{100 * y:.0f}", (x, 100 * y), xytext=offset, textcoords="offset points",
                fontsize=LABEL_PT, color=colours(i), ha="center" if offset[0] == 0 else "left",
                va=va,
            )  # fmt: skip
            halo(text, 2)
    if chance is not None:
        chance = check_number(chance, "chance", minimum=0, maximum=1)
        ax.axhline(
            100 * chance, color=COLORS["muted"], ls=":", label=f"chance ({100 * chance:.0f} %)"
        )
    ax.set_xscale("log")
    ax.set_xticks(sizes, [f"{s:,.0f}" for s in sizes])
    ax.minorticks_off()
    ax.set(xlabel="labelled training images per class (log scale)", ylabel="test accuracy (%)")
    ax.grid(alpha=0.3)
    ax.legend(frameon=False, fontsize=LABEL_PT + 1)
    ax.spines[["top", "right"]].set_visible(False)
    return fig


def show_top_predictions(images, predictions, titles=None):
    """Each image beside a bar chart of its top-k classes and their probabilities.

    Parameters
    ----------
    images : sequence of array_like (H, W, 3)
        RGB in [0, 1].
    predictions : sequence of sequence of (str, float)
        For each image, ``(class name, probability)`` pairs, most probable first
        (:func:`cnnviz.zoo.classify` gives them).
    titles : sequence of str, optional
        One per image (the true class, say).

    Returns
    -------
    matplotlib.figure.Figure
        Two images per row, each with its bars.

    Examples
    --------
    >>> fig = show_top_predictions([np.zeros((4, 4, 3))], [[("cat", 0.7), ("dog", 0.2)]])
    >>> len(fig.axes)
    2
    """
    if isinstance(images, np.ndarray) and images.ndim == 4:
        images = list(images)
    if not isinstance(images, Sequence) or not images:
        raise TypeError(
            f"images must be a non-empty sequence of (H, W, 3) arrays, got {images!r:.60}"
        )
    images = [check_array(im, f"images[{i}]", ndims=(3,)) for i, im in enumerate(images)]
    if not isinstance(predictions, Sequence) or len(predictions) != len(images):
        raise ValueError(
            f"predictions must hold one list of (name, probability) per image "
            f"({len(images)}), got {predictions!r:.60}"
        )
    for i, pairs in enumerate(predictions):
        ok = isinstance(pairs, Sequence) and pairs and all(
            isinstance(p, (tuple, list)) and len(p) == 2 and isinstance(p[0], str)
            and 0 <= float(p[1]) <= 1 for p in pairs
        )  # fmt: skip
        if not ok:
            raise ValueError(
                f"predictions[{i}] must be (name, probability) pairs with probabilities in "
                f"[0, 1], got {pairs!r:.60}"
            )
    if titles is not None:
        titles = check_texts(titles, "titles", len(images), "image")
    n = len(images)
    rows = (n + 1) // 2
    fig = new_figure((8.4, 1.6 * rows))
    grid = fig.add_gridspec(rows, 4, width_ratios=[1, 1.9, 1, 1.9])
    for i, (image, pairs) in enumerate(zip(images, predictions, strict=True)):
        r, c = divmod(i, 2)
        ax_im = fig.add_subplot(grid[r, 2 * c])
        ax_im.imshow(np.clip(image, 0, 1), interpolation="nearest")
        ax_im.set_xticks([]), ax_im.set_yticks([])
        if titles is not None:
            ax_im.set_title(titles[i], fontsize=LABEL_PT + 1)
        ax = fig.add_subplot(grid[r, 2 * c + 1])
        names = [p[0] for p in pairs][::-1]
        probs = np.array([float(p[1]) for p in pairs])[::-1]
        ax.barh(
            np.arange(len(names)),
            100 * probs,
            color=COLORS["input"],
            edgecolor=COLORS["input_edge"],
        )
        ax.set_yticks(np.arange(len(names)), names, fontsize=LABEL_PT)
        for y, p in enumerate(probs):
            ax.text(100 * p + 2, y, f"{100 * p:.0f} %", va="center", fontsize=LABEL_PT,
                    color=COLORS["text"])  # fmt: skip
        ax.set_xlim(0, 125)
        ax.set_xticks([0, 50, 100])
        ax.tick_params(axis="x", labelsize=LABEL_PT)
        ax.spines[["top", "right"]].set_visible(False)
    return fig
