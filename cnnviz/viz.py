"""Pictures of the operations of a CNN, drawn with matplotlib.

Every function returns the :class:`~matplotlib.figure.Figure` it drew (:func:`animate_conv`
returns the animation) and never calls ``plt.show()``; functions that need a single axes take
an optional ``ax`` to draw into. The figures are not registered with pyplot: a notebook shows a
returned figure exactly once, and a widget that redraws a hundred times leaves no open figures
behind. To show one that you keep in a variable, make it the last expression of a cell or call
``IPython.display.display(fig)``.

Colours follow one rule: grayscale for images, a diverging colormap centred on zero
(``RdBu_r``, symmetric limits) for kernels and for maps that go negative, and one orange for
"where the window is now", in every figure. Small grids (at most 12 cells a side) print their
values in the cells. All the arithmetic comes from :mod:`cnnviz.ops`; this module only draws.

Figures that compute a number expose it for tests and readers: ``fig.cnnviz_value`` is the
output value of :func:`show_conv_step` and :func:`show_pooling_step`.

Examples
--------
>>> x = np.arange(9).reshape(3, 3)
>>> fig = show_conv_step(x, np.array([[0, 1], [2, 3]]))
>>> fig.cnnviz_value            # 0x0 + 1x1 + 3x2 + 4x3
19.0
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass

import matplotlib
import numpy as np
from matplotlib import patheffects
from matplotlib.animation import FuncAnimation
from matplotlib.artist import Artist
from matplotlib.colors import BoundaryNorm, ListedColormap, Normalize, to_rgba
from matplotlib.figure import Figure as _MatplotlibFigure
from matplotlib.patches import Patch, Rectangle
from matplotlib.ticker import MaxNLocator

from . import ops

__all__ = [
    "animate_conv",
    "conv_arithmetic_diagram",
    "plot_activations",
    "plot_confusion_matrix",
    "plot_history",
    "plot_softmax",
    "show_conv_step",
    "show_feature_maps",
    "show_image",
    "show_images",
    "show_kernel",
    "show_pooling_step",
    "show_predictions",
]

DIVERGING = "RdBu_r"
HIGHLIGHT = "#f58518"  # the window, its taps and the output cell it fills
CHOSEN = "#c0392b"  # the cell a max/min pooling picks
_MAX_NUMBERED = 12  # grids with at most this many cells a side print their values
_CELL_IN = 0.42  # inches per cell of a numbered grid
_BIG_PANEL_IN = 3.2  # longer side of a grid too big to number
_MAX_WIDTH_IN = 14.0
_PAD_COLOR = "0.88"
_LINE_COLOR = "0.75"
_MINUS = "\u2212"
_SOFT_GRAY = ListedColormap(matplotlib.colormaps["gray"](np.linspace(0.3, 1.0, 256)), "soft_gray")


# ---------------------------------------------------------------------------------------------
# Figures and arguments
# ---------------------------------------------------------------------------------------------


class Figure(_MatplotlibFigure):
    """The Figure every function here returns: IPython shows it as a PNG with any backend.

    Its repr is that of a plain matplotlib Figure (``<Figure size 640x480 with 1 Axes>``).
    """

    def _repr_png_(self):
        buffer = io.BytesIO()
        self.savefig(buffer, format="png", bbox_inches="tight")
        return buffer.getvalue()


def _figure(figsize, dpi=None):
    """A new figure with constrained layout, outside pyplot's list of open figures."""
    return Figure(figsize=figsize, dpi=dpi, layout="constrained")


def _root(ax):
    """The top-level Figure of ``ax`` (not a SubFigure)."""
    fig = ax.figure
    while getattr(fig, "figure", fig) is not fig:
        fig = fig.figure
    return fig


def _fig_ax(ax, figsize):
    """``(figure, ax)``: the figure of ``ax``, or a new figure with one axes."""
    if ax is not None:
        return _root(ax), ax
    fig = _figure(figsize)
    return fig, fig.add_subplot()


def _as_pair(value, name):
    """``value`` (an int or a pair of ints) as a tuple ``(h, w)``."""
    pair = (value, value) if np.ndim(value) == 0 else tuple(value)
    if len(pair) != 2 or not all(isinstance(v, (int, np.integer)) for v in pair):
        raise TypeError(f"{name} must be an int or a pair of ints, got {value!r}")
    return int(pair[0]), int(pair[1])


def _pair_text(pair):
    return str(pair[0]) if pair[0] == pair[1] else f"({pair[0]}, {pair[1]})"


def _as_2d(x, name):
    """``x`` as a 2-D float array, or ``ValueError`` naming ``name`` and its shape."""
    arr = np.asarray(x, dtype=float)
    if arr.ndim != 2:
        raise ValueError(f"{name} must be 2-D (H, W), got shape {arr.shape}")
    return arr


def _check_position(position, out_shape):
    """``position`` as ``(row, col)`` inside an output of ``out_shape``."""
    row, col = _as_pair(position, "position")
    if not (0 <= row < out_shape[0] and 0 <= col < out_shape[1]):
        raise ValueError(
            f"position {(row, col)} is outside the {_times(out_shape)} output "
            f"(rows 0..{out_shape[0] - 1}, columns 0..{out_shape[1] - 1})"
        )
    return row, col


def _times(shape):
    """``(3, 4)`` as ``'3×4'``."""
    return "×".join(str(n) for n in shape)


def _fmt(value, decimals=2):
    """A number as printed in a cell: integers without decimals, a true minus sign."""
    value = float(value)
    if not math.isfinite(value):
        text = str(value)
    elif value == round(value) and abs(value) < 1e15:
        text = str(int(round(value)))
    else:
        text = f"{value:.{decimals}f}".rstrip("0").rstrip(".")
        text = "0" if text in ("-0", "") else text
    return text.replace("-", _MINUS)


def _shown_exactly(values, decimals):
    """Whether every value prints without rounding at ``decimals`` places."""
    values = np.asarray(values, dtype=float)
    return bool(np.all(np.round(values, decimals) == values))


# ---------------------------------------------------------------------------------------------
# Colours and grids of cells (used by every picture below)
# ---------------------------------------------------------------------------------------------


def _diverging_norm(values):
    """Symmetric limits ``(-m, m)`` around zero, with ``m`` the largest magnitude (1 if none)."""
    values = np.asarray(values, dtype=float)
    m = float(np.nanmax(np.abs(values))) if values.size else 0.0
    m = m if m > 0 and math.isfinite(m) else 1.0
    return Normalize(-m, m)


def _cmap_norm(values, cmap=None, soft=False):
    """Colormap and norm for ``values``: gray from 0 (0..1 images stay 0..1), diverging if negative.

    An explicit ``cmap`` keeps the limits of the data (or 0..1 / 0..255 for images). ``soft``
    grays start at dark grey instead of black, so that numbers printed in the cells and the
    orange window stay readable.
    """
    values = np.asarray(values)
    low, high = (float(np.nanmin(values)), float(np.nanmax(values))) if values.size else (0, 1)
    if cmap is None and low < 0:
        return matplotlib.colormaps[DIVERGING], _diverging_norm(values)
    if low >= 0:
        top = 255.0 if values.dtype == np.uint8 else (1.0 if high <= 1 else high)
        low = 0.0
    else:
        top = high if high > low else low + 1
    if soft and cmap is None:
        return _SOFT_GRAY, Normalize(low, top)
    return matplotlib.colormaps[cmap or "gray"], Normalize(low, top)


def _text_color(rgba):
    """Black on light cells, white on dark ones (relative luminance)."""
    r, g, b = to_rgba(rgba)[:3]
    return "black" if 0.2126 * r + 0.7152 * g + 0.0722 * b > 0.45 else "white"


def _cell_points(ax, shape):
    """Approximate side of one cell of a ``shape`` grid drawn on ``ax``, in points."""
    fig = _root(ax)
    box = ax.get_position()
    width, height = fig.get_size_inches()
    side = min(box.width * width / shape[1], box.height * height / shape[0])
    return 72 * side * 0.9


def _cell_fontsize(cell_pt, labels):
    """A font size that fits the longest of ``labels`` inside a cell of ``cell_pt`` points."""
    longest = max((len(t) for t in labels), default=1)
    return float(np.clip(min(0.4 * cell_pt, 1.45 * cell_pt / max(longest, 1)), 4.5, 13))


def _bare(ax):
    """No ticks, no frame ticks: a grid of cells speaks for itself."""
    ax.set_xticks([])
    ax.set_yticks([])


def _frame(ax, color="0.7", lw=0.8):
    """No ticks and a thin frame, so that white parts of an image still show its edge."""
    _bare(ax)
    for spine in ax.spines.values():
        spine.set(color=color, lw=lw)


def _cell_lines(ax, shape, color=_LINE_COLOR, offset=(0, 0), lw=0.8, zorder=2):
    """Thin lines between the cells of a ``shape`` grid whose cell (0, 0) is at ``offset``."""
    rows, cols = shape
    x0, y0 = offset[0] - 0.5, offset[1] - 0.5
    return [
        ax.hlines(y0 + np.arange(rows + 1), x0, x0 + cols, colors=color, lw=lw, zorder=zorder),
        ax.vlines(x0 + np.arange(cols + 1), y0, y0 + rows, colors=color, lw=lw, zorder=zorder),
    ]


@dataclass
class _Grid:
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
            text.set_text(_fmt(self.values[r, c], self.decimals))
            text.set_color(self.text_color(r, c))

    def color(self, r, c):
        """The colour of cell ``(r, c)``."""
        if self.mask[r, c]:
            return self.image.get_cmap().get_bad()
        return self.image.get_cmap()(self.image.norm(self.values[r, c]))

    def text_color(self, r, c, tint=None):
        """Black or white for the number of cell ``(r, c)``, under an optional RGBA ``tint``."""
        if self.mask[r, c]:
            return "0.35"
        return _text_color(_blend(self.color(r, c), tint))

    def artists(self):
        texts = [] if self.texts is None else list(self.texts.flat)
        return [self.image, *texts, *self.lines]


def _blend(rgba, tint=None):
    """``rgba`` seen through a translucent ``tint`` (RGBA)."""
    if tint is None:
        return rgba
    base, top = np.asarray(to_rgba(rgba)[:3]), np.asarray(tint[:3])
    return (*(tint[3] * top + (1 - tint[3]) * base), 1.0)


def _grid(ax, values, cmap, norm, numbers=True, decimals=2, mask=None, lines=True, line_zorder=2):
    """Draw ``values`` cell by cell (cell (r, c) centred at x=c, y=r) with their numbers.

    Returns a :class:`_Grid` whose ``update`` redraws new values on the same artists.
    """
    values = np.asarray(values, dtype=float)
    image = ax.imshow(
        np.ma.masked_array(values, mask=mask), cmap=cmap, norm=norm, interpolation="nearest"
    )
    texts, fontsize = None, 0.0
    if numbers:
        labels = [_fmt(v, decimals) for v in values.ravel()]
        fontsize = _cell_fontsize(_cell_points(ax, values.shape), labels)
        texts = np.empty(values.shape, dtype=object)
        for (r, c), _ in np.ndenumerate(values):
            texts[r, c] = ax.text(c, r, "", ha="center", va="center", fontsize=fontsize, zorder=4)
            texts[r, c].set_in_layout(False)  # inside the axes anyway; keeps layout fast
    drawn = _cell_lines(ax, values.shape, zorder=line_zorder) if lines else []
    _bare(ax)
    grid = _Grid(image, texts, drawn, decimals, fontsize)
    grid.update(values, mask)
    return grid


def _outline(ax, row, col, height=1, width=1, color=HIGHLIGHT, lw=2.5, **kwargs):
    """A rectangle around cells ``[row, row+height) x [col, col+width)``, with a white halo."""
    rect = Rectangle(
        (col - 0.5, row - 0.5), width, height, fill=False, ec=color, lw=lw, zorder=5, **kwargs
    )
    rect.set_path_effects(
        [patheffects.Stroke(linewidth=lw + 2, foreground="white"), patheffects.Normal()]
    )
    ax.add_patch(rect)
    return rect


def _ring(ax, shape):
    """A ring that finds one cell in a grid too big to number (invisible on small grids)."""
    (ring,) = ax.plot(
        [0],
        [0],
        "o",
        ms=16,
        mfc="none",
        mec=HIGHLIGHT,
        mew=2.2,
        zorder=6,
        visible=max(shape) > _MAX_NUMBERED,
    )
    ring.set_path_effects(
        [patheffects.Stroke(linewidth=4.5, foreground="white"), patheffects.Normal()]
    )
    return ring


def _move(rect, row, col):
    rect.set_xy((col - 0.5, row - 0.5))


def _hatch_ring(ax, shape, top, bottom, left, right, hatch="///", color="0.62", gid="padding"):
    """Hatch the padding ring (``top`` rows, ``bottom`` rows, ...) of a ``shape`` grid."""
    rows, cols = shape
    x0, y0 = -0.5, -0.5
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
                (x0 + x, y0 + y),
                w,
                h,
                fc="none" if gid == "padding" else to_rgba(color, 0.15),
                hatch=hatch,
                ec=color,
                lw=0,
                zorder=1.5 if gid == "padding" else 2.5,
                gid=gid,
            )
            ax.add_patch(patch)
            patches.append(patch)
    return patches


def _taps(row, col, kernel, dilation):
    """Rows and columns (two index arrays) of the taps of the window whose corner is (row, col)."""
    return (row + dilation[0] * np.arange(kernel[0]))[:, None], (
        col + dilation[1] * np.arange(kernel[1])
    )[None, :]


def _tint(shape, cells, color=HIGHLIGHT, alpha=0.38):
    """RGBA layer over a ``shape`` grid that tints ``cells`` (an index into the grid)."""
    layer = np.zeros((*shape, 4))
    layer[cells] = to_rgba(color, alpha)
    return layer


def _extent(kernel, dilation):
    """Rows and columns a dilated kernel spans: ``d(k-1) + 1``."""
    return tuple(d * (k - 1) + 1 for k, d in zip(kernel, dilation, strict=True))


class _Window:
    """A receptive field on a grid: its taps tinted, their numbers in bold, its outline."""

    def __init__(self, ax, grid, kernel, dilation=(1, 1)):
        self.grid, self.kernel, self.dilation = grid, kernel, dilation
        taps = int(np.prod(kernel))
        self.tint = to_rgba(HIGHLIGHT, 0.38)
        self.cells = [Rectangle((0, 0), 1, 1, fc=self.tint, lw=0, zorder=4.5) for _ in range(taps)]
        for cell in self.cells:
            ax.add_patch(cell)
        dashed = dilation != (1, 1)
        self.outline = _outline(ax, 0, 0, *_extent(kernel, dilation), ls="--" if dashed else "-")
        self.texts = []
        if grid.texts is not None:
            self.texts = [
                ax.text(
                    0,
                    0,
                    "",
                    ha="center",
                    va="center",
                    fontsize=grid.fontsize,
                    fontweight="bold",
                    zorder=4.8,
                )
                for _ in range(taps)
            ]

    def move(self, row, col):
        """Put the window's top-left tap on cell ``(row, col)``."""
        rows, cols = _taps(row, col, self.kernel, self.dilation)
        _move(self.outline, row, col)
        cells = np.stack(np.broadcast_arrays(rows, cols), axis=-1).reshape(-1, 2)
        for rect, (r, c) in zip(self.cells, cells, strict=True):
            _move(rect, r, c)
        for text, (r, c) in zip(self.texts, cells, strict=bool(self.texts)):
            text.set_position((c, r))
            text.set_text(_fmt(self.grid.values[r, c], self.grid.decimals))
            text.set_color(self.grid.text_color(r, c, self.tint))

    def artists(self):
        return [*self.cells, self.outline, *self.texts]


class _Cover:
    """Opaque white over the output cells a sliding window has not filled yet."""

    def __init__(self, ax, shape):
        self.shape = shape
        kw = dict(fc="white", lw=0, zorder=4.5)
        self.row = ax.add_patch(Rectangle((0, 0), 0, 1, **kw))  # rest of the current row
        self.below = ax.add_patch(Rectangle((0, 0), 0, 0, **kw))  # the rows below it

    def move(self, position):
        """Cover every cell after ``position`` in raster order."""
        (r, c), (rows, cols) = position, self.shape
        self.row.set_bounds(c + 0.5, r - 0.5, cols - c - 1, 1)
        self.below.set_bounds(-0.5, r + 0.5, cols, rows - r - 1)

    def artists(self):
        return [self.row, self.below]


def _freeze_background(fig, dynamic):
    """Render all but the ``dynamic`` artists once, as one picture behind them.

    The layout is fixed first; the frames of an animation then draw only what changes, at
    the figure's dpi (the background is a :meth:`~matplotlib.figure.Figure.figimage`).
    """
    from matplotlib.backend_bases import FigureCanvasBase
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    fig.draw_without_rendering()
    fig.set_layout_engine(None)  # keep the positions just computed; no layout per frame
    dynamic = set(dynamic)
    shown = {a: a.get_visible() for a in dynamic}
    for artist in dynamic:
        artist.set_visible(False)
    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    background = np.asarray(canvas.buffer_rgba()).copy()
    FigureCanvasBase(fig)  # a canvas whose draw_idle does nothing: one draw per frame
    for ax in fig.axes:
        for child in ax.get_children():
            child.set_visible(shown.get(child, False))
    for text in (fig._suptitle, fig._supxlabel, fig._supylabel):
        if text is not None:
            text.set_visible(False)
    fig.patch.set_visible(False)
    return fig.add_artist(_Backdrop(background, fig.dpi))


class _Backdrop(Artist):
    """A pre-rendered RGBA picture of a whole figure, blitted without resampling."""

    def __init__(self, rgba, dpi):
        super().__init__()
        self.rgba, self.dpi = rgba, dpi
        self.set_zorder(-1)

    def draw(self, renderer):
        rgba = self.rgba
        if renderer.dpi != self.dpi:  # saved at another dpi: nearest-neighbour rescale
            scale = renderer.dpi / self.dpi
            rows = (np.arange(round(rgba.shape[0] * scale)) / scale).astype(int)
            cols = (np.arange(round(rgba.shape[1] * scale)) / scale).astype(int)
            rgba = rgba[rows[:, None], cols[None, :]]
        gc = renderer.new_gc()
        renderer.draw_image(gc, 0, 0, np.ascontiguousarray(rgba[::-1]))
        gc.restore()


# ---------------------------------------------------------------------------------------------
# Images and kernels
# ---------------------------------------------------------------------------------------------


def _as_images(images):
    """A list of 2-D or (H, W, 3) arrays from a list, (N, H, W[, C]) or (N, C, H, W) batch."""
    if isinstance(images, (list, tuple)):
        return [_as_display(np.asarray(im)) for im in images]
    arr = np.asarray(images)
    if arr.ndim == 2:
        return [arr]
    if arr.ndim == 4 and arr.shape[1] in (1, 3) and arr.shape[-1] not in (1, 3):
        arr = arr.transpose(0, 2, 3, 1)  # (N, C, H, W) -> (N, H, W, C)
    if arr.ndim not in (3, 4):
        raise ValueError(f"images must be (N, H, W), (N, H, W, C) or (N, C, H, W), got {arr.shape}")
    return [_as_display(im) for im in arr]


def _as_display(image):
    """One image as imshow wants it: (H, W) or (H, W, 3) with RGB floats in [0, 1]."""
    image = np.asarray(image)
    if image.ndim == 3 and image.shape[0] in (1, 3) and image.shape[-1] not in (1, 3):
        image = image.transpose(1, 2, 0)
    if image.ndim == 3 and image.shape[-1] == 1:
        image = image[..., 0]
    if image.ndim == 3 and image.dtype != np.uint8 and (image.min() < 0 or image.max() > 1):
        image = (image - image.min()) / max(float(np.ptp(image)), 1e-12)  # standardized RGB
    if image.ndim not in (2, 3) or (image.ndim == 3 and image.shape[-1] != 3):
        raise ValueError(f"an image must be (H, W), (H, W, 3) or (3, H, W), got {image.shape}")
    return image


def show_image(image, ax=None, title=None, cmap=None, colorbar=False):
    """Show one image: grayscale, or a diverging colormap centred on 0 if it has negative values.

    Parameters
    ----------
    image : array_like
        ``(H, W)``, ``(H, W, 3)`` or ``(3, H, W)``. A grayscale image in [0, 1] is shown with
        black = 0 and white = 1 (no contrast stretch), uint8 with 0..255.
    ax : matplotlib.axes.Axes, optional
        Where to draw; a new figure when omitted.
    title : str, optional
    cmap : str, optional
        Colormap of a 2-D image; ``None`` picks gray or ``RdBu_r`` as above.
    colorbar : bool, default False

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> fig = show_image(np.eye(4), title="identity")
    >>> fig.axes[0].get_title()
    'identity'
    """
    image = _as_display(image)
    fig, ax = _fig_ax(ax, (3.2, 3.2))
    if image.ndim == 3:
        im = ax.imshow(image, interpolation="nearest")
    else:
        cmap_, norm = _cmap_norm(image, cmap)
        im = ax.imshow(image, cmap=cmap_, norm=norm, interpolation="nearest")
    if colorbar and image.ndim == 2:
        _colorbar(fig, im, ax)
    if title is not None:
        ax.set_title(title, fontsize=10)
    _frame(ax)
    return fig


def _colorbar(fig, image, ax):
    bar = fig.colorbar(image, ax=ax, shrink=0.8, aspect=15, pad=0.03)
    bar.ax.tick_params(labelsize=7)
    bar.locator = MaxNLocator(4)
    bar.update_ticks()
    return bar


def _grid_shape(n, ncols, default):
    ncols = max(1, min(n, ncols or default))
    return math.ceil(n / ncols), ncols


def _axes_grid(fig, n, nrows, ncols):
    """``n`` axes in an ``nrows x ncols`` grid; the unused cells of the grid are removed."""
    axes = fig.subplots(nrows, ncols, squeeze=False).ravel()
    for ax in axes[n:]:
        fig.delaxes(ax)
    return axes[:n]


def show_images(images, titles=None, ncols=None, cmap="gray", figsize=None):
    """Show several images in a grid, each with its title.

    Parameters
    ----------
    images : sequence of array_like or array_like
        A list of images, or a batch ``(N, H, W)``, ``(N, H, W, 3)`` or ``(N, C, H, W)``.
    titles : sequence of str, optional
    ncols : int, optional
        Columns of the grid (default: all in one row, at most 6).
    cmap : str, default 'gray'
        Colormap of the 2-D images.
    figsize : (float, float), optional

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> fig = show_images([np.eye(3), np.ones((3, 3))], titles=["eye", "ones"])
    >>> [ax.get_title() for ax in fig.axes]
    ['eye', 'ones']
    """
    images = _as_images(images)
    if titles is not None and len(titles) != len(images):
        raise ValueError(f"titles has {len(titles)} entries for {len(images)} images")
    nrows, ncols = _grid_shape(len(images), ncols, 6)
    fig = _figure(figsize or (2.1 * ncols, 2.1 * nrows + 0.4))
    for k, ax in enumerate(_axes_grid(fig, len(images), nrows, ncols)):
        show_image(images[k], ax=ax, cmap=cmap, title=None if titles is None else titles[k])
    return fig


def show_kernel(kernel, ax=None, title=None, decimals=2):
    """Show a kernel as a grid of coloured cells with its values printed in them.

    Blue is negative, red positive, white zero (``RdBu_r`` with symmetric limits). A kernel
    bigger than 12x12 gets a colorbar instead of numbers.

    Parameters
    ----------
    kernel : array_like
        ``(kh, kw)``.
    ax : matplotlib.axes.Axes, optional
    title : str, optional
        Default ``'kernel 3×3'``.
    decimals : int, default 2

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> fig = show_kernel(np.array([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]]))
    >>> fig.axes[0].get_title(), fig.axes[0].images[0].norm.vmin
    ('kernel 3×3', -2.0)
    """
    kernel = _as_2d(kernel, "kernel")
    side = min(0.5 * max(kernel.shape), 4.0) + 0.6
    fig, ax = _fig_ax(ax, (side, side + 0.3))
    numbered = max(kernel.shape) <= _MAX_NUMBERED
    norm = _diverging_norm(kernel)
    grid = _grid(ax, kernel, matplotlib.colormaps[DIVERGING], norm, numbered, decimals)
    if not numbered:
        _colorbar(fig, grid.image, ax)
    ax.set_title(f"kernel {_times(kernel.shape)}" if title is None else title, fontsize=10)
    return fig


# ---------------------------------------------------------------------------------------------
# One step of a convolution, and the animation of all of them
# ---------------------------------------------------------------------------------------------


@dataclass
class _Conv:
    """Everything a picture of ``conv2d(image, kernel, stride, padding, dilation)`` shows."""

    image: np.ndarray
    kernel: np.ndarray
    stride: tuple
    padding: tuple
    dilation: tuple
    padded: np.ndarray
    windows: np.ndarray  # (oh, ow, kh, kw) views of the padded input
    output: np.ndarray

    @classmethod
    def of(cls, image, kernel, stride, padding, dilation):
        image, kernel = _as_2d(image, "image"), _as_2d(kernel, "kernel")
        stride, padding = _as_pair(stride, "stride"), _as_pair(padding, "padding")
        dilation = _as_pair(dilation, "dilation")
        output = ops.conv2d(image, kernel, stride=stride, padding=padding, dilation=dilation)
        padded = ops.pad2d(image, padding)
        windows = ops.sliding_windows(padded, kernel.shape, stride, dilation)
        return cls(image, kernel, stride, padding, dilation, padded, windows, output)

    def setting(self):
        """``'stride=2, padding=1 → 3×3'`` (dilation only when it is not 1)."""
        text = f"stride={_pair_text(self.stride)}, padding={_pair_text(self.padding)}"
        if self.dilation != (1, 1):
            text += f", dilation={_pair_text(self.dilation)}"
        return f"{text} → {_times(self.output.shape)}"

    def corner(self, position):
        """Top-left tap of the window of output ``position``, in padded coordinates."""
        return position[0] * self.stride[0], position[1] * self.stride[1]


def _sum_lines(window, kernel, position, decimals=2):
    """The written-out sum ``y[r, c] = 0×0 + 1×1 + ... = 19``, one kernel row per line."""
    products = window * kernel
    value = float(products.sum())
    lines = [f"y[{position[0]}, {position[1]}] ="]
    if kernel.size <= 16 and kernel.shape[1] <= 4:

        def factor(v):
            return f"({_fmt(v, decimals)})" if v < 0 else _fmt(v, decimals)

        rows = [
            " + ".join(f"{factor(x)}×{factor(w)}" for x, w in zip(xr, wr, strict=True))
            for xr, wr in zip(window, kernel, strict=True)
        ]
        lines += ["  " + rows[0]] + ["+ " + row for row in rows[1:]]
    else:
        lines += [f"  sum of the {kernel.size}", "  products"]
    exact = _shown_exactly(window, decimals) and _shown_exactly(kernel, decimals)
    lines.append(("= " if exact else "≈ ") + _fmt(value, decimals))
    return "\n".join(lines), value


def _text_width_in(text, fontsize):
    """Width in inches of monospace ``text`` (DejaVu Sans Mono: 0.6 em a character)."""
    return max(len(line) for line in text.split("\n")) * fontsize * 0.6 / 72


def _panel_sizes(shapes, numbered):
    """Width and height in inches of each grid panel, before scaling to the figure width.

    Numbered grids share one cell size (so a kernel looks as big as the window it covers),
    large enough for a title over the narrowest of them; the others get a fixed size.
    """
    narrowest = min((s[1] for s, small in zip(shapes, numbered, strict=True) if small), default=3)
    cell = float(np.clip(1.1 / narrowest, _CELL_IN, 0.6))
    sizes = []
    for shape, small in zip(shapes, numbered, strict=True):
        side = cell if small else _BIG_PANEL_IN / max(shape)
        sizes.append((shape[1] * side, shape[0] * side))
    return sizes


def _step_layout(shapes, numbered, text_in, text_slot, dpi=None):
    """A figure whose gridspec holds the grid panels and, at ``text_slot``, a text column."""
    sizes = _panel_sizes(shapes, numbered)
    room = _MAX_WIDTH_IN - text_in - 0.3 * (len(sizes) + 1)
    scale = min(1.0, room / sum(w for w, _ in sizes))
    widths = [max(w * scale, 0.6) for w, _ in sizes]
    widths.insert(text_slot, text_in)
    height = max(h for _, h in sizes) * scale + 1.0
    fig = _figure((sum(widths) + 0.3 * len(widths), max(height, 2.4)), dpi)
    gs = fig.add_gridspec(1, len(widths), width_ratios=widths)
    axes = [fig.add_subplot(gs[0, j]) for j in range(len(widths))]
    text_ax = axes.pop(text_slot)
    text_ax.set_axis_off()
    return fig, axes, text_ax


class _ConvStep:
    """The artists of one convolution step, movable to any output position."""

    def __init__(self, conv, positions, decimals=2, dpi=None):
        self.conv, self.decimals = conv, decimals
        kernel, out = conv.kernel, conv.output
        small = max(conv.image.shape) <= _MAX_NUMBERED
        small_kernel = max(kernel.shape) <= _MAX_NUMBERED
        texts = [_sum_lines(conv.windows[p], kernel, p, decimals)[0] for p in positions]
        width = max(_text_width_in(t, 10.5) for t in texts) + 0.1
        shapes = [conv.padded.shape, kernel.shape, kernel.shape, out.shape]
        numbered = [small, small_kernel, small_kernel, small]
        fig, axes, text_ax = _step_layout(shapes, numbered, width, 3, dpi)
        self.fig = fig
        self._draw_input(axes[0], small)
        self._draw_kernel(axes[1], small_kernel)
        self._draw_products(axes[2], small_kernel)
        self._draw_output(axes[3], small)
        self.sum_text = text_ax.text(
            0.02,
            0.5,
            "",
            family="monospace",
            fontsize=10.5,
            va="center",
            ha="left",
            transform=text_ax.transAxes,
        )
        fig.suptitle(conv.setting(), fontsize=12)

    def _draw_input(self, ax, numbers):
        conv = self.conv
        (top, left), shape = conv.padding, conv.padded.shape
        ring = np.ones(shape, bool)
        ring[top : top + conv.image.shape[0], left : left + conv.image.shape[1]] = False
        cmap, norm = _cmap_norm(conv.image, soft=numbers)
        grid = _grid(
            ax,
            conv.padded,
            cmap.with_extremes(bad=_PAD_COLOR),
            norm,
            numbers,
            self.decimals,
            mask=ring,
            lines=max(shape) <= 2 * _MAX_NUMBERED,
        )
        _hatch_ring(ax, shape, top, top, left, left)
        self.window = _Window(ax, grid, conv.kernel.shape, conv.dilation)
        title = f"input {_times(conv.image.shape)}"
        if any(conv.padding):
            title += f", padded to {_times(shape)}"
        ax.set_title(title, fontsize=10)

    def _draw_kernel(self, ax, numbers):
        kernel = self.conv.kernel
        _grid(
            ax,
            kernel,
            matplotlib.colormaps[DIVERGING],
            _diverging_norm(kernel),
            numbers,
            self.decimals,
        )
        ax.set_title(f"kernel {_times(kernel.shape)}", fontsize=10)

    def _draw_products(self, ax, numbers):
        products = self.conv.windows * self.conv.kernel  # every position: one colour scale
        self.products = _grid(
            ax,
            products[0, 0],
            matplotlib.colormaps[DIVERGING],
            _diverging_norm(products),
            numbers,
            self.decimals,
        )
        ax.set_title("window × kernel", fontsize=10)

    def _draw_output(self, ax, numbers):
        out = self.conv.output
        cmap, norm = _cmap_norm(out, soft=numbers)
        self.out = _grid(
            ax, out, cmap, norm, numbers, self.decimals, lines=numbers, line_zorder=4.6
        )
        self.cover = _Cover(ax, out.shape)
        self.cell = _outline(ax, 0, 0)
        self.ring = _ring(ax, out.shape)
        ax.set_title(f"output {_times(out.shape)}", fontsize=10)

    def dynamic(self):
        """The artists that change from one position to the next."""
        return [
            *self.window.artists(),
            *self.products.artists(),
            self.sum_text,
            *self.cover.artists(),
            *self.out.lines,
            self.cell,
            self.ring,
        ]

    def update(self, position):
        """Move every highlight to output ``position`` and fill the output up to it."""
        conv = self.conv
        self.window.move(*conv.corner(position))
        self.products.update(conv.windows[position] * conv.kernel)
        text, value = _sum_lines(conv.windows[position], conv.kernel, position, self.decimals)
        self.sum_text.set_text(text)
        self.cover.move(position)
        _move(self.cell, *position)
        self.ring.set_data([position[1]], [position[0]])
        self.fig.cnnviz_value = value
        self.fig.cnnviz_position = tuple(position)
        return []


def show_conv_step(image, kernel, position=(0, 0), stride=1, padding=0, dilation=1, *, decimals=2):
    """One step of a convolution: the window, the kernel, the products, their sum, the output.

    From left to right: the (padded) input with the receptive field of output ``position``
    tinted (with dilation, only the taps), the kernel, the element-wise products of window and
    kernel, their sum written out (``0×0 + 1×1 + 3×2 + 4×3 = 19``, one kernel row a line; the
    total alone for kernels of more than 16 taps) and the output map filled in up to this
    position, the current cell outlined. Padding is hatched grey. Grids of at most 12 cells a
    side print their values. The cross-correlation is that of :func:`cnnviz.ops.conv2d`.

    Parameters
    ----------
    image : array_like
        ``(H, W)``.
    kernel : array_like
        ``(kh, kw)``.
    position : (int, int), default (0, 0)
        Output ``(row, col)`` to show.
    stride, padding, dilation : int or (int, int)
        As for :func:`cnnviz.ops.conv2d` (zero padding).
    decimals : int, default 2
        Decimals of the printed numbers.

    Returns
    -------
    matplotlib.figure.Figure
        With ``fig.cnnviz_value``, the sum it writes out, and ``fig.cnnviz_position``.

    Raises
    ------
    ValueError
        When the kernel does not fit the padded input, or ``position`` is outside the output.

    Examples
    --------
    >>> x = np.arange(9).reshape(3, 3)
    >>> fig = show_conv_step(x, np.array([[0, 1], [2, 3]]), position=(1, 1))
    >>> fig.cnnviz_value, fig.get_suptitle()
    (43.0, 'stride=1, padding=0 → 2×2')
    """
    conv = _Conv.of(image, kernel, stride, padding, dilation)
    position = _check_position(position, conv.output.shape)
    step = _ConvStep(conv, [position], decimals)
    step.update(position)
    return step.fig


def _frame_positions(out_shape, max_frames):
    """Output positions in raster order, evenly subsampled to at most ``max_frames``."""
    n = out_shape[0] * out_shape[1]
    picks = np.unique(np.linspace(0, n - 1, min(n, max_frames)).round().astype(int))
    return [tuple(int(v) for v in np.unravel_index(k, out_shape)) for k in picks]


def animate_conv(
    image,
    kernel,
    stride=1,
    padding=0,
    dilation=1,
    max_frames=36,
    *,
    interval=700,
    dpi=72,
    decimals=2,
):
    """The window sliding over the input, as a :class:`~matplotlib.animation.FuncAnimation`.

    Each frame is :func:`show_conv_step` at the next output position, in raster order. When
    there are more than ``max_frames`` positions they are evenly subsampled (first and last
    kept). In a notebook, ``IPython.display.HTML(anim.to_jshtml())`` plays it without a kernel,
    so it works in the static book.

    Parameters
    ----------
    image, kernel, stride, padding, dilation
        As for :func:`show_conv_step`.
    max_frames : int, default 36
    interval : int, default 700
        Milliseconds per frame.
    dpi : int, default 72
        Resolution of the frames (a small number keeps the HTML small).
    decimals : int, default 2

    Returns
    -------
    matplotlib.animation.FuncAnimation
        With ``anim.cnnviz_positions``, the output position of each frame.

    Examples
    --------
    >>> anim = animate_conv(np.arange(16).reshape(4, 4), np.ones((2, 2)), stride=2)
    >>> anim.cnnviz_positions
    [(0, 0), (0, 1), (1, 0), (1, 1)]
    >>> "<script" in anim.to_jshtml()
    True
    """
    if not isinstance(max_frames, (int, np.integer)) or max_frames < 1:
        raise ValueError(f"max_frames must be a positive int, got {max_frames!r}")
    conv = _Conv.of(image, kernel, stride, padding, dilation)
    positions = _frame_positions(conv.output.shape, int(max_frames))
    step = _ConvStep(conv, positions, decimals, dpi)
    step.update(positions[-1])
    _freeze_background(step.fig, step.dynamic())  # frames redraw only what moves: fast
    anim = FuncAnimation(
        step.fig, step.update, frames=positions, interval=interval, blit=False, repeat=True
    )
    anim.cnnviz_positions = positions
    return anim


# ---------------------------------------------------------------------------------------------
# Feature maps and pooling
# ---------------------------------------------------------------------------------------------


def show_feature_maps(maps, titles=None, ncols=None, colorbar=True):
    """Show feature maps in a grid, each with its own colorbar.

    Maps with negative values use ``RdBu_r`` centred on 0, the others gray from 0.

    Parameters
    ----------
    maps : array_like
        ``(C, H, W)``, ``(1, C, H, W)`` or a list of ``(H, W)`` maps.
    titles : sequence of str, optional
        Default ``'channel 0'``, ``'channel 1'``, ...
    ncols : int, optional
        Default: at most 4 columns.
    colorbar : bool, default True

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> fig = show_feature_maps(np.random.default_rng(0).normal(size=(3, 8, 8)))
    >>> len(fig.axes)               # three maps and three colorbars
    6
    """
    if isinstance(maps, (list, tuple)):
        maps = [_as_2d(m, "each map") for m in maps]
    else:
        arr = np.asarray(maps, dtype=float)
        arr = arr[0] if arr.ndim == 4 and arr.shape[0] == 1 else arr
        if arr.ndim == 2:
            arr = arr[None]
        if arr.ndim != 3:
            raise ValueError(f"maps must be (C, H, W), (1, C, H, W) or a list, got {arr.shape}")
        maps = list(arr)
    titles = [f"channel {c}" for c in range(len(maps))] if titles is None else titles
    if len(titles) != len(maps):
        raise ValueError(f"titles has {len(titles)} entries for {len(maps)} maps")
    nrows, ncols = _grid_shape(len(maps), ncols, 4)
    width = 2.6 if colorbar else 2.2
    fig = _figure((width * ncols, 2.3 * nrows + 0.1))
    for m, title, ax in zip(maps, titles, _axes_grid(fig, len(maps), nrows, ncols), strict=True):
        cmap, norm = _cmap_norm(m)
        im = ax.imshow(m, cmap=cmap, norm=norm, interpolation="nearest")
        ax.set_title(title, fontsize=10)
        _frame(ax)
        if colorbar:
            _colorbar(fig, im, ax)
    return fig


_POOLS = {
    "max": lambda x, k, s: ops.max_pool2d(x, k, s),
    "avg": lambda x, k, s: ops.avg_pool2d(x, k, s),
    "min": lambda x, k, s: ops.min_pool2d(x, k, s),
}


def _pool_formula(window, mode, position, decimals=2):
    """``y[0, 0] = max(1, 0, 4, 6)`` or ``(1 + 0 + 4 + 6) / 4`` written out, a window row a line."""
    head = f"y[{position[0]}, {position[1]}] ="
    if window.size > 16 or window.shape[1] > 4:
        name = "mean" if mode == "avg" else mode
        return [head, f"  {name} of the {window.size}", "  values"]
    if mode == "avg":
        rows = [" + ".join(_fmt(v, decimals) for v in row) for row in window]
        body = ["  (" + rows[0]] + ["   + " + row for row in rows[1:]]
        body[-1] += f") / {window.size}"
        return [head, *body]
    rows = [", ".join(_fmt(v, decimals) for v in row) for row in window]
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
        With ``fig.cnnviz_value`` (the pooled value) and ``fig.cnnviz_chosen`` (input
        ``(row, col)`` of the chosen cell; ``None`` for 'avg').

    Examples
    --------
    >>> x = np.array([[1, 0, 2, 3], [4, 6, 6, 8], [3, 1, 1, 0], [1, 2, 2, 4]])
    >>> fig = show_pooling_step(x, 2, position=(0, 1))
    >>> fig.cnnviz_value, fig.cnnviz_chosen
    (8.0, (1, 3))
    """
    x = _as_2d(x, "x")
    if mode not in _POOLS:
        raise ValueError(f"mode must be one of {', '.join(map(repr, _POOLS))}, got {mode!r}")
    kernel = _as_pair(kernel_size, "kernel_size")
    stride = kernel if stride is None else _as_pair(stride, "stride")
    out = _POOLS[mode](x, kernel, stride)
    position = _check_position(position, out.shape)
    window = ops.sliding_windows(x, kernel, stride)[position]
    row, col = position[0] * stride[0], position[1] * stride[1]
    chosen = None
    if mode != "avg":  # torch's indices of max_pool2d; min pooling is max pooling of -x
        _, index = ops.max_pool2d(x if mode == "max" else -x, kernel, stride, return_indices=True)
        chosen = tuple(int(v) for v in np.unravel_index(index[position], x.shape))

    lines = _pool_formula(window, mode, position, decimals)
    lines.append("= " + _fmt(out[position], decimals))
    text = "\n".join(lines)
    small = max(x.shape) <= _MAX_NUMBERED
    fig, (ax_in, ax_out), text_ax = _step_layout(
        [x.shape, out.shape], [small, small], _text_width_in(text, 10.5) + 0.1, 1
    )
    cmap, norm = _cmap_norm(x, soft=small)
    grid = _grid(ax_in, x, cmap, norm, small, decimals, lines=max(x.shape) <= 2 * _MAX_NUMBERED)
    _Window(ax_in, grid, kernel).move(row, col)
    if chosen is not None:
        size = 0.8 * _cell_points(ax_in, x.shape)
        (circle,) = ax_in.plot(
            chosen[1], chosen[0], "o", ms=size, mfc="none", mec=CHOSEN, mew=2.2, zorder=6
        )
        circle.set_path_effects(
            [patheffects.Stroke(linewidth=4.5, foreground="white"), patheffects.Normal()]
        )
    ax_in.set_title(f"input {_times(x.shape)}", fontsize=10)
    text_ax.text(
        0.02, 0.5, text, family="monospace", fontsize=10.5, va="center", transform=text_ax.transAxes
    )
    cmap, norm = _cmap_norm(out, soft=small)
    _grid(ax_out, out, cmap, norm, small, decimals, lines=small, line_zorder=4.6)
    _Cover(ax_out, out.shape).move(position)
    _outline(ax_out, *position)
    _ring(ax_out, out.shape).set_data([position[1]], [position[0]])
    ax_out.set_title(f"output {_times(out.shape)}", fontsize=10)
    fig.suptitle(
        f"{mode} pooling {_times(kernel)}, stride={_pair_text(stride)} → {_times(out.shape)}",
        fontsize=12,
    )
    fig.cnnviz_value = float(out[position])
    fig.cnnviz_chosen = chosen
    return fig


# ---------------------------------------------------------------------------------------------
# Activations and softmax
# ---------------------------------------------------------------------------------------------

_ACTIVATIONS = {
    "relu": ("ReLU", ops.relu),
    "leaky_relu": ("leaky ReLU (slope 0.1)", lambda x: ops.leaky_relu(x, 0.1)),
    "sigmoid": ("sigmoid", ops.sigmoid),
    "tanh": ("tanh", ops.tanh),
    "gelu": ("GELU", ops.gelu),
}


def plot_activations(names=("relu", "leaky_relu", "sigmoid", "tanh", "gelu"), derivatives=True):
    """Plot activation functions of :mod:`cnnviz.ops` and their derivatives, one axes each.

    The derivative ``f′`` is the central difference of ``f`` on a grid of step 0.01
    (:func:`numpy.gradient`), so ReLU's jump at 0 shows as a vertical step. Leaky ReLU is drawn
    with slope 0.1 (the 0.01 default would be invisible).

    Parameters
    ----------
    names : sequence of str
        Any of ``'relu'``, ``'leaky_relu'``, ``'sigmoid'``, ``'tanh'``, ``'gelu'``.
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
    names = [names] if isinstance(names, str) else list(names)
    unknown = [n for n in names if n not in _ACTIVATIONS]
    if unknown or not names:
        raise ValueError(f"names must be among {', '.join(_ACTIVATIONS)}, got {names!r}")
    x = np.linspace(-4, 4, 801)
    fig = _figure((2.7 * len(names), 2.9))
    for ax, name in zip(_axes_grid(fig, len(names), 1, len(names)), names, strict=True):
        title, f = _ACTIVATIONS[name]
        y = f(x)
        ax.axhline(0, color="0.8", lw=0.8, zorder=0)
        ax.axvline(0, color="0.8", lw=0.8, zorder=0)
        ax.plot(x, y, color="tab:blue", lw=2, label="f(x)")
        if derivatives:
            ax.plot(x, np.gradient(y, x), color="tab:orange", lw=1.6, ls="--", label="f′(x)")
        ax.set_title(title, fontsize=10)
        ax.set_xlabel("x")
        ax.legend(fontsize=8, loc="upper left", frameon=False)
        ax.tick_params(labelsize=8)
    return fig


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
        With ``fig.cnnviz_probabilities``.

    Examples
    --------
    >>> fig = plot_softmax([2.5, 1.8, 0.2], ["cat", "dog", "elephant"], temperature=2)
    >>> fig.axes[0].get_title()
    'softmax(z / T) with temperature T = 2'
    >>> fig.cnnviz_probabilities.round(3)
    array([0.495, 0.349, 0.157])
    """
    logits = np.asarray(logits, dtype=float)
    if logits.ndim != 1:
        raise ValueError(f"logits must be 1-D (K,), got shape {logits.shape}")
    labels = [f"class {k}" for k in range(logits.size)] if labels is None else list(labels)
    if len(labels) != logits.size:
        raise ValueError(f"labels has {len(labels)} entries for {logits.size} logits")
    probs = ops.softmax(logits, temperature=temperature)
    fig, ax = _fig_ax(ax, (max(3.2, 0.75 * logits.size + 1.2), 3.0))
    colors = ["tab:blue"] * logits.size
    colors[int(np.argmax(probs))] = HIGHLIGHT
    bars = ax.bar(np.arange(logits.size), probs, color=colors, width=0.7)
    ax.bar_label(bars, [f"{100 * p:.1f}%" for p in probs], fontsize=8, padding=2)
    ax.set_xticks(
        np.arange(logits.size),
        [f"{label}\nz = {_fmt(z)}" for label, z in zip(labels, logits, strict=True)],
        fontsize=8,
        rotation=0 if logits.size <= 6 else 45,
    )
    ax.set_ylim(0, 1.12)
    ax.set_ylabel("probability")
    ax.spines[["top", "right"]].set_visible(False)
    ax.set_title(f"softmax(z / T) with temperature T = {temperature:g}", fontsize=10)
    fig.cnnviz_probabilities = probs
    return fig


# ---------------------------------------------------------------------------------------------
# Convolution arithmetic (Dumoulin & Visin)
# ---------------------------------------------------------------------------------------------

_PAD, _INPUT, _ZERO = 0, 1, 2
_ROLE_COLORS = ListedColormap(["#eeeeee", "#8fbfe0", "white"])
_OUTPUT_COLOR = "#9fd8a8"


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
    n, extent = i + 2 * p, d * (k - 1) + 1
    roles = np.full((n, n), _PAD)
    roles[p : p + i, p : p + i] = _INPUT
    numerator = i + 2 * p - d * (k - 1) - 1
    formula = (
        f"o = ⌊(i + 2p − d(k − 1) − 1) / s⌋ + 1 = ⌊({i} + 2·{p} − {d}·({k} − 1) − 1) / {s}⌋ + 1"
    )
    setting = f"i={i}, k={k}, p={p}, s={s}, d={d}"
    plan = dict(roles=roles, ring=(p, p, p, p), start=0, stride=s, k=k, d=d)
    if extent > n:
        error = (
            f"kernel does not fit: its extent d(k − 1) + 1 = {extent}\n"
            f"is larger than the padded input i + 2p = {n}"
        )
        title = f"{setting} → no output\n{formula} = {_fmt(numerator // s + 1)}"
        return _Arithmetic(**plan, o=None, unreached=0, title=title, note=error, error=True)
    o = ops.conv_output_size(i, k, p, s, d)
    unreached = numerator % s
    note = f"{o}×{o} = {o * o} window positions (a dot marks the centre of each)"
    if unreached:
        note += (
            f"\n(i + 2p − d(k − 1) − 1) mod s = {numerator} mod {s} = {unreached}: "
            f"the last {_plural(unreached, 'row')} and {_plural(unreached, 'column')}\n"
            f"are never reached by the kernel (shaded red)"
        )
    title = f"{setting} → o={o}\n{formula} = ⌊{numerator} / {s}⌋ + 1 = {o}"
    return _Arithmetic(**plan, o=o, unreached=unreached, title=title, note=note)


def _transposed_arithmetic(i, k, p, s, d, a):
    """The transposed convolution as its equivalent direct convolution (Dumoulin & Visin §4).

    Insert s − 1 zeros between input pixels, pad by q = d(k − 1) − p (crop when negative, and
    a = output_padding more at the bottom and right), then slide the kernel with stride 1.
    """
    q = d * (k - 1) - p
    lo, base = max(-q, 0), max(q, 0)
    span = (i - 1) * s + 1  # the input with s - 1 zeros between its pixels
    size = span + 2 * base + a
    roles = np.full((size, size), _PAD)
    roles[base : base + span, base : base + span] = _ZERO
    roles[base : base + span : s, base : base + span : s] = _INPUT
    formula = "o = (i − 1)s − 2p + d(k − 1) + output_padding + 1"
    numbers = f"= ({i} − 1)·{s} − 2·{p} + {d}·({k} − 1) + {a} + 1"
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
    raw = (i - 1) * s - 2 * p + d * (k - 1) + a + 1
    try:
        o = ops.conv_transpose_output_size(i, k, p, s, d, output_padding=a)
    except ValueError as err:
        title = f"{setting} → no output\n{formula}\n{numbers} = {raw}"
        return _Arithmetic(**plan, o=None, title=title, note=str(err), error=True)
    edge = f"pad by d(k − 1) − p = {q}" if q >= 0 else f"crop by p − d(k − 1) = {-q} (red)"
    extra = f" (+{a} at the bottom and right: output_padding)" if a else ""
    note = (
        f"the same sizes as a direct convolution: {_plural(s - 1, 'zero')} between input "
        f"pixels (s − 1),\n{edge}{extra}, then stride 1: {o}×{o} window positions"
    )
    title = f"{setting} → o={o}\n{formula}\n{numbers} = {o}"
    return _Arithmetic(**plan, o=o, title=title, note=note)


def _check_sizes(**values):
    for name, value in values.items():
        low = 0 if name in ("p", "output_padding") else 1
        if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value < low:
            rule = "a non-negative int" if low == 0 else "a positive int"
            raise ValueError(f"{name} must be {rule}, got {value!r}")
    return [int(v) for v in values.values()]


def conv_arithmetic_diagram(i, k, p=0, s=1, d=1, ax=None, transposed=False, output_padding=0):
    """The sizes of a convolution, drawn: input, padding, every window position, output.

    The ``i×i`` input is blue, its ``p`` rings of zero padding grey and hatched. The first
    window is orange (its ``k×k`` taps tinted, spaced by the dilation ``d``), the last one
    dashed, and a dot marks the centre of every window position, ``s`` cells apart. The green
    ``o×o`` output is on the right with its first cell orange. The title gives the output size
    formula with the numbers substituted. When ``s`` does not divide ``i + 2p − d(k − 1) − 1``,
    the rows and columns that no window reaches are shaded red and the note says so. When the
    kernel does not fit, the diagram says so instead of raising.

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
        With ``fig.cnnviz_output_size`` (``None`` when there is no output),
        ``fig.cnnviz_unreached`` (rows, and columns, no window reaches) and
        ``fig.cnnviz_note`` (the text under the diagram: what it shows, or why there is no
        output).

    Examples
    --------
    >>> fig = conv_arithmetic_diagram(5, 3, p=1, s=2)
    >>> fig.axes[0].get_title().splitlines()[1]
    'o = ⌊(i + 2p − d(k − 1) − 1) / s⌋ + 1 = ⌊(5 + 2·1 − 1·(3 − 1) − 1) / 2⌋ + 1 = ⌊4 / 2⌋ + 1 = 3'
    >>> fig.cnnviz_output_size, fig.cnnviz_unreached
    (3, 0)
    >>> conv_arithmetic_diagram(3, 5).cnnviz_output_size is None     # does not fit: no error
    True
    """
    i, k, p, s, d, output_padding = _check_sizes(
        i=i, k=k, p=p, s=s, d=d, output_padding=output_padding
    )
    if transposed:
        plan = _transposed_arithmetic(i, k, p, s, d, output_padding)
    else:
        plan = _forward_arithmetic(i, k, p, s, d)
    size = plan.roles.shape[0]
    extent = d * (k - 1) + 1
    width = size + (2.5 + plan.o if plan.o else max(extent - size, 0))
    cell = min(0.4, 8.0 / width)
    lines = plan.title.count("\n") + plan.note.count("\n") + 2
    fig, ax = _fig_ax(
        ax, (max(width * cell + 0.6, 6.8), max(size, extent) * cell + 0.7 + 0.2 * lines)
    )
    _draw_arithmetic(ax, plan)
    fig.cnnviz_output_size = plan.o
    fig.cnnviz_unreached = plan.unreached
    fig.cnnviz_note = plan.note
    return fig


def _draw_arithmetic(ax, plan):
    size, extent = plan.roles.shape[0], plan.d * (plan.k - 1) + 1
    ax.imshow(
        plan.roles,
        cmap=_ROLE_COLORS,
        norm=BoundaryNorm(np.arange(-0.5, 3), 3),
        interpolation="nearest",
    )
    if size <= 40:
        _cell_lines(ax, (size, size), color="0.55", lw=0.6)
    _hatch_ring(ax, (size, size), *plan.ring)
    if plan.crop:
        _hatch_ring(ax, (size, size), *[plan.crop] * 4, hatch="xx", color=CHOSEN, gid="cropped")
    right = bottom = max(size, plan.start + extent) - 0.5
    if plan.o is None:
        _outline(ax, plan.start, plan.start, extent, extent, color=CHOSEN, ls="--")
    else:
        right, label = _draw_windows(ax, plan, size, extent)
        bottom = max(bottom, label)
    _unreached(ax, plan, size)
    ax.set_xlim(-0.7, right + 0.2)
    ax.set_ylim(bottom + 0.2, -0.7)
    ax.set_aspect("equal")
    ax.set_axis_off()
    ax.set_title(plan.title, fontsize=10)
    _arithmetic_legend(ax, plan)


def _arithmetic_legend(ax, plan):
    """The colour key under the diagram, with the note (or the error, in red) as its title."""
    used = set(np.unique(plan.roles).tolist())
    keys = [(_INPUT, "input"), (_PAD, "padding"), (_ZERO, "inserted zero")]
    handles = [
        Patch(
            fc=_ROLE_COLORS(role),
            ec="0.5",
            lw=0.6,
            label=label,
            hatch="///" if role == _PAD else None,
        )
        for role, label in keys
        if role in used
    ]
    if plan.o is not None:
        handles.append(Patch(fc=to_rgba(HIGHLIGHT, 0.55), ec=HIGHLIGHT, label="first window"))
        handles.append(Patch(fc=_OUTPUT_COLOR, ec="0.5", lw=0.6, label="output"))
    else:
        handles.append(Patch(fill=False, ec=CHOSEN, ls="--", label="kernel"))
    if plan.crop:
        handles.append(
            Patch(fc=to_rgba(CHOSEN, 0.15), ec=CHOSEN, hatch="xx", lw=0, label="cropped")
        )
    if plan.unreached:
        handles.append(
            Patch(fc=to_rgba(CHOSEN, 0.18), ec=CHOSEN, hatch="xx", lw=0, label="never reached")
        )
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
    legend.get_title().set_color(CHOSEN if plan.error else "0.2")
    legend.get_title().set_multialignment("center")


def _draw_windows(ax, plan, size, extent):
    """First window, last window, the centre of every window, and the output grid."""
    o, s, start = plan.o, plan.stride, plan.start
    taps = _taps(start, start, (plan.k, plan.k), (plan.d, plan.d))
    ax.imshow(_tint((size, size), taps, alpha=0.55), interpolation="nearest", zorder=3)
    _outline(ax, start, start, extent, extent)
    last = start + (o - 1) * s
    if o > 1:
        _outline(ax, last, last, extent, extent, lw=1.5, ls="--")
    centres = start + np.arange(o) * s + (extent - 1) / 2
    cx, cy = np.meshgrid(centres, centres)
    dot = float(np.clip(120 / size, 2, 6))
    ax.plot(cx.ravel(), cy.ravel(), "o", ms=dot, color="0.2", zorder=6, gid="window-centres")
    x0, y0 = size + 2, (size - o) / 2
    ax.annotate(
        "",
        xy=(x0 - 0.6, size / 2 - 0.5),
        xytext=(size - 0.3, size / 2 - 0.5),
        arrowprops=dict(arrowstyle="-|>", color="0.3", lw=1.5),
    )
    out = ax.imshow(
        np.zeros((o, o)),
        cmap=ListedColormap([_OUTPUT_COLOR]),
        interpolation="nearest",
        extent=(x0 - 0.5, x0 + o - 0.5, y0 + o - 0.5, y0 - 0.5),
    )
    out.set_gid("output")
    if size <= 40:
        _cell_lines(ax, (o, o), color="0.45", offset=(x0, y0), lw=0.6)
    ax.add_patch(Rectangle((x0 - 0.5, y0 - 0.5), 1, 1, fc=HIGHLIGHT, ec="none", zorder=3))
    label = y0 + o - 0.35 + max(0.25, 9 / 72 / _data_inches(ax))
    ax.text(x0 + (o - 1) / 2, label, f"output {o}×{o}", ha="center", va="bottom", fontsize=9)
    return x0 + o - 0.5, label


def _data_inches(ax):
    """Inches per data unit of an equal-aspect ``ax`` (before layout: an estimate)."""
    width = ax.get_position().width * _root(ax).get_size_inches()[0]
    return width / max(abs(np.diff(ax.get_xlim())[0]), 1)


def _unreached(ax, plan, size):
    """Shade the rows and columns at the bottom and right that no window reaches."""
    for j in range(size - plan.unreached, size):
        kw = dict(fc=to_rgba(CHOSEN, 0.18), ec=CHOSEN, lw=0, hatch="xx", zorder=2.5)
        ax.add_patch(Rectangle((-0.5, j - 0.5), size, 1, gid="unreached-row", **kw))
        ax.add_patch(Rectangle((j - 0.5, -0.5), 1, size, gid="unreached-column", **kw))


# ---------------------------------------------------------------------------------------------
# Training: history, confusion matrix, predictions
# ---------------------------------------------------------------------------------------------

_HISTORY_PANELS = (("loss", ("train_loss", "val_loss")), ("accuracy", ("train_acc", "val_acc")))


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
    panels = [
        (name, [key for key in keys if len(history.get(key, ()))]) for name, keys in _HISTORY_PANELS
    ]
    panels = [(name, keys) for name, keys in panels if keys]
    if not panels:
        raise ValueError(
            f"history needs one of train_loss, val_loss, train_acc, val_acc; "
            f"got keys {sorted(history)}"
        )
    if fig is None:
        fig = _figure((4.2 * len(panels), 3.0))
    else:
        fig.clear()
    for ax, (name, keys) in zip(_axes_grid(fig, len(panels), 1, len(panels)), panels, strict=True):
        for key in keys:
            values = np.asarray(history[key], dtype=float)
            epochs = np.arange(1, values.size + 1)
            split = key.split("_")[0]
            last = f"{values[-1]:.1%}" if name == "accuracy" else f"{values[-1]:.3f}"
            ax.plot(
                epochs,
                values,
                marker="o" if values.size <= 30 else None,
                ms=3.5,
                color="tab:blue" if split == "train" else "tab:orange",
                label=f"{split} (last {last})",
            )
        ax.set_title(name, fontsize=10)
        ax.set_xlabel("epoch")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8, frameon=False)
        ax.spines[["top", "right"]].set_visible(False)
    return fig


def _confusion_counts(y_true, y_pred, n):
    y_true, y_pred = np.asarray(y_true).ravel(), np.asarray(y_pred).ravel()
    if y_true.shape != y_pred.shape:
        raise ValueError(f"y_true {y_true.shape} and y_pred {y_pred.shape} differ in length")
    for name, y in (("y_true", y_true), ("y_pred", y_pred)):
        if y.size and (y.dtype.kind not in "iu" or y.min() < 0 or y.max() >= n):
            raise ValueError(
                f"{name} must hold class indices in [0, {n}), got {y.dtype} "
                f"values {y.min()}..{y.max()}"
            )
    return np.bincount(y_true * n + y_pred, minlength=n * n).reshape(n, n)


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
    classes = list(classes)
    n = len(classes)
    counts = _confusion_counts(y_true, y_pred, n)
    matrix = counts / np.maximum(counts.sum(axis=1, keepdims=True), 1) if normalize else counts
    fig, ax = _fig_ax(ax, (0.42 * n + 2.2, 0.42 * n + 1.8))
    norm = Normalize(0, 1 if normalize else max(int(counts.max()), 1))
    grid = _grid(ax, matrix, matplotlib.colormaps["Blues"], norm, n <= 20, 2, lines=False)
    ax.images[0].set_data(matrix)  # keep the exact counts / fractions as the image data
    for text in () if grid.texts is None else grid.texts[counts == 0]:
        text.set_color("0.7")  # nothing there: keep the eye on the rest
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
    images = _as_images(images)
    y_true, y_pred = np.asarray(y_true).ravel(), np.asarray(y_pred).ravel()
    if not len(images) == y_true.size == y_pred.size:
        raise ValueError(
            f"{len(images)} images, {y_true.size} y_true and {y_pred.size} y_pred must be as many"
        )
    nrows, ncols = _grid_shape(len(images), ncols, 8)
    fig = _figure((1.45 * ncols, 1.75 * nrows + 0.1))
    for image, t, p, ax in zip(
        images, y_true, y_pred, _axes_grid(fig, len(images), nrows, ncols), strict=True
    ):
        cmap = None if image.ndim == 3 else "gray"
        ax.imshow(image, cmap=cmap, interpolation="nearest")
        right = t == p
        caption = classes[p] if right else f"{classes[p]}\n(true: {classes[t]})"
        ax.set_title(caption, fontsize=8, color="black" if right else CHOSEN)
        _frame(ax, *(("0.7", 0.8) if right else (CHOSEN, 2.5)))
    if title is None:
        wrong = int((y_true != y_pred).sum())
        title = f"{len(images) - wrong} of {len(images)} right (wrong ones in red)"
    fig.suptitle(title, fontsize=10)
    return fig
