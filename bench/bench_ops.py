"""Benchmark: cnnviz.ops.conv2d and conv2d_backward (NumPy) against torch on the CPU.

Run it as a script::

    python bench/bench_ops.py [--rounds 3] [--runs 3] [--quick] [--no-backward]

For each layer shape it first checks that cnnviz and torch agree, then times both with the
same number of threads (median, and best, of ``--rounds`` x ``--runs`` calls in blocks),
and times the naive Python loop on a few thousand random output values (checked against
cnnviz), extrapolated to the whole output and labelled as such. Then the same for the
backward pass: ``conv2d_backward`` against ``torch.autograd`` (the input, weight and bias
gradients of ``F.conv2d``). The targets, over the shapes, of the ratio of median times
cnnviz/torch: a median of at most 1.2 and no shape above 2.0, for each direction.

The machine may be shared: the load average and the Linux CPU pressure (the share of time some
task waited for a core) are printed at the start and the end, and the ratio of best runs is
printed beside the verdict. Wall-clock timings of OpenBLAS with several threads degrade far
more than torch's under load from elsewhere (its threads work in lock-step inside each
product, and one descheduled thread stalls the others), so on a busy machine compare one
thread's CPU time instead: ``OPENBLAS_NUM_THREADS=1 python bench/bench_ops.py --cpu-time``.

NumPy's BLAS (OpenBLAS) reads OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE from the environment; on
some machines they are set to avoid bugs in old OpenBLAS builds, and they can slow a current
one. This script only reports them; it does not change them.
"""

from __future__ import annotations

import argparse
import ctypes
import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from cnnviz.benchmarks import cpu_name  # noqa: E402
from cnnviz.ops import conv2d, conv2d_backward  # noqa: E402

TARGET = 1.2  # median ratio cnnviz/torch over the shapes
WORST = 2.0  # largest ratio of any shape
PAUSE_S = 0.2  # between blocks of timed calls, for the other library's thread pool to idle
NAIVE_SAMPLES = 2000  # output values computed by the Python loop, then extrapolated

# (N, C_in, H=W, C_out, k, stride, padding): batch 8-64, channels 3-128, 32-64 px.
SHAPES = [
    (64, 3, 32, 32, 3, 1, 1),  # first layer of a CIFAR-10 net
    (32, 32, 32, 64, 3, 1, 1),
    (64, 32, 32, 32, 3, 1, 1),
    (32, 64, 32, 64, 3, 2, 1),  # downsampling layer
    (8, 128, 32, 128, 3, 1, 1),
    (16, 64, 32, 128, 3, 2, 1),
    (8, 3, 64, 16, 5, 1, 2),  # 5x5 on 64x64 images
    (16, 16, 64, 32, 5, 2, 2),
    (8, 32, 64, 32, 5, 1, 2),
]


def naive_seconds(x, weight, stride, padding, count, rng, check, clock=time.perf_counter):
    """Seconds per output value of the textbook loop, timed on ``count`` random output values.

    The loop is d2l.ai's ``corr2d``: one Python iteration per output value, each the sum of a
    window times the kernel. Each value is compared with ``check`` (the cnnviz output).
    """
    k = weight.shape[-1]
    xp = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    picks = [tuple(int(rng.integers(m)) for m in check.shape) for _ in range(count)]
    values = []
    start = clock()
    for b, o, i, j in picks:
        window = xp[b, :, i * stride : i * stride + k, j * stride : j * stride + k]
        values.append((window * weight[o]).sum())
    seconds = (clock() - start) / count
    np.testing.assert_allclose(values, [check[p] for p in picks], rtol=1e-4, atol=1e-5)
    return seconds


def time_blocks(fns, rounds, runs, clock=time.perf_counter):
    """Milliseconds of each function: (median, best) over ``rounds`` x ``runs`` timed calls.

    Each round times a block of ``runs`` calls of each function in turn, after a warm-up call
    and a short pause: blocks, because the idle threads of one library's pool (OpenBLAS,
    OpenMP) spin for a while after a call and would slow the other library if calls
    alternated one by one; rounds, so that a burst of load from elsewhere on the machine
    hits both alike.
    """
    times = [[] for _ in fns]
    for _ in range(rounds):
        for fn, record in zip(fns, times, strict=True):
            time.sleep(PAUSE_S)
            fn()
            for _ in range(runs):
                start = clock()
                fn()
                record.append(1e3 * (clock() - start))
    return [(statistics.median(record), min(record)) for record in times]


def openblas():
    """(threads, core kernel name) of the OpenBLAS that NumPy loaded, or (None, '?')."""
    libs = Path(np.__file__).parent.parent / "numpy.libs"
    for path in sorted(libs.glob("libscipy_openblas*.so")) + sorted(libs.glob("libopenblas*.so")):
        lib = ctypes.CDLL(str(path))
        for prefix, suffix in (("scipy_openblas_", "64_"), ("openblas_", "")):
            try:
                threads = getattr(lib, f"{prefix}get_num_threads{suffix}")
                corename = getattr(lib, f"{prefix}get_corename{suffix}")
            except AttributeError:
                continue
            corename.restype = ctypes.c_char_p
            return threads(), corename().decode()
    return None, "?"


def machine_load():
    """Load average and, where Linux reports it, CPU pressure (PSI 'some', last 10 s)."""
    text = f"load average {os.getloadavg()[0]:.1f}"
    try:
        first = Path("/proc/pressure/cpu").read_text().split()
        text += f", CPU pressure {float(first[1].split('=')[1]):.0f}%"
    except (OSError, IndexError, ValueError):
        pass
    return text


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3, help="rounds of timing per shape")
    parser.add_argument("--runs", type=int, default=3, help="timed calls per block")
    parser.add_argument("--quick", action="store_true", help="first three shapes only")
    parser.add_argument(
        "--no-backward", action="store_true", help="time conv2d only, not conv2d_backward"
    )
    parser.add_argument(
        "--cpu-time",
        action="store_true",
        help="time CPU seconds of the calling thread instead of wall-clock seconds: steady on "
        "a busy machine, but only meaningful with one thread (OPENBLAS_NUM_THREADS=1)",
    )
    args = parser.parse_args(argv)

    import torch

    blas_threads, corename = openblas()
    if args.cpu_time and blas_threads != 1:
        parser.error("--cpu-time needs one thread: run with OPENBLAS_NUM_THREADS=1")
    clock = time.thread_time if args.cpu_time else time.perf_counter
    if blas_threads:
        torch.set_num_threads(blas_threads)  # same thread count on both sides
    print(f"cnnviz.ops.conv2d (and its backward) vs torch, float32, CPU {cpu_name()}")
    print(
        f"numpy {np.__version__} (OpenBLAS, kernel {corename}, {blas_threads} threads), "
        f"torch {torch.__version__} ({torch.get_num_threads()} threads); {os.cpu_count()} cores, "
        f"{machine_load()} at start"
    )
    for var in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS"):
        print(f"  {var} = {os.environ.get(var, '(unset)')}  (reported, not changed)")
    print(
        f"ms = {'CPU' if args.cpu_time else 'wall-clock'} time, median of {args.rounds} rounds "
        f"x {args.runs} runs in blocks (best run in brackets); "
        f"naive = Python loop over output values, (window * kernel).sum() each, timed on "
        f"{NAIVE_SAMPLES} random ones and extrapolated to the whole output\n"
    )

    rng = np.random.default_rng(0)
    shapes = SHAPES[:3] if args.quick else SHAPES
    cases = [make_case(rng, *shape) for shape in shapes]
    ok = report("forward: conv2d", cases, args, clock, rng, forward=True)
    if not args.no_backward:
        ok &= report(
            "backward: conv2d_backward vs autograd", cases, args, clock, rng, forward=False
        )
    print(f"[{machine_load()} at end]")
    return 0 if ok else 1


def make_case(rng, n, c, size, out_c, k, s, p):
    """Inputs of one shape: x, weight, an output gradient, and their torch tensors."""
    import torch

    x = rng.standard_normal((n, c, size, size), dtype=np.float32)
    weight = rng.standard_normal((out_c, c, k, k), dtype=np.float32) / np.float32(
        np.sqrt(c * k * k)
    )
    out = (size + 2 * p - k) // s + 1
    grad = rng.standard_normal((n, out_c, out, out), dtype=np.float32)
    tensors = [torch.from_numpy(a) for a in (x, weight, grad)]
    return (n, c, size, out_c, k, s, p), x, weight, grad, tensors


def timed_pair(case, forward):
    """(ours, torch's) function of one case, checked to agree."""
    import torch
    import torch.nn.functional as F

    (n, c, size, out_c, k, s, p), x, weight, grad, (tx, tw, tg) = case
    if forward:

        def ours_fn():
            return conv2d(x, weight, stride=s, padding=p)

        def torch_fn():
            with torch.no_grad():
                return F.conv2d(tx, tw, stride=s, padding=p)

        np.testing.assert_allclose(ours_fn(), torch_fn().numpy(), rtol=1e-4, atol=1e-5)
        return ours_fn, torch_fn
    leaves = [t.clone().requires_grad_(True) for t in (tx, tw, torch.zeros(out_c))]

    def ours_fn():
        return conv2d_backward(grad, x, weight, stride=s, padding=p)

    def torch_fn():
        for leaf in leaves:
            leaf.grad = None
        F.conv2d(*leaves, stride=s, padding=p).backward(tg)
        return [leaf.grad for leaf in leaves]

    for mine, theirs in zip(ours_fn(), torch_fn(), strict=True):
        scale = float(theirs.abs().max())
        np.testing.assert_allclose(mine, theirs.numpy(), rtol=1e-4, atol=1e-5 * scale)
    return ours_fn, torch_fn


def report(title, cases, args, clock, rng, forward):
    """Time every case, print one line each and the verdict; True when both targets are met."""
    header = (
        f"{'N x C x H x W -> O, k, s, p':33} {'cnnviz ms':>16} {'torch ms':>16} {'ratio':>6} "
        + (f"{'naive ms (extrap.)':>19}" if forward else "")
    )
    print(f"{title}\n{header}\n" + "-" * len(header))
    ratios, best_ratios = [], []
    for case in cases:
        (n, c, size, out_c, k, s, p), x, weight = case[:3]
        ours_fn, torch_fn = timed_pair(case, forward)
        (ours_ms, ours_best), (torch_ms, torch_best) = time_blocks(
            [ours_fn, torch_fn], args.rounds, args.runs, clock
        )
        ratios.append(ours_ms / torch_ms)
        best_ratios.append(ours_best / torch_best)
        naive = ""
        if forward:
            out = ours_fn()
            seconds = naive_seconds(x, weight, s, p, NAIVE_SAMPLES, rng, out, clock)
            naive = f" {1e3 * out.size * seconds:19,.0f}"
        shape = f"{n}x{c}x{size}x{size} -> {out_c}, {k}x{k}, s{s}, p{p}"
        print(
            f"{shape:33} {ours_ms:7.2f} ({ours_best:6.2f}) {torch_ms:7.2f} ({torch_best:6.2f}) "
            f"{ratios[-1]:6.2f}{naive}"
        )
    median, worst = statistics.median(ratios), max(ratios)
    ok = median <= TARGET and worst <= WORST
    print("-" * len(header))
    print(
        f"median ratio cnnviz/torch = {median:.2f} (target <= {TARGET}), worst {worst:.2f} "
        f"(target <= {WORST}): {'PASS' if ok else 'FAIL'}   [from best runs: median "
        f"{statistics.median(best_ratios):.2f}, worst {max(best_ratios):.2f}]\n"
    )
    return ok


if __name__ == "__main__":
    sys.exit(main())
