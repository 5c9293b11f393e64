"""Checkpoints that load with ``torch.load(..., weights_only=True)``: tensors and plain values.

Examples
--------
>>> plain({"acc": np.float64(0.5), "per_class": {np.int64(3): torch.tensor(0.25)}})
{'acc': 0.5, 'per_class': {3: 0.25}}
"""

import dataclasses

import numpy as np
import torch
from torch.nn.parallel import DistributedDataParallel

from ._torch_checks import check_module, check_path
from .config import Config
from .distributed import is_main_process

__all__ = ["load_checkpoint", "plain", "save_checkpoint"]

_PLAIN = (bool, int, float, str)


def plain(value, name="value"):
    """``value`` as plain Python data: dicts, lists, numbers, strings and None.

    NumPy scalars and arrays and torch tensors become numbers and (nested) lists; tuples
    become lists; dict keys must be strings, numbers, bools or None (NumPy scalars are
    converted).

    Raises
    ------
    TypeError
        Anything else (a ``Path``, an object), named by where it sits: ``extra['where']``.
    """
    if isinstance(value, dict):
        return _plain_dict(value, name)
    if isinstance(value, (list, tuple)):
        return [plain(v, f"{name}[{i}]") for i, v in enumerate(value)]
    if isinstance(value, (np.generic, np.ndarray, torch.Tensor)):
        return value.tolist()
    if value is None or isinstance(value, _PLAIN):
        return value
    raise TypeError(
        f"{name} must be a number, string, list, dict, array or tensor (convert it, e.g. "
        f"str(path)), got a {type(value).__name__}"
    )


def _plain_dict(value, name):
    out = {}
    for key, item in value.items():
        new = key.item() if isinstance(key, np.generic) else key
        if not (new is None or isinstance(new, _PLAIN)):
            raise TypeError(
                f"{name} keys must be strings, numbers, bools or None, got {key!r} "
                f"({type(key).__name__})"
            )
        out[new] = plain(item, f"{name}[{new!r}]")
    return out


def save_checkpoint(path, model, config=None, history=None, **extra):
    """Save the model's ``state_dict`` (and the config, the history, ``extra``) to ``path``.

    Only tensors and plain Python values are written (:func:`plain`), so that
    :func:`load_checkpoint` can read it back with ``torch.load(..., weights_only=True)``,
    which refuses to run code. A model wrapped by :func:`torch.compile` or
    :class:`~torch.nn.parallel.DistributedDataParallel` is saved as the model inside it, so
    the keys are the same either way.

    In a process group (``torchrun``) only rank 0 writes; the other processes check the
    arguments and return (the copies of the model are identical after
    :func:`~cnnviz.train.fit`).

    Raises
    ------
    TypeError
        ``path`` is not a path or a file, ``model`` not a module, ``config`` not a
        :class:`Config`, or a value (or a dict key) that a checkpoint cannot hold; nothing is
        written then.
    """
    check_path(path, "path", "write")
    payload = {"model": _unwrapped(check_module(model)).state_dict()}
    if config is not None:
        if not isinstance(config, Config):
            raise TypeError(f"config must be a cnnviz.train.Config or None, got {config!r}")
        payload["config"] = plain(dataclasses.asdict(config), "config")
    if history is not None:
        payload["history"] = plain(history, "history")
    payload.update(plain(extra, "extra"))
    if is_main_process():
        torch.save(payload, path)


def _unwrapped(model):
    """The model inside :func:`torch.compile`'s and DDP's wrappers."""
    while True:
        inner = getattr(model, "_orig_mod", None)
        if inner is None and isinstance(model, DistributedDataParallel):
            inner = model.module
        if inner is None:
            return model
        model = inner


def load_checkpoint(path, model=None, map_location="cpu"):
    """Read a checkpoint written by :func:`save_checkpoint` (``weights_only=True``).

    With ``model``, its weights are loaded into it. Returns the whole checkpoint dict.
    ``map_location`` is passed to :func:`torch.load` (a device, a name, a dict or a callable).

    Raises
    ------
    TypeError
        ``path`` is not a path or a file, ``model`` not a module, ``map_location`` of none
        of the types :func:`torch.load` takes.
    """
    check_path(path, "path", "read")
    if model is not None:
        check_module(model)
    if not (map_location is None or callable(map_location)):
        if not isinstance(map_location, (str, torch.device, dict)):
            raise TypeError(
                f"map_location must be a device, a name, a dict or a callable, got {map_location!r}"
            )
    checkpoint = torch.load(path, map_location=map_location, weights_only=True)
    if model is not None:
        model.load_state_dict(checkpoint["model"])
    return checkpoint
