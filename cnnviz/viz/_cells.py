"""Grids of cells with their numbers, and what moves over them: windows, outlines, covers.

Private to :mod:`cnnviz.viz`. Cell ``(r, c)`` of a grid is centred at ``x=c, y=r``. Colours
come from :mod:`cnnviz.palette`: grayscale for images, ``DIVERGING`` centred on 0 for
anything that goes negative, ``HIGHLIGHT`` for the window and the cell it fills.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import matplotlib
import numpy as np
from matplotlib.colors import ListedColormap, Normalize, to_rgba
from matplotlib.patches import Rectangle

from cnnviz._checks import check_array, check_bool
from cnnviz.arithmetic import extent
from cnnviz.palette import COLORS, DIVERGING, HIGHLIGHT

from ._base import MAX_NUMBERED, check_cmap, fmt, halo, root

_SOFT_GRAY = ListedColormap(matplotlib.colormaps["gray"](np.linspace(0.3, 1.0, 256)), "soft_gray")


def diverging_norm(values):
    """Symmetric limits ``(-m, m)`` around zero, with ``m`` the largest magnitude (1 if none)."""
    values = np.asarray(values, dtype=float)
    m = float(np.nanmax(np.abs(values))) if values.size else 0.0
    m = m if m > 0 and math.isfinite(m) else 1.0
    return Normalize(-m, m)


def diverging(values):
    """``(colormap, norm)`` of a kernel or a map that goes negative: centred on 0."""
    return matplotlib.colormaps[DIVERGING], diverging_norm(values)


def cmap_norm(values, cmap=None, soft=False):
    """The colour rule of every picture: ``(colormap, norm)`` for a 2-D map of ``values``.

    Gray from 0 (an image in [0, 1] keeps black = 0 and white = 1, uint8 keeps 0..255, larger
    values go up to their maximum); ``DIVERGING`` with symmetric limits when anything is
    negative. An explicit ``cmap`` keeps the limits of the data. ``soft`` grays start at dark
    grey instead of black, so that numbers printed in the cells and the orange window stay
    readable. :mod:`cnnviz.widgets` colours its pictures with it too.

    Examples
    --------
    >>> cmap, norm = cmap_norm([[0.0, 0.5], [0.25, 1.0]])
    >>> cmap.name, norm.vmin, norm.vmax
    ('gray', 0.0, 1.0)
    >>> cmap, norm = cmap_norm([[-1.0, 2.0]])
    >>> cmap.name, norm.vmin, norm.vmax
    ('RdBu_r', -2.0, 2.0)
    """
    values = check_array(values, "values", dtype=None)
    cmap, soft = check_cmap(cmap), check_bool(soft, "soft")
    low, high = (float(np.nanmin(values)), float(np.nanmax(values))) if values.size else (0, 1)
    if cmap is None and low < 0:
        return diverging(values)
    if low >= 0:
        top = 255.0 if values.dtype == np.uint8 else (1.0 if high <= 1 else high)
        low = 0.0
    else:
        top = high if high > low else low + 1
    if soft and cmap is None:
        return _SOFT_GRAY, Normalize(low, top)
    return cmap or matplotlib.colormaps["gray"], Normalize(low, top)


def text_color(rgba):
    """Dark text on light cells, white on dark ones (relative luminance)."""
    r, g, b = to_rgba(rgba)[:3]
    light = 0.2126 * r + 0.7152 * g + 0.0722 * b > 0.45
    return COLORS["text"] if light else COLORS["background"]


def cell_points(ax, shape):
    """Approximate side of one cell of a ``shape`` grid drawn on ``ax``, in points."""
    box = ax.get_position()
    width, height = root(ax).get_size_inches()
    side = min(box.width * width / shape[1], box.height * height / shape[0])
    return 72 * side * 0.9


def _cell_fontsize(cell_pt, labels):
    """A font size that fits the longest of ``labels`` inside a cell of ``cell_pt`` points."""
    longest = max((len(t) for t in labels), default=1)
    return float(np.clip(min(0.4 * cell_pt, 1.45 * cell_pt / max(longest, 1)), 4.5, 13))


def bare(ax):
    """No ticks: a grid of cells speaks for itself."""
    ax.set_xticks([])
    ax.set_yticks([])


def frame(ax, color=COLORS["rule"], lw=0.8):
    """No ticks and a thin frame, so that white parts of an image still show its edge."""
    bare(ax)
    for spine in ax.spines.values():
        spine.set(color=color, lw=lw)


def cell_lines(ax, shape, color=COLORS["rule"], offset=(0, 0), lw=0.8, zorder=2):
    """Thin lines between the cells of a ``shape`` grid whose cell (0, 0) is at ``offset``."""
    rows, cols = shape
    x0, y0 = offset[0] - 0.5, offset[1] - 0.5
    return [
        ax.hlines(y0 + np.arange(rows + 1), x0, x0 + cols, colors=color, lw=lw, zorder=zorder),
        ax.vlines(x0 + np.arange(cols + 1), y0, y0 + rows, colors=color, lw=lw, zorder=zorder),
    ]


def _blend(rgba, tint=None):
    """``rgba`` seen through a translucent ``tint`` (RGBA)."""
    if tint is None:
        return rgba
    base, top = np.asarray(to_rgba(rgba)[:3]), np.asarray(tint[:3])
    return (*(tint[3] * top + (1 - tint[3]) * base), 1.0)


@dataclass
class Grid:
    """The artists of a grid of cells: the image, one text per cell (or None), the lines."""

    image: object
    texts: np.ndarray | None
    lines: list
    decimals: int
    fontsize: float
    values: np.ndarray | None = None  # set by update
    mask: np.ndarray | None = None

    def update(self, values, mask=None):
        """Draw new ``values``; ``mask`` cells blank (the colormap's 'bad' colour, grey text)."""
        self.values = np.asarray(values, dtype=float)
        self.mask = np.zeros(self.values.shape, bool) if mask is None else np.asarray(mask, bool)
        self.image.set_data(np.ma.masked_array(self.values, mask=self.mask))
        for (r, c), text in np.ndenumerate(self.texts if self.texts is not None else []):
            text.set_text(fmt(self.values[r, c], self.decimals))
            text.set_color(self.text_color(r, c))

    def color(self, r, c):
        """The colour of cell ``(r, c)``."""
        if self.mask[r, c]:
            return self.image.get_cmap().get_bad()
        return self.image.get_cmap()(self.image.norm(self.values[r, c]))

    def text_color(self, r, c, tint=None):
        """The colour of the number of cell ``(r, c)``, under an optional RGBA ``tint``."""
        if self.mask[r, c]:
            return COLORS["muted"]
        return text_color(_blend(self.color(r, c), tint))

    def artists(self):
        texts = [] if self.texts is None else list(self.texts.flat)
        return [self.image, *texts, *self.lines]


def grid(ax, values, cmap, norm, numbers=True, decimals=2, mask=None, lines=True, line_zorder=2):
    """Draw ``values`` cell by cell with their numbers.

    Returns a :class:`Grid` whose ``update`` redraws new values on the same artists.
    """
    values = np.asarray(values, dtype=float)
    image = ax.imshow(
        np.ma.masked_array(values, mask=mask), cmap=cmap, norm=norm, interpolation="nearest"
    )
    texts, fontsize = None, 0.0
    if numbers:
        labels = [fmt(v, decimals) for v in values.ravel()]
        fontsize = _cell_fontsize(cell_points(ax, values.shape), labels)
        texts = np.empty(values.shape, dtype=object)
        for (r, c), _ in np.ndenumerate(values):
            texts[r, c] = ax.text(c, r, "", ha="center", va="center", fontsize=fontsize, zorder=4)
            texts[r, c].set_in_layout(False)  # inside the axes anyway; keeps layout fast
    drawn = cell_lines(ax, values.shape, zorder=line_zorder) if lines else []
    bare(ax)
    cells = Grid(image, texts, drawn, decimals, fontsize)
    cells.update(values, mask)
    return cells


def outline(ax, row, col, height=1, width=1, color=HIGHLIGHT, lw=2.5, **kwargs):
    """A rectangle around cells ``[row, row+height) x [col, col+width)``, with a white halo."""
    rect = Rectangle(
        (col - 0.5, row - 0.5), width, height, fill=False, ec=color, lw=lw, zorder=5, **kwargs
    )
    ax.add_patch(halo(rect, lw + 2))
    return rect


def circle(ax, row, col, size, color, visible=True):
    """A ring of ``size`` points around cell ``(row, col)``, with a white halo."""
    (ring,) = ax.plot(
        [col], [row], "o", ms=size, mfc="none", mec=color, mew=2.2, zorder=6, visible=visible
    )
    return halo(ring, 4.5)


def ring(ax, shape):
    """A ring that finds one cell in a grid too big to number (invisible on small grids)."""
    return circle(ax, 0, 0, 16, HIGHLIGHT, visible=max(shape) > MAX_NUMBERED)


def move(rect, row, col):
    rect.set_xy((col - 0.5, row - 0.5))


def hatch_ring(ax, shape, top, bottom, left, right, hatch="///", color=None, gid="padding"):
    """Hatch the ring ``top`` rows, ``bottom`` rows, ... of a ``shape`` grid.

    The padding (``gid="padding"``) is hatched in the padding's edge colour over its cells;
    any other ring (a crop) is tinted and hatched in ``color`` above them.
    """
    padding = gid == "padding"
    color = COLORS["padding_edge"] if color is None else color
    rows, cols = shape
    strips = [
        (0, 0, cols, top),
        (0, rows - bottom, cols, bottom),
        (0, top, left, rows - top - bottom),
        (cols - right, top, right, rows - top - bottom),
    ]
    patches = []
    for x, y, w, h in strips:
        if w > 0 and h > 0:
            patch = Rectangle(
                (x - 0.5, y - 0.5),
                w,
                h,
                fc="none" if padding else to_rgba(color, 0.15),
                hatch=hatch,
                ec=color,
                lw=0,
                zorder=1.5 if padding else 2.5,
                gid=gid,
            )
            ax.add_patch(patch)
            patches.append(patch)
    return patches


def taps(row, col, kernel, dilation):
    """Rows and columns (two index arrays) of the taps of the window whose corner is (row, col)."""
    return (row + dilation[0] * np.arange(kernel[0]))[:, None], (
        col + dilation[1] * np.arange(kernel[1])
    )[None, :]


def tint(shape, cells, color=HIGHLIGHT, alpha=0.38):
    """RGBA layer over a ``shape`` grid that tints ``cells`` (an index into the grid)."""
    layer = np.zeros((*shape, 4))
    layer[cells] = to_rgba(color, alpha)
    return layer


class Window:
    """A receptive field on a grid: its taps tinted, their numbers in bold, its outline.

    The outline's gid is ``"window"``.
    """

    def __init__(self, ax, cells, kernel, dilation=(1, 1)):
        self.grid, self.kernel, self.dilation = cells, kernel, dilation
        n_taps = int(np.prod(kernel))
        self.tint = to_rgba(HIGHLIGHT, 0.38)
        self.cells = [
            Rectangle((0, 0), 1, 1, fc=self.tint, lw=0, zorder=4.5) for _ in range(n_taps)
        ]
        for cell in self.cells:
            ax.add_patch(cell)
        span = tuple(extent(k, d) for k, d in zip(kernel, dilation, strict=True))
        dashed = dilation != (1, 1)
        self.outline = outline(ax, 0, 0, *span, ls="--" if dashed else "-", gid="window")
        self.texts = []
        if cells.texts is not None:
            bold = dict(ha="center", va="center", fontsize=cells.fontsize, fontweight="bold")
            self.texts = [ax.text(0, 0, "", zorder=4.8, **bold) for _ in range(n_taps)]

    def move(self, row, col):
        """Put the window's top-left tap on cell ``(row, col)``."""
        rows, cols = taps(row, col, self.kernel, self.dilation)
        move(self.outline, row, col)
        cells = np.stack(np.broadcast_arrays(rows, cols), axis=-1).reshape(-1, 2)
        for rect, (r, c) in zip(self.cells, cells, strict=True):
            move(rect, r, c)
        for text, (r, c) in zip(self.texts, cells, strict=bool(self.texts)):
            text.set_position((c, r))
            text.set_text(fmt(self.grid.values[r, c], self.grid.decimals))
            text.set_color(self.grid.text_color(r, c, self.tint))

    def artists(self):
        return [*self.cells, self.outline, *self.texts]


class Cover:
    """The background colour over the output cells a sliding window has not filled yet.

    Its two patches have the gid ``"unfilled"``.
    """

    def __init__(self, ax, shape):
        self.shape = shape
        kw = dict(fc=COLORS["background"], lw=0, zorder=4.5, gid="unfilled")
        self.row = ax.add_patch(Rectangle((0, 0), 0, 1, **kw))  # rest of the current row
        self.below = ax.add_patch(Rectangle((0, 0), 0, 0, **kw))  # the rows below it

    def move(self, position):
        """Cover every cell after ``position`` in raster order."""
        (r, c), (rows, cols) = position, self.shape
        self.row.set_bounds(c + 0.5, r - 0.5, cols - c - 1, 1)
        self.below.set_bounds(-0.5, r + 0.5, cols, rows - r - 1)

    def artists(self):
        return [self.row, self.below]


def current_cell(ax, shape, position):
    """Outline output ``position`` (gid ``"current"``) and ring it when the grid is large."""
    cell = outline(ax, *position, gid="current")
    found = ring(ax, shape)
    found.set_data([position[1]], [position[0]])
    return cell, found
