"""Kernel-free explorers: self-contained HTML, CSS and JavaScript that run in the browser alone.

An ipywidgets slider needs a live Python kernel to recompute anything, so in a static page (the
built book, a shared HTML export) it is frozen at its first view. The explorers here carry their
whole logic in the page instead: one HTML output with an inline ``<style>``, inline SVG and an
inline ``<script>`` (no modules, no require.js, no CDN, no network), which works alike in
JupyterLab, Colab, VS Code and the book.

Every output gets its own element id, and its script looks elements up only under that id, so
several explorers can share one page. Elements carry stable hooks for tests and readers:
``input[data-param="s"]`` for the sliders, ``.cnnviz-output-size`` for the output size,
``.cnnviz-formula`` for the formula with the numbers substituted.

:func:`animation_html` does the same for a matplotlib animation: matplotlib's JavaScript player
with its frames embedded, minus the stylesheet it would fetch from a CDN for its button icons.

The arithmetic is that of :func:`cnnviz.ops.conv_output_size`, in the symbols of Dumoulin &
Visin, *A guide to convolution arithmetic for deep learning*::

    o = floor((i + 2p - d(k - 1) - 1) / s) + 1
"""

from __future__ import annotations

import functools
import html
import json
import numbers
import re
import uuid
from importlib import resources

from cnnviz.ops import conv_output_size

__all__ = [
    "ArithmeticExplorer",
    "arithmetic_explorer",
    "formula_text",
    "PARAM_RANGES",
    "AnimationHTML",
    "animation_html",
]

#: Slider ranges ``(min, max)``, inclusive, of the arithmetic explorer's parameters.
PARAM_RANGES = {"i": (1, 16), "k": (1, 7), "p": (0, 5), "s": (1, 5), "d": (1, 4)}

_PARAM_NAMES = {
    "i": "input size",
    "k": "kernel size",
    "p": "padding",
    "s": "stride",
    "d": "dilation",
}

_MINUS = "\u2212"
_CONFIG_PLACEHOLDER = "__CNNVIZ_CONFIG__"


@functools.cache
def _asset(name):
    """Text of ``cnnviz/explorer_<name>`` (package data: the explorers' JavaScript and CSS)."""
    return resources.files("cnnviz").joinpath(f"explorer_{name}").read_text(encoding="utf-8")


def _check_param(value, name):
    """Return ``value`` as an int inside ``PARAM_RANGES[name]``, or raise naming the argument."""
    low, high = PARAM_RANGES[name]
    if not isinstance(value, numbers.Integral) or isinstance(value, bool):
        raise TypeError(f"{name} ({_PARAM_NAMES[name]}) must be an int, got {value!r}")
    if not low <= value <= high:
        raise ValueError(
            f"{name} ({_PARAM_NAMES[name]}) must be between {low} and {high} "
            f"(the slider's range), got {value}"
        )
    return int(value)


def _num(x):
    """An integer as text, with a true minus sign for negative numbers."""
    return f"{_MINUS}{-x}" if x < 0 else str(x)


def formula_text(i, k, p=0, s=1, d=1):
    """The output-size formula with the numbers substituted, as the explorer shows it.

    The last number is ``o``; when it is 0 or negative the kernel does not fit.

    Examples
    --------
    >>> print(formula_text(5, 3))
    o = ⌊(i + 2p − d(k−1) − 1) / s⌋ + 1 = ⌊(5 + 2·0 − 1·(3−1) − 1) / 1⌋ + 1 = ⌊2 / 1⌋ + 1 = 3
    >>> formula_text(7, 3, p=1, s=2).endswith("= ⌊6 / 2⌋ + 1 = 4")
    True
    """
    top = i + 2 * p - d * (k - 1) - 1
    o = top // s + 1  # floor division: the floor of the formula, also for negative tops
    return (
        f"o = ⌊(i + 2p {_MINUS} d(k{_MINUS}1) {_MINUS} 1) / s⌋ + 1"
        f" = ⌊({i} + 2·{p} {_MINUS} {d}·({k}{_MINUS}1) {_MINUS} 1) / {s}⌋ + 1"
        f" = ⌊{_num(top)} / {s}⌋ + 1 = {_num(o)}"
    )


class ArithmeticExplorer:
    """A convolution-arithmetic explorer; display it (Jupyter calls ``_repr_html_``).

    Build one with :func:`arithmetic_explorer`. ``params`` holds the initial values, ``html``
    the complete output, ``element_id`` the id of its root element.
    """

    def __init__(self, i=5, k=3, p=0, s=1, d=1):
        self.params = {
            name: _check_param(value, name)
            for name, value in zip("ikpsd", (i, k, p, s, d), strict=True)
        }
        self.element_id = f"cnnviz-arith-{uuid.uuid4().hex[:12]}"
        self.html = _render(self.element_id, self.params)

    @property
    def output_size(self):
        """``o`` for the initial parameters, or ``None`` when the kernel does not fit."""
        try:
            return conv_output_size(**self.params)
        except ValueError:
            return None

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
    numbers substituted, or "kernel does not fit" when ``o <= 0``. Everything is recomputed in
    the browser, so the sliders work in a static page too.

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
    ValueError: s (stride) must be between 1 and 5 (the slider's range), got 0
    """
    return ArithmeticExplorer(i=i, k=k, p=p, s=s, d=d)


def _slider(name, value):
    low, high = PARAM_RANGES[name]
    label = _PARAM_NAMES[name]
    return (
        '<label class="cnnviz-arith-control">'
        f'<span class="cnnviz-arith-sym">{name}</span>'
        f'<span class="cnnviz-arith-name">{html.escape(label)}</span>'
        f'<input type="range" min="{low}" max="{high}" step="1" value="{value}" '
        f'data-param="{name}" aria-label="{name}, {html.escape(label)}">'
        f'<output class="cnnviz-arith-value" data-value-for="{name}">{value}</output>'
        "</label>"
    )


def _legend_item(fill, edge, text, dashed=False):
    style = f"background:{fill};border-color:{edge}" + (";border-style:dashed" if dashed else "")
    return f'<span><i class="cnnviz-arith-swatch" style="{style}"></i>{html.escape(text)}</span>'


def _script_json(value):
    """JSON that is safe inside an inline ``<script>``: no ``<``, ``>`` or ``&`` characters."""
    text = json.dumps(value, sort_keys=True)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _render(element_id, params):
    i, k, p, s, d = (params[name] for name in "ikpsd")
    data_o = (i + 2 * p - d * (k - 1) - 1) // s + 1  # the formula's o, also when o <= 0
    o = conv_output_size(i, k, p, s, d) if data_o >= 1 else None
    size_text = str(o) if o is not None else "kernel does not fit"
    shape_text = f"→ a {o} × {o} output" if o is not None else ""
    config = {"id": element_id, "params": params}
    script = _asset("arithmetic.js").replace(_CONFIG_PLACEHOLDER, _script_json(config))
    if "</" in script:  # it would end the inline <script> early; the template writes "<\\/"
        raise RuntimeError("the explorer's script must not contain '</'")
    sliders = "".join(_slider(name, value) for name, value in params.items())
    legend = "".join(
        [
            _legend_item("#dbeafe", "#60a5fa", "input (i × i)"),
            _legend_item("#f8fafc", "#94a3b8", "zero padding (p on each side)", dashed=True),
            _legend_item("#f97316", "#c2410c", "kernel taps of one window"),
            _legend_item("#fee2e2", "#dc2626", "never reached"),
            _legend_item("#dcfce7", "#4ade80", "output cells"),
            '<span><i class="cnnviz-arith-swatch" style="background:#94a3b8;border-color:#94a3b8;'
            'border-radius:50%"></i>window starts (every s cells)</span>',
        ]
    )
    nofit = "" if o is not None else " cnnviz-arith--nofit"
    return (
        f'<div class="cnnviz-arith cnnviz-explorer{nofit}" id="{element_id}" data-o="{data_o}">'
        f"<style>{_asset('arithmetic.css')}</style>"
        '<div class="cnnviz-arith-title">Convolution arithmetic: input size, kernel, padding, '
        "stride, dilation</div>"
        '<div class="cnnviz-arith-subtitle">Move the sliders: this runs in your browser, no '
        "Python needed. A square input and kernel are drawn; height and width each follow the "
        "same rule.</div>"
        f'<div class="cnnviz-arith-controls">{sliders}</div>'
        '<div class="cnnviz-arith-buttons">'
        '<button type="button" data-action="play">▶ Play</button>'
        '<button type="button" data-action="next">Next window ▸</button>'
        "<span>or hover over an output cell to see the window that computes it.</span></div>"
        '<svg class="cnnviz-arith-svg" xmlns="http://www.w3.org/2000/svg" role="img" '
        'aria-label="padded input, kernel window and output grid"></svg>'
        f'<div class="cnnviz-arith-legend">{legend}</div>'
        '<div class="cnnviz-arith-result" aria-live="polite">'
        '<div class="cnnviz-arith-size">Output size: o = '
        f'<span class="cnnviz-output-size">{size_text}</span> '
        f'<span class="cnnviz-arith-shape">{shape_text}</span></div>'
        f'<div class="cnnviz-formula">{html.escape(formula_text(**params))}</div>'
        '<div class="cnnviz-message"></div>'
        "</div>"
        f"<script>{script}</script>"
        "</div>"
    )


# ---------------------------------------------------------------------------------------------
# Matplotlib animations without a CDN
# ---------------------------------------------------------------------------------------------

# matplotlib's jshtml player links Font Awesome 4.4 from a CDN for its nine button icons. We drop
# the link and draw the icons as inline SVG (16 x 16 paths, in the button's text colour), so the
# player looks the same offline, in Colab (which has no Font Awesome) and in the book.
_FONT_AWESOME_LINK = re.compile(r"<link\b[^>]*font-awesome[^>]*>\s*", re.IGNORECASE)
_FA_ICON = re.compile(r'<i class="fa (fa-[a-z-]+(?: fa-flip-horizontal)?)"></i>')
_ICON_PATHS = {
    "fa-minus": "M2 7h12v2H2z",
    "fa-plus": "M7 2h2v5h5v2H9v5H7V9H2V7h5z",
    "fa-fast-backward": "M15 2 9 8l6 6zM9 2 3 8l6 6zM1 2h2v12H1z",
    "fa-step-backward": "M14 2 6 8l8 6zM2 2h3v12H2z",
    "fa-play fa-flip-horizontal": "M12 2 2 8l10 6z",
    "fa-pause": "M3 2h3.5v12H3zm6.5 0H13v12H9.5z",
    "fa-play": "M4 2l10 6-10 6z",
    "fa-step-forward": "M2 2l8 6-8 6zm9 0h3v12h-3z",
    "fa-fast-forward": "M1 2l6 6-6 6zm6 0 6 6-6 6zm6 0h2v12h-2z",
}


def _svg_icon(match):
    path = _ICON_PATHS.get(match.group(1))
    if path is None:
        return match.group(0)
    return (
        '<svg class="cnnviz-anim-icon" width="1em" height="1em" viewBox="0 0 16 16" '
        f'aria-hidden="true" style="vertical-align:-0.125em"><path fill="currentColor" d="{path}"/>'
        "</svg>"
    )


class AnimationHTML:
    """A matplotlib animation as one self-contained HTML output; see :func:`animation_html`."""

    def __init__(self, html_text, frames):
        self.html = html_text
        self.frames = frames

    def _repr_html_(self):
        return self.html

    def __repr__(self):
        return f"AnimationHTML(frames={self.frames})"


def animation_html(animation, fps=None, default_mode=None):
    """A matplotlib animation as a JavaScript player that needs no kernel and no network.

    ``animation.to_jshtml()`` embeds every frame as a PNG and adds a small player, but it also
    links a Font Awesome stylesheet on a CDN for the button icons: offline the request fails,
    and where Font Awesome is absent (Colab) the buttons are blank. This keeps the player and
    draws the icons as inline SVG instead.

    Parameters
    ----------
    animation : matplotlib.animation.Animation
        For example the result of :func:`cnnviz.viz.animate_conv`.
    fps : float, optional
        Frames per second; by default the animation's own interval.
    default_mode : {"loop", "once", "reflect"}, optional
        What the player does at the last frame; matplotlib's default follows ``repeat``.

    Returns
    -------
    AnimationHTML
        Displays itself as the player; ``.html`` is the HTML, ``.frames`` the frame count.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> from matplotlib.animation import FuncAnimation
    >>> fig, ax = plt.subplots(figsize=(1, 1), dpi=20)
    >>> anim = FuncAnimation(fig, lambda t: [], frames=3)
    >>> player = animation_html(anim)
    >>> player
    AnimationHTML(frames=3)
    >>> "font-awesome" in player.html, 'class="fa ' in player.html
    (False, False)
    >>> plt.close(fig)
    """
    if not hasattr(animation, "to_jshtml"):
        raise TypeError(
            f"animation must be a matplotlib Animation (with .to_jshtml()), "
            f"got {type(animation).__name__}"
        )
    # to_jshtml() caches its first result on the animation and then ignores its arguments;
    # set the cache aside so that fps and default_mode apply, and put it back afterwards.
    cached = vars(animation).pop("_html_representation", None)
    try:
        html_text = animation.to_jshtml(fps=fps, default_mode=default_mode)
    finally:
        if cached is not None:
            animation._html_representation = cached
    html_text = _FONT_AWESOME_LINK.sub("", html_text)
    html_text = _FA_ICON.sub(_svg_icon, html_text)
    frames = len(re.findall(r"frames\[\d+\] = ", html_text))
    return AnimationHTML(html_text, frames)
