"""Interactive explorers for the cnnviz chapters, built on ipywidgets.

Each explorer is a small object whose controls are attributes, so that a chapter, a test or a
curious reader can drive it from code as well as with the mouse::

    w = ConvExplorer()
    w.stride.value = 2
    w.output.shape            # the new output, computed with cnnviz.ops

- :class:`ConvExplorer`: an image, a kernel (preset or a 3x3 kernel typed cell by cell),
  stride, padding, dilation and padding mode; input, kernel and output side by side, with
  the output-size formula written out with the current numbers.
- :class:`ArithmeticExplorer`: the sizing rule of convolution and transposed convolution
  (``i, k, p, s, d``, ``output_padding``) as a diagram and a formula.
- :class:`PoolingExplorer`: max, average and min pooling of an image.
- :class:`ActivationExplorer`: an activation function and its derivative.
- :class:`SoftmaxExplorer`: one logit per class and a temperature; the probabilities as bars.

Every explorer has ``.widget`` (the top ipywidgets container: ``display(w.widget)``),
``.output`` (the current result, a NumPy array, or None when the setting is impossible) and
``.message`` (empty, or the text shown in red when a setting is impossible). Displaying the
explorer itself shows its UI. Nothing is refused silently: a setting that cannot work leaves
the controls where the reader put them, shows no output and says why in red; a setting that
works but wastes pixels (a stride that skips the last rows) says so in the notes. (A value set
from code beyond a slider's range is clamped by ipywidgets itself: widen ``w.padding.max``
first.)

Ops decide, widgets explain: an explorer does not re-derive the rules of :mod:`cnnviz.ops`
and :mod:`cnnviz.arithmetic`. It calls them, and when they raise a ``ValueError`` (a kernel
that does not fit, reflect padding larger than the image, ...), its message is
``"No output: <the error>. <what to change>"``.

Speed: every update computes with the vectorized :mod:`cnnviz.ops` and redraws only what
changed. Images (input and output maps) go straight from the array to PNG bytes in an
``ipywidgets.Image`` (colormap lookup with the colour rule of :mod:`cnnviz.viz`,
nearest-neighbour upscaling of small maps so that pixels stay sharp, PNG compression level 1):
a few milliseconds, where a matplotlib redraw of the same panels costs tens. Matplotlib draws
only what needs axes or numbers, on pyplot-free figures rendered to PNG (no figure piles up in
pyplot, no ``clear_output`` flickers): the kernel with its values and the arithmetic diagram
come from :func:`cnnviz.viz.show_kernel` and :func:`cnnviz.viz.conv_arithmetic_diagram` and are
cached per setting; the activation curves and the softmax bars are drawn once and then only
their moving artists are redrawn over a cached background (blitting). The arithmetic sliders
update on release, since a diagram takes tens of milliseconds to draw.
``bench/bench_widgets.py`` measures one update of each explorer.

Compatibility with ipywidgets 7.7 (what Colab ships) and 8.x:

- Only widgets and traits that exist in both: ``IntSlider``, ``FloatSlider``,
  ``FloatLogSlider``, ``FloatText``, ``Dropdown``, ``ToggleButtons``, ``Checkbox``, ``HTML``,
  ``Image``, ``HBox``, ``VBox``, ``GridBox`` and ``Layout``; no 8-only widget (``TagsInput``,
  ``Stack``, ...) and no 8-only trait (``tooltip``, ``description_allow_html``): descriptions are
  plain text and all markup lives in ``HTML`` widgets.
- Styles are set only through ``style={"description_width": ...}``, which both versions read.
- Pictures go through ``Image.value`` (PNG bytes) rather than an ``Output`` widget, so there is
  no ``clear_output``/``display`` round trip whose behaviour differs between versions (and
  nbval does not choke on ``clear_output`` messages).
- Display: ipywidgets 8 widgets define ``_repr_mimebundle_``, ipywidgets 7 widgets only
  ``_ipython_display_``. The explorers define both: ``_ipython_display_`` calls
  ``IPython.display.display(self.widget)``, which works with either version, and
  ``_repr_mimebundle_`` returns the container's bundle, built by hand (the same view
  ``{"version_major": 2, "version_minor": 0, "model_id": ...}`` that 7.x sends) where the
  widget has no ``_repr_mimebundle_``.
- Observers use ``observe(handler, names="value")`` and read ``change["new"]``, the form both
  versions share. The test suite runs under both versions.
"""

from __future__ import annotations

import html
import io

import ipywidgets as widgets
import numpy as np

from cnnviz import arithmetic, filters, images, ops, viz
from cnnviz._checks import check_array, check_choice, check_int, check_strings
from cnnviz.palette import COLORS, HIGHLIGHT, SERIES

__all__ = [
    "ConvExplorer",
    "ArithmeticExplorer",
    "PoolingExplorer",
    "ActivationExplorer",
    "SoftmaxExplorer",
]

_DESCRIPTION = {"description_width": "initial"}
_PANEL = 256  # pixels: the side of the input and output pictures on screen
_DPI = 80  # of the matplotlib pictures: small PNGs, quick to draw and to send
#: The two curves or bar colours of a chart (f and f′), as the figures of viz draw them.


# ---------------------------------------------------------------------------------------------
# The output-size formula with the numbers (cnnviz.arithmetic), and the pixels it drops
# ---------------------------------------------------------------------------------------------


def _unused_note(i, k, p, s, d, axis):
    """A sentence when the stride skips the last rows/columns of the padded input, else ''."""
    rest = arithmetic.unreached(i, k, p, s, d)
    if rest == 0:
        return ""
    plural = "s" if rest > 1 else ""
    what = {"height": f"row{plural}", "width": f"column{plural}"}.get(
        axis, f"row{plural} and column{plural}"
    )
    return (
        f"stride {s} leaves the last {rest} {what} of the padded input unused "
        f"(the ⌊ ⌋ drops {rest})."
    )


def _numbers(i, k, p, s, d, **transposed):
    """The formula with the numbers and ``o`` (:func:`cnnviz.arithmetic.formula_text`)."""
    return arithmetic.formula_text(i, k, p, s, d, style="numbers", **transposed)


def _formula_lines(shape, kernel_shape, p, s, d):
    """Formula lines (one per axis when the axes differ) and notes on unused pixels."""
    axes = [("height", shape[0], kernel_shape[0]), ("width", shape[1], kernel_shape[1])]
    if shape[0] == shape[1] and kernel_shape[0] == kernel_shape[1]:
        axes = [("both", shape[0], kernel_shape[0])]
        names = [""]
    else:
        names = ["height: ", "width: "]
    pairs = zip(names, axes, strict=True)
    lines = [name + _numbers(i, k, p, s, d) for name, (_, i, k) in pairs]
    notes = [_unused_note(i, k, p, s, d, axis) for axis, i, k in axes]
    return lines, [n for n in notes if n]


# ---------------------------------------------------------------------------------------------
# Rendering: arrays and small figures to PNG bytes
# ---------------------------------------------------------------------------------------------

_LUTS = {}


def _lut(cmap):
    """A colormap as a (256, 3) uint8 lookup table (cached by name)."""
    if cmap.name not in _LUTS:
        _LUTS[cmap.name] = np.round(cmap(np.linspace(0, 1, 256))[:, :3] * 255).astype(np.uint8)
    return _LUTS[cmap.name]


def _array_png(array, size=_PANEL):
    """PNG bytes of a 2-D array, colour-mapped, upscaled by an integer factor towards ``size``.

    The colours are those of every figure of :mod:`cnnviz.viz` (:func:`cnnviz.viz.cmap_norm`):
    gray from 0 to 1 (or to the maximum when it exceeds 1), or the diverging map centred on 0
    when the map goes negative. Small maps are enlarged with nearest-neighbour (each value a
    sharp square) so that the browser does not blur them. Returns (png bytes, colormap name,
    vmin, vmax).
    """
    from PIL import Image

    array = np.asarray(array, dtype=np.float64)
    cmap, norm = viz.cmap_norm(array)
    vmin, vmax = float(norm.vmin), float(norm.vmax)
    index = np.rint(np.clip((array - vmin) * (255 / (vmax - vmin)), 0, 255)).astype(np.uint8)
    factor = max(1, min(32, size // max(array.shape)))
    if factor > 1:
        index = np.repeat(np.repeat(index, factor, axis=0), factor, axis=1)
    if cmap.name == "gray":
        picture = Image.fromarray(index, mode="L")
    else:
        picture = Image.fromarray(_lut(cmap)[index], mode="RGB")
    buffer = io.BytesIO()
    picture.save(buffer, format="png", compress_level=1)
    return buffer.getvalue(), cmap.name, vmin, vmax


def _figure(width, height, dpi=_DPI):
    """A pyplot-free figure with an Agg canvas (nothing accumulates in pyplot)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=dpi)
    FigureCanvasAgg(fig)
    return fig


def _canvas_png(fig):
    """PNG bytes of what the Agg canvas of ``fig`` holds now (PIL, compression level 1)."""
    from PIL import Image

    rgba = np.asarray(fig.canvas.buffer_rgba())
    buffer = io.BytesIO()
    Image.fromarray(rgba[..., :3]).save(buffer, format="png", compress_level=1)
    return buffer.getvalue()


def _figure_png(fig, dpi=_DPI):
    """PNG bytes of a figure (one of ours or one made by viz): a full Agg draw at ``dpi``."""
    if not hasattr(fig.canvas, "buffer_rgba"):  # a Figure made outside pyplot, e.g. by viz
        from matplotlib.backends.backend_agg import FigureCanvasAgg

        FigureCanvasAgg(fig)
    for ax in fig.axes:
        if not ax.axison:  # hidden axes still compute tick labels to place the title: skip
            ax.set_xticks([])
            ax.set_yticks([])
    fig.set_dpi(dpi)
    fig.canvas.draw()
    return _canvas_png(fig)


class _Blitter:
    """Redraw only the moving artists of a figure, over a cached picture of the rest.

    ``animated`` artists are left out of a full draw (matplotlib skips animated artists);
    :meth:`png` restores the cached background and draws just them, which costs a few
    milliseconds instead of a full draw. ``png(full=True)`` redraws the background first
    (after a change of limits, title or curves).
    """

    def __init__(self, fig, animated):
        self.fig, self.animated, self.background = fig, list(animated), None
        for artist in self.animated:
            artist.set_animated(True)

    def png(self, full=False):
        canvas = self.fig.canvas
        if full or self.background is None:
            canvas.draw()
            self.background = canvas.copy_from_bbox(self.fig.bbox)
        else:
            canvas.restore_region(self.background)
        for artist in self.animated:
            self.fig.draw_artist(artist)
        return _canvas_png(self.fig)


class _PngCache(dict):
    """A small cache of rendered pictures (PNG bytes), oldest out first."""

    def __init__(self, size=64):
        super().__init__()
        self.size = size

    def put(self, key, png):
        if len(self) >= self.size:
            del self[next(iter(self))]
        self[key] = png
        return png


# Pictures that depend only on their key are drawn once per session: kernels (viz.show_kernel)
# and arithmetic diagrams (viz.conv_arithmetic_diagram). bench/bench_widgets.py clears them
# before every timed update, so that it measures real redraws.
_KERNEL_PNGS = _PngCache()
_DIAGRAM_PNGS = _PngCache()
_MAX_NUMBERED_KERNEL = 5  # larger kernels: colours only (their numbers would be unreadable)


def _clear_caches():
    """Forget the cached kernel and diagram pictures (the next update redraws them)."""
    _KERNEL_PNGS.clear()
    _DIAGRAM_PNGS.clear()


def _shape_text(shape):
    return "×".join(str(n) for n in shape)


def _range_text(name, vmin, vmax):
    if name != "gray":
        return f"blue −{vmax:.3g} · white 0 · red +{vmax:.3g}"
    return f"black {vmin:.3g} · white {vmax:.3g}"


def _scale_text(array, name, vmin, vmax):
    """What the colours of a picture mean; for a map with a single value, that value.

    A uniform map is one flat colour (max pooling a thin dark line on white gives all white):
    the caption says so, so that the picture does not pass for a missing one.
    """
    low, high = float(np.min(array)), float(np.max(array))
    if low != high:
        return _range_text(name, vmin, vmax)
    if name == "gray":
        colour = "white" if low >= vmax else "black" if low <= vmin else "gray"
    else:
        colour = "white" if low == 0 else "red" if low > 0 else "blue"
    return f"every value is {low:.3g}: all {colour}"


# ---------------------------------------------------------------------------------------------
# The common part of every explorer
# ---------------------------------------------------------------------------------------------


def _slider(description, value, low, high, continuous_update=True):
    bounds = {"value": value, "min": low, "max": high}
    return widgets.IntSlider(
        description=description, style=_DESCRIPTION, continuous_update=continuous_update, **bounds
    )


def _picture(width=None, framed=False):
    """An Image widget for PNG bytes: ``width`` pixels wide, or the picture's own size.

    ``framed``: a thin border in the palette's rule colour, so that a map of one colour (all
    white on a white page) still shows where the picture is.
    """
    layout = (
        widgets.Layout(max_width="100%") if width is None else widgets.Layout(width=f"{width}px")
    )
    if framed:
        layout.border = f"1px solid {COLORS['rule']}"
    return widgets.Image(format="png", layout=layout)


def _row(children):
    """An HBox whose children wrap onto the next line when the page is narrow (a phone)."""
    return widgets.HBox(children, layout=widgets.Layout(flex_flow="row wrap"))


def _caption(text=""):
    return widgets.HTML(value=text)


def _image_choice(image):
    """The image dropdown and the arrays it offers (``image``: None, a SAMPLES name or array)."""
    names = list(images.SAMPLES)
    arrays = {}
    value = "photo"
    if isinstance(image, str):
        value = check_choice(image, "image", names)
    elif image is not None:
        array = check_array(image, "image")
        if array.ndim == 3 and array.shape[-1] in (3, 4):
            array = images.to_grayscale(array[..., :3])
        if array.ndim != 2 or min(array.shape) < 1:
            raise ValueError(
                f"image must be a non-empty (H, W) or RGB (H, W, 3) array, "
                f"got shape {np.shape(image)}"
            )
        value = "your image"
        names.insert(0, value)
        arrays[value] = array.astype(np.float64)
    dropdown = widgets.Dropdown(options=names, value=value, description="image", style=_DESCRIPTION)
    return dropdown, arrays


class _Explorer:
    """What every explorer shares: ``.widget``, ``.output``, ``.message`` and display."""

    widget: widgets.Box

    def __init__(self):
        self.output = None
        self._message = ""
        self.info = widgets.HTML(value="")
        self.alert = widgets.HTML(value="")

    @property
    def message(self):
        """The text shown in red when the current setting is impossible ('' when all is well)."""
        return self._message

    def _say(self, message):
        self._message = message
        if message:
            color = COLORS["unreached"]  # the palette's colour of errors
            self.alert.value = f'<span style="color:{color}"><b>{html.escape(message)}</b></span>'
        else:
            self.alert.value = ""

    def _attempt(self, compute, *args, **kwargs):
        """``compute(*args, **kwargs)``, or None when ops refuses it, and ``.message`` says why.

        Ops decide, widgets explain: the message is ``"No output: <reason>. <advice>"``, where
        :meth:`_reason` is the ``ValueError`` of :mod:`cnnviz.ops` or :mod:`cnnviz.arithmetic`
        in its own words, with its facts (a :class:`~cnnviz.arithmetic.KernelDoesNotFitError`
        names the kernel, its span and the padded input), and :meth:`_advice` what to change.
        """
        try:
            result = compute(*args, **kwargs)
        except ValueError as err:
            self._say(f"No output: {self._reason(err)}. {self._advice(err)}")
            return None
        self._say("")
        return result

    def _reason(self, err):
        """Why ops refused the setting: the error's own message, unless an explorer words
        it in its own terms."""
        return str(err)

    def _advice(self, err):
        """What to change after ops refused the setting with ``err``."""
        return ""

    def _observe(self, controls):
        for control in controls:
            control.observe(self._changed, names="value")

    def _changed(self, change=None):
        self.update()

    def update(self):
        """Recompute ``.output`` from the controls and redraw (called on every change)."""
        raise NotImplementedError

    # Display: ipywidgets 8 widgets have _repr_mimebundle_, ipywidgets 7 only
    # _ipython_display_. IPython prefers _ipython_display_, and display(widget) works with both.
    def _ipython_display_(self, **kwargs):
        from IPython.display import display

        display(self.widget)

    def _repr_mimebundle_(self, include=None, exclude=None, **kwargs):
        bundle = getattr(self.widget, "_repr_mimebundle_", None)
        if bundle is not None:  # ipywidgets 8
            return bundle(include=include, exclude=exclude, **kwargs)
        text = repr(self.widget)  # ipywidgets 7: the bundle its _ipython_display_ sends
        return {
            "text/plain": text[:110] + "…" if len(text) > 110 else text,
            "application/vnd.jupyter.widget-view+json": {
                "version_major": 2,
                "version_minor": 0,
                "model_id": self.widget.model_id,
            },
        }

    def __repr__(self):
        return f"<{type(self).__name__}: display it in a notebook to see the controls>"


class _ImageExplorer(_Explorer):
    """An explorer with an ``image`` dropdown, an input picture and an output picture."""

    def __init__(self, image):
        super().__init__()
        self.image, self._arrays = _image_choice(image)
        self.input_view = _picture(_PANEL, framed=True)
        self.output_view = _picture(_PANEL, framed=True)
        self.input_caption, self.output_caption = _caption(), _caption()
        self._drawn_input = None

    @property
    def input_array(self):
        """The current input image, a float64 ``(H, W)`` array."""
        name = self.image.value
        if name not in self._arrays:
            self._arrays[name] = np.asarray(images.SAMPLES[name](), dtype=np.float64)
        return self._arrays[name]

    def _draw_input(self, x):
        """Render the input picture, only when the image changed."""
        key = (self.image.value, x.shape)
        if self._drawn_input != key:
            png, name, vmin, vmax = _array_png(x)
            self.input_view.value = png
            self.input_caption.value = (
                f"<b>input</b> {_shape_text(x.shape)}<br><small>"
                f"{_scale_text(x, name, vmin, vmax)}</small>"
            )
            self._drawn_input = key

    def _draw_output(self, output, title):
        """Render the output picture (an empty picture when there is no output)."""
        if output is None:
            self.output_view.value = b""
            self.output_caption.value = f"<b>{title}</b>: none"
            return "none"
        png, name, vmin, vmax = _array_png(output)
        self.output_view.value = png
        shape = _shape_text(output.shape)
        self.output_caption.value = (
            f"<b>{title}</b> {shape}<br><small>{_scale_text(output, name, vmin, vmax)}</small>"
        )
        return shape


# ---------------------------------------------------------------------------------------------
# ConvExplorer
# ---------------------------------------------------------------------------------------------


class ConvExplorer(_ImageExplorer):
    """Convolve an image with a kernel and watch stride, padding and dilation at work.

    Parameters
    ----------
    image : None, str or array_like
        None or a name of :data:`cnnviz.images.SAMPLES` (default ``"photo"``), or your own
        ``(H, W)`` or ``(H, W, 3)`` array (shown as ``"your image"``, converted to gray).

    Attributes
    ----------
    image : ipywidgets.Dropdown
        The input image (a name of :data:`cnnviz.images.SAMPLES`).
    kernel : ipywidgets.Dropdown
        A preset of :data:`cnnviz.filters.KERNELS`, or ``"custom"``: the 3x3 ``cells``.
    cells : list of list of ipywidgets.FloatText
        The 3x3 kernel, cell by cell. A 3x3 preset fills them; editing one switches
        ``kernel`` to ``"custom"``. Larger presets (Gaussian 5x5, Gabor 11x11) disable them.
    stride, padding, dilation : ipywidgets.IntSlider
    padding_mode : ipywidgets.Dropdown
        One of :data:`cnnviz.ops.PADDING_MODES` (``"zeros"``, ``"reflect"``, ``"replicate"``,
        ``"circular"``), as ``torch.nn.Conv2d``.
    input_array : numpy.ndarray
        The current input image, float64 ``(H, W)``.
    weight : numpy.ndarray
        The current kernel.
    output : numpy.ndarray or None
        ``cnnviz.ops.conv2d(input_array, weight, stride, padding, dilation, padding_mode)``,
        None when the setting is impossible.
    message : str
        Why there is no output ('' when there is one).
    info : ipywidgets.HTML
        The output shape and the output-size formula with the numbers filled in.
    widget : ipywidgets.VBox
        The whole explorer.

    Examples
    --------
    >>> w = ConvExplorer()
    >>> w.kernel.value = "sobel_x"
    >>> w.stride.value, w.padding.value = 2, 1
    >>> w.output.shape
    (64, 64)
    >>> print(w.formula)
    o = ⌊(128 + 2·1 − 1·(3 − 1) − 1) / 2⌋ + 1 = 64
    """

    def __init__(self, image=None):
        super().__init__(image)
        self.kernel = widgets.Dropdown(
            options=[*filters.KERNELS, "custom"],
            value="sobel_x",
            description="kernel",
            style=_DESCRIPTION,
        )
        self.cells = [
            [
                widgets.FloatText(value=0.0, step=0.1, layout=widgets.Layout(width="64px"))
                for _ in range(3)
            ]
            for _ in range(3)
        ]
        self.stride = _slider("stride s", 1, 1, 4)
        self.padding = _slider("padding p", 1, 0, 8)
        self.dilation = _slider("dilation d", 1, 1, 4)
        self.padding_mode = widgets.Dropdown(
            options=list(ops.PADDING_MODES),
            value="zeros",
            description="padding mode",
            style=_DESCRIPTION,
        )
        self.kernel_view, self.kernel_caption = _picture(), _caption()
        self._drawn_kernel = None
        self._filling = False
        self._fill_cells(filters.KERNELS[self.kernel.value]())

        grid = widgets.GridBox(
            [cell for row in self.cells for cell in row],
            layout=widgets.Layout(grid_template_columns="repeat(3, 68px)", grid_gap="2px"),
        )
        self.widget = widgets.VBox(
            [
                _row([self.image, self.kernel, self.padding_mode]),
                _row(
                    [
                        widgets.VBox([self.stride, self.padding, self.dilation]),
                        widgets.VBox([widgets.HTML("<b>3×3 kernel</b> (type a value)"), grid]),
                    ]
                ),
                _row(
                    [
                        widgets.VBox([self.input_caption, self.input_view]),
                        widgets.VBox([self.kernel_caption, self.kernel_view]),
                        widgets.VBox([self.output_caption, self.output_view]),
                    ]
                ),
                self.info,
                self.alert,
            ]
        )
        self.kernel.observe(self._preset_changed, names="value")
        for row in self.cells:
            for cell in row:
                cell.observe(self._cell_changed, names="value")
        self._observe([self.image, self.stride, self.padding, self.dilation, self.padding_mode])
        self._enable_cells()
        self.update()

    # -- the kernel: presets and cells ------------------------------------------------------

    def _fill_cells(self, kernel):
        self._filling = True
        try:
            for row, values in zip(self.cells, kernel, strict=True):
                for cell, value in zip(row, values, strict=True):
                    cell.value = float(value)
        finally:
            self._filling = False

    def _enable_cells(self):
        name = self.kernel.value
        editable = name == "custom" or filters.KERNELS[name]().shape == (3, 3)
        for row in self.cells:
            for cell in row:
                cell.disabled = not editable

    def _preset_changed(self, change):
        name = change["new"]
        if name != "custom":
            kernel = filters.KERNELS[name]()
            if kernel.shape == (3, 3):
                self._fill_cells(kernel)
        self._enable_cells()
        self.update()

    def _cell_changed(self, change):
        if self._filling:
            return
        if self.kernel.value != "custom":
            self.kernel.value = "custom"  # its observer updates
        else:
            self.update()

    @property
    def weight(self):
        """The current kernel: the preset, or the 3x3 cells when ``kernel`` is ``"custom"``."""
        name = self.kernel.value
        if name == "custom":
            return np.array([[cell.value for cell in row] for row in self.cells], dtype=float)
        return np.asarray(filters.KERNELS[name](), dtype=float)

    @property
    def formula(self):
        """The output-size formula with the current numbers (one line per axis if they differ)."""
        lines, _ = _formula_lines(
            self.input_array.shape,
            self.weight.shape,
            self.padding.value,
            self.stride.value,
            self.dilation.value,
        )
        return "\n".join(lines)

    # -- compute and draw -------------------------------------------------------------------

    def update(self):
        """Recompute ``.output`` with :func:`cnnviz.ops.conv2d` and redraw what changed."""
        x, kernel = self.input_array, self.weight
        s, p, d = self.stride.value, self.padding.value, self.dilation.value
        mode = self.padding_mode.value
        lines, notes = _formula_lines(x.shape, kernel.shape, p, s, d)
        self.output = self._attempt(
            ops.conv2d, x, kernel, stride=s, padding=p, dilation=d, padding_mode=mode
        )
        self._draw(x, kernel, self.output, lines, notes, (s, p, d, mode))

    def _advice(self, err):
        if isinstance(err, arithmetic.KernelDoesNotFitError):
            return "Raise the padding, lower the dilation or pick a smaller kernel."
        limit = _limit(err)  # reflect or circular padding wider than the image
        return f"Lower the padding{f' to at most {limit}' if limit else ''} or pick another mode."

    def _kernel_png(self, kernel, key):
        """The kernel with its values (:func:`cnnviz.viz.show_kernel`), or colours only if large."""
        if key in _KERNEL_PNGS:
            return _KERNEL_PNGS[key]
        if max(kernel.shape) > _MAX_NUMBERED_KERNEL:
            return _KERNEL_PNGS.put(key, _array_png(kernel, _PANEL * 3 // 4)[0])
        return _KERNEL_PNGS.put(key, _figure_png(viz.show_kernel(kernel)))

    def _draw(self, x, kernel, output, lines, notes, setting):
        s, p, d, mode = setting
        self._draw_input(x)
        kernel_key = (kernel.tobytes(), kernel.shape)
        if self._drawn_kernel != (self.kernel.value, kernel_key):
            self.kernel_view.value = self._kernel_png(kernel, kernel_key)
            numbers = (
                ""
                if max(kernel.shape) <= _MAX_NUMBERED_KERNEL
                else (f"{kernel.min():.2g} … {kernel.max():.2g} (too many values to print) · ")
            )
            self.kernel_caption.value = (
                f"<b>kernel</b> {self.kernel.value} {_shape_text(kernel.shape)}<br>"
                f"<small>{numbers}sum {kernel.sum():.3g}</small>"
            )
            self._drawn_kernel = (self.kernel.value, kernel_key)
        shape = self._draw_output(output, "output")
        text = [
            f"<b>output {shape}</b> — stride={s}, padding={p} ({mode}), dilation={d}",
            f"<code>{arithmetic.FORMULA}</code>",
            *(f"<code>{html.escape(line)}</code>" for line in lines),
            *(f"<i>{html.escape(note)}</i>" for note in notes),
        ]
        if self.kernel.value != "custom" and kernel.shape != (3, 3):
            text.append(
                f"<i>{self.kernel.value} is {_shape_text(kernel.shape)}: the 3×3 cells are "
                f"off; choose “custom” to type a 3×3 kernel.</i>"
            )
        self.info.value = "<br>".join(text)


# ---------------------------------------------------------------------------------------------
# ArithmeticExplorer
# ---------------------------------------------------------------------------------------------


class ArithmeticExplorer(_Explorer):
    """The sizing rule of a convolution (or a transposed convolution), as a diagram and a formula.

    Parameters
    ----------
    i, k, p, s, d : int
        Initial input size, kernel size, padding, stride and dilation.

    Attributes
    ----------
    input_size, kernel_size, padding, stride, dilation : ipywidgets.IntSlider
        ``i``, ``k``, ``p``, ``s``, ``d``. ``kernel`` is the same slider as ``kernel_size``.
    transposed : ipywidgets.Checkbox
        Show the transposed convolution (``o = (i-1)s - 2p + d(k-1) + output_padding + 1``).
    output_padding : ipywidgets.IntSlider
        Extra rows/columns on one side of a transposed convolution's output (enabled only
        when ``transposed``; it must be smaller than the stride or the dilation, as in torch).
    output : numpy.ndarray or None
        An ``(o, o)`` array: for each output cell, how many (input pixel, kernel tap) pairs
        meet there when an all-ones ``i x i`` input meets an all-ones ``k x k`` kernel, i.e.
        ``conv2d(ones, ones)`` or ``conv_transpose2d(ones, ones)``. Its shape is the output
        size; uneven values in the transposed case are the overlaps behind checkerboard
        artifacts. None when the setting is impossible.
    output_size : int or None
        ``o`` (:func:`cnnviz.arithmetic.output_size` or
        :func:`~cnnviz.arithmetic.transpose_output_size`), None when the setting is impossible.
    formula : str
        The formula with the numbers filled in (:func:`cnnviz.arithmetic.formula_text`).

    Examples
    --------
    >>> w = ArithmeticExplorer(i=5, k=3)
    >>> w.output.shape, w.output_size
    ((3, 3), 3)
    >>> w.stride.value, w.transposed.value = 2, True
    >>> w.formula
    'o = (5 − 1)·2 − 2·0 + 1·(3 − 1) + 0 + 1 = 11'
    """

    def __init__(self, i=5, k=3, p=0, s=1, d=1):
        super().__init__()
        i, k, p, s, d = (
            check_int(v, n, minimum=0 if n == "p" else 1)
            for v, n in zip((i, k, p, s, d), "ikpsd", strict=True)
        )
        # A diagram takes tens of milliseconds to draw: redraw when a slider is released,
        # not at every value it passes while dragged (which would queue up redraws).
        self.input_size = _slider("input size i", i, 1, max(16, i), continuous_update=False)
        self.kernel_size = _slider("kernel size k", k, 1, max(7, k), continuous_update=False)
        self.kernel = self.kernel_size
        self.padding = _slider("padding p", p, 0, max(6, p), continuous_update=False)
        self.stride = _slider("stride s", s, 1, max(4, s), continuous_update=False)
        self.dilation = _slider("dilation d", d, 1, max(4, d), continuous_update=False)
        self.transposed = widgets.Checkbox(value=False, description="transposed convolution")
        self.output_padding = _slider("output_padding", 0, 0, 3, continuous_update=False)
        self.output_padding.disabled = True
        self.view = _picture()
        self.output_size = None
        self.formula = ""
        self.widget = widgets.VBox(
            [
                _row(
                    [
                        widgets.VBox([self.input_size, self.kernel_size, self.padding]),
                        widgets.VBox(
                            [self.stride, self.dilation, self.transposed, self.output_padding]
                        ),
                    ]
                ),
                self.info,
                self.alert,
                self.view,
            ]
        )
        self._observe(
            [
                self.input_size,
                self.kernel_size,
                self.padding,
                self.stride,
                self.dilation,
                self.transposed,
                self.output_padding,
            ]
        )
        self.update()

    def update(self):
        """Recompute the size, the formula, ``.output`` and the diagram."""
        i, k = self.input_size.value, self.kernel_size.value
        p, s, d = self.padding.value, self.stride.value, self.dilation.value
        transposed = self.transposed.value
        self.output_padding.disabled = not transposed
        op = self.output_padding.value if transposed else 0
        options = {"transposed": transposed, "output_padding": op}
        self.formula = _numbers(i, k, p, s, d, **options)
        if transposed:
            o = self._attempt(arithmetic.transpose_output_size, i, k, p, s, d, output_padding=op)
        else:
            o = self._attempt(arithmetic.output_size, i, k, p, s, d)
        self.output_size = o
        fits = o is not None
        counts = arithmetic.coverage(i, k, p, s, d, **options) if fits else None
        self.output = np.outer(counts, counts) if fits else None
        kind = "transposed convolution" if transposed else "convolution"
        rule = arithmetic.TRANSPOSE_FORMULA if transposed else arithmetic.FORMULA
        notes = [] if transposed or not fits else [_unused_note(i, k, p, s, d, "both")]
        self.info.value = "<br>".join(
            [
                f"<b>{kind}: output {o}×{o}</b>" if fits else f"<b>{kind}: no output</b>",
                f"<code>{rule}</code>",
                f"<code>{html.escape(self.formula)}</code>",
                *(f"<i>{html.escape(n)}</i>" for n in notes if n),
            ]
        )
        self._draw(i, k, p, s, d, transposed, op)

    def _advice(self, err):
        """What to change; which rule failed is the argument the error names first (the
        convention of :mod:`cnnviz._checks`)."""
        if not self.transposed.value:
            return "Raise the padding or lower the dilation or the kernel size."
        if str(err).startswith("output_padding"):
            return "output_padding only adds back rows that a strided convolution dropped."
        p = self.padding.value
        return (
            f"The transposed convolution's padding crops 2·{p} = {2 * p} rows and columns "
            f"from its output: lower the padding."
        )

    def _draw(self, i, k, p, s, d, transposed, op):
        """The diagram of :func:`cnnviz.viz.conv_arithmetic_diagram` (it draws the impossible
        settings too, with their reason), cached per setting.

        Its title, the formula with the numbers, is dropped: the info box right above the
        picture shows the same formula, and a figure with one text less draws ~20% faster.
        """
        key = (i, k, p, s, d, transposed, op)
        if key not in _DIAGRAM_PNGS:
            fig = viz.conv_arithmetic_diagram(
                i, k, p, s, d, transposed=transposed, output_padding=op
            )
            for ax in fig.axes:
                ax.set_title("")
            _DIAGRAM_PNGS.put(key, _figure_png(fig))
        self.view.value = _DIAGRAM_PNGS[key]


# ---------------------------------------------------------------------------------------------
# PoolingExplorer
# ---------------------------------------------------------------------------------------------

_POOLS = {"max": ops.max_pool2d, "avg": ops.avg_pool2d, "min": ops.min_pool2d}


def _pair_text(value):
    """``(7, 7)`` for a pair, ``7`` for an int: as the errors of cnnviz.ops write them."""
    return f"({', '.join(str(v) for v in value)})" if isinstance(value, tuple) else str(value)


def _limit(err):
    """The largest padding the broken rule allows, from the error's facts ('' when absent)."""
    limit = getattr(err, "limit", None)
    return min(limit) if isinstance(limit, (tuple, list)) else (limit or "")


class PoolingExplorer(_ImageExplorer):
    """Max, average or min pooling of an image, with its window, stride and padding.

    Parameters
    ----------
    image : None, str or array_like
        As for :class:`ConvExplorer`.

    Attributes
    ----------
    image : ipywidgets.Dropdown
    mode : ipywidgets.ToggleButtons
        ``"max"``, ``"avg"`` or ``"min"``.
    kernel_size, stride, padding : ipywidgets.IntSlider
        The window, its step, and the implicit padding (``-inf`` for max, ``+inf`` for min,
        zeros counted in the average for avg; at most half the window, as in torch).
        ``kernel`` is the same slider as ``kernel_size``.
    output : numpy.ndarray or None
        ``cnnviz.ops.max_pool2d`` / ``avg_pool2d`` / ``min_pool2d`` of ``input_array``.

    Examples
    --------
    >>> w = PoolingExplorer()
    >>> w.kernel_size.value, w.stride.value = 4, 4
    >>> w.output.shape
    (32, 32)
    >>> w.padding.value = 3
    >>> w.output is None, "at most half the window" in w.message
    (True, True)
    >>> tiny = PoolingExplorer(np.ones((4, 4)))
    >>> tiny.kernel_size.value = 6
    >>> tiny.message.split(". ")[0]
    'No output: the window (6, 6) does not fit the padded input (4, 4)'
    """

    def __init__(self, image=None):
        super().__init__(image)
        self.mode = widgets.ToggleButtons(
            options=list(_POOLS),
            value="max",
            description="mode",
            style={**_DESCRIPTION, "button_width": "56px"},  # the three on one line
        )
        self.kernel_size = _slider("window (kernel_size)", 2, 1, 8)
        self.kernel = self.kernel_size
        self.stride = _slider("stride", 2, 1, 8)
        self.padding = _slider("padding", 0, 0, 4)
        self.widget = widgets.VBox(
            [
                _row([self.image, self.mode]),
                _row([self.kernel_size, self.stride, self.padding]),
                _row(
                    [
                        widgets.VBox([self.input_caption, self.input_view]),
                        widgets.VBox([self.output_caption, self.output_view]),
                    ]
                ),
                self.info,
                self.alert,
            ]
        )
        self._observe([self.image, self.mode, self.kernel_size, self.stride, self.padding])
        self.update()

    def _reason(self, err):
        """A window that does not fit, in pooling's terms: the window and the padded input,
        without the dilation (always 1 here) that the error's own message names."""
        if isinstance(err, arithmetic.KernelDoesNotFitError):
            return f"the window {_pair_text(err.kernel)} does not fit the padded input " + (
                _pair_text(err.padded)
            )
        return str(err)

    def _advice(self, err):
        if isinstance(err, arithmetic.KernelDoesNotFitError):
            return "Raise the padding or narrow the window."
        limit = _limit(err)  # padding more than half the window
        here = f" ({limit} here)" if limit else ""
        return f"Keep the padding at most half the window{here}, or widen the window."

    def update(self):
        """Recompute ``.output`` with the pooling op of :mod:`cnnviz.ops` and redraw."""
        x = self.input_array
        k, s, p = self.kernel_size.value, self.stride.value, self.padding.value
        mode = self.mode.value
        lines, notes = _formula_lines(x.shape, (k, k), p, s, 1)
        self.output = self._attempt(_POOLS[mode], x, k, stride=s, padding=p)
        self._draw_input(x)
        shape = self._draw_output(self.output, f"{mode} pool")
        self.info.value = "<br>".join(
            [
                f"<b>{mode} pooling: output {shape}</b> — window {k}×{k}, stride {s}, padding {p}",
                *(f"<code>{html.escape(line)}</code>" for line in lines),
                *(f"<i>{html.escape(note)}</i>" for note in notes),
            ]
        )


# ---------------------------------------------------------------------------------------------
# ActivationExplorer
# ---------------------------------------------------------------------------------------------


def _activation(name, x, negative_slope):
    """(f(x), f'(x)) from the registry :data:`cnnviz.ops.ACTIVATIONS` (torch's derivatives)."""
    activation = ops.ACTIVATIONS[name]
    options = {"negative_slope": negative_slope} if "negative_slope" in activation.options else {}
    return activation.function(x, **options), activation.derivative(x, **options)


class ActivationExplorer(_Explorer):
    """An activation function and its derivative, and their values at a chosen ``x``.

    Attributes
    ----------
    activation : ipywidgets.Dropdown
        A name of :data:`cnnviz.ops.ACTIVATIONS`: ``"relu"``, ``"leaky_relu"``, ``"sigmoid"``,
        ``"tanh"`` or ``"gelu"``.
    x : ipywidgets.FloatSlider
        The point marked on both curves.
    negative_slope : ipywidgets.FloatSlider
        The slope of leaky ReLU for ``x < 0`` (enabled only for ``"leaky_relu"``).
    grid : numpy.ndarray
        The x values of the curves, -4 to 4.
    output, derivative : numpy.ndarray
        The activation and its derivative on ``grid`` (the derivative at 0 is torch's:
        0 for ReLU, ``negative_slope`` for leaky ReLU).
    point : (float, float, float)
        ``(x, f(x), f'(x))`` at the slider.

    Examples
    --------
    >>> w = ActivationExplorer()
    >>> w.activation.value, w.x.value = "sigmoid", 0.0
    >>> w.point
    (0.0, 0.5, 0.25)
    """

    def __init__(self):
        super().__init__()
        self.activation = widgets.Dropdown(
            options=list(ops.ACTIVATIONS),
            value="relu",
            description="activation",
            style=_DESCRIPTION,
        )
        self.x = widgets.FloatSlider(
            value=1.0, min=-4.0, max=4.0, step=0.1, description="x", style=_DESCRIPTION
        )
        self.negative_slope = widgets.FloatSlider(
            value=0.1,
            min=0.0,
            max=0.5,
            step=0.01,
            description="leaky slope",
            style=_DESCRIPTION,
            disabled=True,
        )
        self.grid = np.linspace(-4.0, 4.0, 401)
        self.derivative = None
        self.point = None
        self.view = _picture()
        fig = self._fig = _figure(6.4, 3.4)
        ax = self._ax = fig.add_subplot()
        f_color, df_color = SERIES
        (self._f_line,) = ax.plot(self.grid, self.grid, color=f_color, lw=2, label="f(x)")
        (self._df_line,) = ax.plot(
            self.grid, self.grid, color=df_color, lw=1.5, ls="--", label="f′(x)"
        )
        self._marker = ax.axvline(0, color=COLORS["muted"], lw=0.8, ls=":")
        (self._f_dot,) = ax.plot([0], [0], "o", color=f_color)
        (self._df_dot,) = ax.plot([0], [0], "o", color=df_color)
        ax.axhline(0, color=COLORS["rule"], lw=0.8)
        ax.axvline(0, color=COLORS["rule"], lw=0.8)
        ax.set_xlim(-4, 4)
        ax.set_xlabel("x")
        ax.legend(loc="upper left")
        ax.grid(True, alpha=0.3)
        fig.subplots_adjust(left=0.1, right=0.97, bottom=0.16, top=0.9)
        # Moving x redraws only the marker and the dots; the rest is redrawn when the
        # activation or the slope changes.
        self._blitter = _Blitter(fig, [self._marker, self._f_dot, self._df_dot])
        self._curves = None
        self.widget = widgets.VBox(
            [
                _row([self.activation, self.negative_slope]),
                self.x,
                self.info,
                self.alert,
                self.view,
            ]
        )
        self._observe([self.activation, self.x, self.negative_slope])
        self.update()

    def update(self):
        """Recompute the curves and the values at ``x``; move the lines and dots."""
        name, slope, x = self.activation.value, self.negative_slope.value, self.x.value
        self.negative_slope.disabled = name != "leaky_relu"
        self.output, self.derivative = _activation(name, self.grid, slope)
        fx, dfx = (float(v[0]) for v in _activation(name, np.array([x]), slope))
        self.point = (float(x), fx, dfx)
        self._marker.set_xdata([x, x])
        self._f_dot.set_data([x], [fx])
        self._df_dot.set_data([x], [dfx])
        full = self._curves != (name, slope)
        if full:
            self._f_line.set_ydata(self.output)
            self._df_line.set_ydata(self.derivative)
            lo = min(self.output.min(), self.derivative.min())
            hi = max(self.output.max(), self.derivative.max())
            self._ax.set_ylim(lo - 0.1 * (hi - lo) - 0.05, hi + 0.1 * (hi - lo) + 0.05)
            label = f"{name}(x), negative_slope={slope:g}" if name == "leaky_relu" else name
            self._ax.set_title(f"{label}: f (solid) and its derivative f′ (dashed)")
            self._curves = (name, slope)
        self.view.value = self._blitter.png(full)
        self.info.value = (
            f"<code>{name}({x:.2f}) = {fx:.4f}</code> &nbsp; "
            f"<code>{name}′({x:.2f}) = {dfx:.4f}</code>"
        )
        self._say("")


# ---------------------------------------------------------------------------------------------
# SoftmaxExplorer
# ---------------------------------------------------------------------------------------------


class SoftmaxExplorer(_Explorer):
    """Softmax probabilities of a few logits, and how the temperature reshapes them.

    Parameters
    ----------
    logits : sequence of float
        The initial logits, one per class (each gets a slider from -6 to 6).
    labels : sequence of str
        The class names, as many as ``logits``.

    Attributes
    ----------
    logits : list of ipywidgets.FloatSlider
        One slider per class.
    temperature : ipywidgets.FloatLogSlider
        ``T`` from 0.1 to 10: ``softmax(z / T)``; ``T > 1`` flattens, ``T < 1`` sharpens.
    output : numpy.ndarray
        ``cnnviz.ops.softmax(logits, temperature=T)``.

    Examples
    --------
    >>> w = SoftmaxExplorer()
    >>> w.output.round(3)
    array([0.626, 0.311, 0.063])
    >>> w.temperature.value = 10.0
    >>> w.output.round(3)
    array([0.367, 0.342, 0.291])
    """

    def __init__(self, logits=(2.5, 1.8, 0.2), labels=("cat", "dog", "elephant")):
        super().__init__()
        values = check_array(logits, "logits", ndims=(1,))
        if values.size < 2:
            raise ValueError(f"logits must be at least 2 numbers, one per class, got {logits!r}")
        if labels is None:
            labels = [f"class {n}" for n in range(values.size)]
        self.labels = check_strings(labels, "labels", count=values.size)
        self.logits = [
            widgets.FloatSlider(
                value=float(v),
                min=-6.0,
                max=6.0,
                step=0.1,
                description=str(label),
                style={"description_width": "80px"},
            )
            for v, label in zip(values, labels, strict=True)
        ]
        self.temperature = widgets.FloatLogSlider(
            value=1.0,
            base=10,
            min=-1,
            max=1,
            step=0.01,
            description="temperature T",
            style=_DESCRIPTION,
        )
        self.view = _picture()
        fig = self._fig = _figure(6.4, 3.2)
        ax = self._ax = fig.add_subplot()
        positions = np.arange(values.size)
        self._bars = list(ax.bar(positions, np.zeros(values.size), color=SERIES[0], width=0.7))
        self._texts = [ax.text(x, 0, "", ha="center", va="bottom", fontsize=9) for x in positions]
        ax.set_xticks(positions)
        ax.set_xticklabels(labels, rotation=0 if values.size <= 6 else 45)
        ax.set_ylim(0, 1.12)
        ax.set_ylabel("probability")
        ax.spines[["top", "right"]].set_visible(False)
        fig.subplots_adjust(left=0.12, right=0.97, bottom=0.14, top=0.88)
        # Only the bars, their labels and the title move: the axes are drawn once.
        self._blitter = _Blitter(fig, [*self._bars, *self._texts, ax.title])
        self.widget = widgets.VBox(
            [widgets.VBox(self.logits), self.temperature, self.info, self.alert, self.view]
        )
        self._observe([*self.logits, self.temperature])
        self.update()

    def update(self):
        """Recompute ``.output`` with :func:`cnnviz.ops.softmax` and resize the bars."""
        z = np.array([s.value for s in self.logits], dtype=float)
        t = self.temperature.value
        p = ops.softmax(z, temperature=t)
        self.output = p
        top = int(p.argmax())
        for n, (bar, text, value) in enumerate(zip(self._bars, self._texts, p, strict=True)):
            bar.set_height(value)
            bar.set_color(HIGHLIGHT if n == top else SERIES[0])
            text.set_y(value + 0.01)
            text.set_text(f"{100 * value:.1f}%")
        self._ax.set_title(f"softmax(z / T) with temperature T = {t:.2f}", fontsize=10)
        self.view.value = self._blitter.png()
        shown = ", ".join(f"{v:.3f}" for v in p)
        self.info.value = (
            f"<code>p = softmax(z / {t:.2f}) = [{shown}]</code> (sums to 1; "
            f"largest: {html.escape(str(self.labels[top]))})"
        )
        self._say("")
