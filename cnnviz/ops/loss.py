"""Softmax, log-softmax and cross-entropy, with the gradient of the loss.

Non-finite logits follow torch, without NumPy warnings: ``-inf`` is a class of probability 0
(its log-probability is ``-inf``); a slice along the class axis holding ``+inf`` or NaN, or
only ``-inf``, is NaN throughout (the max subtracted first is then inf or NaN).
"""

from __future__ import annotations

import numpy as np

from cnnviz.ops._common import (
    _IEEE,
    _check_array,
    _check_axis,
    _check_choice,
    _check_positive_number,
)


def _log_softmax(z, axis):
    """log softmax of a checked float array: subtract the max so that exp never overflows."""
    if z.shape[axis] == 0:  # nothing to normalize (torch returns the empty array)
        return z.copy()
    with np.errstate(**_IEEE):
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
        Same shape as ``x``. A ``-inf`` logit has probability 0; a slice holding ``+inf`` or
        NaN, or only ``-inf``, is NaN throughout, as in torch. An empty axis stays empty.

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
    if x.ndim == 0:
        return softmax(x[None], 0, temperature).reshape(())
    if x.shape[axis] == 0:  # nothing to normalize (torch returns the empty array)
        return x.copy()
    with np.errstate(**_IEEE):
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
        Same shape as ``x``; ``exp`` of it sums to 1 along ``axis``. A ``-inf`` logit gives
        ``-inf``; a slice holding ``+inf`` or NaN, or only ``-inf``, is NaN, as in torch.

    Examples
    --------
    >>> log_softmax([1000.0, -1000.0])
    array([    0., -2000.])
    """
    x = _check_array(x, "x")
    axis = _check_axis(axis, x.ndim)
    return _log_softmax(x, axis) if x.ndim else _log_softmax(x[None], 0).reshape(())


def _check_target(target, logits, class_axis):
    """The target of cross_entropy, checked: float probabilities or integer class indices."""
    target = np.asarray(target)
    if target.dtype.kind == "f":
        if target.shape != logits.shape:
            raise ValueError(
                f"target must have the shape of logits {logits.shape} (probabilities), "
                f"got {target.shape}"
            )
    elif target.dtype.kind in "iu":
        classes = logits.shape[class_axis]
        expected = logits.shape[:class_axis] + logits.shape[class_axis + 1 :]
        if target.shape != expected:
            raise ValueError(
                f"target must have shape {expected} (class indices for logits "
                f"{logits.shape}), got {target.shape}"
            )
        if target.size and (target.min() < 0 or target.max() >= classes):
            raise ValueError(
                f"target must hold class indices in [0, {classes}) for logits {logits.shape}, "
                f"got values from {target.min()} to {target.max()}"
            )
    else:
        raise TypeError(
            f"target must hold integer class indices or float probabilities, "
            f"got dtype {target.dtype}"
        )
    return target


def _cross_entropy_args(logits, target, reduction, reductions):
    """Checked (logits, target, reduction, class axis) of cross_entropy and its gradient."""
    logits = _check_array(logits, "logits")
    if logits.ndim < 1:
        raise ValueError(f"logits must have at least 1 dimension (K,), got shape {logits.shape}")
    reduction = _check_choice(reduction, "reduction", reductions)
    class_axis = 1 if logits.ndim > 1 else 0
    if logits.shape[class_axis] == 0:  # torch: an index error, or NaN
        raise ValueError(
            f"logits must have at least one class (K >= 1 along axis {class_axis}), "
            f"got shape {logits.shape}"
        )
    return logits, _check_target(target, logits, class_axis), reduction, class_axis


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
        The mean or sum loss, or the per-sample losses for ``reduction='none'``. As in
        torch, an empty batch gives a mean of NaN and a sum of 0; a logit of ``-inf`` on the
        target class gives ``inf``, and a probability target of 0 against a ``-inf`` logit
        gives NaN (``0 * -inf``).

    Examples
    --------
    >>> logits = np.array([[2.5, 1.8, 0.2], [0.0, 0.0, 0.0]])
    >>> cross_entropy(logits, [0, 2], reduction="none").round(4)     # -log 0.626, -log(1/3)
    array([0.468 , 1.0986])
    >>> float(cross_entropy([1000.0, -1000.0], 1))
    2000.0
    """
    logits, target, reduction, class_axis = _cross_entropy_args(
        logits, target, reduction, ("mean", "sum", "none")
    )
    log_p = _log_softmax(logits, class_axis)
    with np.errstate(**_IEEE):
        if target.dtype.kind == "f":
            losses = -(target.astype(log_p.dtype, copy=False) * log_p).sum(axis=class_axis)
        else:
            index = np.expand_dims(target, class_axis)
            losses = -np.squeeze(np.take_along_axis(log_p, index, class_axis), axis=class_axis)
        if reduction == "none":
            return losses
        if reduction == "sum":
            return losses.sum()
        return losses.mean() if losses.size else losses.dtype.type(np.nan)


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
        Shape of ``logits``. Non-finite logits as in torch: a ``-inf`` logit has probability
        0 (a gradient of 0, or -1 on its target class); ``+inf`` or NaN make their sample's
        gradient NaN.

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
    logits, target, reduction, class_axis = _cross_entropy_args(
        logits, target, reduction, ("mean", "sum")
    )
    grad = np.exp(_log_softmax(logits, class_axis))
    if target.dtype.kind == "f":
        grad -= target.astype(grad.dtype, copy=False)
    else:
        picked = np.expand_dims(target, class_axis)
        np.put_along_axis(
            grad, picked, np.take_along_axis(grad, picked, class_axis) - 1, class_axis
        )
    if reduction == "mean" and grad.size:
        grad /= logits.size // logits.shape[class_axis]
    return grad
