"""The operations of a convolutional network, in vectorized NumPy.

Names and arguments follow :mod:`torch.nn.functional`, and arrays use the layout
``(N, C, H, W)``: batch, channels, height, width. Where a chapter is about one grayscale
image, a plain ``(H, W)`` array with a 2-D kernel works too.

Every sliding-window operation here (convolution and pooling) obeys one size rule, in the
symbols of Dumoulin & Visin, *A guide to convolution arithmetic for deep learning*: along one
axis, an input of length ``i`` padded by ``p`` on each side and scanned by a kernel of size
``k`` with stride ``s`` and dilation ``d`` gives an output of length

    o = floor((i + 2p - d(k - 1) - 1) / s) + 1

(:mod:`cnnviz.arithmetic` computes it; :func:`conv_output_size` and
:func:`conv_transpose_output_size` are its two rules). No function
loops over pixels in Python: windows are strided views of the input
(:func:`sliding_windows`) and a convolution is a few large matrix products (BLAS).

Backward passes: the ops a network trains through have a ``*_backward`` twin
(:func:`conv2d_backward`, :func:`max_pool2d_backward`, :func:`avg_pool2d_backward`,
:func:`relu_backward`, :func:`linear_backward`, :func:`cross_entropy_backward`) that maps the
gradient of a loss with respect to the op's output to the gradients with respect to its inputs
and weights, checked against ``torch.autograd`` in the tests.

Dtypes: float32 stays float32, float64 stays float64, and integer or boolean input is
computed in float64. Arguments are checked once, at the public boundary, and a bad one raises
``ValueError`` or ``TypeError`` naming the argument and the shapes involved:
``"name must be …, got …"``.

Impossible settings raise errors that carry their facts as attributes, for widgets to explain
("ops decides, widgets explain"): :class:`~cnnviz.arithmetic.KernelDoesNotFitError` (the
kernel is larger than the padded input), :class:`PaddingExceedsInputError` (reflect or
circular padding wider than the input allows) and :class:`PoolPaddingError` (pooling padding
more than half the window); the last two are kinds of :class:`PaddingError`, and all are
``ValueError``. ``PADDING_MODES`` lists what the padding of :func:`conv2d` may contain.

Hostile input, as in torch: non-finite values follow IEEE arithmetic without NumPy warnings
(each docstring says what its op does with them); empty batch (and, for the pools, channel)
axes give empty results and zero gradients; what torch cannot do either (an empty image
plane, an empty kernel, no classes) raises a ``ValueError`` that says so.

Layout: :mod:`~cnnviz.ops.windows` (padding, sliding windows), :mod:`~cnnviz.ops.conv`,
:mod:`~cnnviz.ops.pool`, :mod:`~cnnviz.ops.activations` (each function beside its derivative,
and the registry ``ACTIVATIONS``), :mod:`~cnnviz.ops.loss` (softmax, cross-entropy),
:mod:`~cnnviz.ops.linear` and :mod:`~cnnviz.ops.backward` (conv and pooling gradients).
Import from ``cnnviz.ops``: the submodules are an implementation detail.
"""

from __future__ import annotations

from cnnviz.arithmetic import KernelDoesNotFitError as KernelDoesNotFitError
from cnnviz.arithmetic import output_size as conv_output_size
from cnnviz.arithmetic import transpose_output_size as conv_transpose_output_size
from cnnviz.ops._common import PADDING_MODES
from cnnviz.ops._common import PaddingError as PaddingError
from cnnviz.ops._common import PaddingExceedsInputError as PaddingExceedsInputError
from cnnviz.ops._common import PoolPaddingError as PoolPaddingError
from cnnviz.ops.activations import (
    ACTIVATIONS,
    Activation,
    gelu,
    leaky_relu,
    relu,
    relu_backward,
    sigmoid,
    tanh,
)
from cnnviz.ops.backward import avg_pool2d_backward, conv2d_backward, max_pool2d_backward
from cnnviz.ops.conv import conv2d, convolve2d
from cnnviz.ops.linear import flatten, linear, linear_backward
from cnnviz.ops.loss import cross_entropy, cross_entropy_backward, log_softmax, softmax
from cnnviz.ops.pool import (
    adaptive_avg_pool2d,
    avg_pool2d,
    global_avg_pool2d,
    max_pool2d,
    min_pool2d,
)
from cnnviz.ops.windows import pad2d, sliding_windows

# The error classes (KernelDoesNotFitError, PaddingError, PaddingExceedsInputError,
# PoolPaddingError) are exported but not listed here: tests/test_bad_input.py calls every
# callable of __all__ with bad arguments, and an exception class is no function of data.
__all__ = [
    "PADDING_MODES",
    "conv_output_size",
    "conv_transpose_output_size",
    "pad2d",
    "sliding_windows",
    "conv2d",
    "convolve2d",
    "max_pool2d",
    "avg_pool2d",
    "min_pool2d",
    "adaptive_avg_pool2d",
    "global_avg_pool2d",
    "ACTIVATIONS",
    "Activation",
    "relu",
    "leaky_relu",
    "sigmoid",
    "tanh",
    "gelu",
    "softmax",
    "log_softmax",
    "cross_entropy",
    "linear",
    "flatten",
    "conv2d_backward",
    "max_pool2d_backward",
    "avg_pool2d_backward",
    "relu_backward",
    "linear_backward",
    "cross_entropy_backward",
]
