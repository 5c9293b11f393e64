"""Data parallelism with :mod:`torch.distributed`: one process per device, one shard each.

Data-parallel training runs the same program in ``N`` processes (one per GPU, or a few on a
CPU), started by ``torchrun``, which tells each process its number (``RANK``), how many there
are (``WORLD_SIZE``) and where to meet (``MASTER_ADDR``, ``MASTER_PORT``). Every process holds
a full copy of the model. At every step each takes its own share of the global batch
(:meth:`cnnviz.data.Loader.shard`), computes the gradients on it, and an **all-reduce**
averages the gradients of all processes, so that every copy takes the same step and the
copies stay identical: :class:`torch.nn.parallel.DistributedDataParallel` (DDP) does that
while the backward pass runs. :func:`cnnviz.train.fit` does the rest (see there): the learning
rate is the same as for one process with the same global batch, nothing is rescaled.

This module holds what the processes need to find each other and agree:

- :func:`init_distributed` joins the group that ``torchrun`` describes (NCCL on CUDA, gloo on
  the CPU) and returns this process's :class:`Process`; :func:`current_process` says where
  this process stands without joining anything; :func:`close_distributed` leaves;
- :func:`sync_batchnorm` makes every BatchNorm use the statistics of the *global* batch
  (:class:`torch.nn.SyncBatchNorm` on CUDA, :class:`SyncBatchNorm` elsewhere, because
  PyTorch's refuses CPU tensors); without it each process normalizes with the statistics of
  its own share, which is a different computation than one process on the whole batch;
- :func:`all_reduce_sum` (used for the metrics) and :func:`broadcast_buffers`;
- :func:`all_reduce_in_threads`, the real gloo all-reduce between threads of one process:
  a demonstration that needs no second process.

Examples
--------
>>> p = current_process()  # not started by torchrun: alone
>>> p.rank, p.world_size, p.backend, p.distributed, p.main
(0, 1, None, False, True)
>>> [t.tolist() for t in all_reduce_in_threads([[1.0, 2.0], [3.0, 4.0]])]
[[4.0, 6.0], [4.0, 6.0]]
"""

import dataclasses
import os
import threading

import torch
import torch.distributed as dist
from torch import nn

from .._checks import check_bool, check_choice
from ._torch_checks import check_device, check_module, check_tensor

__all__ = [
    "BACKENDS",
    "Process",
    "SyncBatchNorm",
    "all_reduce_in_threads",
    "all_reduce_sum",
    "broadcast_buffers",
    "close_distributed",
    "current_process",
    "init_distributed",
    "is_main_process",
    "sync_batchnorm",
]

BACKENDS = ("auto", "nccl", "gloo")


@dataclasses.dataclass(frozen=True)
class Process:
    """Where this process stands: its ``rank`` among ``world_size`` processes, its
    ``local_rank`` on this machine (the GPU it uses), the ``backend`` of the group (None
    without one) and its ``device`` (a string)."""

    rank: int
    world_size: int
    local_rank: int
    backend: str | None
    device: str

    @property
    def distributed(self):
        """More than one process."""
        return self.world_size > 1

    @property
    def main(self):
        """Rank 0: the process that prints, evaluates alone and saves checkpoints."""
        return self.rank == 0


def _env_int(name, default):
    value = os.environ.get(name, "")
    try:
        return int(value) if value.strip() else default
    except ValueError:
        raise ValueError(f"{name} must be an integer in the environment, got {value!r}") from None


def _joined():
    return dist.is_available() and dist.is_initialized()


def current_process():
    """This process's :class:`Process`, from the group it joined (or rank 0 of 1).

    The device is ``cuda:<local_rank>`` when CUDA is there, else the CPU.
    """
    local_rank = _env_int("LOCAL_RANK", 0)
    if _joined():
        rank, world, backend = dist.get_rank(), dist.get_world_size(), dist.get_backend()
    else:
        rank, world, backend = 0, 1, None
    cuda = torch.cuda.is_available() and backend != "gloo"
    device = f"cuda:{local_rank}" if cuda else "cpu"
    return Process(rank, world, local_rank, backend, device)


def is_main_process():
    """True in rank 0 (and in a program that runs alone)."""
    return not _joined() or dist.get_rank() == 0


def init_distributed(backend="auto"):
    """Join the process group that ``torchrun`` describes; returns this :class:`Process`.

    ``torchrun --nproc-per-node N script.py`` starts ``N`` copies of the script and sets
    ``RANK``, ``LOCAL_RANK``, ``WORLD_SIZE``, ``MASTER_ADDR`` and ``MASTER_PORT`` in each;
    :func:`torch.distributed.init_process_group` reads them (``env://``). Without them (a
    plain ``python script.py``, or ``WORLD_SIZE=1``) there is nothing to join, and the
    process runs alone. On CUDA the process also selects its GPU, ``cuda:<LOCAL_RANK>``.

    Parameters
    ----------
    backend : {"auto", "nccl", "gloo"}
        ``"auto"``: NCCL when CUDA is there (the GPUs talk to each other directly), gloo
        otherwise (the CPU, over sockets).

    Raises
    ------
    ValueError
        An unknown backend, or NCCL without CUDA.
    """
    check_choice(backend, "backend", BACKENDS)
    world = _env_int("WORLD_SIZE", 1)
    if world > 1 and not _joined():
        if backend == "auto":
            backend = "nccl" if torch.cuda.is_available() else "gloo"
        if backend == "nccl":
            if not torch.cuda.is_available():
                raise ValueError("backend must be 'gloo' or 'auto' without CUDA, got 'nccl'")
            torch.cuda.set_device(_env_int("LOCAL_RANK", 0))
        dist.init_process_group(backend)
    return current_process()


def close_distributed():
    """Leave the process group (if this process joined one)."""
    if _joined():
        dist.destroy_process_group()


def all_reduce_sum(tensor):
    """Sum ``tensor`` over all processes, in place (a no-op alone); returns it.

    With NCCL the tensor must be on this process's GPU.
    """
    check_tensor(tensor, "tensor")
    if _joined() and dist.get_world_size() > 1:
        dist.all_reduce(tensor, op=dist.ReduceOp.SUM)
    return tensor


@torch.no_grad()
def broadcast_buffers(model):
    """Copy rank 0's buffers (BatchNorm's running statistics) to every process.

    Without synchronized BatchNorm each process updates its running statistics from its
    own share of the batch, so after the last step the copies differ in them; evaluating
    or saving after this makes every process hold rank 0's model. Returns ``model``.
    """
    check_module(model)
    if _joined() and dist.get_world_size() > 1:
        for buffer in model.buffers():
            dist.broadcast(buffer, src=0)
    return model


def all_reduce_in_threads(tensors):
    """The gloo all-reduce (sum) of ``tensors``, one per simulated process, in threads.

    Each thread plays one process: it builds its own gloo process group (rank ``i`` of
    ``len(tensors)``, meeting through an in-memory store instead of the network) and calls
    the all-reduce that DDP uses on gradients. Returns the tensor every "process" holds
    afterwards: all equal to the sum. A teaching device: real training uses processes.

    Parameters
    ----------
    tensors : sequence of array-likes
        At least two, all of the same shape (converted to float32 tensors).

    Raises
    ------
    TypeError
        Not a sequence of numbers.
    ValueError
        Fewer than two tensors, or shapes that differ.
    """
    if not isinstance(tensors, (list, tuple)):
        raise TypeError(f"tensors must be a list of arrays, got {tensors!r}")
    try:
        values = [torch.as_tensor(t, dtype=torch.float32).clone() for t in tensors]
    except (TypeError, ValueError, RuntimeError):
        raise TypeError(f"tensors must be a list of arrays of numbers, got {tensors!r}") from None
    if len(values) < 2:
        raise ValueError(f"tensors must hold at least two tensors, got {len(values)}")
    if len({tuple(v.shape) for v in values}) > 1:
        shapes = [tuple(v.shape) for v in values]
        raise ValueError(f"tensors must all have the same shape, got {shapes}")
    store, world, errors = dist.HashStore(), len(values), []

    def process(rank):
        try:
            group = dist.ProcessGroupGloo(dist.PrefixStore("cnnviz", store), rank, world)
            group.allreduce([values[rank]]).wait()
        except Exception as err:  # noqa: BLE001 - re-raised in the caller
            errors.append(err)

    threads = [threading.Thread(target=process, args=(r,)) for r in range(world)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
    return values


class _AllReduceSum(torch.autograd.Function):
    """The sum over all processes, differentiable: the gradient of each process's input is
    the sum of the gradients that reach the output in all processes."""

    @staticmethod
    def forward(ctx, tensor):
        return all_reduce_sum(tensor.clone())

    @staticmethod
    def backward(ctx, grad):
        return all_reduce_sum(grad.clone())


class SyncBatchNorm(nn.BatchNorm2d):
    """BatchNorm over the global batch of all processes, on any device (the CPU too).

    In training, with a process group of two or more, the mean and the variance of each
    channel are those of the whole global batch: every process sums its share (and then
    the squared deviations from the global mean) and an all-reduce adds the sums up. That
    all-reduce is differentiable (its backward pass is an all-reduce too), so the gradients
    that flow into the statistics are summed over the processes, as
    :class:`torch.nn.SyncBatchNorm` does on CUDA (which refuses CPU tensors, hence this
    class). Alone, or in evaluation, it is :class:`torch.nn.BatchNorm2d`; the ``state_dict``
    is the same, so a checkpoint loads into a plain model. Input ``(N, C, H, W)``; the
    statistics are computed in float32.
    """

    def forward(self, x):
        if not (self.training and _joined() and dist.get_world_size() > 1):
            return super().forward(x)
        xf = x.float()
        dims = (0, 2, 3)
        count = torch.tensor([xf.numel() // xf.shape[1]], device=x.device)
        count = all_reduce_sum(count).item()  # values per channel in the global batch
        mean = _AllReduceSum.apply(xf.sum(dims)) / count
        centred = xf - mean.view(1, -1, 1, 1)
        var = _AllReduceSum.apply(centred.square().sum(dims)) / count
        y = centred * torch.rsqrt(var + self.eps).view(1, -1, 1, 1)
        if self.affine:
            y = y * self.weight.view(1, -1, 1, 1) + self.bias.view(1, -1, 1, 1)
        if self.track_running_stats:
            self._update_running_stats(mean.detach(), var.detach(), count)
        return y.to(x.dtype)

    @torch.no_grad()
    def _update_running_stats(self, mean, var, count):
        self.num_batches_tracked.add_(1)
        if self.momentum is None:  # a cumulative average, as in BatchNorm
            factor = 1.0 / float(self.num_batches_tracked)
        else:
            factor = self.momentum
        unbiased = var * count / max(count - 1, 1)
        self.running_mean.lerp_(mean.to(self.running_mean.dtype), factor)
        self.running_var.lerp_(unbiased.to(self.running_var.dtype), factor)


def sync_batchnorm(model, device="cpu", enabled=True):
    """``model`` with every :class:`~torch.nn.BatchNorm2d` synchronized over the processes.

    On CUDA: :meth:`torch.nn.SyncBatchNorm.convert_sync_batchnorm`. Elsewhere:
    :class:`SyncBatchNorm` (the same arithmetic, written with differentiable all-reduces,
    because PyTorch's class refuses CPU tensors). The layers keep their parameters and
    running statistics; the model is changed in place and returned (``enabled`` False:
    returned as it is).

    Raises
    ------
    TypeError
        ``model`` is not a module, ``device`` not a device, ``enabled`` not a bool.
    """
    check_module(model)
    device = check_device(device)
    if not check_bool(enabled, "enabled"):
        return model
    if device.type == "cuda":
        return nn.SyncBatchNorm.convert_sync_batchnorm(model)
    return _convert(model)


def _convert(module):
    """Replace the BatchNorm2d layers under ``module`` (the root included) by SyncBatchNorm."""
    if type(module) is nn.BatchNorm2d:
        new = SyncBatchNorm(
            module.num_features, module.eps, module.momentum, module.affine,
            module.track_running_stats, device=_device_of(module),
        )  # fmt: skip
        new.load_state_dict(module.state_dict())
        new.train(module.training)
        return new
    for name, child in module.named_children():
        new = _convert(child)
        if new is not child:
            module.add_module(name, new)
    return module


def _device_of(module):
    for tensor in [*module.parameters(), *module.buffers()]:
        return tensor.device
    return None
