"""The networks of the chapters, their building blocks, and how to count what they cost.

- :class:`ConvNeuralNet`: five convolutions (64-192-384-256-256 channels), three max-pools,
  three fully connected layers with dropout; about 2.9 M parameters. Trained with plain SGD
  it needs tens of epochs to reach 80 % on CIFAR-10.
- :class:`FastNet`: the design of the CIFAR-10 speedruns (airbench): a frozen whitening
  layer, then three blocks of conv-pool-BatchNorm-GELU-conv-BatchNorm-GELU, a global max-pool
  and one linear layer. With widths (64, 256, 256) it is the ~2 M-parameter net that reaches
  94 % in a few seconds on a GPU; with (32, 64, 128) it is small enough for a laptop CPU.
- :class:`LeNet5`: LeCun et al.'s 1998 network, as chapter 10 builds it for 28 x 28 images.
- The building blocks of the famous architectures (chapter 13), each a small module:
  :class:`VGGBlock`, :class:`InceptionBlock`, :class:`BasicBlock`, :class:`Bottleneck`,
  :class:`DepthwiseSeparable`, and :class:`CifarResNet`, a deep net of basic blocks whose
  skip connections can be switched off (a "plain" net of the same depth).
- :func:`summary`: a table of the layers, their output shapes and parameter counts;
  :func:`count_parameters`, :func:`conv_parameters` (the formula), :func:`count_macs`
  (multiply-adds of a forward pass), :func:`count_depth` (weight layers on the longest path)
  and :func:`activation_bytes` (the memory of the layers' outputs).

Every constructor checks its arguments: a count given as a float (``num_classes=10.0``)
raises ``TypeError``, a value out of range ``ValueError``, naming the argument.

Requires PyTorch.

Examples
--------
>>> import torch
>>> model = FastNet(widths=(16, 32, 64))
>>> model(torch.zeros(2, 3, 32, 32)).shape
torch.Size([2, 10])
"""

import hashlib
import os
from contextlib import contextmanager
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

from ._checks import check_bool, check_choice, check_int, check_number
from .ops import ACTIVATIONS

__all__ = [
    "BasicBlock",
    "Bottleneck",
    "CifarResNet",
    "DepthwiseSeparable",
    "InceptionBlock",
    "LeNet5",
    "VGGBlock",
    "activation_bytes",
    "conv_parameters",
    "count_depth",
    "count_flops",
    "ConvBlock",
    "ConvNeuralNet",
    "FastNet",
    "Mul",
    "Whitening",
    "count_macs",
    "PRETRAINED",
    "count_parameters",
    "load_pretrained",
    "sha256",
    "summary",
]


def _check_sizes(value, name):
    """A non-empty tuple of positive ints (``widths``, ``input_size``)."""
    if not isinstance(value, (tuple, list)) or not value:
        raise TypeError(f"{name} must be a non-empty tuple of ints, got {value!r}")
    return tuple(check_int(v, f"{name}[{i}]", minimum=1) for i, v in enumerate(value))


def _check_model(model):
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {model!r}")
    return model


def _check_momentum(bn_momentum):
    """BatchNorm's momentum: a fraction, or None for a cumulative average."""
    if bn_momentum is None:
        return None
    return check_number(bn_momentum, "bn_momentum", minimum=0, maximum=1)


def count_parameters(model, trainable=False):
    """Number of parameters (weights and biases) of ``model``; only trainable ones if asked.

    Examples
    --------
    >>> count_parameters(nn.Linear(3, 2))          # 3 x 2 weights + 2 biases
    8
    """
    trainable = check_bool(trainable, "trainable")
    return sum(
        p.numel() for p in _check_model(model).parameters() if p.requires_grad or not trainable
    )


@contextmanager
def _dry_run(model, input_size):
    """Yield a function that runs ``model`` once on zeros of ``input_size``: in eval mode,
    without gradients, on the model's device; the model's mode is restored afterwards."""
    input_size = _check_sizes(input_size, "input_size")
    was_training = _check_model(model).training
    parameter = next(model.parameters(), None)
    device = parameter.device if parameter is not None else "cpu"
    try:
        model.eval()
        with torch.no_grad():
            yield lambda: model(torch.zeros(input_size, device=device))
    finally:
        model.train(was_training)


def count_macs(model, input_size=(1, 3, 32, 32)):
    """Multiply-accumulate operations (MACs) of one forward pass on a batch of ``input_size``.

    Units: one MAC is one multiply and one add, i.e. 2 FLOPs. A convolution costs
    ``C_in k_h k_w / groups`` MACs per output value, a linear layer from ``n`` inputs ``n``
    per output. Biases, normalization, activations and pooling are not counted (they are
    cheap next to the products). For a batch of one (``input_size[0] == 1``) it is the
    count per image.

    Source: :class:`torch.utils.flop_counter.FlopCounterMode`, PyTorch's own count of the
    FLOPs of matrix products and convolutions (2 per multiply-add); this returns half of its
    total, from one forward pass on zeros in eval mode, without gradients.

    Parameters
    ----------
    model : torch.nn.Module
    input_size : tuple of int, default (1, 3, 32, 32)

    Returns
    -------
    int
        Multiply-adds, for the whole batch.

    Raises
    ------
    TypeError, ValueError
        ``input_size`` is not a tuple of positive ints.

    Examples
    --------
    >>> count_macs(nn.Linear(3, 2), (1, 3))           # 2 outputs x 3 inputs
    6
    >>> count_macs(nn.Conv2d(1, 4, 3), (1, 1, 5, 5))  # 4 filters x 3 x 3 weights x 3 x 3 outputs
    324
    """
    return count_flops(model, input_size) // 2


def count_flops(model, input_size=(1, 3, 32, 32)):
    """FLOPs of one forward pass on a batch of ``input_size``, as PyTorch counts them.

    :class:`torch.utils.flop_counter.FlopCounterMode` over one pass on zeros, in eval mode,
    without gradients: 2 FLOPs (a multiply and an add) per multiply-add of the convolutions
    and matrix products, nothing for the rest. Twice :func:`count_macs`. torchvision's
    ``meta["_ops"]``, which its documentation calls GFLOPS, is the count of multiply-adds
    (this / 2e9, rounded to 3 decimals).

    Raises
    ------
    TypeError, ValueError
        ``model`` not a module; ``input_size`` not a tuple of positive ints.

    Examples
    --------
    >>> count_flops(nn.Linear(3, 2), (1, 3))          # 6 multiply-adds
    12
    """
    counter = FlopCounterMode(display=False)
    with _dry_run(model, input_size) as forward, counter:
        forward()
    return counter.get_total_flops()


# --------------------------------------------------------------------------- the baseline


class ConvNeuralNet(nn.Module):
    """The seed article's AlexNet-like CNN for 32 x 32 colour images.

    Five convolutions with 64, 192, 384, 256, 256 channels (ReLU after each), 3 x 3 max-pools
    with stride 2 after the first, second and fifth, then dropout 0.5 and fully connected layers
    1024 -> 512 -> 256 -> ``num_classes``.

    The flattened feature vector must have 1024 = 256 x 2 x 2 entries, so the last pool must
    output 2 x 2. With ``o = floor((i + 2p - k) / s) + 1`` (:func:`cnnviz.ops.conv_output_size`),
    a 4 x 4 first convolution without padding, then 3 x 3 convolutions with padding 1 (which
    keep the size) give, for a 32 x 32 input::

        conv1 4x4, p=0     32 -> 29        (32 - 4) + 1
        pool  3x3, s=2     29 -> 14        floor((29 - 3) / 2) + 1
        conv2 3x3, p=1     14 -> 14
        pool  3x3, s=2     14 -> 6         floor((14 - 3) / 2) + 1
        conv3-5 3x3, p=1    6 -> 6
        pool  3x3, s=2      6 -> 2         floor((6 - 3) / 2) + 1   -> 256 x 2 x 2 = 1024

    (Padding the first convolution too would give 31 -> 15 -> 7 -> 3, i.e. 2304 features.)

    Parameters
    ----------
    num_classes : int, default 10
    dropout : float, default 0.5

    Examples
    --------
    >>> model = ConvNeuralNet()
    >>> model.features(torch.zeros(1, 3, 32, 32)).shape
    torch.Size([1, 256, 2, 2])
    >>> count_parameters(model)
    2911626
    """

    def __init__(self, num_classes=10, dropout=0.5):
        num_classes = check_int(num_classes, "num_classes", minimum=1)
        dropout = check_number(dropout, "dropout", minimum=0, maximum=1)
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(3, 64, kernel_size=4),
            nn.ReLU(),
            nn.MaxPool2d(kernel_size=3, stride=2),
            nn.Conv2d(64, 192, kernel_size=3, padding=1),
            nn.ReLU(),
            nn.MaxPool2d(kernel_size=3, stride=2),
            nn.Conv2d(192, 384, kernel_size=3, padding=1),
            nn.ReLU(),
            nn.Conv2d(384, 256, kernel_size=3, padding=1),
            nn.ReLU(),
            nn.Conv2d(256, 256, kernel_size=3, padding=1),
            nn.ReLU(),
            nn.MaxPool2d(kernel_size=3, stride=2),
        )
        self.classifier = nn.Sequential(
            nn.Flatten(),
            nn.Dropout(dropout),
            nn.Linear(256 * 2 * 2, 512),
            nn.ReLU(),
            nn.Dropout(dropout),
            nn.Linear(512, 256),
            nn.ReLU(),
            nn.Linear(256, num_classes),
        )

    def forward(self, x):
        return self.classifier(self.features(x))


# --------------------------------------------------------------------------- the fast net


class Whitening(nn.Module):
    """A frozen ``k x k`` convolution that whitens the image patches (PCA whitening).

    The pixels of a natural image are strongly correlated with their neighbours. :meth:`fit`
    computes the covariance of all ``k x k x C`` patches of some training images, and sets
    the filters to its eigenvectors divided by the square root of their eigenvalues: the
    outputs are then uncorrelated with unit variance, which makes the first learned layer's
    job (and the optimizer's) easier. Each filter appears twice, as ``+v`` and ``-v``, so that
    the activation that follows keeps both signs. For ``C = 3, k = 2`` that is 2 x 12 = 24
    channels. The weights are never trained; the bias is.

    Parameters
    ----------
    in_channels : int, default 3
    kernel_size : int, default 2
    eps : float, default 5e-4
        Added to the eigenvalues: the near-zero ones would otherwise be amplified without bound.

    Examples
    --------
    >>> layer = Whitening()
    >>> layer.fit(torch.randn(64, 3, 8, 8))
    Whitening(3 -> 24, kernel_size=2)
    >>> layer(torch.zeros(1, 3, 32, 32)).shape        # no padding: 32 - 2 + 1
    torch.Size([1, 24, 31, 31])
    """

    def __init__(self, in_channels=3, kernel_size=2, eps=5e-4):
        in_channels = check_int(in_channels, "in_channels", minimum=1)
        kernel_size = check_int(kernel_size, "kernel_size", minimum=1)
        super().__init__()
        self.eps = check_number(eps, "eps", minimum=0)
        n = in_channels * kernel_size * kernel_size
        self.conv = nn.Conv2d(in_channels, 2 * n, kernel_size)
        self.conv.weight.requires_grad_(False)
        nn.init.zeros_(self.conv.bias)

    @property
    def out_channels(self):
        return self.conv.out_channels

    def __repr__(self):
        k = self.conv.kernel_size[0]
        return f"Whitening({self.conv.in_channels} -> {self.out_channels}, kernel_size={k})"

    @torch.no_grad()
    def fit(self, images):
        """Set the filters from normalized float ``images`` ``(N, C, H, W)``; returns self.

        Raises ``ValueError`` when ``images`` do not have the layer's ``C`` channels.
        """
        weight = self.conv.weight
        if images.ndim != 4 or images.shape[1] != weight.shape[1]:
            raise ValueError(
                f"images must have shape (N, {weight.shape[1]}, H, W), got {tuple(images.shape)}"
            )
        k = weight.shape[-1]
        patches = F.unfold(images.detach().to("cpu", torch.float64), k)  # (N, C*k*k, L)
        patches = patches.transpose(1, 2).reshape(-1, patches.shape[1])  # (N*L, C*k*k)
        covariance = patches.T @ patches / len(patches)
        values, vectors = torch.linalg.eigh(covariance)  # ascending eigenvalues
        filters = (vectors / torch.sqrt(values + self.eps)).T.flip(0)  # largest first
        filters = filters.reshape(-1, *weight.shape[1:])
        weight.copy_(torch.cat([filters, -filters]).to(weight.dtype))
        return self

    def forward(self, x):
        return self.conv(x)


class Mul(nn.Module):
    """Multiply by a constant (the speedruns scale the logits down, by 1/9)."""

    def __init__(self, scale):
        super().__init__()
        self.scale = check_number(scale, "scale")

    def extra_repr(self):
        return f"scale={self.scale:.4g}"

    def forward(self, x):
        return x * self.scale


#: Activation name -> torch module class, from the one registry (:data:`cnnviz.ops.ACTIVATIONS`).
TORCH_ACTIVATIONS = {name: getattr(nn, a.torch_module) for name, a in ACTIVATIONS.items()}


def _activation(name):
    return TORCH_ACTIVATIONS[check_choice(name, "activation", tuple(TORCH_ACTIVATIONS))]()


class ConvBlock(nn.Sequential):
    """conv 3x3 -> max-pool 2x2 -> BatchNorm -> activation -> conv 3x3 -> BatchNorm -> activation.

    The first convolution changes the width; pooling right after it halves the size, so the
    BatchNorm and the activation (and everything after) work on a quarter of the pixels. The
    convolutions have no bias: the BatchNorm that follows would remove it anyway.

    Examples
    --------
    >>> ConvBlock(24, 32)(torch.zeros(1, 24, 31, 31)).shape   # 31 -> floor(31 / 2) = 15
    torch.Size([1, 32, 15, 15])
    """

    def __init__(self, in_channels, out_channels, activation="gelu", bn_momentum=0.2):
        in_channels = check_int(in_channels, "in_channels", minimum=1)
        out_channels = check_int(out_channels, "out_channels", minimum=1)
        bn_momentum = _check_momentum(bn_momentum)
        super().__init__(
            nn.Conv2d(in_channels, out_channels, 3, padding=1, bias=False),
            nn.MaxPool2d(2),
            nn.BatchNorm2d(out_channels, momentum=bn_momentum),
            _activation(activation),
            nn.Conv2d(out_channels, out_channels, 3, padding=1, bias=False),
            nn.BatchNorm2d(out_channels, momentum=bn_momentum),
            _activation(activation),
        )


def _stem(whiten, width, activation, bn_momentum, kernel_size=3):
    """FastNet's first layer and its output channels: a frozen whitening (24 channels for RGB
    and 2x2 patches) or a learned ``kernel_size`` convolution ("same" padding) to ``width``
    channels."""
    if whiten:
        stem = nn.Sequential(Whitening(3, 2), _activation(activation))
        return stem, stem[0].out_channels
    stem = nn.Sequential(
        nn.Conv2d(3, width, kernel_size, padding=kernel_size // 2, bias=False),
        nn.BatchNorm2d(width, momentum=bn_momentum),
        _activation(activation),
    )
    return stem, width


class FastNet(nn.Sequential):
    """A small, fast CNN in the style of the CIFAR-10 speedruns (airbench).

    Layers, for a 32 x 32 input and ``widths=(w1, w2, w3)``::

        stem    Whitening 2x2 (frozen) + GELU     3 -> 24 channels, 32 -> 31
        block1  ConvBlock                         24 -> w1,          31 -> 15
        block2  ConvBlock                         w1 -> w2,          15 -> 7
        block3  ConvBlock                         w2 -> w3,           7 -> 3
        head    global max-pool, linear, x scale  w3 -> num_classes

    Why these pieces:

    - the **whitening** stem (:class:`Whitening`) decorrelates neighbouring pixels before
      any learning (call :meth:`fit_whitening` on training images first; without it the stem
      is a random frozen convolution). ``whiten=False`` uses a learned convolution of
      ``stem_kernel_size`` instead, whose RGB filters a reader can look at (chapter 12);
    - **BatchNorm** after every convolution keeps the activations in range, which allows the
      large learning rates that make training short;
    - **max-pooling** after the first convolution of each block: 8 layers, yet most of the
      computation happens on small maps;
    - **global max-pool** plus **one linear layer**: no big fully connected layers (the
      baseline's 1024 -> 512 -> 256 head holds 0.66 M of its 2.9 M parameters);
    - the logits are multiplied by ``logit_scale`` (1/9 in airbench): small logits at the
      start keep the first steps of a high learning rate stable.

    Parameters
    ----------
    widths : tuple of int, default (32, 64, 128)
        Channels of the three blocks. (64, 256, 256) is airbench94's net (~2 M parameters).
    num_classes : int, default 10
    whiten : bool, default True
    stem_kernel_size : int, default 3
        Odd kernel size of the learned stem (``whiten=False`` only), padded to keep 32 x 32.
    activation : {"gelu", "relu"}
    logit_scale : float, default 1/9
    bn_momentum : float, default 0.2
        Momentum of BatchNorm's running statistics (PyTorch's default is 0.1); a short run
        needs them to follow the last epochs.

    Raises
    ------
    TypeError
        A width or ``num_classes`` that is not an int, ``whiten`` not a bool.
    ValueError
        No widths, a width below 1, an unknown ``activation``, an even or non-positive
        ``stem_kernel_size``.

    Examples
    --------
    >>> model = FastNet()
    >>> model(torch.zeros(4, 3, 32, 32)).shape
    torch.Size([4, 10])
    >>> count_parameters(model), count_parameters(model, trainable=True)
    (295096, 294808)
    >>> count_parameters(FastNet(widths=(64, 256, 256)))
    1972792
    """

    def __init__(
        self,
        widths=(32, 64, 128),
        num_classes=10,
        whiten=True,
        activation="gelu",
        logit_scale=1 / 9,
        bn_momentum=0.2,
        stem_kernel_size=3,
    ):
        widths = _check_sizes(widths, "widths")
        num_classes = check_int(num_classes, "num_classes", minimum=1)
        logit_scale = check_number(logit_scale, "logit_scale")
        bn_momentum = _check_momentum(bn_momentum)
        whiten = check_bool(whiten, "whiten")
        stem_kernel_size = check_int(stem_kernel_size, "stem_kernel_size", minimum=1)
        if stem_kernel_size % 2 == 0:
            raise ValueError(f"stem_kernel_size must be odd, got {stem_kernel_size}")
        stem, channels = _stem(whiten, widths[0], activation, bn_momentum, stem_kernel_size)
        blocks = []
        for width in widths:
            blocks.append(ConvBlock(channels, width, activation, bn_momentum))
            channels = width
        head = nn.Sequential(
            nn.AdaptiveMaxPool2d(1),
            nn.Flatten(),
            nn.Linear(channels, num_classes, bias=False),
            Mul(logit_scale),
        )
        super().__init__()
        self.add_module("stem", stem)
        for i, block in enumerate(blocks, start=1):
            self.add_module(f"block{i}", block)
        self.add_module("head", head)
        self.widths = widths

    @torch.no_grad()
    def fit_whitening(self, images, max_images=5000):
        """Fit the whitening stem on (at most ``max_images``) normalized training images.

        Returns self; does nothing when the net was built with ``whiten=False``.
        """
        max_images = check_int(max_images, "max_images", minimum=1)
        if isinstance(self.stem[0], Whitening):
            self.stem[0].fit(images[:max_images])
        return self


# --------------------------------------------------------------------------- summary


def _shape(output):
    if isinstance(output, torch.Tensor):
        return tuple(output.shape)
    if isinstance(output, (tuple, list)) and output:
        return _shape(output[0])
    return ()


def summary(model, input_size=(1, 3, 32, 32)):
    """A text table of the layers of ``model``: name, type, output shape, parameters.

    Runs one forward pass on zeros of ``input_size`` (in eval mode, without gradients, on
    the model's device) and records every leaf module's output.

    Parameters
    ----------
    model : torch.nn.Module
    input_size : tuple of int, default (1, 3, 32, 32)
        Positive ints.

    Returns
    -------
    str
        One line per leaf module, then the totals (frozen parameters counted apart).

    Examples
    --------
    >>> print(summary(nn.Sequential(nn.Conv2d(3, 8, 3), nn.ReLU(), nn.Flatten()), (1, 3, 5, 5)))
    layer  type     output shape  params
    -----  -------  ------------  ------
    0      Conv2d   (1, 8, 3, 3)     224
    1      ReLU     (1, 8, 3, 3)       0
    2      Flatten  (1, 72)            0
    total parameters: 224 (trainable 224)
    """
    rows = _layer_rows(_check_model(model), input_size)
    header = ("layer", "type", "output shape", "params")
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(4)]
    lines = []
    for row in [header, tuple("-" * w for w in widths), *rows]:
        cells = [c.ljust(w) for c, w in zip(row[:3], widths, strict=False)]
        lines.append("  ".join([*cells, row[3].rjust(widths[3])]).rstrip())
    total, trainable = count_parameters(model), count_parameters(model, trainable=True)
    lines.append(f"total parameters: {total:,} (trainable {trainable:,})")
    return "\n".join(lines)


def _layer_rows(model, input_size):
    """``(name, type, output shape, parameters)`` of every leaf module, as text, recorded by
    forward hooks during one dry run."""
    rows, hooks = [], []
    leaves = [(name or "(model)", m) for name, m in model.named_modules() if not list(m.children())]

    def hook(name, module):
        def record(_module, _inputs, output):
            params = sum(p.numel() for p in module.parameters(recurse=False))
            rows.append((name, type(module).__name__, str(_shape(output)), f"{params:,}"))

        return record

    for name, module in leaves:
        hooks.append(module.register_forward_hook(hook(name, module)))
    try:
        with _dry_run(model, input_size) as forward:
            forward()
    finally:
        for h in hooks:
            h.remove()
    return rows


# --------------------------------------------------------------------------- pretrained

#: The trained networks that ship with the package (``cnnviz/weights/``), by name: the file,
#: its SHA-256, and how the net is built. ``scripts/train_pretrained.py --record`` regenerates
#: the file and writes its hash here.
PRETRAINED = {
    "cifar10-fastnet": {
        "file": "cifar10-fastnet.pt",
        "sha256": "831c15ca8296e6af1bd12dda9c2c6bcbdb32fafeca56f0d9dd9a7deac586b119",
        "model_args": {"widths": (32, 64, 128), "whiten": False, "stem_kernel_size": 5},
    },
}
WEIGHTS_DIR = Path(__file__).resolve().parent / "weights"


def sha256(path):
    """The SHA-256 of a file, as 64 hex digits.

    Raises
    ------
    TypeError
        ``path`` is not a path.
    """
    from .train._torch_checks import check_path

    check_path(path, "path", "read")
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _pretrained_file(name):
    if not isinstance(name, str):
        raise TypeError(f"name must be a str, got {name!r}")
    if name not in PRETRAINED:
        raise ValueError(
            f"name must be one of {sorted(PRETRAINED)} or a checkpoint path, got {name!r}"
        )
    entry = PRETRAINED[name]
    path = WEIGHTS_DIR / entry["file"]
    if not path.is_file():
        raise FileNotFoundError(
            f"{path} is missing: reinstall cnnviz or run scripts/train_pretrained.py"
        )
    found = sha256(path)
    if found != entry["sha256"]:
        raise ValueError(
            f"{path} has SHA-256 {found}, expected {entry['sha256']}: the file is damaged or "
            f"was replaced (regenerate it with scripts/train_pretrained.py)"
        )
    return path, entry["model_args"]


def load_pretrained(name="cifar10-fastnet", map_location="cpu"):
    """A trained network, in evaluation mode, and its checkpoint (config, history, accuracy).

    Parameters
    ----------
    name : str or path-like, default "cifar10-fastnet"
        A name in :data:`PRETRAINED` (the file's SHA-256 is checked first), or the path of a
        checkpoint written by :func:`cnnviz.train.save_checkpoint` for a :class:`FastNet`,
        such as chapter 11's (its ``model_args``, or else its config's widths, rebuild the net).
    map_location : str or torch.device, default "cpu"

    Returns
    -------
    model : FastNet
    checkpoint : dict
        What :func:`cnnviz.train.load_checkpoint` returns: ``model``, ``config``,
        ``history`` and the extras saved with it (``test_acc``, ``model_args``).

    Raises
    ------
    TypeError
        ``name`` neither a str nor a path.
    ValueError
        An unknown name, or a file whose SHA-256 differs from the recorded one (the message
        names the file and both hashes).
    FileNotFoundError
        The weights file is missing.

    Loading uses ``torch.load(weights_only=True)``, which reads tensors and plain values and
    refuses to run code.
    """
    from .train import load_checkpoint

    if isinstance(name, os.PathLike) or (
        isinstance(name, str) and name not in PRETRAINED and name.endswith((".pt", ".pth"))
    ):
        path, model_args = Path(name), None
    else:
        path, model_args = _pretrained_file(name)
    checkpoint = load_checkpoint(path, map_location=map_location)
    args = (
        model_args
        or checkpoint.get("model_args")
        or {"widths": tuple(checkpoint["config"]["widths"])}
    )
    model = FastNet(**{k: tuple(v) if isinstance(v, list) else v for k, v in args.items()})
    model.load_state_dict(checkpoint["model"])
    return model.to(map_location).eval(), checkpoint


# --------------------------------------------------------------------------- LeNet-5


class LeNet5(nn.Module):
    """LeNet-5 (LeCun, Bottou, Bengio and Haffner 1998) for 1 x 28 x 28 images, as chapter 10.

    C1: 6 filters 5 x 5 (padding 2 turns 28 x 28 into the paper's 32 x 32 input), tanh,
    S2: 2 x 2 average pool, C3: 16 filters 5 x 5, tanh, S4: average pool, C5: 120 filters
    5 x 5 (1 x 1 output), tanh, F6: 84 units, tanh, and the output layer. The paper's
    trainable subsampling coefficients and its sparse C3 connection table are left out, as in
    most modern versions: 61,706 parameters for 10 classes.

    Examples
    --------
    >>> count_parameters(LeNet5())
    61706
    >>> LeNet5()(torch.zeros(2, 1, 28, 28)).shape
    torch.Size([2, 10])
    """

    def __init__(self, num_classes=10):
        num_classes = check_int(num_classes, "num_classes", minimum=1)
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 6, 5, padding=2),  # C1: 6 x 28 x 28
            nn.Tanh(),
            nn.AvgPool2d(2),  # S2: 6 x 14 x 14
            nn.Conv2d(6, 16, 5),  # C3: 16 x 10 x 10
            nn.Tanh(),
            nn.AvgPool2d(2),  # S4: 16 x 5 x 5
            nn.Conv2d(16, 120, 5),  # C5: 120 x 1 x 1
            nn.Tanh(),
        )
        self.classifier = nn.Sequential(
            nn.Flatten(),
            nn.Linear(120, 84),  # F6
            nn.Tanh(),
            nn.Linear(84, num_classes),  # output
        )

    def forward(self, x):
        return self.classifier(self.features(x))


# --------------------------------------------------------------------------- building blocks


def conv_parameters(in_channels, out_channels, kernel_size, groups=1, bias=True):
    """Parameters of a 2-D convolution, by the formula ``C_out (C_in / groups) k^2 (+ C_out)``.

    Each of the ``C_out`` filters has a ``k x k`` kernel for each of the ``C_in / groups``
    input channels of its group, and one bias. A linear layer from ``n`` to ``m`` is the case
    ``kernel_size=1`` on a 1 x 1 map: ``m n + m``.

    Raises
    ------
    TypeError
        A count that is not an int, ``bias`` not a bool.
    ValueError
        A count below 1, or channels that ``groups`` does not divide.

    Examples
    --------
    >>> conv_parameters(64, 128, 3)                     # 128 x 64 x 9 + 128
    73856
    >>> conv_parameters(64, 64, 3, groups=64, bias=False)  # depthwise: 64 x 1 x 9
    576
    """
    in_channels = check_int(in_channels, "in_channels", minimum=1)
    out_channels = check_int(out_channels, "out_channels", minimum=1)
    kernel_size = check_int(kernel_size, "kernel_size", minimum=1)
    groups = check_int(groups, "groups", minimum=1)
    bias = check_bool(bias, "bias")
    if in_channels % groups or out_channels % groups:
        raise ValueError(
            f"groups must divide in_channels ({in_channels}) and out_channels "
            f"({out_channels}), got {groups}"
        )
    return out_channels * (in_channels // groups) * kernel_size**2 + (out_channels if bias else 0)


class VGGBlock(nn.Sequential):
    """``n_convs`` 3 x 3 convolutions (padding 1) with ReLU, then a 2 x 2 max-pool.

    Simonyan and Zisserman 2015: two stacked 3 x 3 convolutions see a 5 x 5 window, three a
    7 x 7 one, with fewer parameters than one large kernel (``2 * 9 C^2`` against ``25 C^2``)
    and a nonlinearity between them. VGG-16 is five such blocks (2, 2, 3, 3, 3 convolutions;
    64, 128, 256, 512, 512 channels) and three fully connected layers.

    Examples
    --------
    >>> block = VGGBlock(3, 64, n_convs=2)
    >>> block(torch.zeros(1, 3, 32, 32)).shape
    torch.Size([1, 64, 16, 16])
    >>> count_parameters(block) == conv_parameters(3, 64, 3) + conv_parameters(64, 64, 3)
    True
    """

    def __init__(self, in_channels, out_channels, n_convs=2):
        in_channels = check_int(in_channels, "in_channels", minimum=1)
        out_channels = check_int(out_channels, "out_channels", minimum=1)
        n_convs = check_int(n_convs, "n_convs", minimum=1)
        layers = []
        for i in range(n_convs):
            layers += [
                nn.Conv2d(in_channels if i == 0 else out_channels, out_channels, 3, padding=1)
            ]
            layers += [nn.ReLU(inplace=True)]
        super().__init__(*layers, nn.MaxPool2d(2))


def _conv_relu(in_channels, out_channels, kernel_size):
    return nn.Sequential(
        nn.Conv2d(in_channels, out_channels, kernel_size, padding=kernel_size // 2),
        nn.ReLU(inplace=True),
    )


class InceptionBlock(nn.Module):
    """GoogLeNet's Inception module (Szegedy et al. 2015, figure 2b): four branches, concatenated.

    A 1 x 1 convolution; a 1 x 1 "reduction" then a 3 x 3; a 1 x 1 reduction then a 5 x 5;
    a 3 x 3 max-pool (stride 1) then a 1 x 1 projection. Every convolution is followed by a
    ReLU; all branches keep the spatial size, and the output has
    ``c1 + c3 + c5 + pool_proj`` channels. The 1 x 1 reductions are what make the module
    cheap: the 3 x 3 and 5 x 5 kernels see few channels. (torchvision's GoogLeNet uses a
    second 3 x 3 where the paper has the 5 x 5, and BatchNorm.)

    Parameters
    ----------
    in_channels, c1, c3_reduce, c3, c5_reduce, c5, pool_proj : int
        Channels, as in the paper's table 1 (inception (3a): 192, 64, 96, 128, 16, 32, 32).

    Examples
    --------
    >>> block = InceptionBlock(192, 64, 96, 128, 16, 32, 32)   # inception (3a)
    >>> block(torch.zeros(1, 192, 28, 28)).shape
    torch.Size([1, 256, 28, 28])
    >>> count_parameters(block)
    163696
    """

    def __init__(self, in_channels, c1, c3_reduce, c3, c5_reduce, c5, pool_proj):
        names = ("in_channels", "c1", "c3_reduce", "c3", "c5_reduce", "c5", "pool_proj")
        values = (in_channels, c1, c3_reduce, c3, c5_reduce, c5, pool_proj)
        n_in, c1, c3r, c3, c5r, c5, pp = (
            check_int(v, n, minimum=1) for v, n in zip(values, names, strict=True)
        )
        super().__init__()
        self.branch1 = _conv_relu(n_in, c1, 1)
        self.branch3 = nn.Sequential(_conv_relu(n_in, c3r, 1), _conv_relu(c3r, c3, 3))
        self.branch5 = nn.Sequential(_conv_relu(n_in, c5r, 1), _conv_relu(c5r, c5, 5))
        self.branch_pool = nn.Sequential(
            nn.MaxPool2d(3, stride=1, padding=1), _conv_relu(n_in, pp, 1)
        )

    def forward(self, x):
        branches = (self.branch1, self.branch3, self.branch5, self.branch_pool)
        return torch.cat([branch(x) for branch in branches], dim=1)


def _conv_bn(in_channels, out_channels, kernel_size, stride=1, groups=1):
    """A convolution without bias (the BatchNorm after it has one), then BatchNorm."""
    return nn.Sequential(
        nn.Conv2d(
            in_channels,
            out_channels,
            kernel_size,
            stride,
            kernel_size // 2,
            groups=groups,
            bias=False,
        ),  # fmt: skip
        nn.BatchNorm2d(out_channels),
    )


SHORTCUTS = ("conv", "pad", "none")


class _PadShortcut(nn.Module):
    """He et al.'s option A: subsample by ``stride``, pad the new channels with zeros (no
    parameters). The subsampling is a 1 x 1 max-pool with a stride, which is
    ``x[:, :, ::stride, ::stride]`` in a form that the receptive-field count recognises."""

    def __init__(self, in_channels, out_channels, stride):
        super().__init__()
        self.extra, self.stride = out_channels - in_channels, stride

    def forward(self, x):
        if self.stride > 1:
            x = F.max_pool2d(x, 1, self.stride)
        return F.pad(x, (0, 0, 0, 0, self.extra // 2, self.extra - self.extra // 2))


def _shortcut(kind, in_channels, out_channels, stride):
    if kind == "none":
        return None
    if in_channels == out_channels and stride == 1:
        return nn.Identity()
    if kind == "pad":
        if out_channels < in_channels:
            raise ValueError(
                f"out_channels must be >= in_channels ({in_channels}) with shortcut='pad', "
                f"got {out_channels}"
            )
        return _PadShortcut(in_channels, out_channels, stride)
    return _conv_bn(in_channels, out_channels, 1, stride)  # option B: a 1 x 1 projection


class _Residual(nn.Module):
    """``relu(body(x) + shortcut(x))``; without a shortcut, ``relu(body(x))``."""

    def forward(self, x):
        out = self.body(x)
        if self.shortcut is not None:
            out = out + self.shortcut(x)
        return F.relu(out)


class BasicBlock(_Residual):
    """ResNet's basic block (He et al. 2016, figure 2): two 3 x 3 conv-BatchNorm, and a skip.

    ``out = relu(bn(conv(relu(bn(conv(x))))) + shortcut(x))``. The first convolution has
    ``stride``; when the shape changes, the shortcut must change it too:

    - ``"conv"``: a 1 x 1 convolution with the stride, and BatchNorm (option B, ResNet-18);
    - ``"pad"``: subsample and pad the extra channels with zeros (option A, no parameters:
      the CIFAR-10 ResNets of section 4.2);
    - ``"none"``: no skip at all, the "plain" block of the same depth.

    Examples
    --------
    >>> block = BasicBlock(64, 128, stride=2)
    >>> block(torch.zeros(1, 64, 16, 16)).shape
    torch.Size([1, 128, 8, 8])
    >>> count_parameters(BasicBlock(16, 32, 2, "pad")) == count_parameters(
    ...     BasicBlock(16, 32, 2, "none"))
    True
    """

    def __init__(self, in_channels, out_channels, stride=1, shortcut="conv"):
        in_channels = check_int(in_channels, "in_channels", minimum=1)
        out_channels = check_int(out_channels, "out_channels", minimum=1)
        stride = check_int(stride, "stride", minimum=1)
        shortcut = check_choice(shortcut, "shortcut", SHORTCUTS)
        super().__init__()
        self.body = nn.Sequential(
            _conv_bn(in_channels, out_channels, 3, stride),
            nn.ReLU(inplace=True),
            _conv_bn(out_channels, out_channels, 3),
        )
        self.shortcut = _shortcut(shortcut, in_channels, out_channels, stride)


class Bottleneck(_Residual):
    """ResNet-50's bottleneck block (He et al. 2016, figure 5): 1 x 1, 3 x 3, 1 x 1, and a skip.

    The first 1 x 1 convolution reduces the channels to ``mid_channels``, the 3 x 3 works on
    those few (with ``stride``, as torchvision places it), and the last 1 x 1 expands to
    ``expansion * mid_channels``; BatchNorm after each, ReLU after the first two and after
    the sum. The shortcut is a 1 x 1 projection when the shape changes (``shortcut="conv"``)
    or absent (``"none"``).

    Examples
    --------
    >>> block = Bottleneck(256, 64)
    >>> block(torch.zeros(1, 256, 14, 14)).shape
    torch.Size([1, 256, 14, 14])
    >>> count_parameters(block)       # 3 convolutions, 3 BatchNorms
    70400
    """

    def __init__(self, in_channels, mid_channels, stride=1, expansion=4, shortcut="conv"):
        in_channels = check_int(in_channels, "in_channels", minimum=1)
        mid = check_int(mid_channels, "mid_channels", minimum=1)
        stride = check_int(stride, "stride", minimum=1)
        expansion = check_int(expansion, "expansion", minimum=1)
        shortcut = check_choice(shortcut, "shortcut", ("conv", "none"))
        super().__init__()
        out_channels = expansion * mid
        self.body = nn.Sequential(
            _conv_bn(in_channels, mid, 1),
            nn.ReLU(inplace=True),
            _conv_bn(mid, mid, 3, stride),
            nn.ReLU(inplace=True),
            _conv_bn(mid, out_channels, 1),
        )
        self.shortcut = _shortcut(shortcut, in_channels, out_channels, stride)


class DepthwiseSeparable(nn.Sequential):
    """A depthwise 3 x 3 convolution, then a pointwise 1 x 1 one (Howard et al. 2017).

    The depthwise convolution filters each channel on its own (``groups=in_channels``:
    ``9 C_in`` weights), the pointwise one mixes the channels (``C_in C_out`` weights); each
    is followed by BatchNorm and ReLU. A full 3 x 3 convolution would need ``9 C_in C_out``
    weights: the ratio is ``1 / C_out + 1 / 9``, about 8 to 9 times fewer for wide layers,
    and the multiply-adds shrink by the same factor. MobileNetV2 builds its inverted
    residual blocks from the same two pieces.

    Examples
    --------
    >>> block = DepthwiseSeparable(64, 128)
    >>> block(torch.zeros(1, 64, 16, 16)).shape
    torch.Size([1, 128, 16, 16])
    >>> count_parameters(block[0]) + count_parameters(block[3])   # the two convolutions
    8768
    """

    def __init__(self, in_channels, out_channels, stride=1):
        in_channels = check_int(in_channels, "in_channels", minimum=1)
        out_channels = check_int(out_channels, "out_channels", minimum=1)
        stride = check_int(stride, "stride", minimum=1)
        super().__init__(
            nn.Conv2d(in_channels, in_channels, 3, stride, 1, groups=in_channels, bias=False),
            nn.BatchNorm2d(in_channels),
            nn.ReLU(inplace=True),
            nn.Conv2d(in_channels, out_channels, 1, bias=False),
            nn.BatchNorm2d(out_channels),
            nn.ReLU(inplace=True),
        )


class CifarResNet(nn.Sequential):
    """The CIFAR-10 ResNets of He et al. 2016 (section 4.2), with or without the skips.

    A 3 x 3 convolution to ``widths[0]`` channels, then three stages of ``blocks`` basic
    blocks (:class:`BasicBlock`) with ``widths`` channels on 32 x 32, 16 x 16 and 8 x 8 maps
    (the first block of the second and third stage has stride 2), a global average pool and
    one linear layer: ``6 * blocks + 2`` weight layers. ``skip=True`` uses the parameter-free
    shortcut (option A); ``skip=False`` removes the shortcuts and nothing else, so that the
    two nets have exactly the same layers and parameters.

    Parameters
    ----------
    blocks : int, default 3
        Basic blocks per stage: 3 gives ResNet-20, 5 ResNet-32, 9 ResNet-56.
    widths : tuple of 3 ints, default (16, 32, 64)
    skip : bool, default True
    num_classes : int, default 10

    Examples
    --------
    >>> net, plain = CifarResNet(blocks=3), CifarResNet(blocks=3, skip=False)
    >>> count_parameters(net) == count_parameters(plain), count_depth(net)
    (True, 20)
    >>> net(torch.zeros(2, 3, 32, 32)).shape
    torch.Size([2, 10])
    """

    def __init__(self, blocks=3, widths=(16, 32, 64), skip=True, num_classes=10):
        blocks = check_int(blocks, "blocks", minimum=1)
        widths = _check_sizes(widths, "widths")
        if len(widths) != 3:
            raise ValueError(f"widths must hold 3 channel counts, got {widths}")
        skip = check_bool(skip, "skip")
        num_classes = check_int(num_classes, "num_classes", minimum=1)
        super().__init__()
        self.add_module("stem", nn.Sequential(_conv_bn(3, widths[0], 3), nn.ReLU(inplace=True)))
        channels = widths[0]
        for stage, width in enumerate(widths, start=1):
            layers = []
            for b in range(blocks):
                stride = 2 if stage > 1 and b == 0 else 1
                layers.append(BasicBlock(channels, width, stride, "pad" if skip else "none"))
                channels = width
            self.add_module(f"stage{stage}", nn.Sequential(*layers))
        self.add_module(
            "head",
            nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(channels, num_classes)),
        )
        self.blocks, self.widths, self.skip = blocks, widths, skip


# --------------------------------------------------------------------------- dataflow counts


def _tensors(value):
    """The tensors inside nested tuples, lists and dicts."""
    if isinstance(value, torch.Tensor):
        yield value
    elif isinstance(value, (tuple, list)):
        for v in value:
            yield from _tensors(v)
    elif isinstance(value, dict):
        for v in value.values():
            yield from _tensors(v)


class _Dataflow(torch.overrides.TorchFunctionMode):
    """Follows a value from the input through every torch function of one forward pass.

    ``rule(func, args, kwargs, values, out)`` receives the values of the input tensors that
    carry one (parameters carry none) and returns the value of ``func``'s output. Every
    tensor it met is kept alive, so that ``id`` stays unique during the pass.
    """

    def __init__(self, rule):
        super().__init__()
        self.rule, self.values, self.keep = rule, {}, []

    def tag(self, tensor, value):
        self.values[id(tensor)] = value
        self.keep.append(tensor)

    def value(self, tensor):
        return self.values.get(id(tensor))

    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        out = func(*args, **kwargs)
        found = [self.values[id(t)] for t in _tensors((args, kwargs)) if id(t) in self.values]
        if found:
            value = self.rule(func, args, kwargs, found, out)
            for t in _tensors(out):
                self.tag(t, value)
        return out


def trace_dataflow(model, input_size, rule, start, layers=()):
    """Run ``model`` once on zeros of ``input_size`` and follow a value through the dataflow.

    The input carries ``start``; every torch function's output carries
    ``rule(func, args, kwargs, values, out)`` of the values its inputs carry. Branches and
    merges (a residual sum, a concatenation) are followed as they happen, which a walk over
    the modules in order cannot do. Used by :func:`count_depth` and
    :func:`cnnviz.inspect.receptive_field`.

    Returns
    -------
    dict
        ``layer name -> value`` of that module's output for each of ``layers``, and
        ``None -> value`` of the model's output.
    """
    modules = dict(_check_model(model).named_modules())
    outputs, hooks = {}, []
    for name in layers:
        hooks.append(
            modules[name].register_forward_hook(
                lambda _m, _i, out, name=name: outputs.setdefault(name, next(_tensors(out)))
            )
        )
    input_size = _check_sizes(input_size, "input_size")
    parameter = next(model.parameters(), None)
    x = torch.zeros(input_size, device=parameter.device if parameter is not None else "cpu")
    flow = _Dataflow(rule)
    flow.tag(x, start)
    was_training = model.training
    try:
        model.eval()
        with torch.no_grad(), flow:
            out = model(x)
    finally:
        model.train(was_training)
        for hook in hooks:
            hook.remove()
    result = {name: flow.value(t) for name, t in outputs.items()}
    result[None] = flow.value(next(_tensors(out)))
    return result


_WEIGHT_LAYERS = ("conv1d", "conv2d", "conv3d", "linear")


def _depth_rule(func, args, kwargs, values, out):
    return max(values) + (getattr(func, "__name__", "") in _WEIGHT_LAYERS)


def count_depth(model, input_size=(1, 3, 32, 32)):
    """Depth: the number of weight layers (convolutions and linear layers) on the longest path
    from the input to the output.

    The convention of the papers: VGG-16 has 13 convolutions and 3 linear layers, ResNet-18
    has 17 convolutions on its main path and one linear layer (the 1 x 1 projection
    shortcuts run beside the main path and do not add to it); pooling, normalization and
    activations do not count. Counted by following one forward pass on zeros through every
    torch function (in eval mode, without gradients), so branches and skips are handled.

    Raises
    ------
    TypeError, ValueError
        ``model`` not a module; ``input_size`` not a tuple of positive ints.

    Examples
    --------
    >>> count_depth(nn.Sequential(nn.Conv2d(3, 4, 3), nn.ReLU(), nn.Flatten(),
    ...                           nn.Linear(4 * 30 * 30, 10)))
    2
    >>> count_depth(LeNet5(), (1, 1, 28, 28))
    5
    """
    return trace_dataflow(model, input_size, _depth_rule, 0)[None]


def activation_bytes(model, input_size=(1, 3, 32, 32)):
    """Bytes of the outputs of all layers of one forward pass on a batch of ``input_size``.

    The sum over the leaf modules (convolutions, BatchNorms, activations, poolings, linear
    layers) of their output's size, each storage counted once (an in-place ReLU writes into
    its input, a ``Flatten`` is a view). Training keeps roughly these tensors for the
    backward pass; inference needs only a few of them at a time. In the model's dtype
    (float32: 4 bytes a number).

    Raises
    ------
    TypeError, ValueError
        ``model`` not a module; ``input_size`` not a tuple of positive ints.

    Examples
    --------
    >>> activation_bytes(nn.Sequential(nn.Conv2d(3, 8, 3), nn.ReLU(inplace=True)),
    ...                  (1, 3, 10, 10))                  # 8 x 8 x 8 floats, once
    2048
    """
    storages, kept, hooks = {}, [], []

    def record(_module, _inputs, output):
        for t in _tensors(output):
            kept.append(t)  # alive until the end: a freed block's address could be reused
            storage = t.untyped_storage()
            storages[storage.data_ptr()] = storage.nbytes()

    leaves = [m for m in _check_model(model).modules() if not list(m.children())]
    for module in leaves:
        hooks.append(module.register_forward_hook(record))
    try:
        with _dry_run(model, input_size) as forward:
            forward()
    finally:
        for hook in hooks:
            hook.remove()
    return sum(storages.values())
