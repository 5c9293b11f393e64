"""The sizes of a convolution, drawn (Dumoulin & Visin): input, padding, windows, output.

Every size, remainder, formula and message comes from :mod:`cnnviz.arithmetic`; this module
only lays them out.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from matplotlib.colors import BoundaryNorm, ListedColormap, to_rgba
from matplotlib.patches import Patch, Rectangle

from cnnviz._checks import check_bool, check_int
from cnnviz.arithmetic import (
    TRANSPOSE_FORMULA,
    KernelDoesNotFitError,
    extent,
    formula_text,
    output_size,
    transpose_output_size,
    unreached,
)
from cnnviz.palette import COLORS, HIGHLIGHT

from ._base import fig_ax, root
from ._cells import cell_lines, hatch_ring, outline, taps, tint

__all__ = ["ArithmeticResult", "conv_arithmetic_diagram"]

_PAD, _INPUT, _ZERO = 0, 1, 2
_ROLES = ((_INPUT, "input"), (_PAD, "padding"), (_ZERO, "inserted zero"))
_ROLE_COLORS = ListedColormap([COLORS["padding"], COLORS["input"], COLORS["background"]])
_ROLE_EDGES = {_PAD: "padding_edge", _INPUT: "input_edge", _ZERO: "padding_edge"}
_RED = COLORS["unreached"]  # what no window reaches, what is cropped, what does not fit


@dataclass(frozen=True)
class ArithmeticResult:
    """What :func:`conv_arithmetic_diagram` shows, as ``fig.cnnviz``.

    Attributes
    ----------
    output_size : int or None
        ``o``, or ``None`` when there is no output.
    unreached : int
        Rows (and columns) at the end of the padded input that no window reaches.
    note : str
        The text under the diagram: what it shows, or why there is no output.
    """

    output_size: int | None
    unreached: int
    note: str


@dataclass
class _Arithmetic:
    """What a convolution-arithmetic diagram draws, in the symbols i, k, p, s, d, o."""

    roles: np.ndarray  # (C, C) grid of _PAD, _INPUT, _ZERO
    ring: tuple  # padding (top, bottom, left, right) to hatch
    start: int  # top-left of the first window
    stride: int
    k: int
    d: int
    o: int | None  # output size, None when there is none
    unreached: int
    title: str
    note: str  # what the picture shows, or why there is no output
    error: bool = False
    crop: int = 0  # rings cropped off (a transposed convolution with p > d(k - 1))


def _plural(n, word):
    return f"{n} {word}" + ("" if n == 1 else "s")


def _forward_arithmetic(i, k, p, s, d):
    n = i + 2 * p
    roles = np.full((n, n), _PAD)
    roles[p : p + i, p : p + i] = _INPUT
    setting, formula = f"i={i}, k={k}, p={p}, s={s}, d={d}", formula_text(i, k, p, s, d)
    plan = dict(roles=roles, ring=(p, p, p, p), start=0, stride=s, k=k, d=d)
    try:
        o = output_size(i, k, p, s, d)
    except KernelDoesNotFitError as err:
        title = f"{setting} → no output\n{formula}"
        return _Arithmetic(**plan, o=None, unreached=0, title=title, note=str(err), error=True)
    missed = unreached(i, k, p, s, d)
    note = f"{o}×{o} = {o * o} window positions (a dot marks the centre of each)"
    if missed:
        numerator = (o - 1) * s + missed  # i + 2p − d(k − 1) − 1, as floor and remainder
        note += (
            f"\n(i + 2p − d(k − 1) − 1) mod s = {numerator} mod {s} = {missed}: "
            f"the last {_plural(missed, 'row')} and {_plural(missed, 'column')}\n"
            f"are never reached by the kernel (shaded red)"
        )
    return _Arithmetic(
        **plan, o=o, unreached=missed, title=f"{setting} → o={o}\n{formula}", note=note
    )


def _transposed_arithmetic(i, k, p, s, d, a):
    """The transposed convolution as its equivalent direct convolution (Dumoulin & Visin §4).

    Insert s − 1 zeros between input pixels, pad by q = d(k − 1) − p (crop when negative, and
    a = output_padding more at the bottom and right), then slide the kernel with stride 1.
    """
    q = extent(k, d) - 1 - p
    lo, base = max(-q, 0), max(q, 0)
    span = (i - 1) * s + 1  # the input with s - 1 zeros between its pixels
    size = span + 2 * base + a
    roles = np.full((size, size), _PAD)
    roles[base : base + span, base : base + span] = _ZERO
    roles[base : base + span : s, base : base + span : s] = _INPUT
    numbers = formula_text(i, k, p, s, d, transposed=True, output_padding=a, style="numbers")
    setting = f"transposed: i={i}, k={k}, p={p}, s={s}, d={d}, output_padding={a}"
    plan = dict(
        roles=roles,
        ring=(base, base + a, base, base + a),
        start=lo,
        stride=1,
        k=k,
        d=d,
        unreached=0,
        crop=lo,
    )
    try:
        o = transpose_output_size(i, k, p, s, d, output_padding=a)
    except ValueError as err:
        title = f"{setting} → no output\n{TRANSPOSE_FORMULA}\n{numbers}"
        return _Arithmetic(**plan, o=None, title=title, note=str(err), error=True)
    edge = f"pad by d(k − 1) − p = {q}" if q >= 0 else f"crop by p − d(k − 1) = {-q} (red)"
    extra = f" (+{a} at the bottom and right: output_padding)" if a else ""
    note = (
        f"the same sizes as a direct convolution: {_plural(s - 1, 'zero')} between input "
        f"pixels (s − 1),\n{edge}{extra}, then stride 1: {o}×{o} window positions"
    )
    title = f"{setting} → o={o}\n{TRANSPOSE_FORMULA}\n{numbers}"
    return _Arithmetic(**plan, o=o, title=title, note=note)


def conv_arithmetic_diagram(i, k, p=0, s=1, d=1, ax=None, transposed=False, output_padding=0):
    """The sizes of a convolution, drawn: input, padding, every window position, output.

    The ``i×i`` input is blue, its ``p`` rings of zero padding grey and hatched. The first
    window is orange (its ``k×k`` taps tinted, spaced by the dilation ``d``), the last one
    dashed, and a dot marks the centre of every window position, ``s`` cells apart. The green
    ``o×o`` output is on the right with its first cell orange. The title gives the output size
    formula with the numbers substituted (:func:`cnnviz.arithmetic.formula_text`). When ``s``
    does not divide ``i + 2p − d(k − 1) − 1``, the rows and columns that no window reaches are
    shaded red and the note says so. When the kernel does not fit, the diagram says so, in the
    words of :class:`cnnviz.arithmetic.KernelDoesNotFitError`, instead of raising.

    With ``transposed=True`` it draws the transposed convolution as its equivalent direct
    convolution (Dumoulin & Visin, section 4): ``s − 1`` zeros inserted between the input
    pixels, ``d(k − 1) − p`` rings of padding (plus ``output_padding`` at the bottom and
    right), stride 1, giving ``o = (i − 1)s − 2p + d(k − 1) + output_padding + 1``.

    Parameters
    ----------
    i, k, p, s, d : int
        Input size, kernel size, padding, stride, dilation.
    ax : matplotlib.axes.Axes, optional
    transposed : bool, default False
    output_padding : int, default 0
        Only for ``transposed``.

    Returns
    -------
    matplotlib.figure.Figure
        With ``fig.cnnviz``, an :class:`ArithmeticResult`: ``output_size`` (``None`` when
        there is no output), ``unreached`` (rows, and columns, no window reaches) and
        ``note`` (the text under the diagram: what it shows, or why there is no output).

    Raises
    ------
    TypeError
        An argument that is not an int (``transposed``: not a bool).
    ValueError
        A size out of range (``k=0``, ``p=-1``).

    Examples
    --------
    >>> fig = conv_arithmetic_diagram(5, 3, p=1, s=2)
    >>> fig.axes[0].get_title().splitlines()[1]
    'o = ⌊(i + 2p − d(k − 1) − 1) / s⌋ + 1 = ⌊(5 + 2·1 − 1·(3 − 1) − 1) / 2⌋ + 1 = ⌊4 / 2⌋ + 1 = 3'
    >>> fig.cnnviz
    ArithmeticResult(output_size=3, unreached=0, note='3×3 = 9 window positions (a dot marks \
the centre of each)')
    >>> conv_arithmetic_diagram(3, 5).cnnviz.note     # does not fit: no error, the reason
    'kernel 5 with dilation 1 does not fit the padded input 3: it spans 5'
    """
    sizes = dict(
        i=(i, 1), k=(k, 1), p=(p, 0), s=(s, 1), d=(d, 1), output_padding=(output_padding, 0)
    )
    i, k, p, s, d, output_padding = (check_int(v, name, low) for name, (v, low) in sizes.items())
    if check_bool(transposed, "transposed"):
        plan = _transposed_arithmetic(i, k, p, s, d, output_padding)
    else:
        plan = _forward_arithmetic(i, k, p, s, d)
    size, span = plan.roles.shape[0], extent(k, d)
    width = size + (2.5 + plan.o if plan.o else max(span - size, 0))
    cell = min(0.4, 8.0 / width)
    lines = plan.title.count("\n") + plan.note.count("\n") + 2
    fig, ax = fig_ax(ax, (max(width * cell + 0.6, 6.8), max(size, span) * cell + 0.7 + 0.2 * lines))
    _draw_arithmetic(ax, plan)
    fig.cnnviz = ArithmeticResult(plan.o, plan.unreached, plan.note)
    return fig


def _draw_arithmetic(ax, plan):
    size, span = plan.roles.shape[0], extent(plan.k, plan.d)
    ax.imshow(
        plan.roles,
        cmap=_ROLE_COLORS,
        norm=BoundaryNorm(np.arange(-0.5, 3), 3),
        interpolation="nearest",
    )
    if size <= 40:
        cell_lines(ax, (size, size), color=COLORS["padding_edge"], lw=0.6)
    hatch_ring(ax, (size, size), *plan.ring)
    if plan.crop:
        hatch_ring(ax, (size, size), *[plan.crop] * 4, hatch="xx", color=_RED, gid="cropped")
    right = bottom = max(size, plan.start + span) - 0.5
    if plan.o is None:
        outline(ax, plan.start, plan.start, span, span, color=_RED, ls="--")
    else:
        right, label = _draw_windows(ax, plan, size, span)
        bottom = max(bottom, label)
    _unreached(ax, plan, size)
    ax.set_xlim(-0.7, right + 0.2)
    ax.set_ylim(bottom + 0.2, -0.7)
    ax.set_aspect("equal")
    ax.set_axis_off()
    ax.set_title(plan.title, fontsize=10)
    _arithmetic_legend(ax, plan)


def _red_key(label, alpha):
    return Patch(fc=to_rgba(_RED, alpha), ec=_RED, hatch="xx", lw=0, label=label)


def _arithmetic_legend(ax, plan):
    """The colour key under the diagram, with the note (or the error, in red) as its title."""
    used = set(np.unique(plan.roles).tolist())
    handles = [
        Patch(
            fc=_ROLE_COLORS(role),
            ec=COLORS[_ROLE_EDGES[role]],
            lw=0.6,
            label=label,
            hatch="///" if role == _PAD else None,
        )
        for role, label in _ROLES
        if role in used
    ]
    if plan.o is not None:
        handles.append(Patch(fc=to_rgba(HIGHLIGHT, 0.55), ec=HIGHLIGHT, label="first window"))
        handles.append(Patch(fc=COLORS["output"], ec=COLORS["output_edge"], lw=0.6, label="output"))
    else:
        handles.append(Patch(fill=False, ec=_RED, ls="--", label="kernel"))
    if plan.crop:
        handles.append(_red_key("cropped", 0.15))
    if plan.unreached:
        handles.append(_red_key("never reached", 0.18))
    legend = ax.legend(
        handles=handles,
        loc="upper center",
        bbox_to_anchor=(0.5, 0.0),
        ncol=len(handles),
        fontsize=8,
        frameon=False,
        title=plan.note,
        title_fontsize=8.5,
        handlelength=1.4,
        columnspacing=1.2,
    )
    legend.get_title().set_color(_RED if plan.error else COLORS["text"])
    legend.get_title().set_multialignment("center")


def _draw_windows(ax, plan, size, span):
    """First window, last window, the centre of every window, and the output grid."""
    o, s, start = plan.o, plan.stride, plan.start
    first = taps(start, start, (plan.k, plan.k), (plan.d, plan.d))
    ax.imshow(tint((size, size), first, alpha=0.55), interpolation="nearest", zorder=3)
    outline(ax, start, start, span, span)
    last = start + (o - 1) * s
    if o > 1:
        outline(ax, last, last, span, span, lw=1.5, ls="--")
    centres = start + np.arange(o) * s + (span - 1) / 2
    cx, cy = np.meshgrid(centres, centres)
    dot = float(np.clip(120 / size, 2, 6))
    ax.plot(
        cx.ravel(), cy.ravel(), "o", ms=dot, color=COLORS["text"], zorder=6, gid="window-centres"
    )
    x0, y0 = size + 2, (size - o) / 2
    ax.annotate(
        "",
        xy=(x0 - 0.6, size / 2 - 0.5),
        xytext=(size - 0.3, size / 2 - 0.5),
        arrowprops=dict(arrowstyle="-|>", color=COLORS["muted"], lw=1.5),
    )
    out = ax.imshow(
        np.zeros((o, o)),
        cmap=ListedColormap([COLORS["output"]]),
        interpolation="nearest",
        extent=(x0 - 0.5, x0 + o - 0.5, y0 + o - 0.5, y0 - 0.5),
    )
    out.set_gid("output")
    if size <= 40:
        cell_lines(ax, (o, o), color=COLORS["output_edge"], offset=(x0, y0), lw=0.6)
    ax.add_patch(Rectangle((x0 - 0.5, y0 - 0.5), 1, 1, fc=HIGHLIGHT, ec="none", zorder=3))
    label = y0 + o - 0.35 + max(0.25, 9 / 72 / _data_inches(ax))
    ax.text(x0 + (o - 1) / 2, label, f"output {o}×{o}", ha="center", va="bottom", fontsize=9)
    return x0 + o - 0.5, label


def _data_inches(ax):
    """Inches per data unit of an equal-aspect ``ax`` (before layout: an estimate)."""
    width = ax.get_position().width * root(ax).get_size_inches()[0]
    return width / max(abs(np.diff(ax.get_xlim())[0]), 1)


def _unreached(ax, plan, size):
    """Shade the rows and columns at the bottom and right that no window reaches."""
    for j in range(size - plan.unreached, size):
        kw = dict(fc=to_rgba(_RED, 0.18), ec=_RED, lw=0, hatch="xx", zorder=2.5)
        ax.add_patch(Rectangle((-0.5, j - 0.5), size, 1, gid="unreached-row", **kw))
        ax.add_patch(Rectangle((j - 0.5, -0.5), 1, size, gid="unreached-column", **kw))
