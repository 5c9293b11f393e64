"""Convolution: ``conv2d`` (cross-correlation, as torch) and ``convolve2d`` (flipped kernel)."""

from __future__ import annotations

import math
import threading
from typing import NamedTuple

import numpy as np

from cnnviz.ops._common import (
    _CONV_PAD_MODES,
    _IEEE,
    PADDING_MODES,
    _check_array,
    _check_choice,
    _check_int,
    _check_plane,
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
            raise ValueError(f"stride must be 1 for padding='same', got {stride}")
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
        An empty batch (``N = 0``) gives an empty output.

    Raises
    ------
    ValueError
        Among others, :class:`cnnviz.arithmetic.KernelDoesNotFitError` (the kernel is larger
        than the padded input), :class:`PaddingExceedsInputError` (reflect or circular padding
        wider than the input allows), and for an empty weight, no channels or an empty
        ``H x W`` plane (where torch fails or answers with no output channels).

    Notes
    -----
    Non-finite values follow IEEE arithmetic, as in torch, without a warning: an inf pixel
    gives +-inf in every output whose window holds it, NaN when it meets a zero weight or
    an inf of the other sign; a NaN spreads to every output whose window holds it. The zeros
    of the padding are zeros like any other, so an inf weight over the padding gives NaN, as
    on torch's reference path (float64, or float32 for one image; oneDNN's float32 kernel
    skips the padding of batches of two or more images).

    The im2col method: the windows are strided views of the padded input, copied a few
    images at a time into a matrix with one row per (input channel, kernel tap) and one column
    per output pixel, ``(C/groups * kh * kw, images * oh * ow)``, small enough to stay in the
    cache, and multiplied by the ``(O/groups, C/groups * kh * kw)`` weight matrix (BLAS), one
    image at a time. Each output row carries a few throw-away columns, which keeps the copies
    contiguous; with a stride, the input is first split into its stride phases (every
    ``s``-th row and column), so that the taps still read contiguous runs. The result is a
    view whose rows lie a little further apart than ``ow``.

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
    return _convolve(_conv_args(x, weight, bias, stride, padding, dilation, groups, padding_mode))


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
        As for :func:`conv2d`, empty batches, errors and non-finite values included.

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
    args = (x, kernel, bias, stride, padding, dilation, groups, padding_mode)
    return _convolve(_conv_args(*args, flip=True, weight_name="kernel"), flip=True)


class _ConvArgs(NamedTuple):
    """The checked arguments of a convolution (:func:`_conv_args`), by name."""

    x: np.ndarray  # (N, C, H, W), whatever layout the caller used
    weight: np.ndarray  # (O, C / groups, kh, kw), not flipped
    bias: np.ndarray | None  # (O,)
    stride: tuple[int, int]
    dilation: tuple[int, int]
    groups: int
    pad4: tuple[int, int, int, int]  # (left, right, top, bottom)
    padding_mode: str  # one of PADDING_MODES
    out_hw: tuple[int, int]
    image: bool  # the caller passed an (H, W) image and a (kh, kw) kernel
    unbatched: bool  # the caller passed a (C, H, W) x


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

    Returns a :class:`_ConvArgs`, with ``x`` as ``(N, C, H, W)``, ``weight`` as
    ``(O, C/groups, kh, kw)`` (not yet flipped) and ``bias`` as ``(O,)`` or None.
    """
    x = _check_array(x, "x", (2, 3, 4))
    weight = _check_array(weight, weight_name)
    image = x.ndim == 2
    unbatched = x.ndim == 3
    if image:
        if weight.ndim != 2:
            raise ValueError(
                f"{weight_name} must be a 2-D kernel (kh, kw) for the 2-D image x {x.shape}, "
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
            f"groups must divide both the input channels of x {x.shape} ({channels}) and the "
            f"output channels of {weight_name} {weight.shape} ({out_channels}), got {groups}"
        )
    if weight.shape[1] * groups != channels:
        raise ValueError(
            f"x must have {weight.shape[1]} x {groups} = {weight.shape[1] * groups} channels "
            f"to match {weight_name} {weight.shape} with groups={groups}, got {channels} "
            f"channels in shape {x.shape}"
        )
    if min(weight.shape) < 1:
        raise ValueError(f"{weight_name} must not be empty, got shape {weight.shape}")
    # No channels means an empty weight (refused above); torch would answer 0 output channels.
    _check_plane(x)
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
    padding_mode = _check_choice(padding_mode, "padding_mode", PADDING_MODES)
    padded = (x.shape[2] + pad4[2] + pad4[3], x.shape[3] + pad4[0] + pad4[1])
    out_hw = _output_shape(padded, kernel, stride, dilation)
    return _ConvArgs(
        x, weight, bias, stride, dilation, groups, pad4, padding_mode, out_hw, image, unbatched
    )


def _convolve(a, flip=False):
    """Convolve with checked arguments (:class:`_ConvArgs`); ``flip`` the kernel first."""
    weight = a.weight[..., ::-1, ::-1] if flip else a.weight
    arrays = (a.x, weight) if a.bias is None else (a.x, weight, a.bias)
    dtype = np.result_type(*arrays)
    x, pad4 = a.x.astype(dtype, copy=False), a.pad4
    if a.padding_mode != "zeros" and any(pad4):
        x, pad4 = _pad(x, pad4, _CONV_PAD_MODES[a.padding_mode]), (0, 0, 0, 0)
    weight = np.ascontiguousarray(weight, dtype=dtype)
    with np.errstate(**_IEEE):
        if a.groups == x.shape[1] and a.groups > 1:
            xp = _pad(x, pad4) if any(pad4) else x
            out = _conv2d_depthwise(xp, weight, a.stride, a.dilation, a.out_hw)
        else:
            phases = _phases(x, pad4, a.stride)
            out = _conv2d_im2col(phases, weight, a.stride, a.dilation, a.groups, a.out_hw)
        if a.bias is not None:
            out += a.bias.astype(dtype, copy=False).reshape(-1, 1, 1)
    if a.image:
        return out[0, 0]
    return out[0] if a.unbatched else out


# Bytes of window matrix built per matrix product: small enough to stay in the cache while
# BLAS reads it, large enough that each product is big and the loop over blocks costs little.
_IM2COL_BYTES = 4 * 2**20


# Work arrays kept from one call to the next, per thread. A fresh array of a few MB costs its
# page faults again at every call (NumPy asks the kernel for huge pages, zeroed on first
# touch): on chapter 9's small convolutions that was more than the arithmetic.
_WORK = threading.local()
_WORK_BYTES = 16 * 2**20  # larger work arrays are not kept


def _work(slot, shape, dtype, zero=False):
    """A work array of ``shape`` for ``slot`` (one per use), reused by the next call."""
    dtype, size = np.dtype(dtype), math.prod(shape)
    kept = _WORK.__dict__.get((slot, dtype))
    if kept is None or kept.size < size:
        kept = np.empty(size, dtype)
        if size * dtype.itemsize <= _WORK_BYTES:
            _WORK.__dict__[(slot, dtype)] = kept
    array = kept[:size].reshape(shape)
    if zero:
        array.fill(0)
    return array


class _Plan(NamedTuple):
    """How a convolution reads its window matrices (:func:`_plan`)."""

    phases: np.ndarray  # (sh, sw, N, C, Hq, Wq): the stride phases of the padded input
    length: int  # the wide row of one image: (oh - 1) * Wq + ow pixels
    taps: list  # per phase: (a, b, (rows, columns) of taps, first offset, offset steps)
    order: np.ndarray  # flat tap indices i * kw + j in the order of the window matrix rows
    views: list  # per phase: its taps' wide rows, (groups, C/groups, rows, columns, N, length)


def _phases(x, pad4, stride):
    """``x`` (N, C, H, W) zero-padded by ``pad4`` and split into its ``sh x sw`` stride phases.

    Phase ``(a, b)`` of the result, shape ``(sh, sw, N, C, Hq, Wq)``, holds the pixels
    ``xp[..., a::sh, b::sw]`` of the padded input ``xp`` (zeros beyond its end). The padding
    and the split are one copy; with stride 1 the one phase is ``xp`` itself.
    """
    left, right, top, bottom = pad4
    n, channels, height, width = x.shape
    sh, sw = stride
    hq, wq = -(-(top + height + bottom) // sh), -(-(left + width + right) // sw)
    phases = _work("phases", (sh, sw, n, channels, hq, wq), x.dtype, zero=True)
    for region, part in _phase_parts(x.shape, pad4, stride):
        phases[region] = x[part]
    return phases


def _phase_parts(shape, pad4, stride):
    """Pairs (index into the phases, index into x) that :func:`_phases` copies, one per phase."""
    left, _, top, _ = pad4
    height, width = shape[2:]
    parts = []
    for a in range(stride[0]):
        for b in range(stride[1]):
            r0, c0 = (a - top) % stride[0], (b - left) % stride[1]  # first row, column of x
            rows, cols = len(range(r0, height, stride[0])), len(range(c0, width, stride[1]))
            i0, j0 = (r0 + top) // stride[0], (c0 + left) // stride[1]
            region = (a, b, slice(None), slice(None), slice(i0, i0 + rows), slice(j0, j0 + cols))
            parts.append((region, (..., slice(r0, None, stride[0]), slice(c0, None, stride[1]))))
    return parts


def _plan(phases, kernel, stride, dilation, groups, out_hw):
    """Which taps read which stride phase (:func:`_phases`), as the window matrices copy them.

    Output pixel ``(r, c)`` reads tap ``(i, j)`` in phase ``((i dh) % sh, (j dw) % sw)`` at
    row ``r + (i dh) // sh`` and column ``c + (j dw) // sw``: with unit steps, so that one run
    of ``(oh - 1) Wq + ow`` pixels of a phase (a "wide row") holds the tap's input for every
    output pixel of an image, plus ``Wq - ow`` throw-away ones per output row. The taps that
    read one phase form a grid of offsets: one strided view copies them all.
    """
    (sh, sw), (dh, dw) = stride, dilation
    taps, order = [], []
    for a in range(sh):
        for b in range(sw):
            rows = [i for i in range(kernel[0]) if i * dh % sh == a]
            cols = [j for j in range(kernel[1]) if j * dw % sw == b]
            if rows and cols:
                first = (rows[0] * dh // sh, cols[0] * dw // sw)
                steps = (dh // math.gcd(sh, dh), dw // math.gcd(sw, dw))
                taps.append((a, b, (len(rows), len(cols)), first, steps))
                order += [i * kernel[1] + j for i in rows for j in cols]
    sh, sw, n, channels, hq, wq = phases.shape
    length = (out_hw[0] - 1) * wq + out_hw[1]
    views = []
    for a, b, (rows, cols), (fi, fj), (ti, tj) in taps:
        plane = (a * sw + b) * n * channels * hq * wq
        shape = (groups, channels // groups, rows, cols, n, length)
        if not phases.size:  # an empty batch: nothing to read
            views.append(np.empty(shape, phases.dtype))
            continue
        views.append(
            np.ndarray(
                shape,
                phases.dtype,
                phases,
                (plane + fi * wq + fj) * phases.itemsize,
                tuple(
                    phases.itemsize * step
                    for step in (
                        channels // groups * hq * wq,
                        hq * wq,
                        ti * wq,
                        tj,
                        channels * hq * wq,
                        1,
                    )
                ),
            )
        )
    return _Plan(phases, length, taps, np.array(order), views)


def _im2col(plan, images, part, buffer):
    """The window matrix of a block, (groups, C / groups * taps, images * pixels), in ``buffer``.

    ``images`` and ``part`` (pixels of the wide row) are slices; one copy per stride phase.
    """
    groups, group_channels, _, _, n, length = plan.views[0].shape
    count, pixels = len(range(n)[images]), len(range(length)[part])
    shape = (groups, group_channels, len(plan.order), count, pixels)
    matrix = buffer[: math.prod(shape)].reshape(shape)
    t = 0
    for view in plan.views:
        rows, cols = view.shape[2:4]
        np.copyto(
            _split(matrix[:, :, t : t + rows * cols], 2, (rows, cols)), view[..., images, part]
        )
        t += rows * cols
    return matrix.reshape(groups, -1, count * pixels)


def _split(a, axis, shape):
    """``a`` with axis ``axis`` split into ``shape``: a view, never a copy."""
    view = a.view()
    view.shape = (*a.shape[:axis], *shape, *a.shape[axis + 1 :])  # AttributeError if a copy
    return view


def _blocks(plan, rows_per_pixel):
    """(images, wide-row pixels) slices of blocks of about _IM2COL_BYTES of window matrix,
    and a buffer for the largest."""
    n, pitch, length = plan.phases.shape[2], plan.phases.shape[-1], plan.length
    per_pixel = rows_per_pixel * plan.phases.itemsize
    if per_pixel * length <= _IM2COL_BYTES:
        images = max(1, _IM2COL_BYTES // (per_pixel * length))
        blocks = [(slice(n0, min(n0 + images, n)), slice(0, length)) for n0 in range(0, n, images)]
        size = min(images, n) * length
    else:
        rows = max(1, _IM2COL_BYTES // (per_pixel * pitch))
        blocks = [
            (slice(n0, n0 + 1), slice(r0 * pitch, min((r0 + rows) * pitch, length)))
            for n0 in range(n)
            for r0 in range(0, -(-length // pitch), rows)
        ]
        size = min(rows * pitch, length)
    return blocks, _work("im2col", (rows_per_pixel * size,), plan.phases.dtype)


def _conv2d_im2col(phases, weight, stride, dilation, groups, out_hw):
    """Convolve the stride phases of a padded input (:func:`_phases`): im2col by blocks.

    The window matrix of a block has one row per (channel, tap) and one column per output
    pixel of the block's images, so that a few large products (cheap to spread over threads)
    replace one small product per image; a block of about _IM2COL_BYTES stays in the cache.
    Its columns are wide rows of the phases (:func:`_plan`): long contiguous runs to copy, and
    the throw-away columns they carry are dropped from the result: an (N, O, oh, ow) view
    whose rows are ``Wq`` apart.
    """
    n, channels = phases.shape[2:4]
    out_channels, group_channels, kh, kw = weight.shape
    oh, ow = out_hw
    k = group_channels * kh * kw
    if (kh, kw) == (1, 1) and stride == (1, 1):  # each image already is its window matrix
        w = weight.reshape(groups, out_channels // groups, k)
        out = np.matmul(w, phases.reshape(n, groups, group_channels, oh * ow))
        return out.reshape(n, out_channels, oh, ow)
    plan = _plan(phases, (kh, kw), stride, dilation, groups, out_hw)
    pitch = phases.shape[-1]
    w = weight.reshape(groups, out_channels // groups, group_channels, kh * kw)[..., plan.order]
    w = np.ascontiguousarray(w).reshape(groups, out_channels // groups, k)
    out = np.empty((n, groups, out_channels // groups, plan.length), dtype=phases.dtype)
    blocks, buffer = _blocks(plan, k * groups)
    for images, part in blocks:
        matrix = _im2col(plan, images, part, buffer)  # (groups, K, images * pixels)
        per_image = _split(matrix, 2, (len(range(n)[images]), -1)).transpose(2, 0, 1, 3)
        np.matmul(w, per_image, out=out[images, :, :, part])
    size = out.itemsize
    return np.lib.stride_tricks.as_strided(
        out,
        (n, out_channels, oh, ow),
        (out_channels * plan.length * size, plan.length * size, pitch * size, size),
    )


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
