"""Training: the history of loss and accuracy, the confusion matrix, predictions on images."""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib
import numpy as np
from matplotlib.colors import Normalize
from matplotlib.figure import Figure as _MatplotlibFigure
from matplotlib.ticker import MaxNLocator

from cnnviz._checks import check_array, check_bool
from cnnviz.palette import CHOSEN, COLORS, SERIES

from ._base import (
    axes_grid,
    check_mapping,
    check_text,
    check_texts,
    fig_ax,
    grid_shape,
    new_figure,
)
from ._cells import frame, grid
from .images import as_images

__all__ = ["plot_history", "plot_confusion_matrix", "show_predictions"]

_HISTORY_PANELS = (("loss", ("train_loss", "val_loss")), ("accuracy", ("train_acc", "val_acc")))
_HISTORY_KEYS = ", ".join(repr(key) for _, keys in _HISTORY_PANELS for key in keys)


def plot_history(history, fig=None):
    """Loss and accuracy per epoch, for training and validation.

    Pass the same ``fig`` again after each epoch to redraw it in place: in a notebook,
    ``handle = display(fig, display_id=True)`` once, then ``plot_history(history, fig=fig)`` and
    ``handle.update(fig)`` in the training loop.

    Parameters
    ----------
    history : dict of lists
        Any of ``'train_loss'``, ``'val_loss'``, ``'train_acc'``, ``'val_acc'``.
    fig : matplotlib.figure.Figure, optional
        A figure to clear and draw into.

    Returns
    -------
    matplotlib.figure.Figure
        One axes for the losses and one for the accuracies (when there are any).

    Examples
    --------
    >>> fig = plot_history({"train_loss": [1.0, 0.6, 0.4], "val_acc": [0.6, 0.7, 0.8]})
    >>> [ax.get_title() for ax in fig.axes]
    ['loss', 'accuracy']
    """
    history = check_mapping(history, "history")
    if fig is not None and not isinstance(fig, _MatplotlibFigure):
        raise TypeError(f"fig must be a matplotlib Figure or None, got {fig!r}")
    panels = [
        (name, [key for key in keys if len(history.get(key, ()))]) for name, keys in _HISTORY_PANELS
    ]
    panels = [(name, keys) for name, keys in panels if keys]
    if not panels:
        raise ValueError(f"history must have one of {_HISTORY_KEYS}, got keys {sorted(history)}")
    if fig is None:
        fig = new_figure((4.2 * len(panels), 3.0))
    else:
        fig.clear()
    for ax, (name, keys) in zip(axes_grid(fig, len(panels), 1, len(panels)), panels, strict=True):
        for key in keys:
            values = check_array(history[key], "history", ndims=(1,))
            epochs = np.arange(1, values.size + 1)
            split = key.split("_")[0]
            last = f"{values[-1]:.1%}" if name == "accuracy" else f"{values[-1]:.3f}"
            ax.plot(
                epochs,
                values,
                marker="o" if values.size <= 30 else None,
                ms=3.5,
                color=SERIES[0] if split == "train" else SERIES[1],
                label=f"{split} (last {last})",
            )
        ax.set_title(name, fontsize=10)
        ax.set_xlabel("epoch")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8, frameon=False)
        ax.spines[["top", "right"]].set_visible(False)
    return fig


def _class_indices(y, name, n):
    """``y`` as a flat int array of class indices in ``[0, n)``."""
    y = check_array(y, name, dtype=None).ravel()
    if y.size and y.dtype.kind not in "iu":
        raise TypeError(f"{name} must hold int class indices, got dtype {y.dtype}")
    if y.size and (y.min() < 0 or y.max() >= n):
        raise ValueError(
            f"{name} must hold class indices in [0, {n}), got values {y.min()}..{y.max()}"
        )
    return y.astype(np.int64, copy=False)


def _labelled(y_true, y_pred, classes, n_images=None):
    """Checked ``(y_true, y_pred, classes)``: as many of each (and of the images, if given)."""
    if isinstance(classes, str) or not isinstance(classes, Sequence):
        raise TypeError(f"classes must be a sequence of class names, got {classes!r}")
    classes = check_texts(classes, "classes", len(classes), "class")
    n = len(classes)
    y_true, y_pred = _class_indices(y_true, "y_true", n), _class_indices(y_pred, "y_pred", n)
    expected = y_true.size if n_images is None else n_images
    for name, y in (("y_true", y_true), ("y_pred", y_pred)):
        if y.size != expected:
            what = "image" if n_images is not None else "entry of y_true"
            raise ValueError(f"{name} must have {expected} entries, one per {what}, got {y.size}")
    return y_true, y_pred, classes


def plot_confusion_matrix(y_true, y_pred, classes, normalize=True, ax=None):
    """Confusion matrix: row = true class, column = predicted class, the value in each cell.

    Parameters
    ----------
    y_true, y_pred : array_like of int
        Class indices, ``(N,)``.
    classes : sequence of str
        Class names, ``K`` of them.
    normalize : bool, default True
        Divide each row by its count (the fraction of each true class predicted as each
        class; the diagonal is the per-class recall); ``False`` shows counts.
    ax : matplotlib.axes.Axes, optional

    Returns
    -------
    matplotlib.figure.Figure
        ``fig.axes[0].images[0].get_array()`` holds the matrix.

    Examples
    --------
    >>> fig = plot_confusion_matrix([0, 0, 1, 1], [0, 1, 1, 1], ["cat", "dog"], normalize=False)
    >>> fig.axes[0].images[0].get_array().tolist()
    [[1, 1], [0, 2]]
    """
    y_true, y_pred, classes = _labelled(y_true, y_pred, classes)
    normalize = check_bool(normalize, "normalize")
    n = len(classes)
    counts = np.bincount(y_true * n + y_pred, minlength=n * n).reshape(n, n)
    matrix = counts / np.maximum(counts.sum(axis=1, keepdims=True), 1) if normalize else counts
    fig, ax = fig_ax(ax, (0.42 * n + 2.2, 0.42 * n + 1.8))
    norm = Normalize(0, 1 if normalize else max(int(counts.max()), 1))
    cells = grid(ax, matrix, matplotlib.colormaps["Blues"], norm, n <= 20, 2, lines=False)
    ax.images[0].set_data(matrix)  # keep the exact counts / fractions as the image data
    for text in () if cells.texts is None else cells.texts[counts == 0]:
        text.set_color(COLORS["rule"])  # nothing there: keep the eye on the rest
    ax.set_xticks(np.arange(n), classes, rotation=45, ha="right", fontsize=8)
    ax.set_yticks(np.arange(n), classes, fontsize=8)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    accuracy = np.trace(counts) / max(counts.sum(), 1)
    what = "fraction of each true class" if normalize else "counts"
    ax.set_title(
        f"confusion matrix ({what})\naccuracy {accuracy:.1%} of {counts.sum():,}", fontsize=10
    )
    return fig


def show_predictions(images, y_true, y_pred, classes, ncols=8, title=None):
    """A grid of images titled with the predicted class; wrong ones in red with the true class.

    Parameters
    ----------
    images : array_like
        ``(N, H, W)``, ``(N, H, W, 3)`` or ``(N, C, H, W)``.
    y_true, y_pred : array_like of int
        ``(N,)`` class indices.
    classes : sequence of str
    ncols : int, default 8
    title : str, optional
        The figure's title (default: how many are right).

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> fig = show_predictions(np.zeros((2, 4, 4)), [0, 1], [0, 0], ["cat", "dog"])
    >>> [ax.get_title() for ax in fig.axes]
    ['cat', 'cat\\n(true: dog)']
    """
    images = as_images(images)
    y_true, y_pred, classes = _labelled(y_true, y_pred, classes, len(images))
    title = check_text(title, "title")
    nrows, ncols = grid_shape(len(images), ncols, 8)
    fig = new_figure((1.45 * ncols, 1.75 * nrows + 0.1))
    for image, t, p, ax in zip(
        images, y_true, y_pred, axes_grid(fig, len(images), nrows, ncols), strict=True
    ):
        cmap = None if image.ndim == 3 else "gray"
        ax.imshow(image, cmap=cmap, interpolation="nearest")
        right = t == p
        caption = classes[p] if right else f"{classes[p]}\n(true: {classes[t]})"
        ax.set_title(caption, fontsize=8, color=COLORS["text"] if right else CHOSEN)
        frame(ax, *((COLORS["rule"], 0.8) if right else (CHOSEN, 2.5)))
    if title is None:
        wrong = int((y_true != y_pred).sum())
        title = f"{len(images) - wrong} of {len(images)} right (wrong ones in red)"
    fig.suptitle(title, fontsize=10)
    return fig
