"""Transfer learning: reuse a network trained on one task for another with few labels.

Chapter 13 pretrains a small net on five CIFAR-10 classes and adapts it to the other five
in three ways: a **linear probe** (the pretrained layers frozen, a new linear classifier fitted
on their features: :func:`linear_probe`), **fine-tuning** (a new head, then every layer
trained: :func:`replace_head`), and training **from scratch** for comparison (Yosinski et
al. 2014, "How transferable are features in deep neural networks?").

=================================  ==========================================================
function                           returns
=================================  ==========================================================
:func:`class_subset`               the images of some classes, relabelled 0, 1, ...
:func:`per_class`                  indices of the first ``n`` images of each class (seeded)
:func:`replace_head`               the model with a new last linear layer (others frozen?)
:func:`features`                   a layer's output for many images, flattened, in batches
:func:`linear_probe`               a logistic regression on frozen features, and its accuracy
=================================  ==========================================================

Examples
--------
>>> labels = torch.tensor([0, 1, 2, 1, 0, 2, 1])
>>> class_subset(torch.arange(7), labels, [1, 2])
(tensor([1, 2, 3, 5, 6]), tensor([0, 1, 0, 1, 0]))
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from ._checks import check_bool, check_choice, check_int, check_number
from .inspect import _module
from .train._torch_checks import check_module, check_tensor

__all__ = ["class_subset", "features", "linear_probe", "per_class", "replace_head"]


def _labels(labels, name="labels"):
    check_tensor(labels, name)
    if labels.dim() != 1 or labels.is_floating_point():
        raise ValueError(f"{name} must be a 1-D tensor of class indices, got {labels!r:.60}")
    return labels


def class_subset(images, labels, classes):
    """The images whose label is in ``classes``, with labels renumbered by their position there.

    Parameters
    ----------
    images : torch.Tensor (N, ...)
    labels : torch.Tensor (N,) of int
    classes : sequence of int
        Distinct class indices; class ``classes[j]`` becomes label ``j``.

    Returns
    -------
    images, labels : torch.Tensor
        In their original order.

    Raises
    ------
    TypeError, ValueError
        Tensors of the wrong kind or length, ``classes`` empty, repeated or not ints.
    """
    check_tensor(images, "images")
    labels = _labels(labels)
    if len(images) != len(labels):
        raise ValueError(f"labels must have one entry per image ({len(images)}), got {len(labels)}")
    if not isinstance(classes, (tuple, list, range)) or not classes:
        raise TypeError(f"classes must be a non-empty sequence of ints, got {classes!r}")
    classes = [check_int(c, f"classes[{i}]", minimum=0) for i, c in enumerate(classes)]
    if len(set(classes)) != len(classes):
        raise ValueError(f"classes must be distinct, got {classes}")
    lookup = torch.full((max(classes + [int(labels.max())]) + 1,), -1, dtype=torch.long)
    lookup[classes] = torch.arange(len(classes))
    new = lookup[labels.cpu()]
    keep = new >= 0
    return images[keep.to(images.device)], new[keep].to(labels.device)


def per_class(labels, n, seed=0):
    """Indices of ``n`` images of every class, drawn at random (seeded), sorted.

    Each class is shuffled once with ``seed``, and its first ``n`` images are taken, so
    that the images of a smaller ``n`` are among those of a larger one (50 of 200 of 1,000).

    Raises
    ------
    TypeError, ValueError
        ``labels`` not a 1-D integer tensor; ``n`` not an int >= 1, or more than a class
        holds.

    Examples
    --------
    >>> per_class(torch.tensor([0, 0, 1, 1, 1]), 1, seed=0).tolist()
    [0, 2]
    """
    labels = _labels(labels).cpu()
    n = check_int(n, "n", minimum=1)
    seed = check_int(seed, "seed", minimum=0)
    generator = torch.Generator().manual_seed(seed)
    chosen = []
    for c in labels.unique():
        members = torch.nonzero(labels == c)[:, 0]
        if len(members) < n:
            raise ValueError(f"n must be at most {len(members)} (class {int(c)}), got {n}")
        chosen.append(members[torch.randperm(len(members), generator=generator)[:n]])
    return torch.cat(chosen).sort().values


def replace_head(model, num_classes, freeze=False):
    """Replace the last ``nn.Linear`` of ``model`` by a new one with ``num_classes`` outputs.

    The new layer has the old one's inputs and bias setting and PyTorch's default random
    initialization (seed the generator first). With ``freeze``, every other parameter stops
    learning (``requires_grad=False``). The model is changed in place and returned.

    Raises
    ------
    TypeError, ValueError
        ``model`` not a module or without a linear layer; ``num_classes`` not an int >= 1;
        ``freeze`` not a bool.
    """
    check_module(model)
    num_classes = check_int(num_classes, "num_classes", minimum=1)
    freeze = check_bool(freeze, "freeze")
    linears = [(name, m) for name, m in model.named_modules() if isinstance(m, nn.Linear)]
    if not linears:
        raise ValueError(f"model must contain an nn.Linear layer, got {type(model).__name__}")
    name, old = linears[-1]
    new = nn.Linear(old.in_features, num_classes, bias=old.bias is not None)
    new.to(old.weight.device)
    parent_name, _, child = name.rpartition(".")
    setattr(_module(model, parent_name) if parent_name else model, child, new)
    for p in model.parameters():
        p.requires_grad_(not freeze)
    for p in new.parameters():
        p.requires_grad_(True)
    return model


def features(model, layer, x, batch_size=500):
    """The output of ``layer`` for the images ``x``, flattened to ``(N, D)``, in eval mode.

    Runs ``model`` on batches of ``batch_size`` images without gradients and records the
    layer's output with a forward hook. Returns a float32 tensor on the CPU.

    Raises
    ------
    TypeError, ValueError
        ``model`` not a module, a layer it lacks, ``x`` not a 4-D float tensor,
        ``batch_size`` not an int >= 1.
    """
    from .inspect import feature_maps, layer_names

    check_module(model)
    layer = check_choice(layer, "layer", tuple(layer_names(model)))
    batch_size = check_int(batch_size, "batch_size", minimum=1)
    check_tensor(x, "x")
    parts = [feature_maps(model, chunk, layer)[layer] for chunk in x.split(batch_size)]
    return torch.cat(parts).flatten(1).float().cpu()


def linear_probe(train_features, train_labels, test_features, test_labels, weight_decay=1e-3,
                 steps=200):  # fmt: skip
    """Fit a logistic regression on frozen features; return its test accuracy.

    The features are standardized with the training features' mean and standard deviation;
    the softmax classifier ``W f + b`` minimizes the mean cross-entropy plus
    ``weight_decay * ||W||^2`` with full-batch L-BFGS (``steps`` iterations, from zeros: the
    result does not depend on a seed).

    Parameters
    ----------
    train_features, test_features : torch.Tensor (N, D)
        From :func:`features`.
    train_labels, test_labels : torch.Tensor (N,) of int
    weight_decay : float, default 1e-3
    steps : int, default 200

    Returns
    -------
    dict
        ``test_acc`` and ``train_acc`` in [0, 1], and ``classifier``, the fitted
        ``nn.Linear`` (on standardized features).

    Raises
    ------
    TypeError, ValueError
        Tensors of the wrong kind or of different lengths; a negative ``weight_decay``;
        ``steps`` below 1.
    """
    for name, value in (("train_features", train_features), ("test_features", test_features)):
        check_tensor(value, name)
        if value.dim() != 2:
            raise ValueError(f"{name} must have shape (N, D), got {tuple(value.shape)}")
    train_labels, test_labels = (
        _labels(train_labels, "train_labels"),
        _labels(test_labels, "test_labels"),
    )
    if len(train_labels) != len(train_features) or len(test_labels) != len(test_features):
        raise ValueError(
            f"train_labels and test_labels must have one entry per feature vector "
            f"({len(train_features)}, {len(test_features)}), got {len(train_labels)}, "
            f"{len(test_labels)}"
        )
    weight_decay = check_number(weight_decay, "weight_decay", minimum=0)
    steps = check_int(steps, "steps", minimum=1)
    mean, std = train_features.mean(0), train_features.std(0).clamp_min(1e-6)
    f_train, f_test = (train_features - mean) / std, (test_features - mean) / std
    y_train = train_labels.cpu()
    classes = int(max(y_train.max(), test_labels.max())) + 1
    classifier = nn.Linear(f_train.shape[1], classes)
    nn.init.zeros_(classifier.weight), nn.init.zeros_(classifier.bias)
    optimizer = torch.optim.LBFGS(
        classifier.parameters(), max_iter=steps, line_search_fn="strong_wolfe"
    )

    def closure():
        optimizer.zero_grad()
        loss = F.cross_entropy(classifier(f_train), y_train)
        loss = loss + weight_decay * classifier.weight.pow(2).sum()
        loss.backward()
        return loss

    optimizer.step(closure)
    with torch.no_grad():
        train_acc = (classifier(f_train).argmax(1) == y_train).float().mean().item()
        test_acc = (classifier(f_test).argmax(1) == test_labels.cpu()).float().mean().item()
    return {"test_acc": test_acc, "train_acc": train_acc, "classifier": classifier}
