"""The kernel-free activation explorer: ReLU, leaky ReLU, sigmoid, tanh and GELU with f′.

The page computes with ``static/ops.js`` (:data:`cnnviz.ops.ACTIVATIONS` in JavaScript: each
function beside its derivative, with torch's values at the kinks). Its controls are those of
:class:`cnnviz.widgets.ActivationExplorer`: ``activation``, ``negative_slope`` (leaky ReLU only)
and ``x``, with the same ranges; the reader can also drag the point along the x axis.
"""

from __future__ import annotations

import numpy as np

from cnnviz import ops
from cnnviz._checks import check_choice
from cnnviz.explorers import _layers

__all__ = ["ActivationExplorer", "activation_explorer", "FEATURE_MAP", "PARAM_RANGES"]

#: Slider ranges ``(min, max, step)``: those of :class:`cnnviz.widgets.ActivationExplorer`.
PARAM_RANGES = {"negative_slope": (0.0, 0.5, 0.01), "x": (-4.0, 4.0, 0.1)}
_LABELS = {"negative_slope": "leaky slope", "x": "point"}

#: The 6×6 feature map the activation is also applied to: values as a convolution might give,
#: positive and negative, with one decimal (seeded).
FEATURE_MAP = np.round(np.random.default_rng(4).normal(0.0, 1.6, size=(6, 6)).clip(-3.9, 3.9), 1)


class ActivationExplorer(_layers.LayerExplorer):
    """A kernel-free activation explorer; build one with :func:`activation_explorer`."""


def points(x):
    """What the explorer evaluates: ``x``, then the 36 values of :data:`FEATURE_MAP`.

    This is ``root.cnnviz.input`` in the page, ``{shape: [37], data}``; ``root.cnnviz.output``
    is ``f`` (row 0) and ``f′`` (row 1) at these points, shape ``[2, 37]``.
    """
    return np.concatenate([[float(x)], FEATURE_MAP.ravel()])


def activation_explorer(activation="relu", x=1.0, negative_slope=0.1):
    """An activation explorer that runs in the browser: f and f′, a point, a feature map.

    Draws the chosen activation and its derivative from -4 to 4, with a point that the reader
    moves with the ``x`` slider or drags along the x axis; the values ``f(x)`` and ``f′(x)`` are
    written out. Below, the same function is applied to a 6×6 feature map
    (:data:`FEATURE_MAP`), with the slope ``f′`` that each cell passes back in training; each
    map has a colour bar (blue negative, orange positive) on its own scale: the feature map
    and ``f(map)`` share the largest ``|value|`` of the feature map, ``f′(map)`` goes to its
    largest ``|f′|`` (at least 1).

    Parameters
    ----------
    activation : str
        A name of :data:`cnnviz.ops.ACTIVATIONS`: ``"relu"``, ``"leaky_relu"``, ``"sigmoid"``,
        ``"tanh"`` or ``"gelu"``.
    x : float
        The initial point, in [-4, 4], rounded to the slider's step 0.1.
    negative_slope : float
        Leaky ReLU's slope for ``x < 0``, in [0, 0.5], rounded to 0.01 (the slider is enabled
        for ``"leaky_relu"`` only, as in :class:`cnnviz.widgets.ActivationExplorer`).

    Returns
    -------
    ActivationExplorer
        Displays itself as one self-contained HTML output; ``.input`` is :func:`points` of
        ``x`` and ``.output`` stacks ``f`` and ``f′`` there, computed with :mod:`cnnviz.ops`.

    Examples
    --------
    >>> explorer = activation_explorer("sigmoid", x=0.0)
    >>> explorer
    ActivationExplorer(activation='sigmoid', x=0.0, negative_slope=0.1)
    >>> explorer.output[:, 0]  # sigmoid(0) and its slope there
    array([0.5 , 0.25])
    >>> activation_explorer(x=5)
    Traceback (most recent call last):
    ...
    ValueError: x must be between -4.0 and 4.0, got 5.0
    """
    params = {"activation": check_choice(activation, "activation", tuple(ops.ACTIVATIONS))}
    params["x"] = _layers.snap(x, "x", *PARAM_RANGES["x"])
    params["negative_slope"] = _layers.snap(
        negative_slope, "negative_slope", *PARAM_RANGES["negative_slope"]
    )
    where = points(params["x"])
    chosen = ops.ACTIVATIONS[params["activation"]]
    options = {k: params[k] for k in chosen.options if k in params}  # leaky ReLU's slope
    output = np.stack([chosen.function(where, **options), chosen.derivative(where, **options)])
    feature_map = {"shape": list(FEATURE_MAP.shape), "data": FEATURE_MAP.ravel().tolist()}
    title = "Activation functions and their slopes"
    config = {"params": params, "map": feature_map}
    element_id, markup = _layers.page("activation", title, _controls(params), _STAGE, config)
    return ActivationExplorer(params, element_id, markup, where, output)


def _controls(params):
    names = [(name, a.label) for name, a in ops.ACTIVATIONS.items()]
    return [
        _layers.select_control("activation", "function", names, params["activation"]),
        *(
            _layers.range_control(name, _LABELS[name], low, high, params[name], step)
            for name, (low, high, step) in PARAM_RANGES.items()
        ),
    ]


_STAGE = (
    '<figure class="cnnviz-panel cnnviz-wide">'
    '<figcaption class="cnnviz-caption cnnviz-chart-caption"></figcaption>'
    '<svg class="cnnviz-chart" xmlns="http://www.w3.org/2000/svg" role="img" '
    'aria-label="the activation (solid) and its derivative (dashed); drag along x to move the '
    'point"></svg><div class="cnnviz-point"></div></figure>'
    + "".join(
        f'<figure class="cnnviz-panel"><figcaption class="cnnviz-caption">{caption}</figcaption>'
        f'<svg class="cnnviz-map cnnviz-map-{n}" xmlns="http://www.w3.org/2000/svg" role="img" '
        f'aria-label="{caption}"></svg>'
        '<svg class="cnnviz-colorbar" xmlns="http://www.w3.org/2000/svg" role="img" '
        'aria-label="colour scale"></svg></figure>'
        for n, caption in enumerate(
            ["feature map", "f(map): the activation", "f′(map): the slope passed back"]
        )
    )
)
