"""Backward passes of the window operations: the gradient of a loss through conv2d and the pools.

Each ``*_backward`` takes ``grad_out``, the gradient of the loss with respect to the op's
output (same shape as the output), and what the forward pass saw, and returns the gradients
with respect to the inputs: the chain rule, one op at a time.
"""

from __future__ import annotations

import math

import numpy as np

from cnnviz.ops._common import (
    _IEEE,
    _check_array,
    _check_bool,
    _check_grad_out,
    _check_input_shape,
    _output_shape,
    _pool_args,
)
from cnnviz.ops.conv import (
    _blocks,
    _conv_args,
    _im2col,
    _phase_parts,
    _phases,
    _plan,
    _work,
)
from cnnviz.ops.pool import _pool_divisor


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

    An empty batch gives an empty ``grad_x`` and zero weight and bias gradients. Non-finite
    values follow IEEE arithmetic without a warning, as :func:`conv2d` does: an inf or NaN in
    ``grad_out`` or ``x`` spreads to every gradient whose sum holds it, and meets the zeros of
    the padding (in the weight gradient) as NaN.

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
    a = _conv_args(x, weight, None, stride, padding, dilation, groups)
    full = (a.x.shape[0], a.weight.shape[0], *a.out_hw)
    shown = full[2:] if a.image else full[1:] if a.unbatched else full
    grad_out = _check_grad_out(
        grad_out, shown, f"conv2d for x {a.x.shape} and weight {a.weight.shape}"
    )
    dtype = np.result_type(grad_out, a.x, a.weight)
    with np.errstate(**_IEEE):
        grad_x, grad_w = _conv2d_grads(
            grad_out.astype(dtype, copy=False).reshape(full),
            a.x.astype(dtype, copy=False),
            a.weight.astype(dtype, copy=False),
            a.pad4,
            a.stride,
            a.dilation,
            a.groups,
        )
        grad_b = grad_out.astype(dtype, copy=False).reshape(full).sum(axis=(0, 2, 3))
    if a.image:
        return grad_x[0, 0], grad_w[0, 0], grad_b[0]
    return (grad_x[0] if a.unbatched else grad_x), grad_w, grad_b


# Columns (output pixels) per product of the weight gradient: OpenBLAS is slow on products
# whose inner dimension is much longer than their small outer ones (C * kh * kw by O).
_GRAD_W_COLUMNS = 4096


def _conv2d_grads(grad_out, x, weight, pad4, stride, dilation, groups):
    """(gradient of x, gradient of the weight) of a zero-padded convolution; one dtype.

    The forward pass's window matrices, block by block (:func:`cnnviz.ops.conv._im2col`):
    the weight gradient is the output gradient times the window matrix (transposed), one
    product per block, and the window matrix's gradient, the weight (transposed) times the
    output gradient, is added back where each tap read its input ("col2im"), one strided
    addition per tap. The throw-away columns of the wide rows are zeroed in both matrices,
    so that they add nothing, not even the NaN of ``0 * inf``.
    """
    n, channels = x.shape[:2]
    out_channels, group_channels, kh, kw = weight.shape
    og, k = out_channels // groups, group_channels * kh * kw
    oh, ow = grad_out.shape[2:]
    phases = _phases(x, pad4, stride)
    plan = _plan(phases, (kh, kw), stride, dilation, groups, (oh, ow))
    pitch = phases.shape[-1]
    w = weight.reshape(groups, og, group_channels, kh * kw)[..., plan.order]
    w_t = np.ascontiguousarray(w.reshape(groups, og, k).transpose(0, 2, 1))  # (G, K, O/G)
    grad_w = np.zeros((groups, k, og), dtype=x.dtype)  # transposed: the faster product
    grad_phases = _work("grad_phases", phases.shape, x.dtype, zero=True)
    blocks, buffer = _blocks(plan, k * groups)
    back_buffer = _work("col2im", buffer.shape, x.dtype)
    g_buffer = _work("grad_out", (out_channels * (buffer.size // (k * groups)),), x.dtype)
    for images, part in blocks:
        matrix = _im2col(plan, images, part, buffer)  # (G, K, images * pixels)
        count, pixels = len(range(n)[images]), part.stop - part.start
        rows = -(-pixels // pitch)
        _zero_throwaway(matrix, pixels, pitch, ow)
        g = g_buffer[: out_channels * count * pixels].reshape(groups, og, count * pixels)
        lines = slice(part.start // pitch, part.start // pitch + rows)
        block = grad_out[images, :, lines].transpose(1, 0, 2, 3)  # (O, images, rows, ow)
        _narrow(g, count, rows, pitch, ow)[...] = block.reshape(groups, og, count, rows, ow)
        _zero_throwaway(g, pixels, pitch, ow)
        for first in range(0, matrix.shape[-1], _GRAD_W_COLUMNS):
            columns = slice(first, first + _GRAD_W_COLUMNS)
            grad_w += np.matmul(matrix[..., columns], g[..., columns].transpose(0, 2, 1))
        back = np.matmul(w_t, g, out=back_buffer[: matrix.size].reshape(matrix.shape))
        back = _narrow(back, count, rows, pitch, ow).reshape(channels, -1, count, rows, ow)
        t = 0
        for a, b, (tap_rows, tap_cols), (fi, fj), (ti, tj) in plan.taps:
            for qi in range(tap_rows):
                for qj in range(tap_cols):
                    r0, c0 = fi + qi * ti + part.start // pitch, fj + qj * tj
                    target = grad_phases[a, b, images, :, r0 : r0 + rows, c0 : c0 + ow]
                    target += back[:, t].transpose(1, 0, 2, 3)
                    t += 1
    grad_x = np.empty(x.shape, dtype=x.dtype)
    for region, source in _phase_parts(x.shape, pad4, stride):
        grad_x[source] = grad_phases[region]  # the padding's gradient is dropped
    grad = np.empty((groups, og, group_channels, kh * kw), dtype=x.dtype)
    grad[..., plan.order] = grad_w.transpose(0, 2, 1).reshape(groups, og, group_channels, -1)
    return grad_x, grad.reshape(weight.shape)


def _narrow(wide, count, rows, pitch, ow):
    """The first ``ow`` columns of each ``pitch`` of C-contiguous wide rows (..., count * pixels),
    as a (..., count, rows, ow) view."""
    pixels, step = wide.shape[-1] // count, wide.itemsize
    strides = (*wide.strides[:-1], pixels * step, pitch * step, step)
    return np.ndarray((*wide.shape[:-1], count, rows, ow), wide.dtype, wide, 0, strides)


def _zero_throwaway(wide, pixels, pitch, ow):
    """Zero the throw-away columns (``ow`` to ``pitch`` of each full row) of wide rows."""
    if pitch == ow:
        return
    full = pixels // pitch
    count = wide.shape[-1] // pixels
    view = _narrow(wide, count, full, pitch, pitch)
    view[..., ow:] = 0


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
        Shape ``input_shape`` (zeros for an empty batch or channel axis). Gradients that land
        on the same pixel add up, inf and NaN by IEEE rules, as in torch.

    Examples
    --------
    >>> from cnnviz.ops import max_pool2d
    >>> x = np.array([[1, 5, 2, 0],
    ...               [3, 4, 8, 1]])
    >>> y, idx = max_pool2d(x, 2, return_indices=True)
    >>> idx                              # 5 is x[0, 1] (index 1), 8 is x[1, 2] (index 6)
    array([[1, 6]])
    >>> max_pool2d_backward(np.array([[10, 20]]), idx, x.shape)
    array([[ 0., 10.,  0.,  0.],
           [ 0.,  0., 20.,  0.]])
    """
    input_shape = _check_input_shape(input_shape)
    grad_out = _check_array(grad_out, "grad_out", (len(input_shape),))
    indices = np.asarray(indices)
    if indices.dtype.kind not in "iu":
        raise TypeError(f"indices must be integers, got dtype {indices.dtype}")
    if indices.shape != grad_out.shape:
        raise ValueError(
            f"indices must have the shape of grad_out {grad_out.shape}, got {indices.shape}"
        )
    if grad_out.shape[:-2] != input_shape[:-2]:
        raise ValueError(
            f"grad_out must have the leading axes of input_shape {input_shape} (all but the "
            f"last two), got shape {grad_out.shape}"
        )
    plane = input_shape[-2] * input_shape[-1]
    if indices.size and (indices.min() < 0 or indices.max() >= plane):
        raise ValueError(
            f"indices must lie in [0, H*W) = [0, {plane}) for input_shape {input_shape}, "
            f"got values from {indices.min()} to {indices.max()}"
        )
    planes = math.prod(input_shape[:-2])
    offsets = np.arange(planes).reshape(-1, 1) * plane
    flat = (indices.reshape(planes, -1 if planes else 0) + offsets).ravel()
    # bincount sums the gradients of windows that picked the same pixel (np.add.at, faster).
    with np.errstate(**_IEEE):
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
        Shape ``input_shape`` (zeros for an empty batch or channel axis). Inf and NaN in
        ``grad_out`` spread over their windows by IEEE rules, as in torch.

    Examples
    --------
    >>> avg_pool2d_backward(np.array([[4.0, 8.0]]), (2, 4), 2)     # 4/4 and 8/4 per pixel
    array([[1., 1., 2., 2.],
           [1., 1., 2., 2.]])
    """
    input_shape = _check_input_shape(input_shape)
    kernel, stride, padding, dilation = _pool_args(kernel_size, stride, padding)
    count_include_pad = _check_bool(count_include_pad, "count_include_pad")
    hw = input_shape[-2:]
    padded = (hw[0] + 2 * padding[0], hw[1] + 2 * padding[1])
    out_hw = _output_shape(padded, kernel, stride, dilation)
    grad_out = _check_grad_out(
        grad_out, (*input_shape[:-2], *out_hw), f"avg_pool2d for input_shape {input_shape}"
    )
    grad_xp = np.zeros((*input_shape[:-2], *padded), dtype=grad_out.dtype)
    with np.errstate(**_IEEE):
        share = grad_out / _pool_divisor(
            hw, kernel, stride, padding, count_include_pad, grad_out.dtype
        )
        for i in range(kernel[0]):
            for j in range(kernel[1]):
                grad_xp[(..., *_tap(i, j, stride, dilation, out_hw))] += share
    return grad_xp[..., padding[0] : padding[0] + hw[0], padding[1] : padding[1] + hw[1]].copy()
