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

__all__ = ["lr_factor", "make_optimizer", "weight_decay_groups"]


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


def weight_decay_groups(model, weight_decay):
    """The trainable parameters of ``model`` in two optimizer groups: decayed, and not.

    Parameters with two or more dimensions (the weights of convolutions and linear layers)
    get ``weight_decay``; those with one or none (biases, the BatchNorm scales and shifts)
    get 0. Decaying a BatchNorm scale only shrinks what BatchNorm restores, and a bias does
    not make the network more complex, so the usual practice leaves both out (timm's
    ``param_groups_weight_decay``, nanoGPT's ``configure_optimizers``). Frozen parameters
    (``requires_grad`` False) are left out of both groups. Pass the result to any
    :mod:`torch.optim` optimizer: ``torch.optim.AdamW(weight_decay_groups(model, 1e-4))``.

    Raises
    ------
    TypeError
        ``model`` is not a module, ``weight_decay`` not a number.
    ValueError
        ``weight_decay`` is negative.

    Examples
    --------
    >>> net = torch.nn.Sequential(torch.nn.Conv2d(1, 4, 3, bias=False), torch.nn.BatchNorm2d(4))
    >>> [(len(g["params"]), g["weight_decay"]) for g in weight_decay_groups(net, 0.1)]
    [(1, 0.1), (2, 0.0)]
    """
    weight_decay = check_number(weight_decay, "weight_decay", minimum=0)
    decay, no_decay = [], []
    for p in check_module(model, "model").parameters():
        if p.requires_grad:
            (decay if p.ndim > 1 else no_decay).append(p)
    return [
        {"params": decay, "weight_decay": weight_decay},
        {"params": no_decay, "weight_decay": 0.0},
    ]


def make_optimizer(model, config):
    """Nesterov SGD with ``config``'s ``lr``, ``momentum``, ``nesterov`` and
    ``weight_decay``, the decay on the weights of convolutions and linear layers only
    (:func:`weight_decay_groups`).

    Decaying the BatchNorm scales and the biases only shrinks what BatchNorm restores, so
    they are left out (a common choice, measured slightly better). Frozen parameters are
    left out too. ``config`` None is the default :class:`~cnnviz.train.Config`.
    """
    config = as_config(config)
    groups = weight_decay_groups(model, config.weight_decay)
    return torch.optim.SGD(groups, lr=config.lr, momentum=config.momentum, nesterov=config.nesterov)
