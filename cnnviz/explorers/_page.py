"""Page assembly for the kernel-free explorers: one self-contained HTML output each.

An explorer is one ``<div class="cnnviz-explorer cnnviz-<kind>" id="...">`` holding

- an inline ``<style>``: the palette (:func:`cnnviz.palette.css_variables`) as custom
  properties of ``.cnnviz-explorer``, then ``static/explorers.css``, which takes every colour
  from them;
- the explorer's HTML (controls from :func:`slider`, an SVG, the result);
- an inline ``<script>``: ``static/core.js`` (the arithmetic of :mod:`cnnviz.arithmetic`, as
  ``cnnvizCore``) and the explorer's own script, inside one function that holds ``CONFIG``
  (the element id and the initial settings, as JSON that cannot end the script early).

No modules, no require.js, no CDN, no network: the output works alike in JupyterLab, Colab,
VS Code and the built book. Every output gets its own id (:func:`new_id`) and its script looks
elements up only under that id, so several explorers can share one page. A new explorer adds
its script to ``static/`` and its style rules to ``explorers.css`` (scoped to its ``cnnviz-<kind>``
class), and calls :func:`assemble`.
"""

from __future__ import annotations

import functools
import html
import json
import uuid
from importlib import resources

from cnnviz.palette import css_variables

__all__ = ["new_id", "static_text", "script_json", "slider", "assemble"]


def new_id(kind):
    """A fresh element id, ``cnnviz-<kind>-<12 hex digits>``, unique per output."""
    return f"cnnviz-{kind}-{uuid.uuid4().hex[:12]}"


@functools.cache
def static_text(name):
    """Text of ``cnnviz/explorers/static/<name>`` (package data)."""
    return resources.files("cnnviz.explorers").joinpath("static", name).read_text("utf-8")


def script_json(value):
    """JSON that is safe inside an inline ``<script>``: no ``<``, ``>`` or ``&`` characters.

    >>> script_json({"text": "</script>"})
    '{"text": "\\\\u003c/script\\\\u003e"}'
    """
    text = json.dumps(value, sort_keys=True)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def slider(name, label, low, high, value):
    """A labelled range input with the stable hooks ``data-param`` and ``data-value-for``."""
    label = html.escape(label)
    return (
        '<label class="cnnviz-control">'
        f'<span class="cnnviz-sym">{name}</span>'
        f'<span class="cnnviz-name">{label}</span>'
        f'<input type="range" min="{low}" max="{high}" step="1" value="{value}" '
        f'data-param="{name}" aria-label="{name}, {label}">'
        f'<output class="cnnviz-value" data-value-for="{name}">{value}</output>'
        "</label>"
    )


def assemble(element_id, kind, scripts, body, config, classes=(), data=None, styles=()):
    """The complete output of one explorer.

    Parameters
    ----------
    element_id : str
        From :func:`new_id`; also ``CONFIG.id`` in the script.
    kind : str
        The explorer's short name: the root element's class ``cnnviz-<kind>``.
    scripts : sequence of str
        The explorer's scripts in ``static/``, run in this order after ``core.js``.
    body : str
        The explorer's HTML inside the root element.
    config : dict
        What the script receives as ``CONFIG`` (``id`` is added).
    classes : sequence of str
        More classes of the root element.
    data : dict, optional
        ``data-*`` attributes of the root element.
    styles : sequence of str
        The explorer's own stylesheets in ``static/``, after ``explorers.css``.
    """
    sheets = "\n".join(static_text(name) for name in ("explorers.css", *styles))
    style = f".cnnviz-explorer {{\n{css_variables()}\n}}\n{sheets}"
    code = "\n".join(static_text(name) for name in ("core.js", *scripts))
    setup = f"var CONFIG = {script_json({**config, 'id': element_id})};"
    program = f'(function () {{\n"use strict";\n{setup}\n{code}\n}})();'
    if "</" in program:  # it would end the inline <script> early; the sources write "<\/"
        raise RuntimeError(f"the script of the {kind} explorer must not contain '</'")
    attrs = "".join(f' data-{key}="{html.escape(str(v))}"' for key, v in (data or {}).items())
    names = " ".join([f"cnnviz-{kind}", "cnnviz-explorer", *classes])
    return (
        f'<div class="{names}" id="{element_id}"{attrs}><style>{style}</style>{body}'
        f"<script>{program}</script></div>"
    )
