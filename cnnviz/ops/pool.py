"""Pooling: max, min, average, adaptive and global average pooling."""

from __future__ import annotations

import numpy as np

from cnnviz.ops._common import _check_array, _output_shape, _pair, _pool_args
from cnnviz.ops.windows import _pad, _windows

# Pooling
# ---------------------------------------------------------------------------------------------


def max_pool2d(x, kernel_size, stride=None, padding=0, return_indices=False, *, dilation=1):
    """Max pooling, as ``torch.nn.functional.max_pool2d``: the largest value of each window.

    Parameters
    ----------
    x : array_like
        ``(H, W)``, ``(C, H, W)`` or ``(N, C, H, W)``.
    kernel_size : int or (int, int)
    stride : int or (int, int), optional
        Defaults to ``kernel_size`` (non-overlapping windows).
    padding : int or (int, int), default 0
        Implicit ``-inf`` padding on each side, at most half the kernel.
    return_indices : bool, default False
        Also return where each maximum came from, as torch does: a flat index ``row * W +
        col`` into the (unpadded) ``H x W`` input plane, the first maximum in row-major order.
    dilation : int or (int, int), default 1
        Spacing between window taps.

    Returns
    -------
    numpy.ndarray or (numpy.ndarray, numpy.ndarray)
        The pooled values, and the int64 indices when ``return_indices``.

    Examples
    --------
    >>> x = np.array([[1, 0, 2, 3],
    ...               [4, 6, 6, 8],
    ...               [3, 1, 1, 0],
    ...               [1, 2, 2, 4]])
    >>> max_pool2d(x, 2)
    array([[6., 8.],
           [3., 4.]])
    >>> max_pool2d(x, 2, return_indices=True)[1]     # 6 is x[1, 1] = flat index 1*4 + 1
    array([[ 5,  7],
           [ 8, 15]])
    """
    x = _check_array(x, "x", (2, 3, 4))
    kernel, stride, padding, dilation = _pool_args(kernel_size, stride, padding, dilation)
    padded = _pad(x, (padding[1], padding[1], padding[0], padding[0]), value=-np.inf)
    out_hw = _output_shape(padded.shape[-2:], kernel, stride, dilation)
    windows = _windows(padded, kernel, stride, dilation, out_hw)
    if not return_indices:
        return windows.max(axis=(-2, -1))
    flat = windows.reshape(*windows.shape[:-2], kernel[0] * kernel[1])
    arg = flat.argmax(axis=-1)
    values = np.take_along_axis(flat, arg[..., None], axis=-1)[..., 0]
    ki, kj = np.divmod(arg, kernel[1])
    rows = np.arange(out_hw[0])[:, None] * stride[0] - padding[0] + ki * dilation[0]
    cols = np.arange(out_hw[1])[None, :] * stride[1] - padding[1] + kj * dilation[1]
    return values, (rows * x.shape[-1] + cols).astype(np.int64)


def min_pool2d(x, kernel_size, stride=None, padding=0):
    """Min pooling: the smallest value of each window, ``-max_pool2d(-x)``.

    Torch has no min pooling; this is the form it takes there. Padding counts as ``+inf``.

    Parameters
    ----------
    x, kernel_size, stride, padding
        As for :func:`max_pool2d`.

    Returns
    -------
    numpy.ndarray

    Examples
    --------
    >>> min_pool2d(np.array([[1, 0], [4, 6]]), 2)
    array([[0.]])
    """
    x = _check_array(x, "x", (2, 3, 4))
    return -max_pool2d(-x, kernel_size, stride, padding)


def avg_pool2d(x, kernel_size, stride=None, padding=0, count_include_pad=True):
    """Average pooling, as ``torch.nn.functional.avg_pool2d``: the mean of each window.

    Parameters
    ----------
    x : array_like
        ``(H, W)``, ``(C, H, W)`` or ``(N, C, H, W)``.
    kernel_size : int or (int, int)
    stride : int or (int, int), optional
        Defaults to ``kernel_size``.
    padding : int or (int, int), default 0
        Implicit zero padding on each side, at most half the kernel.
    count_include_pad : bool, default True
        Divide by the full window size ``kh * kw`` (the zeros of the padding count), or,
        when False, by the number of real input pixels in the window.

    Returns
    -------
    numpy.ndarray

    Examples
    --------
    >>> avg_pool2d(np.array([[1, 0], [4, 6]]), 2)        # (1 + 0 + 4 + 6) / 4
    array([[2.75]])
    >>> x = np.ones((2, 2))
    >>> avg_pool2d(x, 2, stride=1, padding=1)            # corners see 1 pixel of 4
    array([[0.25, 0.5 , 0.25],
           [0.5 , 1.  , 0.5 ],
           [0.25, 0.5 , 0.25]])
    >>> avg_pool2d(x, 2, stride=1, padding=1, count_include_pad=False)
    array([[1., 1., 1.],
           [1., 1., 1.],
           [1., 1., 1.]])
    """
    x = _check_array(x, "x", (2, 3, 4))
    kernel, stride, padding, dilation = _pool_args(kernel_size, stride, padding)
    pad4 = (padding[1], padding[1], padding[0], padding[0])
    padded = _pad(x, pad4)
    out_hw = _output_shape(padded.shape[-2:], kernel, stride, dilation)
    sums = _windows(padded, kernel, stride, dilation, out_hw).sum(axis=(-2, -1))
    if count_include_pad or not any(padding):
        return sums / (kernel[0] * kernel[1])
    ones = _pad(np.ones(x.shape[-2:], dtype=x.dtype), pad4)
    counts = _windows(ones, kernel, stride, dilation, out_hw).sum(axis=(-2, -1))
    return sums / counts


def _adaptive_bins(size, out):
    """Start and end indices of torch's adaptive bins: floor(i*size/out), ceil((i+1)*size/out)."""
    i = np.arange(out)
    return (i * size) // out, -((-(i + 1) * size) // out)


def adaptive_avg_pool2d(x, output_size):
    """Average pooling to a fixed output size, as ``torch.nn.functional.adaptive_avg_pool2d``.

    Output cell ``(i, j)`` averages rows ``floor(i*H/oh)`` to ``ceil((i+1)*H/oh)`` (exclusive)
    and likewise for columns, so bins may overlap by one pixel when ``oh`` does not divide
    ``H``. Box sums come from an integral image (cumulative sums), with no loop.

    Parameters
    ----------
    x : array_like
        ``(H, W)``, ``(C, H, W)`` or ``(N, C, H, W)``.
    output_size : int, (int, int) or (int or None, int or None)
        ``(oh, ow)``; ``None`` keeps that input size.

    Returns
    -------
    numpy.ndarray
        Shape ``(..., oh, ow)``.

    Examples
    --------
    >>> x = np.arange(16.0).reshape(4, 4)
    >>> adaptive_avg_pool2d(x, 2)
    array([[ 2.5,  4.5],
           [10.5, 12.5]])
    >>> adaptive_avg_pool2d(x, (1, None))       # column means
    array([[6., 7., 8., 9.]])
    """
    x = _check_array(x, "x", (2, 3, 4))
    height, width = x.shape[-2:]
    if isinstance(output_size, (tuple, list)) and len(output_size) == 2:
        output_size = tuple(
            n if s is None else s for s, n in zip(output_size, (height, width), strict=True)
        )
    oh, ow = _pair(output_size, "output_size")
    if min(height, width) < 1:
        raise ValueError(f"x must have a non-empty H x W plane, got shape {x.shape}")
    r0, r1 = _adaptive_bins(height, oh)
    c0, c1 = _adaptive_bins(width, ow)
    # Integral image in float64 (exact enough for float32 input too), with a zero row/column.
    integral = np.zeros((*x.shape[:-2], height + 1, width + 1))
    np.cumsum(np.cumsum(x, axis=-2, dtype=np.float64), axis=-1, out=integral[..., 1:, 1:])
    r0, r1, c0, c1 = r0[:, None], r1[:, None], c0[None, :], c1[None, :]
    box = (
        integral[..., r1, c1]
        - integral[..., r0, c1]
        - integral[..., r1, c0]
        + integral[..., r0, c0]
    )
    return (box / ((r1 - r0) * (c1 - c0))).astype(x.dtype, copy=False)


def global_avg_pool2d(x):
    """Mean over the whole ``H x W`` plane of each channel: ``(N, C, H, W) -> (N, C)``.

    Equal to ``adaptive_avg_pool2d(x, 1)`` without the two trailing unit axes; the last layers
    of most modern CNNs use it in the place of a flatten.

    Parameters
    ----------
    x : array_like
        ``(H, W)``, ``(C, H, W)`` or ``(N, C, H, W)``.

    Returns
    -------
    numpy.ndarray
        ``x`` without its last two axes.

    Examples
    --------
    >>> global_avg_pool2d(np.arange(8.0).reshape(1, 2, 2, 2))
    array([[1.5, 5.5]])
    """
    x = _check_array(x, "x", (2, 3, 4))
    return x.mean(axis=(-2, -1))


# ---------------------------------------------------------------------------------------------
