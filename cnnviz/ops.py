"""The operations of a convolutional network, in vectorized NumPy.

Names and arguments follow :mod:`torch.nn.functional`, and arrays use the layout
``(N, C, H, W)``: batch, channels, height, width. Where a chapter is about one grayscale
image, a plain ``(H, W)`` array with a 2-D kernel works too.

Every sliding-window operation here (convolution and pooling) obeys one size rule, in the
symbols of Dumoulin & Visin, *A guide to convolution arithmetic for deep learning*: along one
axis, an input of length ``i`` padded by ``p`` on each side and scanned by a kernel of size
``k`` with stride ``s`` and dilation ``d`` gives an output of length

    o = floor((i + 2p - d(k - 1) - 1) / s) + 1

(see :func:`conv_output_size`; :func:`conv_transpose_output_size` inverts it). No function
loops over pixels in Python: windows are strided views of the input
(:func:`sliding_windows`) and a convolution is a few large matrix products (BLAS).

Backward passes: the ops a network trains through have a ``*_backward`` twin
(:func:`conv2d_backward`, :func:`max_pool2d_backward`, :func:`avg_pool2d_backward`,
:func:`relu_backward`, :func:`linear_backward`, :func:`cross_entropy_backward`) that maps the
gradient of a loss with respect to the op's output to the gradients with respect to its inputs
and weights, checked against ``torch.autograd`` in the tests.

Dtypes: float32 stays float32, float64 stays float64, and integer or boolean input is
computed in float64. Arguments are checked once, at the public boundary, and a bad one raises
``ValueError`` or ``TypeError`` naming the argument and the shapes involved.
"""

from __future__ import annotations

import math
import numbers

import numpy as np
from numpy.lib.stride_tricks import as_strided

__all__ = [
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

_PAD_MODES = ("constant", "reflect", "replicate", "circular")
_NUMPY_PAD_MODE = {"reflect": "reflect", "replicate": "edge", "circular": "wrap"}
_CONV_PAD_MODES = {
    "zeros": "constant",
    "reflect": "reflect",
    "replicate": "replicate",
    "circular": "circular",
}


# ---------------------------------------------------------------------------------------------
# Argument checks (private; each public function calls them once)
# ---------------------------------------------------------------------------------------------


def _is_int(value):
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def _check_int(value, name, minimum):
    """Return ``value`` as an int, checking that it is an integer >= ``minimum``."""
    if not _is_int(value):
        raise TypeError(f"{name} must be an int, got {value!r}")
    if value < minimum:
        rule = "positive" if minimum == 1 else f">= {minimum}"
        raise ValueError(f"{name} must be {rule}, got {value}")
    return int(value)


def _pair(value, name, minimum=1):
    """Return ``value`` (an int or a pair of ints, each >= ``minimum``) as a tuple ``(h, w)``."""
    if _is_int(value):
        pair = (int(value), int(value))
    elif isinstance(value, (tuple, list)) and len(value) == 2 and all(map(_is_int, value)):
        pair = (int(value[0]), int(value[1]))
    else:
        raise TypeError(f"{name} must be an int or a pair of ints, got {value!r}")
    if min(pair) < minimum:
        rule = "positive" if minimum == 1 else "non-negative"
        raise ValueError(f"{name} must be {rule}, got {value!r}")
    return pair


def _float_dtype(dtype):
    """The dtype a computation on ``dtype`` returns: floats keep theirs, integers get float64."""
    if dtype.kind == "f":
        return np.dtype(np.float32) if dtype.itemsize < 4 else dtype
    return np.dtype(np.float64)


def _check_array(x, name, ndims=None):
    """Return ``x`` as a floating-point ndarray with one of the allowed numbers of dimensions.

    Real numbers only: integers and booleans are converted to float64, float16 to float32;
    strings, objects and complex numbers raise ``TypeError``.
    """
    try:
        arr = np.asarray(x)
    except ValueError as err:  # ragged nested lists
        raise TypeError(f"{name} must be a rectangular numeric array: {err}") from None
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"{name} must be a real numeric array, got dtype {arr.dtype}")
    if ndims is not None and arr.ndim not in ndims:
        raise ValueError(f"{name} must have {_ndim_text(ndims)} dimensions, got shape {arr.shape}")
    return arr.astype(_float_dtype(arr.dtype), copy=False)


def _ndim_text(ndims):
    names = {2: "2 (H, W)", 3: "3 (C, H, W)", 4: "4 (N, C, H, W)"}
    parts = [names.get(n, str(n)) for n in ndims]
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " or " + parts[-1]


def _check_choice(value, name, choices):
    if value not in choices:
        raise ValueError(f"{name} must be one of {', '.join(map(repr, choices))}, got {value!r}")
    return value


def _check_positive_number(value, name):
    if not isinstance(value, numbers.Real) or isinstance(value, bool):
        raise TypeError(f"{name} must be a real number, got {value!r}")
    if not value > 0:
        raise ValueError(f"{name} must be positive, got {value!r}")
    return float(value)


def _output_shape(size, kernel, stride, dilation, what="padded input"):
    """Output (oh, ow) of a window scan; ``ValueError`` when the dilated kernel does not fit."""
    extent = tuple(d * (k - 1) + 1 for k, d in zip(kernel, dilation, strict=True))
    if extent[0] > size[0] or extent[1] > size[1]:
        raise ValueError(
            f"kernel {tuple(kernel)} with dilation {tuple(dilation)} does not fit "
            f"the {what} {tuple(size)}"
        )
    return tuple((n - e) // s + 1 for n, e, s in zip(size, extent, stride, strict=True))


def _pad4(padding):
    """``padding`` (int, (ph, pw) or (left, right, top, bottom)) as (left, right, top, bottom)."""
    if isinstance(padding, (tuple, list)) and len(padding) == 4:
        if not all(map(_is_int, padding)):
            raise TypeError(f"padding must contain ints, got {padding!r}")
        if min(padding) < 0:
            raise ValueError(f"padding must be non-negative, got {padding!r}")
        return tuple(int(p) for p in padding)
    try:
        ph, pw = _pair(padding, "padding", minimum=0)
    except TypeError:
        raise TypeError(
            f"padding must be an int, a pair (ph, pw) or a 4-tuple (left, right, top, bottom), "
            f"got {padding!r}"
        ) from None
    return (pw, pw, ph, ph)


def _pool_args(kernel_size, stride, padding, dilation=1):
    """Checked (kernel, stride, padding, dilation) pairs of a pooling op, as torch checks them."""
    kernel = _pair(kernel_size, "kernel_size")
    stride = kernel if stride is None else _pair(stride, "stride")
    padding = _pair(padding, "padding", minimum=0)
    dilation = _pair(dilation, "dilation")
    if any(2 * p > k for p, k in zip(padding, kernel, strict=True)):
        raise ValueError(
            f"padding {padding} must be at most half of kernel_size {kernel} (torch's rule: "
            f"a window must never lie entirely in the padding)"
        )
    return kernel, stride, padding, dilation


# ---------------------------------------------------------------------------------------------
# Sizes
# ---------------------------------------------------------------------------------------------


def conv_output_size(i, k, p=0, s=1, d=1):
    """Output length of a convolution along one axis: floor((i + 2p - d(k-1) - 1) / s) + 1.

    Parameters
    ----------
    i : int
        Input length.
    k : int
        Kernel size.
    p : int, default 0
        Zero padding added to *each* side.
    s : int, default 1
        Stride.
    d : int, default 1
        Dilation (``d - 1`` gaps between kernel taps).

    Returns
    -------
    int
        The output length ``o``; ``ValueError`` when the dilated kernel, of extent
        ``d(k-1) + 1``, is longer than the padded input ``i + 2p``.

    Examples
    --------
    >>> conv_output_size(5, 3)          # 5x5 image, 3x3 kernel, no padding
    3
    >>> conv_output_size(5, 3, p=1)     # "same" padding keeps the size
    5
    >>> conv_output_size(7, 3, p=1, s=2)
    4
    >>> conv_output_size(7, 3, d=2)     # a dilated 3-tap kernel spans 5 pixels
    3
    """
    i = _check_int(i, "i", 1)
    k = _check_int(k, "k", 1)
    p = _check_int(p, "p", 0)
    s = _check_int(s, "s", 1)
    d = _check_int(d, "d", 1)
    if d * (k - 1) + 1 > i + 2 * p:
        raise ValueError(
            f"kernel {k} with dilation {d} does not fit the padded input {i + 2 * p} (i={i}, p={p})"
        )
    return (i + 2 * p - d * (k - 1) - 1) // s + 1


def conv_transpose_output_size(i, k, p=0, s=1, d=1, output_padding=0):
    """Output length of a transposed convolution: (i-1)s - 2p + d(k-1) + output_padding + 1.

    It undoes :func:`conv_output_size`: a convolution with the same ``k, p, s, d`` maps the
    result back to ``i``. When the forward stride dropped a remainder, several input lengths map
    to the same ``o``; ``output_padding`` (less than ``s`` or ``d``) picks which one.

    Parameters
    ----------
    i : int
        Input length (the output length of the forward convolution).
    k, p, s, d : int
        Kernel size, padding, stride and dilation of the forward convolution.
    output_padding : int, default 0
        Extra length added to one side of the output.

    Returns
    -------
    int

    Examples
    --------
    >>> conv_transpose_output_size(3, 3)              # undoes 5 -> 3
    5
    >>> conv_transpose_output_size(4, 3, p=1, s=2)     # 7 -> 4 with stride 2 ...
    7
    >>> conv_transpose_output_size(4, 3, p=1, s=2, output_padding=1)   # ... and 8 -> 4 too
    8
    """
    i = _check_int(i, "i", 1)
    k = _check_int(k, "k", 1)
    p = _check_int(p, "p", 0)
    s = _check_int(s, "s", 1)
    d = _check_int(d, "d", 1)
    output_padding = _check_int(output_padding, "output_padding", 0)
    if output_padding >= max(s, d):
        raise ValueError(
            f"output_padding must be smaller than the stride s={s} or the dilation d={d}, "
            f"got {output_padding}"
        )
    o = (i - 1) * s - 2 * p + d * (k - 1) + output_padding + 1
    if o < 1:
        raise ValueError(f"padding p={p} is too large: the output length would be {o}")
    return o


# ---------------------------------------------------------------------------------------------
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
        Fill value of ``'constant'`` mode.

    Returns
    -------
    numpy.ndarray
        Shape ``(..., top + H + bottom, left + W + right)``.

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
    return _pad(x, _pad4(padding), mode, value)


def _pad(x, pad4, mode="constant", value=0.0):
    """Pad the last two axes of ``x`` by ``pad4 = (left, right, top, bottom)``; no checks of x."""
    left, right, top, bottom = pad4
    height, width = x.shape[-2:]
    if mode == "reflect" and (max(top, bottom) >= height or max(left, right) >= width):
        raise ValueError(
            f"reflect padding (left, right, top, bottom) = {pad4} must be smaller than the "
            f"input (H, W) = {(height, width)}"
        )
    if mode == "circular" and (max(top, bottom) > height or max(left, right) > width):
        raise ValueError(
            f"circular padding (left, right, top, bottom) = {pad4} must be at most the "
            f"input (H, W) = {(height, width)}"
        )
    if mode != "constant" and 0 in (height, width) and any(pad4):
        raise ValueError(f"{mode} padding needs a non-empty input, got shape {x.shape}")
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
        :func:`conv_output_size` with ``p=0``.

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
# Activations, softmax and loss
# ---------------------------------------------------------------------------------------------


def relu(x):
    """Rectified linear unit, ``max(x, 0)``.

    Parameters
    ----------
    x : array_like

    Returns
    -------
    numpy.ndarray
        Same shape as ``x``, floating point.

    Examples
    --------
    >>> relu([-2.0, 0.0, 3.0])
    array([0., 0., 3.])
    """
    x = _check_array(x, "x")
    return np.maximum(x, 0, dtype=x.dtype)


def leaky_relu(x, negative_slope=0.01):
    """Leaky ReLU: ``x`` where positive, ``negative_slope * x`` elsewhere.

    Parameters
    ----------
    x : array_like
    negative_slope : float, default 0.01
        Slope for negative inputs, so that they still pass a small gradient.

    Returns
    -------
    numpy.ndarray
        Same shape as ``x``.

    Examples
    --------
    >>> leaky_relu([-2.0, 3.0], negative_slope=0.1)
    array([-0.2,  3. ])
    """
    x = _check_array(x, "x")
    if not isinstance(negative_slope, numbers.Real) or isinstance(negative_slope, bool):
        raise TypeError(f"negative_slope must be a real number, got {negative_slope!r}")
    return np.where(x > 0, x, x * x.dtype.type(negative_slope))


def sigmoid(x):
    """Logistic sigmoid ``1 / (1 + exp(-x))``, computed without overflow for any ``x``.

    Uses ``exp(-|x|)``, which never exceeds 1: ``1 / (1 + e)`` for ``x >= 0`` and
    ``e / (1 + e)`` for ``x < 0``.

    Parameters
    ----------
    x : array_like

    Returns
    -------
    numpy.ndarray
        Same shape as ``x``, values in [0, 1].

    Examples
    --------
    >>> sigmoid([-1000.0, 0.0, 1000.0])
    array([0. , 0.5, 1. ])
    """
    x = _check_array(x, "x")
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + e), e / (1 + e)).astype(x.dtype, copy=False)


def tanh(x):
    """Hyperbolic tangent, ``(e^x - e^-x) / (e^x + e^-x)``.

    Parameters
    ----------
    x : array_like

    Returns
    -------
    numpy.ndarray
        Same shape as ``x``, values in [-1, 1].

    Examples
    --------
    >>> tanh([0.0, 1000.0])
    array([0., 1.])
    """
    x = _check_array(x, "x")
    return np.tanh(x)


def gelu(x, approximate="none"):
    """Gaussian error linear unit ``x * Phi(x)``, with ``Phi`` the standard normal CDF.

    Parameters
    ----------
    x : array_like
    approximate : {'none', 'tanh'}, default 'none'
        ``'none'`` uses the error function, ``Phi(x) = (1 + erf(x / sqrt 2)) / 2``
        (``scipy.special.erf``: NumPy has none); ``'tanh'`` uses the approximation
        ``(1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))) / 2``, as torch does.

    Returns
    -------
    numpy.ndarray

    Examples
    --------
    >>> gelu([-3.0, 0.0, 1.0]).round(4)
    array([-0.004 ,  0.    ,  0.8413])
    >>> gelu([1.0], approximate="tanh").round(4)
    array([0.8412])
    """
    x = _check_array(x, "x")
    approximate = _check_choice(approximate, "approximate", ("none", "tanh"))
    if approximate == "tanh":
        inner = math.sqrt(2 / math.pi) * (x + 0.044715 * x**3)
        return (0.5 * x * (1 + np.tanh(inner))).astype(x.dtype, copy=False)
    from scipy.special import erf

    return (0.5 * x * (1 + erf(x / math.sqrt(2)))).astype(x.dtype, copy=False)


def _check_axis(axis, ndim):
    if not _is_int(axis):
        raise TypeError(f"axis must be an int, got {axis!r}")
    if not -max(ndim, 1) <= axis < max(ndim, 1):
        raise ValueError(f"axis {axis} is out of range for an array of {ndim} dimensions")
    return int(axis)


def _log_softmax(z, axis):
    """log softmax of a checked float array: subtract the max so that exp never overflows."""
    shifted = z - z.max(axis=axis, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))


def softmax(x, axis=-1, temperature=1.0):
    """Softmax along ``axis``: ``exp(x_i / T) / sum_j exp(x_j / T)``.

    The maximum is subtracted before exponentiating (the result does not change), so logits
    of +-1000 give no overflow. A temperature ``T > 1`` flattens the distribution, ``T < 1``
    sharpens it towards the argmax.

    Parameters
    ----------
    x : array_like
        Logits.
    axis : int, default -1
        The axis that sums to 1 (torch calls it ``dim``).
    temperature : float, default 1.0
        ``T > 0``.

    Returns
    -------
    numpy.ndarray

    Examples
    --------
    >>> softmax([2.5, 1.8, 0.2]).round(3)
    array([0.626, 0.311, 0.063])
    >>> softmax([2.5, 1.8, 0.2], temperature=10).round(3)
    array([0.367, 0.342, 0.291])
    >>> softmax([1000.0, -1000.0])
    array([1., 0.])
    """
    x = _check_array(x, "x")
    axis = _check_axis(axis, x.ndim)
    temperature = _check_positive_number(temperature, "temperature")
    z = x / x.dtype.type(temperature) if temperature != 1 else x
    shifted = z - z.max(axis=axis, keepdims=True)
    e = np.exp(shifted)
    return e / e.sum(axis=axis, keepdims=True)


def log_softmax(x, axis=-1):
    """Logarithm of :func:`softmax`, computed directly: ``x - max - log(sum(exp(x - max)))``.

    Finite where ``np.log(softmax(x))`` would give ``-inf``.

    Parameters
    ----------
    x : array_like
        Logits.
    axis : int, default -1
        The axis over which the softmax is taken (torch's ``dim``).

    Returns
    -------
    numpy.ndarray
        Same shape as ``x``; ``exp`` of it sums to 1 along ``axis``.

    Examples
    --------
    >>> log_softmax([1000.0, -1000.0])
    array([    0., -2000.])
    """
    x = _check_array(x, "x")
    return _log_softmax(x, _check_axis(axis, x.ndim))


def _check_target(target, logits, class_axis):
    """The target of cross_entropy, checked: float probabilities or integer class indices."""
    target = np.asarray(target)
    if target.dtype.kind == "f":
        if target.shape != logits.shape:
            raise ValueError(
                f"probability target must have the shape of logits {logits.shape}, "
                f"got {target.shape}"
            )
    elif target.dtype.kind in "iu":
        classes = logits.shape[class_axis]
        expected = logits.shape[:class_axis] + logits.shape[class_axis + 1 :]
        if target.shape != expected:
            raise ValueError(
                f"target of class indices must have shape {expected} for logits "
                f"{logits.shape}, got {target.shape}"
            )
        if target.size and (target.min() < 0 or target.max() >= classes):
            raise ValueError(
                f"target class indices must lie in [0, {classes}) for logits {logits.shape}, "
                f"got values from {target.min()} to {target.max()}"
            )
    else:
        raise TypeError(
            f"target must hold integer class indices or float probabilities, "
            f"got dtype {target.dtype}"
        )
    return target


def cross_entropy(logits, target, reduction="mean"):
    """Cross-entropy loss of logits against class indices, as ``torch.nn.functional.cross_entropy``.

    The loss of one sample is ``-log softmax(logits)[target]``; it is computed with
    :func:`log_softmax`, so it stays finite for logits of +-1000.

    Parameters
    ----------
    logits : array_like
        ``(N, K)`` for ``N`` samples and ``K`` classes, ``(K,)`` for one sample, or
        ``(N, K, d1, ...)`` (class axis 1, as in torch) for per-pixel classes.
    target : array_like
        Integer class indices in ``[0, K)``, of shape ``(N,)`` (``()`` for one sample,
        ``(N, d1, ...)`` per pixel); or class probabilities of the same shape as ``logits``.
    reduction : {'mean', 'sum', 'none'}, default 'mean'

    Returns
    -------
    numpy.ndarray or numpy.floating
        The mean or sum loss, or the per-sample losses for ``reduction='none'``.

    Examples
    --------
    >>> logits = np.array([[2.5, 1.8, 0.2], [0.0, 0.0, 0.0]])
    >>> cross_entropy(logits, [0, 2], reduction="none").round(4)     # -log 0.626, -log(1/3)
    array([0.468 , 1.0986])
    >>> float(cross_entropy([1000.0, -1000.0], 1))
    2000.0
    """
    logits = _check_array(logits, "logits")
    if logits.ndim < 1:
        raise ValueError(f"logits must have at least 1 dimension (K,), got shape {logits.shape}")
    reduction = _check_choice(reduction, "reduction", ("mean", "sum", "none"))
    class_axis = 1 if logits.ndim > 1 else 0
    target = _check_target(target, logits, class_axis)
    log_p = _log_softmax(logits, class_axis)
    if target.dtype.kind == "f":
        losses = -(target.astype(log_p.dtype, copy=False) * log_p).sum(axis=class_axis)
    else:
        picked = np.take_along_axis(log_p, np.expand_dims(target, class_axis), axis=class_axis)
        losses = -np.squeeze(picked, axis=class_axis)
    if reduction == "none":
        return losses
    return losses.sum() if reduction == "sum" else losses.mean()


def linear(x, weight, bias=None):
    """Fully connected layer ``x @ weight.T + bias``, with ``weight`` as ``(out, in)`` like torch.

    Parameters
    ----------
    x : array_like
        ``(..., in_features)``.
    weight : array_like
        ``(out_features, in_features)``.
    bias : array_like, optional
        ``(out_features,)``.

    Returns
    -------
    numpy.ndarray
        ``(..., out_features)``.

    Examples
    --------
    >>> linear([[1.0, 2.0]], [[1.0, 1.0], [0.0, -1.0], [2.0, 0.0]], bias=[0.0, 0.0, 0.5])
    array([[ 3. , -2. ,  2.5]])
    """
    x = _check_array(x, "x")
    weight = _check_array(weight, "weight", (2,))
    if x.ndim < 1 or x.shape[-1] != weight.shape[1]:
        raise ValueError(
            f"x {x.shape} must end in in_features = {weight.shape[1]} to match weight "
            f"{weight.shape} (out_features, in_features)"
        )
    out = x @ weight.T
    if bias is not None:
        bias = _check_array(bias, "bias")
        if bias.shape != (weight.shape[0],):
            raise ValueError(
                f"bias must have shape {(weight.shape[0],)} to match weight {weight.shape}, "
                f"got {bias.shape}"
            )
        out = out + bias
    return out


def flatten(x, start_dim=1, end_dim=-1):
    """Merge the axes ``start_dim`` to ``end_dim`` into one, as ``torch.flatten``.

    With the defaults, ``(N, C, H, W)`` becomes ``(N, C*H*W)``: the step from the last
    feature maps to a fully connected layer.

    Parameters
    ----------
    x : array_like
    start_dim, end_dim : int, default 1 and -1
        First and last axis to merge (negative counts from the end).

    Returns
    -------
    numpy.ndarray
        A view of ``x`` where possible.

    Examples
    --------
    >>> flatten(np.zeros((8, 16, 5, 5))).shape
    (8, 400)
    >>> flatten(np.zeros((8, 16, 5, 5)), start_dim=2).shape
    (8, 16, 25)
    """
    x = _check_array(x, "x")
    start = _check_axis(start_dim, x.ndim) % max(x.ndim, 1)
    end = _check_axis(end_dim, x.ndim) % max(x.ndim, 1)
    if x.ndim == 0:
        return x.reshape(1)
    if start > end:
        raise ValueError(
            f"start_dim {start_dim} must not come after end_dim {end_dim} for shape {x.shape}"
        )
    merged = math.prod(x.shape[start : end + 1])
    return x.reshape(*x.shape[:start], merged, *x.shape[end + 1 :])


# ---------------------------------------------------------------------------------------------
# Backward passes: the gradient of a scalar loss with respect to each op's inputs
# ---------------------------------------------------------------------------------------------
#
# Each ``*_backward`` takes ``grad_out``, the gradient of the loss with respect to the op's
# output (same shape as the output), and what the forward pass saw, and returns the gradients
# with respect to the inputs: the chain rule, one op at a time.


def _check_grad_out(grad_out, expected, what):
    """``grad_out`` as a float array of shape ``expected``, the shape of the op's output."""
    grad_out = _check_array(grad_out, "grad_out")
    if grad_out.shape != tuple(expected):
        raise ValueError(
            f"grad_out must have the shape of the output of {what}, {tuple(expected)}, "
            f"got {grad_out.shape}"
        )
    return grad_out


def _check_input_shape(input_shape):
    """``input_shape`` of a pooling backward, as a tuple of 2 to 4 non-negative ints."""
    if not isinstance(input_shape, (tuple, list)) or not all(map(_is_int, input_shape)):
        raise TypeError(f"input_shape must be a tuple of ints, got {input_shape!r}")
    if len(input_shape) not in (2, 3, 4) or min(input_shape) < 0:
        raise ValueError(
            f"input_shape must be (H, W), (C, H, W) or (N, C, H, W), got {tuple(input_shape)}"
        )
    return tuple(int(n) for n in input_shape)


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


def relu_backward(grad_out, x):
    """Gradient of :func:`relu`: ``grad_out`` where ``x > 0``, zero elsewhere.

    A ReLU is a gate: it passes the gradient of the units that were on and stops the others
    (at ``x == 0`` the gradient is taken as 0, as in torch).

    Parameters
    ----------
    grad_out : array_like
        Gradient with respect to ``relu(x)``.
    x : array_like
        The input of the forward pass, same shape.

    Returns
    -------
    numpy.ndarray

    Examples
    --------
    >>> relu_backward([5.0, 5.0, 5.0], [-2.0, 0.0, 3.0])
    array([0., 0., 5.])
    """
    x = _check_array(x, "x")
    grad_out = _check_grad_out(grad_out, x.shape, f"relu for x {x.shape}")
    dtype = np.result_type(grad_out, x)
    return np.where(x > 0, grad_out, 0).astype(dtype, copy=False)


def linear_backward(grad_out, x, weight):
    """Gradients of :func:`linear` (``y = x @ weight.T + bias``) with respect to x, weight, bias.

    ``grad_x = grad_out @ weight``, ``grad_weight = grad_out.T @ x`` (summed over the batch:
    each weight ``w[o, i]`` gets input ``i`` times the gradient of output ``o``), and
    ``grad_bias = grad_out`` summed over the batch.

    Parameters
    ----------
    grad_out : array_like
        ``(..., out_features)``, gradient with respect to the output.
    x : array_like
        ``(..., in_features)``, the input of the forward pass.
    weight : array_like
        ``(out_features, in_features)``.

    Returns
    -------
    grad_x, grad_weight, grad_bias : numpy.ndarray
        Shapes of ``x``, ``weight`` and ``(out_features,)``.

    Examples
    --------
    >>> x = np.array([[1.0, 2.0]])
    >>> w = np.array([[1.0, 1.0], [0.0, -1.0], [2.0, 0.0]])
    >>> grad_x, grad_w, grad_b = linear_backward(np.array([[1.0, 0.0, 0.5]]), x, w)
    >>> grad_x
    array([[2., 1.]])
    >>> grad_w
    array([[1. , 2. ],
           [0. , 0. ],
           [0.5, 1. ]])
    """
    x = _check_array(x, "x")
    weight = _check_array(weight, "weight", (2,))
    if x.ndim < 1 or x.shape[-1] != weight.shape[1]:
        raise ValueError(
            f"x {x.shape} must end in in_features = {weight.shape[1]} to match weight "
            f"{weight.shape} (out_features, in_features)"
        )
    expected = (*x.shape[:-1], weight.shape[0])
    grad_out = _check_grad_out(
        grad_out, expected, f"linear for x {x.shape} and weight {weight.shape}"
    )
    g = grad_out.reshape(-1, weight.shape[0])
    grad_x = grad_out @ weight
    grad_w = g.T @ x.reshape(-1, weight.shape[1])
    return grad_x, grad_w.astype(grad_x.dtype, copy=False), g.sum(axis=0)


def cross_entropy_backward(logits, target, reduction="mean"):
    """Gradient of :func:`cross_entropy` with respect to the logits: ``(softmax - onehot) / N``.

    The softmax and the logarithm of the loss cancel into the simplest gradient of deep
    learning: the predicted probabilities minus the true ones. A confident right answer gets
    a gradient near zero; a wrong one pushes the wrong logit down and the right one up.

    Parameters
    ----------
    logits, target
        As for :func:`cross_entropy`: class indices (``onehot`` is built from them) or class
        probabilities (used as they are).
    reduction : {'mean', 'sum'}, default 'mean'
        ``'mean'`` divides by the number of samples ``N`` (times the per-pixel axes, if any).

    Returns
    -------
    numpy.ndarray
        Shape of ``logits``.

    Examples
    --------
    >>> logits = np.array([[2.5, 1.8, 0.2], [0.0, 0.0, 0.0]])
    >>> softmax(logits).round(3)
    array([[0.626, 0.311, 0.063],
           [0.333, 0.333, 0.333]])
    >>> cross_entropy_backward(logits, [0, 2]).round(3)     # (p - onehot) / 2
    array([[-0.187,  0.155,  0.031],
           [ 0.167,  0.167, -0.333]])
    """
    logits = _check_array(logits, "logits")
    if logits.ndim < 1:
        raise ValueError(f"logits must have at least 1 dimension (K,), got shape {logits.shape}")
    reduction = _check_choice(reduction, "reduction", ("mean", "sum"))
    class_axis = 1 if logits.ndim > 1 else 0
    target = _check_target(target, logits, class_axis)
    grad = np.exp(_log_softmax(logits, class_axis))
    if target.dtype.kind == "f":
        grad -= target.astype(grad.dtype, copy=False)
    else:
        picked = np.expand_dims(target, class_axis)
        np.put_along_axis(
            grad, picked, np.take_along_axis(grad, picked, class_axis) - 1, class_axis
        )
    if reduction == "mean":
        grad /= logits.size // logits.shape[class_axis]
    return grad
