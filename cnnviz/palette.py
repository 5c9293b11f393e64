"""The book's colours, shared by the matplotlib figures and the kernel-free explorers.

Each role has one colour everywhere: the orange of "the window and the output cell it fills"
is the same in :mod:`cnnviz.viz`, in :mod:`cnnviz.widgets` and in the browser. The browser
side receives these as CSS custom properties (:func:`css_variables`), never as copies.

Colour maps: ``DIVERGING`` for anything that goes negative (kernels, feature maps), centred
on 0; grayscale for images.

Examples
--------
>>> COLORS["highlight"]
'#f58518'
>>> css_variables().splitlines()[0]
'--cnnviz-highlight: #f58518;'
"""

from __future__ import annotations

__all__ = ["COLORS", "DIVERGING", "HIGHLIGHT", "CHOSEN", "SERIES", "css_variables"]

#: Role -> hex colour. Roles, not hues: change a colour here and every picture follows.
COLORS = {
    "highlight": "#f58518",  # the window, its taps and the output cell it fills
    "highlight_edge": "#c2410c",  # outline of highlighted cells
    "chosen": "#c0392b",  # the cell a max/min pooling picks
    "input": "#8fbfe0",  # input cells of an arithmetic diagram
    "input_edge": "#4a90c2",
    "padding": "#eeeeee",  # zero padding
    "padding_edge": "#94a3b8",
    "output": "#9fd8a8",  # output cells of an arithmetic diagram
    "output_edge": "#3f9e55",
    "unreached": "#dc2626",  # rows and columns no window reaches; errors
    "unreached_fill": "#fee2e2",
    "text": "#1e293b",
    "muted": "#475569",
    "rule": "#cbd5e1",  # borders and separators
    "background": "#ffffff",
}

DIVERGING = "RdBu_r"
HIGHLIGHT = COLORS["highlight"]
CHOSEN = COLORS["chosen"]
#: Two data series drawn together (f and f', training and validation).
SERIES = (COLORS["input_edge"], COLORS["highlight"])


def css_variables():
    """The palette as CSS custom properties, one ``--cnnviz-<role>: <colour>;`` per line."""
    return "\n".join(f"--cnnviz-{role.replace('_', '-')}: {hex_};" for role, hex_ in COLORS.items())
