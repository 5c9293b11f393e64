"""Predictions and accuracy of a trained model, with flip test-time augmentation (TTA)."""

import torch
import torch.nn.functional as F

from .._checks import check_bool
from ._torch_checks import check_loader, check_module
from .distributed import all_reduce_sum, current_process
from .precision import amp_dtype, autocast

__all__ = ["evaluate", "predict"]


def predict(model, loader, tta=True, amp="off", channels_last=False):
    """Logits of every image of ``loader`` (in its order), as a float32 CPU tensor ``(N, K)``.

    With ``tta`` (test-time augmentation) each image is seen twice, as is and mirrored
    left-right, and the two logits are averaged: the net was trained on both views, and
    the average makes fewer mistakes than either (about +0.5 % on CIFAR-10). The model is
    evaluated in eval mode and left in the mode it was in.

    Parameters
    ----------
    model : torch.nn.Module
    loader : cnnviz.data.Loader
    tta : bool, default True
    amp : {"auto", "bf16", "fp16", "off"}, default "off"
        As for :func:`~cnnviz.train.amp_dtype`.
    channels_last : bool, default False
        Give the model ``channels_last`` batches.

    A sharded loader (:meth:`cnnviz.data.Loader.shard`) gives the logits of this process's
    share of the images only.

    Raises
    ------
    TypeError
        ``model`` is not a module, ``loader`` not a loader, ``tta`` or ``channels_last`` not
        a bool.
    """
    return _outputs(model, loader, tta, amp, channels_last)[0]


@torch.no_grad()  # predict and evaluate both: no autograd graph
def _outputs(model, loader, tta, amp, channels_last):
    """The logits of :func:`predict` and the labels of the same images, on the CPU."""
    check_module(model), check_loader(loader)
    tta, channels_last = check_bool(tta, "tta"), check_bool(channels_last, "channels_last")
    dtype = amp_dtype(loader.device, amp)
    was_training = model.training
    model.eval()
    outputs, labels = [], []
    try:
        for x, y in loader:
            if channels_last:
                x = x.contiguous(memory_format=torch.channels_last)
            with autocast(x.device, dtype):
                logits = model(x).float()
                if tta:
                    logits = 0.5 * (logits + model(x.flip(-1)).float())
            outputs.append(logits)  # kept on the device: a copy per batch would wait for it
            labels.append(y)
    finally:
        model.train(was_training)
    if not outputs:
        return torch.empty(0), torch.empty(0, dtype=torch.long)
    return torch.cat(outputs).cpu(), torch.cat(labels).cpu()


def evaluate(model, loader, tta=True, amp="off", channels_last=False):
    """Accuracy and mean cross-entropy of ``model`` on ``loader`` (see :func:`predict`).

    With a sharded loader (in a process group started by ``torchrun``), every process
    evaluates its share and the sums (right answers, loss, images) are all-reduced, so that
    all processes return the accuracy and loss of the whole dataset.

    Returns
    -------
    dict
        ``{"acc": float, "loss": float}``, the accuracy in ``[0, 1]``, the loss in nats.

    Raises
    ------
    ValueError
        A sharded loader outside a process group of its size.
    """
    logits, labels = _outputs(model, loader, tta, amp, channels_last)
    world = getattr(loader, "world_size", 1)
    if world == 1:
        return {
            "acc": (logits.argmax(1) == labels).float().mean().item(),
            "loss": F.cross_entropy(logits, labels).item(),
        }
    process = current_process()
    if process.world_size != world:
        raise ValueError(
            f"loader must be sharded for the process group ({process.world_size} "
            f"processes), got world_size {world}"
        )
    right = (logits.argmax(1) == labels).sum().item()
    loss = F.cross_entropy(logits, labels, reduction="sum").item()
    totals = torch.tensor([right, loss, len(labels)], dtype=torch.float64, device=loader.device)
    right, loss, count = all_reduce_sum(totals).tolist()
    return {"acc": right / count, "loss": loss / count}
