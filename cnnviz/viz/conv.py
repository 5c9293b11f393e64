"""One step of a convolution, written out, and the animation of all of them."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from matplotlib.animation import FuncAnimation
from matplotlib.artist import Artist

from cnnviz import ops
from cnnviz._checks import check_int, check_pair
from cnnviz.palette import COLORS

from ._base import (
    MAX_NUMBERED,
    check_2d,
    check_position,
    fmt,
    pair_text,
    shown_exactly,
    step_layout,
    text_width_in,
    times,
    write_out,
)
from ._cells import Cover, Window, cmap_norm, current_cell, diverging, grid, hatch_ring, move

__all__ = ["ConvStepResult", "AnimationResult", "show_conv_step", "animate_conv"]


@dataclass(frozen=True)
class ConvStepResult:
    """What :func:`show_conv_step` computed, as ``fig.cnnviz``.

    Attributes
    ----------
    value : float
        The output value at ``position``: the sum the figure writes out.
    position : (int, int)
        The output ``(row, col)`` shown.
    """

    value: float
    position: tuple


@dataclass(frozen=True)
class AnimationResult:
    """What :func:`animate_conv` shows, as ``anim.cnnviz``.

    Attributes
    ----------
    positions : tuple of (int, int)
        The output position of each frame, in order.
    """

    positions: tuple


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
        image, kernel = check_2d(image, "image"), check_2d(kernel, "kernel")
        stride, dilation = check_pair(stride, "stride"), check_pair(dilation, "dilation")
        padding = check_pair(padding, "padding", minimum=0)
        output = ops.conv2d(image, kernel, stride=stride, padding=padding, dilation=dilation)
        padded = ops.pad2d(image, padding)
        windows = ops.sliding_windows(padded, kernel.shape, stride, dilation)
        return cls(image, kernel, stride, padding, dilation, padded, windows, output)

    def setting(self):
        """``'stride=2, padding=1 → 3×3'`` (dilation only when it is not 1)."""
        text = f"stride={pair_text(self.stride)}, padding={pair_text(self.padding)}"
        if self.dilation != (1, 1):
            text += f", dilation={pair_text(self.dilation)}"
        return f"{text} → {times(self.output.shape)}"

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
            return f"({fmt(v, decimals)})" if v < 0 else fmt(v, decimals)

        rows = [
            " + ".join(f"{factor(x)}×{factor(w)}" for x, w in zip(xr, wr, strict=True))
            for xr, wr in zip(window, kernel, strict=True)
        ]
        lines += ["  " + rows[0]] + ["+ " + row for row in rows[1:]]
    else:
        lines += [f"  sum of the {kernel.size}", "  products"]
    exact = shown_exactly(window, decimals) and shown_exactly(kernel, decimals)
    lines.append(("= " if exact else "≈ ") + fmt(value, decimals))
    return "\n".join(lines), value


class _ConvStep:
    """The artists of one convolution step, movable to any output position."""

    def __init__(self, conv, positions, decimals=2, dpi=None):
        self.conv, self.decimals = conv, decimals
        kernel, out = conv.kernel, conv.output
        small = max(conv.image.shape) <= MAX_NUMBERED
        small_kernel = max(kernel.shape) <= MAX_NUMBERED
        texts = [_sum_lines(conv.windows[p], kernel, p, decimals)[0] for p in positions]
        width = max(text_width_in(t, 10.5) for t in texts) + 0.1
        shapes = [conv.padded.shape, kernel.shape, kernel.shape, out.shape]
        numbered = [small, small_kernel, small_kernel, small]
        fig, axes, text_ax = step_layout(shapes, numbered, width, 3, dpi)
        self.fig = fig
        self._draw_input(axes[0], small)
        self._draw_kernel(axes[1], small_kernel)
        self._draw_products(axes[2], small_kernel)
        self._draw_output(axes[3], small)
        self.sum_text = write_out(text_ax)
        fig.suptitle(conv.setting(), fontsize=12)

    def _draw_input(self, ax, numbers):
        conv = self.conv
        (top, left), shape = conv.padding, conv.padded.shape
        ring = np.ones(shape, bool)
        ring[top : top + conv.image.shape[0], left : left + conv.image.shape[1]] = False
        cmap, norm = cmap_norm(conv.image, soft=numbers)
        cells = grid(
            ax,
            conv.padded,
            cmap.with_extremes(bad=COLORS["padding"]),
            norm,
            numbers,
            self.decimals,
            mask=ring,
            lines=max(shape) <= 2 * MAX_NUMBERED,
        )
        hatch_ring(ax, shape, top, top, left, left)
        self.window = Window(ax, cells, conv.kernel.shape, conv.dilation)
        title = f"input {times(conv.image.shape)}"
        if any(conv.padding):
            title += f", padded to {times(shape)}"
        ax.set_title(title, fontsize=10)

    def _draw_kernel(self, ax, numbers):
        kernel = self.conv.kernel
        grid(ax, kernel, *diverging(kernel), numbers, self.decimals)
        ax.set_title(f"kernel {times(kernel.shape)}", fontsize=10)

    def _draw_products(self, ax, numbers):
        products = self.conv.windows * self.conv.kernel  # every position: one colour scale
        cmap, norm = diverging(products)
        self.products = grid(ax, products[0, 0], cmap, norm, numbers, self.decimals)
        ax.set_title("window × kernel", fontsize=10)

    def _draw_output(self, ax, numbers):
        out = self.conv.output
        cmap, norm = cmap_norm(out, soft=numbers)
        self.out = grid(ax, out, cmap, norm, numbers, self.decimals, lines=numbers, line_zorder=4.6)
        self.cover = Cover(ax, out.shape)
        self.cell, self.ring = current_cell(ax, out.shape, (0, 0))
        ax.set_title(f"output {times(out.shape)}", fontsize=10)

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
        move(self.cell, *position)
        self.ring.set_data([position[1]], [position[0]])
        self.fig.cnnviz = ConvStepResult(value, tuple(position))
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
        With ``fig.cnnviz``, a :class:`ConvStepResult`: ``value``, the sum it writes out, and
        ``position``.

    Raises
    ------
    TypeError
        An argument of the wrong type (a float stride, a 3-D image).
    ValueError
        When the kernel does not fit the padded input, or ``position`` is outside the output.

    Examples
    --------
    >>> x = np.arange(9).reshape(3, 3)
    >>> fig = show_conv_step(x, np.array([[0, 1], [2, 3]]), position=(1, 1))
    >>> fig.cnnviz
    ConvStepResult(value=43.0, position=(1, 1))
    >>> fig.get_suptitle()
    'stride=1, padding=0 → 2×2'
    """
    conv = _Conv.of(image, kernel, stride, padding, dilation)
    position = check_position(position, conv.output.shape)
    step = _ConvStep(conv, [position], check_int(decimals, "decimals", 0))
    step.update(position)
    return step.fig


def _frame_positions(out_shape, max_frames):
    """Output positions in raster order, evenly subsampled to at most ``max_frames``."""
    n = out_shape[0] * out_shape[1]
    picks = np.unique(np.linspace(0, n - 1, min(n, max_frames)).round().astype(int))
    return tuple(tuple(int(v) for v in np.unravel_index(k, out_shape)) for k in picks)


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
        With ``anim.cnnviz``, an :class:`AnimationResult`: ``positions``, the output position
        of each frame. While a frame is drawn, its figure's ``cnnviz`` is the
        :class:`ConvStepResult` of that frame.

    Examples
    --------
    >>> anim = animate_conv(np.arange(16).reshape(4, 4), np.ones((2, 2)), stride=2)
    >>> anim.cnnviz.positions
    ((0, 0), (0, 1), (1, 0), (1, 1))
    >>> "<script" in anim.to_jshtml()
    True
    """
    max_frames = check_int(max_frames, "max_frames", 1)
    interval, dpi = check_int(interval, "interval", 1), check_int(dpi, "dpi", 1)
    decimals = check_int(decimals, "decimals", 0)
    conv = _Conv.of(image, kernel, stride, padding, dilation)
    positions = _frame_positions(conv.output.shape, max_frames)
    step = _ConvStep(conv, positions, decimals, dpi)
    step.update(positions[-1])
    _freeze_background(step.fig, step.dynamic())  # frames redraw only what moves: fast
    anim = FuncAnimation(
        step.fig, step.update, frames=positions, interval=interval, blit=False, repeat=True
    )
    anim.cnnviz = AnimationResult(positions)
    return anim


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
