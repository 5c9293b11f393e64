"""The kernel-free softmax explorer: logits and a temperature in, probabilities and a loss out.

The page computes with ``static/ops.js`` (:func:`cnnviz.ops.softmax` with ``temperature`` and
:func:`cnnviz.ops.cross_entropy`, in JavaScript). Its controls are those of
:class:`cnnviz.widgets.SoftmaxExplorer` (one slider per logit, -6 to 6 by 0.1, and a logarithmic
``temperature`` slider from 0.1 to 10), and a choice of the true class for the loss.
"""

from __future__ import annotations

import math

import numpy as np

from cnnviz import ops
from cnnviz._checks import check_array, check_int, check_number, check_strings
from cnnviz.explorers import _layers

__all__ = ["SoftmaxExplorer", "softmax_explorer", "LOGIT_RANGE", "TEMPERATURE_RANGE"]

#: Each logit's slider ``(min, max, step)``, as in :class:`cnnviz.widgets.SoftmaxExplorer`.
LOGIT_RANGE = (-6.0, 6.0, 0.1)
#: The temperature slider: ``T = 10 ** e`` with ``e`` from -1 to 1 by 0.01 (a log slider).
TEMPERATURE_RANGE = (0.1, 10.0)
_EXPONENT_STEP = 0.01
_MAX_CLASSES = 10


class SoftmaxExplorer(_layers.LayerExplorer):
    """A kernel-free softmax explorer; build one with :func:`softmax_explorer`.

    ``labels`` holds the class names; ``output`` the probabilities, then the loss.
    """

    def __init__(self, params, labels, *args):
        super().__init__(params, *args)
        self.labels = labels


def softmax_explorer(
    logits=(2.5, 1.8, 0.2), labels=("cat", "dog", "elephant"), temperature=1.0, target=0
):
    """A softmax explorer that runs in the browser: bars of ``softmax(z / T)`` and a loss.

    One slider per logit and one for the temperature ``T``; the bars show the probabilities
    with their values (the largest in orange). Below them, the cross-entropy loss
    ``-ln p[target]`` of the chosen true class.

    Parameters
    ----------
    logits : sequence of float
        2 to 10 initial logits, each in [-6, 6], rounded to the sliders' step 0.1.
    labels : sequence of str or None
        The class names, as many as ``logits`` (None: ``"class 0"``, ``"class 1"``, ...).
    temperature : float
        The initial ``T``, in [0.1, 10], rounded to the slider's steps ``10 ** (0.01 n)``.
    target : int
        The index of the true class.

    Returns
    -------
    SoftmaxExplorer
        Displays itself as one self-contained HTML output. ``.input`` holds the logits;
        ``.output`` the probabilities, then the loss, computed with :mod:`cnnviz.ops` (as
        ``root.cnnviz.output`` in the page, shape ``[K + 1]``).

    Examples
    --------
    >>> explorer = softmax_explorer()
    >>> explorer.output.round(3)  # p(cat), p(dog), p(elephant), then -ln p(cat)
    array([0.626, 0.311, 0.063, 0.468])
    >>> softmax_explorer(temperature=2).params["temperature"]  # 10 ** 0.3
    1.9952623149688795
    >>> softmax_explorer(target=3)
    Traceback (most recent call last):
    ...
    ValueError: target must be between 0 and 2, got 3
    """
    values = check_array(logits, "logits", ndims=(1,))
    if not 2 <= values.size <= _MAX_CLASSES:
        raise ValueError(
            f"logits must be 2 to {_MAX_CLASSES} numbers, one per class, got {values.size}"
        )
    z = [_layers.snap(float(v), f"logits[{n}]", *LOGIT_RANGE) for n, v in enumerate(values)]
    if labels is None:
        labels = [f"class {n}" for n in range(len(z))]
    labels = check_strings(labels, "labels", count=len(z))
    exponent = _exponent(temperature)
    params = {
        "logits": z,
        "temperature": 10**exponent,
        "target": check_int(target, "target", 0, len(z) - 1),
    }
    t = params["temperature"]
    scaled = np.array(z) / t
    output = np.append(ops.softmax(np.array(z), temperature=t), ops.cross_entropy(scaled, target))
    config = {"params": params, "labels": labels}
    element_id, markup = _layers.page(
        "softmax",
        "Softmax: from logits to probabilities",
        _controls(params, labels, exponent),
        '<div class="cnnviz-panel cnnviz-wide"><div class="cnnviz-bars"></div>'
        '<div class="cnnviz-loss"></div></div>',
        config,
    )
    return SoftmaxExplorer(params, labels, element_id, markup, np.array(z), output)


def _exponent(temperature):
    """``log10(temperature)`` on the slider's steps (0.01)."""
    t = check_number(temperature, "temperature", *TEMPERATURE_RANGE)
    return round(round(math.log10(t) / _EXPONENT_STEP) * _EXPONENT_STEP, 2)


def _controls(params, labels, exponent):
    low, high, step = LOGIT_RANGE
    sliders = [
        _layers.range_control(f"logits[{n}]", label, low, high, value, step)
        for n, (value, label) in enumerate(zip(params["logits"], labels, strict=True))
    ]
    temperature = _layers.range_control("temperature", "T, log scale", -1, 1, exponent, 0.01)
    target = _layers.select_control("target", "true class", enumerate(labels), params["target"])
    return [*sliders, temperature, target]
