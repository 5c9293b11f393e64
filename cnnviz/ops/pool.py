"""Pooling: max, min, average, adaptive and global average pooling."""

from __future__ import annotations

import numpy as np

from cnnviz.ops._common import (
    _IEEE,
    _check_array,
    _check_bool,
    _check_plane,
    _check_windows_reach_input,
    _output_shape,
    _pair,
    _pool_args,
)
from cnnviz.ops.windows import _pad, _windows

# Pooling
# ---------------------------------------------------------------------------------------------


def _pool_input(x):
    """``x`` of a pooling op: 2 to 4 dimensions and a non-empty ``H x W`` plane."""
    return _check_plane(_check_array(x, "x", (2, 3, 4)))


def _taps_in_padding(out, stride, padding, dilation):
    """How many taps of each window (along one axis) lie in the padding before the input."""
    start = np.arange(out) * stride - padding
    return -(np.minimum(start, 0) // dilation)  # ceil(-start / d) where start < 0


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
        col`` into the (unpadded) ``H x W`` input plane (see Notes for the rule).
    dilation : int or (int, int), default 1
        Spacing between window taps.

    Returns
    -------
    numpy.ndarray or (numpy.ndarray, numpy.ndarray)
        The pooled values, and the int64 indices when ``return_indices``. Empty batch or
        channel axes give empty outputs.

    Raises
    ------
    PoolPaddingError
        Padding more than half the kernel, or a dilated window that lies entirely in the
        padding (a ``ValueError`` with the facts as attributes).

    Notes
    -----
    The index of a window is the one torch's CPU kernel picks, and it always names a pixel of
    the input, never the padding: scanning the window's input pixels in row-major order, the
    first one larger than all before it, where NaN counts as larger than anything, so that
    **the last NaN** wins when the window holds NaN (the value is then NaN), and **the first
    pixel** of the window that lies in the input wins when all its pixels are ``-inf``.
    Equal maxima: the first one. ``+inf`` is an ordinary value.

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

    Windows of ``-inf`` name their first input pixel, never the padding:

    >>> max_pool2d(np.full((2, 2), -np.inf), 2, stride=1, padding=1, return_indices=True)[1]
    array([[0, 0, 1],
           [0, 0, 1],
           [2, 2, 3]])
    """
    x = _pool_input(x)
    kernel, stride, padding, dilation = _pool_args(kernel_size, stride, padding, dilation)
    return_indices = _check_bool(return_indices, "return_indices")
    ph, pw = padding
    padded = _pad(x, (pw, pw, ph, ph), value=-np.inf) if any(padding) else x
    out_hw = _output_shape(padded.shape[-2:], kernel, stride, dilation)
    _check_windows_reach_input(x.shape[-2:], kernel, stride, padding, dilation)
    windows = _windows(padded, kernel, stride, dilation, out_hw)
    taps = [windows[..., i, j] for i in range(kernel[0]) for j in range(kernel[1])]
    if not return_indices:
        values = np.empty_like(taps[0])
        values[...] = taps[0]
        for tap in taps[1:]:
            np.maximum(values, tap, out=values)  # NaN wins, as in torch
        return values
    # torch's scan, one tap at a time over all windows at once: the maximum starts at -inf on
    # the window's first input pixel, and a tap takes over where it is larger, or NaN.
    width = x.shape[-1]
    rows = np.arange(out_hw[0]) * stride[0] - ph
    cols = np.arange(out_hw[1]) * stride[1] - pw
    first_row = _taps_in_padding(out_hw[0], stride[0], ph, dilation[0])
    first_col = _taps_in_padding(out_hw[1], stride[1], pw, dilation[1])
    best = np.empty_like(taps[0], dtype=np.intp)  # the tap i * kw + j of the maximum so far
    best[...] = np.add.outer(first_row * kernel[1], first_col)
    values = np.empty_like(taps[0])  # in the memory order of x, as the taps read it
    values.fill(-np.inf)
    nan = bool(np.isnan(x).any())
    for t, tap in enumerate(taps):
        take = tap > values
        if nan:
            take |= np.isnan(tap)
        np.maximum(values, tap, out=values)  # the same values, NaN included
        best -= take * (best - t)  # best = t where take (arithmetic: faster than a select)
    i, j = np.divmod(np.arange(len(taps)), kernel[1])
    offsets = i * dilation[0] * width + j * dilation[1]  # of each tap from the window corner
    corner = np.add.outer(rows * width, cols)
    return values, (corner + offsets[best]).astype(np.int64, copy=False)


def min_pool2d(x, kernel_size, stride=None, padding=0):
    """Min pooling: the smallest value of each window, ``-max_pool2d(-x)``.

    Torch has no min pooling; this is the form it takes there. Padding counts as ``+inf``,
    and a window that holds NaN gives NaN.

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
    x, kernel_size, stride
        As for :func:`max_pool2d`.
    padding : int or (int, int), default 0
        Implicit zero padding on each side, at most half the kernel.
    count_include_pad : bool, default True
        Divide by the full window size ``kh * kw`` (the zeros of the padding count), or,
        when False, by the number of real input pixels in the window.

    Returns
    -------
    numpy.ndarray
        Empty batch or channel axes give empty outputs. Non-finite values follow IEEE
        arithmetic, as in torch: a window with an inf is +-inf, one with NaN or with both
        infinities is NaN.

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
    x = _pool_input(x)
    kernel, stride, padding, dilation = _pool_args(kernel_size, stride, padding)
    count_include_pad = _check_bool(count_include_pad, "count_include_pad")
    pad4 = (padding[1], padding[1], padding[0], padding[0])
    padded = _pad(x, pad4)
    out_hw = _output_shape(padded.shape[-2:], kernel, stride, dilation)
    with np.errstate(**_IEEE):
        sums = _windows(padded, kernel, stride, dilation, out_hw).sum(axis=(-2, -1))
        divisor = _pool_divisor(x.shape[-2:], kernel, stride, padding, count_include_pad, x.dtype)
        return sums / divisor


def _pool_divisor(hw, kernel, stride, padding, count_include_pad, dtype):
    """What avg_pool2d divides each window's sum by: ``kh * kw``, or its count of input pixels."""
    if count_include_pad or not any(padding):
        return kernel[0] * kernel[1]
    ones = _pad(np.ones(hw, dtype), (padding[1], padding[1], padding[0], padding[0]))
    out_hw = _output_shape(ones.shape, kernel, stride, (1, 1))
    return _windows(ones, kernel, stride, (1, 1), out_hw).sum(axis=(-2, -1))


def _adaptive_bins(size, out):
    """Start and end indices of torch's adaptive bins: floor(i*size/out), ceil((i+1)*size/out)."""
    i = np.arange(out)
    return (i * size) // out, -((-(i + 1) * size) // out)


def _bin_sums(x, size, out, axis):
    """Sums of ``x`` over the adaptive bins along ``axis``, in float64: one sum per bin.

    ``np.add.reduceat`` at the indices start_0, end_0, start_1, end_1, ... sums each bin at
    the even positions (the odd ones, between bins, are dropped), so that a bin's sum never
    sees a value outside it. An end equal to ``size`` needs one more slice after the data
    (it happens when ``out > size``).
    """
    start, end = _adaptive_bins(size, out)
    marks = np.empty(2 * out - 1, dtype=np.intp)
    marks[0::2], marks[1::2] = start, end[:-1]
    if out > 1 and end[-2] >= size:
        pad = [(0, 0)] * x.ndim
        pad[axis] = (0, 1)
        x = np.pad(x, pad)
    sums = np.add.reduceat(x, marks, axis=axis, dtype=np.float64)
    return sums[(slice(None),) * (axis % x.ndim) + (slice(None, None, 2),)], end - start


def adaptive_avg_pool2d(x, output_size):
    """Average pooling to a fixed output size, as ``torch.nn.functional.adaptive_avg_pool2d``.

    Output cell ``(i, j)`` averages rows ``floor(i*H/oh)`` to ``ceil((i+1)*H/oh)`` (exclusive)
    and likewise for columns, so bins may overlap by one pixel when ``oh`` does not divide
    ``H``. Each bin is summed on its own (``np.add.reduceat``, rows then columns, in float64),
    so that its mean depends only on the values in the bin.

    Parameters
    ----------
    x : array_like
        ``(H, W)``, ``(C, H, W)`` or ``(N, C, H, W)``.
    output_size : int, (int, int) or (int or None, int or None)
        ``(oh, ow)``; ``None`` keeps that input size.

    Returns
    -------
    numpy.ndarray
        Shape ``(..., oh, ow)``, the dtype of ``x`` (float32 input is summed in float64 and
        rounded once). Empty batch or channel axes give empty outputs. A bin with an inf is
        +-inf, one with NaN or with both infinities is NaN; the other bins are unaffected.

    Examples
    --------
    >>> x = np.arange(16.0).reshape(4, 4)
    >>> adaptive_avg_pool2d(x, 2)
    array([[ 2.5,  4.5],
           [10.5, 12.5]])
    >>> adaptive_avg_pool2d(x, (1, None))       # column means
    array([[6., 7., 8., 9.]])
    >>> adaptive_avg_pool2d(np.array([[1e20, 1.0], [1.0, 1.0]]), 2)   # no cancellation
    array([[1.e+20, 1.e+00],
           [1.e+00, 1.e+00]])
    """
    x = _pool_input(x)
    height, width = x.shape[-2:]
    if isinstance(output_size, (tuple, list)) and len(output_size) == 2:
        output_size = tuple(
            n if s is None else s for s, n in zip(output_size, (height, width), strict=True)
        )
    oh, ow = _pair(output_size, "output_size")
    with np.errstate(**_IEEE):
        rows, row_counts = _bin_sums(x, height, oh, axis=-2)
        box, col_counts = _bin_sums(rows, width, ow, axis=-1)
        return (box / np.multiply.outer(row_counts, col_counts)).astype(x.dtype, copy=False)


def global_avg_pool2d(x):
    """Mean over the whole ``H x W`` plane of each channel: ``(N, C, H, W) -> (N, C)``.

    Equal to ``adaptive_avg_pool2d(x, 1)`` without the two trailing unit axes; the last layers
    of most modern CNNs use it in the place of a flatten.

    Parameters
    ----------
    x : array_like
        ``(H, W)``, ``(C, H, W)`` or ``(N, C, H, W)``, with a non-empty ``H x W`` plane.

    Returns
    -------
    numpy.ndarray
        ``x`` without its last two axes, summed in float64 and rounded once to the dtype of
        ``x``. A plane with an inf gives +-inf, one with NaN or both infinities NaN.

    Examples
    --------
    >>> global_avg_pool2d(np.arange(8.0).reshape(1, 2, 2, 2))
    array([[1.5, 5.5]])
    """
    x = _pool_input(x)
    with np.errstate(**_IEEE):
        return x.mean(axis=(-2, -1), dtype=np.float64).astype(x.dtype, copy=False)


# ---------------------------------------------------------------------------------------------
