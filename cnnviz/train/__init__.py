"""Train a CNN on CIFAR-10 fast, on whatever device there is: CUDA, Apple MPS or the CPU.

The recipe of the CIFAR-10 speedruns (airbench), in readable pieces:

- the data is one uint8 tensor on the device, cut, augmented (random translate, flip) and
  normalized there in whole batches (:class:`cnnviz.data.Loader`);
- Nesterov SGD with weight decay and a one-cycle schedule: the learning rate rises linearly
  for the first ``warmup`` fraction of the steps, then falls to zero (:func:`lr_factor`);
- label smoothing 0.2 (the target is 0.82 on the right class and 0.02 on each of the
  nine others);
- on CUDA, mixed precision (:func:`torch.autocast` in bfloat16, or float16 with a
  :class:`torch.amp.GradScaler`) and the ``channels_last`` memory format;
- optionally :func:`torch.compile`;
- test-time augmentation: the prediction averages the logits of an image and of its mirror;
- data parallelism over several processes (GPUs) under ``torchrun``:
  :mod:`~cnnviz.train.distributed`, and ``python -m cnnviz.train``, the one command that runs
  a recipe on one process or many.

Every setting lives in one :class:`Config`, checked when it is given. :func:`fit` returns a
:class:`History` with the wall time of every epoch and the first time the validation
accuracy crossed each threshold.

Modules, each with one job: :mod:`~cnnviz.train.config` (the settings),
:mod:`~cnnviz.train.device` (device, seeds, memory format, compile),
:mod:`~cnnviz.train.precision` (mixed precision), :mod:`~cnnviz.train.optim` (optimizer,
weight-decay groups and schedule), :mod:`~cnnviz.train.loop` (the steps and :func:`fit`),
:mod:`~cnnviz.train.distributed` (process groups, synchronized BatchNorm, all-reduce),
:mod:`~cnnviz.train.history`, :mod:`~cnnviz.train.evaluate` (prediction, TTA),
:mod:`~cnnviz.train.checkpoints` and :mod:`~cnnviz.train.cifar10` (the data of a config).

Examples
--------
>>> cfg = Config(epochs=2)
>>> cfg.epochs, cfg.label_smoothing, cfg.nesterov
(2, 0.2, True)
"""

from .checkpoints import load_checkpoint, save_checkpoint
from .cifar10 import prepare_cifar10
from .config import Config, fast_mode, recipe
from .device import pick_device, seed_everything, synchronize
from .distributed import (
    all_reduce_in_threads,
    all_reduce_sum,
    broadcast_buffers,
    close_distributed,
    current_process,
    init_distributed,
    is_main_process,
    sync_batchnorm,
)
from .evaluate import evaluate, predict
from .history import History
from .loop import fit, train_step
from .optim import lr_factor, make_optimizer, weight_decay_groups
from .precision import amp_dtype

__all__ = [
    "Config",
    "History",
    "all_reduce_in_threads",
    "all_reduce_sum",
    "amp_dtype",
    "broadcast_buffers",
    "close_distributed",
    "current_process",
    "evaluate",
    "fast_mode",
    "fit",
    "init_distributed",
    "is_main_process",
    "load_checkpoint",
    "lr_factor",
    "make_optimizer",
    "pick_device",
    "predict",
    "prepare_cifar10",
    "recipe",
    "save_checkpoint",
    "seed_everything",
    "sync_batchnorm",
    "synchronize",
    "train_step",
    "weight_decay_groups",
]
