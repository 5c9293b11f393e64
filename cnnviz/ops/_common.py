"""Checks and constants shared by the ops (private).

The checking convention is :mod:`cnnviz._checks`; the size rule is :mod:`cnnviz.arithmetic`.
The names here are the short aliases the op modules use.
"""

from __future__ import annotations

from cnnviz import arithmetic
from cnnviz._checks import check_array as _check_array
from cnnviz._checks import check_choice as _check_choice
from cnnviz._checks import check_int as _check_int
from cnnviz._checks import check_number, check_shape
from cnnviz._checks import check_pair as _pair
from cnnviz._checks import is_int as _is_int

__all__ = [
    "_PAD_MODES",
    "_NUMPY_PAD_MODE",
    "_CONV_PAD_MODES",
    "_check_array",
    "_check_choice",
    "_check_int",
    "_pair",
    "_is_int",
    "_check_positive_number",
    "_output_shape",
    "_pad4",
    "_pool_args",
    "_check_axis",
    "_check_grad_out",
    "_check_input_shape",
]

_PAD_MODES = ("constant", "reflect", "replicate", "circular")
_NUMPY_PAD_MODE = {"reflect": "reflect", "replicate": "edge", "circular": "wrap"}
_CONV_PAD_MODES = {
    "zeros": "constant",
    "reflect": "reflect",
    "replicate": "replicate",
    "circular": "circular",
}


def _check_positive_number(value, name):
    return check_number(value, name, positive=True)


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


def _check_axis(axis, ndim):
    if not _is_int(axis):
        raise TypeError(f"axis must be an int, got {axis!r}")
    if not -max(ndim, 1) <= axis < max(ndim, 1):
        raise ValueError(
            f"axis must be between {-max(ndim, 1)} and {max(ndim, 1) - 1} for an array of "
            f"{ndim} dimensions, got {axis}"
        )
    return int(axis)


def _check_grad_out(grad_out, expected, what):
    """``grad_out`` as a float array of shape ``expected``, the shape of the op's output."""
    grad_out = _check_array(grad_out, "grad_out")
    return check_shape(grad_out, "grad_out", expected, f"(the output of {what})")


def _check_input_shape(input_shape):
    """``input_shape`` of a pooling backward, as a tuple of 2 to 4 non-negative ints."""
    if not isinstance(input_shape, (tuple, list)) or not all(map(_is_int, input_shape)):
        raise TypeError(f"input_shape must be a tuple of ints, got {input_shape!r}")
    if len(input_shape) not in (2, 3, 4) or min(input_shape) < 0:
        raise ValueError(
            f"input_shape must be (H, W), (C, H, W) or (N, C, H, W), got {tuple(input_shape)}"
        )
    return tuple(int(n) for n in input_shape)
