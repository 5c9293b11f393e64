"""The kernel-free pooling explorer: max, average and min pooling with window, stride, padding.

The page computes with ``static/ops.js`` (:mod:`cnnviz.ops` in JavaScript: ``max_pool2d``,
``avg_pool2d`` and ``min_pool2d`` with ``return_indices``) and writes the output-size formula
with ``static/core.js`` (:mod:`cnnviz.arithmetic`). Its controls are those of
:class:`cnnviz.widgets.PoolingExplorer`: ``image``, ``mode``, ``kernel_size``, ``stride`` and
``padding``, with the same ranges. There is no dilation: a setting that :mod:`cnnviz.ops` refuses
is explained in pooling's own terms (:func:`explain`), the window and the padded input.
"""

from __future__ import annotations

import base64

import numpy as np

from cnnviz import arithmetic, images, ops
from cnnviz._checks import check_choice, check_int
from cnnviz.explorers import _layers

__all__ = [
    "PoolingExplorer",
    "pooling_explorer",
    "IMAGES",
    "PARAM_RANGES",
    "ADVICE",
    "image_array",
    "explain",
]

#: The inputs the explorer offers: a small map whose numbers it writes out, and the photo.
IMAGES = {"numbers": "numbers, 6×6", "photo": "photo, 128×128"}
MODES = {"max": "max pooling", "avg": "average pooling", "min": "min pooling"}
#: Slider ranges ``(min, max)``, inclusive: those of :class:`cnnviz.widgets.PoolingExplorer`.
PARAM_RANGES = {"kernel_size": (1, 8), "stride": (1, 8), "padding": (0, 4)}
_LABELS = {"kernel_size": "window", "stride": "stride", "padding": "padding"}
_POOLS = {"max": ops.max_pool2d, "avg": ops.avg_pool2d, "min": ops.min_pool2d}

#: What to change after :mod:`cnnviz.ops` refused a setting, by the error's class name;
#: ``{limit}`` is the largest padding the window allows.
ADVICE = {
    "KernelDoesNotFitError": "Raise the padding or narrow the window (kernel_size).",
    "PoolPaddingError": (
        "Keep the padding at most half the window ({limit} here), or widen the window "
        "(kernel_size)."
    ),
}
# A window that does not fit, from the facts of arithmetic.KernelDoesNotFitError. Its own
# message names the dilation too, which this explorer does not have (it is always 1 here).
_WINDOW = "the window {kernel} does not fit the padded input {padded}"

# The small map: what a ReLU feature map might hold, whole numbers 0-9 (seeded).
_NUMBERS = np.random.default_rng(7).integers(0, 10, size=(6, 6)).astype(np.float64)


def _photo_bytes():
    photo = np.asarray(images.SAMPLES["photo"](), dtype=np.float64)
    return np.round(np.clip(photo, 0, 1) * 255).astype(np.uint8)


def image_array(name):
    """The input ``name`` exactly as the page holds it (the photo as ``uint8 / 255``).

    >>> image_array("numbers").shape, image_array("photo").shape
    ((6, 6), (128, 128))
    """
    check_choice(name, "image", tuple(IMAGES))
    if name == "numbers":
        return _NUMBERS.copy()
    return _photo_bytes() / 255


def _pair_text(value):
    return f"({', '.join(str(v) for v in value)})" if isinstance(value, tuple) else str(value)


def explain(err):
    """The page's sentence for a setting that :mod:`cnnviz.ops` refuses with ``err``.

    ``"No output: <why>. <what to change>"``: a window that does not fit is said with the
    error's facts (the window and the padded input), without the dilation its own message
    names; other errors in their own words.

    >>> try:
    ...     ops.max_pool2d(np.zeros((6, 6)), 7)
    ... except ValueError as err:
    ...     print(explain(err))
    No output: the window (7, 7) does not fit the padded input (6, 6). Raise the padding or \
narrow the window (kernel_size).
    """
    reason = str(err)
    if isinstance(err, arithmetic.KernelDoesNotFitError):
        reason = _WINDOW.format(kernel=_pair_text(err.kernel), padded=_pair_text(err.padded))
    limit = getattr(err, "limit", None)
    advice = ADVICE.get(type(err).__name__, "").format(limit=min(limit) if limit else "")
    return f"No output: {reason}. {advice}".strip()


class PoolingExplorer(_layers.LayerExplorer):
    """A kernel-free pooling explorer; build one with :func:`pooling_explorer`.

    Beside the attributes of :class:`~cnnviz.explorers._layers.LayerExplorer`, ``message`` is
    what the page says when the initial setting is impossible (:func:`explain`), else ''.
    """

    def __init__(self, params, element_id, html_text, input_array, output, message=""):
        super().__init__(params, element_id, html_text, input_array, output)
        self.message = message


def pooling_explorer(image="numbers", mode="max", kernel_size=2, stride=2, padding=0):
    """A pooling explorer that runs in the browser: max, average or min pooling of a small map.

    The default input is a 6×6 map of whole numbers, drawn with its numbers, its padding
    (``−∞`` for max, ``+∞`` for min, ``0`` counted in the average) and the pooled output.
    Each output cell is tied to where it came from: hover over it (or step with *Next window*)
    to see its window, and for max and min pooling the input cell it picked is circled. The
    ``photo`` input pools a 128×128 photograph instead.

    Parameters
    ----------
    image : {"numbers", "photo"}
    mode : {"max", "avg", "min"}
    kernel_size, stride, padding : int
        Initial window, step and padding, within the sliders' ranges ``PARAM_RANGES``
        (``kernel_size`` 1-8, ``stride`` 1-8, ``padding`` 0-4, as in
        :class:`cnnviz.widgets.PoolingExplorer`). An impossible combination (padding more than
        half the window, a window that does not fit) is allowed: the explorer says why.

    Returns
    -------
    PoolingExplorer
        Displays itself as one self-contained HTML output. ``.output`` is the initial result of
        :mod:`cnnviz.ops` (None when impossible, and ``.message`` says why), ``.input`` the
        array pooled.

    Examples
    --------
    >>> explorer = pooling_explorer(kernel_size=3, stride=1)
    >>> explorer
    PoolingExplorer(image='numbers', mode='max', kernel_size=3, stride=1, padding=0)
    >>> explorer.output.shape
    (4, 4)
    >>> pooling_explorer(kernel_size=2, padding=2).output is None  # more than half the window
    True
    >>> pooling_explorer(kernel_size=7).message  # the 6x6 map is too small
    'No output: the window (7, 7) does not fit the padded input (6, 6). Raise the padding or \
narrow the window (kernel_size).'
    >>> pooling_explorer(stride=9)
    Traceback (most recent call last):
    ...
    ValueError: stride must be between 1 and 8, got 9
    """
    params = {
        "image": check_choice(image, "image", tuple(IMAGES)),
        "mode": check_choice(mode, "mode", tuple(MODES)),
    }
    for name, value in zip(PARAM_RANGES, (kernel_size, stride, padding), strict=True):
        params[name] = check_int(value, name, *PARAM_RANGES[name])
    x = image_array(params["image"])
    message = ""
    try:
        output = _POOLS[params["mode"]](
            x, params["kernel_size"], stride=params["stride"], padding=params["padding"]
        )
    except ValueError as err:
        output, message = None, explain(err)
    element_id, markup = _layers.page("pool", "Pooling: window, stride, padding", *_parts(params))
    return PoolingExplorer(params, element_id, markup, x, output, message)


def _parts(params):
    """The controls, the stage and the script's CONFIG of :func:`_layers.page`."""
    controls = [
        _layers.select_control("image", "input", IMAGES.items(), params["image"]),
        _layers.select_control("mode", "pooling", MODES.items(), params["mode"]),
        *(
            _layers.range_control(name, _LABELS[name], *PARAM_RANGES[name], params[name])
            for name in PARAM_RANGES
        ),
    ]
    stage = (
        '<figure class="cnnviz-panel"><figcaption class="cnnviz-caption cnnviz-in-caption">'
        "</figcaption>"
        '<svg class="cnnviz-in" xmlns="http://www.w3.org/2000/svg" role="img" '
        'aria-label="padded input and the selected window"></svg>'
        '<canvas class="cnnviz-in" role="img" aria-label="padded input photo"></canvas></figure>'
        '<figure class="cnnviz-panel"><figcaption class="cnnviz-caption cnnviz-out-caption">'
        "</figcaption>"
        '<svg class="cnnviz-out" xmlns="http://www.w3.org/2000/svg" role="img" '
        'aria-label="pooled output"></svg>'
        '<canvas class="cnnviz-out" role="img" aria-label="pooled output photo"></canvas></figure>'
    )
    photo = _photo_bytes()
    config = {
        "params": params,
        "advice": ADVICE,
        "window": _WINDOW,
        "numbers": {"shape": list(_NUMBERS.shape), "data": _NUMBERS.ravel().tolist()},
        "photo": {
            "shape": list(photo.shape),
            "base64": base64.b64encode(photo.tobytes()).decode("ascii"),
        },
    }
    buttons = (
        '<div class="cnnviz-buttons"><button type="button" data-action="next">Next window ▸'
        "</button><span>or hover over an output cell to see where it came from.</span></div>"
    )
    return controls, stage, config, buttons
