"""Benchmark: how long one update of a kernel-free explorer takes, measured in the page.

Run it as a script (needs Playwright and the system Chromium, no network)::

    python bench/bench_explorers.py [--passes 1] [--pause 10] [--seed 0]

An update is what happens when the reader moves a control: ``root.cnnviz.set(params)`` applies
the settings exactly as the controls do, recomputes with ``ops.js``, redraws the canvases,
the kernel, the formula and the sum of products of the picked pixel. Each update is timed in
the page with ``performance.now()``, from before ``set`` to after a forced layout
(``getBoundingClientRect``), so that style and layout are included; painting the frame is not.
Updates come ``--pause`` ms apart, each in a task of its own, as the input events of a dragged
slider do (at most one per frame); ``--pause 0`` runs them back to back in one long task,
where the garbage collector finds no idle time and must interrupt some of them. The settings
are every combination of stride (1-4), padding (0-8), dilation (1-4) and padding mode on the
128x128 photo and noisy photo, in a shuffled order, after a warm-up. The target is 16 ms per
update (one frame at 60 Hz) for a 7x7 kernel.

The network explorer (:func:`cnnviz.explorers.network_explorer`, the shipped CIFAR-10 network)
is timed the same way, with a new image and a new hidden square at each update: its forward
pass alone (``root.cnnviz.timing``) and the whole update with the drawing of every layer. The
target is 100 ms for the forward pass, so that hiding a square feels live. The table is printed
and recorded in ``bench/results/explorers.json``.

The worst update also measures the machine: when other programs compete for the cores, the
page's thread is sometimes descheduled for 10-40 ms. The last row, "fixed busy loop", times
a loop of constant cost (about a millisecond) the same way in the same page: its worst case is
that noise floor, and the load average is recorded beside the rows.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import platform
import statistics
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from cnnviz import ops  # noqa: E402
from cnnviz.explorers.conv import conv_explorer  # noqa: E402
from scripts.chromium import CHROMIUM_FLAGS, find_chromium  # noqa: E402

TARGET_MS = 16.0
NETWORK_TARGET_MS = 100.0
NETWORK_UPDATES = 200
RESULTS = ROOT / "bench" / "results" / "explorers.json"

# Times root.cnnviz.set(p) for each setting, `pause` ms apart, after a warm-up; returns
# [[ms, 1 when the setting was possible], ...].
TIME_UPDATES = """
async ([id, settings, warmup, pause]) => {
  const root = document.getElementById(id);
  const api = root.cnnviz;
  const rest = () => pause > 0 ? new Promise(done => setTimeout(done, pause)) : null;
  const times = [];
  for (const [n, p] of settings.entries()) {
    await rest();
    const start = performance.now();
    api.set(p);
    root.getBoundingClientRect();  // style and layout, as before a frame
    if (n >= warmup) times.push([performance.now() - start, api.output ? 1 : 0]);
  }
  return times;
}
"""


# The noise floor: a loop of constant cost (about a millisecond), timed like an update.
TIME_BUSY_LOOP = """
async ([count, pause]) => {
  const times = [];
  for (let n = 0; n < count; n++) {
    if (pause > 0) await new Promise(done => setTimeout(done, pause));
    const start = performance.now();
    let x = 0;
    for (let j = 0; j < 1000000; j++) x += j * 1e-9;
    times.push([performance.now() - start, x > 0 ? 1 : 0]);
  }
  return times;
}
"""


# Times the network explorer: a new image and hidden square each update; returns
# [forward-pass ms (root.cnnviz.timing), whole-update ms] per update after the warm-up.
TIME_NETWORK = """
async ([id, count, warmup, pause]) => {
  const root = document.getElementById(id);
  const api = root.cnnviz;
  const times = [];
  for (let n = 0; n < warmup + count; n++) {
    if (pause > 0) await new Promise(done => setTimeout(done, pause));
    const start = performance.now();
    api.set({image: n % api.count, occlusion: [n % 32, (7 * n) % 32]});
    root.getBoundingClientRect();
    if (n >= warmup) times.push([api.timing, performance.now() - start]);
  }
  return times;
}
"""


def settings(rng, kernel):
    """Every stride, padding, dilation and padding mode on both 128x128 photos, shuffled."""
    grid = itertools.product(
        range(1, 5), range(0, 9), range(1, 5), ops.PADDING_MODES, ("photo", "noisy photo")
    )
    out = [
        {"stride": s, "padding": p, "dilation": d, "padding_mode": m, "image": image, **kernel}
        for s, p, d, m, image in grid
    ]
    rng.shuffle(out)
    return out


def cases(rng):
    """(name, explorer, the kernel's settings) of each timed row."""
    weight = rng.normal(size=(7, 7)).round(3).tolist()
    return [
        ("conv 7×7 (custom)", conv_explorer(kernel=np.array(weight)), {"weight": weight}),
        ("conv 11×11 (Gabor)", conv_explorer(kernel="gabor"), {"kernel": "gabor", "theta": 45}),
    ]


def measure(page, explorer, kernel, rng, passes, pause):
    page.set_content(
        '<!doctype html><html><head><meta charset="utf-8"></head><body>'
        f'<main style="max-width: 750px">{explorer.html}</main></body></html>'
    )
    page.wait_for_function("id => document.getElementById(id).cnnviz", arg=explorer.element_id)
    times, possible = [], 0
    for _ in range(passes):
        chosen = settings(rng, kernel)
        warmup = chosen[:20]
        result = page.evaluate(TIME_UPDATES, [explorer.element_id, warmup + chosen, 20, pause])
        times += [t for t, _ in result]
        possible += sum(ok for _, ok in result)
    return times, possible


def measure_network(page, pause):
    """(forward-pass times, whole-update times) of the shipped network on 30 random images."""
    from cnnviz.explorers import network_explorer

    images = np.random.default_rng(0).integers(0, 256, (30, 3, 32, 32), dtype=np.uint8)
    explorer = network_explorer("cifar10-fastnet", images, np.repeat(np.arange(10), 3))
    page.set_content(
        '<!doctype html><html><head><meta charset="utf-8"></head><body>'
        f'<main style="max-width: 750px">{explorer.html}</main></body></html>'
    )
    page.wait_for_function("id => document.getElementById(id).cnnviz", arg=explorer.element_id)
    times = page.evaluate(TIME_NETWORK, [explorer.element_id, NETWORK_UPDATES, 10, pause])
    return [f for f, _ in times], [u for _, u in times]


def row(name, times, possible, target=TARGET_MS):
    ordered = sorted(times)
    return {
        "explorer": name,
        "input": "128×128" if name.startswith("conv") else "32×32" if "network" in name else "",
        "updates": len(times),
        "possible": possible,
        "median_ms": round(statistics.median(times), 2),
        "p95_ms": round(ordered[int(0.95 * (len(ordered) - 1))], 2),
        "p99_ms": round(ordered[int(0.99 * (len(ordered) - 1))], 2),
        "worst_ms": round(ordered[-1], 2),
        "target_ms": target,
    }


def print_table(rows):
    header = (
        f"{'explorer':<22}{'updates':>8}{'median ms':>11}{'p95 ms':>9}{'p99 ms':>9}"
        f"{'worst ms':>10}  target"
    )
    print(header)
    print("-" * len(header))
    for r in rows:
        target = r["target_ms"]
        verdict = "ok" if r["worst_ms"] < target else "worst over (see the busy loop)"
        verdict = verdict if r["p99_ms"] < target else "SLOW"
        print(
            f"{r['explorer']:<22}{r['updates']:>8}{r['median_ms']:>11.2f}{r['p95_ms']:>9.2f}"
            f"{r['p99_ms']:>9.2f}{r['worst_ms']:>10.2f}  <{target:g} ms {verdict}"
        )


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--passes", type=int, default=1, help="passes over the settings")
    parser.add_argument("--pause", type=float, default=10.0, help="ms between two updates")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    from playwright.sync_api import sync_playwright

    executable = find_chromium()
    if executable is None:
        sys.exit("bench_explorers: no Chromium found (Debian: apt-get install chromium)")
    rng = np.random.default_rng(args.seed)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=executable, headless=True, args=CHROMIUM_FLAGS
        )
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.route("**/*", lambda route: route.abort())
        load = os.getloadavg()[0]
        rows = [
            row(name, *measure(page, e, k, rng, args.passes, args.pause))
            for name, e, k in cases(rng)
        ]
        forward, update = measure_network(page, args.pause)
        rows.append(row("network forward pass", forward, len(forward), NETWORK_TARGET_MS))
        rows.append(row("network update + draw", update, len(update), NETWORK_TARGET_MS))
        busy = page.evaluate(TIME_BUSY_LOOP, [rows[0]["updates"], args.pause])
        rows.append(row("fixed busy loop", [t for t, _ in busy], len(busy)))
        load = max(load, os.getloadavg()[0])
        version = browser.version
        browser.close()
    print_table(rows)
    print(f"load average (1 min): {load:.2f} on {os.cpu_count()} cores")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    record = {
        "benchmark": "bench/bench_explorers.py",
        "measured": "root.cnnviz.set(params) + forced layout, in headless Chromium",
        "pause_ms": args.pause,
        "chromium": version,
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, {platform.system()}",
        "load_average_1min": round(load, 2),
        "rows": rows,
    }
    RESULTS.write_text(json.dumps(record, indent=2, ensure_ascii=False) + "\n", "utf-8")
    print(f"recorded in {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
