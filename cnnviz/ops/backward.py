"""Backward passes of the window operations: the gradient of a loss through conv2d and the pools.

Each ``*_backward`` takes ``grad_out``, the gradient of the loss with respect to the op's
output (same shape as the output), and what the forward pass saw, and returns the gradients
with respect to the inputs: the chain rule, one op at a time.
"""

from __future__ import annotations

import math

import numpy as np

from cnnviz.ops._common import (
    _check_array,
    _check_grad_out,
    _check_input_shape,
    _output_shape,
    _pool_args,
)
from cnnviz.ops.conv import _conv_args
from cnnviz.ops.windows import _pad, _windows


def _tap(i, j, stride, dilation, out_hw):
    """Slices of the padded input that kernel tap (i, j) touches, one per output pixel."""
    r, c = i * dilation[0], j * dilation[1]
    return (
        slice(r, r + stride[0] * (out_hw[0] - 1) + 1, stride[0]),
        slice(c, c + stride[1] * (out_hw[1] - 1) + 1, stride[1]),
    )


def conv2d_backward(grad_out, x, weight, stride=1, padding=0, dilation=1, groups=1):
    """Gradients of :func:`conv2d` with respect to its input, weight and bias.

    Two relations to remember (for stride 1; see Notes for larger strides):

    - the **weight gradient is a correlation of the input with the output gradient**: slide
      ``grad_out`` over the (padded) input like a kernel, ``grad_weight[o, c] =
      sum_n conv2d(x[n, c], grad_out[n, o])``;
    - the **input gradient is a full convolution of the output gradient with the flipped
      kernel**: pad ``grad_out`` by ``d(k-1)`` on every side, :func:`conv2d` it with the
      kernel rotated by 180 degrees (input and output channels swapped), and drop the rows and
      columns that fall on the padding of ``x``. A true convolution (:func:`convolve2d`) does
      the flip itself, so this is also ``convolve2d`` of ``grad_out`` with the kernel.

    The bias gradient is ``grad_out`` summed over the batch and all output pixels.

    Parameters
    ----------
    grad_out : array_like
        Gradient of the loss with respect to the output of ``conv2d(x, weight, ...)``, of the
        same shape: ``(N, O, oh, ow)``, ``(O, oh, ow)`` or ``(oh, ow)``.
    x, weight, stride, padding, dilation, groups
        The arguments of the forward :func:`conv2d` (zero padding; ``padding`` may be an int,
        a pair, ``'valid'`` or ``'same'``).

    Returns
    -------
    grad_x : numpy.ndarray
        Shape of ``x``.
    grad_weight : numpy.ndarray
        Shape of ``weight``.
    grad_bias : numpy.ndarray
        ``(O,)`` (shape ``()`` for a 2-D image and kernel).

    Notes
    -----
    With stride ``s > 1`` the forward op skips positions, so the output gradient is first
    *dilated* (``s - 1`` zeros between its values) and the two relations hold again; in the
    weight gradient the stride of the forward op becomes the dilation of the correlation and
    vice versa. The code does not build the zeros: it loops over the ``kh * kw`` kernel taps,
    and each tap is one matrix product over all images and output pixels, plus a strided
    slice of the input (weight gradient) or a strided addition into it (input gradient).

    Examples
    --------
    The loss ``L = sum(conv2d(x, w))`` has ``grad_out`` all ones; each weight then collects
    the sum of the input pixels it touched:

    >>> x = np.array([[0, 1, 2], [3, 4, 5], [6, 7, 8]])
    >>> w = np.array([[0, 1], [2, 3]])
    >>> grad_x, grad_w, grad_b = conv2d_backward(np.ones((2, 2)), x, w)
    >>> grad_w                           # 0+1+3+4, 1+2+4+5, ...: conv2d(x, ones((2, 2)))
    array([[ 8., 12.],
           [20., 24.]])
    >>> grad_x                           # full convolution of the ones with the kernel
    array([[0., 1., 1.],
           [2., 6., 4.],
           [2., 5., 3.]])
    >>> float(grad_b)                    # one per output pixel
    4.0
    """
    x, weight, _, stride, dilation, groups, pad4, out_hw, image, unbatched = _conv_args(
        x, weight, None, stride, padding, dilation, groups
    )
    n, channels, height, width = x.shape
    out_channels, group_channels, kh, kw = weight.shape
    full = (n, out_channels, *out_hw)
    shown = full[2:] if image else full[1:] if unbatched else full
    grad_out = _check_grad_out(grad_out, shown, f"conv2d for x {x.shape} and weight {weight.shape}")
    dtype = np.result_type(grad_out, x, weight)
    xp = _pad(x.astype(dtype, copy=False), pad4)
    # The output gradient as one matrix per group: (groups, O/groups, N * oh * ow).
    og = out_channels // groups
    g = np.ascontiguousarray(
        grad_out.astype(dtype, copy=False).reshape(n, groups, og, -1).transpose(1, 2, 0, 3)
    ).reshape(groups, og, -1)
    w = weight.astype(dtype, copy=False).reshape(groups, og, group_channels, kh, kw)
    grad_w = np.empty((groups, og, group_channels, kh, kw), dtype=dtype)
    # The input gradient is accumulated as (C, N, Hp, Wp): each tap adds a contiguous block.
    grad_xp = np.zeros((channels, n, *xp.shape[2:]), dtype=dtype)
    for i in range(kh):
        for j in range(kw):
            rows, cols = _tap(i, j, stride, dilation, out_hw)
            # Input pixels under tap (i, j), one per output pixel: (groups, C/groups, N*oh*ow).
            under = np.ascontiguousarray(xp[:, :, rows, cols].transpose(1, 0, 2, 3))
            under = under.reshape(groups, group_channels, -1)
            grad_w[..., i, j] = g @ under.transpose(0, 2, 1)  # correlation of x with grad_out
            back = w[..., i, j].transpose(0, 2, 1) @ g  # (groups, C/groups, N*oh*ow)
            grad_xp[:, :, rows, cols] += back.reshape(channels, n, *out_hw)
    left, right, top, bottom = pad4
    grad_x = grad_xp[:, :, top : top + height, left : left + width].transpose(1, 0, 2, 3)
    grad_x = np.ascontiguousarray(grad_x)
    grad_w = grad_w.reshape(weight.shape)
    grad_b = grad_out.astype(dtype, copy=False).reshape(full).sum(axis=(0, 2, 3))
    if image:
        return grad_x[0, 0], grad_w[0, 0], grad_b[0]
    return (grad_x[0] if unbatched else grad_x), grad_w, grad_b


def max_pool2d_backward(grad_out, indices, input_shape):
    """Gradient of :func:`max_pool2d` with respect to its input.

    Only the maximum of a window influenced the output, so each output gradient flows back
    to the one input pixel the forward pass picked (saved by ``return_indices=True``); every
    other pixel gets zero. Where windows overlap, a pixel that was the maximum of several
    windows adds up their gradients.

    Parameters
    ----------
    grad_out : array_like
        Gradient with respect to the pooled output, ``(..., oh, ow)``.
    indices : array_like of int
        The indices returned by ``max_pool2d(x, ..., return_indices=True)``: flat positions
        ``row * W + col`` in each ``H x W`` input plane; same shape as ``grad_out``.
    input_shape : tuple of int
        ``x.shape``: ``(H, W)``, ``(C, H, W)`` or ``(N, C, H, W)``.

    Returns
    -------
    numpy.ndarray
        Shape ``input_shape``.

    Examples
    --------
    >>> x = np.array([[1, 0, 2, 3],
    ...               [4, 6, 6, 8],
    ...               [3, 1, 1, 0],
    ...               [1, 2, 2, 4]])
    >>> from cnnviz.ops import max_pool2d
    >>> y, idx = max_pool2d(x, 2, return_indices=True)
    >>> max_pool2d_backward(np.array([[10, 20], [30, 40]]), idx, x.shape)
    array([[ 0.,  0.,  0.,  0.],
           [ 0., 10.,  0., 20.],
           [30.,  0.,  0.,  0.],
           [ 0.,  0.,  0., 40.]])
    """
    input_shape = _check_input_shape(input_shape)
    grad_out = _check_array(grad_out, "grad_out", (len(input_shape),))
    indices = np.asarray(indices)
    if indices.dtype.kind not in "iu":
        raise TypeError(f"indices must be integers, got dtype {indices.dtype}")
    if indices.shape != grad_out.shape:
        raise ValueError(
            f"indices {indices.shape} and grad_out {grad_out.shape} must have the same shape"
        )
    if grad_out.shape[:-2] != input_shape[:-2]:
        raise ValueError(
            f"grad_out {grad_out.shape} and input_shape {input_shape} must agree in all "
            f"but the last two axes"
        )
    plane = input_shape[-2] * input_shape[-1]
    if indices.size and (indices.min() < 0 or indices.max() >= plane):
        raise ValueError(
            f"indices must lie in [0, H*W) = [0, {plane}) for input_shape {input_shape}, "
            f"got values from {indices.min()} to {indices.max()}"
        )
    planes = math.prod(input_shape[:-2])
    offsets = np.arange(planes).reshape(-1, 1) * plane
    flat = (indices.reshape(planes, -1) + offsets).ravel()
    # bincount sums the gradients of windows that picked the same pixel (np.add.at, faster).
    grad_x = np.bincount(flat, weights=grad_out.ravel(), minlength=planes * plane)
    return grad_x.astype(grad_out.dtype, copy=False).reshape(input_shape)


def avg_pool2d_backward(
    grad_out, input_shape, kernel_size, stride=None, padding=0, count_include_pad=True
):
    """Gradient of :func:`avg_pool2d` with respect to its input.

    Every pixel of a window contributed ``1 / size`` of the window's mean, so each output
    gradient is spread evenly, divided by the same ``size``, over its window; overlapping
    windows add up. The gradient that falls on the padding is dropped.

    Parameters
    ----------
    grad_out : array_like
        Gradient with respect to the pooled output, ``(..., oh, ow)``.
    input_shape : tuple of int
        ``x.shape``: ``(H, W)``, ``(C, H, W)`` or ``(N, C, H, W)``.
    kernel_size, stride, padding, count_include_pad
        The arguments of the forward :func:`avg_pool2d`.

    Returns
    -------
    numpy.ndarray
        Shape ``input_shape``.

    Examples
    --------
    >>> avg_pool2d_backward(np.array([[4.0, 8.0]]), (2, 4), 2)     # 4/4 and 8/4 per pixel
    array([[1., 1., 2., 2.],
           [1., 1., 2., 2.]])
    """
    input_shape = _check_input_shape(input_shape)
    kernel, stride, padding, dilation = _pool_args(kernel_size, stride, padding)
    pad4 = (padding[1], padding[1], padding[0], padding[0])
    hw = input_shape[-2:]
    padded = (hw[0] + 2 * padding[0], hw[1] + 2 * padding[1])
    out_hw = _output_shape(padded, kernel, stride, dilation)
    grad_out = _check_grad_out(
        grad_out, (*input_shape[:-2], *out_hw), f"avg_pool2d for input_shape {input_shape}"
    )
    if count_include_pad or not any(padding):
        share = grad_out / (kernel[0] * kernel[1])
    else:
        ones = _pad(np.ones(hw, dtype=grad_out.dtype), pad4)
        share = grad_out / _windows(ones, kernel, stride, dilation, out_hw).sum(axis=(-2, -1))
    grad_xp = np.zeros((*input_shape[:-2], *padded), dtype=grad_out.dtype)
    for i in range(kernel[0]):
        for j in range(kernel[1]):
            grad_xp[(..., *_tap(i, j, stride, dilation, out_hw))] += share
    return grad_xp[..., padding[0] : padding[0] + hw[0], padding[1] : padding[1] + hw[1]].copy()
