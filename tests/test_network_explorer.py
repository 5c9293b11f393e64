"""The kernel-free network explorer (:mod:`cnnviz.explorers.network`): a trained CNN in the page.

Without a browser: the layers the page runs (BatchNorm folded, each named after the torch
module whose output it reproduces) give PyTorch's outputs when run with :mod:`cnnviz.ops`;
the stored weights keep 16 significant bits; networks the page cannot run are refused with
the layer's name; bad arguments raise clear errors; the output is self-contained and small.

In headless Chromium (the system ``chromium`` through Playwright, as the other explorer tests),
a differential test: for every embedded image the page's logits must be within 1e-3 of the
PyTorch model's (float32, on the same input) with the same predicted class, and every layer's
feature maps must match the model's forward hooks. It runs on the shipped network (with the
CIFAR-10 test images when ``CNNVIZ_DATA_DIR`` has them, random images otherwise) and on a
reader's own checkpoint with the whitening stem, both on one page. Then a reader's clicks:
every image, every layer's "all" button, a map, a unit (its receptive field against
:func:`cnnviz.inspect.receptive_field`), the hidden square (against the same input computed
in Python), an uploaded image, with no JavaScript error and no request.
"""

from __future__ import annotations

import os
import re

import numpy as np
import pytest
import torch
from test_layer_explorers import Controls, Page
from torch import nn

from cnnviz import inspect, models, ops, train
from cnnviz.data import CIFAR10_CLASSES
from cnnviz.explorers import network_explorer
from cnnviz.explorers.network import MAX_IMAGES, _float24, page_layers

LOGIT_TOLERANCE = 1e-3  # the bound on |page logits - PyTorch logits|


@pytest.fixture(scope="module")
def shipped():
    net, checkpoint = models.load_pretrained()
    return net, checkpoint


def _random_images(n, seed=0, size=32):
    rng = np.random.default_rng(seed)
    return rng.integers(0, 256, size=(n, 3, size, size), dtype=np.uint8)


@pytest.fixture(scope="module")
def test_images():
    """3 CIFAR-10 test images per class (the real ones when the data is here)."""
    labels = np.repeat(np.arange(10), 3)
    if not os.environ.get("CNNVIZ_DATA_DIR"):
        return _random_images(30), labels, "random"
    from cnnviz import data

    x, y, _ = data.cifar10_tensors("test")
    index = torch.cat([torch.nonzero(y == c)[:3, 0] for c in range(10)])
    return x[index].numpy(), y[index].numpy(), "cifar10"


def _own_network(seed=1):
    """A reader's chapter 11 net: the whitening stem, BatchNorm statistics far from 0 and 1."""
    torch.manual_seed(seed)
    net = models.FastNet(widths=(8, 16, 16))
    net.fit_whitening(torch.randn(64, 3, 32, 32))
    for module in net.modules():
        if isinstance(module, nn.BatchNorm2d):
            module.running_mean.uniform_(-1, 1)
            module.running_var.uniform_(0.2, 3)
            module.weight.data.uniform_(-2, 2)  # negative scales too
            module.bias.data.uniform_(-1, 1)
    return net.eval()


@pytest.fixture(scope="module")
def own_checkpoint(tmp_path_factory):
    path = tmp_path_factory.mktemp("own") / "my_net.pt"
    train.save_checkpoint(
        path,
        _own_network(),
        mean=[0.49, 0.48, 0.45],
        std=[0.25, 0.24, 0.26],
        classes=CIFAR10_CLASSES,
        model_args={"widths": [8, 16, 16]},
    )
    return path


def _normalized(images, mean, std):
    x = torch.from_numpy(np.asarray(images)).float() / 255
    return (x - torch.tensor(mean).view(1, -1, 1, 1)) / torch.tensor(std).view(1, -1, 1, 1)


# ---------------------------------------------------------------------------------------------
# Without a browser
# ---------------------------------------------------------------------------------------------


def _run_numpy(layers, x):
    """The page's plan run with cnnviz.ops: the reference of what network.js computes."""
    outputs = {}
    for layer in layers:
        o, a = layer.options, layer.arrays
        if layer.kind == "conv2d":
            x = ops.conv2d(x, a["weight"], a.get("bias"), **o)
        elif layer.kind == "batch_norm":
            x = x * a["scale"][:, None, None] + a["shift"][:, None, None]
        elif layer.kind in ("max_pool2d", "avg_pool2d"):
            pool = getattr(ops, layer.kind)
            x = pool(x, o["kernel_size"], **{k: v for k, v in o.items() if k != "kernel_size"})
        elif layer.kind == "flatten":
            x = x.reshape(-1)
        elif layer.kind == "linear":
            x = ops.linear(x, a["weight"], a.get("bias"))
        elif layer.kind == "mul":
            x = x * o["scale"]
        else:
            x = ops.ACTIVATIONS[layer.kind].function(x, **o)
        outputs[layer.name] = np.asarray(x)
    return outputs


def _torch_maps(net, x, names):
    found = inspect.feature_maps(net, x, names)
    return {name: found[name][0].double().numpy() for name in names}


@pytest.mark.parametrize("which", ["shipped", "own"])
def test_the_page_plan_gives_pytorch_outputs(which, shipped):
    net = shipped[0] if which == "shipped" else _own_network()
    layers = page_layers(net)
    x = _normalized(_random_images(1, seed=3), (0.5,) * 3, (0.25,) * 3)
    ours = _run_numpy(layers, x[0].double().numpy())
    theirs = _torch_maps(net, x, [layer.name for layer in layers])
    for layer in layers:
        scale = max(1.0, np.abs(theirs[layer.name]).max())
        np.testing.assert_allclose(
            ours[layer.name].reshape(theirs[layer.name].shape),
            theirs[layer.name],
            rtol=0,
            atol=1e-4 * scale,
            err_msg=layer.name,
        )


def test_batchnorm_is_folded_where_it_follows_a_convolution(shipped):
    layers = {layer.name: layer for layer in page_layers(shipped[0])}
    assert layers["stem.1"].modules == ["stem.0", "stem.1"]
    assert layers["stem.1"].kind == "conv2d" and "bias" in layers["stem.1"].arrays
    assert layers["block1.5"].modules == ["block1.4", "block1.5"]
    # after a max-pool it cannot be folded (a negative scale does not commute with max)
    assert layers["block1.2"].kind == "batch_norm"
    assert [layer.shape for layer in layers.values()][-1] == (10,)
    rf = inspect.receptive_field(shipped[0], "block2.6")
    assert layers["block2.6"].field == {"size": rf.size, "jump": rf.jump, "start": rf.start}
    assert layers["head.1"].field is None


def test_weights_keep_sixteen_significant_bits():
    values = np.random.default_rng(0).normal(size=10_000).astype(np.float32) * 10.0 ** (
        np.random.default_rng(1).uniform(-20, 20, size=10_000)
    ).astype(np.float32)
    values = np.concatenate([values, [0.0, -0.0, 1.0, -2.5]]).astype(np.float32)
    stored = np.frombuffer(_float24(values), dtype=np.uint8).reshape(-1, 3).astype(np.uint32)
    bits = (stored[:, 0] << 24) | (stored[:, 1] << 16) | (stored[:, 2] << 8)
    decoded = bits.view(np.float32)
    assert np.all(np.abs(decoded - values) <= np.abs(values) * 2.0**-16)
    assert np.array_equal(decoded[-4:], [0.0, -0.0, 1.0, -2.5])


class Doubled(nn.Module):
    """A container whose forward computes more than its children (x * 2)."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3)

    def forward(self, x):
        return self.conv(x) * 2


class Residual(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 3, 3, padding=1)

    def forward(self, x):
        return x + self.conv(x)


def _head(channels):
    return [nn.AdaptiveMaxPool2d(1), nn.Flatten(), nn.Linear(channels, 10)]


@pytest.mark.parametrize(
    ("body", "named"),
    [
        ([nn.Conv2d(3, 4, 3, groups=1), nn.Conv2d(4, 4, 3, groups=2)], "'1' (Conv2d with groups=2"),
        ([Residual()], "'1' (AdaptiveMaxPool2d, whose input is not the output of '0.conv'"),
        ([Doubled()], "'1' (AdaptiveMaxPool2d, whose input is not the output of '0.conv'"),
        ([nn.Upsample(scale_factor=2)], "'0' (Upsample)"),
        ([nn.MaxPool2d(2, ceil_mode=True)], "'0' (MaxPool2d with ceil_mode=True)"),
        ([nn.Conv2d(3, 3, 3), nn.AdaptiveAvgPool2d(2)], "'1' (AdaptiveAvgPool2d with output_size"),
    ],
    ids=["groups", "skip", "extra-op", "upsample", "ceil-mode", "adaptive-2"],
)
def test_a_network_the_page_cannot_run_is_refused_by_layer(body, named):
    channels = 4 if isinstance(body[-1], (nn.Conv2d, Doubled)) else 3
    net = nn.Sequential(*body, *_head(channels))
    if isinstance(body[-1], nn.AdaptiveAvgPool2d):
        net = nn.Sequential(*body, nn.Flatten(), nn.Linear(12, 10))
    with pytest.raises(ValueError, match="^model must be a network the page can run") as error:
        page_layers(net)
    assert f"got layer {named}" in str(error.value)


def test_a_network_without_a_vector_of_scores_is_refused():
    with pytest.raises(ValueError, match=r"one vector of class scores per image, got \(4, 30"):
        page_layers(nn.Sequential(nn.Conv2d(3, 4, 3)))


@pytest.mark.parametrize(
    ("change", "error", "message"),
    [
        ({"images": np.zeros((2, 3, 32, 32))}, TypeError, "images must be uint8"),
        (
            {"images": np.zeros((2, 32, 32, 3), dtype=np.uint8)},
            ValueError,
            r"images must be channels-first \(N, C, H, W\).*permute",
        ),
        (
            {"images": np.zeros((101, 3, 32, 32), dtype=np.uint8), "labels": [0] * 101},
            ValueError,
            f"images must hold 1 to {MAX_IMAGES} images, got 101",
        ),
        ({"labels": [0, 10]}, ValueError, r"labels must lie in \[0, 10\)"),
        ({"labels": [0]}, ValueError, r"labels must have shape \(2,\)"),
        ({"labels": [0.0, 1.0]}, TypeError, "labels must be integer class indices"),
        ({"classes": CIFAR10_CLASSES[:9]}, ValueError, "classes must have 10 entries"),
        ({"mean": (0.5, 0.5)}, ValueError, "mean must have 3 values"),
        ({"std": (0.2, 0.0, 0.2)}, ValueError, r"std\[1\] must be"),
        ({"mean": None}, ValueError, "mean must be given for a model without a checkpoint"),
        ({"title": 3}, TypeError, "title must be a str or None, got 3"),
    ],
)
def test_bad_arguments_name_the_argument(change, error, message):
    kwargs = {
        "model": models.FastNet(widths=(4, 4, 4)),
        "images": np.zeros((2, 3, 32, 32), dtype=np.uint8),
        "labels": [0, 1],
        "classes": CIFAR10_CLASSES,
        "mean": (0.5,) * 3,
        "std": (0.25,) * 3,
        **change,
    }
    with pytest.raises(error, match=message):
        network_explorer(**kwargs)


def test_the_output_is_self_contained_and_small(shipped, test_images):
    images, labels, _ = test_images
    explorer = network_explorer("cifar10-fastnet", images, labels)
    page = explorer.html
    assert explorer._repr_html_() == page
    assert page.startswith('<div class="cnnviz-network cnnviz-explorer cnnviz-layer" ')
    assert 'data-cnnviz-explorer="network"' in page.split(">", 1)[0]
    assert not re.search(r"""(src|href)\s*=\s*["']?\s*(https?:)?//""", page, re.IGNORECASE)
    assert not re.search(r"<link\b|@import|type=\"module\"", page)
    assert not re.search(r"\b(fetch|XMLHttpRequest|require|define|import)\s*\(", page)
    assert Controls(page).scripts == 1 and page.count("<style>") == 1
    # the book's page holds the chapter too: the explorer leaves it room under 2 MB
    assert len(page.encode()) < 1.6e6, f"{len(page.encode()) / 1e6:.2f} MB"
    assert explorer.classes == CIFAR10_CLASSES and explorer.mean == pytest.approx(
        shipped[1]["mean"]
    )


# ---------------------------------------------------------------------------------------------
# In Chromium
# ---------------------------------------------------------------------------------------------


class NetworkPage(Page):
    """The explorers on a blank page; an uploaded image's blob: URL is the only request allowed."""

    def check_clean(self):
        assert not self.errors, self.errors
        local = ("about:", "data:", "blob:")
        assert not [u for u in self.requests if not u.startswith(local)], self.requests

    def api(self, index, script, arg=None):
        """``script`` (a function of root.cnnviz and arg) run on explorer ``index``."""
        return self.root(index).evaluate(f"(root, arg) => ({script})(root.cnnviz, arg)", arg)


# Settings `arg` applied, then what the page shows (its layers too, unless WITH_LAYERS is false).
READ_ALL = """(api, arg) => {
  if (arg) { api.set(arg); }
  const plain = a => ({shape: Array.from(a.shape), data: Array.from(a.data)});
  const layers = {};
  const names = WITH_LAYERS ? Object.keys(api.layers) : [];
  names.forEach(name => { layers[name] = plain(api.layers[name]); });
  return {input: plain(api.input), logits: api.output.logits,
          probabilities: api.output.probabilities, label: api.label, count: api.count,
          layers: layers, params: api.params, message: api.message};
}"""
READ = READ_ALL.replace("WITH_LAYERS", "true")
READ_OUTPUT = READ_ALL.replace("WITH_LAYERS", "false")  # 30 images: the layers are slow to send


@pytest.fixture(scope="module")
def page(browser, shipped, test_images, own_checkpoint):
    images, labels, _ = test_images
    own_images = _random_images(6, seed=5)
    explorers = [
        network_explorer("cifar10-fastnet", images, labels),
        network_explorer(own_checkpoint, own_images, [0, 1, 2, 3, 4, 5]),
    ]
    holder = NetworkPage(browser, explorers)
    holder.explorers = explorers
    own_net, checkpoint = models.load_pretrained(own_checkpoint)
    holder.nets = [shipped[0], own_net]
    yield holder
    holder.page.close()


def _logits(net, x):
    with torch.no_grad():
        return net(torch.tensor(np.asarray(x), dtype=torch.float32)[None])[0].double().numpy()


@pytest.mark.parametrize("index", [0, 1], ids=["shipped", "own-checkpoint"])
def test_logits_match_pytorch_for_every_image(page, index):
    explorer, net = page.explorers[index], page.nets[index]
    x = _normalized(explorer.images, explorer.mean, explorer.std)
    with torch.no_grad():
        expected = net(x).double().numpy()
    worst = 0.0
    for i in range(len(explorer.images)):
        state = page.api(index, READ_OUTPUT, {"image": i})
        assert state["count"] == len(explorer.images) and state["label"] == explorer.labels[i]
        np.testing.assert_allclose(
            np.reshape(state["input"]["data"], state["input"]["shape"]), x[i], atol=1e-6
        )
        logits = np.array(state["logits"])
        worst = max(worst, np.abs(logits - expected[i]).max())
        assert logits.argmax() == expected[i].argmax(), f"image {i}"
        np.testing.assert_allclose(np.sum(state["probabilities"]), 1.0, atol=1e-12)
    assert worst <= LOGIT_TOLERANCE, f"largest logit difference {worst:.2e}"
    page.check_clean()


@pytest.mark.parametrize("index", [0, 1], ids=["shipped", "own-checkpoint"])
def test_every_layer_matches_pytorch(page, index):
    explorer, net = page.explorers[index], page.nets[index]
    names = [layer.name for layer in explorer.layers]
    for i in (0, len(explorer.images) - 1):
        state = page.api(index, READ, {"image": i})
        assert list(state["layers"]) == names
        x = torch.tensor(state["input"]["data"], dtype=torch.float32).view(1, 3, 32, 32)
        expected = _torch_maps(net, x, names)
        for name in names:
            got = np.reshape(state["layers"][name]["data"], state["layers"][name]["shape"])
            scale = max(1.0, np.abs(expected[name]).max())
            np.testing.assert_allclose(
                got.reshape(expected[name].shape), expected[name], atol=1e-3 * scale, err_msg=name
            )
    page.check_clean()


def test_the_hidden_square_is_the_input_python_computes(page):
    explorer, net = page.explorers[0], page.nets[0]
    state = page.api(0, READ, {"image": 4, "occlusion": [10, 30], "window": 6})
    assert state["params"]["occlude"] and state["params"]["occlusion"] == [10, 30]
    x = _normalized(explorer.images[4:5], explorer.mean, explorer.std)[0]
    x[:, 7:13, 27:32] = 0.0  # rows 10 - 3 to 10 + 3, columns 27 to the edge
    page_input = np.reshape(state["input"]["data"], state["input"]["shape"])
    np.testing.assert_allclose(page_input, x, atol=1e-6)
    np.testing.assert_allclose(state["logits"], _logits(net, x), atol=LOGIT_TOLERANCE)
    cleared = page.api(0, READ, {"occlusion": None})
    assert cleared["params"]["occlusion"] is None and not cleared["params"]["occlude"]
    page.check_clean()


def _click_fraction(locator, fy, fx):
    box = locator.bounding_box()
    locator.click(position={"x": box["width"] * fx, "y": box["height"] * fy})


def test_a_clicked_unit_outlines_its_receptive_field(page, shipped):
    root = page.root(0)
    page.api(0, READ, {"image": 2, "occlusion": None})
    for name, channel in [("block2.6", 3), ("stem.2", 0), ("block3.1", 5)]:
        tile = root.locator(f'[data-layer="{name}"] .cnnviz-net-map[data-channel="{channel}"]')
        tile.click()
        big = root.locator(".cnnviz-net-big")
        _click_fraction(big, 0.55, 0.2)
        opened = page.api(0, "api => api.opened")
        h, w = next(layer.shape[1:] for layer in page.explorers[0].layers if layer.name == name)
        assert opened["layer"] == name and opened["channel"] == channel
        assert opened["unit"] == [int(0.55 * h), int(0.2 * w)]
        rf = inspect.receptive_field(shipped[0], name)
        assert opened["field"]["rows"] == list(rf.window(opened["unit"][0]))
        assert opened["field"]["cols"] == list(rf.window(opened["unit"][1]))
    root.locator(".cnnviz-net-close").click()
    assert page.api(0, "api => api.opened") is None
    page.check_clean()


def test_a_reader_clicks_through_images_and_layers(page):
    root = page.root(0)
    count = page.api(0, "api => api.count")
    for i in range(0, count, 7):
        root.locator(f'.cnnviz-net-thumb[data-image="{i}"]').click()
        assert page.api(0, "api => api.params.image") == i
    for button in range(root.locator(".cnnviz-net-more").count()):
        root.locator(".cnnviz-net-more").nth(button).click()  # "all N" maps of that layer
    shown = root.locator('[data-layer="block3.6"] .cnnviz-net-map').count()
    assert shown == 128
    _click_fraction(root.locator(".cnnviz-net-image"), 0.5, 0.5)  # hides a square there
    assert page.api(0, "api => api.params.occlusion") == [16, 16]
    root.locator('[data-param="occlude"]').click()  # the box off: the whole image again
    assert page.api(0, "api => api.params.occlusion") is None
    page.check_clean()


def test_an_uploaded_image_is_resized_and_runs(page, tmp_path):
    from PIL import Image

    rng = np.random.default_rng(7)
    Image.fromarray(rng.integers(0, 256, (45, 60, 3), dtype=np.uint8)).save(tmp_path / "mine.png")
    root = page.root(0)
    root.locator('input[type="file"]').set_input_files(str(tmp_path / "mine.png"))
    page.page.wait_for_function(
        "id => document.getElementById(id).cnnviz.params.image === -1",
        arg=page.explorers[0].element_id,
    )
    state = page.api(0, READ)
    assert state["label"] is None and state["input"]["shape"] == [3, 32, 32]
    x = np.reshape(state["input"]["data"], (3, 32, 32))
    np.testing.assert_allclose(state["logits"], _logits(page.nets[0], x), atol=LOGIT_TOLERANCE)
    assert "your image" in root.locator(".cnnviz-size").inner_text()
    page.check_clean()


def test_a_bad_setting_names_it_and_the_explorers_stay_independent(page):
    before = page.api(1, READ)
    with pytest.raises(Exception, match="image must be an int from 0 to"):
        page.api(0, "api => api.set({image: 99})")
    page.api(0, READ, {"image": 5})
    assert page.api(1, READ) == before
    page.errors.clear()  # the thrown error above was ours
    page.check_clean()


DROP = """async (root) => {
  const canvas = document.createElement("canvas");
  canvas.width = 40;
  canvas.height = 64;
  const context = canvas.getContext("2d");
  context.fillStyle = "rgb(200, 30, 30)";
  context.fillRect(0, 0, 40, 64);
  const blob = await new Promise(done => canvas.toBlob(done, "image/png"));
  const transfer = new DataTransfer();
  transfer.items.add(new File([blob], "red.png", {type: "image/png"}));
  const target = root.querySelector(".cnnviz-net-image");
  target.dispatchEvent(new DragEvent("dragover", {dataTransfer: transfer, bubbles: true,
                                                  cancelable: true}));
  target.dispatchEvent(new DragEvent("drop", {dataTransfer: transfer, bubbles: true,
                                              cancelable: true}));
}"""


def test_a_dropped_image_runs(page):
    root = page.root(1)
    root.evaluate(DROP)
    page.page.wait_for_function(
        "id => document.getElementById(id).cnnviz.params.image === -1",
        arg=page.explorers[1].element_id,
    )
    state = page.api(1, READ)
    explorer = page.explorers[1]
    # a plain red picture: every pixel (200, 30, 30) after the resize
    red = _normalized(
        np.array([200, 30, 30], dtype=np.uint8).reshape(1, 3, 1, 1), explorer.mean, explorer.std
    )
    x = np.reshape(state["input"]["data"], (3, 32, 32))
    np.testing.assert_allclose(x, np.broadcast_to(red[0].numpy(), (3, 32, 32)), atol=1e-6)
    np.testing.assert_allclose(state["logits"], _logits(page.nets[1], x), atol=LOGIT_TOLERANCE)
    page.check_clean()
