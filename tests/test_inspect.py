"""cnnviz.inspect against its references: Captum's Saliency, NoiseTunnel, LayerGradCam,
Occlusion and FGSM, hooks against a manual forward pass, top-activating images against brute
force, and receptive fields against the gradient's reach."""

import copy

import pytest
import torch
from torch import nn

from cnnviz import inspect
from cnnviz.models import CifarResNet, FastNet, InceptionBlock

try:  # a test dependency (requirements.txt); tests/test_bad_input.py imports CALLS without it
    import captum.attr as captum_attr
    import captum.robust as captum_robust
except ImportError:
    captum_attr = captum_robust = None

needs_captum = pytest.mark.skipif(captum_attr is None, reason="Captum is not installed")
pytestmark = [
    pytest.mark.usefixtures("one_torch_thread"),
    pytest.mark.filterwarnings("ignore:Input Tensor 0 did not already require gradients"),
]


def small_net(seed=0):
    """A FastNet small enough for tests, with BatchNorm statistics that are not the defaults."""
    torch.manual_seed(seed)
    model = FastNet((8, 12, 16))
    model.fit_whitening(torch.randn(64, 3, 32, 32))
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, nn.BatchNorm2d):
                m.running_mean.uniform_(-0.2, 0.2)
                m.running_var.uniform_(0.5, 2.0)
    return model.train()  # train mode on purpose: inspect must switch to eval and back


def batch(n=3, seed=1):
    return torch.randn(n, 3, 32, 32, generator=torch.Generator().manual_seed(seed))


TARGETS = [0, [3, 7, 1]]


# --------------------------------------------------------------------------- feature maps


def test_feature_maps_equal_a_manual_forward():
    model, x = small_net(), batch()
    maps = inspect.feature_maps(model, x, ["stem", "block1", "block2.0", "block3"])
    model.eval()
    with torch.no_grad():
        stem = model.stem(x)
        block1 = model.block1(stem)
        conv1 = model.block2[0](block1)
        block3 = model.block3(model.block2(block1))
    for name, expected in [("stem", stem), ("block1", block1), ("block2.0", conv1)]:
        torch.testing.assert_close(maps[name], expected)
    torch.testing.assert_close(maps["block3"], block3)
    assert list(maps) == ["stem", "block1", "block2.0", "block3"]
    assert maps["block1"].shape == (3, 8, 15, 15)


def test_inspect_restores_the_models_mode_and_leaves_parameter_gradients_alone():
    model, x = small_net(), batch()
    inspect.saliency(model, x, 0)
    inspect.grad_cam(model, x, 0, "block3")
    inspect.fgsm(model, x, 0, 0.1, bounds=(-10.0, 10.0))
    assert model.training
    assert all(p.grad is None for p in model.parameters())
    model.eval()
    inspect.feature_maps(model, x, "stem")
    assert not model.training


# --------------------------------------------------------------------------- attributions


@needs_captum
@pytest.mark.parametrize("target", TARGETS)
def test_saliency_matches_captum(target):
    model, x = small_net(), batch()
    ours = inspect.saliency(model, x, target)
    model.eval()
    theirs = captum_attr.Saliency(model).attribute(x, target=target, abs=True).amax(dim=1)
    assert ours.shape == (3, 32, 32)
    torch.testing.assert_close(ours, theirs)


@needs_captum
@pytest.mark.parametrize("target", TARGETS)
def test_smoothgrad_matches_captum_noise_tunnel_with_the_same_noise(target):
    model, x = small_net(), batch()
    torch.manual_seed(5)
    ours = inspect.smoothgrad(model, x, target, n=6, sigma=0.3)
    model.eval()
    tunnel = captum_attr.NoiseTunnel(captum_attr.Saliency(model))
    torch.manual_seed(5)
    theirs = tunnel.attribute(x, nt_type="smoothgrad", nt_samples=6, stdevs=0.3, target=target)
    torch.testing.assert_close(ours, theirs.amax(dim=1))


def test_smoothgrad_without_noise_is_saliency():
    model, x = small_net(), batch()
    torch.testing.assert_close(
        inspect.smoothgrad(model, x, 2, n=3, sigma=0.0), inspect.saliency(model, x, 2)
    )


@needs_captum
@pytest.mark.parametrize("layer", ["block2", "block3", "block3.4"])
@pytest.mark.parametrize("target", TARGETS)
def test_grad_cam_matches_captum(layer, target):
    model, x = small_net(), batch()
    ours = inspect.grad_cam(model, x, target, layer)
    model.eval()
    module = dict(model.named_modules())[layer]
    cam = captum_attr.LayerGradCam(model, module).attribute(
        x, target=target, relu_attributions=True
    )
    theirs = captum_attr.LayerAttribution.interpolate(cam, (32, 32), "bilinear")[:, 0]
    assert ours.shape == (3, 32, 32) and (ours >= 0).all()
    torch.testing.assert_close(ours, theirs)
    small = inspect.grad_cam(model, x, target, layer, upsample=False)
    torch.testing.assert_close(small, cam[:, 0])


@needs_captum
@pytest.mark.parametrize(("window", "stride"), [(8, 4), (6, 5), ((4, 8), (2, 8)), (32, 1)])
def test_occlusion_matches_captum(window, stride):
    model, x = small_net(), batch(2)
    ours = inspect.occlusion(model, x, [4, 9], window=window, stride=stride, baseline=0.5)
    model.eval()
    win = window if isinstance(window, tuple) else (window, window)
    step = stride if isinstance(stride, tuple) else (stride, stride)
    theirs = captum_attr.Occlusion(lambda t: model(t).softmax(dim=1)).attribute(
        x, sliding_window_shapes=(3, *win), strides=(3, *step), target=[4, 9], baselines=0.5
    )
    torch.testing.assert_close(ours, theirs[:, 0], atol=1e-6, rtol=1e-5)
    torch.testing.assert_close(theirs[:, 0], theirs[:, 2])  # all channels hidden together


def test_occlusion_of_everything_is_the_drop_to_the_blank_image():
    model, x = small_net(), batch(1)
    drop = inspect.occlusion(model, x, 3, window=32, stride=32, baseline=0.0)
    model.eval()
    with torch.no_grad():
        expected = model(x).softmax(1)[0, 3] - model(torch.zeros_like(x)).softmax(1)[0, 3]
    torch.testing.assert_close(drop, torch.full((1, 32, 32), expected.item()))


@needs_captum
@pytest.mark.parametrize("epsilon", [0.0, 0.01, 0.3])
def test_fgsm_matches_captum(epsilon):
    model, x = small_net(), batch().sigmoid()  # images in [0, 1]
    ours = inspect.fgsm(model, x, [1, 2, 3], epsilon)
    model.eval()
    attack = captum_robust.FGSM(model, nn.CrossEntropyLoss(reduction="none"), 0.0, 1.0)
    attack.zero_thresh = 0.0  # captum leaves pixels with |gradient| <= 1e-6 unmoved
    theirs = attack.perturb(x, epsilon, target=torch.tensor([1, 2, 3]))
    torch.testing.assert_close(ours, theirs)
    assert (ours - x).abs().max() <= epsilon + 1e-7
    assert ours.min() >= 0 and ours.max() <= 1


def test_fgsm_raises_the_loss():
    model, x = small_net(), batch()
    y = torch.tensor([1, 2, 3])
    adversarial = inspect.fgsm(model, x, y, 0.05, bounds=(-10.0, 10.0))
    model.eval()
    with torch.no_grad():
        before = nn.functional.cross_entropy(model(x), y)
        after = nn.functional.cross_entropy(model(adversarial), y)
    assert after > before


# --------------------------------------------------------------------------- receptive fields


def _gradient_reach(model, layer, row, col):
    """Input rows and columns that reach unit (row, col) of ``layer``, with every max-pool
    replaced by an average pool (so that no path is cut) and all weights positive."""
    model = copy.deepcopy(model).eval()
    for m in list(model.modules()):
        for child_name, child in list(m.named_children()):
            if isinstance(child, nn.MaxPool2d):
                setattr(m, child_name, nn.AvgPool2d(child.kernel_size, child.stride, child.padding))
    with torch.no_grad():
        for p in model.parameters():
            p.abs_()
    x = torch.ones(1, 3, 32, 32, requires_grad=True)
    out = {}
    hook = dict(model.named_modules())[layer].register_forward_hook(
        lambda _m, _i, o: out.__setitem__("o", o)
    )
    model(x)
    hook.remove()
    out["o"][0, :, row, col].sum().backward()
    reach = x.grad[0].abs().sum(0) > 0
    rows, cols = torch.nonzero(reach.any(1))[:, 0], torch.nonzero(reach.any(0))[:, 0]
    return (rows.min().item(), rows.max().item()), (cols.min().item(), cols.max().item())


@pytest.mark.parametrize(
    ("layer", "unit"),
    [("stem", (5, 9)), ("block1", (3, 4)), ("block2", (2, 5)), ("block3", (1, 1))],
)
def test_receptive_field_equals_the_gradients_reach(layer, unit):
    model = small_net()
    field = inspect.receptive_field(model, layer)
    for axis, i in enumerate(unit):
        first, last = field.window(i)
        reach = _gradient_reach(model, layer, *unit)[axis]
        assert (max(first, 0), min(last, 31)) == reach, (layer, field)


def branching_net(kind):
    """A net with branches: residual (sums of two paths) or Inception (a concatenation)."""
    torch.manual_seed(0)
    if kind == "residual":
        return CifarResNet(blocks=2, widths=(4, 6, 8))
    return nn.Sequential(
        nn.Conv2d(3, 8, 3, stride=2, padding=1),
        InceptionBlock(8, 2, 2, 4, 2, 4, 2),
        nn.MaxPool2d(2),
        InceptionBlock(12, 2, 2, 2, 2, 2, 2),
    )


@pytest.mark.parametrize(
    ("kind", "layer", "unit"),
    [
        ("residual", "stage1", (5, 9)),
        ("residual", "stage2.0", (3, 4)),
        ("residual", "stage3", (2, 5)),
        ("inception", "1", (6, 2)),
        ("inception", "3", (4, 3)),
    ],
)
def test_receptive_field_of_branching_nets_equals_the_gradients_reach(kind, layer, unit):
    model = branching_net(kind)
    field = inspect.receptive_field(model, layer)
    reach = _gradient_reach(model, layer, *unit)
    for axis, i in enumerate(unit):
        first, last = field.window(i)
        assert (max(first, 0), min(last, 31)) == reach[axis], (layer, field)


def test_receptive_fields_of_torchvision_nets():
    """The values of Araujo et al. 2019 (Distill) for the nets that torchvision builds the same
    way: AlexNet 195, VGG-16 212; ResNet-50 with the stride on the 3 x 3 convolution: 427."""
    import torchvision.models as tvm

    for build, layer, size in [
        (tvm.alexnet, "features", 195),
        (tvm.vgg16, "features", 212),
        (tvm.resnet50, "layer4", 427),
    ]:
        assert inspect.receptive_field(build(), layer, (3, 224, 224)).size == size


def test_receptive_field_refuses_an_unknown_resize():
    model = nn.Sequential(nn.Conv2d(3, 4, 3), nn.Upsample(scale_factor=2), nn.Conv2d(4, 4, 3))
    with pytest.raises(ValueError, match="upsample|interpolate"):
        inspect.receptive_field(model, "2")
    assert inspect.receptive_field(model, "0").size == 3


def test_gradient_norms_equal_the_gradients_of_backward():
    model, x = branching_net("residual"), batch(4)
    target = [1, 2, 3, 4]
    state = copy.deepcopy(model.state_dict())
    norms = inspect.gradient_norms(model, x, target)
    for key, value in model.state_dict().items():  # running statistics left alone
        torch.testing.assert_close(value, state[key])
    reference = copy.deepcopy(model).train()
    nn.functional.cross_entropy(reference(x), torch.tensor(target)).backward()
    layers = dict(reference.named_modules())
    assert list(norms) == [
        n for n, m in reference.named_modules() if isinstance(m, (nn.Conv2d, nn.Linear))
    ]
    for name, value in norms.items():
        assert value == pytest.approx(layers[name].weight.grad.norm().item(), rel=1e-5)
    assert all(p.grad is None for p in model.parameters())


def test_receptive_fields_of_fastnet():
    fields = [inspect.receptive_field(FastNet(), name) for name in ("stem", "block1", "block3")]
    assert fields[0] == inspect.ReceptiveField(size=2, jump=1, start=0)
    # stem 2x2 (size 2); conv 3x3 pad 1 (4, start -1); pool 2/2 (5, jump 2); conv 3x3 pad 1
    assert fields[1] == inspect.ReceptiveField(size=9, jump=2, start=-3)
    assert fields[2].jump == 8


# --------------------------------------------------------------------------- top activating


@pytest.mark.parametrize(("layer", "channel"), [("block1", 3), ("block3.0", 0)])
def test_top_activating_equals_brute_force(layer, channel):
    model, images = small_net(), batch(40)
    top = inspect.top_activating(model, images, layer, channel, k=5, batch_size=7)
    maps = inspect.feature_maps(model, images, layer)[layer][:, channel]
    scores = maps.flatten(1).max(1).values
    assert torch.equal(top.indices, scores.topk(5).indices)
    torch.testing.assert_close(top.values, scores.topk(5).values)
    for i, (row, col) in zip(top.indices, top.positions.tolist(), strict=True):
        assert maps[i, row, col] == maps[i].max()
    size = top.field.size
    assert top.crops.shape == (5, 3, size, size)


def test_top_activating_crops_are_the_seen_window():
    model, images = small_net(), batch(10)
    top = inspect.top_activating(model, images, "block1", 0, k=3)
    for crop, i, (row, col) in zip(top.crops, top.indices, top.positions.tolist(), strict=True):
        (r0, r1), (c0, c1) = top.field.window(row), top.field.window(col)
        inside = images[i][:, max(r0, 0) : r1 + 1, max(c0, 0) : c1 + 1]
        offset = (max(r0, 0) - r0, max(c0, 0) - c0)
        seen = crop[:, offset[0] : offset[0] + inside.shape[1], offset[1] :][
            :, :, : inside.shape[2]
        ]
        torch.testing.assert_close(seen, inside)
        assert crop.abs().sum() > 0


# --------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    ("call", "error", "words"),
    [
        (lambda m, x: inspect.grad_cam(m, x, 0, "block9"), ValueError, "layer must be one of"),
        (lambda m, x: inspect.saliency(m, x, 10), ValueError, r"\[0, 10\), got 10"),
        (lambda m, x: inspect.saliency(m, x, [1, 2]), ValueError, "one per image"),
        (lambda m, x: inspect.saliency(m, x, 1.0), TypeError, "target must be"),
        (lambda m, x: inspect.saliency(m, x[0], 1), ValueError, r"\(N, C, H, W\)"),
        (lambda m, x: inspect.saliency(m, x[:0], 1), ValueError, "at least one image"),
        (lambda m, x: inspect.saliency(m, x * float("nan"), 1), ValueError, "finite"),
        (lambda m, x: inspect.saliency(m, x.long(), 1), TypeError, "floating-point"),
        (lambda m, x: inspect.grad_cam(m, x, 0, "head"), ValueError, "4-D output"),
        (lambda m, x: inspect.occlusion(m, x, 0, window=40), ValueError, "window must fit"),
        (lambda m, x: inspect.occlusion(m, x, 0, window=4, stride=5), ValueError, "stride"),
        (lambda m, x: inspect.fgsm(m, x, 0, -0.1), ValueError, "epsilon"),
        (lambda m, x: inspect.fgsm(m, x, 0, 0.1, bounds=(1, 0)), ValueError, "increasing"),
        (lambda m, x: inspect.smoothgrad(m, x, 0, n=0), ValueError, "n must be"),
        (lambda m, x: inspect.top_activating(m, x, "block1", 99, k=1), ValueError, "channel"),
        (lambda m, x: inspect.top_activating(m, x, "block1", 0, k=4), ValueError, "k must"),
        (lambda m, x: inspect.feature_maps(m, x, []), ValueError, "at least one"),
    ],
)
def test_bad_input_gets_a_clear_error(call, error, words):
    with pytest.raises(error, match=words):
        call(small_net(), batch())


#: One valid call of every public function, for tests/test_bad_input.py.
CALLS = {
    "layer_names": dict(model=small_net()),
    "feature_maps": dict(model=small_net(), x=batch(1), layers=["block1"]),
    "saliency": dict(model=small_net(), x=batch(1), target=0),
    "smoothgrad": dict(model=small_net(), x=batch(1), target=0, n=2, sigma=0.1, generator=None),
    "grad_cam": dict(model=small_net(), x=batch(1), target=0, layer="block3", upsample=True),
    "occlusion": dict(model=small_net(), x=batch(1), target=0, window=16, stride=16, baseline=0.0),
    "fgsm": dict(model=small_net(), x=batch(1), target=0, epsilon=0.1, bounds=(-5.0, 5.0)),
    "receptive_field": dict(model=small_net(), layer="block2", input_size=(3, 32, 32)),
    "gradient_norms": dict(model=small_net(), x=batch(2), target=[0, 1]),
    "top_activating": dict(
        model=small_net(), images=batch(4), layer="block1", channel=0, k=2, batch_size=2
    ),
}
