"""Famous CNN architectures side by side, and ImageNet-pretrained models used honestly offline.

Chapter 13's table: every row is measured by code on a network built with ``weights=None``
(random weights: the counts do not depend on them), except the ImageNet accuracies, which
are the published figures that torchvision stores in its weights' metadata
(``Weights.meta["_metrics"]``, available without the network).

=================================  ==========================================================
function                           returns
=================================  ==========================================================
:func:`build`                      a network of :data:`ARCHITECTURES` and its weights enum
:func:`profile`                    one row: parameters, FLOPs, depth, receptive field, ...
:func:`architecture_table`         the rows of several networks
:func:`format_table`               the rows as text, at most 88 characters a line
:func:`cpu_seconds`                the median time of one forward pass on this CPU
:func:`weights_file`               where torch's hub cache keeps a weights file
:func:`load_imagenet`              a pretrained network, only when its file is in the cache
:func:`classify`                   the top-k ImageNet classes of an image, with probabilities
=================================  ==========================================================

Nothing here downloads. torchvision fetches pretrained weights on first use; where the
network is available, do that once (``torchvision.models.vgg16(weights="IMAGENET1K_V1")``)
and :func:`load_imagenet` finds the file in the cache afterwards.
"""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

import numpy as np
import torch

from . import models
from ._checks import check_choice, check_int
from .inspect import _evaluating, receptive_field
from .train._torch_checks import check_module

__all__ = [
    "ARCHITECTURES",
    "Architecture",
    "architecture_table",
    "build",
    "classify",
    "cpu_seconds",
    "format_table",
    "load_imagenet",
    "profile",
    "weights_file",
]


@dataclass(frozen=True)
class Architecture:
    """How to build one network of the table, and where it comes from.

    Attributes
    ----------
    label : str
        The name in the table.
    year : int
        Year of the paper.
    cite : str
        Its key in the book's ``references.bib``.
    builder : str
        A function of ``torchvision.models`` (or ``"LeNet5"``: :class:`cnnviz.models.LeNet5`).
    weights : str or None
        The weights enum of ``torchvision.models`` whose metadata holds the published numbers.
    layer : str
        The last layer before the global pooling / classifier: its receptive field is the
        network's.
    input_size : tuple of int
        ``(C, H, W)`` of one image.
    kwargs : dict
        Extra arguments of the builder.
    """

    label: str
    year: int
    cite: str
    builder: str
    weights: str | None
    layer: str
    input_size: tuple = (3, 224, 224)
    kwargs: dict = field(default_factory=dict)


#: The networks of chapter 13's table, by short name, in order of publication.
ARCHITECTURES = {
    "lenet5": Architecture(
        "LeNet-5", 1998, "lecun1998gradient", "LeNet5", None, "features", (1, 28, 28)
    ),
    "alexnet": Architecture(
        "AlexNet", 2012, "krizhevsky2012imagenet", "alexnet", "AlexNet_Weights", "features"
    ),
    "vgg16": Architecture("VGG-16", 2014, "simonyan2014very", "vgg16", "VGG16_Weights", "features"),
    "googlenet": Architecture(
        "GoogLeNet",
        2014,
        "szegedy2015going",
        "googlenet",
        "GoogLeNet_Weights",
        "inception5b",
        kwargs={"aux_logits": False, "init_weights": False},
    ),  # fmt: skip
    "resnet18": Architecture(
        "ResNet-18", 2015, "he2016deep", "resnet18", "ResNet18_Weights", "layer4"
    ),
    "resnet50": Architecture(
        "ResNet-50", 2015, "he2016deep", "resnet50", "ResNet50_Weights", "layer4"
    ),
    "mobilenet_v2": Architecture(
        "MobileNetV2",
        2018,
        "sandler2018mobilenetv2",
        "mobilenet_v2",
        "MobileNet_V2_Weights",
        "features",
    ),  # fmt: skip
    "convnext_tiny": Architecture(
        "ConvNeXt-Tiny",
        2022,
        "liu2022convnet",
        "convnext_tiny",
        "ConvNeXt_Tiny_Weights",
        "features",
    ),  # fmt: skip
}


def _architecture(name):
    return ARCHITECTURES[check_choice(name, "name", tuple(ARCHITECTURES))]


def _weights(arch):
    """The ImageNet-1K V1 weights enum member of ``arch`` (the paper's recipe), or None."""
    if arch.weights is None:
        return None
    import torchvision.models as tvm

    return getattr(tvm, arch.weights).IMAGENET1K_V1


def build(name):
    """A network of :data:`ARCHITECTURES`, with random weights, in eval mode, and its weights
    enum (None for LeNet-5).

    Raises
    ------
    TypeError, ValueError
        ``name`` not one of the keys of :data:`ARCHITECTURES`.

    Examples
    --------
    >>> model, weights = build("resnet18")
    >>> weights.meta["num_params"] == models.count_parameters(model)
    True
    """
    arch = _architecture(name)
    if arch.builder == "LeNet5":
        return models.LeNet5().eval(), None
    import torchvision.models as tvm

    torch.manual_seed(0)
    return getattr(tvm, arch.builder)(weights=None, **arch.kwargs).eval(), _weights(arch)


def cpu_seconds(model, input_size=(1, 3, 224, 224), repeats=5):
    """Median wall time of one forward pass of ``model`` on zeros of ``input_size``, in seconds.

    On the CPU, in eval mode, without gradients, after one untimed warm-up pass, with the
    torch threads the process has (``torch.get_num_threads()``). Timings depend on the
    machine and on whatever else runs on it.

    Raises
    ------
    TypeError, ValueError
        ``model`` not a module, ``input_size`` not positive ints, ``repeats`` below 1.
    """
    check_module(model)
    repeats = check_int(repeats, "repeats", minimum=1)
    times = []
    with models._dry_run(model.cpu(), input_size) as forward:
        forward()
        for _ in range(repeats):
            start = time.perf_counter()
            forward()
            times.append(time.perf_counter() - start)
    return statistics.median(times)


def profile(name, repeats=5):
    """One row of the table for a network of :data:`ARCHITECTURES`, measured here.

    Returns
    -------
    dict
        ``name``, ``label``, ``year``, ``cite``, ``input`` (C, H, W); ``params`` (count),
        ``flops`` (of one image, from :class:`torch.utils.flop_counter.FlopCounterMode`:
        2 per multiply-add of the convolutions and matrix products), ``depth``
        (:func:`cnnviz.models.count_depth`), ``field`` (receptive field of ``layer``, in
        pixels, :func:`cnnviz.inspect.receptive_field`), ``activation_mb``
        (:func:`cnnviz.models.activation_bytes` / 1e6), ``cpu_ms`` (:func:`cpu_seconds`, in
        ms; None when ``repeats`` is 0); and from torchvision's metadata ``top1``, ``top5``
        (published ImageNet-1K accuracy, %), ``meta_params``, ``meta_gmacs``
        (``meta["_ops"]``), or None for LeNet-5.

    Raises
    ------
    TypeError, ValueError
        An unknown ``name``; ``repeats`` not an int >= 0.
    """
    arch = _architecture(name)
    repeats = check_int(repeats, "repeats", minimum=0)
    model, weights = build(name)
    size = (1, *arch.input_size)
    row = {
        "name": name, "label": arch.label, "year": arch.year, "cite": arch.cite,
        "input": arch.input_size,
        "params": models.count_parameters(model),
        "flops": models.count_flops(model, size),
        "depth": models.count_depth(model, size),
        "field": receptive_field(model, arch.layer, arch.input_size).size,
        "activation_mb": models.activation_bytes(model, size) / 1e6,
        "cpu_ms": 1000 * cpu_seconds(model, size, repeats) if repeats else None,
    }  # fmt: skip
    meta = weights.meta if weights is not None else {}
    metrics = meta.get("_metrics", {}).get("ImageNet-1K", {})
    row.update(
        top1=metrics.get("acc@1"), top5=metrics.get("acc@5"),
        meta_params=meta.get("num_params"), meta_gmacs=meta.get("_ops"),
    )  # fmt: skip
    return row


def architecture_table(names=tuple(ARCHITECTURES), repeats=5):
    """:func:`profile` of each of ``names``, in order (a list of dicts).

    Raises
    ------
    TypeError, ValueError
        ``names`` not a sequence of keys of :data:`ARCHITECTURES`; a bad ``repeats``.
    """
    if isinstance(names, str) or not isinstance(names, (tuple, list)) or not names:
        raise TypeError(f"names must be a non-empty tuple of network names, got {names!r}")
    return [profile(name, repeats) for name in names]


def _number(value, text):
    return "–" if value is None else text.format(value)


def _gflops(g):
    return f"{g:.2f}" if g >= 1 else f"{g:.3f}" if g >= 0.01 else f"{g:.4f}"


def format_table(rows):
    """The rows of :func:`architecture_table` as a text table (at most 88 characters a line).

    Columns: network, year, parameters (millions), GFLOPs per image, published ImageNet
    top-1 and top-5 (%), depth, receptive field (pixels), activation memory (MB), CPU time
    (ms). A missing number is a dash.

    Raises
    ------
    TypeError
        ``rows`` not a list of dicts.
    """
    if not isinstance(rows, (list, tuple)) or not all(isinstance(r, dict) for r in rows):
        raise TypeError(f"rows must be a list of dicts (architecture_table), got {rows!r:.60}")
    header = ("network", "year", "params", "GFLOPs", "top-1", "top-5", "depth", "field",
              "act. MB", "CPU ms")  # fmt: skip
    lines = [
        [
            r["label"],
            str(r["year"]),
            f"{r['params'] / 1e6:.2f} M",
            _gflops(r["flops"] / 1e9),
            _number(r["top1"], "{:.1f}"),
            _number(r["top5"], "{:.1f}"),
            str(r["depth"]),
            str(r["field"]),
            f"{r['activation_mb']:.1f}",
            _number(r["cpu_ms"], "{:.1f}"),
        ]  # fmt: skip
        for r in rows
    ]
    widths = [max(len(x[i]) for x in [header, *lines]) for i in range(len(header))]
    out = []
    for cells in [header, *lines]:
        text = [cells[0].ljust(widths[0])] + [
            c.rjust(w) for c, w in zip(cells[1:], widths[1:], strict=True)
        ]
        out.append("  ".join(text))
    out.insert(1, "-" * len(out[0]))
    return "\n".join(out)


# --------------------------------------------------------------------------- pretrained


def _check_weights(weights):
    from torchvision.models import WeightsEnum

    if not isinstance(weights, WeightsEnum):
        raise TypeError(
            f"weights must be a torchvision weights enum member (VGG16_Weights.IMAGENET1K_V1), "
            f"got {weights!r}"
        )
    return weights


def weights_file(weights):
    """The path where torch's hub cache keeps the file of ``weights`` (it may not exist).

    ``torch.hub.get_dir() / "checkpoints" / <the file name of weights.url>``, the place
    :func:`torch.hub.load_state_dict_from_url` looks first; set ``TORCH_HOME`` or call
    :func:`torch.hub.set_dir` to move it.

    Raises
    ------
    TypeError
        ``weights`` not a torchvision weights enum member.

    Examples
    --------
    >>> from torchvision.models import VGG16_Weights
    >>> weights_file(VGG16_Weights.IMAGENET1K_V1).name
    'vgg16-397923af.pth'
    """
    name = Path(urlparse(_check_weights(weights).url).path).name
    return Path(torch.hub.get_dir()) / "checkpoints" / name


def load_imagenet(name="vgg16"):
    """A network of :data:`ARCHITECTURES` with its ImageNet weights, when they are cached.

    Looks for the weights file in torch's hub cache (:func:`weights_file`) and never
    downloads: when the file is there, the network is built by torchvision from it
    (``torchvision.models.vgg16(weights=VGG16_Weights.IMAGENET1K_V1)``); when it is not,
    the network is None.

    Returns
    -------
    model : torch.nn.Module or None
        In eval mode.
    weights : torchvision weights enum member
        Its ``transforms()`` and ``meta["categories"]`` are available either way.

    Raises
    ------
    TypeError, ValueError
        ``name`` not a network with ImageNet weights.
    """
    arch = _architecture(name)
    if arch.weights is None:
        raise ValueError(f"name must be a network with ImageNet weights, got {name!r}")
    weights = _weights(arch)
    if not weights_file(weights).is_file():
        return None, weights
    import torchvision.models as tvm

    return getattr(tvm, arch.builder)(weights=weights).eval(), weights


def _as_pil(image):
    """A PIL image from a path, a PIL image, or an (H, W, 3) array in [0, 1] or uint8."""
    from PIL import Image

    if isinstance(image, Image.Image):
        return image.convert("RGB")
    if isinstance(image, (str, Path)):
        if not Path(image).is_file():
            raise ValueError(f"image must be an existing image file, got {str(image)!r}")
        with Image.open(image) as im:
            return im.convert("RGB")
    if isinstance(image, np.ndarray) and image.ndim == 3 and image.shape[2] == 3:
        if image.dtype != np.uint8:
            image = np.clip(np.round(255 * image), 0, 255).astype(np.uint8)
        return Image.fromarray(image)
    raise TypeError(
        f"image must be a file path, a PIL image or an (H, W, 3) array, got {image!r:.60}"
    )


def classify(model, weights, image, k=5):
    """The ``k`` most probable ImageNet classes of one image, as ``(name, probability)`` pairs.

    The recipe of torchvision's documentation: preprocess with ``weights.transforms()``
    (resize, centre crop, scale to [0, 1], normalize with the ImageNet mean and standard
    deviation), one forward pass in eval mode, softmax, ``topk(k)``, names from
    ``weights.meta["categories"]``.

    Parameters
    ----------
    model : torch.nn.Module
        A network trained on ImageNet (:func:`load_imagenet`).
    weights : torchvision weights enum member
    image : str, Path, PIL.Image.Image or numpy.ndarray
        A file (a photo of your own), a PIL image, or an ``(H, W, 3)`` array (floats in
        [0, 1] or uint8).
    k : int, default 5

    Raises
    ------
    TypeError, ValueError
        ``model`` not a module, ``weights`` not a weights enum, ``image`` neither a file that
        exists nor an image, ``k`` not between 1 and the number of classes.
    """
    check_module(model)
    categories = _check_weights(weights).meta["categories"]
    k = check_int(k, "k", minimum=1, maximum=len(categories))
    x = weights.transforms()(_as_pil(image)).unsqueeze(0)
    with _evaluating(model), torch.no_grad():
        probs = model(x).softmax(dim=1)[0]
    top = probs.topk(k)
    return [
        (categories[i], p) for p, i in zip(top.values.tolist(), top.indices.tolist(), strict=True)
    ]
