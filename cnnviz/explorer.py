"""Compatibility: the kernel-free explorers now live in :mod:`cnnviz.explorers`.

``from cnnviz.explorer import arithmetic_explorer, animation_html`` keeps working;
``formula_text`` is :func:`cnnviz.arithmetic.formula_text`.
"""

from __future__ import annotations

from cnnviz.arithmetic import formula_text
from cnnviz.explorers import (
    PARAM_RANGES,
    AnimationHTML,
    ArithmeticExplorer,
    animation_html,
    arithmetic_explorer,
)

__all__ = [
    "ArithmeticExplorer",
    "arithmetic_explorer",
    "formula_text",
    "PARAM_RANGES",
    "AnimationHTML",
    "animation_html",
]
