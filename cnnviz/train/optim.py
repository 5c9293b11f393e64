"""The optimizer and the learning-rate schedule of the recipe.

Examples
--------
>>> [round(lr_factor(s, 4, warmup=0.5), 2) for s in range(5)]
[0.0, 0.5, 1.0, 0.5, 0.0]
"""

import math

import torch

from .._checks import check_choice, check_int, check_number
from ._torch_checks import check_module
from .config import SCHEDULES, as_config

__all__ = ["lr_factor", "make_optimizer"]


def lr_factor(step, total_steps, warmup=0.2, schedule="linear"):
    """The one-cycle schedule: the fraction of the peak learning rate at ``step``.

    It rises linearly from 0 to 1 during the first ``warmup`` fraction of the steps, then
    decays to 0 at ``total_steps``, linearly or along a half cosine.

    Parameters
    ----------
    step : int
        From 0.
    total_steps : int
        Positive.
    warmup : float, default 0.2
        In ``[0, 1]``.
    schedule : {"linear", "cosine"}

    Raises
    ------
    TypeError
        ``step`` or ``total_steps`` is not an int, ``warmup`` not a number.
    ValueError
        A value out of range, or ``schedule`` is not "linear" or "cosine".

    Examples
    --------
    >>> [round(lr_factor(s, 10, warmup=0.2), 3) for s in range(11)]
    [0.0, 0.5, 1.0, 0.875, 0.75, 0.625, 0.5, 0.375, 0.25, 0.125, 0.0]
    >>> round(lr_factor(6, 10, warmup=0.2, schedule="cosine"), 3)
    0.5
    """
    check_int(step, "step", minimum=0)
    check_int(total_steps, "total_steps", minimum=1)
    warmup = check_number(warmup, "warmup", minimum=0, maximum=1)
    check_choice(schedule, "schedule", SCHEDULES)
    peak = warmup * total_steps
    if step < peak:
        return step / peak
    progress = min((step - peak) / max(total_steps - peak, 1e-12), 1.0)
    if schedule == "linear":
        return 1.0 - progress
    return 0.5 * (1.0 + math.cos(math.pi * progress))


def make_optimizer(model, config):
    """Nesterov SGD with ``config``'s ``lr``, ``momentum``, ``nesterov`` and
    ``weight_decay``, the decay on the weights of convolutions and linear layers only.

    Decaying the BatchNorm scales and the biases only shrinks what BatchNorm restores, so
    they are left out (a common choice, measured slightly better). Frozen parameters are
    left out too. ``config`` None is the default :class:`~cnnviz.train.Config`.
    """
    config = as_config(config)
    decay, no_decay = [], []
    for p in check_module(model).parameters():
        if p.requires_grad:
            (decay if p.ndim > 1 else no_decay).append(p)
    groups = [
        {"params": decay, "weight_decay": config.weight_decay},
        {"params": no_decay, "weight_decay": 0.0},
    ]
    return torch.optim.SGD(groups, lr=config.lr, momentum=config.momentum, nesterov=config.nesterov)
