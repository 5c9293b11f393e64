"""The layers after a convolution: pooling, activation functions and softmax."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cnnviz import ops
from cnnviz._checks import check_array, check_bool, check_choice, check_int, check_pair
from cnnviz.palette import CHOSEN, COLORS, HIGHLIGHT, SERIES

from ._base import (
    MAX_NUMBERED,
    axes_grid,
    check_2d,
    check_position,
    check_texts,
    fig_ax,
    fmt,
    new_figure,
    pair_text,
    step_layout,
    text_width_in,
    times,
    write_out,
)
from ._cells import Cover, Window, cell_points, circle, cmap_norm, current_cell, grid

__all__ = [
    "PoolingStepResult",
    "SoftmaxResult",
    "show_pooling_step",
    "plot_activations",
    "plot_softmax",
]


# ---------------------------------------------------------------------------------------------
# Pooling
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PoolingStepResult:
    """What :func:`show_pooling_step` computed, as ``fig.cnnviz``.

    Attributes
    ----------
    value : float
        The pooled value at the output position shown.
    chosen : (int, int) or None
        Input ``(row, col)`` of the cell max or min pooling picks; ``None`` for 'avg'.
    """

    value: float
    chosen: tuple | None


_POOLS = {"max": ops.max_pool2d, "avg": ops.avg_pool2d, "min": ops.min_pool2d}


def _pool_formula(window, mode, position, decimals=2):
    """``y[0, 0] = max(1, 0, 4, 6)`` or ``(1 + 0 + 4 + 6) / 4`` written out, a window row a line."""
    head = f"y[{position[0]}, {position[1]}] ="
    if window.size > 16 or window.shape[1] > 4:
        name = "mean" if mode == "avg" else mode
        return [head, f"  {name} of the {window.size}", "  values"]
    if mode == "avg":
        rows = [" + ".join(fmt(v, decimals) for v in row) for row in window]
        body = ["  (" + rows[0]] + ["   + " + row for row in rows[1:]]
        body[-1] += f") / {window.size}"
        return [head, *body]
    rows = [", ".join(fmt(v, decimals) for v in row) for row in window]
    body = [f"  {mode}({rows[0]}"] + [" " * (len(mode) + 3) + row for row in rows[1:]]
    body = [line + "," for line in body[:-1]] + [body[-1] + ")"]
    return [head, *body]


def show_pooling_step(x, kernel_size=2, stride=None, position=(0, 0), mode="max", *, decimals=2):
    """One step of max, average or min pooling: the window, the value it keeps, the output.

    Left: the input with the window of output ``position`` tinted and, for max and min, the
    chosen cell circled (the first one in row-major order, as torch picks). Middle: the
    computation written out. Right: the pooled map filled in up to ``position``.

    Parameters
    ----------
    x : array_like
        ``(H, W)``.
    kernel_size : int or (int, int), default 2
    stride : int or (int, int), optional
        Defaults to ``kernel_size``.
    position : (int, int), default (0, 0)
        Output ``(row, col)``.
    mode : {'max', 'avg', 'min'}, default 'max'
    decimals : int, default 2

    Returns
    -------
    matplotlib.figure.Figure
        With ``fig.cnnviz``, a :class:`PoolingStepResult`: ``value`` (the pooled value) and
        ``chosen`` (input ``(row, col)`` of the chosen cell; ``None`` for 'avg').

    Examples
    --------
    >>> x = np.array([[1, 0, 2, 3], [4, 6, 6, 8], [3, 1, 1, 0], [1, 2, 2, 4]])
    >>> show_pooling_step(x, 2, position=(0, 1)).cnnviz
    PoolingStepResult(value=8.0, chosen=(1, 3))
    """
    x = check_2d(x, "x")
    mode = check_choice(mode, "mode", tuple(_POOLS))
    kernel = check_pair(kernel_size, "kernel_size")
    stride = kernel if stride is None else check_pair(stride, "stride")
    decimals = check_int(decimals, "decimals", 0)
    out = _POOLS[mode](x, kernel, stride)
    position = check_position(position, out.shape)
    window = ops.sliding_windows(x, kernel, stride)[position]
    chosen = None
    if mode != "avg":  # torch's indices of max_pool2d; min pooling is max pooling of -x
        _, index = ops.max_pool2d(x if mode == "max" else -x, kernel, stride, return_indices=True)
        chosen = tuple(int(v) for v in np.unravel_index(index[position], x.shape))

    lines = _pool_formula(window, mode, position, decimals)
    lines.append("= " + fmt(out[position], decimals))
    text = "\n".join(lines)
    small = max(x.shape) <= MAX_NUMBERED
    fig, (ax_in, ax_out), text_ax = step_layout(
        [x.shape, out.shape], [small, small], text_width_in(text, 10.5) + 0.1, 1
    )
    cmap, norm = cmap_norm(x, soft=small)
    cells = grid(ax_in, x, cmap, norm, small, decimals, lines=max(x.shape) <= 2 * MAX_NUMBERED)
    Window(ax_in, cells, kernel).move(position[0] * stride[0], position[1] * stride[1])
    if chosen is not None:
        circle(ax_in, *chosen, 0.8 * cell_points(ax_in, x.shape), CHOSEN).set_gid("chosen")
    ax_in.set_title(f"input {times(x.shape)}", fontsize=10)
    write_out(text_ax, text)
    cmap, norm = cmap_norm(out, soft=small)
    grid(ax_out, out, cmap, norm, small, decimals, lines=small, line_zorder=4.6)
    Cover(ax_out, out.shape).move(position)
    current_cell(ax_out, out.shape, position)
    ax_out.set_title(f"output {times(out.shape)}", fontsize=10)
    fig.suptitle(
        f"{mode} pooling {times(kernel)}, stride={pair_text(stride)} → {times(out.shape)}",
        fontsize=12,
    )
    fig.cnnviz = PoolingStepResult(float(out[position]), chosen)
    return fig


# ---------------------------------------------------------------------------------------------
# Activations and softmax
# ---------------------------------------------------------------------------------------------

#: Options the figure draws with, where the default would not show: a 0.01 slope is flat.
_DRAWN_WITH = {"leaky_relu": ({"negative_slope": 0.1}, "slope 0.1")}


def plot_activations(names=tuple(ops.ACTIVATIONS), derivatives=True):
    """Plot activation functions and their derivatives, one axes each.

    ``f`` and ``f′`` both come from the registry :data:`cnnviz.ops.ACTIVATIONS`: the
    derivatives are exact, as autograd computes them (ReLU's is 0 at 0, so its jump shows as
    a vertical step). Leaky ReLU is drawn with slope 0.1 (the 0.01 default would be
    invisible).

    Parameters
    ----------
    names : str or sequence of str
        Keys of :data:`cnnviz.ops.ACTIVATIONS`: ``'relu'``, ``'leaky_relu'``, ``'sigmoid'``,
        ``'tanh'``, ``'gelu'``.
    derivatives : bool, default True

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> fig = plot_activations(["relu", "sigmoid"])
    >>> [ax.get_title() for ax in fig.axes]
    ['ReLU', 'sigmoid']
    """
    if isinstance(names, str):
        names = [names]
    if not isinstance(names, (list, tuple)):
        raise TypeError(f"names must be a str or a list of str, got {names!r}")
    if not names:
        raise ValueError(f"names must name at least one activation, got {names!r}")
    names = [check_choice(name, "names", tuple(ops.ACTIVATIONS)) for name in names]
    derivatives = check_bool(derivatives, "derivatives")
    x = np.linspace(-4, 4, 801)
    fig = new_figure((2.7 * len(names), 2.9))
    for ax, name in zip(axes_grid(fig, len(names), 1, len(names)), names, strict=True):
        activation = ops.ACTIVATIONS[name]
        options, note = _DRAWN_WITH.get(name, ({}, ""))
        ax.axhline(0, color=COLORS["rule"], lw=0.8, zorder=0)
        ax.axvline(0, color=COLORS["rule"], lw=0.8, zorder=0)
        ax.plot(x, activation.function(x, **options), color=SERIES[0], lw=2, label="f(x)")
        if derivatives:
            slope = activation.derivative(x, **options)
            ax.plot(x, slope, color=SERIES[1], lw=1.6, ls="--", label="f′(x)")
        ax.set_title(f"{activation.label} ({note})" if note else activation.label, fontsize=10)
        ax.set_xlabel("x")
        ax.legend(fontsize=8, loc="upper left", frameon=False)
        ax.tick_params(labelsize=8)
    return fig


@dataclass(frozen=True, eq=False)
class SoftmaxResult:
    """What :func:`plot_softmax` computed, as ``fig.cnnviz``.

    Attributes
    ----------
    probabilities : numpy.ndarray
        ``softmax(logits / T)``, the heights of the bars (read-only).
    """

    probabilities: np.ndarray


def plot_softmax(logits, labels=None, temperature=1.0, ax=None):
    """Bars of ``softmax(logits / T)``: the probability of each class, printed on its bar.

    The tick labels carry the logits ``z``; the largest probability is orange.

    Parameters
    ----------
    logits : array_like
        ``(K,)``.
    labels : sequence of str, optional
        Default ``'class 0'``, ...
    temperature : float, default 1.0
    ax : matplotlib.axes.Axes, optional

    Returns
    -------
    matplotlib.figure.Figure
        With ``fig.cnnviz``, a :class:`SoftmaxResult`: ``probabilities``.

    Examples
    --------
    >>> fig = plot_softmax([2.5, 1.8, 0.2], ["cat", "dog", "elephant"], temperature=2)
    >>> fig.axes[0].get_title()
    'softmax(z / T) with temperature T = 2'
    >>> fig.cnnviz.probabilities.round(3)
    array([0.495, 0.349, 0.157])
    >>> plot_softmax([2.5, 1.8, 0.2]).axes[0].get_title()  # T = 1: no temperature named
    'softmax(z)'
    """
    logits = check_array(logits, "logits", ndims=(1,)).astype(np.float64, copy=False)
    labels = check_texts(labels, "labels", logits.size, "logit")
    labels = [f"class {k}" for k in range(logits.size)] if labels is None else labels
    probs = ops.softmax(logits, temperature=temperature)
    probs.setflags(write=False)
    fig, ax = fig_ax(ax, (max(3.2, 0.75 * logits.size + 1.2), 3.0))
    colors = [SERIES[0]] * logits.size
    colors[int(np.argmax(probs))] = HIGHLIGHT
    bars = ax.bar(np.arange(logits.size), probs, color=colors, width=0.7)
    ax.bar_label(bars, [f"{100 * p:.1f}%" for p in probs], fontsize=8, padding=2)
    ax.set_xticks(
        np.arange(logits.size),
        [f"{label}\nz = {fmt(z)}" for label, z in zip(labels, logits, strict=True)],
        fontsize=8,
        rotation=0 if logits.size <= 6 else 45,
    )
    ax.set_ylim(0, 1.12)
    ax.set_ylabel("probability")
    ax.spines[["top", "right"]].set_visible(False)
    plain = temperature == 1  # chapters that have not met the temperature see softmax(z)
    title = "softmax(z)" if plain else f"softmax(z / T) with temperature T = {temperature:g}"
    ax.set_title(title, fontsize=10)
    fig.cnnviz = SoftmaxResult(probs)
    return fig
