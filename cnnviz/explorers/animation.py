"""Matplotlib animations as a JavaScript player that needs no kernel and no network.

``animation.to_jshtml()`` embeds every frame as a PNG and adds matplotlib's small player; this
keeps the player and removes the one thing it fetches from a CDN, the Font Awesome stylesheet
of its button icons.
"""

from __future__ import annotations

import re

from cnnviz._checks import check_choice, check_number

__all__ = ["AnimationHTML", "animation_html", "MODES"]

#: What the player can do at the last frame (matplotlib's ``default_mode``).
MODES = ("loop", "once", "reflect")

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

    Raises
    ------
    TypeError
        ``animation`` is not a matplotlib Animation, or ``fps`` is not a number.
    ValueError
        ``fps`` is not positive, or ``default_mode`` is not one of ``MODES``.

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
            f"animation must be a matplotlib Animation (with .to_jshtml()), got {animation!r}"
        )
    if fps is not None:
        fps = check_number(fps, "fps", positive=True)
    if default_mode is not None:
        default_mode = check_choice(default_mode, "default_mode", MODES)
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
