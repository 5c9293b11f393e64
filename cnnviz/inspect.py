"""Inside a trained CNN: what each layer computes, where a decision looks, how it is fooled.

Small PyTorch functions for chapter 12, each written from its paper and checked against a
trusted implementation in ``tests/test_inspect.py`` (Captum's; cnnviz never imports Captum):

============================  =========================================  ==========================
function                      returns                                    source
============================  =========================================  ==========================
:func:`feature_maps`          activations of named layers                forward hooks
:func:`saliency`              ``|d logit / d input|``, max over colour   Simonyan et al. 2014
:func:`smoothgrad`            saliency averaged over noisy copies        Smilkov et al. 2017
:func:`grad_cam`              gradient-weighted channel sum, upsampled   Selvaraju et al. 2017
:func:`occlusion`             drop in probability when a patch is hidden Zeiler & Fergus 2014
:func:`fgsm`                  adversarial images                         Goodfellow et al. 2015
:func:`receptive_field`       the input window one unit of a layer sees  Araujo et al. 2019
:func:`gradient_norms`        the loss gradient's size at each layer     He et al. 2016
:func:`top_activating`        the images that excite a channel most      Zeiler & Fergus 2014
============================  =========================================  ==========================

Every function takes a batch ``x`` of shape ``(N, C, H, W)`` in the model's own input units
(normalized, for the book's nets) and runs the model in evaluation mode (BatchNorm's running
statistics, no dropout), restoring its mode afterwards. Gradients are taken with respect to
the input only: the parameters' ``.grad`` are left alone.
"""

from __future__ import annotations

import contextlib
import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from ._checks import check_bool, check_int, check_number, check_pair
from .models import _tensors, trace_dataflow
from .train._torch_checks import check_module

__all__ = [
    "ReceptiveField",
    "TopActivations",
    "feature_maps",
    "fgsm",
    "grad_cam",
    "gradient_norms",
    "layer_names",
    "occlusion",
    "receptive_field",
    "saliency",
    "smoothgrad",
    "top_activating",
]

# --------------------------------------------------------------------------- checks


def _check_images(x, name="x"):
    """A float tensor of shape (N, C, H, W)."""
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor of shape (N, C, H, W), got {x!r:.60}")
    if x.dim() != 4:
        raise ValueError(f"{name} must have shape (N, C, H, W), got shape {tuple(x.shape)}")
    if not x.is_floating_point():
        raise TypeError(f"{name} must be a floating-point tensor, got dtype {x.dtype}")
    if x.shape[0] == 0:
        raise ValueError(f"{name} must hold at least one image, got shape {tuple(x.shape)}")
    if not torch.isfinite(x).all():
        raise ValueError(f"{name} must be finite, got NaN or infinite values")
    return x


def _check_target(target, n, num_classes):
    """``target`` as a (N,) long tensor: one int for every image, or one per image."""
    t = _target_list(target, n)
    bad = (t < 0) | (t >= num_classes)
    if bad.any():
        raise ValueError(
            f"target must be a class index in [0, {num_classes}), got {t[bad][0].item()}"
        )
    return t


def layer_names(model):
    """The names of ``model``'s submodules, as ``model.named_modules()`` gives them."""
    return [name for name, _ in check_module(model).named_modules() if name]


def _module(model, layer):
    if not isinstance(layer, str):
        raise TypeError(f"layer must be a module name (str), got {layer!r}")
    modules = dict(model.named_modules())
    if layer not in modules or not layer:
        names = layer_names(model)
        shown = ", ".join(names[:12]) + (", …" if len(names) > 12 else "")
        raise ValueError(f"layer must be one of the model's modules ({shown}), got {layer!r}")
    return modules[layer]


@contextlib.contextmanager
def _evaluating(model):
    """Evaluation mode inside the block, the model's own mode after it."""
    was_training = model.training
    model.eval()
    try:
        yield model
    finally:
        model.train(was_training)


# --------------------------------------------------------------------------- feature maps


def feature_maps(model, x, layers):
    """The outputs of the named layers for the images ``x``, recorded by forward hooks.

    Parameters
    ----------
    model : torch.nn.Module
    x : torch.Tensor, shape (N, C, H, W)
    layers : str or list of str
        Names as in ``model.named_modules()`` (``"block1.conv1"``); see :func:`layer_names`.

    Returns
    -------
    dict of str to torch.Tensor
        Each layer's output (detached), in the order of ``layers``; a convolution's is
        ``(N, C_out, H_out, W_out)``.

    Raises
    ------
    TypeError
        ``model`` not a module, ``x`` not a float tensor, a layer name not a str.
    ValueError
        ``x`` not 4-D or not finite, a layer the model does not have.
    """
    check_module(model)
    _check_images(x)
    if isinstance(layers, str):
        layers = [layers]
    if not isinstance(layers, (list, tuple)):
        raise TypeError(f"layers must be a layer name or a list of names, got {layers!r:.60}")
    names = list(layers)
    if not names:
        raise ValueError("layers must name at least one layer, got none")
    found = {}
    hooks = [
        _module(model, name).register_forward_hook(
            lambda _m, _i, out, name=name: found.__setitem__(name, out.detach())
        )
        for name in names
    ]
    try:
        with _evaluating(model), torch.no_grad():
            model(x)
    finally:
        for hook in hooks:
            hook.remove()
    return {name: found[name] for name in names}


# --------------------------------------------------------------------------- gradients


def _logit_gradient(model, x, target):
    """``d logit[target] / d x`` for every image, shape (N, C, H, W), and the targets."""
    x = x.detach().clone().requires_grad_(True)
    with _evaluating(model):
        logits = model(x)
        t = _check_target(target, len(x), logits.shape[1])
        chosen = logits.gather(1, t[:, None].to(logits.device)).sum()
        (grad,) = torch.autograd.grad(chosen, x)
    return grad, t


def saliency(model, x, target):
    """Vanilla gradient saliency: how much each pixel moves the target class's logit.

    ``|d logit_target / d x|``, the largest over the colour channels (Simonyan, Vedaldi and
    Zisserman 2014, "Deep inside convolutional networks", section 3.1). The reference in the
    tests is Captum's ``Saliency`` (``abs=True``), reduced over channels the same way.

    Parameters
    ----------
    model : torch.nn.Module
        Maps ``(N, C, H, W)`` to logits ``(N, num_classes)``.
    x : torch.Tensor, shape (N, C, H, W)
    target : int or sequence of N ints
        The class whose logit is differentiated, for all images or for each.

    Returns
    -------
    torch.Tensor, shape (N, H, W)
        Non-negative, in logit units per input unit.

    Raises
    ------
    TypeError, ValueError
        As :func:`feature_maps`; a target outside ``[0, num_classes)``.
    """
    check_module(model)
    grad, _ = _logit_gradient(model, _check_images(x), target)
    return grad.abs().amax(dim=1)


def smoothgrad(model, x, target, n=25, sigma=0.15, generator=None):
    """SmoothGrad: the saliency averaged over ``n`` noisy copies of each image.

    Each copy adds Gaussian noise of standard deviation ``sigma`` (in the units of ``x``), the
    absolute gradients are averaged over the copies and then reduced over the colour channels
    by their maximum (Smilkov et al. 2017, "SmoothGrad: removing noise by adding noise").
    The noise is drawn as Captum's ``NoiseTunnel`` draws it, so that with the same seed the
    two agree to rounding (``tests/test_inspect.py``).

    Parameters
    ----------
    model, x, target
        As :func:`saliency`.
    n : int, default 25
        Noisy copies per image, at least 1.
    sigma : float, default 0.15
        Standard deviation of the noise, >= 0. The paper recommends 10–20 % of the input's
        range; for normalized images (range about 4) 0.15 is about 4 %.
    generator : torch.Generator, optional
        Source of the noise; the global generator when None.

    Returns
    -------
    torch.Tensor, shape (N, H, W)

    Raises
    ------
    TypeError, ValueError
        As :func:`saliency`; ``n`` below 1, ``sigma`` negative or not finite.
    """
    check_module(model)
    _check_images(x)
    n = check_int(n, "n", minimum=1)
    sigma = check_number(sigma, "sigma", minimum=0.0)
    if generator is not None and not isinstance(generator, torch.Generator):
        raise TypeError(f"generator must be a torch.Generator or None, got {generator!r}")
    std = torch.full((len(x) * n, *x.shape[1:]), float(sigma), device=x.device)
    noisy = x.detach().repeat_interleave(n, dim=0) + torch.normal(0.0, std, generator=generator)
    targets = _target_list(target, len(x)).repeat_interleave(n)
    grad, _ = _logit_gradient(model, noisy, targets)
    return grad.abs().reshape(len(x), n, *x.shape[1:]).mean(dim=1).amax(dim=1)


def _target_list(target, n):
    """``target`` as N ints before the class count is known (checked later)."""
    if isinstance(target, bool):
        raise TypeError(f"target must be an int or N ints, got {target!r}")
    if isinstance(target, int):
        return torch.full((n,), target, dtype=torch.long)
    try:
        t = torch.as_tensor(target)
    except (TypeError, RuntimeError, ValueError):
        raise TypeError(f"target must be an int or N ints, got {target!r:.60}") from None
    if t.is_floating_point() or t.dtype == torch.bool or t.is_complex():
        raise TypeError(f"target must be an int or N ints, got dtype {t.dtype}")
    if t.numel() != n:
        raise ValueError(f"target must be one int or {n} ints (one per image), got {t.numel()}")
    return t.reshape(-1).long()


def grad_cam(model, x, target, layer, upsample=True):
    """Grad-CAM: where in a layer's feature maps the evidence for a class lies.

    With ``A`` the layer's output ``(N, K, h, w)`` and ``y`` the target logit, each channel
    gets the weight ``alpha_k = mean over positions of dy/dA_k``, and the map is
    ``ReLU(sum_k alpha_k A_k)`` (Selvaraju et al. 2017, "Grad-CAM", equations 1–2), then
    resized bilinearly to the input (``align_corners=False``). Reference in the tests:
    Captum's ``LayerGradCam`` with ``LayerAttribution.interpolate``.

    Parameters
    ----------
    model, x, target
        As :func:`saliency`.
    layer : str
        A layer with a 4-D output, by name (usually the last convolutional block).
    upsample : bool, default True
        Resize to the input's ``(H, W)``; False keeps the layer's ``(h, w)``.

    Returns
    -------
    torch.Tensor, shape (N, H, W) (or (N, h, w))
        Non-negative, in logit units.

    Raises
    ------
    TypeError, ValueError
        As :func:`saliency`; a layer the model lacks, or whose output is not 4-D.
    """
    check_module(model)
    _check_images(x)
    module = _module(model, layer)
    upsample = check_bool(upsample, "upsample")
    kept = {}
    hook = module.register_forward_hook(lambda _m, _i, out: kept.__setitem__("a", out))
    try:
        with _evaluating(model):
            logits = model(x.detach())
            t = _check_target(target, len(x), logits.shape[1])
            activation = kept["a"]
            if activation.dim() != 4:
                raise ValueError(
                    f"layer must have a 4-D output (N, K, h, w) for Grad-CAM, got {layer!r} "
                    f"with shape {tuple(activation.shape)}"
                )
            chosen = logits.gather(1, t[:, None].to(logits.device)).sum()
            (grad,) = torch.autograd.grad(chosen, activation)
    finally:
        hook.remove()
    weights = grad.mean(dim=(2, 3), keepdim=True)
    cam = F.relu((weights * activation).sum(dim=1, keepdim=True)).detach()
    if upsample:
        cam = F.interpolate(cam, size=x.shape[2:], mode="bilinear", align_corners=False)
    return cam[:, 0]


# --------------------------------------------------------------------------- occlusion


def _window_starts(size, window, stride):
    """Window positions along one axis: 0, stride, … until the window reaches the edge."""
    count = math.ceil((size - window) / stride) + 1
    return [i * stride for i in range(count)]


def occlusion(model, x, target, window=8, stride=4, baseline=0.0):
    """How much the target class's probability drops when each patch of the image is hidden.

    A ``window`` square (all channels) slides over the image with ``stride``; each position is
    replaced by ``baseline`` and the drop ``p(x) - p(x occluded)`` of the target's softmax
    probability is recorded. A pixel's value is the mean drop over the windows that cover it
    (Zeiler and Fergus 2014, "Visualizing and understanding convolutional networks", section
    4.2). Windows start at 0, stride, … and the last one is cut at the edge, as in Captum's
    ``Occlusion``, the reference in the tests.

    Parameters
    ----------
    model, x, target
        As :func:`saliency`.
    window : int or (int, int), default 8
        Height and width of the hidden patch, in pixels, at most the image's.
    stride : int or (int, int), default 4
        Step between patches, from 1 to the window size.
    baseline : float, default 0.0
        The value the patch is filled with (0 is the mean colour for normalized images).

    Returns
    -------
    torch.Tensor, shape (N, H, W)
        Probability drops, in [-1, 1]; positive where hiding the pixels hurts the class.

    Raises
    ------
    TypeError, ValueError
        As :func:`saliency`; a window larger than the image, a stride larger than the window.
    """
    check_module(model)
    _check_images(x)
    window = check_pair(window, "window")
    stride = check_pair(stride, "stride")
    baseline = check_number(baseline, "baseline")
    size = tuple(x.shape[2:])
    if window[0] > size[0] or window[1] > size[1]:
        raise ValueError(f"window must fit the image {size}, got {window}")
    if stride[0] > window[0] or stride[1] > window[1]:
        raise ValueError(f"stride must be at most the window {window}, got {stride}")
    with _evaluating(model), torch.no_grad():
        probs = model(x).softmax(dim=1)
        t = _check_target(target, len(x), probs.shape[1]).to(x.device)
        base = probs.gather(1, t[:, None])[:, 0]
        total = torch.zeros(len(x), *size, device=x.device)
        count = torch.zeros(size, device=x.device)
        for top in _window_starts(size[0], window[0], stride[0]):
            for left in _window_starts(size[1], window[1], stride[1]):
                rows, cols = slice(top, top + window[0]), slice(left, left + window[1])
                hidden = x.clone()
                hidden[:, :, rows, cols] = baseline
                drop = base - model(hidden).softmax(dim=1).gather(1, t[:, None])[:, 0]
                total[:, rows, cols] += drop[:, None, None]
                count[rows, cols] += 1
    return total / count


# --------------------------------------------------------------------------- adversarial


def fgsm(model, x, target, epsilon, bounds=(0.0, 1.0)):
    """The fast gradient sign method: one step that raises the loss on the true class.

    ``x_adv = clip(x + epsilon * sign(d CE(model(x), target) / dx), *bounds)`` (Goodfellow,
    Shlens and Szegedy 2015, "Explaining and harnessing adversarial examples", equation 3).
    Every pixel moves by at most ``epsilon``. Reference in the tests: Captum's ``FGSM``.

    Parameters
    ----------
    model, x
        As :func:`saliency`. ``x`` is in the units ``epsilon`` and ``bounds`` are given in:
        wrap a normalizing model around the net (``nn.Sequential(normalize, net)``) to attack
        images in [0, 1], where ``epsilon = 2/255`` means two grey levels.
    target : int or sequence of N ints
        The true classes, whose loss the step increases.
    epsilon : float
        Step size, >= 0.
    bounds : (float, float), default (0.0, 1.0)
        The valid range of ``x``; the result is clipped to it. ``(-inf, inf)`` for none.

    Returns
    -------
    torch.Tensor, shape (N, C, H, W)

    Raises
    ------
    TypeError, ValueError
        As :func:`saliency`; a negative ``epsilon``, ``bounds`` not increasing.
    """
    check_module(model)
    _check_images(x)
    epsilon = check_number(epsilon, "epsilon", minimum=0.0)
    if not (isinstance(bounds, (tuple, list)) and len(bounds) == 2):
        raise TypeError(f"bounds must be a pair (low, high), got {bounds!r}")
    low = check_number(bounds[0], "bounds[0]", finite=False)
    high = check_number(bounds[1], "bounds[1]", finite=False)
    if not low < high:
        raise ValueError(f"bounds must be increasing (low < high), got {tuple(bounds)}")
    x_in = x.detach().clone().requires_grad_(True)
    with _evaluating(model):
        logits = model(x_in)
        t = _check_target(target, len(x), logits.shape[1]).to(logits.device)
        (grad,) = torch.autograd.grad(F.cross_entropy(logits, t, reduction="sum"), x_in)
    return (x.detach() + epsilon * grad.sign()).clamp(low, high)


# --------------------------------------------------------------------------- receptive field


@dataclass(frozen=True)
class ReceptiveField:
    """The input window of one unit of a layer (rows and columns alike).

    Unit ``i`` of the layer sees input rows ``start + i * jump`` to
    ``start + i * jump + size - 1`` (some may lie in the padding, outside the image).

    Attributes
    ----------
    size : int
        Side of the window, in input pixels.
    jump : int
        Input pixels between neighbouring units (the product of the strides).
    start : int
        First input row of unit 0 (negative when padding reaches outside the image).
    """

    size: int
    jump: int
    start: int

    def window(self, i):
        """``(first, last)`` input index seen by unit ``i`` (inclusive, maybe off the image)."""
        first = self.start + i * self.jump
        return first, first + self.size - 1


def _square(value, what):
    pair = tuple(value) if isinstance(value, (tuple, list)) else (value, value)
    if len(pair) == 1:
        pair = pair * 2
    if pair[0] != pair[1]:
        raise ValueError(f"receptive_field handles square {what} only, got {pair}")
    return pair[0]


def _arg(args, kwargs, index, name, default):
    """Argument ``name`` of a torch function call, given by position or by keyword."""
    if name in kwargs:
        return kwargs[name]
    return args[index] if len(args) > index else default


def _window(field, k, s, p, d=1):
    """Chapter 3's rule for one window layer: kernel ``k``, stride ``s``, padding ``p``."""
    size, jump, start = field
    return (size + (d * (k - 1)) * jump, jump * s, start - p * jump)


# torch functions that move or resize pixels by a rule receptive_field does not know
_UNKNOWN = (
    "interpolate", "upsample", "conv_transpose", "pixel_shuffle", "pixel_unshuffle",
    "unfold", "fold", "grid_sample", "roll", "flip", "rot90",
)  # fmt: skip


class _Unknown(str):
    """Marks a tensor that went through an operation without a rule (its name)."""


def _field_rule(func, args, kwargs, values, out):
    """The receptive field ``(size, jump, start)`` of a torch function's output."""
    name = getattr(func, "__name__", str(func))
    unknown = [v for v in values if isinstance(v, _Unknown)]
    if unknown:
        return unknown[0]
    field = values[0]
    if name == "conv2d":
        weight = _arg(args, kwargs, 1, "weight", None)
        k = _square(tuple(weight.shape[2:]), "kernels")
        s = _square(_arg(args, kwargs, 3, "stride", 1), "strides")
        d = _square(_arg(args, kwargs, 5, "dilation", 1), "dilations")
        p = _arg(args, kwargs, 4, "padding", 0)
        p = {"valid": 0, "same": d * (k - 1) // 2}.get(p, p) if isinstance(p, str) else p
        return _window(field, k, s, _square(p, "paddings"), d)
    if name in ("max_pool2d", "avg_pool2d", "max_pool2d_with_indices"):
        k = _square(_arg(args, kwargs, 1, "kernel_size", None), "kernels")
        s = _arg(args, kwargs, 2, "stride", None)
        s = k if s is None or s == [] or s == () else _square(s, "strides")
        p = _square(_arg(args, kwargs, 3, "padding", 0), "paddings")
        d = _square(_arg(args, kwargs, 4, "dilation", 1), "dilations") if "max" in name else 1
        return _window(field, k, s, p, d)
    if name in ("adaptive_avg_pool2d", "adaptive_max_pool2d"):
        i = _square(tuple(args[0].shape[-2:]), "inputs")
        o = _square(tuple(next(iter(_tensors(out))).shape[-2:]), "outputs")
        if i % o:
            return _Unknown(f"{name} from {i} to {o}")
        return _window(field, i // o, i // o, 0)
    if name == "pad":
        pad = tuple(_arg(args, kwargs, 1, "pad", ()))
        if len(pad) >= 4:
            if pad[0] != pad[2]:
                raise ValueError(f"receptive_field handles square paddings only, got {pad}")
            return _window(field, 1, 1, pad[0])
        return field
    if any(word in name for word in _UNKNOWN):
        return _Unknown(name)
    if len({v[1] for v in values}) > 1:  # a merge of maps with different strides
        return _Unknown(f"{name} of maps {sorted({v[1] for v in values})} pixels apart")
    # position-wise (activations, normalization, sums, concatenation, permutes):
    # the union of the windows of the inputs
    first = min(v[2] for v in values)
    last = max(v[2] + v[0] for v in values)
    return (last - first, field[1], first)


def receptive_field(model, layer, input_size=(3, 32, 32)):
    """The theoretical receptive field of a layer's units, from the layers before it.

    Follows one forward pass (:func:`cnnviz.models.trace_dataflow`) and gives every tensor
    the window of the input that one of its units sees. A convolution or pooling with
    effective kernel ``k' = d (k - 1) + 1`` composes it as ``size += (k' - 1) * jump``,
    ``start -= padding * jump``, ``jump *= stride`` (Araujo, Norris and Sim 2019, "Computing
    receptive fields of convolutional neural networks", Distill, equations 1–2; chapter 3
    derives the same rule). An adaptive pooling that divides its input evenly is a pooling
    with kernel = stride = input / output. Every other operation works position by position
    (activations, normalization, a residual sum, a concatenation of branches, a permute):
    its output's window is the union of its inputs' windows, so a net with branches gets
    the field of its widest path (GoogLeNet, ResNet).

    Parameters
    ----------
    model : torch.nn.Module
    layer : str
        By name, as in :func:`feature_maps`.
    input_size : (C, H, W), default (3, 32, 32)
        The input a forward pass is traced with.

    Returns
    -------
    ReceptiveField

    Raises
    ------
    TypeError, ValueError
        A layer the model lacks; a layer before it that moves pixels by a rule this does not
        know (an upsampling, a transposed convolution, an adaptive pooling that does not
        divide its input); different settings for rows and columns; a sum of maps whose
        units lie a different number of pixels apart.
    """
    check_module(model)
    _module(model, layer)
    if not (isinstance(input_size, (tuple, list)) and len(input_size) == 3):
        raise TypeError(f"input_size must be (C, H, W), got {input_size!r:.60}")
    input_size = tuple(check_int(v, "input_size", minimum=1) for v in input_size)
    field = trace_dataflow(model, (1, *input_size), _field_rule, (1, 1, 0), [layer])[layer]
    if isinstance(field, _Unknown):
        raise ValueError(
            f"layer {layer!r} follows a {field} that changes the spatial size by a rule "
            f"receptive_field does not know"
        )
    size, jump, start = field
    return ReceptiveField(size, jump, start)


def gradient_norms(model, x, target):
    """The norm of the loss gradient of every convolution's and linear layer's weights.

    One forward and backward pass of the cross-entropy of ``model(x)`` against ``target``,
    in **training** mode (BatchNorm uses the batch's statistics, as in the first step of
    training), then the model's own mode and BatchNorm's running statistics again. A deep
    net without skip connections can reach the first layers with gradients much smaller or
    larger than the last ones (He et al. 2016 discuss this; chapter 13 measures it at
    initialisation). The parameters'
    ``.grad`` are left as they were.

    Parameters
    ----------
    model : torch.nn.Module
    x : torch.Tensor (N, C, H, W)
    target : int or sequence of int
        The class of each image.

    Returns
    -------
    dict
        Layer name -> Frobenius norm of the gradient of its weight (float), in the order of
        ``model.named_modules()``.

    Raises
    ------
    TypeError, ValueError
        ``model`` not a module, ``x`` not a 4-D tensor, ``target`` not valid classes.
    """
    check_module(model)
    x = _check_images(x)
    layers = [
        (name, m) for name, m in model.named_modules()
        if isinstance(m, (nn.Conv2d, nn.Linear)) and m.weight.requires_grad
    ]  # fmt: skip
    was_training = model.training
    buffers = [(b, b.clone()) for b in model.buffers()]  # BatchNorm's running statistics
    model.train()
    try:
        logits = model(x)
        t = _check_target(target, len(x), logits.shape[1]).to(logits.device)
        weights = [m.weight for _, m in layers]
        grads = torch.autograd.grad(F.cross_entropy(logits, t), weights)
    finally:
        model.train(was_training)
        with torch.no_grad():
            for buffer, saved in buffers:
                buffer.copy_(saved)
    return {name: g.norm().item() for (name, _), g in zip(layers, grads, strict=True)}


def _device(model):
    param = next(model.parameters(), None)
    return param.device if param is not None else torch.device("cpu")


# --------------------------------------------------------------------------- top activating


@dataclass(frozen=True)
class TopActivations:
    """The images that excite one channel of a layer most, strongest first.

    Attributes
    ----------
    indices : torch.Tensor, shape (k,)
        Positions in the ``images`` given.
    values : torch.Tensor, shape (k,)
        The channel's largest activation in each image.
    positions : torch.Tensor, shape (k, 2)
        Row and column of that activation in the layer's map.
    crops : torch.Tensor, shape (k, C, r, r)
        The input window (receptive field, side ``r``) the activation sees, zero where it
        reaches past the image.
    field : ReceptiveField
    """

    indices: torch.Tensor
    values: torch.Tensor
    positions: torch.Tensor
    crops: torch.Tensor
    field: ReceptiveField


def top_activating(model, images, layer, channel, k=9, batch_size=256):
    """The ``k`` images whose strongest activation of ``channel`` in ``layer`` is largest.

    Each image scores the maximum of the channel's map; the ``k`` best are returned with the
    crop of the input that the winning unit sees (its :func:`receptive_field`), the method of
    Zeiler and Fergus 2014 (figure 2: top-9 patches per feature). The tests compare it with a
    brute-force forward pass over all images at once.

    Parameters
    ----------
    model : torch.nn.Module
    images : torch.Tensor, shape (N, C, H, W)
        The model's inputs (normalized, for the book's nets); the crops are cut from them.
    layer : str
        A layer with a 4-D output.
    channel : int
        In ``[0, channels of layer)``.
    k : int, default 9
        From 1 to N.
    batch_size : int, default 256
        Images per forward pass (memory only; the result does not depend on it).

    Returns
    -------
    TopActivations

    Raises
    ------
    TypeError, ValueError
        As :func:`feature_maps`; ``channel`` out of range, ``k`` outside ``[1, N]``.
    """
    check_module(model)
    _check_images(images, "images")
    _module(model, layer)
    k = check_int(k, "k", minimum=1, maximum=len(images))
    batch_size = check_int(batch_size, "batch_size", minimum=1)
    best, where = [], []
    for chunk in images.split(batch_size):
        fmap = feature_maps(model, chunk, layer)[layer]
        if fmap.dim() != 4:
            raise ValueError(f"layer must have a 4-D output, got {layer!r} with {fmap.dim()}-D")
        check_int(channel, "channel", minimum=0, maximum=fmap.shape[1] - 1)
        flat = fmap[:, channel].flatten(1)
        value, arg = flat.max(dim=1)
        best.append(value)
        where.append(torch.stack([arg // fmap.shape[3], arg % fmap.shape[3]], dim=1))
    values, order = torch.cat(best).topk(k)
    positions = torch.cat(where)[order]
    field = receptive_field(model, layer, tuple(images.shape[1:]))
    crops = torch.stack(
        [_crop(images[i], field, *pos.tolist()) for i, pos in zip(order, positions, strict=True)]
    )
    return TopActivations(order, values, positions, crops, field)


def _crop(image, field, row, col):
    """The ``field.size`` square of ``image`` seen by unit (row, col), zero-padded."""
    (top, _), (left, _) = field.window(row), field.window(col)
    pad = field.size
    padded = F.pad(image, (pad, pad, pad, pad))
    return padded[:, top + pad : top + 2 * pad, left + pad : left + 2 * pad]
