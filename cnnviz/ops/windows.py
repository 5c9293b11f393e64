"""Padding and sliding windows: the strided views every window operation reads."""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import as_strided

from cnnviz._checks import check_number
from cnnviz.ops._common import (
    _NUMPY_PAD_MODE,
    _PAD_MODES,
    PaddingExceedsInputError,
    _check_array,
    _check_choice,
    _output_shape,
    _pad4,
    _padding_limit,
    _pair,
)

# Padding and windows
# ---------------------------------------------------------------------------------------------


def pad2d(x, padding, mode="constant", value=0.0):
    """Pad the last two axes (height, width) of an image or a batch of images.

    Parameters
    ----------
    x : array_like
        ``(H, W)``, ``(C, H, W)`` or ``(N, C, H, W)``.
    padding : int or tuple
        ``p`` pads every side by ``p``; ``(ph, pw)`` pads top and bottom by ``ph``, left and
        right by ``pw``; ``(left, right, top, bottom)`` is the order of
        ``torch.nn.functional.pad``.
    mode : {'constant', 'reflect', 'replicate', 'circular'}
        ``'constant'`` fills with ``value``; ``'reflect'`` mirrors without repeating the edge
        (padding must be smaller than the side); ``'replicate'`` repeats the edge pixel;
        ``'circular'`` wraps around (padding at most the side).
    value : float, default 0.0
        Fill value of ``'constant'`` mode (any real number, inf and NaN included).

    Returns
    -------
    numpy.ndarray
        Shape ``(..., top + H + bottom, left + W + right)``. Values are copied, never
        computed: inf and NaN pixels are copied like any other.

    Raises
    ------
    PaddingExceedsInputError
        Reflect or circular padding wider than the input allows, or any mode but
        ``'constant'`` padding along an empty axis (a ``ValueError`` with the facts as
        attributes). Empty batch or channel axes are padded like any other.

    Examples
    --------
    >>> x = np.array([[1, 2, 3]])
    >>> pad2d(x, (0, 0, 0, 2), mode="constant")     # two zero rows below
    array([[1., 2., 3.],
           [0., 0., 0.],
           [0., 0., 0.]])
    >>> pad2d(x, (2, 0, 0, 0), mode="reflect")      # mirror, edge not repeated
    array([[3., 2., 1., 2., 3.]])
    >>> pad2d(x, (2, 0, 0, 0), mode="replicate")
    array([[1., 1., 1., 2., 3.]])
    >>> pad2d(x, (2, 0, 0, 0), mode="circular")
    array([[2., 3., 1., 2., 3.]])
    """
    x = _check_array(x, "x", (2, 3, 4))
    mode = _check_choice(mode, "mode", _PAD_MODES)
    value = check_number(value, "value", finite=False)
    return _pad(x, _pad4(padding), mode, value)


def _pad(x, pad4, mode="constant", value=0.0):
    """Pad the last two axes of ``x`` by ``pad4 = (left, right, top, bottom)``; no checks of x."""
    left, right, top, bottom = pad4
    height, width = x.shape[-2:]
    if mode != "constant" and any(pad4):
        limit = _padding_limit((height, width), mode)
        wanted = (max(top, bottom), max(left, right))
        if any(n is not None and p > n for p, n in zip(wanted, limit, strict=True)):
            raise PaddingExceedsInputError(pad4, (height, width), mode)
    if mode == "constant":  # faster than np.pad: one fill and one copy
        out = np.full((*x.shape[:-2], top + height + bottom, left + width + right), value, x.dtype)
        out[..., top : top + height, left : left + width] = x
        return out
    widths = [(0, 0)] * (x.ndim - 2) + [(top, bottom), (left, right)]
    return np.pad(x, widths, mode=_NUMPY_PAD_MODE[mode])


def sliding_windows(x, kernel_size, stride=1, dilation=1):
    """Every ``kernel_size`` window of the last two axes, as a read-only strided view.

    No data are copied: window ``(r, c)`` of an image is
    ``x[..., r*sh : r*sh + dh*(kh-1) + 1 : dh, c*sw : c*sw + dw*(kw-1) + 1 : dw]``.
    Pad ``x`` first (:func:`pad2d`) when the windows should hang over the border.

    Parameters
    ----------
    x : array_like
        ``(..., H, W)``, at least 2-D.
    kernel_size : int or (int, int)
        Window size ``(kh, kw)``.
    stride, dilation : int or (int, int), default 1
        Step between windows and between the taps of a window.

    Returns
    -------
    numpy.ndarray
        View of shape ``(..., oh, ow, kh, kw)``, with ``oh, ow`` given by
        :func:`conv_output_size` with ``p=0``. A view computes nothing: inf and NaN are seen
        as they are, and empty leading axes give an empty view.

    Examples
    --------
    >>> x = np.arange(16).reshape(4, 4)
    >>> w = sliding_windows(x, 3)
    >>> w.shape
    (2, 2, 3, 3)
    >>> w[0, 1]                      # the window whose top-left corner is x[0, 1]
    array([[ 1.,  2.,  3.],
           [ 5.,  6.,  7.],
           [ 9., 10., 11.]])
    >>> sliding_windows(x, 2, stride=2).max(axis=(-2, -1))      # 2x2 max pooling
    array([[ 5.,  7.],
           [13., 15.]])
    """
    x = _check_array(x, "x")
    if x.ndim < 2:
        raise ValueError(f"x must have at least 2 dimensions (..., H, W), got shape {x.shape}")
    kernel = _pair(kernel_size, "kernel_size")
    stride = _pair(stride, "stride")
    dilation = _pair(dilation, "dilation")
    out_hw = _output_shape(x.shape[-2:], kernel, stride, dilation, what="input")
    return _windows(x, kernel, stride, dilation, out_hw)


def _windows(x, kernel, stride, dilation, out_hw):
    """The (..., oh, ow, kh, kw) window view of ``x``; arguments already checked."""
    *lead, s_h, s_w = x.strides
    strides = (*lead, s_h * stride[0], s_w * stride[1], s_h * dilation[0], s_w * dilation[1])
    shape = (*x.shape[:-2], *out_hw, *kernel)
    return as_strided(x, shape, strides, writeable=False)


# ---------------------------------------------------------------------------------------------
