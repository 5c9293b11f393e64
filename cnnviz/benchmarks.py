"""The CIFAR-10 benchmark's results: one JSON file, rendered as markdown tables.

``bench/bench_cifar10.py`` (``make bench-cifar10``) measures the recipes of chapter 11 on the
machine it runs on and writes ``bench/results/cifar10.json``. The bench prints its tables with
:func:`render`, and chapter 11 shows the same tables, rendered by the same function from the
committed file, so that the book quotes the last measurement and nbval checks that it still
does. The file holds one section per mode of the bench, each written by its own mode and left
alone by the others:

- ``throughput``: training images per second of candidate nets, on random data;
- ``sweep``: validation accuracy of short runs that each change one setting of the recipe;
- ``benchmark``: the seed article's recipe against the fast recipe, on the real data:
  validation accuracy after every epoch, the time to 80 % validation accuracy, and the test
  accuracy once, after the last epoch.

Every section records the machine it ran on (:func:`machine`: CPU, cores, threads, torch,
date, load average) and its raw numbers as rows (lists of dicts). Colab has no ``bench/``
folder: there :func:`load_results` returns None and :func:`show` says so in one line.

Examples
--------
>>> sweep = {
...     "machine": {"cpu": "AMD EPYC", "cores": 2, "threads": 2, "torch": "2.14.1",
...                 "date": "2026-11-29T18:00:00Z", "load_average": [2.0, 1.9, 1.8]},
...     "epochs": 4, "n_train": 20000, "n_val": 5000, "widths": [32, 64, 128],
...     "rows": [{"key": "recipe", "label": "peak lr 0.4 (the recipe)", "val_acc": 0.728,
...               "training_s": 95.2}],
... }
>>> print(render({"sweep": sweep}, "sweep"))  # doctest: +NORMALIZE_WHITESPACE
Validation accuracy (5,000 held-out training images, flip TTA) after 4 epochs on 20,000
training images, FastNet 32-64-128; each run changes one setting of the recipe (AMD EPYC,
2 cores, 2 threads, 2026-11-29):
<BLANKLINE>
| setting | validation accuracy | training time |
|---|---:|---:|
| peak lr 0.4 (the recipe) | 72.8% | 95 s |
"""

import datetime
import json
import os
import platform
from pathlib import Path

__all__ = [
    "FILE_NAME",
    "SECTIONS",
    "cifar10_numbers",
    "cpu_name",
    "describe",
    "find_results",
    "load_results",
    "machine",
    "minutes",
    "render",
    "show",
    "update_results",
]

#: The results file of the CIFAR-10 benchmark, under ``bench/results/``.
FILE_NAME = "cifar10.json"
#: The sections of the file, in the order ``make bench-cifar10`` writes them.
SECTIONS = ("throughput", "sweep", "benchmark")
#: The training-set size that the throughput table converts images/s into seconds for.
EPOCH_IMAGES = 45_000
#: The time budget of chapter 11's training run on a CPU, in seconds (15 minutes).
BUDGET_S = 15 * 60

_RELATIVE = Path("bench") / "results"
_NOT_HERE = f"bench/results/{FILE_NAME} is not here (as in Colab): the book shows its tables"


# --------------------------------------------------------------------------- the file


def find_results(name=FILE_NAME, start=None):
    """The path of ``bench/results/<name>``, or None when there is none.

    Looked for beside the package (an editable install, i.e. a clone of the repository),
    then in ``start`` (default: the current folder) and each folder above it (a notebook
    runs in ``notebooks/``).

    Raises
    ------
    TypeError
        ``name`` is not a string, ``start`` not a path.
    """
    if not isinstance(name, str) or not name:
        raise TypeError(f"name must be a file name (a non-empty string), got {name!r}")
    if start is not None and not isinstance(start, (str, os.PathLike)):
        raise TypeError(f"start must be a folder (a path) or None, got {start!r}")
    here = Path.cwd() if start is None else Path(start)
    folders = [Path(__file__).resolve().parents[1], here, *here.resolve().parents]
    for folder in folders:
        path = folder / _RELATIVE / name
        if path.is_file():
            return path
    return None


def load_results(path=None):
    """The results ``dict`` of ``path`` (default: :func:`find_results`), or None when the
    file does not exist.

    Raises
    ------
    TypeError
        ``path`` is not a path.
    ValueError
        The file is not a JSON object.
    """
    if path is None:
        path = find_results()
        if path is None:
            return None
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"path must be a file path or None, got {path!r}")
    path = Path(path)
    if not path.is_file():
        return None
    try:
        results = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as err:
        raise ValueError(f"path must hold JSON, got {path} with an error: {err}") from None
    if not isinstance(results, dict):
        raise ValueError(f"path must hold a JSON object, got {type(results).__name__} in {path}")
    return results


def cpu_name():
    """The CPU's model name (from ``/proc/cpuinfo`` on Linux), else what :mod:`platform` knows.

    Examples
    --------
    >>> isinstance(cpu_name(), str)
    True
    """
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine(threads):
    """Where and when a section was measured: a dict for the ``machine`` key of a section.

    Parameters
    ----------
    threads : int
        torch's threads (``torch.get_num_threads()``).

    Returns
    -------
    dict
        ``cpu`` (:func:`cpu_name`), ``cores`` (:func:`os.cpu_count`), ``threads``, ``torch``
        (its version), ``date`` (UTC, ISO 8601, to the second), ``load_average`` (1, 5 and 15
        minutes, now).

    Raises
    ------
    TypeError
        ``threads`` is not a positive int.

    Examples
    --------
    >>> sorted(machine(threads=2))
    ['cores', 'cpu', 'date', 'load_average', 'threads', 'torch']
    """
    import torch

    if not isinstance(threads, int) or isinstance(threads, bool) or threads < 1:
        raise TypeError(f"threads must be a positive int, got {threads!r}")
    now = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
    return {
        "cpu": cpu_name(),
        "cores": os.cpu_count(),
        "threads": threads,
        "torch": torch.__version__,
        "date": now.isoformat().replace("+00:00", "Z"),
        "load_average": [round(v, 2) for v in os.getloadavg()],
    }


def update_results(path, section, record):
    """Write ``record`` as ``section`` of the results file ``path``, keeping its other sections.

    The file is created (with its folder) when missing. Returns the whole results dict.

    Raises
    ------
    ValueError
        ``section`` is not one of :data:`SECTIONS`, or ``record`` has no ``machine``.
    """
    _check_section(section)
    if not isinstance(record, dict) or "machine" not in record:
        raise ValueError(f"record must be a dict with a 'machine' entry, got {record!r}")
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"path must be a file path, got {path!r}")
    path = Path(path)
    results = load_results(path) or {}
    results["file"] = f"written by bench/bench_cifar10.py (make bench-cifar10); see {__name__}"
    results[section] = record
    ordered = {key: results[key] for key in ("file", *SECTIONS) if key in results}
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(ordered, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return ordered


def _check_section(section):
    if section not in SECTIONS:
        raise ValueError(f"section must be one of {', '.join(SECTIONS)}, got {section!r}")
    return section


def _check_results(results, allow_none=True):
    if results is None and allow_none:
        return None
    if not isinstance(results, dict):
        raise TypeError(f"results must be a dict (load_results) or None, got {results!r}")
    return results


def _section(results, section):
    _check_section(section)
    _check_results(results, allow_none=False)
    if section not in results:
        raise ValueError(
            f"results must have a {section!r} section (run make bench-cifar10), got "
            f"{sorted(results)}"
        )
    return results[section]


# --------------------------------------------------------------------------- formatting


def minutes(seconds):
    """Seconds as the tables write them: ``"45 s"``, ``"4.4 min"``; None is "not reached".

    Examples
    --------
    >>> minutes(45.2), minutes(264), minutes(None)
    ('45 s', '4.4 min', 'not reached')
    """
    if seconds is None:
        return "not reached"
    if isinstance(seconds, bool) or not isinstance(seconds, (int, float)):
        raise TypeError(f"seconds must be a number or None, got {seconds!r}")
    if seconds < 120:
        return f"{seconds:.0f} s"
    return f"{seconds / 60:.1f} min" if seconds < 3600 else f"{seconds / 60:.0f} min"


def _where(m):
    """``AMD EPYC, 2 cores, 2 threads``."""
    return f"{m['cpu']}, {m['cores']} cores, {m['threads']} threads"


def _load(m):
    return ", ".join(f"{v:.1f}" for v in m["load_average"])


def _day(m):
    return m["date"][:10]


def _widths(widths):
    return "-".join(map(str, widths))


def _rate(row):
    return row["images_per_s"]


# --------------------------------------------------------------------------- tables


def render(results, section):
    """The markdown of one section of the results: a title line and its table(s).

    Parameters
    ----------
    results : dict
        As :func:`load_results` returns it.
    section : {"throughput", "sweep", "benchmark"}

    Returns
    -------
    str

    Raises
    ------
    TypeError
        ``results`` is not a dict.
    ValueError
        An unknown ``section``, or one the results do not have.
    """
    record = _section(results, section)
    return {"throughput": _throughput, "sweep": _sweep, "benchmark": _benchmark}[section](record)


def _throughput(t):
    m = t["machine"]
    out = [
        f"Training throughput on {m['cpu']}, {m['threads']} threads, batch {t['batch_size']} "
        f"(forward, backward and SGD step on random data; the best of {t['rounds']} "
        f"interleaved rounds of {t['steps']} steps; load average {_load(m)} at the end; "
        f"{_day(m)}):",
        "",
        f"| net and settings | parameters | images/s | CPU ms per image | "
        f"s per epoch ({t['epoch_images']:,}) |",
        "|---|---:|---:|---:|---:|",
    ]
    for row in t["rows"]:
        out.append(
            f"| {row['label']} | {row['parameters'] / 1e6:.2f} M | {_rate(row):.0f} | "
            f"{1000 * row['cpu_s_per_image']:.2f} | {t['epoch_images'] / _rate(row):.0f} |"
        )
    return "\n".join(out)


def _sweep(s):
    m = s["machine"]
    out = [
        f"Validation accuracy ({s['n_val']:,} held-out training images, flip TTA) after "
        f"{s['epochs']} epochs on {s['n_train']:,} training images, FastNet "
        f"{_widths(s['widths'])}; each run changes one setting of the recipe ({_where(m)}, "
        f"{_day(m)}):",
        "",
        "| setting | validation accuracy | training time |",
        "|---|---:|---:|",
    ]
    out.extend(
        f"| {row['label']} | {100 * row['val_acc']:.1f}% | {row['training_s']:.0f} s |"
        for row in s["rows"]
    )
    return "\n".join(out)


def _seed_cells(seed):
    """The seed recipe's column: recipe, parameters, s per epoch, accuracy, total time."""
    recipe = (
        f"plain SGD lr {seed['lr']}, batch {seed['batch_size']}, no augmentation, "
        f"{seed['epochs_planned']} epochs"
    )
    if not seed["rows"]:
        return recipe, f"{seed['parameters'] / 1e6:.2f} M", "not run", "—", "not run"
    per_epoch = seed["seconds_per_batch"] * seed["batches_per_epoch"]
    estimate = f" (estimate from {seed['batches']} batches)" if seed["estimate"] else ""
    last = seed["rows"][-1]
    total = seed["epochs_planned"] * per_epoch
    return (
        recipe,
        f"{seed['parameters'] / 1e6:.2f} M",
        f"{per_epoch:.0f} s{estimate}",
        f"{100 * last['val_acc']:.1f}% after {last['epochs']:.2g} epochs",
        f"≈ {minutes(total)} for {seed['epochs_planned']} epochs (estimate; the article "
        f"reports about {seed['article_acc']:.0%} after them)",
    )


def _benchmark(b):
    m, fast, seed = b["machine"], b["fast"], b.get("seed")
    rows = fast["rows"]
    out = [
        f"CPU: {_where(m)}, torch {m['torch']}, {_day(m)}. An epoch is {b['n_train']:,} "
        f"training images; accuracy after every epoch is on the {b['n_val']:,} validation "
        f"images (held out from the 50,000 training images, as in the chapter); the test "
        f"accuracy is measured once, on the {b['n_test']:,} test images after the last "
        f"epoch. Load average at the end: {_load(m)}.",
        "",
        "| data loading (CIFAR-10 train + test) | seconds |",
        "|---|---:|",
    ]
    out.extend(f"| {row['what']} | {row['seconds']:.1f} |" for row in b["loading"])
    epochs = len(rows)
    fast_recipe = (
        f"Nesterov SGD lr {fast['lr']} one-cycle, batch {fast['batch_size']}, label "
        f"smoothing {fast['label_smoothing']}, translate {fast['translate']} + flip, TTA, "
        f"{epochs} epoch{'s' if epochs != 1 else ''}"
    )
    if seed is None:
        seed_cells = ("not run",) * 3 + ("—", "not run")
    else:
        seed_cells = _seed_cells(seed)
    fast_epoch = sum(r["seconds"] for r in rows) / max(epochs, 1)
    time_to = {t["val_acc"]: t["training_s"] for t in fast["time_to"]}
    fast_cells = (
        fast_recipe,
        f"{fast['parameters'] / 1e6:.2f} M",
        f"{fast_epoch:.0f} s",
        ", ".join(f"{100 * r['val_acc']:.1f}" for r in rows),
        minutes(time_to.get(0.8)),
    )
    labels = (
        "recipe",
        "parameters",
        "seconds per epoch",
        "validation accuracy per epoch (%)",
        "time to 80% validation accuracy",
    )
    out += [
        "",
        f"| | seed recipe (ConvNeuralNet) | fast recipe (FastNet {_widths(fast['widths'])}) |",
    ]
    out.append("|---|---|---|")
    out.extend(
        f"| {label} | {s} | {f} |"
        for label, s, f in zip(labels, seed_cells, fast_cells, strict=True)
    )
    out.append(
        f"| test accuracy (once, after the last epoch) | — | {100 * fast['test_acc']:.2f}% "
        f"(training {minutes(fast['training_s'])}; whole run with data loading and "
        f"evaluations {minutes(fast['whole_run_s'])}) |"
    )
    out += [
        "",
        "| epoch | seconds | training time | train acc (augmented) | validation acc (TTA) |",
        "|---:|---:|---:|---:|---:|",
    ]
    out.extend(
        f"| {r['epoch']} | {r['seconds']:.1f} | {r['training_s']:.0f} s | "
        f"{100 * r['train_acc']:.1f}% | {100 * r['val_acc']:.2f}% |"
        for r in rows
    )
    reached = ", ".join(f"{t:.0%}: {minutes(s)}" for t, s in time_to.items())
    out += ["", f"Time to validation accuracy (training time): {reached}."]
    return "\n".join(out)


# --------------------------------------------------------------------------- the chapter


def describe(results):
    """A few lines (each under 88 characters) saying where and when each section was measured,
    or one line saying that there is no results file (``results`` None, as in Colab).

    Examples
    --------
    >>> print(describe(None))
    bench/results/cifar10.json is not here (as in Colab): the book shows its tables
    """
    if _check_results(results) is None:
        return _NOT_HERE
    lines = [f"bench/results/{FILE_NAME}, written by `make bench-cifar10`:"]
    for section in SECTIONS:
        if section in results:
            m = results[section]["machine"]
            lines.append(f"  {section:10}  {m['date'][:16].replace('T', ' ')} UTC  {_where(m)}")
        else:
            lines.append(f"  {section:10}  not measured yet")
    return "\n".join(lines)


def show(results, section):
    """Display the table of ``section`` as markdown in a notebook (nbval compares it), or
    print one line when there are no results (``results`` None, as in Colab)."""
    _check_section(section)
    if results is None:
        print(_NOT_HERE)
        return
    from IPython.display import Markdown, display

    display(Markdown(render(results, section)))


def _pct(fraction, decimals):
    return f"{100 * fraction:.{decimals}f} %"


def cifar10_numbers(results):
    """The numbers chapter 11's prose quotes from the results, as texts to glue.

    Returns an empty dict for None, and leaves out the numbers of a missing section.

    Returns
    -------
    dict
        Name -> text, e.g. ``{"bench_test_acc": "86.26 %", "seed_epoch_s": "200 s", ...}``:

        - ``bench_*`` (the benchmark section): ``date``, ``machine``, ``n_train``, ``n_val``,
          ``test_acc``, ``final_val_acc``, ``epochs``, ``epoch_s`` (mean seconds per epoch),
          ``training``, ``whole_run``, ``time_to_80``;
        - ``seed_*``: ``epoch_s``, ``batches``, ``epochs_done``, ``val_acc`` (after the timed
          batches), ``total`` (the article's epochs, estimated), ``planned``;
        - ``tp_*`` (throughput): ``date``, ``<key>_rate`` and ``<key>_epoch`` per net,
          ``bf16_slowdown``, ``nchw_slowdown``, ``w64_over_chosen``,
          ``<key>_budget_epochs`` (epochs in 15 minutes);
        - ``sweep_*``: ``date``, ``<key>`` (validation accuracy per setting),
          ``smoothing_gain`` (points the label smoothing adds).
    """
    numbers = {}
    if _check_results(results) is None:
        return numbers
    if "benchmark" in results:
        numbers.update(_benchmark_numbers(results["benchmark"]))
    if "throughput" in results:
        numbers.update(_throughput_numbers(results["throughput"]))
    if "sweep" in results:
        numbers.update(_sweep_numbers(results["sweep"]))
    return numbers


def _benchmark_numbers(b):
    fast, seed = b["fast"], b.get("seed")
    rows = fast["rows"]
    time_to = {t["val_acc"]: t["training_s"] for t in fast["time_to"]}
    numbers = {
        "bench_date": _day(b["machine"]),
        "bench_machine": _where(b["machine"]),
        "bench_n_train": f"{b['n_train']:,}",
        "bench_n_val": f"{b['n_val']:,}",
        "bench_test_acc": _pct(fast["test_acc"], 2),
        "bench_final_val_acc": _pct(rows[-1]["val_acc"], 2),
        "bench_epochs": str(len(rows)),
        "bench_epoch_s": f"{sum(r['seconds'] for r in rows) / len(rows):.0f} s",
        "bench_training": minutes(fast["training_s"]),
        "bench_whole_run": minutes(fast["whole_run_s"]),
        "bench_time_to_80": minutes(time_to.get(0.8)),
    }
    if seed is not None and seed["rows"]:
        per_epoch = seed["seconds_per_batch"] * seed["batches_per_epoch"]
        last = seed["rows"][-1]
        numbers.update(
            seed_epoch_s=f"{per_epoch:.0f} s",
            seed_batches=str(seed["batches"]),
            seed_epochs_done=f"{last['epochs']:.2g}",
            seed_val_acc=_pct(last["val_acc"], 1),
            seed_total=f"{seed['epochs_planned'] * per_epoch / 60:.0f} minutes",
            seed_planned=str(seed["epochs_planned"]),
        )
    return numbers


def _throughput_numbers(t):
    rows = {row["key"]: row for row in t["rows"]}
    images = t["epoch_images"]
    numbers = {"tp_date": _day(t["machine"])}
    for key, row in rows.items():
        numbers[f"tp_{key}_rate"] = f"{_rate(row):.0f}"
        numbers[f"tp_{key}_epoch"] = f"{images / _rate(row):.0f} s"
        numbers[f"tp_{key}_budget_epochs"] = f"{BUDGET_S * _rate(row) / images:.1f}"
    chosen = rows.get("channels_last")
    if chosen is not None:
        for key, name, digits in (
            ("bf16", "bf16_slowdown", 0),
            ("nchw", "nchw_slowdown", 1),
            ("w64", "w64_over_chosen", 1),
        ):
            if key in rows:
                numbers[f"tp_{name}"] = f"{_rate(chosen) / _rate(rows[key]):.{digits}f}"
    return numbers


def _sweep_numbers(s):
    rows = {row["key"]: row for row in s["rows"]}
    numbers = {"sweep_date": _day(s["machine"])}
    numbers.update({f"sweep_{key}": _pct(row["val_acc"], 1) for key, row in rows.items()})
    if "recipe" in rows and "no_smoothing" in rows:
        gain = rows["recipe"]["val_acc"] - rows["no_smoothing"]["val_acc"]
        numbers["sweep_smoothing_gain"] = f"{100 * gain:+.1f}"
    return numbers
