"""Checks, constants and errors shared by the ops.

The checking convention is :mod:`cnnviz._checks`; the size rule is :mod:`cnnviz.arithmetic`.
The underscored names are the short aliases the op modules use. The public names here
(``PADDING_MODES`` and the padding errors) are exported by :mod:`cnnviz.ops`.

"ops decides, widgets explain": an impossible setting raises an error that carries its facts
as attributes, so that a widget can ``except ValueError as err`` and explain the rule without
deriving it again. :class:`cnnviz.arithmetic.KernelDoesNotFitError` does it for the kernel
size; :class:`PaddingError` and its two kinds do it for the padding.
"""

from __future__ import annotations

from cnnviz import arithmetic
from cnnviz._checks import check_array as _check_array
from cnnviz._checks import check_bool as _check_bool
from cnnviz._checks import check_choice as _check_choice
from cnnviz._checks import check_int as _check_int
from cnnviz._checks import check_number, check_shape
from cnnviz._checks import check_pair as _pair
from cnnviz._checks import is_int as _is_int

__all__ = [
    "PADDING_MODES",
    "PaddingError",
    "PaddingExceedsInputError",
    "PoolPaddingError",
    "_PAD_MODES",
    "_NUMPY_PAD_MODE",
    "_CONV_PAD_MODES",
    "_IEEE",
    "_check_array",
    "_check_bool",
    "_check_choice",
    "_check_int",
    "_pair",
    "_is_int",
    "_check_positive_number",
    "_check_plane",
    "_output_shape",
    "_pad4",
    "_padding_limit",
    "_pool_args",
    "_check_windows_reach_input",
    "_check_axis",
    "_check_grad_out",
    "_check_input_shape",
]

#: What the padding of :func:`cnnviz.ops.conv2d` contains (``padding_mode``, the names of
#: ``torch.nn.Conv2d``): zeros, the mirror image without the edge, the edge pixel repeated,
#: or the opposite side (wrap around).
PADDING_MODES = ("zeros", "reflect", "replicate", "circular")
# pad2d follows torch.nn.functional.pad, which calls the zero mode 'constant' (any value).
_PAD_MODES = ("constant", *PADDING_MODES[1:])
_CONV_PAD_MODES = dict(zip(PADDING_MODES, _PAD_MODES, strict=True))
_NUMPY_PAD_MODE = {"reflect": "reflect", "replicate": "edge", "circular": "wrap"}

# np.errstate for the arithmetic of the ops: non-finite values follow IEEE rules (inf - inf
# and 0 * inf are NaN, a sum of huge values overflows to inf), silently, as in torch.
_IEEE = {"over": "ignore", "invalid": "ignore", "divide": "ignore", "under": "ignore"}


class PaddingError(ValueError):
    """Padding that the op cannot apply: the base of :class:`PaddingExceedsInputError` and
    :class:`PoolPaddingError`.

    Every attribute exists on every instance; those that do not apply to the rule broken
    are None.

    Attributes
    ----------
    padding : tuple of int
        The padding as the op saw it: ``(left, right, top, bottom)`` for padded inputs,
        ``(ph, pw)`` for pooling.
    mode : str or None
        The padding mode (``'reflect'``, ``'replicate'``, ``'circular'``).
    size : tuple of int or None
        The ``(H, W)`` of the input.
    kernel_size, dilation : tuple of int or None
        The pooling window.
    limit : tuple
        The largest padding per side that the rule allows, ``(along H, along W)``; None
        along an axis where any padding goes.
    """

    padding = mode = size = kernel_size = dilation = limit = None


class PaddingExceedsInputError(PaddingError):
    """Reflect, replicate or circular padding wider than the input allows (torch's rules).

    A mirror must not repeat the edge, so ``reflect`` padding must be smaller than the side it
    mirrors (``limit = (H - 1, W - 1)``); ``circular`` padding wraps around at most once
    (``limit = (H, W)``); and no mode but zeros can pad along an empty axis (limit 0 there).
    ``limit`` is None along an axis that any padding suits (``replicate``).

    Examples
    --------
    >>> import numpy as np
    >>> from cnnviz import ops
    >>> try:
    ...     ops.pad2d(np.zeros((2, 3)), 2, mode="reflect")
    ... except ops.PaddingError as err:
    ...     print(err.padding, err.size, err.mode, err.limit)
    (2, 2, 2, 2) (2, 3) reflect (1, 2)
    """

    def __init__(self, padding, size, mode):
        self.padding, self.size, self.mode = tuple(padding), tuple(size), mode
        self.limit = _padding_limit(self.size, mode)
        if 0 in self.size:
            rule = "0 along an empty axis of the input"
        else:
            rule = "smaller than the input" if mode == "reflect" else "at most the input"
        h, w = ("any" if n is None else n for n in self.limit)
        super().__init__(
            f"padding must be {rule} (H, W) = {self.size} in {mode} mode (at most {h} above "
            f"and below, {w} left and right), got (left, right, top, bottom) = {self.padding}"
        )


def _padding_limit(size, mode):
    """The largest padding per side, ``(along H, along W)``, that ``mode`` allows (None: any)."""
    rule = {"reflect": lambda n: n - 1, "circular": lambda n: n}.get(mode, lambda n: None)
    return tuple(0 if n == 0 else rule(n) for n in size)


class PoolPaddingError(PaddingError):
    """Pooling padding that lets a window lie entirely in the padding (torch's rule).

    torch asks for padding at most half the kernel, ``limit = (kh // 2, kw // 2)``; with
    dilation a window can still miss the input, and then ``size`` is the ``(H, W)`` it missed.

    Examples
    --------
    >>> import numpy as np
    >>> from cnnviz import ops
    >>> try:
    ...     ops.max_pool2d(np.zeros((4, 4)), 2, padding=2)
    ... except ops.PaddingError as err:
    ...     print(err.padding, err.kernel_size, err.limit)
    (2, 2) (2, 2) (1, 1)
    """

    def __init__(self, padding, kernel_size, dilation=(1, 1), size=None):
        self.padding, self.kernel_size = tuple(padding), tuple(kernel_size)
        self.dilation, self.size = tuple(dilation), None if size is None else tuple(size)
        self.limit = tuple(k // 2 for k in self.kernel_size)
        if size is None:
            message = (
                f"padding must be at most half of kernel_size {self.kernel_size} (torch's rule: "
                f"a window must never lie entirely in the padding), got {self.padding}"
            )
        else:
            message = (
                f"padding must leave every window at least one pixel of the input "
                f"{self.size}, got {self.padding}: with kernel_size {self.kernel_size} and "
                f"dilation {self.dilation} a window lies entirely in the padding"
            )
        super().__init__(message)


def _check_positive_number(value, name):
    return check_number(value, name, positive=True)


def _check_plane(x, name="x"):
    """Raise unless the ``H x W`` plane of ``x`` (its last two axes) is non-empty."""
    if 0 in x.shape[-2:]:
        raise ValueError(f"{name} must have a non-empty H x W plane, got shape {x.shape}")
    return x


def _output_shape(size, kernel, stride, dilation, what="padded input"):
    """Output (oh, ow) of a window scan over an already padded ``size``.

    Raises :class:`cnnviz.arithmetic.KernelDoesNotFitError` when the dilated kernel does not
    fit.
    """
    arithmetic.check_fits(tuple(size), tuple(kernel), tuple(dilation), what)
    return tuple(
        arithmetic.formula_o(n, k, 0, s, d)
        for n, k, s, d in zip(size, kernel, stride, dilation, strict=True)
    )


def _pad4(padding):
    """``padding`` (int, (ph, pw) or (left, right, top, bottom)) as (left, right, top, bottom)."""
    rule = "an int, a pair (ph, pw) or a 4-tuple (left, right, top, bottom) of ints"
    if isinstance(padding, (tuple, list)) and len(padding) == 4:
        if not all(map(_is_int, padding)):
            raise TypeError(f"padding must be {rule}, got {padding!r}")
        if min(padding) < 0:
            raise ValueError(f"padding must be non-negative, got {padding!r}")
        return tuple(int(p) for p in padding)
    try:
        ph, pw = _pair(padding, "padding", minimum=0)
    except TypeError:
        raise TypeError(f"padding must be {rule}, got {padding!r}") from None
    return (pw, pw, ph, ph)


def _pool_args(kernel_size, stride, padding, dilation=1):
    """Checked (kernel, stride, padding, dilation) pairs of a pooling op, as torch checks them.

    Raises :class:`PoolPaddingError` for padding more than half the kernel.
    """
    kernel = _pair(kernel_size, "kernel_size")
    stride = kernel if stride is None else _pair(stride, "stride")
    padding = _pair(padding, "padding", minimum=0)
    dilation = _pair(dilation, "dilation")
    if any(2 * p > k for p, k in zip(padding, kernel, strict=True)):
        raise PoolPaddingError(padding, kernel, dilation)
    return kernel, stride, padding, dilation


def _check_windows_reach_input(size, kernel, stride, padding, dilation):
    """Raise :class:`PoolPaddingError` when a dilated window lies entirely in the padding.

    Padding at most half the kernel rules it out without dilation; with dilation the taps
    can step over the input (torch then returns an index outside the input).
    """
    if dilation == (1, 1):
        return
    for axis in range(2):
        reached = arithmetic.coverage(
            size[axis], kernel[axis], padding[axis], stride[axis], dilation[axis]
        )
        if reached.size and reached.min() == 0:
            raise PoolPaddingError(padding, kernel, dilation, size)


def _check_axis(axis, ndim, name="axis"):
    if not _is_int(axis):
        raise TypeError(f"{name} must be an int, got {axis!r}")
    if not -max(ndim, 1) <= axis < max(ndim, 1):
        raise ValueError(
            f"{name} must be between {-max(ndim, 1)} and {max(ndim, 1) - 1} for an array of "
            f"{ndim} dimensions, got {axis}"
        )
    return int(axis)


def _check_grad_out(grad_out, expected, what):
    """``grad_out`` as a float array of shape ``expected``, the shape of the op's output."""
    grad_out = _check_array(grad_out, "grad_out")
    return check_shape(grad_out, "grad_out", expected, f"(the output of {what})")


def _check_input_shape(input_shape):
    """``input_shape`` of a pooling backward: 2 to 4 ints, a non-empty ``H x W`` plane last."""
    if not isinstance(input_shape, (tuple, list)) or not all(map(_is_int, input_shape)):
        raise TypeError(f"input_shape must be a tuple of ints, got {input_shape!r}")
    if len(input_shape) not in (2, 3, 4) or min(input_shape) < 0:
        raise ValueError(
            f"input_shape must be (H, W), (C, H, W) or (N, C, H, W), got {tuple(input_shape)}"
        )
    if 0 in input_shape[-2:]:
        raise ValueError(f"input_shape must have a non-empty H x W plane, got {tuple(input_shape)}")
    return tuple(int(n) for n in input_shape)
