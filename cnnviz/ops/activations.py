"""Activation functions, each beside its derivative, and the one registry of them.

``ACTIVATIONS`` maps a name to an :class:`Activation`: the function, its derivative, a label
and the name of the matching ``torch.nn`` module. :mod:`cnnviz.viz`, :mod:`cnnviz.widgets`
and :mod:`cnnviz.models` read it; the tests check every derivative against autograd once.

Derivatives follow torch's autograd, including at the kinks: ReLU's derivative at 0 is 0,
leaky ReLU's is ``negative_slope``.

Non-finite input: every function maps inf and NaN as torch does (NaN stays NaN; the limits
at +-inf are the limits of the formula, NaN where the formula is ``inf * 0``), without NumPy
warnings. The one difference: ``gelu(+inf)`` is ``+inf`` as in torch's float64 kernel
(torch's float32 erf kernel gives NaN there).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from cnnviz._checks import check_number
from cnnviz.ops._common import _IEEE, _check_array, _check_choice, _check_grad_out

# Activations, softmax and loss
# ---------------------------------------------------------------------------------------------


def relu(x):
    """Rectified linear unit, ``max(x, 0)`` (NaN stays NaN, as in torch).

    Parameters
    ----------
    x : array_like
        Pre-activations, any shape; integers are computed in float64.

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


def relu_derivative(x):
    """Derivative of :func:`relu`: 0 where ``x <= 0``, else 1 (0 at ``x == 0``, 1 at NaN: autograd).

    >>> relu_derivative([-1.0, 0.0, 2.0])
    array([0., 0., 1.])
    """
    x = _check_array(x, "x")
    return (~(x <= 0)).astype(x.dtype)


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
        Same shape as ``x``; NaN stays NaN, ``-inf`` gives ``-inf`` (NaN for a slope of 0).

    Examples
    --------
    >>> leaky_relu([-2.0, 3.0], negative_slope=0.1)
    array([-0.2,  3. ])
    """
    x = _check_array(x, "x")
    negative_slope = check_number(negative_slope, "negative_slope")
    return np.where(x > 0, x, x * x.dtype.type(negative_slope))


def leaky_relu_derivative(x, negative_slope=0.01):
    """Derivative of :func:`leaky_relu`: 1 where ``x > 0``, else ``negative_slope``.

    >>> leaky_relu_derivative([-1.0, 2.0], negative_slope=0.1)
    array([0.1, 1. ])
    """
    x = _check_array(x, "x")
    slope = check_number(negative_slope, "negative_slope")
    return np.where(x > 0, 1, slope).astype(x.dtype, copy=False)


def sigmoid(x):
    """Logistic sigmoid ``1 / (1 + exp(-x))``, computed without overflow for any ``x``.

    Uses ``exp(-|x|)``, which never exceeds 1: ``1 / (1 + e)`` for ``x >= 0`` and
    ``e / (1 + e)`` for ``x < 0``.

    Parameters
    ----------
    x : array_like
        Any shape and real dtype.

    Returns
    -------
    numpy.ndarray
        Same shape as ``x``, values in [0, 1]: 0 at ``-inf``, 1 at ``+inf``, NaN at NaN.

    Examples
    --------
    >>> sigmoid([-1000.0, 0.0, 1000.0])
    array([0. , 0.5, 1. ])
    """
    x = _check_array(x, "x")
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + e), e / (1 + e)).astype(x.dtype, copy=False)


def sigmoid_derivative(x):
    """Derivative of :func:`sigmoid`: ``sigmoid(x) (1 - sigmoid(x))``, at most 0.25 (at 0).

    >>> sigmoid_derivative([0.0])
    array([0.25])
    """
    y = sigmoid(x)
    return y * (1 - y)


def tanh(x):
    """Hyperbolic tangent, ``(e^x - e^-x) / (e^x + e^-x)``.

    Parameters
    ----------
    x : array_like
        Any shape and real dtype; large magnitudes saturate without overflow.

    Returns
    -------
    numpy.ndarray
        Same shape as ``x``, values in [-1, 1]: -1 at ``-inf``, 1 at ``+inf``, NaN at NaN.

    Examples
    --------
    >>> tanh([0.0, 1000.0])
    array([0., 1.])
    """
    x = _check_array(x, "x")
    return np.tanh(x)


def tanh_derivative(x):
    """Derivative of :func:`tanh`: ``1 - tanh(x)^2``, at most 1 (at 0).

    >>> tanh_derivative([0.0])
    array([1.])
    """
    y = tanh(x)
    return 1 - y * y


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
        Same shape as ``x``. ``gelu(+inf) = +inf`` (torch's float32 erf kernel gives NaN, its
        float64 kernel inf); ``gelu(-inf)`` is NaN, as in torch (``-inf * 0``).

    Examples
    --------
    >>> gelu([-3.0, 0.0, 1.0]).round(4)
    array([-0.004 ,  0.    ,  0.8413])
    >>> gelu([1.0], approximate="tanh").round(4)
    array([0.8412])
    """
    x = _check_array(x, "x")
    approximate = _check_choice(approximate, "approximate", ("none", "tanh"))
    with np.errstate(**_IEEE):  # x**3 overflows for huge x; -inf * 0 is NaN, as in torch
        if approximate == "tanh":
            inner = math.sqrt(2 / math.pi) * (x + 0.044715 * x**3)
            return (0.5 * x * (1 + np.tanh(inner))).astype(x.dtype, copy=False)
        from scipy.special import erf

        return (0.5 * x * (1 + erf(x / math.sqrt(2)))).astype(x.dtype, copy=False)


def gelu_derivative(x, approximate="none"):
    """Derivative of :func:`gelu`: ``Phi(x) + x phi(x)`` (``phi`` the standard normal density).

    With ``approximate="tanh"``, the derivative of torch's tanh approximation.

    >>> gelu_derivative([0.0, 10.0]).round(4)
    array([0.5, 1. ])
    """
    x = _check_array(x, "x")
    approximate = _check_choice(approximate, "approximate", ("none", "tanh"))
    with np.errstate(**_IEEE):  # at +-inf the formula is inf * 0 = NaN, as in torch
        if approximate == "tanh":
            c = math.sqrt(2 / math.pi)
            t = np.tanh(c * (x + 0.044715 * x**3))
            slope = c * (1 + 3 * 0.044715 * x**2)
            return (0.5 * (1 + t) + 0.5 * x * (1 - t * t) * slope).astype(x.dtype, copy=False)
        from scipy.special import erf

        cdf = 0.5 * (1 + erf(x / math.sqrt(2)))
        pdf = np.exp(-0.5 * x * x) / math.sqrt(2 * math.pi)
        return (cdf + x * pdf).astype(x.dtype, copy=False)


@dataclass(frozen=True)
class Activation:
    """One activation of the registry: the function, its derivative and how to name it.

    Attributes
    ----------
    name : str
        The key in ``ACTIVATIONS`` and the function's name in :mod:`cnnviz.ops`.
    label : str
        How figures and widgets title it ("leaky ReLU").
    function, derivative : callable
        ``f(x, **options)`` and ``f'(x, **options)`` on arrays, same shape out.
    torch_module : str
        The matching ``torch.nn`` class name ("ReLU", "LeakyReLU", ...).
    options : dict
        Keyword options both accept, with their defaults (``negative_slope``).
    """

    name: str
    label: str
    function: Callable
    derivative: Callable
    torch_module: str
    options: dict = field(default_factory=dict)

    def __call__(self, x, **options):
        return self.function(x, **options)


#: name -> :class:`Activation`, in the order the book introduces them.
ACTIVATIONS = {
    a.name: a
    for a in (
        Activation("relu", "ReLU", relu, relu_derivative, "ReLU"),
        Activation(
            "leaky_relu",
            "leaky ReLU",
            leaky_relu,
            leaky_relu_derivative,
            "LeakyReLU",
            {"negative_slope": 0.01},
        ),
        Activation("sigmoid", "sigmoid", sigmoid, sigmoid_derivative, "Sigmoid"),
        Activation("tanh", "tanh", tanh, tanh_derivative, "Tanh"),
        Activation("gelu", "GELU", gelu, gelu_derivative, "GELU", {"approximate": "none"}),
    )
}


def relu_backward(grad_out, x):
    """Gradient of :func:`relu`: ``grad_out`` where ``x > 0``, zero elsewhere.

    A ReLU is a gate: it passes the gradient of the units that were on and stops the others
    (at ``x == 0`` the gradient is taken as 0, as in torch). As in torch, the gate is closed
    where ``x <= 0``: a unit whose input was NaN passes its gradient, and a NaN or inf
    gradient of a unit that was off stays blocked.

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
    gate = ~(x <= 0)  # open where x > 0, and where x is NaN (torch's threshold_backward)
    if not np.isfinite(grad_out).all():
        # A gate, not a product: a NaN gradient of a unit that was off stays blocked.
        return np.where(gate, grad_out, 0).astype(dtype, copy=False)
    # With finite gradients the product is the gate, and several times faster than a select;
    # adding 0 turns the -0.0 of negative gradients times 0 into 0.0.
    grad = np.multiply(grad_out, gate, dtype=dtype)
    return np.add(grad, 0, out=grad)
