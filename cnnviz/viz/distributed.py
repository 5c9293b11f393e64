"""Data parallelism: one step on several processes, and what an all-reduce does.

Examples
--------
>>> fig = show_data_parallel(world_size=2, batch_size=6)
>>> fig.cnnviz.shards
((0, 2, 4), (1, 3, 5))
>>> fig = show_all_reduce([[1.0, -2.0], [3.0, 0.0]])
>>> fig.cnnviz.reduced.tolist()
[2.0, -1.0]
"""

from __future__ import annotations

import dataclasses

import numpy as np
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch, Rectangle

from cnnviz._checks import check_array, check_choice, check_int
from cnnviz.arithmetic import MINUS
from cnnviz.palette import COLORS, DIVERGING

from ._base import new_figure
from ._cells import diverging_norm, grid

__all__ = ["AllReduceResult", "DataParallelResult", "show_all_reduce", "show_data_parallel"]

#: One colour per process (the figure draws at most this many).
PROCESS_COLORS = (
    COLORS["input_edge"], COLORS["highlight"], COLORS["output_edge"], COLORS["chosen"],
)  # fmt: skip


@dataclasses.dataclass(frozen=True)
class DataParallelResult:
    """What :func:`show_data_parallel` drew: ``shards[r]`` are the positions in the global
    batch that process ``r`` trains on (``r, r + world_size, ...``, as
    :meth:`cnnviz.data.Loader.shard` cuts them)."""

    world_size: int
    batch_size: int
    shards: tuple


@dataclasses.dataclass(frozen=True)
class AllReduceResult:
    """What :func:`show_all_reduce` drew: the vectors of the processes ``before`` (one row
    each), the ``reduced`` vector every process holds afterwards, and the ``op``."""

    before: np.ndarray
    reduced: np.ndarray
    op: str


def _box(ax, x, y, w, h, color, text, fontsize=10):
    ax.add_patch(
        FancyBboxPatch(
            (x, y), w, h, boxstyle="round,pad=0.02,rounding_size=0.06", fc="white", ec=color,
            lw=1.6,
        )
    )  # fmt: skip
    ax.text(x + w / 2, y + h / 2, text, ha="center", va="center", fontsize=fontsize,
            color=COLORS["text"], linespacing=1.3)  # fmt: skip


def _arrow(ax, start, end, color=COLORS["muted"]):
    ax.add_patch(
        FancyArrowPatch(start, end, arrowstyle="-|>", mutation_scale=12, color=color, lw=1.3)
    )


def _images(ax, left, y, labels, colors, size):
    """A row of numbered squares, ``size`` inches a side; the numbers scale with them."""
    for k, (label, color) in enumerate(zip(labels, colors, strict=True)):
        x = left + k * size * 1.15
        ax.add_patch(Rectangle((x, y), size, size, fc=color, ec="white", lw=0.8, alpha=0.85))
        ax.text(x + size / 2, y + size / 2, str(label), ha="center", va="center",
                fontsize=min(10.0, 24 * size), color="white", weight="bold")  # fmt: skip
    return left + len(labels) * size * 1.15


def show_data_parallel(world_size=2, batch_size=8):
    """One step of data-parallel training, drawn: shards, copies, all-reduce, one update.

    The global batch of ``batch_size`` images is cut into ``world_size`` shards (image
    ``i`` goes to process ``i mod world_size``); each process runs its own copy of the
    model forward and backward on its shard and gets its own gradient; the all-reduce
    averages the gradients; every process applies the same averaged gradient, so the copies
    stay identical. ``fig.cnnviz`` is a :class:`DataParallelResult`.

    The figure is 2.3 inches wide per process (at least 4.6, at most 8.4) and its text is
    10 points, so that at 2 processes it stays legible in a phone's column.

    Parameters
    ----------
    world_size : int, default 2
        Processes, 2 to 4.
    batch_size : int, default 8
        Global batch, a multiple of ``world_size``, at most 16.

    Raises
    ------
    TypeError
        A non-int argument.
    ValueError
        ``world_size`` outside 2-4, ``batch_size`` outside ``world_size``-16 or not a
        multiple of ``world_size``.
    """
    world = check_int(world_size, "world_size", minimum=2, maximum=len(PROCESS_COLORS))
    batch = check_int(batch_size, "batch_size", minimum=world, maximum=16)
    if batch % world:
        raise ValueError(f"batch_size must be a multiple of world_size ({world}), got {batch}")
    shards = tuple(tuple(range(r, batch, world)) for r in range(world))
    colors = [PROCESS_COLORS[i % world] for i in range(batch)]
    # data coordinates are inches: text sizes and box sizes are easy to keep apart
    width, height = min(max(2.3 * world, 4.6), 8.4), 5.1
    fig = new_figure((width, height))
    ax = fig.add_subplot()
    ax.set(xlim=(0, width), ylim=(0, height), aspect="equal")
    ax.axis("off")

    size = min(0.42, (width - 0.3) / (batch * 1.15))
    left = (width - batch * size * 1.15) / 2
    ax.text(width / 2, 4.92, f"global batch: {batch} images", ha="center", va="center",
            fontsize=10.5, color=COLORS["text"])  # fmt: skip
    _images(ax, left, 4.2, range(batch), colors, size)

    slot = width / world
    box_w = min(slot - 0.15, 2.6)
    for r, shard in enumerate(shards):
        cx = slot * (r + 0.5)
        _arrow(ax, (width / 2, 4.15), (cx, 3.6), PROCESS_COLORS[r])
        shard_w = len(shard) * size * 1.15
        _images(ax, cx - shard_w / 2, 3.1, shard, [PROCESS_COLORS[r]] * len(shard), size)
        _box(ax, cx - box_w / 2, 1.8, box_w, 1.15, PROCESS_COLORS[r],
             f"process {r} (GPU {r})\nits model copy:\nforward, backward\n"
             f"on {len(shard)} images → $g_{r}$")  # fmt: skip
        _arrow(ax, (cx, 1.77), (cx, 1.43), PROCESS_COLORS[r])
        _box(ax, cx - box_w / 2, 0.03, box_w, 0.42, PROCESS_COLORS[r],
             "$w \\leftarrow w - \\eta\\,\\bar g$", fontsize=11)  # fmt: skip
        _arrow(ax, (cx, 0.82), (cx, 0.49))
    terms = " + ".join(f"g_{r}" for r in range(world))
    _box(ax, 0.08, 0.84, width - 0.16, 0.56, COLORS["muted"],
         f"all-reduce: each process gets\n$\\bar g = ({terms})\\,/\\,{world}$")  # fmt: skip
    fig.cnnviz = DataParallelResult(world, batch, shards)
    return fig


def show_all_reduce(before, reduced=None, op="mean"):
    """The vectors of the processes before an all-reduce (one row each) and after it.

    ``before`` holds one row per process (a gradient, say). After the all-reduce every
    process holds the same vector: the sum of the rows, or their mean (what DDP uses: it
    sums and divides by the number of processes). Pass ``reduced`` to draw a result
    computed elsewhere, for example by a real all-reduce
    (:func:`cnnviz.train.all_reduce_in_threads`); it must equal the rows' sum or mean.
    Every value is printed with 2 decimals. ``fig.cnnviz`` is an :class:`AllReduceResult`.

    Parameters
    ----------
    before : array-like, shape (P, K)
        2 to 8 processes, 1 to 8 values each.
    reduced : array-like, shape (K,), optional
    op : {"mean", "sum"}

    Raises
    ------
    TypeError
        Arrays that are not numeric.
    ValueError
        Shapes out of range, an unknown ``op``, or a ``reduced`` that is not the reduction
        of ``before`` (to 1e-5).
    """
    before = check_array(before, "before", ndims=(2,))
    check_choice(op, "op", ("mean", "sum"))
    processes, k = before.shape
    if not (2 <= processes <= 8 and 1 <= k <= 8):
        raise ValueError(
            f"before must have 2 to 8 rows (processes) of 1 to 8 values, got {before.shape}"
        )
    expected = before.mean(0) if op == "mean" else before.sum(0)
    if reduced is None:
        reduced = expected
    else:
        reduced = check_array(reduced, "reduced", ndims=(1,))
        if reduced.shape != (k,) or not np.allclose(reduced, expected, rtol=1e-5, atol=1e-5):
            raise ValueError(
                f"reduced must be the {op} of the rows of before, {np.round(expected, 4)}, "
                f"got {np.round(reduced, 4)} (shape {reduced.shape})"
            )
    after = np.tile(reduced, (processes, 1))
    norm = diverging_norm(np.concatenate([before, after]))
    fig = new_figure((min(1.2 + 0.9 * k, 7.6), 0.7 + 0.42 * processes))
    axes = fig.subplots(1, 2)
    titles = ("before:\neach process its own", f"after the\nall-reduce ({op})")
    for ax, values, title in zip(axes, (before, after), titles, strict=True):
        cells = grid(ax, values, DIVERGING, norm, decimals=2)
        for (r, c), text in np.ndenumerate(cells.texts):  # every value with 2 decimals
            text.set_text(f"{values[r, c]:.2f}".replace("-", MINUS))
        ax.set_title(title, fontsize=10)
        ax.tick_params(left=False)
    axes[0].set_yticks(range(processes), [f"process {r}" for r in range(processes)], fontsize=9)
    fig.cnnviz = AllReduceResult(before, np.asarray(reduced, dtype=float), op)
    return fig
