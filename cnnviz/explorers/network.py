"""The kernel-free network explorer: a trained CNN that runs in the reader's browser.

:func:`network_explorer` turns a trained torch network into one self-contained output: its
weights (BatchNorm folded into the convolution before it), a few images, and
``static/network.js``, which runs the forward pass with ``static/ops.js`` (the JavaScript
twin of :mod:`cnnviz.ops`: ``conv2d``, ``max_pool2d``, ``avg_pool2d``, the activations,
``linear`` and ``softmax``). The reader picks or uploads an image and sees every layer's
feature maps, the class probabilities, the filters behind a map, the receptive field of a
unit, and what hiding a square of the image does to the prediction. No kernel, server or
network is needed, so it works in the built book as in JupyterLab, Colab and VS Code.

The page runs networks that are a plain chain of layers (each layer's input is the output of
the one before), such as :class:`cnnviz.models.FastNet`: ``Conv2d`` (``groups=1``),
``BatchNorm2d``, ``MaxPool2d``, ``AvgPool2d``, adaptive max or average pooling to 1 x 1, the
activations of :data:`cnnviz.ops.ACTIVATIONS`, ``Flatten``, ``Linear``,
:class:`cnnviz.models.Mul`, and ``Dropout`` or ``Identity`` (skipped). Anything else (a skip
connection, a grouped convolution, a module whose ``forward`` computes more than its
children) is refused with the name of the layer.

Weights are stored as float32 rounded to their three high bytes (16 significant bits, a
relative error below 2**-16): float16 (11 bits) moved the shipped network's logits by up to
2.6e-3, these by about 1e-4 (``tests/test_network_explorer.py`` holds the page to 1e-3).
"""

from __future__ import annotations

import base64
import html
import os
from dataclasses import dataclass, field

import numpy as np

from cnnviz._checks import check_array, check_strings
from cnnviz.data.prepare import check_nchw
from cnnviz.explorers import _page

__all__ = ["NetworkExplorer", "PageLayer", "network_explorer", "page_layers", "MAX_IMAGES"]

#: The most images one explorer embeds (each is C x H x W bytes in the page).
MAX_IMAGES = 100
SUPPORTED = (
    "Conv2d (groups=1), BatchNorm2d, MaxPool2d, AvgPool2d, adaptive max or average pooling "
    "to 1 x 1, ReLU, LeakyReLU, GELU, Sigmoid, Tanh, Flatten, Linear, cnnviz.models.Mul, "
    "Dropout or Identity, in a plain chain (as cnnviz.models.FastNet)"
)


@dataclass
class PageLayer:
    """One layer as the page runs it.

    Attributes
    ----------
    name : str
        The torch module whose output this layer reproduces (``model.named_modules()``); a
        convolution with its BatchNorm folded in takes the BatchNorm's name.
    kind : str
        The ``cnnvizOps`` function the page calls (``conv2d``, ``max_pool2d``, ``avg_pool2d``,
        an activation's name, ``linear``), or ``batch_norm``, ``flatten``, ``mul``.
    title : str
        What the reader reads ("conv 3×3, 32→64 + BatchNorm").
    shape : tuple of int
        Output shape for one image: ``(C, H, W)`` or ``(features,)``.
    options : dict
        The function's keyword arguments (``stride``, ``padding``, ``scale`` ...).
    arrays : dict of str to numpy.ndarray
        Its float32 parameters (``weight``, ``bias``, ``scale``, ``shift``).
    modules : list of str
        The torch modules it stands for (two for a folded convolution).
    field : dict or None
        The theoretical receptive field of its units, ``{"size", "jump", "start"}`` in input
        pixels (:func:`cnnviz.inspect.receptive_field`), or None where that is undefined.
    """

    name: str
    kind: str
    title: str
    shape: tuple
    options: dict = field(default_factory=dict)
    arrays: dict = field(default_factory=dict)
    modules: list = field(default_factory=list)
    field: dict | None = None


class NetworkExplorer:
    """A kernel-free network explorer; build one with :func:`network_explorer`.

    Attributes
    ----------
    html : str
        The complete output (``_repr_html_``).
    element_id : str
    layers : list of PageLayer
    images : numpy.ndarray
        ``(N, C, H, W)`` uint8, the embedded images.
    labels : list of int
    classes : list of str
    mean, std : list of float
        The normalization the page applies: ``(image / 255 - mean) / std`` per channel.
    """

    def __init__(self, element_id, html_text, layers, images, labels, classes, mean, std):
        self.element_id = element_id
        self.html = html_text
        self.layers = layers
        self.images = images
        self.labels = labels
        self.classes = classes
        self.mean = mean
        self.std = std

    def _repr_html_(self):
        return self.html

    def __repr__(self):
        return (
            f"NetworkExplorer({len(self.layers)} layers, {len(self.images)} images, "
            f"{len(self.html) / 1e6:.2f} MB)"
        )


# --------------------------------------------------------------------------- tracing


def _refuse(name, module, why):
    raise ValueError(
        f"model must be a network the page can run ({SUPPORTED}), got layer {name!r} "
        f"({type(module).__name__}{why})"
    )


def _trace(model, x):
    """``[(name, module, input, output)]`` of the leaf modules in the order they ran."""
    import torch

    calls, hooks = [], []
    for name, module in model.named_modules():
        if name and not list(module.children()):
            hook = module.register_forward_hook(
                lambda m, args, out, name=name: calls.append((name, m, args, out))
            )
            hooks.append(hook)
    try:
        with torch.no_grad():
            output = model(x)
    finally:
        for hook in hooks:
            hook.remove()
    _check_chain(calls, x, output)
    return [(name, m, args[0], out) for name, m, args, out in calls]


def _check_chain(calls, x, output):
    """Refuse unless each leaf's only input is the previous leaf's output, once each."""
    if not calls:
        raise ValueError("model must have layers the page can run, got a model with none")
    seen, previous, before = set(), x, "the model's input"
    for name, module, args, out in calls:
        if name in seen:
            _refuse(name, module, ", called twice in one forward pass")
        seen.add(name)
        if len(args) != 1 or args[0] is not previous:
            _refuse(
                name,
                module,
                f", whose input is not the output of {before} (a skip connection, or an "
                "operation that is not a module)",
            )
        previous, before = out, repr(name)
    if output is not previous:
        name, module = calls[-1][:2]
        _refuse(name, module, ": the model's output is not this last layer's output")


# --------------------------------------------------------------------------- layers


def _numpy(tensor):
    return tensor.detach().to("cpu").double().numpy()


def _pair(value):
    return tuple(value) if isinstance(value, (tuple, list)) else (value, value)


def _conv(name, m, shape):
    if m.groups != 1:
        _refuse(name, m, f" with groups={m.groups}")
    padding = m.padding if isinstance(m.padding, str) else list(_pair(m.padding))
    options = {
        "stride": list(_pair(m.stride)),
        "padding": padding,
        "dilation": list(_pair(m.dilation)),
        "padding_mode": m.padding_mode,
    }
    kh, kw = m.kernel_size
    title = f"conv {kh}×{kw}, {m.in_channels}→{m.out_channels}"
    if options["stride"] != [1, 1]:
        title += f", stride {m.stride[0]}"
    arrays = {"weight": _numpy(m.weight)}
    if m.bias is not None:
        arrays["bias"] = _numpy(m.bias)
    return PageLayer(name, "conv2d", title, shape, options, arrays, [name])


def _bn_affine(name, m):
    """BatchNorm in evaluation mode as ``x * scale + shift`` per channel."""
    if m.running_mean is None or m.running_var is None:
        _refuse(name, m, " without running statistics (track_running_stats=False)")
    scale = _numpy(m.weight) if m.affine else np.ones(m.num_features)
    shift = _numpy(m.bias) if m.affine else np.zeros(m.num_features)
    scale = scale / np.sqrt(_numpy(m.running_var) + m.eps)
    return scale, shift - _numpy(m.running_mean) * scale


def _batch_norm(name, m, shape, previous):
    scale, shift = _bn_affine(name, m)
    if previous is not None and previous.kind == "conv2d" and len(previous.modules) == 1:
        weight = previous.arrays["weight"] * scale[:, None, None, None]
        bias = previous.arrays.get("bias", 0.0) * scale + shift
        title = previous.title + " + BatchNorm"
        return PageLayer(
            name,
            "conv2d",
            title,
            shape,
            previous.options,
            {"weight": weight, "bias": bias},
            [*previous.modules, name],
        ), True
    arrays = {"scale": scale, "shift": shift}
    return PageLayer(name, "batch_norm", "BatchNorm", shape, {}, arrays, [name]), False


def _pool(name, m, shape, in_shape):
    import torch.nn as nn

    if isinstance(m, (nn.AdaptiveMaxPool2d, nn.AdaptiveAvgPool2d)):
        if _pair(m.output_size) != (1, 1):
            _refuse(name, m, f" with output_size={m.output_size}, not 1")
        is_max = isinstance(m, nn.AdaptiveMaxPool2d)
        kind = "max_pool2d" if is_max else "avg_pool2d"
        title = "global max-pool" if is_max else "global average pool"
        return PageLayer(name, kind, title, shape, {"kernel_size": list(in_shape[1:])}, {}, [name])
    if m.ceil_mode:
        _refuse(name, m, " with ceil_mode=True")
    options = {"kernel_size": list(_pair(m.kernel_size)), "stride": list(_pair(m.stride))}
    options["padding"] = list(_pair(m.padding))
    if isinstance(m, nn.MaxPool2d):
        if m.return_indices:
            _refuse(name, m, " with return_indices=True")
        options["dilation"] = list(_pair(m.dilation))
        kind, word = "max_pool2d", "max-pool"
    else:
        if m.divisor_override is not None:
            _refuse(name, m, " with divisor_override")
        options["count_include_pad"] = bool(m.count_include_pad)
        kind, word = "avg_pool2d", "average pool"
    kh, kw = options["kernel_size"]
    return PageLayer(name, kind, f"{word} {kh}×{kw}", shape, options, {}, [name])


def _activation(name, m, shape):
    from cnnviz.models import TORCH_ACTIVATIONS
    from cnnviz.ops import ACTIVATIONS

    kind = next(key for key, cls in TORCH_ACTIVATIONS.items() if type(m) is cls)
    options = {}
    if kind == "leaky_relu":
        options["negative_slope"] = float(m.negative_slope)
    if kind == "gelu":
        options["approximate"] = m.approximate
    return PageLayer(name, kind, ACTIVATIONS[kind].label, shape, options, {}, [name])


def _other(name, m, shape, in_shape):
    import torch.nn as nn

    from cnnviz.models import Mul

    if isinstance(m, nn.Flatten):
        if m.start_dim != 1 or m.end_dim != -1:
            _refuse(name, m, f" with start_dim={m.start_dim}, end_dim={m.end_dim}")
        return PageLayer(name, "flatten", "flatten", shape, {}, {}, [name])
    if isinstance(m, nn.Linear):
        arrays = {"weight": _numpy(m.weight)}
        if m.bias is not None:
            arrays["bias"] = _numpy(m.bias)
        title = f"linear {m.in_features}→{m.out_features}"
        return PageLayer(name, "linear", title, shape, {}, arrays, [name])
    if isinstance(m, Mul):
        scale = float(m.scale)
        inverse = round(1 / scale) if scale else 0
        text = f"1/{inverse}" if inverse and abs(1 / scale - inverse) < 1e-9 else f"{scale:.4g}"
        return PageLayer(name, "mul", f"× {text}", shape, {"scale": scale}, {}, [name])
    _refuse(name, m, "")


def _layer(name, m, in_shape, shape, previous):
    """``(PageLayer or None, replaces_previous)`` for one traced leaf module."""
    import torch.nn as nn

    from cnnviz.models import TORCH_ACTIVATIONS

    if isinstance(m, (nn.Dropout, nn.Identity)):
        return None, False
    if type(m) is nn.Conv2d:
        return _conv(name, m, shape), False
    if type(m) is nn.BatchNorm2d:
        return _batch_norm(name, m, shape, previous)
    pools = (nn.MaxPool2d, nn.AvgPool2d, nn.AdaptiveMaxPool2d, nn.AdaptiveAvgPool2d)
    if type(m) in pools:
        return _pool(name, m, shape, in_shape), False
    if type(m) in TORCH_ACTIVATIONS.values():
        return _activation(name, m, shape), False
    return _other(name, m, shape, in_shape), False


def _field(model, layer, input_size):
    from cnnviz.inspect import receptive_field

    if len(layer.shape) != 3:
        return None
    try:
        rf = receptive_field(model, layer.name, input_size)
    except ValueError:  # a non-square window: the page outlines nothing
        return None
    return {"size": rf.size, "jump": rf.jump, "start": rf.start}


def page_layers(model, input_size=(3, 32, 32)):
    """The layers of ``model`` as the page runs them, or a ``ValueError`` naming the first
    layer it cannot run.

    Parameters
    ----------
    model : torch.nn.Module
        Traced in evaluation mode with one zero image of ``input_size``.
    input_size : (C, H, W), default (3, 32, 32)

    Returns
    -------
    list of PageLayer
        In forward order, BatchNorm folded into a convolution right before it
        (``w * g / sqrt(v + eps)`` and ``(b - m) * g / sqrt(v + eps) + beta``, the folding of
        Jacob et al. 2018, "Quantization and training of neural networks for efficient
        integer-arithmetic-only inference", section 3.2).

    Raises
    ------
    TypeError
        ``model`` is not a torch module.
    ValueError
        A layer the page cannot run (the message names it), or a model whose output is not
        one vector of class scores per image.
    """
    import torch

    from cnnviz.inspect import _evaluating
    from cnnviz.train._torch_checks import check_module

    check_module(model)
    x = torch.zeros(1, *input_size)
    with _evaluating(model):
        calls = _trace(model, x)
    layers = []
    for name, module, inp, out in calls:
        previous = layers[-1] if layers else None
        layer, replaces = _layer(name, module, tuple(inp.shape[1:]), tuple(out.shape[1:]), previous)
        if replaces:
            layers[-1] = layer
        elif layer is not None:
            layers.append(layer)
    if not layers or len(layers[-1].shape) != 1:
        shape = layers[-1].shape if layers else ()
        raise ValueError(f"model must end in one vector of class scores per image, got {shape}")
    for layer in layers:
        layer.field = _field(model, layer, input_size)
    return layers


# --------------------------------------------------------------------------- the page


def _float24(values):
    """float32 values rounded to their three high bytes (big-endian), as bytes."""
    bits = np.ascontiguousarray(values, dtype=np.float32).view(np.uint32).astype(np.uint64)
    bits = ((bits + 0x80) >> 8).astype(np.uint32)  # round to nearest (finite values only)
    return np.stack([bits >> 16, bits >> 8, bits], axis=-1).astype(np.uint8).tobytes()


def _pack(layers):
    """The layers' JSON (arrays as ``[offset, shape]``) and all their values in one blob."""
    specs, parts, offset = [], [], 0
    for layer in layers:
        arrays = {}
        for key, values in layer.arrays.items():
            if not np.all(np.isfinite(values)):
                raise ValueError(
                    f"model must have finite weights, got non-finite {key} in layer {layer.name!r}"
                )
            arrays[key] = [offset, list(values.shape)]
            parts.append(np.ravel(values))
            offset += values.size
        specs.append(
            {
                "name": layer.name,
                "kind": layer.kind,
                "title": layer.title,
                "shape": list(layer.shape),
                "options": layer.options,
                "arrays": arrays,
                "modules": layer.modules,
                "field": layer.field,
            }
        )
    blob = _float24(np.concatenate(parts)) if parts else b""
    return specs, base64.b64encode(blob).decode("ascii")


def _images(images):
    import torch

    if isinstance(images, torch.Tensor):
        images = images.detach().cpu().numpy()
    images = check_array(images, "images", (4,), dtype=None)
    if images.dtype != np.uint8:
        raise TypeError(f"images must be uint8 (0 to 255), got dtype {images.dtype}")
    if not 1 <= len(images) <= MAX_IMAGES:
        raise ValueError(f"images must hold 1 to {MAX_IMAGES} images, got {len(images)}")
    check_nchw(images.shape)
    return np.ascontiguousarray(images)


def _labels(labels, n, classes):
    import torch

    if isinstance(labels, torch.Tensor):
        labels = labels.tolist()
    labels = check_array(labels, "labels", (1,), dtype=None)
    if labels.dtype.kind not in "iu":
        raise TypeError(f"labels must be integer class indices, got dtype {labels.dtype}")
    if labels.shape != (n,):
        raise ValueError(f"labels must have shape ({n},), one per image, got {labels.shape}")
    if labels.size and (labels.min() < 0 or labels.max() >= len(classes)):
        raise ValueError(
            f"labels must lie in [0, {len(classes)}) for {len(classes)} classes, got values "
            f"from {labels.min()} to {labels.max()}"
        )
    return [int(v) for v in labels]


def _from_checkpoint(model, classes, mean, std):
    """A model given as a name in ``PRETRAINED`` or a checkpoint path, with its stored
    classes and normalization where the caller gave none."""
    from cnnviz.models import load_pretrained

    model, checkpoint = load_pretrained(model)
    return (
        model,
        checkpoint.get("classes") if classes is None else classes,
        checkpoint.get("mean") if mean is None else mean,
        checkpoint.get("std") if std is None else std,
    )


def _check_given(**values):
    for name, value in values.items():
        if value is None:
            raise ValueError(
                f"{name} must be given for a model without a checkpoint (the checkpoint of "
                f"cnnviz.models.load_pretrained stores it), got None"
            )


def network_explorer(model, images, labels, classes=None, mean=None, std=None, title=None):
    """A trained CNN that runs in the reader's browser, every layer one click away.

    The output holds the weights (BatchNorm folded in), the images, and the JavaScript of the
    forward pass (``static/ops.js`` and ``static/network.js``). The reader picks an image (or
    uploads or drops their own, resized to the images' size in the browser) and sees its
    normalized channels, every layer as a strip of feature maps with its shape, and the class
    probabilities. Clicking a map opens it large beside the filters that produced it;
    clicking a pixel there outlines its receptive field on the input. Clicking the input hides
    a square of it (set to 0 after normalization, the mean colour, as
    :func:`cnnviz.inspect.occlusion` does) and everything recomputes.

    The root element carries ``data-cnnviz-explorer="network"`` and ``root.cnnviz``:
    ``set({image: i, occlusion: [row, col] or null, window: k})``, ``count`` (images),
    ``input`` (``{shape, data}``, normalized), ``label`` (true class or null for an upload),
    ``output`` (``{logits, probabilities}``), ``layers`` (name to ``{shape, data}``) and
    ``timing`` (milliseconds of the last forward pass).

    Parameters
    ----------
    model : torch.nn.Module, str or path
        A network :func:`page_layers` accepts (:class:`cnnviz.models.FastNet`), or a name in
        :data:`cnnviz.models.PRETRAINED` or a checkpoint path (loaded with
        :func:`cnnviz.models.load_pretrained`, which supplies ``classes``, ``mean`` and
        ``std``).
    images : uint8 array or tensor, (N, C, H, W)
        1 to :data:`MAX_IMAGES` images with values 0 to 255 (for example 3 CIFAR-10 test
        images per class).
    labels : sequence of int, (N,)
        Their true classes.
    classes : sequence of str, optional
        One name per output of the model.
    mean, std : sequence of float, optional
        Per-channel normalization in units of the 0-1 image: the network sees
        ``(image / 255 - mean) / std``.
    title : str, optional

    Returns
    -------
    NetworkExplorer

    Raises
    ------
    TypeError
        ``model`` not a module or checkpoint; ``images`` not uint8; labels not integers.
    ValueError
        A layer the page cannot run (named); images not ``(N, C, H, W)`` or too many; labels,
        classes, mean or std of the wrong length; ``std`` not positive.

    Examples
    --------
    >>> import torch
    >>> from cnnviz.models import FastNet
    >>> images = torch.zeros(2, 3, 32, 32, dtype=torch.uint8)
    >>> explorer = network_explorer(FastNet(widths=(4, 8, 8)), images, [0, 1],
    ...     classes=[str(i) for i in range(10)], mean=(0.5,) * 3, std=(0.25,) * 3)
    >>> [layer.name for layer in explorer.layers][:4]
    ['stem.0.conv', 'stem.1', 'block1.0', 'block1.1']
    """
    if isinstance(model, (str, os.PathLike)):
        model, classes, mean, std = _from_checkpoint(model, classes, mean, std)
    images = _images(images)
    channels, size = images.shape[1], images.shape[2:]
    layers = page_layers(model, (channels, *size))
    _check_given(classes=classes, mean=mean, std=std)
    classes = check_strings(classes, "classes", count=layers[-1].shape[0])
    labels = _labels(labels, len(images), classes)
    from cnnviz.data.loader import _check_stats  # imports torch: only when called

    mean = list(_check_stats(mean, "mean", channels, None))
    std = list(_check_stats(std, "std", channels, None, positive=True))
    if title is not None and not isinstance(title, str):
        raise TypeError(f"title must be a str or None, got {title!r}")
    title = "A trained CNN in your browser" if title is None else title
    specs, weights = _pack(layers)
    config = {
        "layers": specs,
        "weights": weights,
        "images": base64.b64encode(images.tobytes()).decode("ascii"),
        "image_shape": list(images.shape[1:]),
        "labels": labels,
        "classes": classes,
        "mean": mean,
        "std": std,
    }
    element_id = _page.new_id("network")
    markup = _page.assemble(
        element_id,
        "network",
        ["ops.js", "base.js", "layers.js", "network.js"],
        _body(title, size),
        config,
        classes=("cnnviz-layer",),
        data={"cnnviz-explorer": "network"},
        styles=("layers.css", "network.css"),
    )
    return NetworkExplorer(element_id, markup, layers, images, labels, classes, mean, std)


def _body(title, size):
    """The explorer's HTML; ``static/network.js`` fills it."""
    window = max(2, min(size) // 4)
    return (
        f'<div class="cnnviz-title">{html.escape(title)}</div>'
        '<div class="cnnviz-subtitle">Pick an image, or drop your own on the input. Click the '
        "input to hide a square of it; click a feature map to open it. This runs in your "
        "browser, no Python needed.</div>"
        '<div class="cnnviz-net-pick" role="group" aria-label="images"></div>'
        '<div class="cnnviz-controls cnnviz-net-controls">'
        '<label class="cnnviz-net-upload"><span>Your own image</span>'
        '<input type="file" accept="image/*" aria-label="upload an image"></label>'
        '<div class="cnnviz-net-occlusion">'
        '<label class="cnnviz-net-check"><input type="checkbox" data-param="occlude" '
        'aria-label="occlude, hide a square of the input"> hide a square of the input '
        "(click the input to move it)</label>"
        + _page.slider("window", "side of the square (pixels)", 1, max(1, min(size) // 2), window)
        + "</div></div>"
        '<div class="cnnviz-net-top">'
        '<div class="cnnviz-panel cnnviz-net-input"><div class="cnnviz-caption cnnviz-net-title">'
        "input</div>"
        '<canvas class="cnnviz-net-image" aria-label="the input image"></canvas>'
        '<div class="cnnviz-net-norm"></div></div>'
        '<div class="cnnviz-panel cnnviz-net-probs"><div class="cnnviz-caption">'
        "class probabilities (softmax of the logits)</div>"
        '<div class="cnnviz-bars"></div><div class="cnnviz-net-note">orange: the predicted '
        "class; outlined and bold: the true class. Hover a bar for its logit.</div></div></div>"
        '<div class="cnnviz-net-detail" hidden></div>'
        '<div class="cnnviz-net-layers"></div>'
        '<div class="cnnviz-result" aria-live="polite"><div class="cnnviz-size"></div>'
        '<div class="cnnviz-detail"></div>'
        '<div class="cnnviz-message"></div></div>'
    )
