"""The backward passes of cnnviz.ops against torch.autograd and against numerical gradients."""

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from strategies import (
    assert_like_torch,
    conv_cases,
    cross_entropy_cases,
    dtypes,
    finite_abs,
    hostile_arrays,
    pool_cases,
    quietly,
    seeds,
    torch_reference_path,
)

from cnnviz import ops

torch = pytest.importorskip("torch")
F = torch.nn.functional

SETTINGS = settings(max_examples=30, deadline=None)
TOL = {np.float32: {"rtol": 2e-4, "atol": 2e-5}, np.float64: {"rtol": 1e-10, "atol": 1e-12}}


def randn(seed, shape, dtype=np.float64):
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)


def leaf(a):
    """A torch tensor that records its gradient."""
    return torch.from_numpy(np.ascontiguousarray(a)).requires_grad_(True)


def assert_close(ours, reference, dtype):
    reference = reference.detach().numpy() if isinstance(reference, torch.Tensor) else reference
    assert ours.dtype == dtype
    assert ours.shape == reference.shape
    np.testing.assert_allclose(ours, reference, **TOL[dtype])


def numerical_gradient(f, x, eps=1e-6):
    """Central differences (f(x + eps) - f(x - eps)) / 2 eps, one element of x at a time."""
    grad = np.zeros_like(x)
    for index in np.ndindex(x.shape):
        saved = x[index]
        x[index] = saved + eps
        plus = f(x)
        x[index] = saved - eps
        minus = f(x)
        x[index] = saved
        grad[index] = (plus - minus) / (2 * eps)
    return grad


def assert_gradient_check(analytic, numeric):
    """Relative error max|a - n| / max|n| below 1e-7 (float64, eps = 1e-6)."""
    scale = max(np.abs(numeric).max(), 1e-12)
    assert np.abs(analytic - numeric).max() / scale < 1e-7


# ---------------------------------------------------------------------------------------------
# conv2d_backward
# ---------------------------------------------------------------------------------------------


def torch_conv2d(x, weight, bias, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # torch: 'same' with an even kernel
        return F.conv2d(x, weight, bias, **kwargs)


@given(case=conv_cases(max_size=10), seed=seeds, dtype=dtypes)
@SETTINGS
def test_conv2d_backward_matches_torch_autograd(case, seed, dtype):
    x = randn(seed, case["x_shape"], dtype)
    weight = randn(seed + 1, case["w_shape"], dtype)
    bias = randn(seed + 2, case["w_shape"][0], dtype)
    tx, tw, tb = leaf(x), leaf(weight), leaf(bias)
    out = torch_conv2d(tx, tw, tb, **case["kwargs"])
    grad_out = randn(seed + 3, tuple(out.shape), dtype)
    out.backward(torch.from_numpy(grad_out))
    grad_x, grad_w, grad_b = ops.conv2d_backward(grad_out, x, weight, **case["kwargs"])
    assert_close(grad_x, tx.grad, dtype)
    assert_close(grad_w, tw.grad, dtype)
    assert_close(grad_b, tb.grad, dtype)


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"padding": 1},
        {"stride": 2, "padding": (1, 0)},
        {"dilation": (2, 1), "padding": "same"},
        {"groups": 2, "stride": (1, 2)},
    ],
)
def test_conv2d_backward_passes_a_numerical_gradient_check(kwargs):
    rng = np.random.default_rng(0)
    x, weight, bias = (
        rng.normal(size=(2, 2, 5, 6)),
        rng.normal(size=(4, 2 // kwargs.get("groups", 1), 3, 2)),
        rng.normal(size=4),
    )
    r = rng.normal(size=ops.conv2d(x, weight, bias, **kwargs).shape)  # loss = sum(r * out)

    def loss(x_, w_, b_):
        return float((r * ops.conv2d(x_, w_, b_, **kwargs)).sum())

    grad_x, grad_w, grad_b = ops.conv2d_backward(r, x, weight, **kwargs)
    assert_gradient_check(grad_x, numerical_gradient(lambda v: loss(v, weight, bias), x))
    assert_gradient_check(grad_w, numerical_gradient(lambda v: loss(x, v, bias), weight))
    assert_gradient_check(grad_b, numerical_gradient(lambda v: loss(x, weight, v), bias))


@pytest.mark.parametrize("padding", [0, 1, 2])
def test_weight_gradient_is_a_correlation_of_the_input_with_the_output_gradient(padding):
    rng = np.random.default_rng(1)
    x, weight = rng.normal(size=(3, 2, 7, 6)), rng.normal(size=(4, 2, 3, 2))
    grad_out = rng.normal(size=ops.conv2d(x, weight, padding=padding).shape)
    _, grad_w, _ = ops.conv2d_backward(grad_out, x, weight, padding=padding)
    # Channels of x become the batch, the batch becomes the channels that are summed over,
    # and grad_out is the kernel: grad_w[o, c] = sum_n conv2d(x[n, c], grad_out[n, o]).
    correlation = ops.conv2d(
        x.transpose(1, 0, 2, 3), grad_out.transpose(1, 0, 2, 3), padding=padding
    ).transpose(1, 0, 2, 3)
    np.testing.assert_allclose(grad_w, correlation, rtol=1e-12, atol=1e-12)
    one = ops.conv2d(x[0, 1], grad_out[0, 3], padding=padding)  # one image, one pair of maps
    _, grad_w0, _ = ops.conv2d_backward(grad_out[:1], x[:1], weight, padding=padding)
    np.testing.assert_allclose(grad_w0[3, 1], one, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("padding", [0, 1, 2])
def test_input_gradient_is_a_full_convolution_with_the_flipped_kernel(padding):
    rng = np.random.default_rng(2)
    x, weight = rng.normal(size=(2, 3, 6, 7)), rng.normal(size=(4, 3, 3, 2))
    kh, kw = weight.shape[2:]
    grad_out = rng.normal(size=ops.conv2d(x, weight, padding=padding).shape)
    grad_x, _, _ = ops.conv2d_backward(grad_out, x, weight, padding=padding)
    flipped = weight[:, :, ::-1, ::-1].transpose(1, 0, 2, 3)  # rotate 180°, swap in and out
    full = ops.conv2d(grad_out, flipped, padding=(kh - 1, kw - 1))  # the padded input's gradient
    h, w = x.shape[2:]
    cropped = full[:, :, padding : padding + h, padding : padding + w]
    np.testing.assert_allclose(grad_x, cropped, rtol=1e-12, atol=1e-12)
    true_conv = ops.convolve2d(grad_out, weight.transpose(1, 0, 2, 3), padding=(kh - 1, kw - 1))
    np.testing.assert_allclose(full, true_conv, rtol=1e-12, atol=1e-12)


def test_conv2d_backward_accepts_an_image_and_a_kernel():
    x = np.arange(9.0).reshape(3, 3)
    grad_x, grad_w, grad_b = ops.conv2d_backward(np.ones((2, 2)), x, [[0, 1], [2, 3]])
    np.testing.assert_array_equal(grad_w, ops.conv2d(x, np.ones((2, 2))))
    np.testing.assert_array_equal(grad_x, [[0, 1, 1], [2, 6, 4], [2, 5, 3]])
    assert grad_x.shape == (3, 3) and grad_b.shape == () and grad_b == 4
    gx, gw, gb = ops.conv2d_backward(np.ones((1, 2, 2)), x[None], np.array([[[[0, 1], [2, 3]]]]))
    assert gx.shape == (1, 3, 3) and gw.shape == (1, 1, 2, 2) and gb.shape == (1,)
    np.testing.assert_array_equal(gx[0], grad_x)


def test_conv2d_backward_names_mismatched_shapes():
    x, weight = np.zeros((2, 3, 8, 8)), np.zeros((4, 3, 3, 3))
    with pytest.raises(
        ValueError, match=r"grad_out must have shape \(2, 4, 6, 6\) .*, got \(2, 4, 8, 8\)"
    ):
        ops.conv2d_backward(np.zeros((2, 4, 8, 8)), x, weight)
    with pytest.raises(ValueError, match=r"x must have 2 x 1 = 2 channels .*, got 3 channels"):
        ops.conv2d_backward(np.zeros((2, 4, 6, 6)), x, np.zeros((4, 2, 3, 3)))
    with pytest.raises(ValueError, match="does not fit"):
        ops.conv2d_backward(np.zeros((2, 4, 1, 1)), x, np.zeros((4, 3, 9, 9)))


# ---------------------------------------------------------------------------------------------
# Pooling
# ---------------------------------------------------------------------------------------------


LEADS = [(), (3,), (2, 3)]


def batched(a):
    """torch's pooling takes (C, H, W) or (N, C, H, W): add a channel axis to an (H, W) image."""
    return a[None] if a.ndim == 2 else a


@given(case=pool_cases(LEADS, max_size=9), seed=seeds, dtype=dtypes)
@SETTINGS
def test_max_pool2d_backward_matches_torch_autograd(case, seed, dtype):
    x = randn(seed, case["shape"], dtype)
    args = (case["kernel_size"], case["stride"], case["padding"])
    tx = leaf(batched(x))
    out = F.max_pool2d(tx, *args)
    grad_out = randn(seed + 1, tuple(out.shape), dtype).reshape(ops.max_pool2d(x, *args).shape)
    out.backward(torch.from_numpy(batched(grad_out)))
    _, indices = ops.max_pool2d(x, *args, return_indices=True)
    grad_x = ops.max_pool2d_backward(grad_out, indices, x.shape)
    assert_close(grad_x, tx.grad.reshape(x.shape), dtype)


@given(
    case=pool_cases(LEADS, max_size=9), seed=seeds, dtype=dtypes, count_include_pad=st.booleans()
)
@SETTINGS
def test_avg_pool2d_backward_matches_torch_autograd(case, seed, dtype, count_include_pad):
    x = randn(seed, case["shape"], dtype)
    args = (case["kernel_size"], case["stride"], case["padding"])
    tx = leaf(batched(x))
    out = F.avg_pool2d(tx, *args, count_include_pad=count_include_pad)
    grad_out = randn(seed + 1, tuple(out.shape), dtype).reshape(ops.avg_pool2d(x, *args).shape)
    out.backward(torch.from_numpy(batched(grad_out)))
    grad_x = ops.avg_pool2d_backward(grad_out, x.shape, *args, count_include_pad=count_include_pad)
    assert_close(grad_x, tx.grad.reshape(x.shape), dtype)


@pytest.mark.parametrize(
    "args", [(2,), (3, 1), (3, 2, 1), ((2, 3), (1, 2), (1, 0))], ids=["2", "3s1", "3s2p1", "rect"]
)
def test_pool_backward_passes_a_numerical_gradient_check(args):
    rng = np.random.default_rng(3)
    x = rng.permutation(2 * 3 * 6 * 7).reshape(2, 3, 6, 7) / 10.0  # distinct: no ties in a max
    y, indices = ops.max_pool2d(x, *args, return_indices=True)
    r = rng.normal(size=y.shape)
    numeric = numerical_gradient(lambda v: float((r * ops.max_pool2d(v, *args)).sum()), x)
    assert_gradient_check(ops.max_pool2d_backward(r, indices, x.shape), numeric)
    for count_include_pad in (True, False):

        def loss(v, cip=count_include_pad):
            return float((r * ops.avg_pool2d(v, *args, count_include_pad=cip)).sum())

        analytic = ops.avg_pool2d_backward(r, x.shape, *args, count_include_pad=count_include_pad)
        assert_gradient_check(analytic, numerical_gradient(loss, x))


def test_max_pool2d_backward_routes_the_gradient_to_the_maximum():
    x = np.array([[1, 0, 2, 3], [4, 6, 6, 8], [3, 1, 1, 0], [1, 2, 2, 4]])
    _, idx = ops.max_pool2d(x, 2, return_indices=True)
    grad = ops.max_pool2d_backward(np.array([[10, 20], [30, 40]]), idx, x.shape)
    assert grad[1, 1] == 10 and grad[1, 3] == 20 and grad[2, 0] == 30 and grad[3, 3] == 40
    assert grad.sum() == 100
    # Overlapping windows (stride 1) that share a maximum add up their gradients.
    _, idx = ops.max_pool2d(x, 2, stride=1, return_indices=True)
    grad = ops.max_pool2d_backward(np.ones((3, 3)), idx, x.shape)
    assert grad[1, 1] == 4 and grad[1, 3] == 2 and grad.sum() == 9  # the 6 at (1, 1) wins 4


def test_pool_backward_names_mismatched_shapes():
    x = np.zeros((2, 3, 4, 4))
    _, idx = ops.max_pool2d(x, 2, return_indices=True)
    with pytest.raises(
        ValueError,
        match=r"indices must have the shape of grad_out \(2, 3, 2, 1\), got \(2, 3, 2, 2\)",
    ):
        ops.max_pool2d_backward(np.zeros((2, 3, 2, 1)), idx, x.shape)
    with pytest.raises(
        ValueError,
        match=r"grad_out must have the leading axes of input_shape \(2, 4, 4, 4\) .*, "
        r"got shape \(2, 3, 2, 2\)",
    ):
        ops.max_pool2d_backward(np.zeros((2, 3, 2, 2)), idx, (2, 4, 4, 4))
    with pytest.raises(ValueError, match=r"indices must lie in \[0, H\*W\) = \[0, 9\)"):
        ops.max_pool2d_backward(np.zeros((2, 3, 2, 2)), idx, (2, 3, 3, 3))
    with pytest.raises(TypeError, match="indices must be integers"):
        ops.max_pool2d_backward(np.zeros((2, 3, 2, 2)), idx.astype(float), x.shape)
    with pytest.raises(ValueError, match=r"grad_out must have shape \(2, 3, 2, 2\) .*, got"):
        ops.avg_pool2d_backward(np.zeros((2, 3, 4, 4)), x.shape, 2)
    with pytest.raises(ValueError, match="input_shape must be"):
        ops.avg_pool2d_backward(np.zeros((2, 2)), (4,), 2)


# ---------------------------------------------------------------------------------------------
# relu, linear and cross-entropy
# ---------------------------------------------------------------------------------------------


@given(seed=seeds, dtype=dtypes)
@SETTINGS
def test_relu_backward_matches_torch_autograd(seed, dtype):
    x = randn(seed, (3, 4, 5), dtype)
    x[0, 0, :2] = 0.0  # torch's gradient at exactly 0 is 0
    grad_out = randn(seed + 1, x.shape, dtype)
    tx = leaf(x)
    F.relu(tx).backward(torch.from_numpy(grad_out))
    assert_close(ops.relu_backward(grad_out, x), tx.grad, dtype)


@given(seed=seeds, dtype=dtypes, lead=st.sampled_from([(), (4,), (2, 3)]))
@SETTINGS
def test_linear_backward_matches_torch_autograd(seed, dtype, lead):
    x, weight, bias = (
        randn(seed, (*lead, 5), dtype),
        randn(seed + 1, (3, 5), dtype),
        randn(seed + 2, 3, dtype),
    )
    tx, tw, tb = leaf(x), leaf(weight), leaf(bias)
    grad_out = randn(seed + 3, (*lead, 3), dtype)
    F.linear(tx, tw, tb).backward(torch.from_numpy(grad_out))
    grad_x, grad_w, grad_b = ops.linear_backward(grad_out, x, weight)
    assert_close(grad_x, tx.grad, dtype)
    assert_close(grad_w, tw.grad, dtype)
    assert_close(grad_b, tb.grad, dtype)


@given(
    seed=seeds,
    dtype=dtypes,
    shape=st.sampled_from([(5,), (4, 5), (3, 5, 2, 2)]),
    probabilities=st.booleans(),
    reduction=st.sampled_from(["mean", "sum"]),
)
@SETTINGS
def test_cross_entropy_backward_matches_torch_autograd(
    seed, dtype, shape, probabilities, reduction
):
    rng = np.random.default_rng(seed)
    logits = (3 * rng.standard_normal(shape)).astype(dtype)
    class_axis = 1 if len(shape) > 1 else 0
    if probabilities:
        target = ops.softmax(rng.standard_normal(shape), axis=class_axis).astype(dtype)
        torch_target = torch.from_numpy(target)
    else:
        target = rng.integers(0, 5, size=shape[:class_axis] + shape[class_axis + 1 :])
        torch_target = torch.from_numpy(np.asarray(target))
    tl = leaf(logits)
    F.cross_entropy(tl, torch_target, reduction=reduction).backward()
    assert_close(ops.cross_entropy_backward(logits, target, reduction=reduction), tl.grad, dtype)


def test_relu_linear_and_cross_entropy_pass_a_numerical_gradient_check():
    rng = np.random.default_rng(4)
    x, r = rng.normal(size=(3, 4)), rng.normal(size=(3, 4))
    numeric = numerical_gradient(lambda v: float((r * ops.relu(v)).sum()), x)
    assert_gradient_check(ops.relu_backward(r, x), numeric)

    weight, bias, r = rng.normal(size=(2, 4)), rng.normal(size=2), rng.normal(size=(3, 2))

    def loss(x_, w_, b_):
        return float((r * ops.linear(x_, w_, b_)).sum())

    grad_x, grad_w, grad_b = ops.linear_backward(r, x, weight)
    assert_gradient_check(grad_x, numerical_gradient(lambda v: loss(v, weight, bias), x))
    assert_gradient_check(grad_w, numerical_gradient(lambda v: loss(x, v, bias), weight))
    assert_gradient_check(grad_b, numerical_gradient(lambda v: loss(x, weight, v), bias))

    logits, target = rng.normal(size=(4, 3)), np.array([0, 2, 1, 2])
    numeric = numerical_gradient(lambda v: float(ops.cross_entropy(v, target)), logits)
    assert_gradient_check(ops.cross_entropy_backward(logits, target), numeric)


def test_cross_entropy_gradient_is_softmax_minus_onehot_over_n():
    logits = np.array([[2.5, 1.8, 0.2], [0.0, 0.0, 0.0]])
    onehot = np.array([[1.0, 0, 0], [0, 0, 1]])
    expected = (ops.softmax(logits) - onehot) / 2
    np.testing.assert_allclose(ops.cross_entropy_backward(logits, [0, 2]), expected, rtol=1e-15)
    np.testing.assert_allclose(ops.cross_entropy_backward(logits, onehot), expected, rtol=1e-15)
    grad = ops.cross_entropy_backward([1000.0, -1000.0], 1)  # finite for huge logits
    np.testing.assert_array_equal(grad, [1.0, -1.0])


def test_dense_backward_names_mismatched_shapes():
    with pytest.raises(ValueError, match=r"grad_out must have shape \(3, 4\) .*, got \(4, 3\)"):
        ops.relu_backward(np.zeros((4, 3)), np.zeros((3, 4)))
    with pytest.raises(ValueError, match=r"grad_out must have shape \(8, 3\) .*, got \(8, 2\)"):
        ops.linear_backward(np.zeros((8, 2)), np.zeros((8, 5)), np.zeros((3, 5)))
    with pytest.raises(ValueError, match=r"x must end in in_features = 5 .*, got shape \(8, 4\)"):
        ops.linear_backward(np.zeros((8, 3)), np.zeros((8, 4)), np.zeros((3, 5)))
    with pytest.raises(ValueError, match=r"target must have shape \(2,\) \(class indices"):
        ops.cross_entropy_backward(np.zeros((2, 3)), [0, 1, 2])
    with pytest.raises(ValueError, match=r"reduction must be one of 'mean', 'sum'"):
        ops.cross_entropy_backward(np.zeros((2, 3)), [0, 1], reduction="none")


# ---------------------------------------------------------------------------------------------
# Hostile input: inf, -inf and NaN in random places, empty axes, huge and tiny magnitudes, ties
# ---------------------------------------------------------------------------------------------
#
# Every backward pass, and every derivative of ACTIVATIONS, matches torch.autograd (NaN and
# infinities in the same places, finite values up to rounding against the same gradient of
# the absolute values) without NumPy RuntimeWarnings. Empty batches give empty input
# gradients and zero weight gradients, as in torch.

HOSTILE = settings(max_examples=50, deadline=None)


def grads(fn, inputs, grad_out):
    """torch.autograd's gradients of ``fn(*inputs)`` for the output gradient ``grad_out``.

    On torch's reference path (:func:`strategies.torch_reference_path`); UserWarnings (torch:
    'same' padding with an even kernel) are ignored.
    """
    leaves = [leaf(a) for a in inputs]
    with torch_reference_path():
        out = fn(*leaves)
        out.backward(torch.from_numpy(np.ascontiguousarray(grad_out)).reshape(out.shape))
    return [t.grad.numpy() if t.grad is not None else np.zeros(t.shape) for t in leaves]


@given(case=conv_cases(max_size=8, min_batch=0), dtype=dtypes, data=st.data())
@HOSTILE
def test_conv2d_backward_under_hostile_input_matches_torch_autograd(case, dtype, data):
    x = data.draw(hostile_arrays(case["x_shape"], dtype))
    weight = data.draw(hostile_arrays(case["w_shape"], dtype))
    bias = np.zeros(case["w_shape"][0], dtype)
    shape = ops.conv2d(np.zeros(x.shape), np.zeros(weight.shape), **case["kwargs"]).shape
    grad_out = data.draw(hostile_arrays(shape, dtype))

    def conv(*arrays):
        return F.conv2d(*arrays, **case["kwargs"])

    refs = grads(conv, (x, weight, bias), grad_out)
    bounds = grads(conv, map(finite_abs, (x, weight, bias)), finite_abs(grad_out))
    ours = quietly(ops.conv2d_backward, grad_out, x, weight, **case["kwargs"])
    for mine, ref, bound in zip(ours, refs, bounds, strict=True):
        assert_like_torch(mine, ref, dtype, bound)
    if x.shape[0] == 0:
        assert not ours[1].any() and not ours[2].any()


def test_conv2d_backward_of_an_empty_batch():
    # The case: NumPy's "cannot reshape array of size 0" before.
    x, w = np.zeros((0, 3, 5, 5)), np.ones((4, 3, 3, 3))
    grad_x, grad_w, grad_b = ops.conv2d_backward(np.zeros((0, 4, 3, 3)), x, w)
    assert grad_x.shape == (0, 3, 5, 5)
    np.testing.assert_array_equal(grad_w, np.zeros((4, 3, 3, 3)))
    np.testing.assert_array_equal(grad_b, np.zeros(4))
    _, idx = ops.max_pool2d(x, 2, return_indices=True)
    assert ops.max_pool2d_backward(np.zeros((0, 3, 2, 2)), idx, x.shape).shape == x.shape
    assert ops.avg_pool2d_backward(np.zeros((0, 3, 2, 2)), x.shape, 2).shape == x.shape


POOL_LEADS = [(), (0,), (3,), (0, 3), (2, 0), (2, 3)]


@given(
    case=pool_cases(POOL_LEADS, max_size=8),
    dtype=dtypes,
    count_include_pad=st.booleans(),
    data=st.data(),
)
@HOSTILE
def test_pool_backward_under_hostile_input_matches_torch_autograd(
    case, dtype, count_include_pad, data
):
    x = data.draw(hostile_arrays(case["shape"], dtype, extreme=True))
    args = (case["kernel_size"], case["stride"], case["padding"])
    values, indices = ops.max_pool2d(x, *args, return_indices=True)
    grad_out = data.draw(hostile_arrays(values.shape, dtype))
    ours_max = quietly(ops.max_pool2d_backward, grad_out, indices, x.shape)
    ours_avg = quietly(
        ops.avg_pool2d_backward, grad_out, x.shape, *args, count_include_pad=count_include_pad
    )
    if x.size == 0:  # torch refuses empty channels; the gradient of nothing is nothing
        assert ours_max.shape == ours_avg.shape == x.shape
        return
    (ref,) = grads(lambda t: F.max_pool2d(t, *args), [batched(x)], grad_out)
    (bound,) = grads(lambda t: F.max_pool2d(t, *args), [batched(x)], finite_abs(grad_out))
    assert_like_torch(ours_max, ref.reshape(x.shape), dtype, bound.reshape(x.shape))

    def avg(t):
        return F.avg_pool2d(t, *args, count_include_pad=count_include_pad)

    (ref,) = grads(avg, [batched(x)], grad_out)
    (bound,) = grads(avg, [batched(x)], finite_abs(grad_out))
    assert_like_torch(ours_avg, ref.reshape(x.shape), dtype, bound.reshape(x.shape))


@given(shape=st.sampled_from([(0,), (3, 4, 5), (2, 0)]), dtype=dtypes, data=st.data())
@HOSTILE
def test_relu_backward_under_hostile_input_matches_torch_autograd(shape, dtype, data):
    x = data.draw(hostile_arrays(shape, dtype, extreme=True))
    grad_out = data.draw(hostile_arrays(shape, dtype, extreme=True))
    (ref,) = grads(F.relu, [x], grad_out)
    assert_like_torch(quietly(ops.relu_backward, grad_out, x), ref, dtype)


@pytest.mark.parametrize("name", list(ops.ACTIVATIONS))
@given(dtype=dtypes, data=st.data())
@settings(max_examples=25, deadline=None)
def test_activation_derivatives_under_hostile_input_match_torch_autograd(name, dtype, data):
    activation = ops.ACTIVATIONS[name]
    x = data.draw(hostile_arrays((4, 9), dtype, extreme=True))
    module = getattr(torch.nn, activation.torch_module)(**activation.options)
    (ref,) = grads(module, [x], np.ones_like(x))
    bound = np.maximum(finite_abs(ref), 1.0)  # sums of terms of order 1 (gelu: cdf + x pdf)
    assert_like_torch(quietly(activation.derivative, x), ref, dtype, bound)


@given(
    lead=st.sampled_from([(), (0,), (3,), (2, 0), (2, 3)]),
    features=st.sampled_from([(0, 3), (5, 0), (5, 3)]),
    dtype=dtypes,
    data=st.data(),
)
@HOSTILE
def test_linear_backward_under_hostile_input_matches_torch_autograd(lead, features, dtype, data):
    n_in, n_out = features
    x = data.draw(hostile_arrays((*lead, n_in), dtype))
    weight = data.draw(hostile_arrays((n_out, n_in), dtype))
    grad_out = data.draw(hostile_arrays((*lead, n_out), dtype))
    inputs = (x, weight, np.zeros(n_out, dtype))
    refs = grads(F.linear, inputs, grad_out)
    bounds = grads(F.linear, map(finite_abs, inputs), finite_abs(grad_out))
    ours = quietly(ops.linear_backward, grad_out, x, weight)
    for mine, ref, bound in zip(ours, refs, bounds, strict=True):
        assert_like_torch(mine, ref, dtype, bound)


@given(reduction=st.sampled_from(["mean", "sum"]), dtype=dtypes, data=st.data())
@HOSTILE
def test_cross_entropy_backward_under_hostile_input_matches_torch_autograd(reduction, dtype, data):
    logits, target = data.draw(cross_entropy_cases(dtype))

    def loss(t):
        return F.cross_entropy(t, torch.from_numpy(target), reduction=reduction)

    (ref,) = grads(loss, [logits], np.ones(()))
    ours = quietly(ops.cross_entropy_backward, logits, target, reduction=reduction)
    assert_like_torch(ours, ref, dtype, np.ones_like(ref))  # each entry lies in [-1, 1]


# ---------------------------------------------------------------------------------------------
# A whole network: the chain rule through conv, ReLU, pool, linear and the loss
# ---------------------------------------------------------------------------------------------


def test_chain_rule_through_a_small_cnn_matches_torch_autograd():
    rng = np.random.default_rng(5)
    x, target = rng.normal(size=(4, 1, 8, 8)), rng.integers(0, 3, size=4)
    w1, b1 = rng.normal(size=(2, 1, 3, 3)), rng.normal(size=2)
    w2, b2 = rng.normal(size=(3, 2 * 4 * 4)), rng.normal(size=3)
    # Forward, keeping what the backward pass needs.
    z1 = ops.conv2d(x, w1, b1, padding=1)
    a1 = ops.relu(z1)
    p1, idx = ops.max_pool2d(a1, 2, return_indices=True)
    logits = ops.linear(ops.flatten(p1), w2, b2)
    # Backward, one op at a time, in reverse order.
    g_logits = ops.cross_entropy_backward(logits, target)
    g_flat, g_w2, g_b2 = ops.linear_backward(g_logits, ops.flatten(p1), w2)
    g_a1 = ops.max_pool2d_backward(g_flat.reshape(p1.shape), idx, a1.shape)
    _, g_w1, g_b1 = ops.conv2d_backward(ops.relu_backward(g_a1, z1), x, w1, padding=1)

    tw1, tb1, tw2, tb2 = map(leaf, (w1, b1, w2, b2))
    t = F.max_pool2d(F.relu(F.conv2d(torch.from_numpy(x), tw1, tb1, padding=1)), 2)
    F.cross_entropy(F.linear(t.flatten(1), tw2, tb2), torch.from_numpy(target)).backward()
    for ours, ref in [(g_w1, tw1), (g_b1, tb1), (g_w2, tw2), (g_b2, tb2)]:
        assert_close(ours, ref.grad, np.float64)
