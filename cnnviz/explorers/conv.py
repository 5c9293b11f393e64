"""The kernel-free convolution explorer: a kernel slides over a real image, in the browser.

The page computes with ``static/ops.js`` (:func:`cnnviz.ops.conv2d` and
:func:`cnnviz.ops.pad2d` in JavaScript), writes the output-size formula with ``static/core.js``
(:mod:`cnnviz.arithmetic`), binds its controls with ``static/base.js`` (``root.cnnviz``) and
draws with ``static/conv.js``, which also builds the box, Gaussian and Gabor kernels the way
:mod:`cnnviz.filters` does. Its controls are those of :class:`cnnviz.widgets.ConvExplorer`,
with the same names and ranges, plus a kernel size (3, 5 or 7: ``size`` of
:func:`cnnviz.filters.box_kernel` and :func:`cnnviz.filters.gaussian_kernel`, or the side of a
kernel typed cell by cell), σ for the Gaussian, and θ and the wavelength for the Gabor kernel.

The images travel inside the output as ``uint8`` (``round(255 x)``; the page divides by 255),
each row stored as its difference from the row above, compressed with zlib and base64-encoded;
the browser inflates them with its ``DecompressionStream``. Your own array travels as float64.
"""

from __future__ import annotations

import base64
import functools
import html
import inspect
import zlib

import numpy as np

from cnnviz import arithmetic, filters, images, ops
from cnnviz._checks import check_array, check_choice, check_int, check_number
from cnnviz.explorers import _page

__all__ = [
    "ConvExplorer",
    "conv_explorer",
    "PARAM_RANGES",
    "SIZED",
    "image_array",
    "preset_weight",
    "explain",
    "formula_lines",
]

#: Slider ranges ``(min, max, step)`` of the explorer. ``stride``, ``padding`` and ``dilation``
#: are those of :class:`cnnviz.widgets.ConvExplorer`; ``theta`` is in degrees.
PARAM_RANGES = {
    "stride": (1, 4, 1),
    "padding": (0, 8, 1),
    "dilation": (1, 4, 1),
    "kernel_size": (3, 7, 2),
    "sigma": (0.5, 3.0, 0.1),
    "theta": (0, 180, 15),
    "wavelength": (2, 16, 1),
}

CUSTOM = "custom"
#: The presets whose side the kernel-size slider sets, and the side each starts with: the
#: default ``size`` of :func:`cnnviz.filters.box_kernel` and
#: :func:`~cnnviz.filters.gaussian_kernel` (3 and 5), what ``KERNELS[name]()`` gives.
SIZED = {
    name: inspect.signature(filters.KERNELS[name]).parameters["size"].default
    for name in ("box", "gaussian")
}

# name -> (symbol, label, the kernels it belongs to; empty: every kernel)
_SLIDERS = {
    "stride": ("s", "stride", ()),
    "padding": ("p", "padding", ()),
    "dilation": ("d", "dilation", ()),
    "kernel_size": ("k", "kernel size", (*SIZED, CUSTOM)),
    "sigma": ("σ", "Gaussian σ", ("gaussian",)),
    "theta": ("θ", "Gabor angle (°)", ("gabor",)),
    "wavelength": ("λ", "Gabor wavelength", ("gabor",)),
}

_GENERATED = (*SIZED, "gabor")  # built in the page from their sliders
YOUR_IMAGE = "your image"
MAX_SIDE = 128  # your own image: at most 128 x 128 pixels
# The fixed arguments of the Gabor preset: the defaults KERNELS["gabor"]() uses.
_GABOR = {
    name: p.default
    for name, p in inspect.signature(filters.gabor_kernel).parameters.items()
    if name in ("size", "sigma", "gamma", "phase")
}

# What to change after ops refused a setting; {limit} is the largest padding allowed.
ADVICE = {
    "KernelDoesNotFitError": "Raise the padding, lower the dilation or pick a smaller kernel.",
    "PaddingExceedsInputError": "Lower the padding to at most {limit} or pick another mode.",
    "TypeError": "Type a number, such as 0.5 or -1.",  # a kernel cell that holds no number
}


# ---------------------------------------------------------------------------------------------
# Images: as the page holds them
# ---------------------------------------------------------------------------------------------


def _to_bytes(array):
    """``round(255 x)`` of an image in [0, 1], as uint8."""
    return np.round(np.clip(array, 0.0, 1.0) * 255).astype(np.uint8)


@functools.cache
def _sample_bytes(name):
    return _to_bytes(np.asarray(images.SAMPLES[name](), dtype=np.float64))


def image_array(name):
    """The sample ``name`` of :data:`cnnviz.images.SAMPLES` exactly as the page holds it.

    >>> photo = image_array("photo")
    >>> photo.shape, float(photo.max())
    ((128, 128), 1.0)
    """
    check_choice(name, "image", tuple(images.SAMPLES))
    return _sample_bytes(name) / 255


def _packed(raw):
    return base64.b64encode(zlib.compress(raw, 9)).decode("ascii")


@functools.cache
def _sample_entry(name):
    """The page's copy of a sample: each row minus the row above (mod 256), zlib, base64."""
    u8 = _sample_bytes(name)
    rows = u8.copy()
    rows[1:] -= u8[:-1]  # uint8 wraps around: the page adds the row above back
    return {"shape": list(u8.shape), "dtype": "uint8", "data": _packed(rows.tobytes())}


def _your_entry(array):
    return {
        "shape": list(array.shape),
        "dtype": "float64",
        "data": _packed(array.astype("<f8").tobytes()),
    }


def _your_image(image):
    """Your own image as a float64 ``(H, W)`` array (RGB is turned to gray), checked."""
    array = check_array(image, "image", (2, 3)).astype(np.float64)
    if array.ndim == 3:
        if array.shape[-1] not in (3, 4):
            raise ValueError(f"image must be (H, W) or RGB (H, W, 3), got shape {array.shape}")
        array = images.to_grayscale(array[..., :3])
    if min(array.shape) < 1 or max(array.shape) > MAX_SIDE:
        raise ValueError(
            f"image must have between 1 and {MAX_SIDE} rows and columns, got shape "
            f"{array.shape} (cnnviz.widgets.ConvExplorer takes any size)"
        )
    if not np.isfinite(array).all():
        raise ValueError("image must hold finite numbers only")
    return array


# ---------------------------------------------------------------------------------------------
# Kernels: the presets of cnnviz.filters, or your own
# ---------------------------------------------------------------------------------------------


def preset_weight(kernel, sigma=1.0, theta=0, wavelength=6, kernel_size=None):
    """The kernel the page builds for the preset ``kernel`` (``theta`` in degrees).

    ``kernel_size`` is the side of the box and Gaussian kernels (3, 5 or 7; None: the side
    they start with, :data:`SIZED`); the other presets have a fixed side and ignore it.

    >>> preset_weight("gaussian", sigma=1.0).shape, preset_weight("gabor").shape
    ((5, 5), (11, 11))
    >>> preset_weight("box", kernel_size=7).shape
    (7, 7)
    """
    if kernel in SIZED:
        size = SIZED[kernel] if kernel_size is None else _on_slider(kernel_size, "kernel_size")
        if kernel == "box":
            return filters.box_kernel(size)
        return filters.gaussian_kernel(size, sigma)
    if kernel == "gabor":
        angle = np.deg2rad(theta)
        return filters.gabor_kernel(theta=angle, wavelength=wavelength, **_GABOR)
    return np.asarray(filters.KERNELS[kernel](), dtype=np.float64)


def _custom_weight(kernel):
    weight = check_array(kernel, "kernel", (2,)).astype(np.float64)
    low, high, _ = PARAM_RANGES["kernel_size"]
    side = weight.shape[0]
    if weight.shape[1] != side or side % 2 == 0 or not low <= side <= high:
        raise ValueError(
            f"kernel must be a square array of side 3, 5 or 7, got shape {weight.shape}"
        )
    if not np.isfinite(weight).all():
        raise ValueError("kernel must hold finite numbers only")
    return weight


def _on_slider(value, name):
    """``value`` checked to be a position of the slider ``name``."""
    low, high, step = PARAM_RANGES[name]
    if isinstance(step, int):
        value = check_int(value, name, low, high)
        if (value - low) % step:
            raise ValueError(f"{name} must be {low} plus a multiple of {step}, got {value}")
        return value
    value = check_number(value, name, low, high)
    if abs(value / step - round(value / step)) > 1e-9:
        raise ValueError(f"{name} must be a multiple of {step}, got {value!r}")
    return round(value, 1)


# ---------------------------------------------------------------------------------------------
# The explorer
# ---------------------------------------------------------------------------------------------


class ConvExplorer:
    """A kernel-free convolution explorer; display it (Jupyter calls ``_repr_html_``).

    Build one with :func:`conv_explorer`.

    Attributes
    ----------
    params : dict
        The initial settings, named like the arguments and like ``root.cnnviz.params`` in the
        page: ``image, kernel, stride, padding, dilation, padding_mode, sigma, theta,
        wavelength, kernel_size`` and ``weight`` (the kernel as nested lists).
    input : numpy.ndarray
        The initial image exactly as the page holds it (a sample as ``uint8 / 255``).
    weight : numpy.ndarray
        The initial kernel.
    output : numpy.ndarray or None
        :func:`cnnviz.ops.conv2d` of ``input`` and ``weight`` with the initial settings, None
        when they are impossible.
    message : str
        Why there is no output, as the page says it ('' when there is one).
    formula : str
        The output-size formula with the numbers filled in (one line per axis if they differ).
    html : str
        The complete output; ``element_id`` is the id of its root element.
    """

    def __init__(self, params, your_image=None):
        self.params = params
        self._your_image = your_image
        self.element_id = _page.new_id("conv")
        self.html = _render(self.element_id, params, your_image)

    @property
    def input(self):
        if self.params["image"] == YOUR_IMAGE:
            return self._your_image.copy()
        return image_array(self.params["image"])

    @property
    def weight(self):
        return np.array(self.params["weight"], dtype=np.float64)

    def _conv(self):
        p = self.params
        return ops.conv2d(
            self.input,
            self.weight,
            stride=p["stride"],
            padding=p["padding"],
            dilation=p["dilation"],
            padding_mode=p["padding_mode"],
        )

    @property
    def output(self):
        try:
            return self._conv()
        except ValueError:
            return None

    @property
    def message(self):
        try:
            self._conv()
        except ValueError as err:
            return explain(err)
        return ""

    @property
    def formula(self):
        return "\n".join(formula_lines(self.input.shape, self.weight.shape, self.params))

    def _repr_html_(self):
        return self.html

    def __repr__(self):
        shown = {k: v for k, v in self.params.items() if k not in ("weight", "kernel_size")}
        args = ", ".join(f"{name}={value!r}" for name, value in shown.items())
        return f"ConvExplorer({args})"


def explain(err):
    """The page's sentence for a setting that :mod:`cnnviz.ops` refuses with ``err``."""
    advice = ADVICE.get(type(err).__name__, "")
    limit = getattr(err, "limit", None)
    if limit:
        advice = advice.format(limit=min(limit))
    return f"No output: {err}. {advice}".strip()


def formula_lines(shape, kernel_shape, params):
    """The output-size formula with the numbers, once, or per axis (``height: ...``) if they differ.

    >>> formula_lines((128, 128), (3, 3), dict(padding=1, stride=2, dilation=1))
    ['o = ⌊(128 + 2·1 − 1·(3 − 1) − 1) / 2⌋ + 1 = 64']
    """
    p, s, d = params["padding"], params["stride"], params["dilation"]
    axes = [("height: ", shape[0], kernel_shape[0]), ("width: ", shape[1], kernel_shape[1])]
    if shape[0] == shape[1] and kernel_shape[0] == kernel_shape[1]:
        axes = [("", shape[0], kernel_shape[0])]
    return [name + arithmetic.formula_text(i, k, p, s, d, style="numbers") for name, i, k in axes]


def conv_explorer(
    image="photo",
    kernel="sobel_x",
    stride=1,
    padding=0,
    dilation=1,
    padding_mode="zeros",
    sigma=1.0,
    theta=0,
    wavelength=6,
):
    """A convolution explorer that runs in the browser, on a photograph or a test pattern.

    It shows the padded input, the kernel with its values (type into a cell to change it)
    and the output on a diverging colour scale centred on 0, with the output shape and the
    formula. Hover over or click an output pixel (or use the arrow keys on the output) to
    see its receptive field on the input, the kernel laid over it and the sum of products
    that gives its value. Everything is recomputed in the browser, so the controls work in
    a static page too; :class:`cnnviz.widgets.ConvExplorer` is the ipywidgets twin.

    Parameters
    ----------
    image : str or array_like
        A name of :data:`cnnviz.images.SAMPLES` (``"photo"``, ``"noisy photo"``,
        ``"step edge"``, ``"checkerboard"``, ``"disk"``, ``"stripes"``), or your own ``(H, W)``
        or RGB ``(H, W, 3)`` array of at most 128 x 128 pixels, offered as ``"your image"``.
    kernel : str or array_like
        A name of :data:`cnnviz.filters.KERNELS`, or a square array of side 3, 5 or 7, shown
        as ``"custom"``.
    stride, padding, dilation : int
        Within the sliders' ranges, ``PARAM_RANGES``: 1-4, 0-8 and 1-4. A kernel that does
        not fit is allowed: the explorer says why.
    padding_mode : {"zeros", "reflect", "replicate", "circular"}
    sigma : float
        σ of the Gaussian kernel, 0.5 to 3.0 in steps of 0.1. The box and Gaussian kernels
        start at their default sides, 3×3 and 5×5 (:data:`SIZED`); the page's kernel-size
        slider makes them 3×3, 5×5 or 7×7.
    theta : int
        Direction of the 11×11 Gabor kernel in degrees, 0 to 180 in steps of 15
        (:func:`cnnviz.filters.gabor_kernel` takes ``np.deg2rad(theta)``).
    wavelength : int
        Wavelength of the Gabor kernel in pixels, 2 to 16.

    Returns
    -------
    ConvExplorer
        Displays itself as one self-contained HTML output; ``.html`` is that HTML.

    Examples
    --------
    >>> explorer = conv_explorer(stride=2, padding=1)
    >>> explorer
    ConvExplorer(image='photo', kernel='sobel_x', stride=2, padding=1, dilation=1, \
padding_mode='zeros', sigma=1.0, theta=0, wavelength=6)
    >>> explorer.output.shape
    (64, 64)
    >>> print(explorer.formula)
    o = ⌊(128 + 2·1 − 1·(3 − 1) − 1) / 2⌋ + 1 = 64
    >>> tiny = conv_explorer(image=np.ones((3, 3)), padding=3, padding_mode="reflect")
    >>> tiny.output is None, tiny.message[:45]
    (True, 'No output: padding must be smaller than the i')
    >>> conv_explorer(stride=5)
    Traceback (most recent call last):
    ...
    ValueError: stride must be between 1 and 4, got 5
    """
    your_image = None
    if isinstance(image, str):
        image = check_choice(image, "image", tuple(images.SAMPLES))
    else:
        your_image, image = _your_image(image), YOUR_IMAGE
    params = {
        "image": image,
        "kernel": kernel if isinstance(kernel, str) else CUSTOM,
        "stride": _on_slider(stride, "stride"),
        "padding": _on_slider(padding, "padding"),
        "dilation": _on_slider(dilation, "dilation"),
        "padding_mode": check_choice(padding_mode, "padding_mode", ops.PADDING_MODES),
        "sigma": _on_slider(sigma, "sigma"),
        "theta": _on_slider(theta, "theta"),
        "wavelength": _on_slider(wavelength, "wavelength"),
    }
    if isinstance(kernel, str):
        check_choice(kernel, "kernel", tuple(filters.KERNELS))
        weight = preset_weight(kernel, params["sigma"], params["theta"], params["wavelength"])
    else:
        weight = _custom_weight(kernel)
    params["kernel_size"] = weight.shape[0]
    params["weight"] = weight.tolist()
    return ConvExplorer(params, your_image)


# ---------------------------------------------------------------------------------------------
# The page
# ---------------------------------------------------------------------------------------------


def _slider(name, value, chosen):
    """A labelled range input; one that belongs to other kernels than ``chosen`` is hidden.

    ``data-kernel`` lists the kernels it belongs to, separated by spaces.
    """
    symbol, label, kernels = _SLIDERS[name]
    low, high, step = PARAM_RANGES[name]
    hidden = " hidden" if chosen not in kernels else ""
    only = f' data-kernel="{" ".join(kernels)}"{hidden}' if kernels else ""
    spoken = label if symbol in label.split() else f"{label} {symbol}"  # "Gaussian σ"
    return (
        f'<label class="cnnviz-control"{only}>'
        f'<span class="cnnviz-sym">{html.escape(symbol)}</span>'
        f'<span class="cnnviz-name">{html.escape(label)}</span>'
        f'<input type="range" min="{low}" max="{high}" step="{step}" value="{value}" '
        f'data-param="{name}" aria-label="{html.escape(spoken)}">'
        f'<output class="cnnviz-value" data-value-for="{name}">{value}</output>'
        "</label>"
    )


def _select(name, label, options, value):
    items = "".join(
        f'<option value="{html.escape(option)}"{" selected" if option == value else ""}>'
        f"{html.escape(option)}</option>"
        for option in options
    )
    return (
        f'<label class="cnnviz-choice"><span class="cnnviz-name">{html.escape(label)}</span>'
        f'<select data-param="{name}" aria-label="{html.escape(label)}">{items}</select></label>'
    )


def _panel(kind, caption, inner):
    return (
        f'<figure class="cnnviz-panel cnnviz-panel-{kind}">'
        f'<figcaption class="cnnviz-caption">{caption}</figcaption>{inner}</figure>'
    )


def _stage(kind, label, focusable=False):
    """A canvas (the picture) under an SVG of the same size (the marks)."""
    focus = ' tabindex="0"' if focusable else ""
    return (
        f'<div class="cnnviz-stage"><canvas class="cnnviz-{kind}-canvas" role="img" '
        f'aria-label="{label}"{focus}></canvas><svg class="cnnviz-{kind}-marks" '
        'xmlns="http://www.w3.org/2000/svg" preserveAspectRatio="none" aria-hidden="true">'
        "</svg></div>"
    )


def _body(params, image_names):
    chosen = [
        _select("image", "image", image_names, params["image"]),
        _select("kernel", "kernel", [*filters.KERNELS, CUSTOM], params["kernel"]),
        _select("padding_mode", "padding mode", ops.PADDING_MODES, params["padding_mode"]),
    ]
    values = {**params, "kernel_size": min(params["kernel_size"], PARAM_RANGES["kernel_size"][1])}
    sliders = "".join(_slider(name, values[name], params["kernel"]) for name in PARAM_RANGES)
    panels = (
        _panel(
            "input",
            'input <span class="cnnviz-input-shape"></span>',
            _stage("input", "the padded input, with the receptive field of the picked pixel"),
        )
        + _panel(
            "kernel",
            'kernel <span class="cnnviz-kernel-shape"></span>',
            '<div class="cnnviz-kernel"><canvas class="cnnviz-kernel-canvas" aria-hidden="true">'
            '</canvas><div class="cnnviz-cells" role="group" aria-label="kernel weights">'
            '</div></div><div class="cnnviz-kernel-note"></div>',
        )
        + _panel(
            "output",
            'output <span class="cnnviz-output-caption"></span>',
            _stage("output", "output: hover, click or use the arrow keys to pick a pixel", True)
            + '<div class="cnnviz-colorbar"><canvas class="cnnviz-colorbar-canvas" '
            'aria-hidden="true"></canvas><div class="cnnviz-colorbar-labels">'
            '<span class="cnnviz-low"></span><span>0</span><span class="cnnviz-high"></span>'
            "</div></div>",
        )
    )
    return (
        '<div class="cnnviz-title">Convolution on an image: kernel, stride, padding, '
        "dilation</div>"
        '<div class="cnnviz-subtitle">This runs in your browser, no Python needed. Type into '
        "a kernel cell to change it; hover over or click an output pixel to see the sum that "
        "computes it.</div>"
        f'<div class="cnnviz-choices">{"".join(chosen)}</div>'
        f'<div class="cnnviz-controls">{sliders}</div>'
        f'<div class="cnnviz-panels">{panels}</div>'
        '<div class="cnnviz-window-view"><canvas class="cnnviz-patch-canvas" role="img" '
        'aria-label="the kernel laid over the receptive field"></canvas>'
        '<div class="cnnviz-sum"><div class="cnnviz-sum-head"></div>'
        '<div class="cnnviz-sum-terms"></div></div></div>'
        '<div class="cnnviz-result" aria-live="polite">'
        '<div class="cnnviz-size">Output: <span class="cnnviz-output-shape"></span></div>'
        f'<div class="cnnviz-formula"><div>{html.escape(arithmetic.FORMULA)}</div>'
        '<div class="cnnviz-formula-numbers"></div></div>'
        '<div class="cnnviz-notes"></div><div class="cnnviz-message"></div>'
        "<noscript>This explorer needs JavaScript (but no Python).</noscript></div>"
    )


def _render(element_id, params, your_image):
    names = list(images.SAMPLES)
    entries = {name: _sample_entry(name) for name in names}
    if your_image is not None:
        names.insert(0, YOUR_IMAGE)
        entries[YOUR_IMAGE] = _your_entry(your_image)
    fixed = {k: make().tolist() for k, make in filters.KERNELS.items() if k not in _GENERATED}
    sizes = dict(SIZED)
    if params["kernel"] in sizes:
        sizes[params["kernel"]] = params["kernel_size"]
    config = {
        "params": params,
        "images": entries,
        "presets": fixed,
        "sizes": sizes,
        "gabor": _GABOR,
        "advice": ADVICE,
    }
    return _page.assemble(
        element_id,
        "conv",
        ["ops.js", "base.js", "conv.js"],
        _body(params, names),
        config,
        data={"cnnviz-explorer": "conv"},
        styles=("conv.css",),
    )
