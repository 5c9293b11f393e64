"""cnnviz.transfer: subsets by class, a new head, frozen features and the linear probe."""

import pytest
import torch
from torch import nn

from cnnviz import transfer
from cnnviz.models import FastNet

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def test_class_subset_keeps_order_and_renumbers():
    labels = torch.tensor([5, 9, 0, 7, 5, 7])
    x, y = transfer.class_subset(torch.arange(6) * 10, labels, [7, 5])
    assert x.tolist() == [0, 30, 40, 50] and y.tolist() == [1, 0, 1, 0]
    with pytest.raises(ValueError, match="classes must be distinct"):
        transfer.class_subset(torch.arange(6), labels, [5, 5])


def test_per_class_draws_nested_balanced_subsets():
    labels = torch.arange(100) % 4
    small, large = transfer.per_class(labels, 5, seed=3), transfer.per_class(labels, 20, seed=3)
    assert torch.bincount(labels[small]).tolist() == [5] * 4
    assert set(small.tolist()) <= set(large.tolist())
    assert not torch.equal(small, transfer.per_class(labels, 5, seed=4))
    with pytest.raises(ValueError, match="n must be at most 25"):
        transfer.per_class(labels, 26)


def test_replace_head_freezes_all_but_the_new_layer():
    torch.manual_seed(0)
    model = FastNet((8, 8, 8), num_classes=10, whiten=False)
    old = model.head[2]
    transfer.replace_head(model, 5, freeze=True)
    assert model.head[2] is not old and model.head[2].out_features == 5
    trainable = [n for n, p in model.named_parameters() if p.requires_grad]
    assert trainable == ["head.2.weight"]  # FastNet's linear layer has no bias
    assert model(torch.zeros(2, 3, 32, 32)).shape == (2, 5)
    transfer.replace_head(model, 3)
    assert all(p.requires_grad for p in model.parameters())
    with pytest.raises(ValueError, match="model must contain an nn.Linear"):
        transfer.replace_head(nn.Conv2d(3, 4, 3), 2)


def test_features_equal_one_forward_pass():
    torch.manual_seed(0)
    model, x = FastNet((8, 8, 8), whiten=False).eval(), torch.randn(7, 3, 32, 32)
    f = transfer.features(model, "head.1", x, batch_size=3)
    with torch.no_grad():
        expected = model.head[1](
            model.head[0](model.block3(model.block2(model.block1(model.stem(x)))))
        )
    torch.testing.assert_close(f, expected)


def test_linear_probe_separates_separable_features():
    g = torch.Generator().manual_seed(0)
    centres = 3 * torch.randn(3, 8, generator=g)
    y = torch.arange(300) % 3
    f = centres[y] + torch.randn(300, 8, generator=g)
    result = transfer.linear_probe(f[:200], y[:200], f[200:], y[200:])
    assert result["train_acc"] > 0.95 and result["test_acc"] > 0.9
    again = transfer.linear_probe(f[:200], y[:200], f[200:], y[200:])
    assert again["test_acc"] == result["test_acc"]  # from zeros: no seed needed
    with pytest.raises(ValueError, match="train_labels and test_labels must have one entry"):
        transfer.linear_probe(f[:200], y[:100], f[200:], y[200:])


def test_linear_probe_agrees_with_scikit_learn():
    sklearn = pytest.importorskip("sklearn.linear_model")
    g = torch.Generator().manual_seed(1)
    y = torch.arange(400) % 4
    f = torch.randn(4, 6, generator=g)[y] + 1.5 * torch.randn(400, 6, generator=g)
    ours = transfer.linear_probe(f[:300], y[:300], f[300:], y[300:], weight_decay=1e-3)
    mean, std = f[:300].mean(0), f[:300].std(0)
    # the same objective: mean cross-entropy + wd ||W||^2  <=>  C = 1 / (2 wd n)
    theirs = sklearn.LogisticRegression(C=1 / (2 * 1e-3 * 300), max_iter=5000, tol=1e-8)
    theirs.fit(((f[:300] - mean) / std).numpy(), y[:300].numpy())
    pred = theirs.predict(((f[300:] - mean) / std).numpy())
    assert abs(ours["test_acc"] - (pred == y[300:].numpy()).mean()) <= 0.02


#: One valid call per public function (tests/test_bad_input.py tries a bad value in each).
TRANSFER_CALLS = {
    "class_subset": dict(
        images=torch.zeros(4, 1), labels=torch.tensor([0, 1, 2, 1]), classes=[1, 2]
    ),
    "per_class": dict(labels=torch.tensor([0, 1, 0, 1]), n=1, seed=0),
    "replace_head": dict(
        model=nn.Sequential(nn.Flatten(), nn.Linear(4, 3)), num_classes=2, freeze=False
    ),
    "features": dict(
        model=FastNet((4, 4, 4), whiten=False),
        layer="head.1",
        x=torch.zeros(2, 3, 32, 32),
        batch_size=1,
    ),
    "linear_probe": dict(
        train_features=torch.randn(6, 2),
        train_labels=torch.tensor([0, 1, 0, 1, 0, 1]),
        test_features=torch.randn(2, 2),
        test_labels=torch.tensor([0, 1]),
        weight_decay=1e-3,
        steps=5,
    ),
}
