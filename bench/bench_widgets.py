"""Benchmark: how long one update of each cnnviz explorer takes (compute + redraw).

Run it as a script::

    python bench/bench_widgets.py [--repeat 20] [--size 256]

An update is what happens when the reader moves a control: the observer recomputes
``.output`` with :mod:`cnnviz.ops` and re-renders the pictures to PNG bytes. The script sets
the control from code (``w.stride.value = ...``), which runs the same observer, and times the
whole assignment. Image explorers work on a ``--size`` x ``--size`` photo. Each row is the
median over ``--repeat`` updates (cycling through a few values so that every update really
changes something), after a warm-up pass, with the widget's picture caches (kernels,
arithmetic diagrams) emptied before each update so that every one is a real redraw. The
target is 0.1 s of wall time per update; the CPU column (this process's time) shows what the
update costs when other programs compete for the cores. No frontend is attached, so the time
to send the PNG bytes (10-80 KB) to the browser is not included.
"""

from __future__ import annotations

import argparse
import itertools
import os
import platform
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import ipywidgets  # noqa: E402
import matplotlib  # noqa: E402

from cnnviz import images  # noqa: E402
from cnnviz.widgets import (  # noqa: E402
    ActivationExplorer,
    ArithmeticExplorer,
    ConvExplorer,
    PoolingExplorer,
    SoftmaxExplorer,
    _clear_caches,
)

TARGET = 0.1  # seconds per update


def time_updates(control, values, repeat):
    """Wall and CPU seconds of ``control.value = v``, over ``repeat`` assignments cycling
    ``values``: (median wall, max wall, median CPU)."""
    for value in values:  # warm-up: imports, first draws
        control.value = value
    cycle = itertools.cycle(values)
    walls, cpus = [], []
    for _ in range(repeat):
        value = next(cycle)
        if control.value == value:  # an assignment that changes nothing runs no observer
            value = next(cycle)
        _clear_caches()  # time real redraws, not cached pictures
        start, start_cpu = time.perf_counter(), time.process_time()
        control.value = value
        walls.append(time.perf_counter() - start)
        cpus.append(time.process_time() - start_cpu)
    return statistics.median(walls), max(walls), statistics.median(cpus)


def cases(size):
    """(explorer, what changes, control, values) for every benchmarked update."""
    photo = images.sample_photo(gray=True, size=size)
    conv = ConvExplorer(image=photo)
    conv.kernel.value = "sobel_x"
    conv_gabor = ConvExplorer(image=photo)
    conv_gabor.kernel.value = "gabor"
    pool = PoolingExplorer(image=photo)
    arith = ArithmeticExplorer()
    arith_t = ArithmeticExplorer(i=8, k=3, p=1, s=2)
    arith_t.transposed.value = True
    act = ActivationExplorer()
    soft = SoftmaxExplorer()
    return [
        ("ConvExplorer", "stride (Sobel 3x3)", conv.stride, [1, 2, 3]),
        ("ConvExplorer", "padding (Sobel 3x3)", conv.padding, [0, 1, 2, 3]),
        ("ConvExplorer", "dilation (Sobel 3x3)", conv.dilation, [1, 2, 3]),
        (
            "ConvExplorer",
            "padding mode (Sobel 3x3)",
            conv.padding_mode,
            ["zeros", "reflect", "replicate", "circular"],
        ),
        ("ConvExplorer", "stride (Gabor 11x11)", conv_gabor.stride, [1, 2]),
        (
            "ConvExplorer",
            "kernel preset",
            conv.kernel,
            ["box", "sobel_x", "laplacian", "sharpen", "emboss"],
        ),
        ("ConvExplorer", "kernel preset, large", conv.kernel, ["gaussian", "gabor"]),
        ("ConvExplorer", "edit one kernel cell", conv.cells[1][1], [1.0, 2.0, 3.0]),
        ("ConvExplorer", "image", conv.image, ["photo", "stripes", "checkerboard"]),
        ("PoolingExplorer", "window", pool.kernel_size, [2, 3, 4]),
        ("PoolingExplorer", "mode", pool.mode, ["max", "avg", "min"]),
        ("PoolingExplorer", "stride", pool.stride, [1, 2]),
        ("ArithmeticExplorer", "input size i", arith.input_size, [5, 6, 7]),
        ("ArithmeticExplorer", "stride (transposed)", arith_t.stride, [1, 2, 3]),
        ("ArithmeticExplorer", "transposed toggle", arith.transposed, [True, False]),
        ("ActivationExplorer", "x", act.x, [-2.0, -1.0, 0.5, 1.5]),
        (
            "ActivationExplorer",
            "activation",
            act.activation,
            ["relu", "leaky_relu", "sigmoid", "tanh", "gelu"],
        ),
        ("SoftmaxExplorer", "one logit", soft.logits[0], [0.5, 1.5, 2.5]),
        ("SoftmaxExplorer", "temperature", soft.temperature, [0.5, 1.0, 2.0]),
    ]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=20, help="updates timed per row")
    parser.add_argument("--size", type=int, default=256, help="side of the image, pixels")
    args = parser.parse_args(argv)

    print(
        f"Python {platform.python_version()}, NumPy {np.__version__}, matplotlib "
        f"{matplotlib.__version__}, ipywidgets {ipywidgets.__version__}, "
        f"{platform.machine()}; image {args.size}x{args.size}, median of {args.repeat} updates"
    )
    header = (
        f"{'explorer':<19} {'update':<27} {'median ms':>9} {'max ms':>7} {'CPU ms':>7} "
        f"{'target':>7}  result"
    )
    print(header)
    print("-" * len(header))
    failures = 0
    for explorer, what, control, values in cases(args.size):
        median, worst, cpu = time_updates(control, values, args.repeat)
        ok = median < TARGET
        failures += not ok
        print(
            f"{explorer:<19} {what:<27} {median * 1e3:>9.1f} {worst * 1e3:>7.1f} "
            f"{cpu * 1e3:>7.1f} {TARGET * 1e3:>5.0f}ms  {'PASS' if ok else 'FAIL'}"
        )
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(
        f"\n{'all updates under the target' if not failures else f'{failures} row(s) FAIL'}"
        f" (load average {load:.1f} on {os.cpu_count()} cores: other work inflates wall time;"
        f" CPU ms is this process's own time)"
    )
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
