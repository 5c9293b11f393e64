"""cnnviz.zoo: the architecture table against torchvision's own metadata, and the loading of
ImageNet weights through a temporary hub cache (plumbing only: no download, no accuracy)."""

import numpy as np
import pytest
import torch
import torchvision
from PIL import Image
from torch import nn
from torchvision.models import MobileNet_V2_Weights, VGG16_Weights

from cnnviz import images, zoo

pytestmark = pytest.mark.usefixtures("one_torch_thread")

TORCHVISION_NETS = [name for name, a in zoo.ARCHITECTURES.items() if a.weights is not None]


@pytest.fixture(scope="module")
def rows():
    return {row["name"]: row for row in zoo.architecture_table(repeats=0)}


@pytest.mark.parametrize("name", TORCHVISION_NETS)
def test_counts_agree_with_torchvision_metadata(rows, name):
    row = rows[name]
    assert row["params"] == row["meta_params"]
    # meta["_ops"] is in billions of multiply-adds (torchvision calls them GFLOPS), rounded
    # to 3 decimals; FlopCounterMode counts 2 FLOPs per multiply-add.
    assert row["flops"] / 2e9 == pytest.approx(row["meta_gmacs"], abs=5e-4)
    assert 50 < row["top1"] < row["top5"] < 100


def test_depths_and_receptive_fields_of_the_table(rows):
    depth = {name: row["depth"] for name, row in rows.items()}
    assert depth == {
        "lenet5": 5, "alexnet": 8, "vgg16": 16, "googlenet": 22, "resnet18": 18,
        "resnet50": 50, "mobilenet_v2": 53, "convnext_tiny": 59,
    }  # fmt: skip
    assert rows["resnet18"]["field"] == 435 and rows["vgg16"]["field"] == 212
    assert rows["lenet5"]["field"] == 32  # C5 sees the padded 32 x 32 input: all of it
    assert rows["lenet5"]["top1"] is None and rows["lenet5"]["cpu_ms"] is None
    assert [r["year"] for r in rows.values()] == sorted(r["year"] for r in rows.values())


def test_format_table_fits_88_characters(rows):
    text = zoo.format_table(list(rows.values()))
    lines = text.splitlines()
    assert len(lines) == 2 + len(rows) and max(map(len, lines)) <= 88
    assert "VGG-16" in text and " – " in text  # LeNet-5 has no ImageNet accuracy


def test_cpu_seconds_is_a_positive_median():
    seconds = zoo.cpu_seconds(nn.Conv2d(3, 4, 3), (1, 3, 16, 16), repeats=3)
    assert 0 < seconds < 1


@pytest.fixture
def hub(tmp_path, monkeypatch):
    """An empty temporary torch hub cache; any attempt to download fails the test."""
    monkeypatch.setattr(torch.hub, "_hub_dir", str(tmp_path))

    def no_download(*args, **kwargs):
        raise AssertionError("a download was attempted")

    monkeypatch.setattr(torch.hub, "download_url_to_file", no_download)
    return tmp_path


def test_weights_file_is_in_the_hub_cache(hub):
    path = zoo.weights_file(VGG16_Weights.IMAGENET1K_V1)
    assert path == hub / "checkpoints" / "vgg16-397923af.pth"


def test_without_cached_weights_nothing_is_loaded_or_downloaded(hub):
    model, weights = zoo.load_imagenet("vgg16")
    assert model is None and weights is VGG16_Weights.IMAGENET1K_V1
    assert weights.meta["categories"][269] == "timber wolf"  # metadata works offline
    with pytest.raises(ValueError, match="name must be a network with ImageNet weights"):
        zoo.load_imagenet("lenet5")


def test_cached_weights_load_through_the_same_function(hub, tmp_path):
    """A state_dict of the right shape (random values) in the cache: the plumbing, not the
    accuracy. MobileNetV2 stands in for VGG-16 (14 MB instead of 528 MB); the path is the same."""
    torch.manual_seed(0)
    weights = MobileNet_V2_Weights.IMAGENET1K_V1
    state = torchvision.models.mobilenet_v2().state_dict()
    path = zoo.weights_file(weights)
    path.parent.mkdir(parents=True)
    torch.save(state, path)
    model, found = zoo.load_imagenet("mobilenet_v2")
    assert found is weights and not model.training
    for key, value in model.state_dict().items():
        torch.testing.assert_close(value, state[key])
    photo = images.sample_photo(gray=False)
    top = zoo.classify(model, weights, photo, k=5)
    assert [name for name, _ in top] == [
        weights.meta["categories"][i] for i in _top_indices(model, weights, photo)
    ]
    probs = [p for _, p in top]
    assert probs == sorted(probs, reverse=True) and 0 < sum(probs) <= 1 + 1e-6
    file = tmp_path / "mine.png"  # a reader's own photo, by its path
    Image.fromarray((255 * photo).round().astype(np.uint8)).save(file)
    assert [n for n, _ in zoo.classify(model, weights, file, k=5)] == [n for n, _ in top]


def _top_indices(model, weights, photo):
    """The recipe of torchvision's documentation, written out."""
    x = weights.transforms()(Image.fromarray((255 * photo).round().astype(np.uint8)))
    with torch.no_grad():
        return model(x.unsqueeze(0)).softmax(1)[0].topk(5).indices.tolist()


def test_classify_refuses_what_is_not_an_image(tmp_path):
    model = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(3, 1000))
    with pytest.raises(ValueError, match="image must be an existing image file"):
        zoo.classify(model, VGG16_Weights.IMAGENET1K_V1, tmp_path / "missing.jpg")
    with pytest.raises(TypeError, match="image must be a file path"):
        zoo.classify(model, VGG16_Weights.IMAGENET1K_V1, np.zeros((4, 4)))


#: One valid call per public function (tests/test_bad_input.py tries a bad value in each).
ZOO_CALLS = {
    "build": dict(name="lenet5"),
    "profile": dict(name="lenet5", repeats=1),
    "architecture_table": dict(names=("lenet5",), repeats=0),
    "format_table": dict(rows=[zoo.profile("lenet5", 0)]),
    "cpu_seconds": dict(model=nn.Conv2d(3, 4, 3), input_size=(1, 3, 8, 8), repeats=1),
    "weights_file": dict(weights=VGG16_Weights.IMAGENET1K_V1),
    "load_imagenet": dict(name="alexnet"),
    "classify": dict(
        model=nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(3, 1000)),
        weights=VGG16_Weights.IMAGENET1K_V1,
        image=np.zeros((8, 8, 3)),
        k=5,
    ),
}
