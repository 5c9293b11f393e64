"""Fully connected layers and flattening, with the gradient of ``linear``."""

from __future__ import annotations

import math

import numpy as np

from cnnviz.ops._common import _IEEE, _check_array, _check_axis, _check_grad_out


def _check_features(x, weight):
    """Raise unless ``x`` ends in the in_features of ``weight`` (out_features, in_features)."""
    if x.ndim < 1 or x.shape[-1] != weight.shape[1]:
        raise ValueError(
            f"x must end in in_features = {weight.shape[1]} to match weight {weight.shape} "
            f"(out_features, in_features), got shape {x.shape}"
        )


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
        ``(..., out_features)``; empty axes stay empty, and no input features give the bias.
        Non-finite values follow IEEE arithmetic (a matrix product), as in torch: an inf
        times a zero weight, or two infinities of opposite signs, give NaN.

    Examples
    --------
    >>> linear([[1.0, 2.0]], [[1.0, 1.0], [0.0, -1.0], [2.0, 0.0]], bias=[0.0, 0.0, 0.5])
    array([[ 3. , -2. ,  2.5]])
    """
    x = _check_array(x, "x")
    weight = _check_array(weight, "weight", (2,))
    _check_features(x, weight)
    if bias is not None:
        bias = _check_array(bias, "bias")
        if bias.shape != (weight.shape[0],):
            raise ValueError(
                f"bias must have shape {(weight.shape[0],)} to match weight {weight.shape}, "
                f"got {bias.shape}"
            )
    with np.errstate(**_IEEE):
        out = x @ weight.T
        return out if bias is None else out + bias


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
        A view of ``x`` where possible; values (inf and NaN too) are not touched, and empty
        axes stay empty.

    Examples
    --------
    >>> import numpy as np
    >>> flatten(np.zeros((8, 16, 5, 5))).shape
    (8, 400)
    >>> flatten(np.zeros((8, 16, 5, 5)), start_dim=2).shape
    (8, 16, 25)
    """
    x = _check_array(x, "x")
    start = _check_axis(start_dim, x.ndim, "start_dim") % max(x.ndim, 1)
    end = _check_axis(end_dim, x.ndim, "end_dim") % max(x.ndim, 1)
    if x.ndim == 0:
        return x.reshape(1)
    if start > end:
        raise ValueError(
            f"start_dim must not come after end_dim = {end_dim} for shape {x.shape}, "
            f"got {start_dim}"
        )
    merged = math.prod(x.shape[start : end + 1])
    return x.reshape(*x.shape[:start], merged, *x.shape[end + 1 :])


# ---------------------------------------------------------------------------------------------


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
        Shapes of ``x``, ``weight`` and ``(out_features,)``; an empty batch gives zero
        weight and bias gradients. Non-finite values as in :func:`linear`.

    Examples
    --------
    >>> import numpy as np
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
    _check_features(x, weight)
    expected = (*x.shape[:-1], weight.shape[0])
    grad_out = _check_grad_out(
        grad_out, expected, f"linear for x {x.shape} and weight {weight.shape}"
    )
    rows = math.prod(x.shape[:-1])  # every sample, whatever the leading axes
    g = grad_out.reshape(rows, weight.shape[0])
    with np.errstate(**_IEEE):
        grad_x = grad_out @ weight
        grad_w = g.T @ x.reshape(rows, weight.shape[1])
        return grad_x, grad_w.astype(grad_x.dtype, copy=False), g.sum(axis=0)
