"""One bad value through every argument of every public function of cnnviz.

The checking convention (:mod:`cnnviz._checks`): a wrong type raises ``TypeError``, a wrong
value ``ValueError``, and the message names the argument: ``"stride must be …, got …"``.
``CALLS`` holds one valid call per public callable of each module (the tables of ``viz``,
``models``, ``data`` and ``train`` live beside the fixtures they need, in their test files);
the test replaces each argument in turn with a value no function accepts and checks the
error. A public callable without a valid call here fails the test, so the convention cannot
erode as the package grows.
"""

from __future__ import annotations

import inspect as pyinspect
import re

import numpy as np
import pytest
from test_architectures_viz import ARCH_VIZ_CALLS
from test_benchmarks import benchmarks_calls
from test_data import prepared_data_calls
from test_inspect import CALLS as INSPECT_CALLS
from test_models import models_calls
from test_train import train_calls
from test_transfer import TRANSFER_CALLS
from test_viz import CALLS as VIZ_CALLS
from test_viz_distributed import DISTRIBUTED_VIZ_CALLS
from test_zoo import ZOO_CALLS

from cnnviz import (
    arithmetic,
    benchmarks,
    data,
    explorers,
    filters,
    glue,
    images,
    inspect,
    models,
    ops,
    palette,
    train,
    transfer,
    viz,
    widgets,
    zoo,
)

X = np.arange(16.0).reshape(4, 4)
X4 = np.ones((1, 2, 4, 4))
W4 = np.ones((3, 2, 3, 3))
LOGITS = np.array([[1.0, 2.0, 0.5]])
_, IDX = ops.max_pool2d(X, 2, return_indices=True)

#: module -> {public name: keyword arguments of one valid call}
CALLS = {
    ops: {
        "conv_output_size": dict(i=5, k=3, p=1, s=2, d=1),
        "conv_transpose_output_size": dict(i=3, k=3, p=0, s=2, d=1, output_padding=1),
        "pad2d": dict(x=X, padding=1, mode="reflect", value=0.0),
        "sliding_windows": dict(x=X, kernel_size=2, stride=1, dilation=1),
        "conv2d": dict(
            x=X4,
            weight=W4,
            bias=np.zeros(3),
            stride=1,
            padding=1,
            dilation=1,
            groups=1,
            padding_mode="zeros",
        ),
        "convolve2d": dict(
            x=X4,
            kernel=W4,
            bias=np.zeros(3),
            stride=1,
            padding=1,
            dilation=1,
            groups=1,
            padding_mode="zeros",
        ),
        "max_pool2d": dict(
            x=X, kernel_size=2, stride=2, padding=0, return_indices=False, dilation=1
        ),
        "avg_pool2d": dict(x=X, kernel_size=2, stride=2, padding=0, count_include_pad=True),
        "min_pool2d": dict(x=X, kernel_size=2, stride=2, padding=0),
        "adaptive_avg_pool2d": dict(x=X, output_size=2),
        "global_avg_pool2d": dict(x=X4),
        "relu": dict(x=X),
        "leaky_relu": dict(x=X, negative_slope=0.1),
        "sigmoid": dict(x=X),
        "tanh": dict(x=X),
        "gelu": dict(x=X, approximate="none"),
        "softmax": dict(x=LOGITS, axis=-1, temperature=1.0),
        "log_softmax": dict(x=LOGITS, axis=-1),
        "cross_entropy": dict(logits=LOGITS, target=np.array([1]), reduction="mean"),
        "linear": dict(x=np.ones((2, 3)), weight=np.ones((4, 3)), bias=np.zeros(4)),
        "flatten": dict(x=X4, start_dim=1, end_dim=-1),
        "conv2d_backward": dict(
            grad_out=np.ones((1, 3, 2, 2)),
            x=X4,
            weight=W4,
            stride=1,
            padding=0,
            dilation=1,
            groups=1,
        ),
        "max_pool2d_backward": dict(grad_out=np.ones((2, 2)), indices=IDX, input_shape=(4, 4)),
        "avg_pool2d_backward": dict(
            grad_out=np.ones((2, 2)),
            input_shape=(4, 4),
            kernel_size=2,
            stride=2,
            padding=0,
            count_include_pad=True,
        ),
        "relu_backward": dict(grad_out=X, x=X),
        "linear_backward": dict(
            grad_out=np.ones((2, 4)), x=np.ones((2, 3)), weight=np.ones((4, 3))
        ),
        "cross_entropy_backward": dict(logits=LOGITS, target=np.array([1]), reduction="mean"),
    },
    arithmetic: {
        "extent": dict(k=3, d=2),
        "formula_o": dict(i=5, k=3, p=0, s=1, d=1),
        "output_size": dict(i=5, k=3, p=0, s=1, d=1),
        "transpose_output_size": dict(i=3, k=3, p=0, s=2, d=1, output_padding=1),
        "transpose_formula_o": dict(i=3, k=3, p=0, s=2, d=1, output_padding=1),
        "unreached": dict(i=6, k=3, p=0, s=2, d=1),
        "check_fits": dict(size=(5, 5), kernel=(3, 3), dilation=(1, 1), what="padded input"),
        "formula_text": dict(
            i=5, k=3, p=0, s=1, d=1, transposed=False, output_padding=0, style="full"
        ),
        "coverage": dict(i=5, k=3, p=1, s=1, d=1, transposed=False, output_padding=0),
    },
    filters: {
        "apply_kernel": dict(image=X, kernel=np.ones((3, 3)), padding="same", mode="reflect"),
        "box_kernel": dict(size=3),
        "gabor_kernel": dict(size=5, sigma=2.0, theta=0.0, wavelength=4.0, gamma=0.5, phase=0.0),
        "gaussian_kernel": dict(size=5, sigma=1.0),
        "gradient_magnitude": dict(image=X, mode="reflect"),
        "identity_kernel": dict(size=3),
        "laplacian": dict(diagonal=False),
    },
    images: {
        "add_noise": dict(image=X / 16, sigma=0.1, seed=0),
        "checkerboard": dict(size=8, squares=2),
        "disk": dict(size=8, radius=2.0),
        "normalize": dict(image=X),
        "sample_photo": dict(gray=True, size=32),
        "standardize": dict(image=X, mean=0.5, std=2.0, axis=-1),
        "step_edge": dict(size=8, angle=0.0),
        "stripes": dict(size=8, period=4, angle=30.0),
        "to_grayscale": dict(image=np.ones((2, 2, 3))),
    },
}

CALLS[widgets] = {
    "ConvExplorer": dict(image=X),
    "ArithmeticExplorer": dict(i=5, k=3, p=0, s=1, d=1),
    "PoolingExplorer": dict(image=X),
    "SoftmaxExplorer": dict(logits=(1.0, 2.0), labels=("a", "b")),
}
CALLS[explorers] = {
    "ArithmeticExplorer": dict(i=5, k=3, p=0, s=1, d=1),
    "arithmetic_explorer": dict(i=5, k=3, p=0, s=1, d=1),
    "conv_explorer": dict(
        image="photo",
        kernel="gaussian",
        stride=1,
        padding=1,
        dilation=1,
        padding_mode="zeros",
        sigma=1.0,
        theta=0,
        wavelength=6,
    ),
    "pooling_explorer": dict(image="numbers", mode="max", kernel_size=2, stride=2, padding=0),
    "activation_explorer": dict(activation="relu", x=1.0, negative_slope=0.1),
    "softmax_explorer": dict(
        logits=(2.5, 1.8, 0.2), labels=("cat", "dog", "elephant"), temperature=1.0, target=0
    ),
    "network_explorer": dict(
        model=models.FastNet(widths=(2, 2, 2), num_classes=3),
        images=np.zeros((1, 3, 16, 16), dtype=np.uint8),
        labels=[2],
        classes=["a", "b", "c"],
        mean=(0.5, 0.5, 0.5),
        std=(0.2, 0.2, 0.2),
        title="tiny",
    ),
}
CALLS[viz] = VIZ_CALLS
CALLS[viz] = {**VIZ_CALLS, **ARCH_VIZ_CALLS}  # chapter 13's figures
CALLS[zoo] = ZOO_CALLS
CALLS[transfer] = TRANSFER_CALLS
CALLS[glue] = {
    "glue": dict(name="test_acc", value="91.8 %", display=False),
    "mime_bundle": dict(name="test_acc", value="91.8 %", display=False),
}
#: Tables built per test, in a fresh folder: module -> function(tmp_path) -> table.
BUILT = {
    benchmarks: benchmarks_calls,
    data: prepared_data_calls,
    models: models_calls,
    train: train_calls,
}

_RESULTS = (
    "ConvStepResult",
    "PoolingStepResult",
    "SoftmaxResult",
    "ArithmeticResult",
    "AnimationResult",
)

#: Public callables that take no user input, or that are not functions of data.
NOT_CHECKED = {
    (palette, "css_variables"): "takes no arguments",
    (ops, "Activation"): "a frozen record of the ACTIVATIONS registry, built by the package",
    (arithmetic, "KernelDoesNotFitError"): "an exception class, raised by the package",
    (arithmetic, "table"): "takes no arguments",
    (widgets, "ActivationExplorer"): "takes no arguments",
    (explorers, "AnimationHTML"): "a record built by animation_html from a checked animation",
    (explorers, "animation_html"): "tested in test_explorer.py: it needs a live animation",
    (explorers, "NetworkExplorer"): "a record built by network_explorer",
    (benchmarks, "cpu_name"): "takes no arguments",
    (data, "cache_dir"): "takes no arguments",
    (data, "clear_cache"): "takes no arguments",
    (data, "data_dir"): "takes no arguments",
    (train, "fast_mode"): "takes no arguments",
    (train, "Config"): "a dataclass: every field is tried in test_train.py",
    (train, "History"): "a dict of lists that fit builds",
    (train, "prepare_cifar10"): "needs the real data; its checks are cnnviz.data's",
    **{(viz, name): "a frozen result record built by a figure" for name in _RESULTS},
    (viz, "Figure"): "matplotlib's Figure with a PNG repr; built by every figure",
    (viz, "AllReduceResult"): "a frozen result record built by show_all_reduce",
    (viz, "DataParallelResult"): "a frozen result record built by show_data_parallel",
    (inspect, "ReceptiveField"): "a frozen result record built by receptive_field",
    (inspect, "TopActivations"): "a frozen result record built by top_activating",
    (zoo, "Architecture"): "a frozen record of the ARCHITECTURES table, built by the package",
    **{
        (filters, name): "takes no arguments"
        for name in ("emboss", "prewitt_x", "prewitt_y", "scharr_x", "scharr_y", "sharpen")
        + ("sobel_x", "sobel_y")
    },
}


class _Unusable:
    """A value no argument accepts: not a number, not an array, not a string, not a bool."""

    def __repr__(self):
        return "<unusable>"


BAD = _Unusable()


def _public_callables(module):
    for name in module.__all__:
        value = getattr(module, name)
        if callable(value) and not isinstance(value, dict):
            yield name


def _problems(module, calls):
    """Every way the module breaks the convention, as readable lines (empty when none)."""
    problems = []
    for name in _public_callables(module):
        if (module, name) in NOT_CHECKED:
            continue
        if name not in calls:
            problems.append(f"{name} has no valid call in the tables")
            continue
        call, kwargs = getattr(module, name), calls[name]
        params = pyinspect.signature(call).parameters.values()
        named = {p.name for p in params if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)}
        missing = named - set(kwargs)
        if missing:
            problems.append(f"{name}: arguments {sorted(missing)} are never tried")
        call(**kwargs)  # the valid call runs
        problems += [f"{name}({arg}=...): {p}" for arg in kwargs for p in _bad(call, kwargs, arg)]
    return problems


def _bad(call, kwargs, arg):
    try:
        call(**dict(kwargs, **{arg: BAD}))
    except (TypeError, ValueError) as err:
        message = str(err)
        if not re.search(rf"\b{re.escape(arg)}\b.* must\b", message) or "got" not in message:
            return [f"unclear message: {message}"]
        return []
    return ["accepted"]


CALLS[viz] = {**CALLS[viz], **DISTRIBUTED_VIZ_CALLS}  # the appendix's figures
CALLS[palette] = {}
CALLS[inspect] = INSPECT_CALLS
MODULES = [*CALLS, *BUILT]


@pytest.mark.filterwarnings("ignore:Animation was deleted")
@pytest.mark.parametrize("module", MODULES, ids=lambda m: m.__name__)
def test_a_bad_argument_raises_a_clear_error_naming_it(module, tmp_path):
    calls = BUILT[module](tmp_path) if module in BUILT else CALLS[module]
    problems = _problems(module, calls)
    assert not problems, "\n".join(problems)
