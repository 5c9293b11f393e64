"""What the pooling, activation and softmax explorers share: their controls and their page.

Each of them is one output of :func:`cnnviz.explorers._page.assemble` whose script runs
``static/ops.js`` (the math, :mod:`cnnviz.ops` in JavaScript), ``static/base.js`` (the controls
and ``root.cnnviz``), ``static/layers.js`` (drawing helpers) and the explorer's own script, and
whose root carries ``data-cnnviz-explorer="<kind>"``. The controls are named like the Python
arguments (``data-param``) and have the ranges of the ipywidgets twins in :mod:`cnnviz.widgets`.
"""

from __future__ import annotations

import html
import math

from cnnviz._checks import check_number
from cnnviz.explorers import _page

__all__ = ["LayerExplorer", "range_control", "select_control", "snap", "page"]

SCRIPTS = ("ops.js", "base.js", "layers.js")


class LayerExplorer:
    """A kernel-free explorer; display it (Jupyter calls ``_repr_html_``).

    Attributes
    ----------
    params : dict
        The initial settings, named like the function's arguments and like ``root.cnnviz.params``
        in the page.
    html : str
        The complete output.
    element_id : str
        The id of its root element.
    input, output : numpy.ndarray or None
        What the page starts with, computed here with :mod:`cnnviz.ops` (``output`` is None
        when the initial setting is impossible).
    """

    def __init__(self, params, element_id, html_text, input_array, output):
        self.params = params
        self.element_id = element_id
        self.html = html_text
        self.input = input_array
        self.output = output

    def _repr_html_(self):
        return self.html

    def __repr__(self):
        args = ", ".join(f"{name}={value!r}" for name, value in self.params.items())
        return f"{type(self).__name__}({args})"


def snap(value, name, low, high, step):
    """``value`` checked to lie in ``[low, high]`` and rounded to the slider's ``step``.

    >>> snap(0.123, "negative_slope", 0.0, 0.5, 0.01)
    0.12
    """
    value = check_number(value, name, low, high)
    digits = max(0, -math.floor(math.log10(step)))
    return round(low + round((value - low) / step) * step, digits)


def range_control(name, label, low, high, value, step=1):
    """A labelled range input (:func:`cnnviz.explorers._page.slider`) with any ``step``."""
    markup = _page.slider(name, label, low, high, value)
    return markup.replace('step="1"', f'step="{step}"', 1)


def select_control(name, label, options, value):
    """A labelled ``<select data-param=name>``; ``options`` are ``(value, text)`` pairs."""
    items = "".join(
        f'<option value="{html.escape(str(v))}"{" selected" if v == value else ""}>'
        f"{html.escape(str(text))}</option>"
        for v, text in options
    )
    label = html.escape(label)
    return (
        '<label class="cnnviz-control cnnviz-choice">'
        f'<span class="cnnviz-sym">{name}</span><span class="cnnviz-name">{label}</span>'
        f'<select data-param="{name}" aria-label="{name}, {label}">{items}</select></label>'
    )


def page(kind, title, controls, stage, config, buttons=""):
    """The element id and the complete output of the ``kind`` explorer (``static/<kind>.js``).

    ``controls`` and ``stage`` are HTML; ``config`` is what the script gets as ``CONFIG``.
    """
    element_id = _page.new_id(kind)
    body = (
        f'<div class="cnnviz-title">{html.escape(title)}</div>'
        '<div class="cnnviz-subtitle">Move the controls: this runs in your browser, no Python '
        "needed.</div>"
        f'<div class="cnnviz-controls">{"".join(controls)}</div>'
        f"{buttons}"
        f'<div class="cnnviz-stage">{stage}</div>'
        '<div class="cnnviz-result" aria-live="polite">'
        '<div class="cnnviz-size"></div><div class="cnnviz-formula"></div>'
        '<div class="cnnviz-detail"></div><div class="cnnviz-message"></div></div>'
    )
    markup = _page.assemble(
        element_id,
        kind,
        [*SCRIPTS, f"{kind}.js"],
        body,
        config,
        classes=("cnnviz-layer",),
        data={"cnnviz-explorer": kind},
        styles=("layers.css",),
    )
    return element_id, markup
