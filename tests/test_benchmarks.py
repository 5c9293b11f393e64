"""The CIFAR-10 benchmark's results file and its renderer (``cnnviz.benchmarks``).

The renderer is tested on a small hand-made results dict; the bench script itself in two
smoke runs of a few seconds (``--quick``): the throughput mode on random data, and the
benchmark mode on the real data (skipped without ``CNNVIZ_DATA_DIR``). Both write a JSON file
that the renderer must read back.
"""

import copy
import importlib.util
import json
import sys
from pathlib import Path

import pytest

from cnnviz import benchmarks

pytestmark = pytest.mark.usefixtures("one_torch_thread")

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "bench" / "bench_cifar10.py"

MACHINE = {
    "cpu": "Test CPU",
    "cores": 2,
    "threads": 2,
    "torch": "2.0.0",
    "date": "2026-01-02T03:04:05Z",
    "load_average": [1.0, 0.5, 0.25],
}

RESULTS = {
    "throughput": {
        "machine": MACHINE,
        "command": "bench/bench_cifar10.py --throughput",
        "batch_size": 512,
        "steps": 3,
        "rounds": 3,
        "epoch_images": 45000,
        "rows": [
            {"key": "channels_last", "label": "small, channels_last", "parameters": 300_000,
             "images_per_s": 900.0, "cpu_s_per_image": 0.002},
            {"key": "bf16", "label": "small, bf16", "parameters": 300_000,
             "images_per_s": 90.0, "cpu_s_per_image": 0.02},
            {"key": "w64", "label": "wide", "parameters": 1_160_000,
             "images_per_s": 300.0, "cpu_s_per_image": 0.006},
        ],
    },
    "sweep": {
        "machine": MACHINE,
        "command": "bench/bench_cifar10.py --sweep",
        "epochs": 4,
        "n_train": 20000,
        "n_val": 5000,
        "widths": [32, 64, 128],
        "rows": [
            {"key": "recipe", "label": "the recipe", "val_acc": 0.728, "training_s": 95.4},
            {"key": "no_smoothing", "label": "no smoothing", "val_acc": 0.713,
             "training_s": 89.0},
        ],
    },
    "benchmark": {
        "machine": MACHINE,
        "command": "bench/bench_cifar10.py",
        "n_train": 45000,
        "n_val": 5000,
        "n_test": 10000,
        "loading": [{"what": "second load (read cache)", "seconds": 0.44}],
        "fast": {
            "widths": [32, 64, 128],
            "parameters": 295_096,
            "lr": 0.4,
            "batch_size": 512,
            "label_smoothing": 0.2,
            "translate": 2,
            "flip": True,
            "tta": True,
            "rows": [
                {"epoch": 1, "seconds": 50.0, "training_s": 50.0, "train_acc": 0.5,
                 "val_acc": 0.75},
                {"epoch": 2, "seconds": 54.0, "training_s": 104.0, "train_acc": 0.7,
                 "val_acc": 0.8125},
            ],
            "time_to": [{"val_acc": 0.8, "training_s": 104.0},
                        {"val_acc": 0.9, "training_s": None}],
            "test_acc": 0.8063,
            "training_s": 104.0,
            "whole_run_s": 130.0,
        },
        "seed": {
            "parameters": 2_911_626,
            "lr": 0.008,
            "batch_size": 64,
            "epochs_planned": 50,
            "article_acc": 0.8,
            "batches": 100,
            "batches_per_epoch": 704,
            "seconds_per_batch": 0.25,
            "estimate": True,
            "rows": [{"epochs": 100 / 704, "training_s": 25.0, "val_acc": 0.1}],
        },
    },
}  # fmt: skip


def _table(markdown, header):
    """The rows (lists of cells) of the markdown table whose header starts with ``header``."""
    lines = markdown.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(header))
    rows = []
    for line in lines[start + 2 :]:
        if not line.startswith("|"):
            break
        rows.append([cell.strip() for cell in line.strip("|").split("|")])
    return rows


# --------------------------------------------------------------------------- the renderer


def test_throughput_table_converts_rates_to_epochs():
    text = benchmarks.render(RESULTS, "throughput")
    assert text.startswith("Training throughput on Test CPU, 2 threads, batch 512")
    assert "2026-01-02" in text and "load average 1.0, 0.5, 0.2" in text
    rows = _table(text, "| net and settings")
    assert rows[0] == ["small, channels_last", "0.30 M", "900", "2.00", "50"]
    assert rows[1][-1] == "500"  # 45,000 images at 90 per second


def test_sweep_table_is_validation_accuracy():
    text = benchmarks.render(RESULTS, "sweep")
    assert text.startswith("Validation accuracy (5,000 held-out training images, flip TTA)")
    assert "after 4 epochs on 20,000 training images, FastNet 32-64-128" in text
    assert _table(text, "| setting") == [
        ["the recipe", "72.8%", "95 s"],
        ["no smoothing", "71.3%", "89 s"],
    ]


def test_benchmark_reports_validation_per_epoch_and_test_once():
    text = benchmarks.render(RESULTS, "benchmark")
    assert "Test CPU, 2 cores, 2 threads, torch 2.0.0, 2026-01-02" in text
    assert "test accuracy is measured once" in text
    assert "test acc" not in text.replace("test accuracy", "")  # no test column, no test rows
    summary = dict((row[0], row[1:]) for row in _table(text, "| | seed recipe"))
    assert summary["seconds per epoch"] == ["176 s (estimate from 100 batches)", "52 s"]
    assert summary["validation accuracy per epoch (%)"] == ["10.0% after 0.14 epochs", "75.0, 81.2"]
    assert summary["time to 80% validation accuracy"][0].startswith("≈ 147 min for 50 epochs")
    assert summary["time to 80% validation accuracy"][1] == "104 s"
    assert summary["test accuracy (once, after the last epoch)"][1].startswith("80.63%")
    epochs = _table(text, "| epoch")
    assert epochs[1] == ["2", "54.0", "104 s", "70.0%", "81.25%"]
    assert text.endswith(
        "Time to validation accuracy (training time): 80%: 104 s, 90%: not reached."
    )


def test_benchmark_without_the_seed_recipe():
    results = copy.deepcopy(RESULTS)
    results["benchmark"]["seed"] = None
    summary = _table(benchmarks.render(results, "benchmark"), "| | seed recipe")
    assert summary[2] == ["seconds per epoch", "not run", "52 s"]


def test_numbers_for_the_chapter():
    numbers = benchmarks.cifar10_numbers(RESULTS)
    assert numbers["bench_date"] == "2026-01-02"
    assert numbers["bench_machine"] == "Test CPU, 2 cores, 2 threads"
    assert numbers["bench_test_acc"] == "80.63 %"
    assert numbers["bench_time_to_80"] == "104 s"
    assert numbers["seed_epoch_s"] == "176 s"
    assert numbers["seed_total"] == "147 minutes"
    assert numbers["seed_val_acc"] == "10.0 %"
    assert numbers["tp_channels_last_rate"] == "900"
    assert numbers["tp_channels_last_epoch"] == "50 s"
    assert numbers["tp_bf16_slowdown"] == "10"
    assert numbers["tp_w64_over_chosen"] == "3.0"
    assert numbers["tp_w64_budget_epochs"] == "6.0"
    assert numbers["sweep_smoothing_gain"] == "+1.5"
    assert benchmarks.cifar10_numbers(None) == {}
    assert "tp_date" not in benchmarks.cifar10_numbers({"sweep": RESULTS["sweep"]})


def test_render_refuses_an_unknown_or_missing_section():
    with pytest.raises(ValueError, match="section must be one of"):
        benchmarks.render(RESULTS, "speed")
    with pytest.raises(ValueError, match="run make bench-cifar10"):
        benchmarks.render({"sweep": RESULTS["sweep"]}, "benchmark")
    with pytest.raises(TypeError, match="results must be a dict"):
        benchmarks.render(None, "sweep")


# --------------------------------------------------------------------------- the file


def test_update_keeps_the_other_sections(tmp_path):
    path = tmp_path / "results" / "cifar10.json"
    benchmarks.update_results(path, "sweep", RESULTS["sweep"])
    benchmarks.update_results(path, "throughput", RESULTS["throughput"])
    newer = dict(RESULTS["sweep"], epochs=2)
    written = benchmarks.update_results(path, "sweep", newer)
    assert list(written) == ["file", "throughput", "sweep"]
    assert benchmarks.load_results(path) == written
    assert written["sweep"]["epochs"] == 2
    assert written["throughput"] == RESULTS["throughput"]
    with pytest.raises(ValueError, match="machine"):
        benchmarks.update_results(path, "sweep", {"rows": []})


def test_load_results_finds_the_file_from_a_subfolder(tmp_path, monkeypatch):
    (tmp_path / "bench" / "results").mkdir(parents=True)
    (tmp_path / "notebooks").mkdir()
    path = tmp_path / "bench" / "results" / "other.json"
    path.write_text(json.dumps(RESULTS))
    assert benchmarks.find_results("other.json", tmp_path / "notebooks") == path
    assert benchmarks.find_results("absent.json", tmp_path / "notebooks") is None
    assert benchmarks.load_results(tmp_path / "absent.json") is None
    (tmp_path / "bad.json").write_text("[1, 2]")
    with pytest.raises(ValueError, match="JSON object"):
        benchmarks.load_results(tmp_path / "bad.json")


def test_without_results_the_chapter_says_so_in_one_line(capsys):
    benchmarks.show(None, "sweep")
    line = capsys.readouterr().out
    assert line.count("\n") == 1 and "is not here" in line
    assert benchmarks.describe(None) == line.strip()


def test_show_displays_the_rendered_markdown(monkeypatch):
    shown = []
    monkeypatch.setattr("IPython.display.display", shown.append)
    benchmarks.show(RESULTS, "sweep")
    assert [item.data for item in shown] == [benchmarks.render(RESULTS, "sweep")]


def test_describe_names_the_machine_of_every_section():
    lines = benchmarks.describe({"sweep": RESULTS["sweep"]}).splitlines()
    assert lines[1:] == [
        "  throughput  not measured yet",
        "  sweep       2026-01-02 03:04 UTC  Test CPU, 2 cores, 2 threads",
        "  benchmark   not measured yet",
    ]
    assert all(len(line) <= 88 for line in lines)


def test_committed_results_render():
    results = benchmarks.load_results(ROOT / "bench" / "results" / benchmarks.FILE_NAME)
    if results is None:
        pytest.skip("no bench/results/cifar10.json yet: run make bench-cifar10")
    for section in benchmarks.SECTIONS:
        assert section in results, f"bench/results/cifar10.json lacks {section!r}"
        assert benchmarks.render(results, section)
    assert benchmarks.cifar10_numbers(results)


# --------------------------------------------------------------------------- the bench


@pytest.fixture(scope="module")
def bench():
    """bench/bench_cifar10.py as a module (its folder on sys.path, as when it runs)."""
    sys.path.insert(0, str(BENCH.parent))
    try:
        spec = importlib.util.spec_from_file_location("bench_cifar10", BENCH)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        yield module
    finally:
        sys.path.remove(str(BENCH.parent))


def test_throughput_smoke_run_writes_what_the_renderer_reads(bench, tmp_path, capsys):
    path = tmp_path / "cifar10.json"
    bench.main(["--throughput", "--quick", "--results", str(path)])
    results = benchmarks.load_results(path)
    assert list(results) == ["file", "throughput"]
    assert results["throughput"]["command"].endswith("--throughput --quick --results " + str(path))
    assert len(results["throughput"]["rows"]) == len(bench.THROUGHPUT_CASES)
    assert benchmarks.render(results, "throughput") in capsys.readouterr().out


def test_benchmark_smoke_run_writes_what_the_renderer_reads(bench, tmp_path, data_dir, capsys):
    path = tmp_path / "cifar10.json"
    path.write_text(json.dumps({"sweep": RESULTS["sweep"]}))  # kept by the run
    sizes = ["--n-train", "512", "--n-val", "500", "--n-test", "500", "--seed-batches", "1"]
    bench.main(["--quick", *sizes, "--results", str(path)])
    results = benchmarks.load_results(path)
    assert results["sweep"] == RESULTS["sweep"]
    b = results["benchmark"]
    assert (b["n_train"], b["n_val"], b["n_test"]) == (512, 500, 500)
    assert [row["epoch"] for row in b["fast"]["rows"]] == [1]
    assert 0 <= b["fast"]["test_acc"] <= 1 and b["seed"]["batches"] == 1
    text = benchmarks.render(results, "benchmark")
    assert text in capsys.readouterr().out
    assert "validation accuracy per epoch" in text


def benchmarks_calls(tmp_path):
    """One valid call of every public function, for tests/test_bad_input.py."""
    path = tmp_path / "cifar10.json"
    path.write_text(json.dumps(RESULTS))
    return {
        "find_results": dict(name="cifar10.json", start=tmp_path),
        "load_results": dict(path=path),
        "cpu_name": {},
        "machine": dict(threads=2),
        "update_results": dict(path=path, section="sweep", record=RESULTS["sweep"]),
        "minutes": dict(seconds=90.0),
        "render": dict(results=RESULTS, section="sweep"),
        "describe": dict(results=RESULTS),
        "show": dict(results=RESULTS, section="sweep"),
        "cifar10_numbers": dict(results=RESULTS),
    }
