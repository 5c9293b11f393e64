"""One bad value through every argument of every public function of cnnviz.

The checking convention (:mod:`cnnviz._checks`): a wrong type raises ``TypeError``, a wrong
value ``ValueError``, and the message names the argument: ``"stride must be …, got …"``.
``CALLS`` holds one valid call per public callable; the test replaces each argument in turn
with a value no function accepts and checks the error. ``test_every_public_callable_is_covered``
makes a new public function without an entry here fail, so the convention cannot erode.
"""

from __future__ import annotations

import inspect
import re

import numpy as np
import pytest

from cnnviz import arithmetic, filters, images, ops

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

#: Public callables that take no user input, or that are not functions of data.
NOT_CHECKED = {
    (ops, "Activation"): "a frozen record of the ACTIVATIONS registry, built by the package",
    (arithmetic, "KernelDoesNotFitError"): "an exception class, raised by the package",
    (arithmetic, "table"): "takes no arguments",
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


def _cases():
    for module, calls in CALLS.items():
        for name, kwargs in calls.items():
            for arg in kwargs:
                yield pytest.param(module, name, arg, id=f"{module.__name__}.{name}-{arg}")


def _public_callables(module):
    for name in module.__all__:
        value = getattr(module, name)
        if callable(value) and not isinstance(value, dict):
            yield name


@pytest.mark.parametrize(("module", "name", "arg"), list(_cases()))
def test_a_bad_argument_raises_a_clear_error_naming_it(module, name, arg):
    call = getattr(module, name)
    kwargs = dict(CALLS[module][name], **{arg: BAD})
    with pytest.raises((TypeError, ValueError)) as info:
        call(**kwargs)
    message = str(info.value)
    assert re.search(rf"\b{re.escape(arg)}\b.* must\b", message), message
    assert "got" in message, message


@pytest.mark.parametrize("module", list(CALLS), ids=lambda m: m.__name__)
def test_the_valid_calls_run(module):
    for name, kwargs in CALLS[module].items():
        getattr(module, name)(**kwargs)


@pytest.mark.parametrize("module", list(CALLS), ids=lambda m: m.__name__)
def test_every_public_callable_is_covered(module):
    for name in _public_callables(module):
        if (module, name) in NOT_CHECKED:
            continue
        assert name in CALLS[module], f"{module.__name__}.{name} has no entry in CALLS"
        params = inspect.signature(getattr(module, name)).parameters
        missing = set(params) - set(CALLS[module][name])
        assert not missing, f"{module.__name__}.{name}: arguments {missing} are never tried"
