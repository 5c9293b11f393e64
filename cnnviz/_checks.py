"""One convention for checking arguments, used by every public function of cnnviz.

- A value of the wrong *type* raises ``TypeError``; a value of the right type but outside
  what is allowed raises ``ValueError``.
- Every message reads ``"<name> must be <rule>, got <value>"``, so the reader sees which
  argument to change, what it should be and what it was.
- Checks run once, at the public boundary, and return the value in the form the code behind
  them uses (a plain ``int``, a ``(h, w)`` tuple, a float ndarray).

Integral floats such as ``2.0`` are refused where an int is meant (``TypeError``), as in
``torch.nn.functional``: a float there is almost always a bug upstream (``size / 2``).

Examples
--------
>>> check_int(3, "stride", minimum=1)
3
>>> check_int(0, "stride", minimum=1)
Traceback (most recent call last):
...
ValueError: stride must be positive, got 0
>>> check_int(2.0, "stride")
Traceback (most recent call last):
...
TypeError: stride must be an int, got 2.0
>>> check_choice("mean", "reduction", ("mean", "sum", "none"))
'mean'
"""

from __future__ import annotations

import math
import numbers

import numpy as np

__all__ = [
    "is_int",
    "check_int",
    "check_pair",
    "check_number",
    "check_bool",
    "check_choice",
    "check_array",
    "check_shape",
    "check_strings",
    "choices_text",
]


def is_int(value):
    """True for Python and NumPy integers, False for bools (a bool is no size or count)."""
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def _range_rule(minimum, maximum):
    if maximum is not None and minimum is not None:
        return f"between {minimum} and {maximum}"
    if maximum is not None:
        return f"at most {maximum}"
    return {0: "non-negative", 1: "positive"}.get(minimum, f"at least {minimum}")


def check_int(value, name, minimum=None, maximum=None):
    """Return ``value`` as an ``int`` in ``[minimum, maximum]`` (either bound optional).

    Raises
    ------
    TypeError
        ``value`` is not an integer (bools and floats included).
    ValueError
        ``value`` is outside the bounds.
    """
    if not is_int(value):
        raise TypeError(f"{name} must be an int, got {value!r}")
    low_ok = minimum is None or value >= minimum
    high_ok = maximum is None or value <= maximum
    if not (low_ok and high_ok):
        raise ValueError(f"{name} must be {_range_rule(minimum, maximum)}, got {value}")
    return int(value)


def check_pair(value, name, minimum=1):
    """Return an int or a pair of ints, each at least ``minimum``, as a tuple ``(h, w)``.

    Examples
    --------
    >>> check_pair(2, "stride"), check_pair((1, 3), "stride")
    ((2, 2), (1, 3))
    """
    if is_int(value):
        pair = (int(value), int(value))
    elif isinstance(value, (tuple, list)) and len(value) == 2 and all(map(is_int, value)):
        pair = (int(value[0]), int(value[1]))
    else:
        raise TypeError(f"{name} must be an int or a pair of ints, got {value!r}")
    if min(pair) < minimum:
        raise ValueError(f"{name} must be {_range_rule(minimum, None)}, got {value!r}")
    return pair


def check_number(value, name, minimum=None, maximum=None, positive=False, finite=True):
    """Return a real number as a ``float``, checked against the given bounds.

    ``positive`` asks for a value strictly above 0; ``finite`` (default) refuses inf and NaN.

    Raises
    ------
    TypeError
        ``value`` is not a real number (bools, strings and complex numbers included).
    ValueError
        ``value`` is not finite, or outside the bounds.
    """
    if not isinstance(value, numbers.Real) or isinstance(value, bool):
        raise TypeError(f"{name} must be a real number, got {value!r}")
    value = float(value)
    if finite and not math.isfinite(value):
        raise ValueError(f"{name} must be finite, got {value!r}")
    if positive and not value > 0:
        raise ValueError(f"{name} must be positive, got {value!r}")
    low_ok = minimum is None or value >= minimum
    high_ok = maximum is None or value <= maximum
    if not (low_ok and high_ok):
        rule = _range_rule(minimum, maximum)
        rule = f"at least {minimum}" if rule in ("non-negative", "positive") else rule
        raise ValueError(f"{name} must be {rule}, got {value!r}")
    return value


def check_bool(value, name):
    """Return ``value`` when it is a bool (Python or NumPy), else raise ``TypeError``."""
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be True or False, got {value!r}")
    return bool(value)


def choices_text(choices):
    """``'a', 'b', 'c'``: the allowed values of a choice, as messages write them."""
    return ", ".join(repr(c) for c in choices)


def check_choice(value, name, choices):
    """Return ``value`` when it is one of ``choices``, else raise ``ValueError``.

    Examples
    --------
    >>> check_choice("max", "mode", ("max", "avg"))
    'max'
    >>> check_choice("mid", "mode", ("max", "avg"))
    Traceback (most recent call last):
    ...
    ValueError: mode must be one of 'max', 'avg', got 'mid'
    """
    try:
        found = value in choices
    except TypeError:  # unhashable value against a dict or set
        found = False
    if not found:
        raise ValueError(f"{name} must be one of {choices_text(choices)}, got {value!r}")
    return value


_NDIM_NAMES = {1: "1", 2: "2 (H, W)", 3: "3 (C, H, W)", 4: "4 (N, C, H, W)"}


def _ndim_text(ndims):
    parts = [_NDIM_NAMES.get(n, str(n)) for n in ndims]
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " or " + parts[-1]


def _float_dtype(dtype):
    """The dtype a computation on ``dtype`` returns: floats keep theirs, integers get float64."""
    if dtype.kind == "f":
        return np.dtype(np.float32) if dtype.itemsize < 4 else dtype
    return np.dtype(np.float64)


def check_array(x, name, ndims=None, dtype="float"):
    """Return ``x`` as an ndarray with one of the allowed numbers of dimensions.

    Parameters
    ----------
    x : array_like
    name : str
        The argument's name, for messages.
    ndims : tuple of int, optional
        Allowed numbers of dimensions.
    dtype : {"float", None}
        ``"float"``: real numbers only, returned as floating point (integers and bools as
        float64, float16 as float32). ``None``: any real numeric dtype, unchanged.

    Raises
    ------
    TypeError
        Ragged nested lists, strings, objects or complex numbers.
    ValueError
        A number of dimensions not in ``ndims``.
    """
    try:
        arr = np.asarray(x)
    except ValueError as err:  # ragged nested lists
        raise TypeError(f"{name} must be a rectangular numeric array, got {err}") from None
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"{name} must be a real numeric array, got dtype {arr.dtype}")
    if ndims is not None and arr.ndim not in ndims:
        raise ValueError(f"{name} must have {_ndim_text(ndims)} dimensions, got shape {arr.shape}")
    if dtype == "float":
        arr = arr.astype(_float_dtype(arr.dtype), copy=False)
    return arr


def check_shape(arr, name, expected, why=""):
    """Raise ``ValueError`` unless ``arr.shape == expected`` (``why`` ends the message)."""
    if tuple(arr.shape) != tuple(expected):
        tail = f" {why}" if why else ""
        raise ValueError(f"{name} must have shape {tuple(expected)}{tail}, got {tuple(arr.shape)}")
    return arr


def check_strings(value, name, count=None):
    """Return a list or tuple of strings as a list, of exactly ``count`` items when given.

    Examples
    --------
    >>> check_strings(("cat", "dog"), "labels", count=2)
    ['cat', 'dog']
    """
    items = list(value) if isinstance(value, (list, tuple)) else None
    if items is None or not all(isinstance(item, str) for item in items):
        raise TypeError(f"{name} must be a list or tuple of strings, got {value!r}")
    if count is not None and len(items) != count:
        raise ValueError(f"{name} must have {count} entries, one per class, got {len(items)}")
    return items
