"""Benchmark: the seed article's CIFAR-10 recipe against this book's fast recipe, on this CPU.

Run from the repository root (real data: CNNVIZ_DATA_DIR, or a download)::

    .venv/bin/python bench/bench_cifar10.py                 # full: ~15 min on 2 cores
    .venv/bin/python bench/bench_cifar10.py --epochs 2 --n-train 10000 --seed-batches 30

It prints, in markdown (for the chapter and the README):

1. data loading: decoding the JPEGs once (into a fresh cache), then reading the cache back;
2. the seed recipe (:class:`cnnviz.models.ConvNeuralNet`, plain SGD lr 0.008, batch 64, no
   momentum, no augmentation, a ``DataLoader`` over a Python list of per-image tensors):
   ``--seed-batches`` batches are timed and extrapolated to one epoch and to the article's 50
   epochs (labelled as estimates), and its test accuracy after them is measured;
   ``--seed-epochs N`` runs whole epochs instead;
3. the fast recipe (:class:`cnnviz.models.FastNet` with :func:`cnnviz.train.recipe`): seconds
   per epoch, test accuracy after every epoch (TTA), time to reach 80 % (the article's result)
   and the other thresholds, the whole run including data loading.

Training time excludes the evaluations (as the speedruns count it); the whole-run time
includes everything.
"""

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import torch
import torch.nn.functional as F

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench_ops import cpu_name  # noqa: E402  (same folder: the script directory is on sys.path)

from cnnviz import data, train  # noqa: E402
from cnnviz.models import ConvNeuralNet, FastNet, count_parameters  # noqa: E402

SEED_EPOCHS = 50  # the article's schedule
SEED_RESULT = 0.80  # the article's (validation) accuracy after those 50 epochs


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--epochs", type=int, default=None, help="fast recipe epochs (default: recipe)")
    p.add_argument("--n-train", type=int, default=None, help="training subset (default: all)")
    p.add_argument("--seed-batches", type=int, default=100, help="seed recipe batches to time")
    p.add_argument("--seed-epochs", type=int, default=0, help="whole seed epochs instead")
    p.add_argument("--threads", type=int, default=None, help="torch threads (default: torch's)")
    p.add_argument("--skip-decode", action="store_true", help="do not time JPEG decoding")
    p.add_argument("--skip-seed", action="store_true", help="only the fast recipe")
    p.add_argument("--out", type=Path, default=None, help="also write the tables here")
    p.add_argument(
        "--throughput",
        action="store_true",
        help="only measure training throughput (images/s) of candidate nets on random data",
    )
    p.add_argument(
        "--sweep",
        action="store_true",
        help="only compare settings on the validation split (4 epochs on 20,000 images each)",
    )
    return p.parse_args(argv)


def minutes(seconds):
    if seconds is None:
        return "not reached"
    if seconds < 120:
        return f"{seconds:.0f} s"
    return f"{seconds / 60:.1f} min" if seconds < 3600 else f"{seconds / 60:.0f} min"


# --------------------------------------------------------------------------- data loading


def time_loading(skip_decode):
    """Seconds to load both splits: decoding into a fresh cache, then from the cache."""
    rows = []
    saved = os.environ.get("CNNVIZ_CACHE_DIR")
    with tempfile.TemporaryDirectory() as fresh:
        if not skip_decode:
            os.environ["CNNVIZ_CACHE_DIR"] = fresh
        for what in ["first load (decode, write cache)", "second load (read cache)"]:
            if skip_decode and what.startswith("first"):
                continue
            data.clear_cache()
            t0 = time.perf_counter()
            for split in ("train", "test"):
                data.load_cifar10(split)
            rows.append((what, time.perf_counter() - t0))
        t0 = time.perf_counter()
        data.load_cifar10("train"), data.load_cifar10("test")
        rows.append(("third load (same process)", time.perf_counter() - t0))
        if saved is None:
            os.environ.pop("CNNVIZ_CACHE_DIR", None)
        else:
            os.environ["CNNVIZ_CACHE_DIR"] = saved
    return rows


# --------------------------------------------------------------------------- seed recipe


def seed_recipe(loaders, batches, epochs, log):
    """The article's loop, timed: a DataLoader over a list of per-image float tensors."""
    train_loader = loaders["train"]
    torch.manual_seed(0)
    x = train_loader.normalize(train_loader.images)  # ToTensor + Normalize, done up front
    dataset = list(zip(x.unbind(0), train_loader.labels.tolist(), strict=True))
    loader = torch.utils.data.DataLoader(dataset, batch_size=64, shuffle=True)
    model = ConvNeuralNet()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.008)  # no momentum, no decay
    per_epoch = len(loader)
    limit = epochs * per_epoch if epochs else batches
    model.train()
    seen, accuracies, t0 = 0, [], time.perf_counter()
    trained = 0.0
    while seen < limit:
        for xb, yb in loader:
            loss = F.cross_entropy(model(xb), yb)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            seen += 1
            if seen % per_epoch == 0 or seen == limit:
                trained += time.perf_counter() - t0
                acc = train.evaluate(model, loaders["test"], tta=False)["acc"]
                accuracies.append((seen / per_epoch, trained, acc))
                log(f"  seed recipe: {seen} batches, {trained:.0f} s, test acc {100 * acc:.1f}%")
                t0 = time.perf_counter()
            if seen >= limit:
                break
    seconds_per_batch = trained / seen
    return {
        "params": count_parameters(model),
        "per_epoch": seconds_per_batch * per_epoch,
        "measured_epochs": seen / per_epoch,
        "estimate": not epochs,
        "accuracies": accuracies,
        "batches": seen,
        "batches_per_epoch": per_epoch,
    }


# --------------------------------------------------------------------------- fast recipe


def fast_recipe(config, loaders, log, evaluate_on="test"):
    train.seed_everything(config.seed)
    model = FastNet(config.widths)
    model.fit_whitening(loaders["train"].normalize(loaders["train"].images[:5000]))
    history = train.fit(
        model, loaders["train"], loaders[evaluate_on], config, progress=False, log=log
    )
    return model, history


# --------------------------------------------------------------------------- throughput

THROUGHPUT_CASES = [
    # (label, model factory, channels_last, autocast dtype)
    ("FastNet 32-64-128, NCHW", lambda: FastNet((32, 64, 128)), False, None),
    ("FastNet 32-64-128, channels_last", lambda: FastNet((32, 64, 128)), True, None),
    ("FastNet 32-64-128, channels_last, bf16", lambda: FastNet((32, 64, 128)), True, "bf16"),
    ("FastNet 48-96-192, channels_last", lambda: FastNet((48, 96, 192)), True, None),
    ("FastNet 64-128-256, channels_last", lambda: FastNet((64, 128, 256)), True, None),
    ("FastNet 64-256-256 (airbench94), channels_last", lambda: FastNet((64, 256, 256)), True, None),
    ("ConvNeuralNet (seed), NCHW", ConvNeuralNet, False, None),
]


def throughput(batch_size=512, steps=3, rounds=3):
    """Training images per second (forward, backward, SGD step) on random data.

    Returns rows ``(label, parameters, images/s, CPU-seconds per image)``. Every case is
    timed in each of ``rounds`` interleaved rounds (so that a busy moment of a shared machine
    does not hit one case only), each round the median of ``steps`` steps after one warm-up
    step; a case's figure is its best round. The CPU time (of this process, all threads) is
    reported too because the wall time depends on what else the machine runs.
    """
    x = torch.randn(batch_size, 3, 32, 32)
    cases = [_throughput_case(x, *case) for case in THROUGHPUT_CASES]
    timings = [[] for _ in cases]
    for _ in range(rounds):
        for (_, _, step), times in zip(cases, timings, strict=True):
            times.append(_median_step(step, steps))
    rows = []
    for (label, model, _), times in zip(cases, timings, strict=True):
        wall, cpu = min(times)  # the round with the least wall time
        rows.append((label, count_parameters(model), batch_size / wall, cpu / batch_size))
        print(f"  {label}: {batch_size / wall:.0f} img/s", flush=True)
    return rows


def _throughput_case(x, label, factory, channels_last, amp):
    """``(label, model, step)``: ``step()`` runs one training step of a fresh ``model``."""
    torch.manual_seed(0)
    model = factory()
    xb = x
    if channels_last:
        model = model.to(memory_format=torch.channels_last)
        xb = x.contiguous(memory_format=torch.channels_last)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9, nesterov=True)
    dtype = train.amp_dtype("cpu", amp or "off")
    y = torch.randint(0, 10, (len(x),), generator=torch.Generator().manual_seed(0))

    def step():
        train.train_step(model, xb, y, optimizer, 0.2, dtype)

    return label, model, step


def _median_step(step, steps):
    """Median wall and CPU seconds of ``steps`` calls of ``step`` after one warm-up call."""
    step()  # allocations, kernel selection
    walls, cpus = [], []
    for _ in range(steps):
        t0, c0 = time.perf_counter(), time.process_time()
        step()
        walls.append(time.perf_counter() - t0)
        cpus.append(time.process_time() - c0)
    return sorted(walls)[len(walls) // 2], sorted(cpus)[len(cpus) // 2]


def throughput_table(rows, threads):
    load = ", ".join(f"{v:.1f}" for v in os.getloadavg())
    out = [
        f"Training throughput on {cpu_name()}, {threads} threads, batch 512 "
        f"(load average {load} while measuring):",
        "",
        "| net and settings | parameters | images/s | CPU ms per image | s per epoch (45,000) |",
        "|---|---:|---:|---:|---:|",
    ]
    for label, params, rate, cpu in rows:
        out.append(
            f"| {label} | {params / 1e6:.2f} M | {rate:.0f} | {1000 * cpu:.2f} | "
            f"{45000 / rate:.0f} |"
        )
    return "\n".join(out)


# --------------------------------------------------------------------------- sweep

SWEEP_CASES = [
    # (label, changes to the recipe)
    ("peak lr 0.2", {"lr": 0.2}),
    ("peak lr 0.4 (the recipe)", {}),
    ("peak lr 0.8", {"lr": 0.8}),
    ("peak lr 0.4, no label smoothing", {"label_smoothing": 0.0}),
]


def sweep(epochs=4, n_train=20_000):
    """Validation accuracy (flip TTA) of short runs that differ from the recipe in one setting.

    This is how the chapter's settings were chosen: on the validation split, never the test set.
    Returns rows ``(label, validation accuracy, training seconds)``.
    """
    rows = []
    for label, changes in SWEEP_CASES:
        config = train.Config(epochs=epochs, n_train=n_train, **changes)
        loaders = train.prepare_cifar10(config, "cpu")
        _, history = fast_recipe(config, loaders, None, evaluate_on="val")
        rows.append((label, history["val_acc"][-1], history["time"][-1]))
        print(f"  {label}: {100 * rows[-1][1]:.1f}%", flush=True)
    return rows


def sweep_table(rows, epochs=4, n_train=20_000):
    out = [
        f"Validation accuracy (5,000 held-out training images, flip TTA) after {epochs} epochs "
        f"on {n_train:,} training images, FastNet 32-64-128; each run changes one setting of "
        f"the recipe:",
        "",
        "| setting | validation accuracy | training time |",
        "|---|---:|---:|",
    ]
    out.extend(f"| {label} | {100 * acc:.1f}% | {seconds:.0f} s |" for label, acc, seconds in rows)
    return "\n".join(out)


# --------------------------------------------------------------------------- tables


def tables(load_rows, seed, fast, config, whole_run, n_train, threads):
    out = []
    out.append(
        f"CPU: {cpu_name()}, {os.cpu_count()} cores, torch {torch.__version__}, {threads} "
        f"threads. An epoch is {n_train:,} training images (5,000 are held out for validation, "
        f"as in the chapter); accuracy is on the 10,000 test images. Load average at the end: "
        f"{', '.join(f'{v:.1f}' for v in os.getloadavg())}."
    )
    out.append("")
    out.append("| data loading (CIFAR-10 train + test) | seconds |")
    out.append("|---|---:|")
    out.extend(f"| {what} | {seconds:.1f} |" for what, seconds in load_rows)
    out.append("")
    hist = fast["history"]
    fast_name = f"fast recipe (FastNet {'-'.join(map(str, config.widths))})"
    out.append(f"| | seed recipe (ConvNeuralNet) | {fast_name} |")
    out.append("|---|---|---|")
    out.append(
        f"| recipe | plain SGD lr 0.008, batch 64, no augmentation, {SEED_EPOCHS} epochs | "
        f"Nesterov SGD lr {config.lr} one-cycle, batch {config.batch_size}, "
        f"label smoothing {config.label_smoothing}, translate {config.translate} + flip, "
        f"TTA, {config.epochs} epoch{'s' if config.epochs != 1 else ''} |"
    )
    seed_params = "" if seed is None else f"{seed['params'] / 1e6:.2f} M"
    out.append(f"| parameters | {seed_params} | {fast['params'] / 1e6:.2f} M |")
    fast_epoch = sum(hist["epoch_time"]) / len(hist["epoch_time"])
    if seed is None:
        seed_epoch = seed_acc = seed_total = "not run"
    else:
        est = " (estimate from {} batches)".format(seed["batches"]) if seed["estimate"] else ""
        seed_epoch = f"{seed['per_epoch']:.0f} s{est}"
        last = seed["accuracies"][-1]
        seed_acc = f"{100 * last[2]:.1f}% after {last[0]:.2g} epochs"
        seed_total = (
            f"≈ {minutes(SEED_EPOCHS * seed['per_epoch'])} for {SEED_EPOCHS} epochs "
            f"(estimate; the article reports about {SEED_RESULT:.0%})"
        )
    out.append(f"| seconds per epoch | {seed_epoch} | {fast_epoch:.0f} s |")
    fast_accs = ", ".join(f"{100 * a:.1f}" for a in hist["val_acc"])
    out.append(f"| test accuracy per epoch (%) | {seed_acc} | {fast_accs} |")
    out.append(f"| time to 80% test accuracy | {seed_total} | {minutes(hist['time_to'][0.8])} |")
    out.append(
        f"| final test accuracy | — | {100 * hist['val_acc'][-1]:.2f}% "
        f"(training {minutes(hist['time'][-1])}; whole run with data loading and "
        f"evaluations {minutes(whole_run)}) |"
    )
    out.append("")
    out.append("| epoch | seconds | training time | train acc (augmented) | test acc (TTA) |")
    out.append("|---:|---:|---:|---:|---:|")
    for i in range(len(hist["epoch"])):
        out.append(
            f"| {hist['epoch'][i]} | {hist['epoch_time'][i]:.1f} | {hist['time'][i]:.0f} s | "
            f"{100 * hist['train_acc'][i]:.1f}% | {100 * hist['val_acc'][i]:.2f}% |"
        )
    reached = ", ".join(f"{t:.0%}: {minutes(s)}" for t, s in hist["time_to"].items())
    out.append("")
    out.append(f"Time to test accuracy (training time): {reached}.")
    return "\n".join(out)


def main(argv=None):
    args = parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    print(f"# CIFAR-10 on {train.pick_device('cpu')} ({torch.get_num_threads()} threads)")
    if args.throughput or args.sweep:
        text = (
            throughput_table(throughput(), torch.get_num_threads())
            if args.throughput
            else sweep_table(sweep())
        )
        print()
        print(text)
        if args.out is not None:
            args.out.write_text(text + "\n")
        return
    load_rows = time_loading(args.skip_decode)
    for what, seconds in load_rows:
        print(f"  {what}: {seconds:.1f} s")
    config = train.recipe(fast=False)
    # The same 45,000 training images as the chapter (the validation split is held out and not
    # used here): the benchmark reports test accuracy after every epoch instead.
    if args.epochs is not None:
        config.epochs = args.epochs
    config.n_train = args.n_train
    data.clear_cache()  # the whole run starts from the on-disk cache, as a fresh process would
    t0 = time.perf_counter()
    loaders = train.prepare_cifar10(config, "cpu")
    print(f"  loaded and prepared the data in {loaders['load_seconds']:.1f} s")
    n_train = len(loaders["train"].labels)

    print("## fast recipe")
    model, history = fast_recipe(config, loaders, lambda line: print("  " + line, flush=True))
    whole_run = time.perf_counter() - t0  # loading + training + the evaluations
    fast = {"params": count_parameters(model), "history": history}

    seed = None
    if not args.skip_seed:
        print("## seed recipe")
        seed = seed_recipe(loaders, args.seed_batches, args.seed_epochs, print)
    text = tables(load_rows, seed, fast, config, whole_run, n_train, torch.get_num_threads())
    print()
    print(text)
    if args.out is not None:
        args.out.write_text(text + "\n")


if __name__ == "__main__":
    main()
