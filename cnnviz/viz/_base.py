"""What every figure of :mod:`cnnviz.viz` shares: the Figure, layouts, argument checks, numbers.

Private to :mod:`cnnviz.viz`; the names carry no underscore because the module does.
"""

from __future__ import annotations

import io
import math
from collections.abc import Mapping, Sequence

import matplotlib
import numpy as np
from matplotlib import patheffects
from matplotlib.axes import Axes
from matplotlib.colors import Colormap
from matplotlib.figure import Figure as _MatplotlibFigure
from matplotlib.ticker import MaxNLocator

from cnnviz._checks import check_array, check_int, check_number, check_pair
from cnnviz.arithmetic import MINUS
from cnnviz.palette import COLORS

MAX_NUMBERED = 12  # grids with at most this many cells a side print their values
CELL_IN = 0.42  # inches per cell of a numbered grid
BIG_PANEL_IN = 3.2  # longer side of a grid too big to number
MAX_WIDTH_IN = 14.0
#: The two data series of a line or bar chart (f and f′, training and validation). Borrowed
#: roles of the palette until it names series of its own.


# ---------------------------------------------------------------------------------------------
# Figures
# ---------------------------------------------------------------------------------------------


class Figure(_MatplotlibFigure):
    """The Figure every function here returns: IPython shows it as a PNG with any backend.

    Its repr is that of a plain matplotlib Figure (``<Figure size 640x480 with 1 Axes>``).
    Figures that compute something carry it as ``fig.cnnviz``, a frozen dataclass.
    """

    def _repr_png_(self):
        buffer = io.BytesIO()
        self.savefig(buffer, format="png", bbox_inches="tight")
        return buffer.getvalue()


def new_figure(figsize, dpi=None):
    """A new figure with constrained layout, outside pyplot's list of open figures."""
    return Figure(figsize=figsize, dpi=dpi, layout="constrained")


def root(ax):
    """The top-level Figure of ``ax`` (not a SubFigure)."""
    fig = ax.figure
    while getattr(fig, "figure", fig) is not fig:
        fig = fig.figure
    return fig


def fig_ax(ax, figsize):
    """``(figure, ax)``: the figure of ``ax``, or a new figure with one axes."""
    if check_ax(ax) is not None:
        return root(ax), ax
    fig = new_figure(figsize)
    return fig, fig.add_subplot()


def add_colorbar(fig, image, ax):
    """A slim colorbar of ``image`` beside ``ax``, with at most four ticks."""
    bar = fig.colorbar(image, ax=ax, shrink=0.8, aspect=15, pad=0.03)
    bar.ax.tick_params(labelsize=7)
    bar.locator = MaxNLocator(4)
    bar.update_ticks()
    return bar


def grid_shape(n, ncols, default):
    """``(rows, columns)`` of a grid of ``n`` panels, at most ``ncols`` (or ``default``) wide."""
    ncols = default if ncols is None else check_int(ncols, "ncols", 1)
    ncols = max(1, min(n, ncols))
    return math.ceil(n / ncols), ncols


def axes_grid(fig, n, nrows, ncols):
    """``n`` axes in an ``nrows x ncols`` grid; the unused cells of the grid are removed."""
    axes = fig.subplots(nrows, ncols, squeeze=False).ravel()
    for ax in axes[n:]:
        fig.delaxes(ax)
    return axes[:n]


def halo(artist, linewidth):
    """A white outline behind ``artist``, so that it reads on any background."""
    artist.set_path_effects(
        [
            patheffects.Stroke(linewidth=linewidth, foreground=COLORS["background"]),
            patheffects.Normal(),
        ]
    )
    return artist


def text_width_in(text, fontsize):
    """Width in inches of monospace ``text`` (DejaVu Sans Mono: 0.6 em a character)."""
    return max(len(line) for line in text.split("\n")) * fontsize * 0.6 / 72


def _panel_sizes(shapes, numbered):
    """Width and height in inches of each grid panel, before scaling to the figure width.

    Numbered grids share one cell size (so a kernel looks as big as the window it covers),
    large enough for a title over the narrowest of them; the others get a fixed size.
    """
    narrowest = min((s[1] for s, small in zip(shapes, numbered, strict=True) if small), default=3)
    cell = float(np.clip(1.1 / narrowest, CELL_IN, 0.6))
    sizes = []
    for shape, small in zip(shapes, numbered, strict=True):
        side = cell if small else BIG_PANEL_IN / max(shape)
        sizes.append((shape[1] * side, shape[0] * side))
    return sizes


def step_layout(shapes, numbered, text_in, text_slot, dpi=None):
    """A figure whose gridspec holds the grid panels and, at ``text_slot``, a text column."""
    sizes = _panel_sizes(shapes, numbered)
    room = MAX_WIDTH_IN - text_in - 0.3 * (len(sizes) + 1)
    scale = min(1.0, room / sum(w for w, _ in sizes))
    widths = [max(w * scale, 0.6) for w, _ in sizes]
    widths.insert(text_slot, text_in)
    height = max(h for _, h in sizes) * scale + 1.0
    fig = new_figure((sum(widths) + 0.3 * len(widths), max(height, 2.4)), dpi)
    gs = fig.add_gridspec(1, len(widths), width_ratios=widths)
    axes = [fig.add_subplot(gs[0, j]) for j in range(len(widths))]
    text_ax = axes.pop(text_slot)
    text_ax.set_axis_off()
    return fig, axes, text_ax


def write_out(text_ax, text=""):
    """The written-out computation, in monospace, in the text column of a step figure."""
    return text_ax.text(
        0.02,
        0.5,
        text,
        family="monospace",
        fontsize=10.5,
        va="center",
        ha="left",
        transform=text_ax.transAxes,
    )


# ---------------------------------------------------------------------------------------------
# Arguments (the convention of cnnviz._checks: TypeError for a type, ValueError for a value)
# ---------------------------------------------------------------------------------------------


def check_ax(ax):
    """``ax`` when it is a matplotlib Axes or None."""
    if ax is not None and not isinstance(ax, Axes):
        raise TypeError(f"ax must be a matplotlib Axes or None, got {ax!r}")
    return ax


def check_text(value, name):
    """``value`` when it is a str or None."""
    if value is not None and not isinstance(value, str):
        raise TypeError(f"{name} must be a str or None, got {value!r}")
    return value


def check_texts(values, name, n, each):
    """``values`` as a list of ``n`` str (one per ``each``), or None when None."""
    if values is None:
        return None
    if isinstance(values, str) or not isinstance(values, Sequence):
        raise TypeError(f"{name} must be a sequence of str, got {values!r}")
    if not all(isinstance(v, str) for v in values):
        raise TypeError(f"{name} must hold only str, got {list(values)!r}")
    if len(values) != n:
        raise ValueError(f"{name} must have {n} entries, one per {each}, got {len(values)}")
    return list(values)


def check_mapping(value, name):
    """``value`` when it is a dict (any mapping)."""
    if not isinstance(value, Mapping):
        raise TypeError(f"{name} must be a dict, got {value!r}")
    return value


def check_cmap(cmap):
    """``cmap`` (None, a Colormap or the name of one) as a Colormap, or None."""
    if cmap is None or isinstance(cmap, Colormap):
        return cmap
    if not isinstance(cmap, str):
        raise TypeError(f"cmap must be a colormap, its name or None, got {cmap!r}")
    if cmap not in matplotlib.colormaps:
        raise ValueError(f"cmap must be the name of a matplotlib colormap, got {cmap!r}")
    return matplotlib.colormaps[cmap]


def check_figsize(figsize):
    """``figsize`` as ``(width, height)`` in inches, or None."""
    if figsize is None:
        return None
    if not isinstance(figsize, (tuple, list)) or len(figsize) != 2:
        raise TypeError(f"figsize must be a pair (width, height) in inches, got {figsize!r}")
    return tuple(check_number(v, "figsize", positive=True) for v in figsize)


def check_2d(x, name):
    """``x`` as a 2-D float64 array ``(H, W)`` (the figures compute and print in float64)."""
    return check_array(x, name, ndims=(2,)).astype(np.float64, copy=False)


def check_position(position, out_shape):
    """``position`` as ``(row, col)`` inside an output of ``out_shape``."""
    row, col = check_pair(position, "position", minimum=0)
    if row >= out_shape[0] or col >= out_shape[1]:
        raise ValueError(
            f"position must be inside the {times(out_shape)} output (rows 0..{out_shape[0] - 1}, "
            f"columns 0..{out_shape[1] - 1}), got {(row, col)}"
        )
    return row, col


# ---------------------------------------------------------------------------------------------
# Numbers as the figures print them
# ---------------------------------------------------------------------------------------------


def times(shape):
    """``(3, 4)`` as ``'3×4'``."""
    return "×".join(str(n) for n in shape)


def pair_text(pair):
    """``(2, 2)`` as ``'2'``, ``(1, 2)`` as ``'(1, 2)'``."""
    return str(pair[0]) if pair[0] == pair[1] else f"({pair[0]}, {pair[1]})"


def fmt(value, decimals=2):
    """A number as printed in a cell: integers without decimals, a true minus sign.

    >>> fmt(-1.0), fmt(0.125), fmt(2 / 3, 3)
    ('−1', '0.12', '0.667')
    """
    value = float(value)
    if not math.isfinite(value):
        text = str(value)
    elif value == round(value) and abs(value) < 1e15:
        text = str(int(round(value)))
    else:
        text = f"{value:.{decimals}f}".rstrip("0").rstrip(".")
        text = "0" if text in ("-0", "") else text
    return text.replace("-", MINUS)


def shown_exactly(values, decimals):
    """Whether every value prints without rounding at ``decimals`` places."""
    values = np.asarray(values, dtype=float)
    return bool(np.all(np.round(values, decimals) == values))
