"""Convolution: ``conv2d`` (cross-correlation, as torch) and ``convolve2d`` (flipped kernel)."""

from __future__ import annotations

import math

import numpy as np
from numpy.lib.stride_tricks import as_strided

from cnnviz.ops._common import (
    _CONV_PAD_MODES,
    _check_array,
    _check_choice,
    _check_int,
    _output_shape,
    _pair,
)
from cnnviz.ops.windows import _pad

# Convolution
# ---------------------------------------------------------------------------------------------


def _conv_padding(padding, kernel, dilation, stride, flipped=False):
    """``padding`` of conv2d (int, pair, 'valid' or 'same') as (left, right, top, bottom)."""
    if isinstance(padding, str):
        _check_choice(padding, "padding", ("valid", "same"))
        if padding == "valid":
            return (0, 0, 0, 0)
        if stride != (1, 1):
            raise ValueError(f"padding='same' needs stride 1, got stride {stride}")
        # Total padding d(k-1) per axis. An odd total puts the extra pixel on the bottom/right,
        # as torch does; a flipped kernel (true convolution) puts it on the top/left, so that
        # 'same' is the centre of the 'full' output in both cases, as in scipy.signal.
        total_h, total_w = (d * (k - 1) for k, d in zip(kernel, dilation, strict=True))
        top, left = (
            (-(-total_h // 2), -(-total_w // 2)) if flipped else (total_h // 2, total_w // 2)
        )
        return (left, total_w - left, top, total_h - top)
    try:
        ph, pw = _pair(padding, "padding", minimum=0)
    except TypeError:
        raise TypeError(
            f"padding must be an int, a pair of ints, 'valid' or 'same', got {padding!r}"
        ) from None
    return (pw, pw, ph, ph)


def conv2d(x, weight, bias=None, stride=1, padding=0, dilation=1, groups=1, padding_mode="zeros"):
    """2-D cross-correlation, as in ``torch.nn.functional.conv2d`` (deep learning's "conv").

    Each output value is the sum of a kernel times the window of the input under it; the
    kernel is *not* flipped (see :func:`convolve2d` for the flipped, textbook convolution).

    Parameters
    ----------
    x : array_like
        ``(N, C, H, W)``, unbatched ``(C, H, W)``, or a single image ``(H, W)``.
    weight : array_like
        ``(O, C // groups, kh, kw)``; a 2-D ``(kh, kw)`` kernel when ``x`` is ``(H, W)``.
    bias : array_like, optional
        ``(O,)``, added to each output channel (a scalar for a 2-D image).
    stride : int or (int, int), default 1
        Step of the window along height and width.
    padding : int, (int, int), 'valid' or 'same', default 0
        Padding on each side; ``'valid'`` is 0, ``'same'`` keeps ``H, W`` (stride 1 only; an
        odd total goes to the bottom and right, as in torch).
    dilation : int or (int, int), default 1
        Spacing between kernel taps.
    groups : int, default 1
        Split the channels into ``groups`` independent convolutions; ``groups == C`` is a
        depthwise convolution.
    padding_mode : {'zeros', 'reflect', 'replicate', 'circular'}, default 'zeros'
        What the padding contains (as in ``torch.nn.Conv2d``).

    Returns
    -------
    numpy.ndarray
        ``(N, O, oh, ow)`` (or ``(O, oh, ow)``, or ``(oh, ow)`` for a 2-D image), with
        ``oh, ow`` from :func:`conv_output_size`. Like a transpose, it may be a view with
        strides other than C order (see Notes); ``np.ascontiguousarray`` makes it C order.

    Notes
    -----
    The im2col method: the windows are a strided view of the padded input, copied a few
    images at a time into a matrix with one row per (input channel, kernel tap) and one column
    per output pixel, ``(C/groups * kh * kw, images * oh * ow)``, small enough to stay in the
    cache, and multiplied by the ``(O/groups, C/groups * kh * kw)`` weight matrix (BLAS). The
    result therefore lies in memory as ``(O, N, oh, ow)``; with stride 1 each output row also
    carries a few throw-away columns, which keeps the copies contiguous.

    Examples
    --------
    The worked example of d2l.ai: 0x0 + 1x1 + 3x2 + 4x3 = 19.

    >>> x = np.array([[0, 1, 2], [3, 4, 5], [6, 7, 8]])
    >>> conv2d(x, np.array([[0, 1], [2, 3]]))
    array([[19., 25.],
           [37., 43.]])

    A batch of RGB images and eight 3x3 filters; stride 2 with padding 1 halves the size:

    >>> images = np.ones((2, 3, 32, 32), dtype=np.float32)
    >>> weight = np.ones((8, 3, 3, 3), dtype=np.float32)
    >>> y = conv2d(images, weight, stride=2, padding=1)
    >>> y.shape, y.dtype
    ((2, 8, 16, 16), dtype('float32'))
    >>> float(y[0, 0, 5, 5]), float(y[0, 0, 0, 0])     # 3 channels x 9 taps; corner sees 4 taps
    (27.0, 12.0)
    """
    return _checked_conv2d(x, weight, bias, stride, padding, dilation, groups, padding_mode)


def convolve2d(
    x, kernel, bias=None, stride=1, padding=0, dilation=1, groups=1, padding_mode="zeros"
):
    """True 2-D convolution: :func:`conv2d` with the kernel flipped in both axes.

    Signal processing (and ``scipy.signal.convolve2d``) flips the kernel; deep learning's
    "convolution" does not. The two agree for symmetric kernels such as a box or a Gaussian,
    and differ in sign for an antisymmetric one such as Sobel.

    Parameters
    ----------
    x, kernel, bias, stride, padding, dilation, groups, padding_mode
        As for :func:`conv2d`, with ``kernel`` in the place of ``weight``. With an even
        kernel, ``padding='same'`` puts the extra pixel on the top and left, so that the
        result equals ``scipy.signal.convolve2d(x, kernel, mode='same')``.

    Returns
    -------
    numpy.ndarray

    Examples
    --------
    >>> x = np.array([[0, 1, 2], [3, 4, 5], [6, 7, 8]])
    >>> k = np.array([[0, 1], [2, 3]])
    >>> convolve2d(x, k)                 # = conv2d(x, [[3, 2], [1, 0]])
    array([[ 5., 11.],
           [23., 29.]])
    >>> ramp = np.tile(np.arange(5.0), (2, 1))      # brightness grows to the right
    >>> conv2d(ramp, [[-1, 0, 1]])
    array([[2., 2., 2.],
           [2., 2., 2.]])
    >>> convolve2d(ramp, [[-1, 0, 1]])              # the flip turns the sign
    array([[-2., -2., -2.],
           [-2., -2., -2.]])
    """
    return _checked_conv2d(
        x,
        kernel,
        bias,
        stride,
        padding,
        dilation,
        groups,
        padding_mode,
        flip=True,
        weight_name="kernel",
    )


def _conv_args(
    x,
    weight,
    bias,
    stride,
    padding,
    dilation,
    groups,
    padding_mode="zeros",
    flip=False,
    weight_name="weight",
):
    """Checked arguments of a convolution, shared by conv2d, convolve2d and conv2d_backward.

    Returns ``(x, weight, bias, stride, dilation, groups, pad4, out_hw, image, unbatched)``
    with ``x`` as ``(N, C, H, W)``, ``weight`` as ``(O, C/groups, kh, kw)`` (not yet flipped),
    ``bias`` as ``(O,)`` or None, and ``image``/``unbatched`` saying which layout the caller used.
    """
    x = _check_array(x, "x", (2, 3, 4))
    weight = _check_array(weight, weight_name)
    image = x.ndim == 2
    unbatched = x.ndim == 3
    if image:
        if weight.ndim != 2:
            raise ValueError(
                f"x is a 2-D image {x.shape}, so {weight_name} must be a 2-D kernel (kh, kw), "
                f"got shape {weight.shape}"
            )
        x, weight = x[None, None], weight[None, None]
    elif weight.ndim != 4:
        raise ValueError(
            f"{weight_name} must have 4 dimensions (out_channels, in_channels / groups, kh, kw) "
            f"for x of shape {x.shape}, got shape {weight.shape}"
        )
    elif unbatched:
        x = x[None]
    groups = _check_int(groups, "groups", 1)
    channels, out_channels = x.shape[1], weight.shape[0]
    if channels % groups or out_channels % groups:
        raise ValueError(
            f"groups={groups} must divide both the input channels of x {x.shape} ({channels}) "
            f"and the output channels of {weight_name} {weight.shape} ({out_channels})"
        )
    if weight.shape[1] * groups != channels:
        raise ValueError(
            f"x {x.shape} has {channels} channels but {weight_name} {weight.shape} with "
            f"groups={groups} expects {weight.shape[1]} x {groups} = {weight.shape[1] * groups}"
        )
    if min(weight.shape) < 1:
        raise ValueError(f"{weight_name} must not be empty, got shape {weight.shape}")
    if bias is not None:
        bias = _check_array(bias, "bias")
        expected = ((), (1,)) if image else ((out_channels,),)
        if bias.shape not in expected:
            raise ValueError(
                f"bias must have shape {expected[-1]} to match {weight_name} {weight.shape}, "
                f"got {bias.shape}"
            )
        bias = bias.reshape(-1)
    stride = _pair(stride, "stride")
    dilation = _pair(dilation, "dilation")
    kernel = weight.shape[2:]
    pad4 = _conv_padding(padding, kernel, dilation, stride, flipped=flip)
    padding_mode = _check_choice(padding_mode, "padding_mode", tuple(_CONV_PAD_MODES))
    padded = (x.shape[2] + pad4[2] + pad4[3], x.shape[3] + pad4[0] + pad4[1])
    out_hw = _output_shape(padded, kernel, stride, dilation)
    return x, weight, bias, stride, dilation, groups, pad4, out_hw, image, unbatched


def _checked_conv2d(
    x,
    weight,
    bias,
    stride,
    padding,
    dilation,
    groups,
    padding_mode,
    flip=False,
    weight_name="weight",
):
    """Check the arguments of conv2d/convolve2d once, then convolve."""
    args = _conv_args(
        x, weight, bias, stride, padding, dilation, groups, padding_mode, flip, weight_name
    )
    x, weight, bias, stride, dilation, groups, pad4, out_hw, image, unbatched = args
    channels = x.shape[1]
    if flip:
        weight = weight[..., ::-1, ::-1]

    dtype = np.result_type(x, weight) if bias is None else np.result_type(x, weight, bias)
    x = x.astype(dtype, copy=False)
    if any(pad4):
        x = _pad(x, pad4, _CONV_PAD_MODES[padding_mode])
    weight = np.ascontiguousarray(weight, dtype=dtype)
    if groups == channels and groups > 1:
        out = _conv2d_depthwise(x, weight, stride, dilation, out_hw)
    else:
        out = _conv2d_im2col(x, weight, stride, dilation, groups, out_hw)
    if bias is not None:
        out += bias.astype(dtype, copy=False).reshape(-1, 1, 1)
    if image:
        return out[0, 0]
    return out[0] if unbatched else out


# Bytes of im2col matrix built per matrix product: small enough to stay in the L3 cache while
# BLAS reads it, large enough that each product is big and the loop over blocks costs little.
_IM2COL_BYTES = 4 * 2**20


def _conv2d_im2col(xp, weight, stride, dilation, groups, out_hw):
    """Convolve a padded (N, C, Hp, Wp) array: im2col by blocks, one matmul per block and group.

    The window matrix of a block has one row per (channel, tap) and one column per output
    pixel of the block's images, so that a few large products (cheap to spread over threads)
    replace one small product per image. The result is laid out (O, N, oh, ow) in memory and
    returned as an (N, O, oh, ow) view.

    With stride 1, output row r and input row r + i*dh are offset by the same amount in
    memory, so "wide" rows of the window matrix, single contiguous runs of the padded input,
    cover all output pixels plus Wp - ow throw-away columns per output row: copying them is a
    few long memcpys instead of many short strided ones.
    """
    n, channels, hp, wp = xp.shape
    out_channels, group_channels, kh, kw = weight.shape
    oh, ow = out_hw
    k = group_channels * kh * kw
    w = weight.reshape(groups, out_channels // groups, k)
    if (kh, kw) == (1, 1) and stride == (1, 1) and xp.flags.c_contiguous:
        # 1x1 convolution: each image already is its window matrix.
        out = np.matmul(w, xp.reshape(n, groups, group_channels, hp * wp))
        return out.reshape(n, out_channels, oh, ow)
    if stride == (1, 1) and xp.strides[2] != wp * xp.strides[3]:
        xp = np.ascontiguousarray(xp)  # the wide rows need image rows that follow each other
    s_n, s_c, s_h, s_w = xp.strides
    # cols[g, c, i, j, n, <pixel>] = xp[n, g*Cg + c, i*dh + row, j*dw + column]: a view.
    taps = (groups, group_channels, kh, kw, n)
    tap_strides = (s_c * group_channels, s_c, s_h * dilation[0], s_w * dilation[1], s_n)
    if stride == (1, 1):
        pitch, pixels, pixel_strides = wp, ((oh - 1) * wp + ow,), (s_w,)
    else:
        pitch, pixels, pixel_strides = ow, (oh, ow), (s_h * stride[0], s_w * stride[1])
    cols = as_strided(xp, (*taps, *pixels), (*tap_strides, *pixel_strides), writeable=False)
    length = math.prod(pixels)  # of the window matrix of one image
    out = np.empty((groups, out_channels // groups, n, length), dtype=xp.dtype)

    images, rows = _block_size(n, oh, groups * k * pitch * xp.itemsize)
    buffer = np.empty(groups * k * images * min(rows * pitch, length), dtype=xp.dtype)
    for n0 in range(0, n, images):
        n1 = min(n0 + images, n)
        for r0 in range(0, oh, rows):
            if rows == oh:  # whole images
                view, target = cols[:, :, :, :, n0:n1], out[:, :, n0:n1]
            else:  # part of one image (then images == 1)
                r1 = min(r0 + rows, oh)
                part = slice(r0 * pitch, min(r1 * pitch, length))
                view = (
                    cols[:, :, :, :, n0, r0:r1] if len(pixels) == 2 else cols[:, :, :, :, n0, part]
                )
                target = out[:, :, n0, part]
            matrix = buffer[: view.size].reshape(view.shape)
            np.copyto(matrix, view)  # im2col of this block
            np.matmul(
                w,
                matrix.reshape(groups, k, -1),
                out=target.reshape(groups, out_channels // groups, -1),
            )
    size = out.itemsize
    return as_strided(
        out, (n, out_channels, oh, ow), (length * size, n * length * size, pitch * size, size)
    )


def _block_size(n, rows, bytes_per_row):
    """(images, rows) per im2col block, so that a block holds about _IM2COL_BYTES."""
    per_image = bytes_per_row * rows
    if per_image <= _IM2COL_BYTES:
        return max(1, min(n, _IM2COL_BYTES // per_image)), rows
    return 1, max(1, _IM2COL_BYTES // bytes_per_row)


def _conv2d_depthwise(xp, weight, stride, dilation, out_hw):
    """Depthwise convolution (one input channel per group): a loop over the kh*kw taps.

    A matmul per channel would be a long Python loop of tiny products; instead each tap adds
    a strided slice of the whole input batch times that tap's per-channel weights.
    """
    n, channels = xp.shape[:2]
    out_channels, _, kh, kw = weight.shape
    multiplier = out_channels // channels
    oh, ow = out_hw
    out = np.zeros((n, channels, multiplier, oh, ow), dtype=xp.dtype)
    term = np.empty_like(out)
    taps = weight.reshape(channels, multiplier, kh, kw)
    for i in range(kh):
        for j in range(kw):
            r, c = i * dilation[0], j * dilation[1]
            window = xp[
                :,
                :,
                r : r + stride[0] * (oh - 1) + 1 : stride[0],
                c : c + stride[1] * (ow - 1) + 1 : stride[1],
            ]
            np.multiply(window[:, :, None], taps[:, :, i, j, None, None], out=term)
            out += term
    return out.reshape(n, out_channels, oh, ow)


# ---------------------------------------------------------------------------------------------
