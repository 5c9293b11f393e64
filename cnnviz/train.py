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
- test-time augmentation: the prediction averages the logits of an image and of its mirror.

Every setting lives in one :class:`Config`. :func:`fit` returns a history with the wall time
of every epoch and the first time the validation accuracy crossed each threshold.

Examples
--------
>>> cfg = Config(epochs=2)
>>> cfg.epochs, cfg.label_smoothing, cfg.nesterov
(2, 0.2, True)
"""

import dataclasses
import math
import os
import random
import time
from contextlib import nullcontext

import numpy as np
import torch
import torch.nn.functional as F

__all__ = [
    "Config",
    "amp_dtype",
    "evaluate",
    "fast_mode",
    "fit",
    "load_checkpoint",
    "lr_factor",
    "make_optimizer",
    "pick_device",
    "predict",
    "prepare_cifar10",
    "recipe",
    "save_checkpoint",
    "seed_everything",
    "synchronize",
    "train_step",
]


# --------------------------------------------------------------------------- settings


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
    Evaluation
        ``tta`` (average the logits of each image and its mirror), ``thresholds`` (accuracies
        whose first crossing time is recorded).
    ``seed`` seeds the model's initialization (when built by :func:`recipe`'s user with
    :func:`seed_everything`), the split, the order and the augmentation.
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
    seed: int = 0
    thresholds: tuple = (0.8, 0.85, 0.9, 0.94)


def recipe(fast=None):
    """The configuration the CIFAR-10 chapter uses: full, or short when ``fast`` (default:
    :func:`fast_mode`).

    Examples
    --------
    >>> recipe(fast=True).epochs < recipe(fast=False).epochs
    True
    """
    fast = fast_mode() if fast is None else fast
    if fast:
        return Config(epochs=3, n_train=10_000, n_val=1000, n_test=2000)
    return Config()


def seed_everything(seed=0):
    """Seed Python's and PyTorch's generators (on every device).

    NumPy code in cnnviz takes explicit ``numpy.random.default_rng(seed)`` generators instead
    of a global state.
    """
    random.seed(seed)
    torch.manual_seed(seed)


def pick_device(name=None):
    """The fastest device there is: CUDA, else Apple's MPS, else the CPU (or ``name``).

    Examples
    --------
    >>> pick_device("cpu")
    device(type='cpu')
    """
    if name is not None:
        return torch.device(name)
    if torch.cuda.is_available():
        return torch.device("cuda")
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


def amp_dtype(device, amp="auto"):
    """The dtype that :func:`torch.autocast` should use, or None for full precision.

    ``"auto"`` turns mixed precision on only on CUDA: bfloat16 on GPUs with bfloat16 units
    (NVIDIA compute capability 8.0 and later: A100, H100, RTX 30xx and newer), float16 with
    a gradient scaler on older ones (T4, V100), where bfloat16 would be emulated. On most
    CPUs bfloat16 is *slower* (it pays off only with AMX/AVX-512 BF16), but ``amp="bf16"``
    forces it, which is how the tests exercise this branch.

    Examples
    --------
    >>> amp_dtype(torch.device("cpu")), amp_dtype(torch.device("cpu"), "bf16")
    (None, torch.bfloat16)
    """
    device = torch.device(device)
    choices = {"bf16": torch.bfloat16, "fp16": torch.float16, "off": None, None: None}
    if amp == "auto":
        if device.type != "cuda":
            return None
        native = torch.cuda.is_bf16_supported(including_emulation=False)
        return torch.bfloat16 if native else torch.float16
    if amp not in choices:
        raise ValueError(f'amp must be "auto", "bf16", "fp16" or "off", got {amp!r}')
    return choices[amp]


def _channels_last(device, setting):
    if setting == "auto":
        return torch.device(device).type in ("cuda", "cpu")  # measured faster on both
    if not isinstance(setting, bool):
        raise ValueError(f'channels_last must be "auto", True or False, got {setting!r}')
    return setting


def _autocast(device, dtype):
    if dtype is None:
        return nullcontext()
    return torch.autocast(torch.device(device).type, dtype=dtype)


def _compiled(model, setting):
    """``model`` itself, or wrapped by :func:`torch.compile` (``setting`` True, or a backend:
    a name from :func:`torch.compiler.list_backends` or a callable)."""
    if setting is False or setting is None:
        return model
    if setting is True:
        return torch.compile(model)
    if callable(setting):  # a custom backend
        return torch.compile(model, backend=setting)
    if not isinstance(setting, str) or setting not in torch.compiler.list_backends(None):
        raise ValueError(
            f"compile must be True, False or a backend of torch.compiler.list_backends(), "
            f"got {setting!r}"
        )
    return torch.compile(model, backend=setting)


def synchronize(device):
    """Wait for the device to finish (timings of asynchronous CUDA/MPS work need it)."""
    device = torch.device(device)
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    elif device.type == "mps":
        torch.mps.synchronize()


def lr_factor(step, total_steps, warmup=0.2, schedule="linear"):
    """The one-cycle schedule: the fraction of the peak learning rate at ``step``.

    It rises linearly from 0 to 1 during the first ``warmup`` fraction of the steps, then
    decays to 0 at ``total_steps``, linearly or along a half cosine.

    Examples
    --------
    >>> [round(lr_factor(s, 10, warmup=0.2), 3) for s in range(11)]
    [0.0, 0.5, 1.0, 0.875, 0.75, 0.625, 0.5, 0.375, 0.25, 0.125, 0.0]
    >>> round(lr_factor(6, 10, warmup=0.2, schedule="cosine"), 3)
    0.5
    """
    if schedule not in ("linear", "cosine"):
        raise ValueError(f'schedule must be "linear" or "cosine", got {schedule!r}')
    peak = warmup * total_steps
    if step < peak:
        return step / peak
    progress = min((step - peak) / max(total_steps - peak, 1e-12), 1.0)
    if schedule == "linear":
        return 1.0 - progress
    return 0.5 * (1.0 + math.cos(math.pi * progress))


def make_optimizer(model, config):
    """Nesterov SGD; weight decay on the weights of convolutions and linear layers only.

    Decaying the BatchNorm scales and the biases only shrinks what BatchNorm restores, so
    they are left out (a common choice, measured slightly better).
    """
    decay, no_decay = [], []
    for p in model.parameters():
        if p.requires_grad:
            (decay if p.ndim > 1 else no_decay).append(p)
    groups = [
        {"params": decay, "weight_decay": config.weight_decay},
        {"params": no_decay, "weight_decay": 0.0},
    ]
    return torch.optim.SGD(groups, lr=config.lr, momentum=config.momentum, nesterov=config.nesterov)


# --------------------------------------------------------------------------- steps


def train_step(model, x, y, optimizer, label_smoothing=0.0, dtype=None, scaler=None):
    """One step of stochastic gradient descent; returns the logits (detached) and the loss.

    Under ``dtype`` (bfloat16 or float16) the forward pass runs in :func:`torch.autocast`;
    ``scaler`` (a :class:`torch.amp.GradScaler`, needed for float16) multiplies the loss
    before the backward pass so that small gradients do not underflow, and divides them
    again before the update.
    """
    with _autocast(x.device, dtype):
        logits = model(x)
        loss = F.cross_entropy(logits.float(), y, label_smoothing=label_smoothing)
    optimizer.zero_grad(set_to_none=True)
    if scaler is not None and scaler.is_enabled():
        scaler.scale(loss).backward()
        scaler.step(optimizer)
        scaler.update()
    else:
        loss.backward()
        optimizer.step()
    return logits.detach(), loss.detach()


@torch.no_grad()
def predict(model, loader, tta=True, amp="off", channels_last=False):
    """Logits of every image of ``loader`` (in its order), as a float32 CPU tensor ``(N, K)``.

    With ``tta`` (test-time augmentation) each image is seen twice, as is and mirrored
    left-right, and the two logits are averaged: the net was trained on both views, and
    the average makes fewer mistakes than either (about +0.5 % on CIFAR-10).
    """
    was_training = model.training
    model.eval()
    dtype = amp_dtype(loader.device, amp)
    outputs = []
    try:
        for x, _ in loader:
            if channels_last:
                x = x.contiguous(memory_format=torch.channels_last)
            with _autocast(x.device, dtype):
                logits = model(x).float()
                if tta:
                    logits = 0.5 * (logits + model(x.flip(-1)).float())
            outputs.append(logits)  # kept on the device: a copy per batch would wait for it
    finally:
        model.train(was_training)
    return torch.cat(outputs).cpu() if outputs else torch.empty(0)


def evaluate(model, loader, tta=True, amp="off", channels_last=False):
    """Accuracy and mean cross-entropy of ``model`` on ``loader`` (see :func:`predict`).

    Returns
    -------
    dict
        ``{"acc": float, "loss": float}``.
    """
    logits = predict(model, loader, tta=tta, amp=amp, channels_last=channels_last)
    labels = loader.labels.cpu()
    return {
        "acc": (logits.argmax(1) == labels).float().mean().item(),
        "loss": F.cross_entropy(logits, labels).item(),
    }


# --------------------------------------------------------------------------- the loop


def _progress(iterable, enabled, **kwargs):
    if not enabled:
        return iterable
    from tqdm.auto import tqdm

    return tqdm(iterable, **kwargs)


def fit(
    model,
    train_loader,
    val_loader=None,
    config=None,
    callback=None,
    progress=True,
    log="print",
):
    """Train ``model`` with the recipe of ``config``; returns the history.

    Parameters
    ----------
    model : torch.nn.Module
        Moved to the device of ``train_loader``'s data.
    train_loader : cnnviz.data.Loader
        Shuffling, augmenting (and best ``drop_last=True``).
    val_loader : cnnviz.data.Loader, optional
        Evaluated after every epoch (with ``config.tta``).
    config : Config, optional
    callback : callable, optional
        ``callback(history)`` after every epoch, e.g. to redraw a live curve with
        :func:`cnnviz.viz.plot_history`.
    progress : bool, default True
        A tqdm progress bar over the batches of each epoch.
    log : callable or None, default "print"
        Receives one line per epoch (``"print"``: printed at once, flushed).

    Returns
    -------
    dict
        Lists, one entry per epoch: ``epoch``, ``train_loss``, ``train_acc`` (on the augmented
        batches, during the epoch), ``val_loss``, ``val_acc``, ``lr`` (of the epoch's last step),
        ``epoch_time`` (seconds of training), ``time`` (cumulative training seconds,
        evaluation excluded), ``wall`` (cumulative seconds, evaluation included); and
        ``time_to``: ``{threshold: seconds of training (time) when val_acc first reached it,
        or None}``; ``device``; ``amp`` (the dtype name or "off"); ``channels_last``.
    """
    config = Config() if config is None else config
    if len(train_loader) == 0:
        raise ValueError(
            f"train_loader gives no batches: {len(train_loader.labels)} samples, batch_size "
            f"{train_loader.batch_size}, drop_last={train_loader.drop_last}"
        )
    device = train_loader.device
    dtype = amp_dtype(device, config.amp)
    channels_last = _channels_last(device, config.channels_last)
    model.to(device)
    if channels_last:
        model.to(memory_format=torch.channels_last)
    runner = _compiled(model, config.compile)
    optimizer = make_optimizer(model, config)
    scaler = torch.amp.GradScaler(device.type, enabled=dtype == torch.float16)
    total_steps = config.epochs * len(train_loader)
    history = {
        key: []
        for key in ("epoch train_loss train_acc val_loss val_acc lr epoch_time time wall".split())
    }
    history["time_to"] = {float(t): None for t in config.thresholds}
    history["device"] = str(device)
    history["amp"] = "off" if dtype is None else str(dtype).removeprefix("torch.")
    history["channels_last"] = channels_last
    step, trained, start = 0, 0.0, time.perf_counter()
    torch.manual_seed(config.seed)  # dropout and anything else random inside the model
    for epoch in range(1, config.epochs + 1):
        model.train()
        synchronize(device)
        t0 = time.perf_counter()
        loss_sum = torch.zeros((), device=device)
        correct = torch.zeros((), device=device, dtype=torch.long)
        seen = 0
        bar = _progress(train_loader, progress, desc=f"epoch {epoch}/{config.epochs}", leave=False)
        for x, y in bar:
            lr = config.lr * lr_factor(step, total_steps, config.warmup, config.schedule)
            for group in optimizer.param_groups:
                group["lr"] = lr
            if channels_last:
                x = x.contiguous(memory_format=torch.channels_last)
            logits, loss = train_step(
                runner, x, y, optimizer, config.label_smoothing, dtype, scaler
            )
            loss_sum += loss * len(y)
            correct += (logits.argmax(1) == y).sum()
            seen += len(y)
            step += 1
        synchronize(device)
        epoch_time = time.perf_counter() - t0
        trained += epoch_time
        history["epoch"].append(epoch)
        history["train_loss"].append(loss_sum.item() / max(seen, 1))
        history["train_acc"].append(correct.item() / max(seen, 1))
        history["lr"].append(lr)
        history["epoch_time"].append(epoch_time)
        history["time"].append(trained)
        if val_loader is not None:
            result = evaluate(runner, val_loader, config.tta, config.amp, channels_last)
            history["val_loss"].append(result["loss"])
            history["val_acc"].append(result["acc"])
            for threshold, reached in history["time_to"].items():
                if reached is None and result["acc"] >= threshold:
                    history["time_to"][threshold] = trained
        history["wall"].append(time.perf_counter() - start)
        if log == "print":
            print(_epoch_line(history, config.epochs), flush=True)
        elif log is not None:
            log(_epoch_line(history, config.epochs))
        if callback is not None:
            callback(history)
    return history


def _epoch_line(history, epochs):
    """One short line per epoch (it must fit a book's column, about 76 characters)."""
    line = (
        f"epoch {history['epoch'][-1]:>2}/{epochs}  "
        f"train loss {history['train_loss'][-1]:.3f} acc {history['train_acc'][-1]:5.1%}"
    )
    if history["val_acc"]:
        line += f"  val loss {history['val_loss'][-1]:.3f} acc {history['val_acc'][-1]:5.1%}"
    return line + f"  total {history['time'][-1]:.0f} s"


# --------------------------------------------------------------------------- data, checkpoints


def prepare_cifar10(config=None, device="cpu", root=None):
    """CIFAR-10 loaders for ``config``: training (shuffled, augmented), validation and test.

    The validation images are held out from the training images with
    :func:`cnnviz.data.split_train_val`; the mean and standard deviation are computed on the
    remaining training images (:func:`cnnviz.data.channel_stats`) and used for all three.
    ``n_train`` / ``n_test`` take class-balanced subsets (the same split function).

    Returns
    -------
    dict
        ``train``, ``val`` (None when ``n_val`` is 0), ``test`` (:class:`cnnviz.data.Loader`),
        ``mean``, ``std``, ``classes``, ``load_seconds`` (loading and preparing the data).
    """
    from . import data

    config = Config() if config is None else config
    t0 = time.perf_counter()
    x, y, classes = data.cifar10_tensors("train", device, root=root)
    x_test, y_test, _ = data.cifar10_tensors("test", device, root=root)
    if config.n_val:
        (x, y), (x_val, y_val) = data.split_train_val(x, y, config.n_val, seed=config.seed)
    if config.n_train is not None and config.n_train < len(y):
        _, (x, y) = data.split_train_val(x, y, config.n_train, seed=config.seed + 1)
    if config.n_test is not None and config.n_test < len(y_test):
        _, (x_test, y_test) = data.split_train_val(x_test, y_test, config.n_test, seed=0)
    mean, std = data.channel_stats(x)
    channels_last = _channels_last(device, config.channels_last)
    common = {"mean": mean, "std": std, "channels_last": channels_last}
    train = data.Loader(
        x,
        y,
        config.batch_size,
        shuffle=True,
        translate=config.translate,
        flip=config.flip,
        drop_last=True,
        seed=config.seed,
        **common,
    )
    eval_batch = max(config.batch_size, 1000)
    val = data.Loader(x_val, y_val, eval_batch, **common) if config.n_val else None
    test = data.Loader(x_test, y_test, eval_batch, **common)
    synchronize(device)
    return {
        "train": train,
        "val": val,
        "test": test,
        "mean": mean,
        "std": std,
        "classes": classes,
        "load_seconds": time.perf_counter() - t0,
    }


def _plain(value, name="value"):
    """Config values and history entries as plain Python types (for ``weights_only``)."""
    if isinstance(value, dict):
        return {k: _plain(v, f"{name}[{k!r}]") for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v, f"{name}[{i}]") for i, v in enumerate(value)]
    if isinstance(value, (np.generic, np.ndarray, torch.Tensor)):
        return value.tolist()
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    raise TypeError(
        f"{name} is a {type(value).__name__}; a checkpoint keeps only numbers, strings, "
        f"lists, dicts, arrays and tensors (convert it, e.g. str(path))"
    )


def save_checkpoint(path, model, config=None, history=None, **extra):
    """Save the model's ``state_dict`` (and the config, the history, ``extra``) to ``path``.

    Only tensors and plain Python values are written, so that :func:`load_checkpoint` can
    read it back with ``torch.load(..., weights_only=True)``, which refuses to run code. A
    model wrapped by :func:`torch.compile` is saved as the model inside it, so the keys are
    the same either way.
    """
    payload = {"model": getattr(model, "_orig_mod", model).state_dict()}
    if config is not None:
        payload["config"] = _plain(dataclasses.asdict(config), "config")
    if history is not None:
        payload["history"] = _plain(history, "history")
    payload.update(_plain(extra, "extra"))
    torch.save(payload, path)


def load_checkpoint(path, model=None, map_location="cpu"):
    """Read a checkpoint written by :func:`save_checkpoint` (``weights_only=True``).

    With ``model``, its weights are loaded into it. Returns the whole checkpoint dict.
    """
    checkpoint = torch.load(path, map_location=map_location, weights_only=True)
    if model is not None:
        model.load_state_dict(checkpoint["model"])
    return checkpoint
