"""Kernel-free explorers: self-contained HTML, CSS and JavaScript that run in the browser alone.

An ipywidgets slider needs a live Python kernel to recompute anything, so in a static page (the
built book, a shared HTML export) it is frozen at its first view. The explorers here carry their
whole logic in the page instead: one HTML output with an inline ``<style>``, inline SVG and an
inline ``<script>`` (no modules, no require.js, no CDN, no network), which works alike in
JupyterLab, Colab, VS Code and the book.

- :func:`arithmetic_explorer`: the output-size rule of a convolution, with sliders for
  ``i, k, p, s, d`` (:mod:`cnnviz.explorers.arithmetic`).
- :func:`conv_explorer`: a convolution on a photo or a test pattern, with every preset kernel,
  editable cells, stride, padding, dilation and padding mode, and the sum of products behind
  any output pixel (:mod:`cnnviz.explorers.conv`).
- :func:`pooling_explorer`, :func:`activation_explorer`, :func:`softmax_explorer`: pooling,
  activations with their derivatives, and softmax with cross-entropy.
- :func:`network_explorer`: a trained CNN running in the page, every layer's feature maps,
  the filters behind them, receptive fields and occlusion (:mod:`cnnviz.explorers.network`).
- :func:`animation_html`: a matplotlib animation as matplotlib's JavaScript player, minus the
  stylesheet it would fetch from a CDN for its button icons (:mod:`cnnviz.explorers.animation`).

Layout: ``_page.py`` assembles an output (unique id, inline CSS and JS, safe JSON config);
``static/core.js`` is :mod:`cnnviz.arithmetic` in JavaScript (same names, same strings, tested
against :func:`cnnviz.arithmetic.table`); ``static/explorers.css`` styles every explorer with
the colours of :mod:`cnnviz.palette`; ``static/ops.js`` is :mod:`cnnviz.ops` in JavaScript
(tested against it); ``static/base.js`` binds the controls and exposes ``root.cnnviz``; each
explorer adds its own ``static/<name>.js``.
"""

from __future__ import annotations

from cnnviz.explorers.activation import activation_explorer
from cnnviz.explorers.animation import AnimationHTML, animation_html
from cnnviz.explorers.arithmetic import PARAM_RANGES, ArithmeticExplorer, arithmetic_explorer
from cnnviz.explorers.conv import conv_explorer
from cnnviz.explorers.network import NetworkExplorer, network_explorer
from cnnviz.explorers.pool import pooling_explorer
from cnnviz.explorers.softmax import softmax_explorer

__all__ = [
    "ArithmeticExplorer",
    "arithmetic_explorer",
    "PARAM_RANGES",
    "AnimationHTML",
    "animation_html",
    "conv_explorer",
    "pooling_explorer",
    "activation_explorer",
    "softmax_explorer",
    "NetworkExplorer",
    "network_explorer",
]
