"""bench/gpu_run.sh and bench/bench_gpu.py, run here on the CPU as the smoke test they offer.

No GPU is needed (or used): the smoke run trains on a subset and labels its record and its
table as a CPU smoke test, and without CUDA the script refuses to run as a GPU benchmark.
"""

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "bench" / "bench_gpu.py"


@pytest.fixture(scope="module")
def bench_gpu():
    spec = importlib.util.spec_from_file_location("bench_gpu", BENCH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def check_smoke_record(results, cases):
    assert results["smoke"] is True and results["machine"]["measured_on_gpu"] is False
    assert results["machine"]["gpu"] is None
    assert [case["key"] for case in results["cases"]] == cases
    for case in results["cases"]:
        (run,) = case["runs"]
        assert 0 <= run["test_acc"] <= 1 and run["training_s"] > 0 and run["images_per_s"] > 0
        assert case["summary"]["runs"] == 1 and case["summary"]["reached_94"] == 0
    widths = {case["key"]: case["config"]["widths"] for case in results["cases"]}
    assert widths.get("airbench94", [64, 256, 256]) == [64, 256, 256]


def test_gpu_run_sh_smoke_on_the_cpu(data_dir, tmp_path):
    """The one command, as a reader types it, on a CIFAR-10 subset (about 25 s here)."""
    results, table = tmp_path / "gpu.json", tmp_path / "table.md"
    env = dict(os.environ, CNNVIZ_DATA_DIR=str(data_dir), VENV=str(Path(sys.executable).parents[1]))
    done = subprocess.run(
        ["bash", str(ROOT / "bench" / "gpu_run.sh"), "--smoke", "--results", str(results),
         "--out", str(table)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    check_smoke_record(json.loads(results.read_text()), ["chapter11", "airbench94"])
    text = table.read_text()
    assert text.startswith("SMOKE TEST on the CPU") and "NOT a GPU measurement" in text
    assert "| FastNet 64-256-256 (airbench94's size) |" in text


def test_bench_gpu_smoke_on_generated_images(bench_gpu, tmp_path):
    results = bench_gpu.main(
        ["--smoke", "--synthetic", "--cases", "chapter11", "--results", str(tmp_path / "g.json")]
    )
    check_smoke_record(results, ["chapter11"])
    assert json.loads((tmp_path / "g.json").read_text())["synthetic"] is True
    assert "NOT a GPU measurement" in bench_gpu.render(results)


@pytest.mark.skipif(torch.cuda.is_available(), reason="CUDA is here: it would run for real")
def test_without_cuda_it_refuses_to_pose_as_a_gpu_benchmark(bench_gpu):
    with pytest.raises(SystemExit, match="no CUDA device here"):
        bench_gpu.main([])
    with pytest.raises(SystemExit):
        bench_gpu.parse_args(["--synthetic"])  # generated images only in a smoke test


def test_summary_over_seeds(bench_gpu):
    rows = [
        {"test_acc": 0.93, "time_to_94_s": None, "training_s": 4.0, "images_per_s": 1e5},
        {"test_acc": 0.95, "time_to_94_s": 3.0, "training_s": 5.0, "images_per_s": 2e5},
    ]
    s = bench_gpu.summary(rows)
    assert s["test_acc_mean"] == pytest.approx(0.94) and s["test_acc_sd"] == pytest.approx(
        0.01414, rel=1e-3
    )
    assert s["reached_94"] == 1 and s["time_to_94_s_mean"] == 3.0
    assert s["training_s_mean"] == 4.5 and s["images_per_s_mean"] == 1.5e5
