"""The training loop: one step of SGD, and :func:`fit`, the epochs in named steps."""

import dataclasses
import time

import torch
import torch.distributed as dist
import torch.nn.functional as F
from torch.nn.parallel import DistributedDataParallel

from .._checks import check_bool, check_number
from ._torch_checks import check_loader, check_module, check_tensor
from .config import as_config
from .device import compiled, resolve_channels_last, synchronize
from .distributed import all_reduce_sum, broadcast_buffers, current_process, sync_batchnorm
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
    model: torch.nn.Module  # the model as given (its BatchNorm synchronized with sync_bn)
    runner: torch.nn.Module  # the model, or its DDP and torch.compile wrappers: trains
    evaluator: torch.nn.Module  # the model, or its torch.compile wrapper: evaluates
    process: object  # distributed.Process
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

    Under ``torchrun`` (after :func:`~cnnviz.train.init_distributed`), every process calls
    :func:`fit` with its shard of the training data (``train_loader.shard(rank,
    world_size)``, see :class:`cnnviz.data.Loader`). The model is wrapped in
    :class:`~torch.nn.parallel.DistributedDataParallel`, which averages the gradients of
    all processes at every step; ``config.batch_size`` and ``config.lr`` stay the global
    batch and its learning rate (logged in a first line and kept in
    ``history["distributed"]``); with ``config.sync_bn`` BatchNorm uses the statistics of
    the global batch. The training loss and accuracy are summed over the processes; the
    validation is all-reduced when ``val_loader`` is sharded too, else evaluated by rank 0
    alone and sent to the others, so that every process returns the same history. Only
    rank 0 logs and shows progress; ``callback`` runs in every process.

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
        ``train_loader`` gives no batches; in a process group, a loader that is not sharded
        for it.
    """
    config = as_config(config)
    say = _check_fit(model, train_loader, val_loader, callback, progress, log)
    process = _check_process(train_loader, val_loader)
    if not process.main:
        say, progress = (lambda line: None), False
    run = _setup(model, train_loader, config, process)
    history = History.start(config.thresholds, run.device, amp_name(run.dtype), run.channels_last)
    if process.distributed:
        history["distributed"] = _describe(run, train_loader)
        say(_describe_line(history["distributed"]))
    start = time.perf_counter()
    torch.manual_seed(config.seed)  # dropout and anything else random inside the model
    for epoch in range(1, config.epochs + 1):
        history.add_epoch(epoch, *_train_epoch(run, train_loader, epoch, progress))
        if val_loader is not None:
            history.add_validation(_validate(run, val_loader))
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


def _check_process(train_loader, val_loader):
    """This process (:func:`current_process`); the loaders must be sharded for its group."""
    process = current_process()
    rank, world = process.rank, process.world_size
    shard = _shard_of(train_loader)
    if shard != (rank, world):
        raise ValueError(
            f"train_loader must be this process's shard (rank {rank} of {world}: "
            f"loader.shard({rank}, {world})), got rank {shard[0]} of {shard[1]}"
        )
    last = len(train_loader.labels) % train_loader.batch_size if world > 1 else 0
    if last and not train_loader.drop_last and last < world:
        raise ValueError(
            f"train_loader must give every process images at every step: its last batch "
            f"holds {last} image(s) for {world} processes (use drop_last=True), got "
            f"{len(train_loader.labels)} images in batches of {train_loader.batch_size}"
        )
    if val_loader is not None and _shard_of(val_loader)[1] > 1:
        if _shard_of(val_loader) != (rank, world):
            raise ValueError(
                f"val_loader must be unsharded or this process's shard (rank {rank} of "
                f"{world}), got rank {val_loader.rank} of {val_loader.world_size}"
            )
    return process


def _shard_of(loader):
    return getattr(loader, "rank", 0), getattr(loader, "world_size", 1)


def _setup(model, train_loader, config, process):
    """Move the model to the data's device and memory format, synchronize its BatchNorm
    when asked, wrap it in DDP in a process group, and build the optimizer."""
    device = train_loader.device
    dtype = amp_dtype(device, config.amp)
    channels_last = resolve_channels_last(device, config.channels_last)
    model.to(device)
    if channels_last:
        model.to(memory_format=torch.channels_last)
    model = sync_batchnorm(model, device, config.sync_bn)  # before the optimizer sees it
    evaluator = compiled(model, config.compile)
    runner = evaluator
    if process.distributed:
        ids = [device.index] if device.type == "cuda" else None
        runner = compiled(DistributedDataParallel(model, device_ids=ids), config.compile)
    return _Run(
        config=config,
        model=model,
        runner=runner,
        evaluator=evaluator,
        process=process,
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
    if run.process.distributed:  # the sums over all processes
        totals = torch.stack([loss_sum.double(), correct.double()]).to(run.device)
        totals = torch.cat([totals, torch.tensor([seen], dtype=torch.float64, device=run.device)])
        loss, right, seen = all_reduce_sum(totals).tolist()
        return loss / max(seen, 1), right / max(seen, 1), lr, seconds
    return loss_sum.item() / max(seen, 1), correct.item() / max(seen, 1), lr, seconds


def _validate(run, loader):
    """Accuracy and loss on ``loader``: alone; all-reduced over its shards; or, for an
    unsharded loader in a process group, evaluated by rank 0 and sent to the others."""
    args = (run.config.tta, run.config.amp, run.channels_last)
    if not run.process.distributed:
        return evaluate(run.evaluator, loader, *args)
    broadcast_buffers(run.model)  # every process evaluates (and saves) rank 0's model
    if _shard_of(loader)[1] > 1:
        return evaluate(run.evaluator, loader, *args)
    result = evaluate(run.evaluator, loader, *args) if run.process.main else {}
    values = [result.get("acc", 0.0), result.get("loss", 0.0)]
    values = torch.tensor(values, dtype=torch.float64, device=run.device)
    dist.broadcast(values, src=0)
    acc, loss = values.tolist()
    return {"acc": acc, "loss": loss}


def _describe(run, loader):
    """What a data-parallel run does, stated: ``history["distributed"]``."""
    cfg, world = run.config, run.process.world_size
    return {
        "processes": world,
        "backend": run.process.backend,
        "global_batch": loader.batch_size,
        "batch_per_process": loader.batch_size / world,
        "lr": cfg.lr,
        "lr_scaled": False,
        "sync_bn": cfg.sync_bn,
        "steps_per_epoch": len(loader),
    }


def _describe_line(d):
    per = d["batch_per_process"]
    per = f"{per:.0f}" if per == int(per) else f"{per:.1f}"
    bn = "synchronized" if d["sync_bn"] else "per process"
    return (
        f"data parallel: {d['processes']} processes ({d['backend']}), global batch "
        f"{d['global_batch']} = {d['processes']} x {per}\n"
        f"peak lr {d['lr']:g} (not scaled), BatchNorm {bn}"
    )


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
