"""Pictures of the operations of a CNN, drawn with matplotlib.

Every function returns the :class:`~matplotlib.figure.Figure` it drew (:func:`animate_conv`
returns the animation) and never calls ``plt.show()``; functions that need a single axes take
an optional ``ax`` to draw into. The figures are not registered with pyplot: a notebook shows a
returned figure exactly once, and a widget that redraws a hundred times leaves no open figures
behind. To show one that you keep in a variable, make it the last expression of a cell or call
``IPython.display.display(fig)``.

Colours come from :mod:`cnnviz.palette`, the palette the browser explorers use too:
grayscale for images, a diverging colormap centred on zero (``DIVERGING``, symmetric limits)
for kernels and for maps that go negative, and one orange (``HIGHLIGHT``) for "where the
window is now", in every figure. Small grids (at most 12 cells a side) print their values in
the cells. The numbers come from :mod:`cnnviz.ops` and the sizes from
:mod:`cnnviz.arithmetic`; this package only draws. Arguments are checked as everywhere in
cnnviz: a wrong type raises ``TypeError``, a wrong value ``ValueError``.

A figure that computes something hands it back as ``fig.cnnviz``, a frozen dataclass (as the
browser explorers expose ``root.cnnviz``): :class:`ConvStepResult`,
:class:`PoolingStepResult`, :class:`SoftmaxResult`, :class:`ArithmeticResult`, and
:class:`AnimationResult` on ``anim.cnnviz``; chapter 12's figures carry the records of
:mod:`cnnviz.viz.inspect` (``FiltersResult``, ``LayerMapsResult``, ``AttributionResult``,
``AdversarialResult``, ``EmbeddingResult``).

:func:`cmap_norm` is the colour rule itself, for pictures drawn elsewhere (the widgets).

The figures, by family: :mod:`~cnnviz.viz.images` (images, kernels, feature maps),
:mod:`~cnnviz.viz.conv` (one convolution step and its animation),
:mod:`~cnnviz.viz.layers` (pooling, activations, softmax), :mod:`~cnnviz.viz.arithmetic`
(the sizes of a convolution), :mod:`~cnnviz.viz.training` (history, confusion matrix,
predictions) and :mod:`~cnnviz.viz.inspect` (inside a trained network: filters, feature maps
of every layer, top activations, attribution maps, adversarial examples, embeddings). Import
from ``cnnviz.viz``.

Examples
--------
>>> import numpy as np
>>> x = np.arange(9).reshape(3, 3)
>>> fig = show_conv_step(x, np.array([[0, 1], [2, 3]]))
>>> fig.cnnviz.value            # 0x0 + 1x1 + 3x2 + 4x3
19.0
"""

from __future__ import annotations

from cnnviz.palette import CHOSEN, DIVERGING, HIGHLIGHT

from ._base import Figure
from ._cells import cmap_norm
from .architectures import (
    plot_accuracy_vs_flops,
    plot_curves,
    plot_gradient_norms,
    plot_transfer,
    show_top_predictions,
)
from .arithmetic import ArithmeticResult, conv_arithmetic_diagram
from .conv import AnimationResult, ConvStepResult, animate_conv, show_conv_step
from .distributed import AllReduceResult, DataParallelResult, show_all_reduce, show_data_parallel
from .images import show_feature_maps, show_image, show_images, show_kernel
from .inspect import (
    plot_embedding,
    plot_fgsm_accuracy,
    show_adversarial,
    show_attributions,
    show_filters,
    show_layer_maps,
    show_top_activations,
)
from .layers import (
    PoolingStepResult,
    SoftmaxResult,
    plot_activations,
    plot_softmax,
    show_pooling_step,
)
from .training import plot_confusion_matrix, plot_history, show_predictions

__all__ = [
    "animate_conv",
    "show_all_reduce",  # the appendix on data parallelism
    "show_data_parallel",
    "AllReduceResult",
    "DataParallelResult",
    "plot_accuracy_vs_flops",
    "plot_curves",
    "plot_gradient_norms",
    "plot_transfer",
    "show_top_predictions",
    "cmap_norm",
    "conv_arithmetic_diagram",
    "plot_activations",
    "plot_confusion_matrix",
    "plot_embedding",
    "plot_fgsm_accuracy",
    "plot_history",
    "plot_softmax",
    "show_adversarial",
    "show_attributions",
    "show_conv_step",
    "show_feature_maps",
    "show_filters",
    "show_image",
    "show_images",
    "show_kernel",
    "show_layer_maps",
    "show_pooling_step",
    "show_predictions",
    "show_top_activations",
    "AnimationResult",
    "ArithmeticResult",
    "ConvStepResult",
    "PoolingStepResult",
    "SoftmaxResult",
    "Figure",
    "CHOSEN",
    "DIVERGING",
    "HIGHLIGHT",
]
