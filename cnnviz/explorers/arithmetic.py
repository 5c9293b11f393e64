"""The kernel-free convolution-arithmetic explorer: sliders for ``i, k, p, s, d`` in the browser.

The picture and the numbers are recomputed by ``static/arithmetic.js`` on the rules of
``static/core.js``, the JavaScript twin of :mod:`cnnviz.arithmetic`; the first view is written
here, in Python, with :mod:`cnnviz.arithmetic` itself. Stable hooks for tests and readers:
``input[data-param="s"]`` for the sliders, ``.cnnviz-output-size`` for the output size,
``.cnnviz-formula`` for the formula with the numbers filled in, ``.cnnviz-message`` for what
the picture shows (or why there is no output). Like every kernel-free explorer, the root element
carries ``data-cnnviz-explorer="arithmetic"`` and exposes ``root.cnnviz``: ``params`` (``i, k,
p, s, d``), ``set(params)`` (moves the sliders as a reader would, then redraws once), ``input``
(``{shape: [i, i], data}``, all ones), ``output`` (``{shape: [o, o], data}``, row-major
``np.outer(c, c)`` with ``c =`` :func:`cnnviz.arithmetic.coverage`, i.e. ``conv2d`` of ones by
ones; ``null`` when the kernel does not fit) and ``message`` (why there is no output, or ``""``).
"""

from __future__ import annotations

import html

from cnnviz import arithmetic
from cnnviz._checks import check_int
from cnnviz.explorers import _page

__all__ = ["ArithmeticExplorer", "arithmetic_explorer", "PARAM_RANGES"]

#: Slider ranges ``(min, max)``, inclusive, of the arithmetic explorer's parameters.
PARAM_RANGES = {"i": (1, 16), "k": (1, 7), "p": (0, 5), "s": (1, 5), "d": (1, 4)}

_PARAM_NAMES = {
    "i": "input size",
    "k": "kernel size",
    "p": "padding",
    "s": "stride",
    "d": "dilation",
}

_LEGEND = (
    ("input", "input (i × i)"),
    ("padding", "zero padding (p on each side)"),
    ("tap", "kernel taps of one window"),
    ("unreached", "never reached"),
    ("output", "output cells"),
    ("start", "window starts (every s cells)"),
)


class ArithmeticExplorer:
    """A convolution-arithmetic explorer; display it (Jupyter calls ``_repr_html_``).

    Build one with :func:`arithmetic_explorer`.

    Attributes
    ----------
    params : dict
        The initial ``i, k, p, s, d``.
    output_size : int or None
        ``o`` for the initial parameters, or None when the kernel does not fit.
    formula : str
        The formula with the initial numbers filled in, as the explorer shows it.
    html : str
        The complete output.
    element_id : str
        The id of its root element.
    """

    def __init__(self, i=5, k=3, p=0, s=1, d=1):
        self.params = {
            name: check_int(value, f"{name} ({_PARAM_NAMES[name]})", *PARAM_RANGES[name])
            for name, value in zip("ikpsd", (i, k, p, s, d), strict=True)
        }
        self.element_id = _page.new_id("arith")
        self.html = _render(self.element_id, self.params)

    @property
    def output_size(self):
        """``o`` for the initial parameters, or ``None`` when the kernel does not fit."""
        try:
            return arithmetic.output_size(**self.params)
        except arithmetic.KernelDoesNotFitError:
            return None

    @property
    def formula(self):
        """The formula with the initial numbers (:func:`cnnviz.arithmetic.formula_text`)."""
        return arithmetic.formula_text(**self.params)

    def _repr_html_(self):
        return self.html

    def __repr__(self):
        args = ", ".join(f"{name}={value}" for name, value in self.params.items())
        return f"ArithmeticExplorer({args})"


def arithmetic_explorer(i=5, k=3, p=0, s=1, d=1):
    """A kernel-free explorer of ``o = floor((i + 2p - d(k-1) - 1)/s) + 1``, with sliders.

    The explorer draws the ``i x i`` input inside its zero padding, the ``k x k`` taps of one
    kernel window (dilated by ``d``), the start of every window (every ``s`` cells), the rows
    and columns that no window reaches, and the ``o x o`` output; hovering over an output cell
    shows the window that produces it. Below the picture it writes the formula with the
    numbers filled in, or why there is no output when the kernel does not fit. Everything is
    recomputed in the browser, so the sliders work in a static page too.

    Parameters
    ----------
    i, k, p, s, d : int
        Initial input size, kernel size, padding (each side), stride and dilation. Each must
        lie in the slider's range, ``PARAM_RANGES``: i 1-16, k 1-7, p 0-5, s 1-5, d 1-4. A
        kernel that does not fit is allowed: the explorer shows why.

    Returns
    -------
    ArithmeticExplorer
        Displays itself as one self-contained HTML output; ``.html`` is that HTML.

    Raises
    ------
    TypeError
        If a parameter is not an int.
    ValueError
        If a parameter lies outside its slider's range; the message names it.

    Examples
    --------
    >>> explorer = arithmetic_explorer(i=7, k=3, p=1, s=2)
    >>> explorer
    ArithmeticExplorer(i=7, k=3, p=1, s=2, d=1)
    >>> explorer.output_size
    4
    >>> 'input type="range" min="1" max="5" step="1" value="2" data-param="s"' in explorer.html
    True
    >>> arithmetic_explorer(s=0)
    Traceback (most recent call last):
    ...
    ValueError: s (stride) must be between 1 and 5, got 0
    """
    return ArithmeticExplorer(i=i, k=k, p=p, s=s, d=d)


def _render(element_id, params):
    formula_o = arithmetic.formula_o(**params)  # the formula's o, also when o <= 0
    fits = formula_o >= 1
    size_text = str(formula_o) if fits else "kernel does not fit"
    size_label = "Output size: o = " if fits else "No output: the "
    shape_text = f"→ a {formula_o} × {formula_o} output" if fits else ""
    sliders = "".join(
        _page.slider(name, _PARAM_NAMES[name], *PARAM_RANGES[name], value)
        for name, value in params.items()
    )
    legend = "".join(
        f'<span><i class="cnnviz-swatch cnnviz-swatch-{role}"></i>{html.escape(text)}</span>'
        for role, text in _LEGEND
    )
    body = (
        '<div class="cnnviz-title">Convolution arithmetic: input size, kernel, padding, '
        "stride, dilation</div>"
        '<div class="cnnviz-subtitle">Move the sliders: this runs in your browser, no '
        "Python needed. A square input and kernel are drawn; height and width each follow the "
        "same rule.</div>"
        f'<div class="cnnviz-controls">{sliders}</div>'
        '<div class="cnnviz-buttons">'
        '<button type="button" data-action="play">▶ Play</button>'
        '<button type="button" data-action="next">Next window ▸</button>'
        "<span>or hover over an output cell to see the window that computes it.</span></div>"
        '<svg class="cnnviz-svg" xmlns="http://www.w3.org/2000/svg" role="img" '
        'aria-label="padded input, kernel window and output grid"></svg>'
        f'<div class="cnnviz-legend">{legend}</div>'
        '<div class="cnnviz-result" aria-live="polite">'
        f'<div class="cnnviz-size"><span class="cnnviz-size-label">{size_label}</span>'
        f'<span class="cnnviz-output-size">{size_text}</span> '
        f'<span class="cnnviz-shape">{shape_text}</span></div>'
        f'<div class="cnnviz-formula">{html.escape(arithmetic.formula_text(**params))}</div>'
        '<div class="cnnviz-message"></div>'
        "</div>"
    )
    return _page.assemble(
        element_id,
        "arith",
        ["arithmetic.js"],
        body,
        {"params": params},
        classes=() if fits else ("cnnviz-arith--nofit",),
        data={"cnnviz-explorer": "arithmetic", "o": formula_o},
    )
