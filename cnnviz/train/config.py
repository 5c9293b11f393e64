"""Every setting of a training run in one :class:`Config`, checked when it is given.

Examples
--------
>>> Config(epochs=2).epochs, recipe(fast=True).n_train
(2, 10000)
>>> Config(epochs=2.0)
Traceback (most recent call last):
...
TypeError: epochs must be an int, got 2.0
"""

import dataclasses
import os
from functools import partial

from .._checks import check_bool, check_choice, check_int, check_number
from .device import check_channels_last, check_compile
from .precision import AMP_CHOICES

__all__ = ["SCHEDULES", "Config", "as_config", "fast_mode", "recipe"]

SCHEDULES = ("linear", "cosine")


def fast_mode():
    """True when the environment variable ``CNNVIZ_FAST`` is set to 1 / true / yes / on.

    Chapters that train use it to run a short version (a subset of the data, a couple of
    epochs) in continuous integration.

    Examples
    --------
    >>> from unittest import mock
    >>> with mock.patch.dict("os.environ", {"CNNVIZ_FAST": "1"}):
    ...     fast_mode()
    True
    >>> with mock.patch.dict("os.environ", {"CNNVIZ_FAST": "0"}):
    ...     fast_mode()
    False
    """
    return os.environ.get("CNNVIZ_FAST", "").strip().lower() in ("1", "true", "yes", "on")


def _optional(check):
    """``check``, letting None through."""
    return lambda value, name: None if value is None else check(value, name)


def _sequence(check):
    """``check`` on every item of a non-empty list or tuple; returns a tuple."""

    def check_all(value, name):
        if not isinstance(value, (list, tuple)):
            raise TypeError(f"{name} must be a tuple, got {value!r}")
        if not value:
            raise ValueError(f"{name} must hold at least one value, got {value!r}")
        return tuple(check(v, f"{name}[{i}]") for i, v in enumerate(value))

    return check_all


_count = partial(check_int, minimum=1)
_fraction = partial(check_number, minimum=0, maximum=1)
_non_negative = partial(check_number, minimum=0)

# The check of every field: (value, name) -> the value as stored.
_FIELD_CHECKS = {
    "epochs": _count,
    "batch_size": _count,
    "lr": _non_negative,
    "momentum": _fraction,
    "nesterov": check_bool,
    "weight_decay": _non_negative,
    "label_smoothing": _fraction,
    "warmup": _fraction,
    "schedule": partial(check_choice, choices=SCHEDULES),
    "translate": partial(check_int, minimum=0),
    "flip": check_bool,
    "widths": _sequence(_count),
    "n_train": _optional(_count),
    "n_val": partial(check_int, minimum=0),
    "n_test": _optional(_count),
    "tta": check_bool,
    "amp": partial(check_choice, choices=AMP_CHOICES),
    "channels_last": check_channels_last,
    "compile": check_compile,
    "sync_bn": check_bool,
    "seed": partial(check_int, minimum=0),
    "thresholds": _sequence(check_number),
}


@dataclasses.dataclass
class Config:
    """Every setting of a training run, in one place.

    Data
        ``n_train`` (None: all training images left after the validation split), ``n_val``
        (held out from the 50,000 training images), ``n_test`` (None: all 10,000),
        ``batch_size``, ``translate`` (pixels of random translation), ``flip``.
    Model
        ``widths`` of :class:`cnnviz.models.FastNet`.
    Optimization
        ``epochs``, ``lr`` (the peak), ``momentum``, ``nesterov``, ``weight_decay`` (not on
        biases and BatchNorm), ``label_smoothing``, ``warmup`` (fraction of the steps),
        ``schedule`` (``"linear"`` or ``"cosine"`` decay after the warm-up).
    Speed
        ``amp``: ``"auto"`` (bfloat16 or float16 on CUDA, off elsewhere), ``"bf16"``,
        ``"fp16"`` or ``"off"``; ``channels_last``: ``"auto"`` (on for CUDA and CPU) or a
        bool; ``compile``: wrap the model in :func:`torch.compile` (True, or the name of a
        backend such as ``"inductor"``; the first epoch then includes the compilation).
    Data parallelism (under ``torchrun``, :mod:`~cnnviz.train.distributed`)
        ``batch_size`` and ``lr`` are the *global* batch and its peak learning rate, the same
        for any number of processes (nothing is rescaled; each process trains on
        ``batch_size / processes`` images per step). ``sync_bn``: BatchNorm over the global
        batch (:func:`~cnnviz.train.sync_batchnorm`; the model's BatchNorm layers are
        replaced in place) instead of each process's share.
    Evaluation
        ``tta`` (average the logits of each image and its mirror), ``thresholds`` (accuracies
        whose first crossing time is recorded).
    ``seed`` seeds the model's initialization (when built by :func:`recipe`'s user with
    :func:`seed_everything`), the split, the order and the augmentation.

    Every field is checked when it is set, at construction or later: counts are ints
    (``epochs=2.0`` is refused), fractions lie in ``[0, 1]``, choices are known. ``widths``
    and ``thresholds`` are stored as tuples.

    Raises
    ------
    TypeError
        A field of the wrong type (an int field given a float, a bool field anything else).
    ValueError
        A field out of range or an unknown choice; ``nesterov`` without ``momentum``.
    """

    epochs: int = 12
    batch_size: int = 512
    lr: float = 0.4
    momentum: float = 0.9
    nesterov: bool = True
    weight_decay: float = 5e-4
    label_smoothing: float = 0.2
    warmup: float = 0.2
    schedule: str = "linear"
    translate: int = 2
    flip: bool = True
    widths: tuple = (32, 64, 128)
    n_train: int | None = None
    n_val: int = 5000
    n_test: int | None = None
    tta: bool = True
    amp: str = "auto"
    channels_last: object = "auto"
    compile: object = False
    sync_bn: bool = False
    seed: int = 0
    thresholds: tuple = (0.8, 0.85, 0.9, 0.94)

    def __setattr__(self, name, value):
        check = _FIELD_CHECKS.get(name)
        super().__setattr__(name, value if check is None else check(value, name))

    def __post_init__(self):
        if self.nesterov and self.momentum == 0:
            raise ValueError(f"momentum must be positive with nesterov=True, got {self.momentum}")


def as_config(config):
    """``config``, or the default :class:`Config` for None; ``TypeError`` for anything else."""
    if config is None:
        return Config()
    if not isinstance(config, Config):
        raise TypeError(f"config must be a cnnviz.train.Config or None, got {config!r}")
    return config


def recipe(fast=None):
    """The configuration the CIFAR-10 chapter uses: full, or short when ``fast`` (default:
    :func:`fast_mode`).

    Examples
    --------
    >>> recipe(fast=True).epochs < recipe(fast=False).epochs
    True
    """
    fast = fast_mode() if fast is None else check_bool(fast, "fast")
    if fast:
        return Config(epochs=3, n_train=10_000, n_val=1000, n_test=2000)
    return Config()
