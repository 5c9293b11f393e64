"""Images, kernels and feature maps: grayscale images, a diverging map for what goes negative."""

from __future__ import annotations

import numpy as np

from cnnviz._checks import check_array, check_bool, check_int

from ._base import (
    MAX_NUMBERED,
    add_colorbar,
    axes_grid,
    check_2d,
    check_cmap,
    check_figsize,
    check_text,
    check_texts,
    fig_ax,
    grid_shape,
    new_figure,
    times,
)
from ._cells import cmap_norm, diverging, frame, grid

__all__ = ["show_image", "show_images", "show_kernel", "show_feature_maps"]


def as_images(images, name="images"):
    """A list of 2-D or (H, W, 3) arrays from a list, (N, H, W[, C]) or (N, C, H, W) batch."""
    if isinstance(images, (list, tuple)):
        shown = [as_display(im, name) for im in images]
    else:
        arr = check_array(images, name, dtype=None)
        if arr.ndim not in (2, 3, 4):
            raise ValueError(
                f"{name} must be (N, H, W), (N, H, W, C) or (N, C, H, W), got shape {arr.shape}"
            )
        if arr.ndim == 4 and arr.shape[1] in (1, 3) and arr.shape[-1] not in (1, 3):
            arr = arr.transpose(0, 2, 3, 1)  # (N, C, H, W) -> (N, H, W, C)
        shown = [as_display(arr, name)] if arr.ndim == 2 else [as_display(im, name) for im in arr]
    if not shown:
        raise ValueError(f"{name} must hold at least one image, got none")
    return shown


def as_display(image, name="image"):
    """One image as imshow wants it: (H, W) or (H, W, 3) with RGB floats in [0, 1]."""
    image = check_array(image, name, dtype=None)
    if image.ndim == 3 and image.shape[0] in (1, 3) and image.shape[-1] not in (1, 3):
        image = image.transpose(1, 2, 0)
    if image.ndim == 3 and image.shape[-1] == 1:
        image = image[..., 0]
    if image.ndim not in (2, 3) or (image.ndim == 3 and image.shape[-1] != 3):
        raise ValueError(
            f"{name} must hold images (H, W), (H, W, 3) or (3, H, W), got shape {image.shape}"
        )
    if image.ndim == 3 and image.dtype != np.uint8 and (image.min() < 0 or image.max() > 1):
        image = (image - image.min()) / max(float(np.ptp(image)), 1e-12)  # standardized RGB
    return image


def show_image(image, ax=None, title=None, cmap=None, colorbar=False):
    """Show one image: grayscale, or a diverging colormap centred on 0 if it has negative values.

    Parameters
    ----------
    image : array_like
        ``(H, W)``, ``(H, W, 3)`` or ``(3, H, W)``. A grayscale image in [0, 1] is shown with
        black = 0 and white = 1 (no contrast stretch), uint8 with 0..255.
    ax : matplotlib.axes.Axes, optional
        Where to draw; a new figure when omitted.
    title : str, optional
    cmap : str, optional
        Colormap of a 2-D image; ``None`` picks gray or ``RdBu_r`` as above.
    colorbar : bool, default False

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> fig = show_image(np.eye(4), title="identity")
    >>> fig.axes[0].get_title()
    'identity'
    """
    image = as_display(image)
    title, cmap = check_text(title, "title"), check_cmap(cmap)
    with_bar = check_bool(colorbar, "colorbar")
    fig, ax = fig_ax(ax, (3.2, 3.2))
    if image.ndim == 3:
        im = ax.imshow(image, interpolation="nearest")
    else:
        cmap_, norm = cmap_norm(image, cmap)
        im = ax.imshow(image, cmap=cmap_, norm=norm, interpolation="nearest")
    if with_bar and image.ndim == 2:
        add_colorbar(fig, im, ax)
    if title is not None:
        ax.set_title(title, fontsize=10)
    frame(ax)
    return fig


def show_images(images, titles=None, ncols=None, cmap="gray", figsize=None):
    """Show several images in a grid, each with its title.

    Parameters
    ----------
    images : sequence of array_like or array_like
        A list of images, or a batch ``(N, H, W)``, ``(N, H, W, 3)`` or ``(N, C, H, W)``.
    titles : sequence of str, optional
    ncols : int, optional
        Columns of the grid (default: all in one row, at most 6).
    cmap : str, default 'gray'
        Colormap of the 2-D images.
    figsize : (float, float), optional

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> fig = show_images([np.eye(3), np.ones((3, 3))], titles=["eye", "ones"])
    >>> [ax.get_title() for ax in fig.axes]
    ['eye', 'ones']
    """
    images = as_images(images)
    titles = check_texts(titles, "titles", len(images), "image")
    cmap, figsize = check_cmap(cmap), check_figsize(figsize)
    nrows, ncols = grid_shape(len(images), ncols, 6)
    fig = new_figure(figsize or (2.1 * ncols, 2.1 * nrows + 0.4))
    for k, ax in enumerate(axes_grid(fig, len(images), nrows, ncols)):
        show_image(images[k], ax=ax, cmap=cmap, title=None if titles is None else titles[k])
    return fig


def show_kernel(kernel, ax=None, title=None, decimals=2):
    """Show a kernel as a grid of coloured cells with its values printed in them.

    Blue is negative, red positive, white zero (``RdBu_r`` with symmetric limits). A kernel
    bigger than 12x12 gets a colorbar instead of numbers.

    Parameters
    ----------
    kernel : array_like
        ``(kh, kw)``.
    ax : matplotlib.axes.Axes, optional
    title : str, optional
        Default ``'kernel 3×3'``.
    decimals : int, default 2

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> fig = show_kernel(np.array([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]]))
    >>> fig.axes[0].get_title(), fig.axes[0].images[0].norm.vmin
    ('kernel 3×3', -2.0)
    """
    kernel = check_2d(kernel, "kernel")
    title, decimals = check_text(title, "title"), check_int(decimals, "decimals", 0)
    side = min(0.5 * max(kernel.shape), 4.0) + 0.6
    fig, ax = fig_ax(ax, (side, side + 0.3))
    numbered = max(kernel.shape) <= MAX_NUMBERED
    cells = grid(ax, kernel, *diverging(kernel), numbered, decimals)
    if not numbered:
        add_colorbar(fig, cells.image, ax)
    ax.set_title(f"kernel {times(kernel.shape)}" if title is None else title, fontsize=10)
    return fig


def _as_maps(maps):
    """A list of 2-D maps from a list, ``(H, W)``, ``(C, H, W)`` or ``(1, C, H, W)``."""
    if isinstance(maps, (list, tuple)):
        return [check_2d(m, "maps") for m in maps]
    arr = check_array(maps, "maps").astype(np.float64, copy=False)
    if arr.ndim not in (2, 3, 4) or (arr.ndim == 4 and arr.shape[0] != 1):
        raise ValueError(
            f"maps must be (C, H, W), (1, C, H, W) or a list of (H, W), got shape {arr.shape}"
        )
    return list(arr.reshape(-1, *arr.shape[-2:]))


def show_feature_maps(maps, titles=None, ncols=None, colorbar=True, shared=False, figsize=None):
    """Show feature maps in a grid, each with its own colorbar.

    Maps with negative values use ``RdBu_r`` centred on 0, the others gray from 0. With
    ``shared``, every map uses one colour scale (the rule applied to all values at once), so
    that equal colours mean equal values across the panels.

    Parameters
    ----------
    maps : array_like
        ``(C, H, W)``, ``(1, C, H, W)`` or a list of ``(H, W)`` maps.
    titles : sequence of str, optional
        Default ``'channel 0'``, ``'channel 1'``, ...
    ncols : int, optional
        Default: at most 4 columns.
    colorbar : bool, default True
    shared : bool, default False
        One colour scale for all maps, for maps the reader should compare.
    figsize : (float, float), optional
        In inches; default 2.6 (2.2 without colour bars) per column, 2.3 per row.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> fig = show_feature_maps(np.random.default_rng(0).normal(size=(3, 8, 8)))
    >>> len(fig.axes)               # three maps and three colorbars
    6
    >>> fig = show_feature_maps([np.ones((2, 2)), -3 * np.ones((2, 2))], shared=True)
    >>> {ax.images[0].norm.vmin for ax in fig.axes[:2]}  # one scale: -3 to 3 for both
    {-3.0}
    """
    maps = _as_maps(maps)
    titles = check_texts(titles, "titles", len(maps), "map")
    titles = [f"channel {c}" for c in range(len(maps))] if titles is None else titles
    with_bar = check_bool(colorbar, "colorbar")
    common = (
        cmap_norm(np.concatenate([np.ravel(m) for m in maps])[None])
        if check_bool(shared, "shared")
        else None
    )
    figsize = check_figsize(figsize)
    nrows, ncols = grid_shape(len(maps), ncols, 4)
    width = 2.6 if with_bar else 2.2
    fig = new_figure(figsize or (width * ncols, 2.3 * nrows + 0.1))
    for m, title, ax in zip(maps, titles, axes_grid(fig, len(maps), nrows, ncols), strict=True):
        cmap, norm = common or cmap_norm(m)
        im = ax.imshow(m, cmap=cmap, norm=norm, interpolation="nearest")
        ax.set_title(title, fontsize=10)
        frame(ax)
        if with_bar:
            add_colorbar(fig, im, ax)
    return fig
