"""The kernel-free pooling explorer: max, average and min pooling with window, stride, padding.

The page computes with ``static/ops.js`` (:mod:`cnnviz.ops` in JavaScript: ``max_pool2d``,
``avg_pool2d`` and ``min_pool2d`` with ``return_indices``) and writes the output-size formula
with ``static/core.js`` (:mod:`cnnviz.arithmetic`). Its controls are those of
:class:`cnnviz.widgets.PoolingExplorer`: ``image``, ``mode``, ``kernel_size``, ``stride`` and
``padding``, with the same ranges.
"""

from __future__ import annotations

import base64

import numpy as np

from cnnviz import images, ops
from cnnviz._checks import check_choice, check_int
from cnnviz.explorers import _layers

__all__ = ["PoolingExplorer", "pooling_explorer", "IMAGES", "PARAM_RANGES", "image_array"]

#: The inputs the explorer offers: a small map whose numbers it writes out, and the photo.
IMAGES = {"numbers": "numbers, 6×6", "photo": "photo, 128×128"}
MODES = {"max": "max pooling", "avg": "average pooling", "min": "min pooling"}
#: Slider ranges ``(min, max)``, inclusive: those of :class:`cnnviz.widgets.PoolingExplorer`.
PARAM_RANGES = {"kernel_size": (1, 8), "stride": (1, 8), "padding": (0, 4)}
_LABELS = {"kernel_size": "window", "stride": "stride", "padding": "padding"}
_POOLS = {"max": ops.max_pool2d, "avg": ops.avg_pool2d, "min": ops.min_pool2d}

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


class PoolingExplorer(_layers.LayerExplorer):
    """A kernel-free pooling explorer; build one with :func:`pooling_explorer`."""


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
        :mod:`cnnviz.ops` (None when impossible), ``.input`` the array pooled.

    Examples
    --------
    >>> explorer = pooling_explorer(kernel_size=3, stride=1)
    >>> explorer
    PoolingExplorer(image='numbers', mode='max', kernel_size=3, stride=1, padding=0)
    >>> explorer.output.shape
    (4, 4)
    >>> pooling_explorer(kernel_size=2, padding=2).output is None  # more than half the window
    True
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
    try:
        output = _POOLS[params["mode"]](
            x, params["kernel_size"], stride=params["stride"], padding=params["padding"]
        )
    except ValueError:
        output = None
    element_id, markup = _layers.page("pool", "Pooling: window, stride, padding", *_parts(params))
    return PoolingExplorer(params, element_id, markup, x, output)


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
