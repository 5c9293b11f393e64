"""Data-parallel training (cnnviz.train.distributed, the sharded Loader, fit under a process
group, python -m cnnviz.train) with 2 CPU processes and the gloo backend, on synthetic data.

Checked: (a) the shards of the Loader are disjoint, cover every epoch and are exactly the
global batches of one process; (b) after the first steps the parameters (and BatchNorm's
buffers) are identical in both processes; (c) 2 processes at global batch B give the loss of
1 process at batch B. For (c) BatchNorm must be synchronized (``sync_bn``): without it each
process normalizes its 8 images with their own mean and variance instead of those of the 16
images of the global batch, a different function of the data, so the losses differ (the
test shows by how much). The processes meet on 127.0.0.1 at a free port; nothing else of the
network is used.
"""

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import torch
import torch.distributed as dist
import torch.multiprocessing as mp

from cnnviz import data, train
from cnnviz.models import FastNet
from cnnviz.train import cli
from cnnviz.train.distributed import SyncBatchNorm

ROOT = Path(__file__).resolve().parents[1]
WORLD = 2
BATCH = 16  # the global batch: 8 images per process
EPOCHS = 2
N_TRAIN = 64  # 4 steps per epoch


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def shard_loader(rank=0, world=1):
    """22 numbered images (the label is the index), batch 8, shuffled and augmented."""
    x = torch.randint(
        0, 255, (22, 3, 8, 8), dtype=torch.uint8, generator=torch.Generator().manual_seed(0)
    )
    loader = data.Loader(x, torch.arange(22), 8, shuffle=True, translate=1, flip=True, seed=3)
    return loader if world == 1 else loader.shard(rank, world)


def training_data():
    torch.manual_seed(0)
    x, y = cli.synthetic_images(N_TRAIN, seed=0)
    x_val, y_val = cli.synthetic_images(40, seed=1)
    return x, y, x_val, y_val


def train_run(rank, world, sync_bn):
    """fit() on the synthetic data as process ``rank`` of ``world``; returns what it did."""
    x, y, x_val, y_val = training_data()
    mean, std = data.channel_stats(x)
    loader = data.Loader(
        x, y, BATCH, shuffle=True, translate=2, flip=True, drop_last=True, seed=5,
        mean=mean, std=std,
    )  # fmt: skip
    val = data.Loader(x_val, y_val, 20, mean=mean, std=std)
    config = train.Config(epochs=EPOCHS, batch_size=BATCH, lr=0.2, widths=(8, 16, 16))
    config.sync_bn = sync_bn
    train.seed_everything(0)
    model = FastNet(config.widths)
    model.fit_whitening(loader.normalize(x))
    history = train.fit(
        model, loader.shard(rank, world) if world > 1 else loader,
        val.shard(rank, world) if world > 1 else val, config, progress=False, log=None,
    )  # fmt: skip
    return {"history": dict(history), "state": model.state_dict()}


def refused_loader(rank, world):
    """The message of fit for a last batch of 1 image among 2 processes (no drop_last)."""
    x, y = cli.synthetic_images(BATCH + 1)
    loader = data.Loader(x, y, BATCH).shard(rank, world)
    try:
        train.fit(FastNet((8, 8, 8)), loader, None, train.Config(epochs=1), log=None)
    except ValueError as err:
        return str(err)
    return None


def worker(rank, world, port, out):
    """One of the spawned processes: joins the group, records the shards and two runs."""
    os.environ.update(
        MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port), RANK=str(rank),
        WORLD_SIZE=str(world), LOCAL_RANK=str(rank),
    )  # fmt: skip
    torch.set_num_threads(1)
    process = train.init_distributed("gloo")
    try:
        loader = shard_loader(rank, world)
        epochs = [[yb.tolist() for _, yb in loader] for _ in range(2)]
        images = [xb for xb, _ in shard_loader(rank, world)]
        result = {
            "process": process,
            "epochs": epochs,
            "images": images,
            "sync": train_run(rank, world, sync_bn=True),
            "local": train_run(rank, world, sync_bn=False),
            "refused": refused_loader(rank, world),
        }
        torch.save(result, Path(out) / f"rank{rank}.pt")
    finally:
        train.close_distributed()


@pytest.fixture(scope="module")
def two_processes(tmp_path_factory):
    """The results of the two spawned processes (one run of a few seconds for all tests)."""
    out = tmp_path_factory.mktemp("ddp")
    mp.spawn(worker, args=(WORLD, free_port(), str(out)), nprocs=WORLD, join=True)
    return [torch.load(out / f"rank{r}.pt", weights_only=False) for r in range(WORLD)]


@pytest.fixture(scope="module")
def one_process():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        return train_run(0, 1, sync_bn=True)
    finally:
        torch.set_num_threads(threads)


def test_processes_know_their_rank_and_backend(two_processes):
    for rank, result in enumerate(two_processes):
        p = result["process"]
        assert (p.rank, p.world_size, p.backend, p.device) == (rank, WORLD, "gloo", "cpu")
        assert p.main is (rank == 0) and p.distributed


def test_a_shards_are_disjoint_cover_each_epoch_and_are_the_global_batches(two_processes):
    whole = shard_loader()
    for epoch in range(2):
        ranks = [result["epochs"][epoch] for result in two_processes]
        flat = [sorted(i for batch in shard for i in batch) for shard in ranks]
        assert not set(flat[0]) & set(flat[1])  # disjoint
        assert sorted(flat[0] + flat[1]) == list(range(22))  # together: the whole epoch
        assert len(ranks[0]) == len(ranks[1]) == len(whole) == 3  # the same number of steps
        global_batches = [yb.tolist() for _, yb in whole]
        for k, batch in enumerate(global_batches):  # rank r: images r, r + 2, ... of batch k
            assert ranks[0][k] == batch[0::2] and ranks[1][k] == batch[1::2]
    first, second = (result["epochs"] for result in two_processes)
    assert first[0] != first[1]  # reshuffled every epoch (from the shared seed)
    same = [xb for xb, _ in shard_loader()]  # the augmentation is the global batch's too
    for k, xb in enumerate(same):
        torch.testing.assert_close(two_processes[0]["images"][k], xb[0::2], rtol=0, atol=0)
        torch.testing.assert_close(two_processes[1]["images"][k], xb[1::2], rtol=0, atol=0)


@pytest.mark.parametrize("run", ["sync", "local"])
def test_b_parameters_are_identical_in_both_processes(two_processes, run):
    a, b = (result[run]["state"] for result in two_processes)
    assert a.keys() == b.keys()
    for name in a:
        assert torch.equal(a[name], b[name]), name  # DDP averaged the same gradients
    assert two_processes[0][run]["history"] == two_processes[1][run]["history"] | {
        key: two_processes[0][run]["history"][key]
        for key in ("epoch_time", "time", "wall", "time_to")
    }  # every process returns the same history (only the timings differ)


def test_c_two_processes_at_batch_b_match_one_process_at_batch_b(two_processes, one_process):
    one = one_process["history"]
    synced = two_processes[0]["sync"]["history"]
    local = two_processes[0]["local"]["history"]
    assert synced["distributed"]["global_batch"] == BATCH
    assert synced["distributed"]["batch_per_process"] == BATCH / WORLD
    assert synced["distributed"]["lr"] == 0.2 and not synced["distributed"]["lr_scaled"]
    for key in ("train_loss", "val_loss"):
        gap = max(abs(p - q) for p, q in zip(synced[key], one[key], strict=True))
        assert gap < 1e-4, (key, synced[key], one[key])
    states = two_processes[0]["sync"]["state"], one_process["state"]
    for name, tensor in states[1].items():
        torch.testing.assert_close(states[0][name], tensor, rtol=1e-3, atol=1e-4, msg=name)
    # Without synchronized BatchNorm, each process normalizes with its own 8 images:
    local_gap = abs(local["train_loss"][0] - one["train_loss"][0])
    synced_gap = abs(synced["train_loss"][0] - one["train_loss"][0])
    assert local_gap > 100 * max(synced_gap, 1e-7), (local_gap, synced_gap)


def test_fit_refuses_a_step_where_a_process_would_get_no_image(two_processes):
    for result in two_processes:
        message = result["refused"]
        assert message and "last batch holds 1 image(s) for 2 processes" in message


def test_sync_batchnorm_alone_is_batchnorm_and_keeps_the_state_dict():
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3), torch.nn.BatchNorm2d(4))
    plain = FastNet((8, 8, 8))
    before = {k: v.clone() for k, v in plain.state_dict().items()}
    synced = train.sync_batchnorm(plain, "cpu")
    assert synced is plain and isinstance(plain.block1[2], SyncBatchNorm)
    assert all(torch.equal(before[k], v) for k, v in plain.state_dict().items())
    assert train.sync_batchnorm(model, "cpu", enabled=False)[1].__class__ is torch.nn.BatchNorm2d
    reference = torch.nn.BatchNorm2d(4)
    converted = train.sync_batchnorm(torch.nn.Sequential(torch.nn.BatchNorm2d(4)), "cpu")[0]
    y = torch.randn(6, 4, 8, 8)
    torch.testing.assert_close(converted(y), reference(y))  # alone: plain BatchNorm
    torch.testing.assert_close(converted.running_var, reference.running_var)


def test_all_reduce_in_threads_sums_like_the_processes_would():
    out = train.all_reduce_in_threads([[1.0, -2.0], [3.0, 0.5], [0.0, 4.0]])
    assert [t.tolist() for t in out] == [[4.0, 2.5]] * 3
    with pytest.raises(ValueError, match="tensors must all have the same shape"):
        train.all_reduce_in_threads([[1.0], [1.0, 2.0]])
    with pytest.raises(ValueError, match="at least two"):
        train.all_reduce_in_threads([[1.0]])


def test_alone_nothing_is_joined_and_helpers_are_no_ops():
    assert not dist.is_initialized()
    assert train.init_distributed() == train.current_process()
    assert train.is_main_process() and train.current_process().world_size == 1
    t = torch.ones(3)
    assert train.all_reduce_sum(t) is t and t.tolist() == [1.0] * 3
    with pytest.raises(ValueError, match="backend must be one of"):
        train.init_distributed("mpi")


def test_fit_refuses_a_loader_sharded_for_another_group():
    x, y, *_ = training_data()
    loader = data.Loader(x, y, BATCH, drop_last=True).shard(1, 2)
    cfg = train.Config(epochs=1, widths=(8, 16, 16))
    with pytest.raises(ValueError, match=r"train_loader must be this process's shard"):
        train.fit(FastNet(cfg.widths), loader, None, cfg, progress=False, log=None)
    with pytest.raises(ValueError, match="loader must be sharded for the process group"):
        train.evaluate(FastNet(cfg.widths), loader)


def test_the_command_runs_the_same_recipe_on_one_process_and_on_two(tmp_path):
    """``python -m cnnviz.train`` alone, then under ``torchrun`` with 2 processes."""
    args = [
        "--synthetic", "128", "--epochs", "1", "--batch-size", "32", "--widths", "8", "16",
        "16", "--sync-bn", "--threads", "1",
    ]  # fmt: skip
    alone = cli.main([*args, "--json", str(tmp_path / "one.json")])
    assert alone["processes"] == 1 and (tmp_path / "one.json").is_file()
    env = dict(os.environ, OMP_NUM_THREADS="1", PYTHONWARNINGS="ignore")
    command = [
        sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc-per-node",
        "2", "-m", "cnnviz.train", *args, "--json", str(tmp_path / "two.json"),
        "--checkpoint", str(tmp_path / "net.pt"),
    ]  # fmt: skip
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.count("test accuracy") == 1  # rank 0 alone prints
    assert "global batch 32 = 2 x 16" in done.stdout and "(not scaled)" in done.stdout
    two = json.loads((tmp_path / "two.json").read_text())
    assert two["processes"] == 2 and two["backend"] == "gloo"
    assert two["history"]["distributed"]["global_batch"] == 32
    assert abs(two["history"]["train_loss"][0] - alone["history"]["train_loss"][0]) < 1e-4
    model = FastNet((8, 16, 16))
    checkpoint = train.load_checkpoint(tmp_path / "net.pt", model)  # written by rank 0
    assert checkpoint["config"]["sync_bn"] is True and len(checkpoint["classes"]) == 10
