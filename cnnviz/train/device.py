"""Where and how the model runs: the device, seeds, memory format and :func:`torch.compile`.

Examples
--------
>>> pick_device("cpu"), resolve_channels_last("cpu", "auto")
(device(type='cpu'), True)
"""

import random

import torch

from .._checks import check_choice, check_int
from ._torch_checks import check_device

__all__ = [
    "check_channels_last",
    "check_compile",
    "compiled",
    "pick_device",
    "resolve_channels_last",
    "seed_everything",
    "synchronize",
]


def pick_device(name=None):
    """The fastest device there is: CUDA, else Apple's MPS, else the CPU (or ``name``).

    Examples
    --------
    >>> pick_device("cpu")
    device(type='cpu')
    """
    if name is not None:
        return check_device(name, "name")
    if torch.cuda.is_available():
        return torch.device("cuda")
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


def seed_everything(seed=0):
    """Seed Python's and PyTorch's generators (on every device).

    NumPy code in cnnviz takes explicit ``numpy.random.default_rng(seed)`` generators instead
    of a global state. Raises ``TypeError`` when ``seed`` is not an int.
    """
    seed = check_int(seed, "seed")
    random.seed(seed)
    torch.manual_seed(seed)


def synchronize(device):
    """Wait for the device to finish (timings of asynchronous CUDA/MPS work need it)."""
    device = check_device(device)
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    elif device.type == "mps":
        torch.mps.synchronize()


def check_channels_last(value, name="channels_last"):
    """Return ``value`` when it is ``"auto"``, True or False.

    Raises ``TypeError`` for other types and ``ValueError`` for other strings (``"off"``
    would otherwise count as True).
    """
    if not isinstance(value, (str, bool)):
        raise TypeError(f"{name} must be 'auto', True or False, got {value!r}")
    return check_choice(value, name, ("auto", True, False))


def resolve_channels_last(device, setting):
    """Whether to use the ``channels_last`` memory format: ``"auto"`` is on for CUDA and the
    CPU (measured faster on both), off elsewhere (MPS)."""
    if check_channels_last(setting) == "auto":
        return torch.device(device).type in ("cuda", "cpu")
    return setting


def check_compile(value, name="compile"):
    """Return ``value`` when it is True, False, None, a callable backend or the name of a
    backend of :func:`torch.compiler.list_backends`.

    Raises
    ------
    TypeError
        Anything else that is not a string.
    ValueError
        A string that names no backend.
    """
    if value is None or isinstance(value, bool) or callable(value):
        return value
    if not isinstance(value, str):
        raise TypeError(f"{name} must be True, False, a backend name or a callable, got {value!r}")
    if value not in torch.compiler.list_backends(None):
        raise ValueError(
            f"{name} must be True, False or a backend of torch.compiler.list_backends(), "
            f"got {value!r}"
        )
    return value


def compiled(model, setting):
    """``model`` itself (``setting`` False or None), or wrapped by :func:`torch.compile`
    (True: the default backend; a name or a callable: that backend)."""
    check_compile(setting)
    if setting is False or setting is None:
        return model
    if setting is True:
        return torch.compile(model)
    return torch.compile(model, backend=setting)
