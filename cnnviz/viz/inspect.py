"""Inside a trained network: filters, feature maps, top activations, attributions, attacks.

The pictures of chapter 12. The numbers come from :mod:`cnnviz.inspect` (and scikit-learn's
t-SNE for :func:`plot_embedding`); this module only draws them, and takes arrays or tensors
(anything :func:`numpy.asarray` reads), so it never imports torch. Images are RGB in [0, 1].

=================================  ==========================================================
function                           shows
=================================  ==========================================================
:func:`show_filters`               a first layer's RGB filters as colour patches (grey = 0)
:func:`show_layer_maps`            one image through every layer: the busiest channels
:func:`show_top_activations`       the crops of the images that excite each channel most
:func:`show_attributions`          several attribution maps side by side, on shared scales
:func:`plot_fgsm_accuracy`         accuracy against the size of an attack, in grey levels
:func:`show_adversarial`           an image, its attacked copy and the change, magnified
:func:`plot_embedding`             a 2-D embedding of feature vectors, coloured by class
=================================  ==========================================================
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import matplotlib
import numpy as np
from matplotlib.colors import Normalize, to_rgb
from matplotlib.patches import Rectangle
from matplotlib.ticker import MaxNLocator

from cnnviz._checks import check_array, check_bool, check_int, check_number
from cnnviz.palette import COLORS, DIVERGING, HIGHLIGHT

from ._base import (
    add_colorbar,
    axes_grid,
    check_ax,
    check_mapping,
    check_text,
    check_texts,
    fig_ax,
    halo,
    new_figure,
    times,
)
from ._cells import cmap_norm, diverging_norm, frame

__all__ = [
    "plot_embedding",
    "plot_fgsm_accuracy",
    "show_adversarial",
    "show_attributions",
    "show_filters",
    "show_layer_maps",
    "show_top_activations",
    "FiltersResult",
    "LayerMapsResult",
    "AttributionResult",
    "AdversarialResult",
    "EmbeddingResult",
]

PANEL_IN = 0.82  # side of one small image panel, in inches
LABEL_PT = 8  # the smallest text of these figures


def _bar(fig, image, ax, label=None):
    """A colour bar beside ``ax`` whose ticks and label are at least 8 pt."""
    return _bar_text(add_colorbar(fig, image, ax), label)


def _bar_text(bar, label=None):
    """Ticks (at most five) and label of a colour bar, at least 8 pt."""
    bar.locator = MaxNLocator(5)
    bar.update_ticks()
    bar.ax.tick_params(labelsize=LABEL_PT)
    if label is not None:
        bar.set_label(label, fontsize=LABEL_PT)
    return bar


def _rgb(image, name):
    """An RGB or grey image in [0, 1] as imshow wants it, refusing values outside [0, 1]."""
    shown = check_array(image, name, ndims=(2, 3))
    if shown.ndim == 3 and shown.shape[0] in (1, 3) and shown.shape[-1] not in (1, 3):
        shown = shown.transpose(1, 2, 0)
    if shown.ndim == 3 and shown.shape[-1] == 1:
        shown = shown[..., 0]
    if shown.ndim == 3 and shown.shape[-1] != 3:
        raise ValueError(f"{name} must be (H, W), (H, W, 3) or (3, H, W), got {shown.shape}")
    if shown.size and (not np.isfinite(shown).all() or shown.min() < 0 or shown.max() > 1):
        raise ValueError(f"{name} must hold values in [0, 1] (RGB), got values outside it")
    return shown


def _images(images, name):
    """A batch ``(N, 3, H, W)``, ``(N, H, W, 3)`` or ``(N, H, W)`` as a list of RGB images."""
    arr = check_array(images, name, ndims=(3, 4))
    if len(arr) == 0:
        raise ValueError(f"{name} must hold at least one image, got none")
    return [_rgb(im, name) for im in arr]


def _maps(maps, name, n=None, shape=None):
    """``maps`` (a dict of name to ``(N, H, W)`` arrays) as float64 arrays, checked."""
    maps = check_mapping(maps, name)
    if not maps:
        raise ValueError(f"{name} must hold at least one entry, got none")
    out = {}
    for key, value in maps.items():
        if not isinstance(key, str):
            raise TypeError(f"{name} must have str keys (the names), got {key!r}")
        arr = check_array(value, name, ndims=(3,)).astype(np.float64)
        if not np.isfinite(arr).all():
            raise ValueError(f"{name} must be finite, got NaN or infinite values in {key!r}")
        if n is not None and len(arr) != n:
            raise ValueError(f"{name} must have {n} maps per entry (one per image), got {len(arr)}")
        if shape is not None and arr.shape[1:] != shape:
            raise ValueError(f"{name} must have maps of the images' size {shape}, got {arr.shape}")
        out[key] = arr
    return out


# ---------------------------------------------------------------------------------------------
# First-layer filters
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FiltersResult:
    """What :func:`show_filters` computed, per filter in the order given.

    Attributes
    ----------
    brightness : tuple of float
        The share of the filter's squared weights that is the same in every colour channel,
        ``C * ||mean_c w||^2 / ||w||^2``: 1 for a filter blind to colour (a pure brightness
        pattern), 0 for one whose colours cancel (red against green, say).
    scales : tuple of float
        The largest magnitude of each filter, which the display maps to white (or black).
    order : tuple of int
        The order the filters are shown in.
    """

    brightness: tuple
    scales: tuple
    order: tuple


def _patch(w, scale):
    """One filter ``(C, kh, kw)`` as a displayable patch: 0.5 + 0.5 w / scale."""
    patch = 0.5 + 0.5 * w / scale
    return patch[0] if len(patch) == 1 else patch.transpose(1, 2, 0)


def show_filters(weight, sort=True, references=None, ncols=8):
    """A convolution's filters as small colour patches, each scaled to its own largest weight.

    Each filter ``w`` (``C`` colour channels of ``kh x kw`` weights) is shown as the image
    ``0.5 + 0.5 w / max|w|``: mid-grey is a weight of 0, and the filter's largest weight
    (of either sign) reaches full brightness or black in its channel. A reddish pixel weighs
    red up (or green and blue down) at that position. ``references`` (kernels such as Sobel
    and Gabor) are drawn the same way, in grey, in a row below.

    Parameters
    ----------
    weight : array_like, shape (K, C, kh, kw)
        ``C`` is 1 or 3 (``conv.weight`` of a first layer).
    sort : bool, default True
        Show the filters most blind to colour first (by :attr:`FiltersResult.brightness`).
    references : dict of str to array_like (kh, kw), optional
    ncols : int, default 8

    Returns
    -------
    matplotlib.figure.Figure
        ``fig.cnnviz`` is a :class:`FiltersResult`.

    Examples
    --------
    >>> w = np.zeros((2, 3, 3, 3)); w[0] = 1.0; w[1, 0] = 1.0; w[1, 1] = -1.0
    >>> fig = show_filters(w)
    >>> fig.cnnviz.brightness          # the same in R, G, B; then red against green
    (1.0, 0.0)
    """
    weight = check_array(weight, "weight", ndims=(4,)).astype(np.float64)
    if weight.shape[1] not in (1, 3) or weight.shape[0] == 0:
        raise ValueError(f"weight must be (K, C, kh, kw) with C 1 or 3, got {weight.shape}")
    if not np.isfinite(weight).all():
        raise ValueError("weight must be finite, got NaN or infinite values")
    sort = check_bool(sort, "sort")
    refs = {} if references is None else check_mapping(references, "references")
    refs = {str(k): check_array(v, "references", ndims=(2,)) for k, v in refs.items()}
    ncols = check_int(ncols, "ncols", minimum=1)
    k, c = weight.shape[:2]
    energy = (weight**2).sum(axis=(1, 2, 3))
    scales = np.abs(weight).max(axis=(1, 2, 3))
    safe = np.where(scales > 0, scales, 1.0)
    same = c * (weight.mean(axis=1) ** 2).sum(axis=(1, 2))
    brightness = np.where(energy > 0, same / np.where(energy > 0, energy, 1.0), 1.0)
    order = np.argsort(-brightness, kind="stable") if sort else np.arange(k)
    ncols = min(ncols, k)
    rows = -(-k // ncols)
    ref_rows = -(-len(refs) // ncols) if refs else 0
    fig = new_figure((PANEL_IN * ncols + 0.3, (PANEL_IN + 0.28) * (rows + ref_rows) + 0.9))
    parts = fig.subfigures(2, 1, height_ratios=[rows + 0.5, ref_rows + 0.6]) if refs else [fig]
    how = ", most colour-blind first" if sort else ""
    parts[0].suptitle(f"{k} learned filters {times(weight.shape[2:])}{how}", fontsize=10)
    for i, ax in zip(order, axes_grid(parts[0], k, rows, ncols), strict=True):
        ax.imshow(_patch(weight[i], safe[i]), cmap="gray", vmin=0, vmax=1, interpolation="nearest")
        ax.set_title(str(i), fontsize=LABEL_PT, pad=2)
        frame(ax)
    if refs:
        parts[1].suptitle("kernels of chapter 2, shown the same way (grey = 0)", fontsize=10)
        for (name, kernel), ax in zip(
            refs.items(), axes_grid(parts[1], len(refs), ref_rows, ncols), strict=True
        ):
            peak = float(np.abs(kernel).max()) or 1.0
            ax.imshow(
                0.5 + 0.5 * kernel / peak, cmap="gray", vmin=0, vmax=1, interpolation="nearest"
            )
            ax.set_title(name, fontsize=LABEL_PT, pad=2)
            frame(ax)
    fig.cnnviz = FiltersResult(
        tuple(float(b) for b in brightness),
        tuple(float(s) for s in scales),
        tuple(int(i) for i in order),
    )
    return fig


# ---------------------------------------------------------------------------------------------
# Feature maps of every layer
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LayerMapsResult:
    """What :func:`show_layer_maps` chose and scaled, per layer.

    Attributes
    ----------
    channels : dict of str to tuple of int
        The channels shown: those with the largest mean over the map, largest first.
    limits : dict of str to (float, float)
        The colour scale shared by the layer's maps.
    """

    channels: dict
    limits: dict


def _check_field(field, name):
    if not (hasattr(field, "window") and hasattr(field, "size")):
        raise TypeError(f"{name} must hold receptive fields (cnnviz.inspect), got {field!r:.60}")
    return field


def show_layer_maps(image, maps, fields=None, n=6, title=None):
    """One image seen by every layer: for each, the ``n`` channels most active on it.

    Row by row (one layer each): the image, with the receptive field of the unit at the
    centre of that layer's map drawn on it (when ``fields`` are given), then the ``n``
    channels whose maps have the largest mean, on one colour scale per row (``cmap_norm``'s
    rule: diverging around 0 when anything is negative) with its colour bar.

    Parameters
    ----------
    image : array_like
        RGB in [0, 1], ``(3, H, W)`` or ``(H, W, 3)``.
    maps : dict of str to array_like (C, h, w)
        A layer's output for this image, by layer name (:func:`cnnviz.inspect.feature_maps`).
    fields : dict of str to cnnviz.inspect.ReceptiveField, optional
        The same keys as ``maps``.
    n : int, default 6
        Channels per layer (fewer if a layer has fewer).
    title : str, optional

    Returns
    -------
    matplotlib.figure.Figure
        ``fig.cnnviz`` is a :class:`LayerMapsResult`.

    Examples
    --------
    >>> maps = {"a": np.arange(32.0).reshape(2, 4, 4), "b": np.ones((3, 2, 2))}
    >>> fig = show_layer_maps(np.zeros((3, 4, 4)), maps, n=1)
    >>> fig.cnnviz.channels
    {'a': (1,), 'b': (0,)}
    """
    shown = _rgb(image, "image")
    maps = check_mapping(maps, "maps")
    if not maps:
        raise ValueError("maps must hold at least one layer, got none")
    layers = {}
    for key, value in maps.items():
        arr = check_array(value, "maps", ndims=(3,)).astype(np.float64)
        if not np.isfinite(arr).all() or len(arr) == 0:
            raise ValueError(f"maps must be finite (C, h, w) arrays, got {key!r} {arr.shape}")
        layers[str(key)] = arr
    if fields is not None:
        fields = check_mapping(fields, "fields")
        if set(fields) != set(maps):
            raise ValueError(f"fields must have the keys of maps {list(maps)}, got {list(fields)}")
        fields = {str(k): _check_field(v, "fields") for k, v in fields.items()}
    n = check_int(n, "n", minimum=1)
    title = check_text(title, "title")
    cols = 1 + min(n, max(len(m) for m in layers.values()))
    fig = new_figure((PANEL_IN * cols + 1.35, (PANEL_IN + 0.3) * len(layers) + 0.45))
    grid = fig.subplots(len(layers), cols, squeeze=False)
    chosen, limits = {}, {}
    for row, (name, arr) in zip(grid, layers.items(), strict=True):
        ax = row[0]
        ax.imshow(shown, cmap="gray", vmin=0, vmax=1, interpolation="nearest")
        label = f"{name}\n{times(arr.shape)}"
        if fields is not None:
            label += f"\nfield {fields[name].size}"
            _draw_field(ax, fields[name], arr.shape[1:], shown.shape[:2])
        ax.set_ylabel(label, fontsize=LABEL_PT, rotation=0, ha="right", va="center")
        frame(ax)
        picks = np.argsort(-arr.mean(axis=(1, 2)), kind="stable")[: cols - 1]
        cmap, norm = cmap_norm(arr[picks])
        for ax, channel in zip(row[1:], picks, strict=False):
            im = ax.imshow(arr[channel], cmap=cmap, norm=norm, interpolation="nearest")
            ax.set_title(f"channel {channel}", fontsize=LABEL_PT, pad=2)
            frame(ax)
        for ax in row[1 + len(picks) :]:
            ax.set_axis_off()
        _bar(fig, im, list(row[1:]))
        chosen[name] = tuple(int(c) for c in picks)
        limits[name] = (float(norm.vmin), float(norm.vmax))
    if title is not None:
        fig.suptitle(title, fontsize=10)
    fig.cnnviz = LayerMapsResult(chosen, limits)
    return fig


def _draw_field(ax, field, map_shape, image_shape):
    """The input window of the map's centre unit as an orange square, cut at the image's edge
    (a field larger than the image frames all of it)."""
    (top, bottom), (left, right) = (
        field.window(map_shape[0] // 2),
        field.window(map_shape[1] // 2),
    )
    top, left = max(top, 0), max(left, 0)
    bottom, right = min(bottom, image_shape[0] - 1), min(right, image_shape[1] - 1)
    ax.add_patch(
        Rectangle(
            (left - 0.5, top - 0.5),
            right - left + 1,
            bottom - top + 1,
            fill=False,
            edgecolor=HIGHLIGHT,
            lw=2,
            clip_on=False,
        )
    )


# ---------------------------------------------------------------------------------------------
# The images that excite a channel most
# ---------------------------------------------------------------------------------------------


def _check_top(top):
    if not all(hasattr(top, a) for a in ("crops", "positions", "field")):
        raise TypeError(f"tops must hold cnnviz.inspect.TopActivations, got {top!r:.60}")
    crops = check_array(top.crops, "tops", ndims=(4,))
    positions = check_array(top.positions, "tops", ndims=(2,), dtype=None)
    if len(crops) == 0 or len(positions) != len(crops):
        raise ValueError(f"tops must hold one position per crop, got {len(positions)}")
    return crops, positions.astype(int), _check_field(top.field, "tops")


def _per_channel(values, name, channels):
    if values is None:
        return None
    arr = check_array(values, name, ndims=(1,))
    if len(arr) != channels:
        raise ValueError(f"{name} must have {channels} values, one per channel, got {len(arr)}")
    return arr[:, None, None]


def show_top_activations(tops, titles, mean=None, std=None, image_size=(32, 32)):
    """For each channel (one row), the input crops that excite it most, strongest first.

    Each crop is what the channel's winning unit sees: its receptive field. A field larger
    than the image, or at its border, reaches past the image: the orange frame is then the
    image's edge, and outside it the zero padding is drawn in the book's padding colour.

    Parameters
    ----------
    tops : sequence of cnnviz.inspect.TopActivations
    titles : sequence of str
        One per row (``"block2, channel 5"``).
    mean, std : array_like (C,), optional
        Undo the normalization of the crops, ``crop * std + mean``, for display.
    image_size : (int, int), default (32, 32)
        The images' height and width, to draw their edge.

    Returns
    -------
    matplotlib.figure.Figure
    """
    if isinstance(tops, (str, bytes)) or not isinstance(tops, Sequence) or not tops:
        raise TypeError(f"tops must be a non-empty list of TopActivations, got {tops!r:.60}")
    rows = [_check_top(t) for t in tops]
    titles = check_texts(titles, "titles", len(rows), "row")
    if titles is None:
        raise TypeError("titles must be a sequence of str, got None")
    channels = rows[0][0].shape[1]
    mean, std = _per_channel(mean, "mean", channels), _per_channel(std, "std", channels)
    if not (isinstance(image_size, (tuple, list)) and len(image_size) == 2):
        raise TypeError(f"image_size must be (height, width), got {image_size!r}")
    size = tuple(check_int(v, "image_size", minimum=1) for v in image_size)
    cols = max(len(crops) for crops, _, _ in rows)
    side = 0.6  # inches per crop: nine of them and the labels fit the book's column
    fig = new_figure((side * cols + 1.0, (side + 0.06) * len(rows) + 0.15))
    grid = fig.subplots(len(rows), cols, squeeze=False)
    padding = np.array(to_rgb(COLORS["padding"]))
    for axes, (crops, positions, field), title in zip(grid, rows, titles, strict=True):
        for j, ax in enumerate(axes):
            frame(ax)
            if j >= len(crops):
                ax.set_axis_off()
                continue
            crop = crops[j]
            if std is not None:
                crop = crop * std
            if mean is not None:
                crop = crop + mean
            crop = np.clip(crop, 0, 1).transpose(1, 2, 0)
            (top, _), (left, _) = field.window(positions[j, 0]), field.window(positions[j, 1])
            rows_in = (top + np.arange(len(crop)) >= 0) & (top + np.arange(len(crop)) < size[0])
            cols_in = (left + np.arange(crop.shape[1]) >= 0) & (
                left + np.arange(crop.shape[1]) < size[1]
            )
            inside = rows_in[:, None] & cols_in[None, :]
            if crop.shape[-1] == 3:
                crop = np.where(inside[..., None], crop, padding)
            else:
                crop = np.where(inside[..., None], crop, padding.mean())[..., 0]
            ax.imshow(crop, cmap="gray", vmin=0, vmax=1, interpolation="nearest")
            if not inside.all():  # the image's edge
                ax.add_patch(
                    Rectangle(
                        (-left - 0.5, -top - 0.5),
                        size[1],
                        size[0],
                        fill=False,
                        edgecolor=HIGHLIGHT,
                        lw=1.2,
                    )
                )
        axes[0].set_ylabel(title, fontsize=LABEL_PT, rotation=0, ha="right", va="center")
    return fig


# ---------------------------------------------------------------------------------------------
# Attribution maps side by side
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AttributionResult:
    """What :func:`show_attributions` scaled.

    Attributes
    ----------
    methods : tuple of str
    peaks : dict of str to tuple of float
        Each map's largest value, by method, one per image (the maps not in ``units`` are
        divided by it).
    limits : dict of str to (float, float)
        The colour scale of each method's column.
    """

    methods: tuple
    peaks: dict
    limits: dict


def show_attributions(images, maps, titles=None, units=None):
    """Attribution maps of several methods for the same images, one row per image.

    A map without a unit of its own (saliency, SmoothGrad, Grad-CAM: their scale depends on
    the image and the method) is divided by its largest value, so that all of them share
    one grey scale from 0 to 1 and one colour bar (below them). A method named in ``units``
    keeps its own units (occlusion: the drop in the class's probability) on a diverging scale
    centred on 0 that its whole column shares, with a colour bar of its own (beside it).

    Parameters
    ----------
    images : array_like
        ``(N, 3, H, W)`` or ``(N, H, W, 3)``, RGB in [0, 1].
    maps : dict of str to array_like (N, H, W)
        By method name, in the order of the columns.
    titles : sequence of str, optional
        One per image (row).
    units : dict of str to str, optional
        Method name to the label of its colour bar, for maps shown in their own units.

    Returns
    -------
    matplotlib.figure.Figure
        ``fig.cnnviz`` is an :class:`AttributionResult`.

    Examples
    --------
    >>> x = np.zeros((1, 4, 4, 3))
    >>> m = {"a": np.arange(16.0).reshape(1, 4, 4), "b": -np.ones((1, 4, 4))}
    >>> fig = show_attributions(x, m, units={"b": "drop"})
    >>> fig.cnnviz.peaks["a"], fig.cnnviz.limits["b"]
    ((15.0,), (-1.0, 1.0))
    """
    shown = _images(images, "images")
    maps = _maps(maps, "maps", len(shown), shown[0].shape[:2])
    titles = check_texts(titles, "titles", len(shown), "image")
    units = {} if units is None else check_mapping(units, "units")
    for key, label in units.items():
        if key not in maps or not isinstance(label, str):
            raise ValueError(f"units must map names of maps {list(maps)} to str, got {key!r}")
    n, methods = len(shown), list(maps)
    scaled = [j for j, m in enumerate(methods, start=1) if m not in units]
    bar_cols = len(units)  # one narrow column for each colour bar in its own units
    fig = new_figure((1.0 * (1 + len(methods)) + 0.9 + 0.55 * bar_cols, 1.1 * n + 1.0))
    spec = fig.add_gridspec(
        n + bool(scaled),
        1 + len(methods) + bar_cols,
        width_ratios=[1] * (1 + len(methods)) + [0.08] * bar_cols,
        height_ratios=[1] * n + [0.08] * bool(scaled),
    )  # panels of one size, so that the rows line up
    grid = np.array(
        [[fig.add_subplot(spec[i, j]) for j in range(1 + len(methods))] for i in range(n)]
    )
    peaks, limits, images_of = {}, {}, {}
    gray = matplotlib.colormaps["gray"]
    for j, method in enumerate(methods, start=1):
        values = maps[method]
        if method in units:
            norm = diverging_norm(values)
            cmap, data = matplotlib.colormaps[DIVERGING], values
            peaks[method] = tuple(float(v.max()) for v in values)
        else:
            top = values.reshape(n, -1).max(axis=1)
            peaks[method] = tuple(float(v) for v in top)
            data = values / np.where(top > 0, top, 1.0)[:, None, None]
            cmap, norm = gray, Normalize(0, 1)
        limits[method] = (float(norm.vmin), float(norm.vmax))
        for i in range(n):
            images_of[method] = grid[i, j].imshow(
                data[i], cmap=cmap, norm=norm, interpolation="nearest"
            )
            frame(grid[i, j])
        grid[0, j].set_title(method, fontsize=LABEL_PT + 1)
    for i in range(n):
        grid[i, 0].imshow(shown[i], cmap="gray", vmin=0, vmax=1, interpolation="nearest")
        frame(grid[i, 0])
        if titles is not None:
            grid[i, 0].set_ylabel(
                titles[i], fontsize=LABEL_PT + 1, rotation=0, ha="right", va="center"
            )
    grid[0, 0].set_title("image", fontsize=LABEL_PT + 1)
    if scaled:
        cax = fig.add_subplot(spec[n, min(scaled) : max(scaled) + 1])
        bar = fig.colorbar(images_of[methods[scaled[0] - 1]], cax=cax, orientation="horizontal")
        _bar_text(bar, "share of the map's largest value")
    for k, method in enumerate(units):
        cax = fig.add_subplot(spec[:n, 1 + len(methods) + k])
        _bar_text(fig.colorbar(images_of[method], cax=cax), units[method])
    fig.cnnviz = AttributionResult(tuple(methods), peaks, limits)
    return fig


# ---------------------------------------------------------------------------------------------
# Adversarial examples
# ---------------------------------------------------------------------------------------------


def plot_fgsm_accuracy(levels, accuracy, chance=None, ax=None):
    """Accuracy against the size ``epsilon`` of an attack, with each point's value written on.

    Parameters
    ----------
    levels : array_like (M,)
        The attack sizes in grey levels (``epsilon * 255`` for images in [0, 1]), >= 0.
    accuracy : array_like (M,)
        In [0, 1].
    chance : float, optional
        Drawn as a dotted line (0.1 for ten classes).
    ax : matplotlib.axes.Axes, optional

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> fig = plot_fgsm_accuracy([0, 1, 2], [0.9, 0.5, 0.2], chance=0.1)
    >>> fig.axes[0].get_xlabel()
    'ε, in grey levels (1/255 of the [0, 1] range)'
    """
    levels = check_array(levels, "levels", ndims=(1,))
    accuracy = check_array(accuracy, "accuracy", ndims=(1,))
    if len(levels) == 0 or len(levels) != len(accuracy):
        raise ValueError(
            f"accuracy must have one value per level ({len(levels)}), got {len(accuracy)}"
        )
    if not (np.isfinite(levels).all() and levels.min() >= 0):
        raise ValueError(f"levels must be finite and >= 0, got {levels.tolist()}")
    if not (np.isfinite(accuracy).all() and accuracy.min() >= 0 and accuracy.max() <= 1):
        raise ValueError(f"accuracy must lie in [0, 1], got {accuracy.tolist()}")
    if chance is not None:
        chance = check_number(chance, "chance", minimum=0.0, maximum=1.0)
    fig, ax = fig_ax(check_ax(ax), (5.2, 3.2))
    ax.plot(levels, 100 * accuracy, marker="o", color=COLORS["input_edge"], label="FGSM")
    for x, y in zip(levels, accuracy, strict=True):
        label = ax.annotate(
            f"{100 * y:.0f} %", (x, 100 * y), xytext=(4, 5), textcoords="offset points",
            fontsize=LABEL_PT, color=COLORS["text"],
        )  # fmt: skip
        halo(label, 2.5)
    if chance is not None:
        ax.axhline(
            100 * chance, color=COLORS["muted"], ls=":", label=f"chance ({100 * chance:.0f} %)"
        )
    ax.set(
        xlabel="ε, in grey levels (1/255 of the [0, 1] range)",
        ylabel="test accuracy (%)",
        ylim=(0, 100),
    )
    ax.set_xticks(levels)
    ax.grid(alpha=0.3)
    ax.legend(frameon=False, fontsize=LABEL_PT)
    ax.spines[["top", "right"]].set_visible(False)
    return fig


@dataclass(frozen=True)
class AdversarialResult:
    """What :func:`show_adversarial` measured.

    Attributes
    ----------
    max_change : float
        The largest change of one colour value of one pixel, in grey levels (1/255).
    magnify : float
        The factor the change is drawn magnified by.
    """

    max_change: float
    magnify: float


def show_adversarial(image, adversarial, titles=None, magnify=None):
    """An image, its attacked copy, and the difference between them, magnified.

    The third panel shows ``0.5 + magnify * (adversarial - image)``: grey where nothing
    changed, and by default (``magnify = 0.5 / max|change|``) the largest change reaches
    full brightness or black in its colour channel.

    Parameters
    ----------
    image, adversarial : array_like
        RGB in [0, 1], ``(3, H, W)`` or ``(H, W, 3)``, the same shape.
    titles : sequence of 2 str, optional
        Captions of the two images (``"cat (87 %)"``).
    magnify : float, optional
        Positive; default as above.

    Returns
    -------
    matplotlib.figure.Figure
        ``fig.cnnviz`` is an :class:`AdversarialResult`.

    Examples
    --------
    >>> x = np.full((2, 2, 3), 0.5); y = x.copy(); y[0, 0, 0] += 2 / 255
    >>> fig = show_adversarial(x, y)
    >>> round(fig.cnnviz.max_change, 6), round(fig.cnnviz.magnify, 2)
    (2.0, 63.75)
    """
    before, after = _rgb(image, "image"), _rgb(adversarial, "adversarial")
    if before.shape != after.shape:
        raise ValueError(
            f"adversarial must have the image's shape {before.shape}, got {after.shape}"
        )
    titles = check_texts(titles, "titles", 2, "image")
    change = after - before
    largest = float(np.abs(change).max())
    if magnify is None:
        magnify = 0.5 / largest if largest > 0 else 1.0
    magnify = check_number(magnify, "magnify", positive=True)
    fig = new_figure((6.3, 2.6))
    axes = fig.subplots(1, 3)
    captions = titles or ["image", "attacked"]
    for ax, shown, caption in zip(axes, (before, after), captions, strict=False):
        ax.imshow(shown, cmap="gray", vmin=0, vmax=1, interpolation="nearest")
        ax.set_title(caption, fontsize=9)
    axes[2].imshow(
        np.clip(0.5 + magnify * change, 0, 1), cmap="gray", vmin=0, vmax=1, interpolation="nearest"
    )
    axes[2].set_title(f"change × {magnify:.0f}\n(grey = no change)", fontsize=9)
    for ax in axes:
        frame(ax)
    fig.cnnviz = AdversarialResult(255 * largest, magnify)
    return fig


# ---------------------------------------------------------------------------------------------
# Embeddings
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class EmbeddingResult:
    """Where :func:`plot_embedding` wrote the class names.

    Attributes
    ----------
    centres : tuple of (float, float)
        Each class's median point, in the order of ``classes`` (NaN for a class without
        points).
    """

    centres: tuple


def plot_embedding(points, labels, classes, ax=None, title=None):
    """Points of a 2-D embedding (t-SNE), coloured by class, each class named at its median.

    Parameters
    ----------
    points : array_like (N, 2)
    labels : array_like of int (N,)
        Class indices in ``[0, K)``.
    classes : sequence of str
        ``K`` names (at most 10: one colour of ``tab10`` each).
    ax : matplotlib.axes.Axes, optional
    title : str, optional

    Returns
    -------
    matplotlib.figure.Figure
        ``fig.cnnviz`` is an :class:`EmbeddingResult`.

    Examples
    --------
    >>> pts = np.array([[0.0, 0.0], [1.0, 1.0], [5.0, 5.0]])
    >>> fig = plot_embedding(pts, [0, 0, 1], ["cat", "dog"])
    >>> fig.cnnviz.centres
    ((0.5, 0.5), (5.0, 5.0))
    """
    points = check_array(points, "points", ndims=(2,))
    if points.shape[1] != 2 or not np.isfinite(points).all():
        raise ValueError(f"points must be finite, of shape (N, 2), got {points.shape}")
    if isinstance(classes, str) or not isinstance(classes, Sequence):
        raise TypeError(f"classes must be a sequence of class names, got {classes!r}")
    classes = check_texts(classes, "classes", len(classes), "class")
    if not 1 <= len(classes) <= 10:
        raise ValueError(f"classes must name 1 to 10 classes, got {len(classes)}")
    labels = check_array(labels, "labels", ndims=(1,), dtype=None)
    if labels.size and labels.dtype.kind not in "iu":
        raise TypeError(f"labels must hold int class indices, got dtype {labels.dtype}")
    if len(labels) != len(points):
        raise ValueError(
            f"labels must have {len(points)} entries, one per point, got {len(labels)}"
        )
    if labels.size and (labels.min() < 0 or labels.max() >= len(classes)):
        raise ValueError(
            f"labels must hold class indices in [0, {len(classes)}), got {labels.max()}"
        )
    title = check_text(title, "title")
    fig, ax = fig_ax(check_ax(ax), (6.4, 5.4))
    colours = matplotlib.colormaps["tab10"]
    centres = np.full((len(classes), 2), np.nan)  # a class without points stays NaN
    for c, name in enumerate(classes):
        mine = points[labels == c]
        ax.scatter(*mine.T, s=5, color=colours(c), alpha=0.7, linewidths=0, label=name)
        if len(mine):
            centres[c] = np.median(mine, axis=0)
    for c, name in enumerate(classes):
        if np.isfinite(centres[c]).all():
            text = ax.text(*centres[c], name, fontsize=9, ha="center", va="center", weight="bold")
            halo(text, 3)
    ax.set_xticks([])
    ax.set_yticks([])
    ax.legend(
        fontsize=LABEL_PT, markerscale=3, frameon=False, loc="center left", bbox_to_anchor=(1, 0.5)
    )
    if title is not None:
        ax.set_title(title, fontsize=10)
    fig.cnnviz = EmbeddingResult(tuple((float(x), float(y)) for x, y in centres))
    return fig
