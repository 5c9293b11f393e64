"""``python -m cnnviz.train``: one command that trains a recipe on one process or many.

One process (the CPU, one GPU or Apple's MPS)::

    python -m cnnviz.train --recipe fast

Several processes, one per GPU of this machine (``torchrun`` starts them and tells each its
rank)::

    torchrun --standalone --nproc-per-node 4 -m cnnviz.train --recipe full --sync-bn

Several machines: the same command on each, with ``--nnodes``, ``--node-rank`` and the
address of the first machine (``--rdzv-endpoint host:29500 --rdzv-backend c10d``); see the
appendix "Training on more than one GPU".

Each process loads the data (all of it: the uint8 CIFAR-10 is 180 MB), takes its shard of
every batch (:meth:`cnnviz.data.Loader.shard`), and trains FastNet with
:func:`cnnviz.train.fit`; the test accuracy is all-reduced over the shards; rank 0 prints,
saves the checkpoint (``--checkpoint``) and writes the record (``--json``). ``--synthetic N``
trains on N generated images instead of CIFAR-10 (no files needed: for tests).
"""

import argparse
import dataclasses
import json
import time
from pathlib import Path

import torch

from .. import data
from ..models import FastNet
from .checkpoints import plain, save_checkpoint
from .cifar10 import prepare_cifar10
from .config import recipe
from .device import pick_device, seed_everything, synchronize
from .distributed import all_reduce_sum, close_distributed, init_distributed
from .evaluate import evaluate
from .loop import fit

__all__ = ["main", "parse_args", "run", "synthetic_loaders"]

CLASSES = tuple(f"class {c}" for c in range(10))


def parse_args(argv=None):
    """The command line of :func:`main` (``argv``: default ``sys.argv[1:]``)."""
    p = argparse.ArgumentParser(
        prog="python -m cnnviz.train", description=__doc__.split("\n", 1)[0]
    )
    p.add_argument(
        "--recipe",
        choices=("full", "fast"),
        default="fast",
        help="train.recipe(): chapter 11's full run, or its short version (default: fast)",
    )
    p.add_argument("--epochs", type=int, help="override the recipe's epochs")
    p.add_argument("--batch-size", type=int, help="the GLOBAL batch (all processes together)")
    p.add_argument("--lr", type=float, help="peak learning rate (never rescaled)")
    p.add_argument("--widths", type=int, nargs=3, help="FastNet widths, e.g. 64 256 256")
    p.add_argument("--n-train", type=int, help="training images (default: the recipe's)")
    p.add_argument("--n-val", type=int, help="validation images held out (0: none)")
    p.add_argument("--n-test", type=int, help="test images (default: the recipe's)")
    p.add_argument("--seed", type=int, help="seed of the model, the split and the batches")
    p.add_argument("--amp", choices=("auto", "bf16", "fp16", "off"), help="mixed precision")
    p.add_argument("--compile", action="store_true", help="torch.compile the model")
    p.add_argument("--sync-bn", action="store_true", help="BatchNorm over the global batch")
    p.add_argument("--synthetic", type=int, metavar="N", help="N generated images, no files")
    p.add_argument("--threads", type=int, help="torch threads per process")
    p.add_argument("--device", help="one process only: cpu, cuda, mps (default: the fastest)")
    p.add_argument("--checkpoint", type=Path, help="save the model here (rank 0)")
    p.add_argument("--json", type=Path, help="write the run's record here (rank 0)")
    return p.parse_args(argv)


def config_of(args):
    """The :class:`~cnnviz.train.Config` of the command line: the recipe, then overrides."""
    config = recipe(fast=args.recipe == "fast")
    changes = {
        "epochs": args.epochs,
        "batch_size": args.batch_size,
        "lr": args.lr,
        "widths": None if args.widths is None else tuple(args.widths),
        "n_train": args.n_train,
        "n_val": args.n_val,
        "n_test": args.n_test,
        "seed": args.seed,
        "amp": args.amp,
        "compile": True if args.compile else None,
        "sync_bn": True if args.sync_bn else None,
    }
    return dataclasses.replace(config, **{k: v for k, v in changes.items() if v is not None})


def synthetic_images(n, seed=0):
    """``n`` generated uint8 images ``(n, 3, 32, 32)`` and labels: noise plus a bright band
    whose colour channel and rows give the class (10 classes); easy to learn."""
    g = torch.Generator().manual_seed(seed)
    labels = torch.arange(n) % 10
    x = torch.randint(0, 100, (n, 3, 32, 32), generator=g, dtype=torch.uint8)
    for c in range(10):
        rows = slice(8 * (c // 3), 8 * (c // 3) + 8)
        x[labels == c, c % 3, rows] += 120
    return x, labels


def synthetic_loaders(config, n, device="cpu"):
    """Loaders like :func:`~cnnviz.train.prepare_cifar10`'s, over :func:`synthetic_images`:
    ``n`` training images, ``config.n_val`` (at most ``n // 4``) validation and ``n // 4``
    test images."""
    x, y = synthetic_images(n, seed=config.seed)
    n_val = min(config.n_val, n // 4)
    x_val, y_val = synthetic_images(n_val, seed=config.seed + 1) if n_val else (None, None)
    x_test, y_test = synthetic_images(max(n // 4, 10), seed=config.seed + 2)
    mean, std = data.channel_stats(x)
    common = {"mean": mean, "std": std, "device": device}
    return {
        "train": data.Loader(
            x,
            y,
            config.batch_size,
            shuffle=True,
            translate=config.translate,
            flip=config.flip,
            drop_last=True,
            seed=config.seed,
            **common,
        ),  # fmt: skip
        "val": data.Loader(x_val, y_val, 1000, **common) if n_val else None,
        "test": data.Loader(x_test, y_test, 1000, **common),
        "mean": mean,
        "std": std,
        "classes": CLASSES,
    }


def run(config, process, device, synthetic=None, log=print):
    """Train FastNet with ``config`` in this process (rank ``process.rank``); returns the
    record of the run: the history, the test accuracy (all-reduced) and the timings:
    ``training_s`` (wall clock, evaluations excluded), ``fit_cpu_s`` (the CPU seconds that
    :func:`~cnnviz.train.fit` used, summed over all processes and their threads: less
    sensitive to other work on a shared machine than the wall clock), ``images_per_s``."""
    start = time.perf_counter()
    if synthetic:
        loaders = synthetic_loaders(config, synthetic, device)
    else:
        loaders = prepare_cifar10(config, device)
    load_s = time.perf_counter() - start
    rank, world = process.rank, process.world_size
    train_loader = loaders["train"].shard(rank, world)
    val_loader = None if loaders["val"] is None else loaders["val"].shard(rank, world)
    test_loader = loaders["test"].shard(rank, world)
    seed_everything(config.seed)
    model = FastNet(config.widths, num_classes=len(loaders["classes"]))
    model.fit_whitening(loaders["train"].normalize(loaders["train"].images[:5000]))
    cpu = time.process_time()
    history = fit(model, train_loader, val_loader, config, progress=False, log=log)
    cpu = torch.tensor([time.process_time() - cpu], dtype=torch.float64, device=device)
    cpu = all_reduce_sum(cpu).item()  # CPU seconds of fit, all processes and threads
    test = evaluate(model, test_loader, tta=config.tta, amp=config.amp)
    synchronize(device)
    trained = history["time"][-1]
    images = config.epochs * len(train_loader) * train_loader.batch_size
    return {
        "model": model,
        "loaders": loaders,
        "history": history,
        "processes": world,
        "backend": process.backend,
        "device": str(device),
        "threads": torch.get_num_threads(),
        "config": dataclasses.asdict(config),
        "n_train": len(loaders["train"].labels),
        "test_acc": test["acc"],
        "test_loss": test["loss"],
        "load_s": load_s,
        "training_s": trained,
        "fit_cpu_s": cpu,
        "images_per_s": images / trained,
        "whole_run_s": time.perf_counter() - start,
    }


def _record(result):
    """The JSON-ready part of :func:`run`'s result."""
    skip = ("model", "loaders")
    return plain({k: v for k, v in result.items() if k not in skip}, "record")


def main(argv=None):
    """Run the command line ``argv`` (see the module's docstring); returns rank 0's record
    (the others return None)."""
    args = parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    process = init_distributed()
    try:
        if process.distributed:
            if args.device is not None:
                raise SystemExit("--device is for one process: torchrun gives each its own")
            device = torch.device(process.device)
        else:
            device = pick_device(args.device)
        config = config_of(args)
        say = print if process.main else (lambda line: None)
        say(f"# --recipe {args.recipe}, {process.world_size} process(es) on {device}")
        result = run(config, process, device, args.synthetic, log=say)
        record = _record(result)
        if process.main:
            print(
                f"test accuracy {100 * result['test_acc']:.2f}%, training "
                f"{result['training_s']:.1f} s, {result['images_per_s']:.0f} images/s"
            )
        if args.checkpoint is not None:
            extras = {k: list(result["loaders"][k]) for k in ("mean", "std", "classes")}
            save_checkpoint(args.checkpoint, result["model"], config, result["history"],
                            test_acc=result["test_acc"], **extras)  # fmt: skip
        if args.json is not None and process.main:
            args.json.parent.mkdir(parents=True, exist_ok=True)
            args.json.write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
        return record if process.main else None
    finally:
        close_distributed()
