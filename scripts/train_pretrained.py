"""Train the network that ships with cnnviz (``cnnviz/weights/cifar10-fastnet.pt``).

Chapter 11's recipe (:func:`cnnviz.train.recipe`: 12 epochs of one-cycle Nesterov SGD, label
smoothing, translations and flips) on the 45,000 training images, with the 5,000 validation
images evaluated after every epoch and the 10,000 test images once at the end. The net is
:class:`cnnviz.models.FastNet` with a *learned* 5x5 first layer instead of the frozen
whitening stem, so that chapter 12 can show what a first layer learns (32 RGB filters, large
enough to show orientation and colour). Run from the repository root, with the data::

    CNNVIZ_DATA_DIR=../shared/data .venv/bin/python scripts/train_pretrained.py --record

About 12 minutes on 2 CPU cores. ``--record`` writes the new file's SHA-256 into
``cnnviz.models.PRETRAINED``; ``--epochs 1 --n-train 2000 --out /tmp/x.pt`` is a smoke test.
"""

import argparse
import re
import sys
import time
from pathlib import Path

import torch

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from cnnviz import models, train  # noqa: E402
from cnnviz.benchmarks import cpu_name  # noqa: E402

NAME = "cifar10-fastnet"


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--epochs", type=int, default=None, help="default: the recipe's")
    p.add_argument("--n-train", type=int, default=None, help="training subset (default: all)")
    p.add_argument("--out", type=Path, default=models.WEIGHTS_DIR / models.PRETRAINED[NAME]["file"])
    p.add_argument("--record", action="store_true", help="write the SHA-256 into models.py")
    return p.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    config = train.recipe(fast=False)
    if args.epochs is not None:
        config.epochs = args.epochs
    config.n_train = args.n_train
    model_args = models.PRETRAINED[NAME]["model_args"]
    t0 = time.perf_counter()
    loaders = train.prepare_cifar10(config, "cpu")
    train.seed_everything(config.seed)
    model = models.FastNet(**model_args)
    history = train.fit(model, loaders["train"], loaders["val"], config, progress=False, log=print)
    test = train.evaluate(model, loaders["test"], tta=True)["acc"]
    test_plain = train.evaluate(model, loaders["test"], tta=False)["acc"]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    train.save_checkpoint(
        args.out,
        model,
        config,
        history,
        model_args=dict(model_args),
        mean=list(loaders["mean"]),  # the normalization the net expects (training split)
        std=list(loaders["std"]),
        classes=list(loaders["classes"]),
        test_acc=test,
        test_acc_no_tta=test_plain,
        trained_on=f"{cpu_name()}, torch {torch.__version__}, {torch.get_num_threads()} threads",
        whole_run_seconds=time.perf_counter() - t0,
    )
    digest = models.sha256(args.out)
    print(f"validation {history['val_acc'][-1]:.2%}, test {test:.2%} ({test_plain:.2%} no TTA)")
    print(f"training {history['time'][-1]:.0f} s; {args.out}: {args.out.stat().st_size:,} bytes")
    print(f"sha256 {digest}")
    if args.record:
        record(digest)


def record(digest):
    """Write ``digest`` as the SHA-256 of the shipped network in cnnviz/models.py."""
    path = REPO / "cnnviz" / "models.py"
    text = path.read_text(encoding="utf-8")
    pattern = rf'("{NAME}": \{{\n\s+"file": "[^"]+",\n\s+"sha256": )[^,]+,'
    new, count = re.subn(pattern, rf'\g<1>"{digest}",', text)
    if count != 1:
        raise SystemExit(f"could not find the sha256 entry of {NAME} in {path}")
    path.write_text(new, encoding="utf-8")
    print(f"recorded in {path}")


if __name__ == "__main__":
    main()
