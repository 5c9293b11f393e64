"""Tests of cnnviz.viz.distributed: the data-parallel step and the all-reduce, drawn."""

import numpy as np
import pytest

from cnnviz import train, viz

#: One valid call of every public figure here (test_bad_input.py tries a bad value in each).
DISTRIBUTED_VIZ_CALLS = {
    "show_data_parallel": dict(world_size=2, batch_size=8),
    "show_all_reduce": dict(before=[[1.0, 2.0], [3.0, 4.0]], reduced=[2.0, 3.0], op="mean"),
}


def test_data_parallel_cuts_the_batch_as_the_loader_does():
    fig = viz.show_data_parallel(world_size=3, batch_size=9)
    assert fig.cnnviz.shards == ((0, 3, 6), (1, 4, 7), (2, 5, 8))
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert "process 2 (GPU 2)" in " ".join(texts)
    assert any("(g_0 + g_1 + g_2)" in t for t in texts)
    assert fig.get_figwidth() * fig.dpi <= 860


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"world_size": 1}, "world_size must be between 2 and 4, got 1"),
        ({"world_size": 5}, "world_size must be between 2 and 4, got 5"),
        ({"world_size": 3, "batch_size": 8}, r"batch_size must be a multiple of world_size \(3\)"),
        ({"batch_size": 32}, "batch_size must be between 2 and 16, got 32"),
    ],
)
def test_data_parallel_refuses_what_it_cannot_draw(kwargs, message):
    with pytest.raises(ValueError, match=message):
        viz.show_data_parallel(**kwargs)


def test_all_reduce_draws_the_live_gloo_result():
    before = np.array([[0.5, -1.2, 0.3], [1.5, 0.2, -0.7]])
    summed = train.all_reduce_in_threads(list(before))[0].numpy()
    fig = viz.show_all_reduce(before, summed, op="sum")
    np.testing.assert_allclose(fig.cnnviz.reduced, before.sum(0), rtol=1e-6)
    after = fig.axes[1].images[0].get_array()
    assert np.allclose(after, np.tile(before.sum(0), (2, 1)))
    shown = [t.get_text() for t in fig.axes[0].texts]
    assert shown == ["0.50", "−1.20", "0.30", "1.50", "0.20", "−0.70"]  # 2 decimals each
    mean = viz.show_all_reduce(before).cnnviz
    assert mean.op == "mean" and np.allclose(mean.reduced, [1.0, -0.5, -0.2])
    with pytest.raises(ValueError, match=r"reduced must be the mean of the rows of before"):
        viz.show_all_reduce(before, summed)  # the sum is not the mean
    with pytest.raises(ValueError, match="before must have 2 to 8 rows"):
        viz.show_all_reduce([[1.0, 2.0]])
