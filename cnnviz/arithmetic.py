"""Convolution arithmetic: every size rule of the book, computed in one place.

The symbols are those of Dumoulin & Visin, *A guide to convolution arithmetic for deep
learning* (2016): along one axis an input of length ``i``, padded by ``p`` on each side and
scanned by a kernel of size ``k`` with stride ``s`` and dilation ``d``, gives

    o = floor((i + 2p - d(k - 1) - 1) / s) + 1                        (convolution)
    o = (i - 1)s - 2p + d(k - 1) + output_padding + 1                  (transposed)

Pooling windows obey the convolution rule. :mod:`cnnviz.ops`, :mod:`cnnviz.viz`,
:mod:`cnnviz.widgets` and the kernel-free explorers all call the functions here, and the
explorers' JavaScript is tested against :func:`table`, so the two languages cannot drift.

- :func:`output_size`, :func:`transpose_output_size`: the rules, checked.
- :func:`extent`, :func:`formula_o`, :func:`unreached`: the pieces (``formula_o`` is the raw
  formula, which is 0 or negative when the kernel does not fit).
- :func:`check_fits`: raises :class:`KernelDoesNotFitError`, which carries its facts.
- :func:`formula_text`: the formula with the numbers filled in, in the styles the book uses.
- :func:`coverage`: how many (input pixel, tap) pairs meet at each output position.

Examples
--------
>>> output_size(5, 3, p=1, s=2)
3
>>> print(formula_text(5, 3, p=1, s=2))
o = ⌊(i + 2p − d(k − 1) − 1) / s⌋ + 1 = ⌊(5 + 2·1 − 1·(3 − 1) − 1) / 2⌋ + 1 = ⌊4 / 2⌋ + 1 = 3
"""

from __future__ import annotations

import itertools

import numpy as np

from cnnviz._checks import check_bool, check_choice, check_int, check_pair

__all__ = [
    "KernelDoesNotFitError",
    "extent",
    "formula_o",
    "output_size",
    "transpose_output_size",
    "transpose_formula_o",
    "unreached",
    "check_fits",
    "formula_text",
    "coverage",
    "table",
    "TABLE_RANGES",
    "FORMULA",
    "TRANSPOSE_FORMULA",
    "STYLES",
]

MINUS = "\u2212"
#: The two rules in symbols, as every figure, widget and explorer prints them.
FORMULA = f"o = ⌊(i + 2p {MINUS} d(k {MINUS} 1) {MINUS} 1) / s⌋ + 1"
TRANSPOSE_FORMULA = f"o = (i {MINUS} 1)s {MINUS} 2p + d(k {MINUS} 1) + output_padding + 1"
#: The styles of :func:`formula_text`.
STYLES = ("full", "numbers", "rule")


def _num(x):
    """An integer as text, with a true minus sign for negative numbers."""
    return f"{MINUS}{-x}" if x < 0 else str(x)


def _text(value):
    """An int or a tuple of ints as messages print it: ``5`` or ``(5, 3)``."""
    return str(tuple(value)) if isinstance(value, (tuple, list)) else str(value)


class KernelDoesNotFitError(ValueError):
    """A (dilated) kernel is longer than the padded input it slides over.

    A ``ValueError`` that carries its facts, so that a widget or an explorer can explain the
    failure without re-deriving the rule. Each attribute is an int (one axis) or a pair
    ``(h, w)``.

    Attributes
    ----------
    kernel, dilation : int or tuple
        Kernel size ``k`` and dilation ``d``.
    extent : int or tuple
        The span of the dilated kernel, ``d(k - 1) + 1``.
    padded : int or tuple
        The padded input length ``i + 2p`` it had to fit in.
    what : str
        What the kernel slides over ("padded input" unless said otherwise).
    """

    def __init__(self, kernel, dilation, extent, padded, what="padded input"):
        self.kernel, self.dilation, self.extent = kernel, dilation, extent
        self.padded, self.what = padded, what
        super().__init__(
            f"kernel {_text(kernel)} with dilation {_text(dilation)} does not fit the {what} "
            f"{_text(padded)}: it spans {_text(extent)}"
        )


def extent(k, d=1):
    """Span of a kernel of size ``k`` with dilation ``d``: ``d(k - 1) + 1`` pixels.

    >>> extent(3, 2)
    5
    """
    return check_int(d, "d", 1) * (check_int(k, "k", 1) - 1) + 1


def formula_o(i, k, p=0, s=1, d=1):
    """The convolution formula's ``o``, unchecked: 0 or negative when the kernel does not fit.

    Floor division, so the floor holds for negative numerators too.

    >>> formula_o(3, 5)
    -1
    """
    i, k, p, s, d = _check_sizes(i, k, p, s, d)
    return (i + 2 * p - d * (k - 1) - 1) // s + 1


def transpose_formula_o(i, k, p=0, s=1, d=1, output_padding=0):
    """The transposed formula's ``o``, unchecked (0 or negative when the padding crops all)."""
    i, k, p, s, d = _check_sizes(i, k, p, s, d)
    output_padding = check_int(output_padding, "output_padding", 0)
    return (i - 1) * s - 2 * p + d * (k - 1) + output_padding + 1


def _check_sizes(i, k, p, s, d):
    return (
        check_int(i, "i", 1),
        check_int(k, "k", 1),
        check_int(p, "p", 0),
        check_int(s, "s", 1),
        check_int(d, "d", 1),
    )


def check_fits(size, kernel, dilation=1, what="padded input"):
    """Raise :class:`KernelDoesNotFitError` unless the dilated kernel fits in ``size``.

    Arguments are ints (one axis) or pairs ``(h, w)``; ``size`` is already padded.

    Examples
    --------
    >>> check_fits((3, 3), (5, 5))
    Traceback (most recent call last):
    ...
    cnnviz.arithmetic.KernelDoesNotFitError: kernel (5, 5) with dilation (1, 1) does not fit \
the padded input (3, 3): it spans (5, 5)
    """
    pairs = isinstance(size, (tuple, list))
    check = check_pair if pairs else check_int
    size, kernel, dilation = (
        check(size, "size"),
        check(kernel, "kernel"),
        check(dilation, "dilation"),
    )
    what = check_choice(what, "what", ("padded input", "input", "padded image"))
    sizes, kernels = (size, kernel) if pairs else ((size,), (kernel,))
    dilations = dilation if pairs else (dilation,)
    spans = tuple(d * (k - 1) + 1 for k, d in zip(kernels, dilations, strict=True))
    if any(e > n for e, n in zip(spans, sizes, strict=True)):
        if not pairs:
            spans, dilations = spans[0], dilations[0]
        raise KernelDoesNotFitError(
            tuple(kernel) if pairs else kernel,
            tuple(dilations) if pairs else dilations,
            spans,
            tuple(size) if pairs else size,
            what,
        )


def output_size(i, k, p=0, s=1, d=1):
    """Output length of a convolution along one axis: ``floor((i + 2p - d(k-1) - 1) / s) + 1``.

    Parameters
    ----------
    i : int
        Input length, at least 1.
    k : int
        Kernel size, at least 1.
    p : int, default 0
        Zero padding added to *each* side, at least 0.
    s : int, default 1
        Stride, at least 1.
    d : int, default 1
        Dilation, at least 1 (``d - 1`` gaps between kernel taps).

    Returns
    -------
    int
        The output length ``o``, at least 1.

    Raises
    ------
    TypeError
        An argument is not an int.
    ValueError
        An argument is out of range, or (:class:`KernelDoesNotFitError`) the dilated kernel,
        of extent ``d(k-1) + 1``, is longer than the padded input ``i + 2p``.

    Examples
    --------
    >>> output_size(5, 3)          # 5x5 image, 3x3 kernel, no padding
    3
    >>> output_size(5, 3, p=1)     # "same" padding keeps the size
    5
    >>> output_size(7, 3, p=1, s=2)
    4
    >>> output_size(7, 3, d=2)     # a dilated 3-tap kernel spans 5 pixels
    3
    """
    i, k, p, s, d = _check_sizes(i, k, p, s, d)
    check_fits(i + 2 * p, k, d)
    return formula_o(i, k, p, s, d)


def transpose_output_size(i, k, p=0, s=1, d=1, output_padding=0):
    """Output length of a transposed convolution: ``(i-1)s - 2p + d(k-1) + output_padding + 1``.

    It undoes :func:`output_size`: a convolution with the same ``k, p, s, d`` maps the result
    back to ``i``. When the forward stride dropped a remainder, several input lengths map to
    the same ``o``; ``output_padding`` (smaller than ``s`` or ``d``, as in
    ``torch.nn.ConvTranspose2d``) picks which one.

    Raises
    ------
    TypeError
        An argument is not an int.
    ValueError
        An argument is out of range, ``output_padding >= max(s, d)``, or the padding crops
        the whole output.

    Examples
    --------
    >>> transpose_output_size(3, 3)              # undoes 5 -> 3
    5
    >>> transpose_output_size(4, 3, p=1, s=2)     # 7 -> 4 with stride 2 ...
    7
    >>> transpose_output_size(4, 3, p=1, s=2, output_padding=1)   # ... and 8 -> 4 too
    8
    """
    i, k, p, s, d = _check_sizes(i, k, p, s, d)
    output_padding = check_int(output_padding, "output_padding", 0)
    if output_padding >= max(s, d):
        raise ValueError(
            f"output_padding must be smaller than the stride s={s} or the dilation d={d}, "
            f"got {output_padding}"
        )
    o = transpose_formula_o(i, k, p, s, d, output_padding)
    if o < 1:
        raise ValueError(f"p must leave an output of at least 1, got p={p} (o would be {o})")
    return o


def unreached(i, k, p=0, s=1, d=1):
    """Rows (or columns) at the end of the padded input that no window reaches.

    ``(i + 2p - d(k - 1) - 1) mod s`` when the kernel fits, else 0: the remainder that the
    floor in :func:`output_size` drops.

    >>> unreached(6, 3, s=2), unreached(7, 3, s=2)
    (1, 0)
    """
    i, k, p, s, d = _check_sizes(i, k, p, s, d)
    top = i + 2 * p - d * (k - 1) - 1
    return top % s if top >= 0 else 0


def formula_text(i, k, p=0, s=1, d=1, *, transposed=False, output_padding=0, style="full"):
    """The output-size formula with the numbers filled in: the one renderer of the book.

    Styles: ``"full"`` (the rule, the numbers, the simplified fraction and ``o``),
    ``"numbers"`` (the numbers and ``o``) and ``"rule"`` (the symbols only). When there is no
    output the text ends with ``" → no output"``. It does not check its arguments beyond their
    types: it also explains the impossible settings.

    Examples
    --------
    >>> print(formula_text(5, 3))
    o = ⌊(i + 2p − d(k − 1) − 1) / s⌋ + 1 = ⌊(5 + 2·0 − 1·(3 − 1) − 1) / 1⌋ + 1 = ⌊2 / 1⌋ + 1 = 3
    >>> print(formula_text(128, 3, p=1, s=2, style="numbers"))
    o = ⌊(128 + 2·1 − 1·(3 − 1) − 1) / 2⌋ + 1 = 64
    >>> print(formula_text(3, 5, style="numbers"))
    o = ⌊(3 + 2·0 − 1·(5 − 1) − 1) / 1⌋ + 1 = −1 → no output
    >>> print(formula_text(64, 3, p=1, s=2, transposed=True, output_padding=1, style="numbers"))
    o = (64 − 1)·2 − 2·1 + 1·(3 − 1) + 1 + 1 = 128
    """
    i, k, p, s, d = _check_sizes(i, k, p, s, d)
    transposed = check_bool(transposed, "transposed")
    output_padding = check_int(output_padding, "output_padding", 0)
    style = check_choice(style, "style", STYLES)
    if transposed:
        rule, o = TRANSPOSE_FORMULA, transpose_formula_o(i, k, p, s, d, output_padding)
        numbers = f"({i} {MINUS} 1)·{s} {MINUS} 2·{p} + {d}·({k} {MINUS} 1) + {output_padding} + 1"
        simplified = ""
    else:
        rule, o = FORMULA, formula_o(i, k, p, s, d)
        numbers = f"⌊({i} + 2·{p} {MINUS} {d}·({k} {MINUS} 1) {MINUS} 1) / {s}⌋ + 1"
        simplified = f" = ⌊{_num(i + 2 * p - d * (k - 1) - 1)} / {s}⌋ + 1"
    if style == "rule":
        return rule
    tail = f" = {_num(o)}" + ("" if o >= 1 else " → no output")
    if style == "numbers":
        return f"o = {numbers}{tail}"
    return f"{rule} = {numbers}{simplified}{tail}"


def coverage(i, k, p=0, s=1, d=1, *, transposed=False, output_padding=0):
    """How many (input pixel, kernel tap) pairs meet at each output position, along one axis.

    Convolution: output ``o`` reads input ``o*s - p + t*d`` for taps ``t``; transposed
    convolution: input ``a`` writes output ``a*s - p + t*d``. Padding contributes nothing.
    ``np.outer(c, c)`` of the result is ``conv2d(ones, ones)`` (or its transpose): uneven
    values in the transposed case are the overlaps behind checkerboard artifacts.

    Returns
    -------
    numpy.ndarray
        Float64, of length ``o`` (empty when there is no output).

    >>> coverage(5, 3, p=1).tolist()
    [2.0, 3.0, 3.0, 3.0, 2.0]
    """
    i, k, p, s, d = _check_sizes(i, k, p, s, d)
    transposed = check_bool(transposed, "transposed")
    output_padding = check_int(output_padding, "output_padding", 0)
    a = np.arange(i)[:, None]
    t = np.arange(k)[None, :]
    if transposed:
        size = max(transpose_formula_o(i, k, p, s, d, output_padding), 0)
        positions = (a * s - p + t * d).ravel()
        positions = positions[(positions >= 0) & (positions < size)]
        return np.bincount(positions, minlength=size).astype(np.float64)
    o = np.arange(max(formula_o(i, k, p, s, d), 0))[:, None]
    reads = o * s - p + t * d
    return ((reads >= 0) & (reads < i)).sum(axis=1).astype(np.float64)


#: The settings :func:`table` covers: i, k, p, s, d.
TABLE_RANGES = (range(1, 9), range(1, 6), range(0, 4), range(1, 4), range(1, 4))


def table():
    """Every setting of a grid with its sizes and texts: the reference for the JavaScript core.

    The grid is ``TABLE_RANGES`` (1,440 settings, impossible ones included).

    Returns
    -------
    list of dict
        One row per ``(i, k, p, s, d)`` with ``o`` (:func:`formula_o`), ``fits``,
        ``unreached``, ``formula`` (``style="full"``) and ``numbers`` (``style="numbers"``).

    >>> rows = table()
    >>> len(rows), rows[0]["numbers"]
    (1440, 'o = ⌊(1 + 2·0 − 1·(1 − 1) − 1) / 1⌋ + 1 = 1')
    """
    rows = []
    for ii, kk, pp, ss, dd in itertools.product(*TABLE_RANGES):
        args = (ii, kk, pp, ss, dd)
        o = formula_o(*args)
        rows.append(
            dict(
                i=ii,
                k=kk,
                p=pp,
                s=ss,
                d=dd,
                o=o,
                fits=o >= 1,
                unreached=unreached(*args),
                formula=formula_text(*args),
                numbers=formula_text(*args, style="numbers"),
            )
        )
    return rows
