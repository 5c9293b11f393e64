"""Benchmark: the seed article's CIFAR-10 recipe against this book's fast recipe, on this CPU.

Run from the repository root (real data: CNNVIZ_DATA_DIR, or a download). ``make
bench-cifar10`` runs the three modes in turn, about 25 minutes on 2 cores::

    .venv/bin/python bench/bench_cifar10.py --throughput   # ~4 min: images/s of 7 nets
    .venv/bin/python bench/bench_cifar10.py --sweep        # ~8 min: 4 settings, validation
    .venv/bin/python bench/bench_cifar10.py                # ~14 min: seed vs fast recipe

Each mode writes its own section (``throughput``, ``sweep``, ``benchmark``) of
``bench/results/cifar10.json`` (``--results`` elsewhere) and keeps the other sections: the
machine (CPU, cores, threads, torch, date, load average) and the raw numbers as rows. Then it
prints the section's markdown tables, rendered by :func:`cnnviz.benchmarks.render`, the
function with which chapter 11 shows the committed file. ``--quick`` shrinks every mode to a
smoke test of seconds and writes to a temporary file unless ``--results`` says where.

The default mode measures:

1. data loading: decoding the JPEGs once (into a fresh cache), then reading the cache back;
2. the seed recipe (:class:`cnnviz.models.ConvNeuralNet`, plain SGD lr 0.008, batch 64, no
   momentum, no augmentation, a ``DataLoader`` over a Python list of per-image tensors):
   ``--seed-batches`` batches are timed and extrapolated to one epoch and to the article's 50
   epochs (labelled as estimates), and its validation accuracy after them is measured;
   ``--seed-epochs N`` runs whole epochs instead (validation accuracy after each);
3. the fast recipe (:class:`cnnviz.models.FastNet` with :func:`cnnviz.train.recipe`), trained
   on the 45,000 images of the training split: seconds per epoch, validation accuracy (the
   5,000 held-out images, flip TTA) after every epoch, the time to reach 80 % validation
   accuracy (the article's result) and the other thresholds, then the test accuracy once,
   on the 10,000 test images after the last epoch, and the whole run including data loading.

Training time excludes the evaluations (as the speedruns count it); the whole-run time
includes everything, the final test evaluation too.
"""

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import torch
import torch.nn.functional as F

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from cnnviz import benchmarks, data, train  # noqa: E402
from cnnviz.models import ConvNeuralNet, FastNet, count_parameters  # noqa: E402

RESULTS = ROOT / "bench" / "results" / benchmarks.FILE_NAME
SEED_EPOCHS = 50  # the article's schedule
SEED_RESULT = 0.80  # the article's (validation) accuracy after those 50 epochs
SEED_LR, SEED_BATCH = 0.008, 64

# The sizes of --quick: a smoke test of seconds.
QUICK = {
    "epochs": 1,
    "n_train": 2000,
    "n_val": 1000,
    "n_test": 2000,
    "seed_batches": 5,
    "skip_decode": True,
    "sweep_epochs": 1,
    "sweep_n_train": 2000,
    "batch_size": 32,
    "steps": 1,
    "rounds": 1,
}


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--epochs", type=int, default=None, help="fast recipe epochs (default: recipe)")
    p.add_argument("--n-train", type=int, default=None, help="training subset (default: all)")
    p.add_argument("--n-val", type=int, default=5000, help="validation images held out")
    p.add_argument("--n-test", type=int, default=None, help="test subset (default: all)")
    p.add_argument("--seed-batches", type=int, default=100, help="seed recipe batches to time")
    p.add_argument("--seed-epochs", type=int, default=0, help="whole seed epochs instead")
    p.add_argument("--threads", type=int, default=None, help="torch threads (default: torch's)")
    p.add_argument("--skip-decode", action="store_true", help="do not time JPEG decoding")
    p.add_argument("--skip-seed", action="store_true", help="only the fast recipe")
    p.add_argument(
        "--results",
        type=Path,
        default=None,
        help=f"the JSON file to update (default: {RESULTS.relative_to(ROOT)}; with --quick a "
        "temporary file)",
    )
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
    p.add_argument("--quick", action="store_true", help="tiny sizes: a smoke test of a few seconds")
    args = p.parse_args(argv)
    if args.throughput and args.sweep:
        p.error("--throughput and --sweep are two runs: give one of them")
    args.command = " ".join(["bench/bench_cifar10.py", *(sys.argv[1:] if argv is None else argv)])
    if args.quick:
        for name in ("epochs", "n_train", "n_test"):
            if getattr(args, name) is None:
                setattr(args, name, QUICK[name])
        args.n_val = min(args.n_val, QUICK["n_val"])
        args.seed_batches = min(args.seed_batches, QUICK["seed_batches"])
        args.skip_decode = True
        if args.results is None:
            args.results = Path(tempfile.gettempdir()) / "cnnviz-bench-quick" / RESULTS.name
    if args.results is None:
        args.results = RESULTS
    return args


def record(args, **numbers):
    """A section of the results file: the machine, the command, then ``numbers``."""
    machine = benchmarks.machine(torch.get_num_threads())
    return {"machine": machine, "command": args.command, **numbers}


# --------------------------------------------------------------------------- data loading


def time_loading(skip_decode):
    """Rows ``{"what", "seconds"}``: loading both splits by decoding into a fresh cache, then
    from the cache, then again in the same process."""
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
            rows.append({"what": what, "seconds": time.perf_counter() - t0})
        t0 = time.perf_counter()
        data.load_cifar10("train"), data.load_cifar10("test")
        rows.append({"what": "third load (same process)", "seconds": time.perf_counter() - t0})
        if saved is None:
            os.environ.pop("CNNVIZ_CACHE_DIR", None)
        else:
            os.environ["CNNVIZ_CACHE_DIR"] = saved
    return rows


# --------------------------------------------------------------------------- seed recipe


def seed_recipe(loaders, batches, epochs, log):
    """The article's loop, timed: a DataLoader over a list of per-image float tensors.

    Trains on the training split and measures the accuracy on the validation split (no TTA)
    after ``batches`` batches, or after every one of ``epochs`` whole epochs.
    """
    train_loader = loaders["train"]
    torch.manual_seed(0)
    x = train_loader.normalize(train_loader.images)  # ToTensor + Normalize, done up front
    dataset = list(zip(x.unbind(0), train_loader.labels.tolist(), strict=True))
    loader = torch.utils.data.DataLoader(dataset, batch_size=SEED_BATCH, shuffle=True)
    model = ConvNeuralNet()
    optimizer = torch.optim.SGD(model.parameters(), lr=SEED_LR)  # no momentum, no decay
    per_epoch = len(loader)
    limit = epochs * per_epoch if epochs else batches
    model.train()
    seen, rows, t0 = 0, [], time.perf_counter()
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
                acc = train.evaluate(model, loaders["val"], tta=False)["acc"]
                rows.append({"epochs": seen / per_epoch, "training_s": trained, "val_acc": acc})
                log(f"  seed recipe: {seen} batches, {trained:.0f} s, val acc {100 * acc:.1f}%")
                t0 = time.perf_counter()
            if seen >= limit:
                break
    return {
        "parameters": count_parameters(model),
        "lr": SEED_LR,
        "batch_size": SEED_BATCH,
        "epochs_planned": SEED_EPOCHS,
        "article_acc": SEED_RESULT,
        "batches": seen,
        "batches_per_epoch": per_epoch,
        "seconds_per_batch": trained / seen,
        "estimate": not epochs,
        "rows": rows,
    }


# --------------------------------------------------------------------------- fast recipe


def fast_recipe(config, loaders, log):
    """Train FastNet with ``config`` on the training split, validating after every epoch."""
    train.seed_everything(config.seed)
    model = FastNet(config.widths)
    model.fit_whitening(loaders["train"].normalize(loaders["train"].images[:5000]))
    history = train.fit(model, loaders["train"], loaders["val"], config, progress=False, log=log)
    return model, history


def fast_record(config, model, history, test_acc, whole_run):
    """The fast recipe's part of the ``benchmark`` section."""
    return {
        "widths": list(config.widths),
        "parameters": count_parameters(model),
        "lr": config.lr,
        "batch_size": config.batch_size,
        "label_smoothing": config.label_smoothing,
        "translate": config.translate,
        "flip": config.flip,
        "tta": config.tta,
        "rows": [
            {
                "epoch": history["epoch"][i],
                "seconds": history["epoch_time"][i],
                "training_s": history["time"][i],
                "train_acc": history["train_acc"][i],
                "val_acc": history["val_acc"][i],
            }
            for i in range(len(history["epoch"]))
        ],
        "time_to": [{"val_acc": t, "training_s": s} for t, s in history["time_to"].items()],
        "test_acc": test_acc,
        "training_s": history["time"][-1],
        "whole_run_s": whole_run,
    }


# --------------------------------------------------------------------------- throughput


def _fastnet(*widths):
    return lambda: FastNet(widths)


THROUGHPUT_CASES = [
    # (key, label, model factory, channels_last, autocast dtype)
    ("nchw", "FastNet 32-64-128, NCHW", _fastnet(32, 64, 128), False, None),
    ("channels_last", "FastNet 32-64-128, channels_last", _fastnet(32, 64, 128), True, None),
    ("bf16", "FastNet 32-64-128, channels_last, bf16", _fastnet(32, 64, 128), True, "bf16"),
    ("w48", "FastNet 48-96-192, channels_last", _fastnet(48, 96, 192), True, None),
    ("w64", "FastNet 64-128-256, channels_last", _fastnet(64, 128, 256), True, None),
    ("airbench94", "FastNet 64-256-256 (airbench94), channels_last", _fastnet(64, 256, 256),
     True, None),
    ("seed", "ConvNeuralNet (seed), NCHW", ConvNeuralNet, False, None),
]  # fmt: skip


def throughput(batch_size=512, steps=3, rounds=3):
    """Training images per second (forward, backward, SGD step) on random data.

    Returns rows ``{"key", "label", "parameters", "images_per_s", "cpu_s_per_image"}``. Every
    case is timed in each of ``rounds`` interleaved rounds (so that a busy moment of a shared
    machine does not hit one case only), each round the median of ``steps`` steps after one
    warm-up step; a case's figure is its best round. The CPU time (of this process, all
    threads) is reported too because the wall time depends on what else the machine runs.
    """
    x = torch.randn(batch_size, 3, 32, 32)
    cases = [_throughput_case(x, *case) for case in THROUGHPUT_CASES]
    timings = [[] for _ in cases]
    for _ in range(rounds):
        for (*_, step), times in zip(cases, timings, strict=True):
            times.append(_median_step(step, steps))
    rows = []
    for (key, label, model, _), times in zip(cases, timings, strict=True):
        wall, cpu = min(times)  # the round with the least wall time
        rows.append(
            {
                "key": key,
                "label": label,
                "parameters": count_parameters(model),
                "images_per_s": batch_size / wall,
                "cpu_s_per_image": cpu / batch_size,
            }
        )
        print(f"  {label}: {batch_size / wall:.0f} img/s", flush=True)
    return rows


def _throughput_case(x, key, label, factory, channels_last, amp):
    """``(key, label, model, step)``: ``step()`` runs one training step of a fresh ``model``."""
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

    return key, label, model, step


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


# --------------------------------------------------------------------------- sweep

SWEEP_CASES = [
    # (key, label, changes to the recipe)
    ("low_lr", "peak lr 0.2", {"lr": 0.2}),
    ("recipe", "peak lr 0.4 (the recipe)", {}),
    ("high_lr", "peak lr 0.8", {"lr": 0.8}),
    ("no_smoothing", "peak lr 0.4, no label smoothing", {"label_smoothing": 0.0}),
]


def sweep(epochs=4, n_train=20_000, n_val=5000):
    """Validation accuracy (flip TTA) of short runs that differ from the recipe in one setting.

    This is how the chapter's settings were chosen: on the validation split, never the test set.
    Returns rows ``{"key", "label", "val_acc", "training_s"}``.
    """
    rows = []
    for key, label, changes in SWEEP_CASES:
        config = train.Config(epochs=epochs, n_train=n_train, n_val=n_val, **changes)
        loaders = train.prepare_cifar10(config, "cpu")
        _, history = fast_recipe(config, loaders, None)
        rows.append(
            {
                "key": key,
                "label": label,
                "val_acc": history["val_acc"][-1],
                "training_s": history["time"][-1],
            }
        )
        print(f"  {label}: {100 * rows[-1]['val_acc']:.1f}%", flush=True)
    return rows


# --------------------------------------------------------------------------- the modes


def run_throughput(args):
    sizes = {"batch_size": 512, "steps": 3, "rounds": 3}
    if args.quick:
        sizes = {name: QUICK[name] for name in sizes}
    rows = throughput(**sizes)
    return record(args, **sizes, epoch_images=benchmarks.EPOCH_IMAGES, rows=rows)


def run_sweep(args):
    epochs, n_train = (QUICK["sweep_epochs"], QUICK["sweep_n_train"]) if args.quick else (4, 20_000)
    n_val = args.n_val
    rows = sweep(epochs, n_train, n_val)
    widths = list(train.Config().widths)
    return record(args, epochs=epochs, n_train=n_train, n_val=n_val, widths=widths, rows=rows)


def run_benchmark(args):
    loading = time_loading(args.skip_decode)
    for row in loading:
        print(f"  {row['what']}: {row['seconds']:.1f} s")
    config = train.recipe(fast=False)
    if args.epochs is not None:
        config.epochs = args.epochs
    config.n_train, config.n_val, config.n_test = args.n_train, args.n_val, args.n_test
    data.clear_cache()  # the whole run starts from the on-disk cache, as a fresh process would
    t0 = time.perf_counter()
    loaders = train.prepare_cifar10(config, "cpu")
    print(f"  loaded and prepared the data in {loaders['load_seconds']:.1f} s")

    print("## fast recipe")
    model, history = fast_recipe(config, loaders, lambda line: print("  " + line, flush=True))
    test_acc = train.evaluate(model, loaders["test"], tta=config.tta)["acc"]  # once, at the end
    whole_run = time.perf_counter() - t0  # loading, training, every evaluation
    print(f"  test accuracy {100 * test_acc:.2f}% (once, after the last epoch)")

    seed = None
    if not args.skip_seed:
        print("## seed recipe")
        seed = seed_recipe(loaders, args.seed_batches, args.seed_epochs, print)
    return record(
        args,
        n_train=len(loaders["train"].labels),
        n_val=len(loaders["val"].labels),
        n_test=len(loaders["test"].labels),
        loading=loading,
        fast=fast_record(config, model, history, test_acc, whole_run),
        seed=seed,
    )


def main(argv=None):
    args = parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    print(f"# CIFAR-10 on {train.pick_device('cpu')} ({torch.get_num_threads()} threads)")
    if args.throughput:
        section, numbers = "throughput", run_throughput(args)
    elif args.sweep:
        section, numbers = "sweep", run_sweep(args)
    else:
        section, numbers = "benchmark", run_benchmark(args)
    results = benchmarks.update_results(args.results, section, numbers)
    text = benchmarks.render(results, section)
    print()
    print(text)
    print(f"\n(section {section!r} of {args.results} updated)")
    if args.out is not None:
        args.out.write_text(text + "\n")


if __name__ == "__main__":
    main()
