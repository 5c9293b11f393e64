"""GPU benchmark: chapter 11's recipe and an airbench94-sized net, several seeds, one CUDA GPU.

Run it with ``bash bench/gpu_run.sh`` (which sets up what is missing first), or directly::

    .venv/bin/python bench/bench_gpu.py                 # on a CUDA machine: 5 seeds each
    .venv/bin/python bench/bench_gpu.py --smoke         # anywhere: a CPU smoke test, seconds

Two configurations, each trained with ``--seeds`` seeds by :func:`cnnviz.train.cli.run` (the
code of ``python -m cnnviz.train``) on the CIFAR-10 split of chapter 11 (45,000 training
images, 5,000 held out for validation, the 10,000 test images once at the end):

- ``chapter11``: :func:`cnnviz.train.recipe`, FastNet 32-64-128 for 12 epochs;
- ``airbench94``: the same recipe with FastNet 64-256-256, the widths of airbench94's net.
  Only the size is airbench94's: its own tuned settings (batch 1024, about 10 epochs, its
  learning rates, lookahead, translation TTA) are not reproduced, so do not expect its 94 %.

For each run: the test accuracy (flip TTA), the training time (evaluations excluded), the
training time at which the validation accuracy first reached 94 % (none when it never did),
and training images per second; per configuration the mean and spread over the seeds. On
CUDA one untimed warm-up run of one epoch precedes the timed runs (cuDNN picks its kernels,
and with ``--compile`` the compilation happens there). The results go to a JSON file
(``bench/results/gpu.json``; with ``--smoke`` a temporary file unless ``--results`` says
where) with the machine, the GPU's name and the versions, and are printed as a table.

Without CUDA the script refuses to run unless ``--smoke`` is given, and a smoke run is
labelled as such everywhere: a CPU number must never be taken for a GPU measurement.

It measures ONE GPU: every run is a single process. It does not measure data-parallel
training on several GPUs (no script here does yet); for that, time
``torchrun --standalone --nproc-per-node N -m cnnviz.train --recipe full --json FILE``
for N = 1, 2, ... on the same machine.
"""

import argparse
import dataclasses
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from cnnviz import benchmarks, train  # noqa: E402
from cnnviz.train import cli  # noqa: E402

RESULTS = ROOT / "bench" / "results" / "gpu.json"
AIRBENCH94_WIDTHS = (64, 256, 256)
CASES = {
    "chapter11": ("chapter 11's recipe, FastNet 32-64-128", {}),
    "airbench94": ("FastNet 64-256-256 (airbench94's size)", {"widths": AIRBENCH94_WIDTHS}),
}
TARGET = 0.94
# --smoke: a subset small enough for a test on a CPU.
SMOKE = {"epochs": 1, "n_train": 512, "n_val": 256, "n_test": 256, "batch_size": 128}


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--seeds", type=int, default=None, help="runs per configuration (5; smoke 1)")
    p.add_argument("--cases", nargs="+", choices=sorted(CASES), default=list(CASES))
    p.add_argument("--epochs", type=int, default=None, help="override the recipe's 12 epochs")
    p.add_argument("--compile", action="store_true", help="torch.compile (warm-up compiles)")
    p.add_argument("--smoke", action="store_true", help="CPU allowed, a subset: a smoke test")
    p.add_argument("--synthetic", action="store_true", help="with --smoke: generated images")
    p.add_argument("--results", type=Path, default=None, help="the JSON file to write")
    p.add_argument("--out", type=Path, default=None, help="also write the table here")
    args = p.parse_args(argv)
    if args.synthetic and not args.smoke:
        p.error("--synthetic is for --smoke only: a GPU figure is measured on CIFAR-10")
    if args.seeds is None:
        args.seeds = 1 if args.smoke else 5
    if args.results is None:
        tmp = Path(tempfile.gettempdir()) / "cnnviz-bench-gpu-smoke" / RESULTS.name
        args.results = tmp if args.smoke else RESULTS
    args.command = " ".join(["bench/bench_gpu.py", *(sys.argv[1:] if argv is None else argv)])
    return args


def config_for(case, seed, args):
    """The :class:`~cnnviz.train.Config` of ``case`` with ``seed``."""
    config = dataclasses.replace(train.recipe(fast=False), seed=seed, **CASES[case][1])
    if args.smoke:
        config = dataclasses.replace(config, **SMOKE)
    if args.epochs is not None:
        config.epochs = args.epochs
    if args.compile:
        config.compile = True
    return config


def device_record(device):
    """The accelerator: the GPU's name and versions, or the CPU marked as a smoke test."""
    if device.type == "cuda":
        props = torch.cuda.get_device_properties(device)
        return {
            "gpu": torch.cuda.get_device_name(device),
            "gpu_memory_gb": round(props.total_memory / 2**30, 1),
            "cuda": torch.version.cuda,
            "cudnn": torch.backends.cudnn.version(),
            "measured_on_gpu": True,
        }
    return {"gpu": None, "measured_on_gpu": False}


def one_run(config, device, synthetic, log):
    result = cli.run(config, train.current_process(), device, synthetic, log=log)
    history = result["history"]
    return {
        "seed": config.seed,
        "epochs": config.epochs,
        "n_train": result["n_train"],
        "val_acc": history["val_acc"][-1] if history["val_acc"] else None,
        "test_acc": result["test_acc"],
        "training_s": result["training_s"],
        "time_to_94_s": history["time_to"].get(TARGET),
        "images_per_s": result["images_per_s"],
        "whole_run_s": result["whole_run_s"],
        "amp": history["amp"],
    }


def summary(rows):
    """Mean and spread over the seeds of one configuration."""
    acc = [r["test_acc"] for r in rows]
    reached = [r["time_to_94_s"] for r in rows if r["time_to_94_s"] is not None]
    return {
        "runs": len(rows),
        "test_acc_mean": statistics.mean(acc),
        "test_acc_sd": statistics.stdev(acc) if len(acc) > 1 else 0.0,
        "test_acc_min": min(acc),
        "test_acc_max": max(acc),
        "training_s_mean": statistics.mean(r["training_s"] for r in rows),
        "reached_94": len(reached),
        "time_to_94_s_mean": statistics.mean(reached) if reached else None,
        "images_per_s_mean": statistics.mean(r["images_per_s"] for r in rows),
    }


def render(results):
    """The results as a markdown table, headed by where they were measured."""
    m = results["machine"]
    if m["measured_on_gpu"]:
        where = f"Measured on {m['gpu']} (CUDA {m['cuda']}, torch {m['torch']}), {m['date'][:10]}"
    else:
        where = (
            f"SMOKE TEST on the CPU ({m['cpu']}), a subset: NOT a GPU measurement, {m['date'][:10]}"
        )
    lines = [
        where + f"; {results['seeds']} seed(s) per configuration:",
        "",
        "| configuration | test accuracy | runs at 94 % val | time to 94 % | training | images/s |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for case in results["cases"]:
        s = case["summary"]
        spread = f" ± {100 * s['test_acc_sd']:.2f}" if s["runs"] > 1 else ""
        t94 = benchmarks.minutes(s["time_to_94_s_mean"])
        lines.append(
            f"| {case['label']} | {100 * s['test_acc_mean']:.2f}%{spread} | "
            f"{s['reached_94']}/{s['runs']} | {t94} | {s['training_s_mean']:.1f} s | "
            f"{s['images_per_s_mean']:,.0f} |"
        )
    return "\n".join(lines)


def main(argv=None):
    args = parse_args(argv)
    device = train.pick_device()
    if device.type != "cuda" and not args.smoke:
        raise SystemExit(
            f"no CUDA device here ({device}): this benchmark measures a GPU. Run it on a CUDA "
            "machine, or pass --smoke for a short CPU test that is labelled as one."
        )
    if device.type != "cuda":
        device = torch.device("cpu")  # the smoke test: not MPS either
    torch.backends.cudnn.benchmark = True
    synthetic = SMOKE["n_train"] if args.synthetic else None
    say = lambda line: print("  " + line, flush=True)  # noqa: E731
    print(f"# GPU benchmark on {device}{' (SMOKE TEST)' if args.smoke else ''}", flush=True)
    cases = []
    for case in args.cases:
        label = CASES[case][0]
        print(f"## {label}", flush=True)
        if device.type == "cuda":  # untimed: cuDNN's kernel choice, compilation
            warm = dataclasses.replace(config_for(case, 0, args), epochs=1, n_val=0)
            one_run(warm, device, synthetic, log=lambda line: None)
        rows = []
        for seed in range(args.seeds):
            t0 = time.perf_counter()
            rows.append(one_run(config_for(case, seed, args), device, synthetic, say))
            r = rows[-1]
            print(
                f"  seed {seed}: test {100 * r['test_acc']:.2f}%, training "
                f"{r['training_s']:.1f} s ({time.perf_counter() - t0:.0f} s in all)",
                flush=True,
            )
        config = dataclasses.asdict(config_for(case, 0, args))
        config.pop("seed")
        cases.append(
            {"key": case, "label": label, "config": config, "runs": rows, "summary": summary(rows)}
        )
    machine = benchmarks.machine(torch.get_num_threads()) | device_record(device)
    results = {
        "file": "written by bench/bench_gpu.py (bash bench/gpu_run.sh)",
        "command": args.command,
        "smoke": args.smoke,
        "synthetic": args.synthetic,
        "seeds": args.seeds,
        "machine": machine,
        "cases": cases,
    }
    args.results.parent.mkdir(parents=True, exist_ok=True)
    args.results.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    text = render(results)
    print()
    print(text)
    print(f"\n({args.results} written)")
    if args.out is not None:
        args.out.write_text(text + "\n", encoding="utf-8")
    return results


if __name__ == "__main__":
    main()
