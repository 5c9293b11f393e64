"""The training loop: one step of SGD, and :func:`fit`, the epochs in named steps."""

import dataclasses
import time

import torch
import torch.nn.functional as F

from .._checks import check_bool, check_number
from ._torch_checks import check_loader, check_module, check_tensor
from .config import as_config
from .device import compiled, resolve_channels_last, synchronize
from .evaluate import evaluate
from .history import History
from .optim import lr_factor, make_optimizer
from .precision import amp_dtype, amp_name, autocast, grad_scaler

__all__ = ["fit", "train_step"]


def train_step(model, x, y, optimizer, label_smoothing=0.0, dtype=None, scaler=None):
    """One step of stochastic gradient descent; returns the logits (detached) and the loss.

    Under ``dtype`` (bfloat16 or float16) the forward pass runs in :func:`torch.autocast`;
    ``scaler`` (a :class:`torch.amp.GradScaler`, needed for float16) multiplies the loss
    before the backward pass so that small gradients do not underflow, and divides them
    again before the update. The loss is the float32 cross-entropy of the logits against
    the labels ``y``, with ``label_smoothing`` in ``[0, 1]``.

    Raises ``TypeError`` or ``ValueError`` naming an argument of the wrong type or value.
    """
    _check_step(model, x, y, optimizer, label_smoothing, dtype, scaler)
    with autocast(x.device, dtype):
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


def _check_step(model, x, y, optimizer, label_smoothing, dtype, scaler):
    check_module(model), check_tensor(x, "x"), check_tensor(y, "y")
    if not isinstance(optimizer, torch.optim.Optimizer):
        raise TypeError(f"optimizer must be a torch.optim.Optimizer, got {optimizer!r}")
    check_number(label_smoothing, "label_smoothing", minimum=0, maximum=1)
    if dtype is not None and not isinstance(dtype, torch.dtype):
        raise TypeError(f"dtype must be a torch.dtype or None, got {dtype!r}")
    if scaler is not None and not isinstance(scaler, torch.amp.GradScaler):
        raise TypeError(f"scaler must be a torch.amp.GradScaler or None, got {scaler!r}")


@dataclasses.dataclass
class _Run:
    """What the epochs of one :func:`fit` share."""

    config: object
    model: torch.nn.Module  # the model as given
    runner: torch.nn.Module  # the model, or its torch.compile wrapper
    device: torch.device
    dtype: object  # autocast dtype or None
    channels_last: bool
    optimizer: torch.optim.Optimizer
    scaler: torch.amp.GradScaler
    total_steps: int
    step: int = 0


def fit(
    model,
    train_loader,
    val_loader=None,
    config=None,
    callback=None,
    progress=True,
    log="print",
):
    """Train ``model`` with the recipe of ``config``; returns its :class:`History`.

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
    History
        A dict of lists, one entry per epoch: ``epoch``, ``train_loss``, ``train_acc``,
        ``val_loss``, ``val_acc``, ``lr``, ``epoch_time``, ``time``, ``wall`` (seconds);
        ``time_to`` (seconds to each threshold), ``device``, ``amp``, ``channels_last``
        (see :class:`History`).

    Raises
    ------
    TypeError
        ``model`` is not a module, a loader not a loader, ``config`` not a :class:`Config`,
        ``callback`` or ``log`` not callable.
    ValueError
        ``train_loader`` gives no batches.
    """
    config = as_config(config)
    say = _check_fit(model, train_loader, val_loader, callback, progress, log)
    run = _setup(model, train_loader, config)
    history = History.start(config.thresholds, run.device, amp_name(run.dtype), run.channels_last)
    start = time.perf_counter()
    torch.manual_seed(config.seed)  # dropout and anything else random inside the model
    for epoch in range(1, config.epochs + 1):
        history.add_epoch(epoch, *_train_epoch(run, train_loader, epoch, progress))
        if val_loader is not None:
            tta, amp = config.tta, config.amp
            history.add_validation(evaluate(run.runner, val_loader, tta, amp, run.channels_last))
        history["wall"].append(time.perf_counter() - start)
        say(history.line(config.epochs))
        if callback is not None:
            callback(history)
    return history


def _check_fit(model, train_loader, val_loader, callback, progress, log):
    """Check :func:`fit`'s arguments; returns the function that receives the epoch lines."""
    check_module(model), check_loader(train_loader, "train_loader")
    if val_loader is not None:
        check_loader(val_loader, "val_loader")
    if len(train_loader) == 0:
        raise ValueError(
            f"train_loader must give at least one batch, got {len(train_loader.labels)} "
            f"samples, batch_size {train_loader.batch_size}, drop_last={train_loader.drop_last}"
        )
    if callback is not None and not callable(callback):
        raise TypeError(f"callback must be a callable or None, got {callback!r}")
    check_bool(progress, "progress")
    if log == "print":
        return lambda line: print(line, flush=True)
    if log is None:
        return lambda line: None
    if not callable(log):
        raise TypeError(f"log must be 'print', a callable or None, got {log!r}")
    return log


def _setup(model, train_loader, config):
    """Move the model to the data's device and memory format; build the optimizer."""
    device = train_loader.device
    dtype = amp_dtype(device, config.amp)
    channels_last = resolve_channels_last(device, config.channels_last)
    model.to(device)
    if channels_last:
        model.to(memory_format=torch.channels_last)
    return _Run(
        config=config,
        model=model,
        runner=compiled(model, config.compile),
        device=device,
        dtype=dtype,
        channels_last=channels_last,
        optimizer=make_optimizer(model, config),
        scaler=grad_scaler(device, dtype),
        total_steps=config.epochs * len(train_loader),
    )


def _train_epoch(run, loader, epoch, progress):
    """One epoch; returns the mean loss, the accuracy, the last lr and the seconds taken."""
    run.model.train()
    synchronize(run.device)
    t0 = time.perf_counter()
    loss_sum = torch.zeros((), device=run.device)
    correct = torch.zeros((), device=run.device, dtype=torch.long)
    seen = 0
    cfg = run.config
    for x, y in _progress(loader, progress, desc=f"epoch {epoch}/{cfg.epochs}", leave=False):
        lr = _next_lr(run)
        if run.channels_last:
            x = x.contiguous(memory_format=torch.channels_last)
        step = (run.optimizer, cfg.label_smoothing, run.dtype, run.scaler)
        logits, loss = train_step(run.runner, x, y, *step)
        loss_sum += loss * len(y)
        correct += (logits.argmax(1) == y).sum()
        seen += len(y)
    synchronize(run.device)
    seconds = time.perf_counter() - t0
    return loss_sum.item() / max(seen, 1), correct.item() / max(seen, 1), lr, seconds


def _next_lr(run):
    """Set the learning rate of the current step from the schedule; advance the step."""
    cfg = run.config
    lr = cfg.lr * lr_factor(run.step, run.total_steps, cfg.warmup, cfg.schedule)
    for group in run.optimizer.param_groups:
        group["lr"] = lr
    run.step += 1
    return lr


def _progress(iterable, enabled, **kwargs):
    if not enabled:
        return iterable
    from tqdm.auto import tqdm

    return tqdm(iterable, **kwargs)
