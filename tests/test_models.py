"""Tests of cnnviz.models: shapes for 32 x 32 inputs, parameter and multiply-add counts,
whitening, summary, and the checks of the constructors' arguments."""

import pytest
import torch
from torch import nn

from cnnviz.models import (
    BasicBlock,
    Bottleneck,
    CifarResNet,
    ConvBlock,
    ConvNeuralNet,
    DepthwiseSeparable,
    FastNet,
    InceptionBlock,
    LeNet5,
    Mul,
    VGGBlock,
    Whitening,
    activation_bytes,
    conv_parameters,
    count_depth,
    count_flops,
    count_macs,
    count_parameters,
    summary,
)
from cnnviz.ops import conv_output_size

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def fastnet_parameters(widths, num_classes=10, whiten=True):
    """Parameter count of FastNet written out by hand: convolutions, BatchNorms, the head."""
    if whiten:
        total, channels = 24 * 3 * 2 * 2 + 24, 24  # whitening weights + bias
    else:
        total, channels = 9 * 3 * widths[0] + 2 * widths[0], widths[0]
    for w in widths:
        total += 9 * channels * w + 9 * w * w + 2 * (2 * w)  # two convs, two BatchNorms
        channels = w
    return total + channels * num_classes


# --------------------------------------------------------------------------- FastNet


@pytest.mark.parametrize("widths", [(8, 16, 32), (32, 64, 128), (64, 256, 256), (16, 24)])
@pytest.mark.parametrize("whiten", [True, False])
def test_fastnet_shapes_and_parameter_counts(widths, whiten):
    model = FastNet(widths, whiten=whiten)
    assert model(torch.zeros(3, 3, 32, 32)).shape == (3, 10)
    assert count_parameters(model) == fastnet_parameters(widths, whiten=whiten)
    frozen = 24 * 3 * 2 * 2 if whiten else 0
    assert count_parameters(model) - count_parameters(model, trainable=True) == frozen


def test_fastnet_sizes_of_the_published_and_the_cpu_nets():
    assert 0.25e6 < count_parameters(FastNet((32, 64, 128))) < 0.35e6
    assert 1.9e6 < count_parameters(FastNet((64, 256, 256))) < 2.0e6  # airbench94's widths


def test_fastnet_block_output_sizes():
    model = FastNet((8, 16, 32))
    x = torch.zeros(1, 3, 32, 32)
    sizes = []
    for module in model:
        x = module(x)
        sizes.append(tuple(x.shape[1:]))
    assert sizes == [(24, 31, 31), (8, 15, 15), (16, 7, 7), (32, 3, 3), (10,)]


def test_fastnet_options_and_errors():
    model = FastNet((8, 8, 8), activation="relu", num_classes=3, logit_scale=0.5)
    assert isinstance(model.block1[3], nn.ReLU)
    assert model(torch.zeros(2, 3, 32, 32)).shape == (2, 3)
    assert model.head[-1].scale == 0.5
    with pytest.raises(ValueError, match="activation"):
        FastNet(activation="swish")
    with pytest.raises(ValueError, match="widths"):
        FastNet(widths=(8, 0, 8))


@pytest.mark.parametrize(
    ("build", "error", "message"),
    [
        (lambda: FastNet(widths=(8.0, 16, 16)), TypeError, r"widths\[0\] must be an int, got 8.0"),
        (lambda: FastNet(widths=()), TypeError, "widths must be a non-empty tuple"),
        (lambda: FastNet(num_classes=10.0), TypeError, "num_classes must be an int, got 10.0"),
        (lambda: FastNet(whiten=1), TypeError, "whiten must be True or False"),
        (lambda: FastNet(bn_momentum=2.0), ValueError, "bn_momentum must be between 0 and 1"),
        (lambda: ConvNeuralNet(num_classes=10.0), TypeError, "num_classes must be an int"),
        (lambda: ConvNeuralNet(dropout=1.5), ValueError, "dropout must be between 0 and 1"),
        (lambda: ConvBlock(3, 5.0), TypeError, "out_channels must be an int, got 5.0"),
        (lambda: Whitening(kernel_size=2.0), TypeError, "kernel_size must be an int, got 2.0"),
        (lambda: Mul("2"), TypeError, "scale must be a real number"),
        (lambda: FastNet().fit_whitening(torch.zeros(1, 3, 8, 8), 5.0), TypeError, "max_images"),
        (lambda: summary(nn.ReLU(), (1, 2.0)), TypeError, r"input_size\[1\] must be an int"),
        (lambda: count_parameters(nn.ReLU(), trainable=1), TypeError, "trainable must be True"),
    ],
)
def test_arguments_are_checked_where_they_are_given(build, error, message):
    with pytest.raises(error, match=message):
        build()


def test_logit_scale_multiplies_the_logits():
    torch.manual_seed(0)
    a = FastNet((8, 8, 8), logit_scale=1.0).eval()
    b = FastNet((8, 8, 8), logit_scale=0.25).eval()
    b.load_state_dict(a.state_dict())
    x = torch.randn(2, 3, 32, 32)
    torch.testing.assert_close(b(x), 0.25 * a(x))
    assert "scale=0.25" in repr(Mul(0.25))


def test_conv_block_pools_after_the_first_convolution():
    block = ConvBlock(3, 5)
    assert [type(m).__name__ for m in block] == [
        "Conv2d", "MaxPool2d", "BatchNorm2d", "GELU", "Conv2d", "BatchNorm2d", "GELU"
    ]  # fmt: skip
    assert block(torch.zeros(2, 3, 8, 8)).shape == (2, 5, 4, 4)
    assert block[0].bias is None and block[4].bias is None


# --------------------------------------------------------------------------- whitening


def correlated_images(n=64, size=12, seed=0):
    """Smooth random images: neighbouring pixels and the channels strongly correlated."""
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, 1, size + 3, size + 3, generator=g)
    x = nn.functional.avg_pool2d(x, 4, stride=1)  # (n, 1, size, size), smooth
    mix = torch.tensor([1.0, 0.8, 0.6])[None, :, None, None]
    return x * mix + 0.05 * torch.randn(n, 3, size, size, generator=g)


def test_whitening_decorrelates_patches():
    x = correlated_images()
    layer = Whitening(eps=1e-9).fit(x)
    with torch.no_grad():
        y = layer(x) - layer.conv.bias[None, :, None, None]
    z = y[:, :12].permute(0, 2, 3, 1).reshape(-1, 12).double()  # the "+v" half
    covariance = z.T @ z / len(z)
    torch.testing.assert_close(covariance, torch.eye(12, dtype=torch.float64), atol=1e-3, rtol=0)
    torch.testing.assert_close(y[:, 12:], -y[:, :12])  # the "-v" half mirrors it


def test_whitening_orders_filters_by_variance_and_stays_frozen():
    x = correlated_images()
    model = FastNet((8, 8, 8)).fit_whitening(x)
    weight = model.stem[0].conv.weight
    assert not weight.requires_grad
    with torch.no_grad():
        y = model.stem[0](x)
    # Whitened outputs have (nearly) unit variance: eps shrinks only the weakest directions
    # (here pixel noise, variance 0.0025: 0.0025 / (0.0025 + eps) = 0.83). The first filter is
    # the largest eigenvector, close to the mean brightness: all its weights have one sign.
    variances = y[:, :12].var(dim=(0, 2, 3))
    assert (variances > 0.8).all() and (variances < 1.01).all()
    assert variances[0] > 0.99
    assert (weight[0] > 0).all() or (weight[0] < 0).all()
    with pytest.raises(ValueError, match=r"\(N, 3, H, W\)"):
        Whitening().fit(torch.zeros(4, 1, 8, 8))
    assert FastNet((8, 8, 8), whiten=False).fit_whitening(x) is not None  # no-op


# --------------------------------------------------------------------------- the baseline


def test_conv_neural_net_has_1024_features_for_32x32_inputs():
    model = ConvNeuralNet()
    features = model.features(torch.zeros(2, 3, 32, 32))
    assert features.shape == (2, 256, 2, 2)
    assert features.flatten(1).shape[1] == 1024 == model.classifier[2].in_features
    assert model(torch.zeros(2, 3, 32, 32)).shape == (2, 10)


def test_conv_neural_net_sizes_follow_the_output_size_formula():
    size = conv_output_size(32, 4)  # conv1 4x4, no padding
    size = conv_output_size(size, 3, s=2)  # pool 3x3 / 2
    size = conv_output_size(size, 3, p=1)  # conv2
    size = conv_output_size(size, 3, s=2)
    for _ in range(3):  # conv3-5
        size = conv_output_size(size, 3, p=1)
    size = conv_output_size(size, 3, s=2)
    assert size == 2 and 256 * size * size == 1024


def test_conv_neural_net_layers_and_parameters():
    model = ConvNeuralNet(num_classes=10)
    convs = [m for m in model.modules() if isinstance(m, nn.Conv2d)]
    linears = [m for m in model.modules() if isinstance(m, nn.Linear)]
    assert [c.out_channels for c in convs] == [64, 192, 384, 256, 256]
    assert [c.kernel_size for c in convs] == [(4, 4)] + [(3, 3)] * 4
    assert [(f.in_features, f.out_features) for f in linears] == [
        (1024, 512), (512, 256), (256, 10)
    ]  # fmt: skip
    pools = [m for m in model.modules() if isinstance(m, nn.MaxPool2d)]
    assert [(p.kernel_size, p.stride) for p in pools] == [(3, 2)] * 3
    assert [m.p for m in model.modules() if isinstance(m, nn.Dropout)] == [0.5, 0.5]
    expected = sum(c.weight.numel() + c.out_channels for c in convs) + sum(
        f.weight.numel() + f.out_features for f in linears
    )
    assert count_parameters(model) == expected == 2_911_626


def test_conv_neural_net_dropout_only_in_training():
    torch.manual_seed(0)
    model = ConvNeuralNet().eval()
    x = torch.randn(2, 3, 32, 32)
    torch.testing.assert_close(model(x), model(x))
    model.train()
    assert not torch.equal(model(x), model(x))


# --------------------------------------------------------------------------- multiply-adds


def hand_macs(model, input_size):
    """One multiply-add per weight and output position (convolutions) or per sample (linear)."""
    total, hooks = 0, []

    def count(module, inputs, output):
        nonlocal total
        positions = output[0, 0].numel() if output.dim() == 4 else 1
        total += module.weight.numel() * positions * output.shape[0]

    for m in model.modules():
        if isinstance(m, (nn.Conv2d, nn.Linear)):
            hooks.append(m.register_forward_hook(count))
    with torch.no_grad():
        model.eval()(torch.zeros(input_size))
    for h in hooks:
        h.remove()
    return total


@pytest.mark.parametrize(
    ("model", "input_size"),
    [
        (ConvNeuralNet(), (1, 3, 32, 32)),
        (FastNet((8, 16, 32)), (2, 3, 32, 32)),
        (nn.Conv2d(4, 6, 3, stride=2, padding=1, dilation=2, groups=2), (1, 4, 9, 9)),
    ],
)
def test_count_macs_agrees_with_counting_by_hand(model, input_size):
    assert count_macs(model, input_size) == hand_macs(model, input_size)


def test_count_macs_of_a_linear_layer_and_training_mode_kept():
    model = nn.Sequential(nn.Linear(784, 10), nn.Dropout()).train()
    assert count_macs(model, (1, 784)) == 7840 and count_macs(model, (3, 784)) == 3 * 7840
    assert model.training  # evaluated in eval mode, then restored
    with pytest.raises(TypeError, match="input_size"):
        count_macs(model, 784)


# --------------------------------------------------------------------------- summary


def test_summary_lists_every_layer_with_shapes_and_parameters():
    model = FastNet((8, 16, 32))
    text = summary(model)
    lines = text.splitlines()
    assert lines[0].split() == ["layer", "type", "output", "shape", "params"]
    leaves = [name for name, m in model.named_modules() if not list(m.children())]
    assert [line.split()[0] for line in lines[2:-1]] == leaves
    assert "block1.0     Conv2d" in text.replace("  ", "  ")  # name and type columns
    assert "(1, 8, 15, 15)" in text and "(1, 10)" in text
    total = count_parameters(model)
    trainable = count_parameters(model, trainable=True)
    assert lines[-1] == f"total parameters: {total:,} (trainable {trainable:,})"


def test_summary_of_the_baseline_and_training_mode_kept():
    model = ConvNeuralNet().train()
    text = summary(model, (4, 3, 32, 32))
    assert "(4, 1024)" in text and "524,800" in text  # flatten, fc1 = 1024 x 512 + 512
    assert model.training
    assert summary(nn.ReLU(), (1, 2)).splitlines()[2].startswith("(model)")


# --------------------------------------------------------------------------- every argument


CALLS = {
    "ConvBlock": dict(in_channels=3, out_channels=4, activation="gelu", bn_momentum=0.2),
    "ConvNeuralNet": dict(num_classes=10, dropout=0.5),
    "FastNet": dict(
        widths=(8, 8, 8),
        num_classes=10,
        whiten=True,
        activation="gelu",
        logit_scale=0.1,
        bn_momentum=0.2,
        stem_kernel_size=3,
    ),  # fmt: skip
    "Mul": dict(scale=2.0),
    "Whitening": dict(in_channels=3, kernel_size=2, eps=1e-3),
    "count_macs": dict(model=nn.Conv2d(3, 4, 3), input_size=(1, 3, 8, 8)),
    "count_flops": dict(model=nn.Conv2d(3, 4, 3), input_size=(1, 3, 8, 8)),
    "count_depth": dict(model=nn.Conv2d(3, 4, 3), input_size=(1, 3, 8, 8)),
    "activation_bytes": dict(model=nn.Conv2d(3, 4, 3), input_size=(1, 3, 8, 8)),
    "conv_parameters": dict(in_channels=4, out_channels=8, kernel_size=3, groups=2, bias=True),
    "LeNet5": dict(num_classes=10),
    "VGGBlock": dict(in_channels=3, out_channels=4, n_convs=2),
    "InceptionBlock": dict(in_channels=8, c1=2, c3_reduce=2, c3=4, c5_reduce=2, c5=2, pool_proj=2),
    "BasicBlock": dict(in_channels=4, out_channels=8, stride=2, shortcut="pad"),
    "Bottleneck": dict(in_channels=8, mid_channels=2, stride=1, expansion=4, shortcut="conv"),
    "DepthwiseSeparable": dict(in_channels=4, out_channels=8, stride=1),
    "CifarResNet": dict(blocks=1, widths=(4, 8, 8), skip=True, num_classes=10),
    "count_parameters": dict(model=nn.Conv2d(3, 4, 3), trainable=False),
    "summary": dict(model=nn.Conv2d(3, 4, 3), input_size=(1, 3, 8, 8)),
}


# --------------------------------------------------------------------------- pretrained


def test_fastnet_learned_stem_kernel_size():
    model = FastNet((8, 8, 8), whiten=False, stem_kernel_size=5)
    assert model.stem[0].weight.shape == (8, 3, 5, 5)
    assert model(torch.zeros(2, 3, 32, 32)).shape == (2, 10)
    with pytest.raises(ValueError, match="stem_kernel_size must be odd, got 4"):
        FastNet(whiten=False, stem_kernel_size=4)


@pytest.fixture
def shipped(tmp_path, monkeypatch):
    """A small net saved as if it shipped with the package, its hash recorded."""
    from cnnviz import models, train

    args = {"widths": (8, 8, 8), "whiten": False, "stem_kernel_size": 5}
    torch.manual_seed(0)
    net = FastNet(**args)
    path = tmp_path / "tiny.pt"
    train.save_checkpoint(path, net, train.Config(), model_args=args, test_acc=0.5)
    entry = {"file": "tiny.pt", "sha256": models.sha256(path), "model_args": args}
    monkeypatch.setattr(models, "WEIGHTS_DIR", tmp_path)
    monkeypatch.setitem(models.PRETRAINED, "tiny", entry)
    return net, path


def test_load_pretrained_checks_the_hash_and_rebuilds_the_net(shipped):
    from cnnviz.models import load_pretrained

    net, path = shipped
    model, checkpoint = load_pretrained("tiny")
    assert not model.training and checkpoint["test_acc"] == 0.5
    x = torch.randn(2, 3, 32, 32)
    torch.testing.assert_close(model(x), net.eval()(x))
    path.write_bytes(path.read_bytes() + b"x")
    with pytest.raises(ValueError, match=r"tiny\.pt has SHA-256 [0-9a-f]{64}, expected"):
        load_pretrained("tiny")


def test_load_pretrained_reads_a_readers_own_checkpoint(tmp_path):
    from cnnviz import train
    from cnnviz.models import load_pretrained

    torch.manual_seed(0)
    net = FastNet((8, 16, 8))  # chapter 11's kind: whitening stem, widths in the config
    path = tmp_path / "mine.pt"
    train.save_checkpoint(path, net, train.Config(widths=(8, 16, 8)))
    model, _ = load_pretrained(path)
    x = torch.randn(2, 3, 32, 32)
    torch.testing.assert_close(model(x), net.eval()(x))
    model, _ = load_pretrained(str(path))
    assert model.widths == (8, 16, 8)


def test_load_pretrained_refuses_unknown_names():
    from cnnviz.models import load_pretrained

    with pytest.raises(ValueError, match="name must be one of"):
        load_pretrained("imagenet-vgg16")
    with pytest.raises(TypeError, match="name must be"):
        load_pretrained(3)


def models_calls(tmp_path):
    """:data:`CALLS` and the calls that need a file: a checkpoint of a small FastNet."""
    from cnnviz import train

    path = tmp_path / "net.pt"
    train.save_checkpoint(path, FastNet((8, 8, 8)), train.Config(widths=(8, 8, 8)))
    return {
        **CALLS,
        "load_pretrained": dict(name=path, map_location="cpu"),
        "sha256": dict(path=path),
    }


def test_the_shipped_network_loads_through_its_hash_check():
    from cnnviz.models import PRETRAINED, WEIGHTS_DIR, load_pretrained, sha256

    entry = PRETRAINED["cifar10-fastnet"]
    assert sha256(WEIGHTS_DIR / entry["file"]) == entry["sha256"]
    assert (WEIGHTS_DIR / entry["file"]).stat().st_size <= 2_000_000
    model, checkpoint = load_pretrained("cifar10-fastnet")
    assert model.stem[0].weight.shape == (32, 3, 5, 5)  # the learned first layer
    assert checkpoint["test_acc"] > 0.85 and len(checkpoint["classes"]) == 10
    assert model(torch.zeros(1, 3, 32, 32)).shape == (1, 10)


# --------------------------------------------------------------------------- chapter 13


def test_lenet5_equals_chapter_10s_layers():
    model = LeNet5()
    assert count_parameters(model) == (
        6 * (1 * 25 + 1) + 16 * (6 * 25 + 1) + 120 * (16 * 25 + 1) + 84 * (120 + 1) + 10 * 85
    )
    kinds = [type(m).__name__ for m in model.modules() if not list(m.children())]
    assert kinds == ["Conv2d", "Tanh", "AvgPool2d", "Conv2d", "Tanh", "AvgPool2d", "Conv2d"] + [
        "Tanh", "Flatten", "Linear", "Tanh", "Linear"
    ]  # fmt: skip
    assert model.features(torch.zeros(1, 1, 28, 28)).shape == (1, 120, 1, 1)


def test_conv_parameters_is_the_count_of_torch():
    for args in [
        (3, 64, 3, 1, True),
        (64, 64, 3, 64, False),
        (32, 16, 1, 1, True),
        (8, 4, 5, 2, True),
    ]:
        conv = nn.Conv2d(args[0], args[1], args[2], groups=args[3], bias=args[4])
        assert conv_parameters(*args) == count_parameters(conv)
    with pytest.raises(ValueError, match="groups must divide"):
        conv_parameters(6, 4, 3, groups=4)


def bn(c):
    return 2 * c  # BatchNorm: a scale and a shift per channel


@pytest.mark.parametrize(
    ("block", "formula", "x_shape", "out_shape"),
    [
        (VGGBlock(3, 8, 3), conv_parameters(3, 8, 3) + 2 * conv_parameters(8, 8, 3),
         (1, 3, 16, 16), (1, 8, 8, 8)),
        (InceptionBlock(16, 4, 4, 8, 2, 4, 4),
         conv_parameters(16, 4, 1) + conv_parameters(16, 4, 1) + conv_parameters(4, 8, 3)
         + conv_parameters(16, 2, 1) + conv_parameters(2, 4, 5) + conv_parameters(16, 4, 1),
         (1, 16, 8, 8), (1, 20, 8, 8)),
        (BasicBlock(8, 16, 2),  # projection shortcut: a 1x1 convolution and its BatchNorm
         conv_parameters(8, 16, 3, bias=False) + bn(16) + conv_parameters(16, 16, 3, bias=False)
         + bn(16) + conv_parameters(8, 16, 1, bias=False) + bn(16),
         (1, 8, 8, 8), (1, 16, 4, 4)),
        (BasicBlock(8, 16, 2, "pad"),
         conv_parameters(8, 16, 3, bias=False) + bn(16) + conv_parameters(16, 16, 3, bias=False)
         + bn(16), (1, 8, 8, 8), (1, 16, 4, 4)),
        (Bottleneck(16, 4, 2),
         conv_parameters(16, 4, 1, bias=False) + bn(4) + conv_parameters(4, 4, 3, bias=False)
         + bn(4) + conv_parameters(4, 16, 1, bias=False) + bn(16)
         + conv_parameters(16, 16, 1, bias=False) + bn(16),
         (1, 16, 8, 8), (1, 16, 4, 4)),
        (DepthwiseSeparable(8, 16, 2),
         conv_parameters(8, 8, 3, groups=8, bias=False) + bn(8)
         + conv_parameters(8, 16, 1, bias=False) + bn(16),
         (1, 8, 8, 8), (1, 16, 4, 4)),
    ],
)  # fmt: skip
def test_blocks_count_their_parameters_by_the_formula(block, formula, x_shape, out_shape):
    assert count_parameters(block) == formula
    assert block(torch.randn(x_shape)).shape == out_shape


def test_residual_blocks_add_the_shortcut():
    torch.manual_seed(0)
    block = BasicBlock(4, 4).eval()
    plain = BasicBlock(4, 4, shortcut="none").eval()
    plain.load_state_dict(block.state_dict())
    x = torch.randn(2, 4, 6, 6)
    with torch.no_grad():
        torch.testing.assert_close(block(x), torch.relu(block.body(x) + x))
        torch.testing.assert_close(plain(x), torch.relu(block.body(x)))
        pad = BasicBlock(4, 8, 2, "pad").eval()
        expected = torch.nn.functional.pad(x[:, :, ::2, ::2], (0, 0, 0, 0, 2, 2))
        torch.testing.assert_close(pad(x), torch.relu(pad.body(x) + expected))
    with pytest.raises(ValueError, match="shortcut must be one of"):
        BasicBlock(4, 4, shortcut="skip")
    with pytest.raises(ValueError, match="out_channels must be >= in_channels"):
        BasicBlock(8, 4, 2, "pad")


def test_cifar_resnet_plain_and_residual_have_the_same_layers():
    for blocks in (1, 3, 7):
        net, plain = CifarResNet(blocks), CifarResNet(blocks, skip=False)
        assert count_parameters(net) == count_parameters(plain)
        assert count_depth(net) == count_depth(plain) == 6 * blocks + 2
        assert net(torch.zeros(2, 3, 32, 32)).shape == (2, 10)
    # He et al. 2016, table 6: ResNet-20 has 0.27 M parameters
    assert round(count_parameters(CifarResNet(3)) / 1e6, 2) == 0.27
    with pytest.raises(ValueError, match="widths must hold 3"):
        CifarResNet(widths=(8, 16))


def test_depthwise_separable_saves_what_the_formula_says():
    c_in, c_out = 64, 128
    full = conv_parameters(c_in, c_out, 3, bias=False)
    separable = conv_parameters(c_in, c_in, 3, groups=c_in, bias=False) + conv_parameters(
        c_in, c_out, 1, bias=False
    )
    assert separable / full == pytest.approx(1 / c_out + 1 / 9)
    block = DepthwiseSeparable(c_in, c_out)
    convs = [m for m in block.modules() if isinstance(m, nn.Conv2d)]
    assert sum(count_parameters(c) for c in convs) == separable
    size = (1, c_in, 16, 16)
    assert count_macs(block, size) == separable * 16 * 16


def test_count_flops_is_twice_the_multiply_adds():
    model = FastNet((8, 16, 32))
    assert count_flops(model) == 2 * count_macs(model)


def test_count_depth_follows_the_longest_path():
    assert count_depth(LeNet5(), (1, 1, 28, 28)) == 5
    assert count_depth(InceptionBlock(8, 2, 2, 4, 2, 2, 2), (1, 8, 8, 8)) == 2
    assert count_depth(Bottleneck(16, 4, 2), (1, 16, 8, 8)) == 3  # the shortcut has 1
    assert count_depth(FastNet((8, 8, 8)), (1, 3, 32, 32)) == 1 + 6 + 1


def test_activation_bytes_counts_each_output_once():
    model = nn.Sequential(
        nn.Conv2d(3, 8, 3, padding=1), nn.ReLU(inplace=True), nn.MaxPool2d(2), nn.Flatten()
    )
    # the convolution's 8x10x10 (the in-place ReLU reuses it), the pool's 8x5x5 (Flatten: a view)
    assert activation_bytes(model, (1, 3, 10, 10)) == 4 * (8 * 10 * 10 + 8 * 5 * 5)
    assert activation_bytes(model, (2, 3, 10, 10)) == 2 * activation_bytes(model, (1, 3, 10, 10))
