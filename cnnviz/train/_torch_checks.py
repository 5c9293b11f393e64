"""Checks of the PyTorch arguments of :mod:`cnnviz.train`, in the convention of
:mod:`cnnviz._checks`: ``TypeError`` for a wrong type, ``ValueError`` for a wrong value, and a
message ``"<name> must be …, got …"``."""

import os

import torch

from ..data.loader import check_device

__all__ = ["check_device", "check_loader", "check_module", "check_path", "check_tensor"]


def check_module(value, name="model"):
    """Return ``value`` when it is a :class:`torch.nn.Module`, else raise ``TypeError``."""
    if not isinstance(value, torch.nn.Module):
        raise TypeError(f"{name} must be a torch.nn.Module, got {value!r}")
    return value


def check_tensor(value, name):
    """Return ``value`` when it is a :class:`torch.Tensor`, else raise ``TypeError``."""
    if not isinstance(value, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor, got {value!r}")
    return value


def check_loader(value, name="loader"):
    """Return ``value`` when it works like a :class:`cnnviz.data.Loader` (batches, a device
    and the labels), else raise ``TypeError``."""
    needed = ("__iter__", "__len__", "device", "labels")
    if not all(hasattr(value, attribute) for attribute in needed):
        raise TypeError(f"{name} must be a cnnviz.data.Loader, got {value!r}")
    return value


def check_path(value, name="path", mode="write"):
    """Return ``value`` when it is a file path or a file object open to ``mode`` ("read" or
    "write"), else raise ``TypeError``."""
    if not isinstance(value, (str, os.PathLike)) and not hasattr(value, mode):
        raise TypeError(f"{name} must be a file path or a file object, got {value!r}")
    return value
