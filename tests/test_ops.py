"""cnnviz.ops against trusted references: torch.nn.functional, scipy.signal, worked examples."""

import re
import warnings

import numpy as np
import pytest
import scipy.signal
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

SETTINGS = settings(max_examples=40, deadline=None)
TOL = {np.float32: {"rtol": 2e-4, "atol": 2e-5}, np.float64: {"rtol": 1e-10, "atol": 1e-12}}


def randn(seed, shape, dtype=np.float64, scale=1.0):
    return (scale * np.random.default_rng(seed).standard_normal(shape)).astype(dtype)


def T(a):  # noqa: N802 - a short name keeps the comparisons readable
    return torch.from_numpy(np.ascontiguousarray(a).reshape(np.shape(a)))


def assert_matches(ours, reference, dtype):
    reference = reference.detach().numpy() if isinstance(reference, torch.Tensor) else reference
    assert ours.dtype == dtype
    assert ours.shape == reference.shape
    np.testing.assert_allclose(ours, reference, **TOL[dtype])


# ---------------------------------------------------------------------------------------------
# Worked examples
# ---------------------------------------------------------------------------------------------

BINARY_IMAGE = [
    [1, 1, 1, 0, 0],
    [0, 1, 1, 1, 0],
    [0, 0, 1, 1, 1],
    [0, 0, 1, 1, 0],
    [0, 1, 1, 0, 0],
]
X_KERNEL = [[1, 0, 1], [0, 1, 0], [1, 0, 1]]


def test_binary_image_with_x_kernel():
    out = ops.conv2d(BINARY_IMAGE, X_KERNEL)
    np.testing.assert_array_equal(out, [[4, 3, 4], [2, 4, 3], [2, 3, 4]])
    assert out.dtype == np.float64  # integer input computes in float64


def test_d2l_cross_correlation_example():
    x = np.array([[0, 1, 2], [3, 4, 5], [6, 7, 8]])
    out = ops.conv2d(x, np.array([[0, 1], [2, 3]]))
    np.testing.assert_array_equal(out, [[19, 25], [37, 43]])
    assert 0 * 0 + 1 * 1 + 3 * 2 + 4 * 3 == out[0, 0]


def test_pooling_a_2x2_window():
    window = np.array([[1, 0], [4, 6]])
    assert ops.max_pool2d(window, 2)[0, 0] == 6
    assert ops.avg_pool2d(window, 2)[0, 0] == 2.75
    assert ops.min_pool2d(window, 2)[0, 0] == 0


def test_softmax_worked_example():
    np.testing.assert_array_equal(ops.softmax([2.5, 1.8, 0.2]).round(3), [0.626, 0.311, 0.063])


@pytest.mark.parametrize("big", [1000.0, -1000.0])
def test_softmax_and_cross_entropy_finite_for_huge_logits(big):
    logits = np.array([[big, -big, 0.0], [-big, big, big]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no overflow / invalid-value RuntimeWarning
        p = ops.softmax(logits)
        log_p = ops.log_softmax(logits)
        loss = ops.cross_entropy(logits, [1, 0], reduction="none")
    assert np.isfinite(p).all() and np.isfinite(log_p).all() and np.isfinite(loss).all()
    np.testing.assert_allclose(p.sum(axis=-1), 1.0)
    np.testing.assert_allclose(
        loss, F.cross_entropy(T(logits), T(np.array([1, 0])), reduction="none")
    )


def test_sigmoid_does_not_overflow():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = ops.sigmoid(np.array([-1000.0, -50.0, 0.0, 50.0, 1000.0]))
    np.testing.assert_allclose(out, [0.0, 1.9287498479639178e-22, 0.5, 1.0, 1.0], rtol=1e-12)


def test_conv_output_size_formula():
    assert ops.conv_output_size(5, 3) == 3
    assert ops.conv_output_size(32, 3, p=1) == 32
    assert ops.conv_output_size(32, 3, p=1, s=2) == 16
    assert ops.conv_output_size(7, 3, d=2) == 3
    assert ops.conv_output_size(3, 5, p=1) == 1


@given(
    i=st.integers(1, 40),
    k=st.integers(1, 7),
    p=st.integers(0, 3),
    s=st.integers(1, 4),
    d=st.integers(1, 3),
)
@SETTINGS
def test_conv_output_size_matches_torch_and_transposed_size_inverts_it(i, k, p, s, d):
    if d * (k - 1) + 1 > i + 2 * p:
        with pytest.raises(ValueError, match="does not fit"):
            ops.conv_output_size(i, k, p, s, d)
        return
    o = ops.conv_output_size(i, k, p, s, d)
    x = torch.zeros(1, 1, i, 1)
    assert (
        o
        == F.conv2d(
            x, torch.zeros(1, 1, k, 1), padding=(p, 0), stride=(s, 1), dilation=(d, 1)
        ).shape[2]
    )
    # The transposed size with the right output_padding recovers i, as torch's does.
    rest = (i + 2 * p - d * (k - 1) - 1) % s
    if rest < max(s, d) and (o - 1) * s - 2 * p + d * (k - 1) + rest + 1 >= 1:
        back = ops.conv_transpose_output_size(o, k, p, s, d, output_padding=rest)
        assert back == i
        y = F.conv_transpose2d(
            torch.zeros(1, 1, o, 1),
            torch.zeros(1, 1, k, 1),
            padding=(p, 0),
            stride=(s, 1),
            dilation=(d, 1),
            output_padding=(rest, 0),
        )
        assert y.shape[2] == back


# ---------------------------------------------------------------------------------------------
# pad2d and sliding_windows
# ---------------------------------------------------------------------------------------------


@given(
    seed=seeds,
    dtype=dtypes,
    mode=st.sampled_from(["constant", "reflect", "replicate", "circular"]),
    h=st.integers(1, 6),
    w=st.integers(1, 6),
    data=st.data(),
)
@SETTINGS
def test_pad2d_matches_torch_pad(seed, dtype, mode, h, w, data):
    limit_h, limit_w = {"reflect": (h - 1, w - 1), "circular": (h, w)}.get(mode, (3, 3))
    pad = data.draw(
        st.tuples(
            st.integers(0, min(limit_w, 3)),
            st.integers(0, min(limit_w, 3)),
            st.integers(0, min(limit_h, 3)),
            st.integers(0, min(limit_h, 3)),
        )
    )
    x = randn(seed, (2, 3, h, w), dtype)
    value = 0.5 if mode == "constant" else None
    ours = ops.pad2d(x, pad, mode=mode, value=value or 0.0)
    assert_matches(ours, F.pad(T(x), pad, mode=mode, value=value), dtype)


def test_pad2d_int_and_pair_forms():
    x = np.arange(6.0).reshape(2, 3)
    assert ops.pad2d(x, 1).shape == (4, 5)
    assert ops.pad2d(x, (1, 2)).shape == (4, 7)  # (ph, pw): 1 row above and below, 2 cols
    np.testing.assert_array_equal(ops.pad2d(x, (1, 2)), ops.pad2d(x, (2, 2, 1, 1)))
    assert ops.pad2d(x[None], (0, 1, 0, 0), mode="replicate").shape == (1, 2, 4)


def test_sliding_windows_is_a_view_of_every_window():
    x = np.arange(30.0).reshape(5, 6)
    w = ops.sliding_windows(x, (2, 3), stride=(2, 1), dilation=(2, 1))
    assert w.shape == (2, 4, 2, 3)
    np.testing.assert_array_equal(w[1, 2], x[2:5:2, 2:5])
    assert np.shares_memory(w, x) and not w.flags.writeable


# ---------------------------------------------------------------------------------------------
# conv2d against torch
# ---------------------------------------------------------------------------------------------


@given(case=conv_cases(), seed=seeds, dtype=dtypes)
@SETTINGS
def test_conv2d_matches_torch(case, seed, dtype):
    x = randn(seed, case["x_shape"], dtype)
    weight = randn(seed + 1, case["w_shape"], dtype)
    bias = randn(seed + 2, case["w_shape"][0], dtype) if case["bias"] else None
    ours = ops.conv2d(x, weight, bias, **case["kwargs"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # torch: 'same' with an even kernel
        ref = F.conv2d(T(x), T(weight), None if bias is None else T(bias), **case["kwargs"])
    assert_matches(ours, ref, dtype)


@given(
    seed=seeds,
    dtype=dtypes,
    channels=st.integers(1, 6),
    multiplier=st.integers(1, 2),
    k=st.integers(1, 5),
    stride=st.integers(1, 2),
    padding=st.integers(0, 2),
)
@SETTINGS
def test_depthwise_conv2d_matches_torch(seed, dtype, channels, multiplier, k, stride, padding):
    x = randn(seed, (2, channels, 9, 8), dtype)
    weight = randn(seed + 1, (channels * multiplier, 1, k, k), dtype)
    ours = ops.conv2d(x, weight, stride=stride, padding=padding, groups=channels)
    ref = F.conv2d(T(x), T(weight), stride=stride, padding=padding, groups=channels)
    assert_matches(ours, ref, dtype)


@pytest.mark.parametrize("mode", ["reflect", "replicate", "circular"])
def test_conv2d_padding_modes_match_torch_conv_layer(mode):
    x = randn(0, (2, 3, 7, 6))
    layer = torch.nn.Conv2d(3, 4, (3, 2), padding=(2, 1), padding_mode=mode, dtype=torch.float64)
    weight, bias = layer.weight.detach().numpy(), layer.bias.detach().numpy()
    ours = ops.conv2d(x, weight, bias, padding=(2, 1), padding_mode=mode)
    assert_matches(ours, layer(T(x)), np.float64)


def test_conv2d_unbatched_and_1x1_and_large_input():
    x = randn(0, (3, 70, 90), np.float32)
    weight = randn(1, (5, 3, 1, 1), np.float32)
    assert_matches(ops.conv2d(x, weight), F.conv2d(T(x), T(weight)), np.float32)
    # Several images per im2col block, with a remainder block (7 = 4 + 3).
    batch, weight = randn(4, (7, 8, 40, 40)), randn(5, (3, 8, 3, 3))
    for stride in (1, 2):
        ref = F.conv2d(T(batch), T(weight), stride=stride, padding=1)
        assert_matches(ops.conv2d(batch, weight, stride=stride, padding=1), ref, np.float64)
    # An image bigger than one im2col block: rows are processed in several blocks.
    big = randn(2, (1, 4, 300, 260))
    weight = randn(3, (6, 4, 5, 5))
    for stride in (1, 2):
        ref = F.conv2d(T(big), T(weight), stride=stride, padding=2)
        assert_matches(ops.conv2d(big, weight, stride=stride, padding=2), ref, np.float64)


def test_conv2d_chains_on_its_own_strided_output():
    x = randn(0, (2, 3, 12, 12), np.float32)
    w1, w2 = randn(1, (4, 3, 3, 3), np.float32), randn(2, (5, 4, 3, 3), np.float32)
    ours = ops.conv2d(ops.conv2d(x, w1, padding=1), w2)
    assert_matches(ours, F.conv2d(F.conv2d(T(x), T(w1), padding=1), T(w2)), np.float32)


@pytest.mark.parametrize(
    ("x_dtype", "w_dtype", "expected"),
    [
        (np.float32, np.float32, np.float32),
        (np.float64, np.float64, np.float64),
        (np.int64, np.int64, np.float64),
        (np.uint8, np.float32, np.float64),  # integers compute in float64
        (np.float32, np.float64, np.float64),
    ],
)
def test_conv2d_output_dtype(x_dtype, w_dtype, expected):
    x = np.ones((1, 2, 4, 4), dtype=x_dtype)
    out = ops.conv2d(x, np.ones((3, 2, 3, 3), dtype=w_dtype), padding="same")
    assert out.dtype == expected
    assert out[0, 0, 1, 1] == 18


# ---------------------------------------------------------------------------------------------
# 2-D images against scipy.signal
# ---------------------------------------------------------------------------------------------


@given(
    seed=seeds,
    h=st.integers(4, 12),
    w=st.integers(4, 12),
    kh=st.integers(1, 4),
    kw=st.integers(1, 4),
    mode=st.sampled_from(["valid", "same", "full"]),
)
@SETTINGS
def test_2d_image_matches_scipy_correlate_and_convolve(seed, h, w, kh, kw, mode):
    image, kernel = randn(seed, (h, w)), randn(seed + 1, (kh, kw))
    padding = (kh - 1, kw - 1) if mode == "full" else mode
    np.testing.assert_allclose(
        ops.conv2d(image, kernel, padding=padding),
        scipy.signal.correlate2d(image, kernel, mode=mode),
        rtol=1e-10,
        atol=1e-12,
    )
    np.testing.assert_allclose(
        ops.convolve2d(image, kernel, padding=padding),
        scipy.signal.convolve2d(image, kernel, mode=mode),
        rtol=1e-10,
        atol=1e-12,
    )


def test_convolve2d_flips_the_kernel():
    x = randn(0, (6, 7))
    sobel = np.array([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]])
    np.testing.assert_allclose(ops.convolve2d(x, sobel), -ops.conv2d(x, sobel))
    np.testing.assert_allclose(ops.convolve2d(x, sobel), ops.conv2d(x, sobel[::-1, ::-1]))


# ---------------------------------------------------------------------------------------------
# Pooling against torch
# ---------------------------------------------------------------------------------------------


BATCHED = [(n, c) for n in (1, 2) for c in (1, 2, 3)]


@given(case=pool_cases(BATCHED), seed=seeds, dtype=dtypes)
@SETTINGS
def test_max_pool2d_with_indices_matches_torch(case, seed, dtype):
    kernel, stride, padding = case["kernel_size"], case["stride"], case["padding"]
    x = randn(seed, case["shape"], dtype)
    values, indices = ops.max_pool2d(x, kernel, stride, padding, return_indices=True)
    ref_values, ref_indices = F.max_pool2d(T(x), kernel, stride, padding, return_indices=True)
    assert_matches(values, ref_values, dtype)
    np.testing.assert_array_equal(indices, ref_indices.numpy())
    assert indices.dtype == np.int64
    assert_matches(ops.max_pool2d(x, kernel, stride, padding), ref_values, dtype)
    assert_matches(
        ops.min_pool2d(x, kernel, stride, padding),
        -F.max_pool2d(-T(x), kernel, stride, padding),
        dtype,
    )


def test_max_pool2d_indices_pick_the_first_of_tied_maxima_like_torch():
    x = np.random.default_rng(0).integers(0, 3, (2, 3, 8, 9)).astype(np.float64)
    _, indices = ops.max_pool2d(x, 3, 2, 1, return_indices=True)
    _, ref = F.max_pool2d(T(x), 3, 2, 1, return_indices=True)
    np.testing.assert_array_equal(indices, ref.numpy())


def test_max_pool2d_dilation_matches_torch():
    x = randn(0, (1, 2, 9, 9))
    ref = F.max_pool2d(T(x), 2, 2, 1, dilation=2, return_indices=True)
    ours = ops.max_pool2d(x, 2, 2, 1, return_indices=True, dilation=2)
    assert_matches(ours[0], ref[0], np.float64)
    np.testing.assert_array_equal(ours[1], ref[1].numpy())


@given(case=pool_cases(BATCHED), seed=seeds, dtype=dtypes, count_include_pad=st.booleans())
@SETTINGS
def test_avg_pool2d_matches_torch(case, seed, dtype, count_include_pad):
    kernel, stride, padding = case["kernel_size"], case["stride"], case["padding"]
    x = randn(seed, case["shape"], dtype)
    ours = ops.avg_pool2d(x, kernel, stride, padding, count_include_pad=count_include_pad)
    ref = F.avg_pool2d(T(x), kernel, stride, padding, count_include_pad=count_include_pad)
    assert_matches(ours, ref, dtype)


@pytest.mark.parametrize("shape", [(5, 6), (3, 5, 6), (2, 3, 5, 6)])
def test_pools_accept_2d_3d_and_4d_input(shape):
    x = randn(0, shape)
    assert ops.max_pool2d(x, 2).shape == (*shape[:-2], 2, 3)
    assert ops.avg_pool2d(x, 2).shape == (*shape[:-2], 2, 3)
    assert ops.adaptive_avg_pool2d(x, 4).shape == (*shape[:-2], 4, 4)
    np.testing.assert_allclose(ops.global_avg_pool2d(x), x.mean(axis=(-2, -1)))


@given(
    seed=seeds,
    dtype=dtypes,
    h=st.integers(1, 12),
    w=st.integers(1, 12),
    oh=st.integers(1, 14),
    ow=st.one_of(st.none(), st.integers(1, 14)),
)
@SETTINGS
def test_adaptive_avg_pool2d_matches_torch(seed, dtype, h, w, oh, ow):
    x = randn(seed, (2, 3, h, w), dtype)
    ours = ops.adaptive_avg_pool2d(x, (oh, ow))
    assert_matches(ours, F.adaptive_avg_pool2d(T(x), (oh, ow)), dtype)


def test_global_avg_pool2d_matches_torch():
    x = randn(0, (4, 5, 7, 3), np.float32)
    ref = F.adaptive_avg_pool2d(T(x), 1)[:, :, 0, 0]
    assert_matches(ops.global_avg_pool2d(x), ref, np.float32)


# ---------------------------------------------------------------------------------------------
# Activations, softmax, loss, linear, flatten against torch
# ---------------------------------------------------------------------------------------------

ACTIVATIONS = [
    (ops.relu, F.relu),
    (lambda x: ops.leaky_relu(x, 0.2), lambda t: F.leaky_relu(t, 0.2)),
    (ops.leaky_relu, F.leaky_relu),
    (ops.sigmoid, torch.sigmoid),
    (ops.tanh, torch.tanh),
    (ops.gelu, F.gelu),
    (lambda x: ops.gelu(x, approximate="tanh"), lambda t: F.gelu(t, approximate="tanh")),
]


@pytest.mark.parametrize(("ours", "theirs"), ACTIVATIONS)
@given(seed=seeds, dtype=dtypes, scale=st.sampled_from([1.0, 10.0, 1000.0]))
@settings(max_examples=15, deadline=None)
def test_activations_match_torch(ours, theirs, seed, dtype, scale):
    x = randn(seed, (3, 17), dtype, scale)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = ours(x)
    assert_matches(out, theirs(T(x)), dtype)


@given(
    seed=seeds,
    dtype=dtypes,
    axis=st.integers(-3, 2),
    temperature=st.sampled_from([0.1, 1.0, 3.0]),
    scale=st.sampled_from([1.0, 1000.0]),
)
@SETTINGS
def test_softmax_and_log_softmax_match_torch(seed, dtype, axis, temperature, scale):
    x = randn(seed, (2, 3, 5), dtype, scale)
    assert_matches(
        ops.softmax(x, axis, temperature), F.softmax(T(x) / temperature, dim=axis), dtype
    )
    assert_matches(ops.log_softmax(x, axis), F.log_softmax(T(x), dim=axis), dtype)


@given(
    seed=seeds,
    dtype=dtypes,
    n=st.integers(1, 6),
    k=st.integers(1, 5),
    reduction=st.sampled_from(["mean", "sum", "none"]),
    scale=st.sampled_from([1.0, 1000.0]),
)
@SETTINGS
def test_cross_entropy_matches_torch(seed, dtype, n, k, reduction, scale):
    logits = randn(seed, (n, k), dtype, scale)
    target = np.random.default_rng(seed).integers(0, k, n)
    ours = np.asarray(ops.cross_entropy(logits, target, reduction=reduction))
    assert_matches(ours, F.cross_entropy(T(logits), T(target), reduction=reduction), dtype)
    probs = ops.softmax(randn(seed + 1, (n, k), dtype))
    ours = np.asarray(ops.cross_entropy(logits, probs, reduction=reduction))
    assert_matches(ours, F.cross_entropy(T(logits), T(probs), reduction=reduction), dtype)


def test_cross_entropy_per_pixel_and_single_sample():
    logits, target = randn(0, (2, 4, 3, 3)), np.random.default_rng(0).integers(0, 4, (2, 3, 3))
    assert_matches(
        np.asarray(ops.cross_entropy(logits, target)),
        F.cross_entropy(T(logits), T(target)),
        np.float64,
    )
    one = randn(1, (5,))
    assert_matches(
        np.asarray(ops.cross_entropy(one, 3)), F.cross_entropy(T(one), torch.tensor(3)), np.float64
    )


@given(seed=seeds, dtype=dtypes, bias=st.booleans(), lead=st.sampled_from([(), (4,), (2, 3)]))
@SETTINGS
def test_linear_matches_torch(seed, dtype, bias, lead):
    x, weight = randn(seed, (*lead, 6), dtype), randn(seed + 1, (3, 6), dtype)
    b = randn(seed + 2, (3,), dtype) if bias else None
    assert_matches(
        ops.linear(x, weight, b), F.linear(T(x), T(weight), None if b is None else T(b)), dtype
    )


@pytest.mark.parametrize(("start", "end"), [(1, -1), (0, -1), (2, 3), (1, 2), (-2, -1)])
def test_flatten_matches_torch(start, end):
    x = randn(0, (2, 3, 4, 5), np.float32)
    assert_matches(ops.flatten(x, start, end), torch.flatten(T(x), start, end), np.float32)


@pytest.mark.parametrize(
    "fn",
    [
        ops.relu,
        ops.sigmoid,
        ops.tanh,
        ops.gelu,
        ops.softmax,
        ops.log_softmax,
        ops.global_avg_pool2d,
    ],
)
@pytest.mark.parametrize(
    ("dtype", "expected"),
    [(np.float32, np.float32), (np.float64, np.float64), (np.int32, np.float64)],
)
def test_elementwise_output_dtype(fn, dtype, expected):
    assert fn(np.ones((2, 3, 4), dtype=dtype)).dtype == expected


# ---------------------------------------------------------------------------------------------
# Hostile input: inf, -inf and NaN in random places, empty axes, huge and tiny magnitudes, ties
# ---------------------------------------------------------------------------------------------
#
# Every public op, in float32 and float64, matches torch (assert_like_torch: NaN and infinities
# in the same places, finite values up to rounding) or raises a clear error of its own, and
# never emits a NumPy RuntimeWarning. Where torch refuses an input whose batch or channel axis
# is empty, ours may instead return the empty result, the only possible answer (torch refuses
# some of them only because its kernels check for "non-empty" dimensions).

HOSTILE = settings(max_examples=50, deadline=None)
#: Leading axes of pooling inputs: an image, (C,), (N, C), with empty batches and channels.
ANY_LEAD = [(), (0,), (2,), (0, 3), (2, 0), (2, 3)]


def torch_or_none(fn):
    """torch's answer, or None when torch refuses the input."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            return fn()
    except (RuntimeError, IndexError, NotImplementedError, ValueError):
        return None


def assert_refused_or_empty(call, x):
    """Where torch refuses: ours raises a ValueError saying what "must" be, or x is empty and
    ours returns an empty result."""
    try:
        result = quietly(call)
    except ValueError as err:
        assert re.search(r"\bmust\b", str(err)), str(err)
        return
    results = result if isinstance(result, tuple) else (result,)
    assert x.size == 0 and all(r.size == 0 for r in results), "torch refuses, ours answers"


def batched(a):
    """torch's pooling takes (C, H, W) or (N, C, H, W): a channel axis for an (H, W) image."""
    return a[None] if a.ndim == 2 else a


def reference_padding(padding, kernel, dilation, flip):
    """(left, right, top, bottom) that conv2d (or convolve2d, ``flip``) pads for ``padding``."""
    if padding == "valid":
        return (0, 0, 0, 0)
    if padding == "same":
        total = [d * (k - 1) for k, d in zip(kernel, dilation, strict=True)]
        first = [-(-t // 2) if flip else t // 2 for t in total]
        return (first[1], total[1] - first[1], first[0], total[0] - first[0])
    ph, pw = (padding, padding) if isinstance(padding, int) else padding
    return (pw, pw, ph, ph)


def torch_conv2d(x, w, b, stride, padding, dilation, groups, mode="zeros", flip=False):
    """conv2d (or convolve2d, ``flip``) in torch: F.pad with the mode, then F.conv2d."""
    if flip:
        w = w.flip(-2, -1)
    pad4 = reference_padding(padding, w.shape[2:], dilation, flip)
    x = F.pad(x, pad4, mode="constant" if mode == "zeros" else mode)
    with torch_reference_path():
        return F.conv2d(x, w, b, stride, 0, dilation, groups)


@given(
    case=conv_cases(max_size=8, min_batch=0),
    dtype=dtypes,
    mode=st.sampled_from(ops.PADDING_MODES),
    flip=st.booleans(),
    data=st.data(),
)
@HOSTILE
def test_conv2d_and_convolve2d_under_hostile_input_match_torch(case, dtype, mode, flip, data):
    x = data.draw(hostile_arrays(case["x_shape"], dtype))
    w = data.draw(hostile_arrays(case["w_shape"], dtype))
    b = data.draw(hostile_arrays(case["w_shape"][:1], dtype)) if case["bias"] else None
    kwargs = dict(case["kwargs"], padding_mode=mode)
    if mode != "zeros" and isinstance(kwargs["padding"], str):
        kwargs["padding_mode"] = mode = "zeros"
    op = ops.convolve2d if flip else ops.conv2d
    ref = torch_or_none(
        lambda: torch_conv2d(
            T(x), T(w), None if b is None else T(b), **case["kwargs"], mode=mode, flip=flip
        )
    )
    if ref is None:  # reflect or circular padding wider than the input
        with pytest.raises(ops.PaddingExceedsInputError):
            op(x, w, b, **kwargs)
        return
    ours = quietly(op, x, w, b, **kwargs)
    bound = torch_conv2d(
        T(finite_abs(x)),
        T(finite_abs(w)),
        None if b is None else T(finite_abs(b)),
        **case["kwargs"],
        mode=mode,
        flip=flip,
    )
    assert_like_torch(ours, ref, dtype, bound.numpy())


def window_misses_input(size, kernel, stride, padding, dilation):
    """True when some window of a pooling op holds padding only (plain loops, from the rule)."""
    for i, k, s, p, d in zip(size, kernel, stride, padding, dilation, strict=True):
        out = (i + 2 * p - d * (k - 1) - 1) // s + 1
        if any(all(not 0 <= r * s - p + t * d < i for t in range(k)) for r in range(out)):
            return True
    return False


@given(case=pool_cases(ANY_LEAD, dilation=True, max_size=8), dtype=dtypes, data=st.data())
@HOSTILE
def test_max_and_min_pool2d_under_hostile_input_match_torch(case, dtype, data):
    x = data.draw(hostile_arrays(case["shape"], dtype, extreme=True))
    kernel, stride, padding, dilation = (
        case[k] for k in ("kernel_size", "stride", "padding", "dilation")
    )
    args = (kernel, stride, padding)
    ref = torch_or_none(
        lambda: F.max_pool2d(T(batched(x)), *args, dilation=dilation, return_indices=True)
    )
    call = lambda: ops.max_pool2d(x, *args, return_indices=True, dilation=dilation)  # noqa: E731
    if window_misses_input(x.shape[-2:], kernel, stride or kernel, padding, dilation):
        with pytest.raises(ops.PoolPaddingError, match="lies entirely in the padding"):
            call()  # torch answers -inf and an index outside the window
        return
    if ref is None:
        assert_refused_or_empty(call, x)
        return
    values, indices = quietly(call)
    assert_like_torch(values, ref[0].reshape(values.shape), dtype)
    np.testing.assert_array_equal(indices, ref[1].reshape(indices.shape).numpy())
    assert indices.dtype == np.int64
    assert_like_torch(quietly(ops.max_pool2d, x, *args, dilation=dilation), values, dtype)
    if dilation == (1, 1):
        minimum = -F.max_pool2d(-T(batched(x)), *args)
        assert_like_torch(quietly(ops.min_pool2d, x, *args), minimum.reshape(values.shape), dtype)
    # The indices name input pixels: the backward pass takes them.
    grad = quietly(ops.max_pool2d_backward, np.ones_like(values), indices, x.shape)
    assert grad.shape == x.shape and grad.sum() == values.size


@given(
    case=pool_cases(ANY_LEAD, max_size=8),
    dtype=dtypes,
    count_include_pad=st.booleans(),
    data=st.data(),
)
@HOSTILE
def test_avg_pool2d_under_hostile_input_matches_torch(case, dtype, count_include_pad, data):
    x = data.draw(hostile_arrays(case["shape"], dtype))
    args = (case["kernel_size"], case["stride"], case["padding"])
    ref = torch_or_none(
        lambda: F.avg_pool2d(T(batched(x)), *args, count_include_pad=count_include_pad)
    )
    call = lambda: ops.avg_pool2d(x, *args, count_include_pad=count_include_pad)  # noqa: E731
    if ref is None:
        assert_refused_or_empty(call, x)
        return
    ours = quietly(call)
    bound = F.avg_pool2d(T(batched(finite_abs(x))), *args, count_include_pad=count_include_pad)
    assert_like_torch(ours, ref.reshape(ours.shape), dtype, bound.reshape(ours.shape).numpy())


@given(
    lead=st.sampled_from(ANY_LEAD),
    h=st.integers(1, 9),
    w=st.integers(1, 9),
    oh=st.integers(1, 11),
    ow=st.one_of(st.none(), st.integers(1, 11)),
    dtype=dtypes,
    data=st.data(),
)
@HOSTILE
def test_adaptive_and_global_avg_pool2d_under_hostile_input_match_torch(
    lead, h, w, oh, ow, dtype, data
):
    x = data.draw(hostile_arrays((*lead, h, w), dtype))
    ref = torch_or_none(lambda: F.adaptive_avg_pool2d(T(batched(x)), (oh, ow)))
    if ref is None:
        assert_refused_or_empty(lambda: ops.adaptive_avg_pool2d(x, (oh, ow)), x)
        return
    ours = quietly(ops.adaptive_avg_pool2d, x, (oh, ow))
    bound = F.adaptive_avg_pool2d(T(batched(finite_abs(x))), (oh, ow)).reshape(ours.shape)
    assert_like_torch(ours, ref.reshape(ours.shape), dtype, bound.numpy())
    ours = quietly(ops.global_avg_pool2d, x)
    ref = F.adaptive_avg_pool2d(T(batched(x)), 1).reshape(ours.shape)
    bound = finite_abs(x).mean(axis=(-2, -1))
    assert_like_torch(ours, ref, dtype, bound)


def test_adaptive_avg_pool2d_bins_see_only_their_own_values():
    # The case: an integral image cancelled the 1s next to 1e20.
    ours = ops.adaptive_avg_pool2d(np.array([[1e20, 1.0], [1.0, 1.0]]), 2)
    np.testing.assert_array_equal(ours, [[1e20, 1.0], [1.0, 1.0]])
    # One inf or NaN pixel spoils its own bins only.
    x = np.ones((6, 6))
    x[0, 0], x[5, 5] = np.inf, np.nan
    out = quietly(ops.adaptive_avg_pool2d, x, 3)
    expected = np.ones((3, 3))
    expected[0, 0], expected[2, 2] = np.inf, np.nan
    np.testing.assert_array_equal(out, expected)
    assert_like_torch(out, F.adaptive_avg_pool2d(T(x)[None], 3)[0], np.float64)


@pytest.mark.parametrize("output_size", [(3, 5), (7, 7), 1])
def test_adaptive_avg_pool2d_float32_is_rounded_once_from_a_float64_sum(output_size):
    # Large inputs far from zero: float32 sums would lose digits; ours sums in float64.
    rng = np.random.default_rng(7)
    x = (1000 + rng.standard_normal((2, 3, 640, 480))).astype(np.float32)
    reference = F.adaptive_avg_pool2d(T(x.astype(np.float64)), output_size).numpy()
    ours = ops.adaptive_avg_pool2d(x, output_size)
    assert ours.dtype == np.float32
    np.testing.assert_allclose(ours, reference, rtol=np.finfo(np.float32).eps, atol=0)
    ours = ops.global_avg_pool2d(x)
    np.testing.assert_allclose(ours, x.astype(np.float64).mean(axis=(-2, -1)), rtol=1.2e-7)


def test_max_pool2d_indices_of_windows_without_a_finite_value_name_input_pixels():
    # The case: -inf everywhere, padding 1; torch names the first input pixel.
    x = np.full((2, 2), -np.inf)
    values, indices = ops.max_pool2d(x, 2, stride=1, padding=1, return_indices=True)
    np.testing.assert_array_equal(indices, [[0, 0, 1], [0, 0, 1], [2, 2, 3]])
    assert (values == -np.inf).all()
    grad = ops.max_pool2d_backward(np.ones((3, 3)), indices, x.shape)
    np.testing.assert_array_equal(grad, [[4, 2], [2, 1]])
    # NaN: the value is NaN and the last NaN of the window wins, as in torch.
    x = np.array([[1.0, np.nan, 3.0, np.nan], [np.nan, 5.0, 0.0, 2.0]])
    values, indices = ops.max_pool2d(x, 2, return_indices=True)
    ref_values, ref_indices = F.max_pool2d(T(x)[None], 2, return_indices=True)
    np.testing.assert_array_equal(indices, [[4, 3]])
    np.testing.assert_array_equal(indices, ref_indices[0].numpy())
    assert np.isnan(values).all() and torch.isnan(ref_values).all()


def test_max_pool2d_refuses_a_dilated_window_in_the_padding():
    # torch answers -inf with index 6, outside the 2 x 2 input.
    _, ref = F.max_pool2d(torch.zeros(1, 1, 2, 2), 2, 1, 1, dilation=3, return_indices=True)
    assert ref.item() >= 4
    with pytest.raises(ops.PoolPaddingError) as info:
        ops.max_pool2d(np.zeros((2, 2)), 2, stride=1, padding=1, dilation=3)
    err = info.value
    assert (err.padding, err.kernel_size, err.dilation, err.size) == (
        (1, 1),
        (2, 2),
        (3, 3),
        (2, 2),
    )
    assert str(err).startswith("padding must leave every window at least one pixel")


ELEMENTWISE = [
    ("relu", ops.relu, F.relu),
    ("leaky_relu", lambda x: ops.leaky_relu(x, 0.2), lambda t: F.leaky_relu(t, 0.2)),
    ("sigmoid", ops.sigmoid, torch.sigmoid),
    ("tanh", ops.tanh, torch.tanh),
    ("gelu", ops.gelu, F.gelu),
    ("gelu_tanh", lambda x: ops.gelu(x, "tanh"), lambda t: F.gelu(t, approximate="tanh")),
]


@pytest.mark.parametrize(("name", "ours", "theirs"), ELEMENTWISE, ids=[e[0] for e in ELEMENTWISE])
@given(shape=st.sampled_from([(0,), (3, 17), (2, 0, 4)]), dtype=dtypes, data=st.data())
@settings(max_examples=25, deadline=None)
def test_activations_under_hostile_input_match_torch(name, ours, theirs, shape, dtype, data):
    x = data.draw(hostile_arrays(shape, dtype, extreme=True))
    ref = theirs(T(x)).numpy()
    if name == "gelu" and dtype == np.float32:  # torch's float32 erf kernel: gelu(inf) = NaN
        ref = np.where(x == np.inf, np.inf, ref)
    bound = finite_abs(x) if name.startswith("gelu") else None  # x/2 (1 + erf): terms of |x|
    assert_like_torch(quietly(ours, x), ref, dtype, bound)


@given(
    shape=st.sampled_from([(2, 3, 5), (0, 4), (3, 0), ()]),
    axis=st.integers(-3, 2),
    temperature=st.sampled_from([0.1, 1.0, 3.0]),
    dtype=dtypes,
    data=st.data(),
)
@HOSTILE
def test_softmax_and_log_softmax_under_hostile_input_match_torch(
    shape, axis, temperature, dtype, data
):
    x = data.draw(hostile_arrays(shape, dtype))
    axis = axis % max(len(shape), 1) if len(shape) else -1
    ref = F.softmax(T(x) / temperature, dim=axis if len(shape) else 0)
    assert_like_torch(quietly(ops.softmax, x, axis, temperature), ref, dtype)
    ref = F.log_softmax(T(x), dim=axis if len(shape) else 0)
    assert_like_torch(quietly(ops.log_softmax, x, axis), ref, dtype)


@given(reduction=st.sampled_from(["mean", "sum", "none"]), dtype=dtypes, data=st.data())
@HOSTILE
def test_cross_entropy_under_hostile_input_matches_torch(reduction, dtype, data):
    logits, target = data.draw(cross_entropy_cases(dtype))
    ref = F.cross_entropy(T(logits), T(target), reduction=reduction)
    ours = np.asarray(quietly(ops.cross_entropy, logits, target, reduction=reduction))
    bound = F.cross_entropy(T(finite_abs(logits)), T(target), reduction=reduction).abs()
    assert_like_torch(ours, ref, dtype, bound.numpy() + finite_abs(logits).max(initial=0))


@given(
    lead=st.sampled_from([(), (0,), (3,), (2, 0), (2, 3)]),
    features=st.sampled_from([(0, 3), (5, 0), (5, 3), (1, 1)]),
    bias=st.booleans(),
    dtype=dtypes,
    data=st.data(),
)
@HOSTILE
def test_linear_and_flatten_under_hostile_input_match_torch(lead, features, bias, dtype, data):
    (n_in, n_out) = features
    x = data.draw(hostile_arrays((*lead, n_in), dtype))
    weight = data.draw(hostile_arrays((n_out, n_in), dtype))
    b = data.draw(hostile_arrays((n_out,), dtype)) if bias else None
    ref = F.linear(T(x), T(weight), None if b is None else T(b))
    bound = F.linear(
        T(finite_abs(x)), T(finite_abs(weight)), None if b is None else T(finite_abs(b))
    )
    assert_like_torch(quietly(ops.linear, x, weight, b), ref, dtype, bound.numpy())
    if x.ndim > 1:
        assert_like_torch(ops.flatten(x), torch.flatten(T(x), 1), dtype)


@given(
    lead=st.sampled_from(ANY_LEAD),
    h=st.integers(0, 4),
    w=st.integers(0, 4),
    pad=st.tuples(*[st.integers(0, 3)] * 4),
    mode=st.sampled_from(["constant", "reflect", "replicate", "circular"]),
    dtype=dtypes,
    data=st.data(),
)
@HOSTILE
def test_pad2d_and_sliding_windows_under_hostile_input_match_torch(
    lead, h, w, pad, mode, dtype, data
):
    x = data.draw(hostile_arrays((*lead, h, w), dtype, extreme=True))
    four = x.reshape((1,) * (4 - x.ndim) + x.shape)  # torch pads images with modes in 4-D only
    ref = torch_or_none(lambda: F.pad(T(four), pad, mode=mode))
    if ref is None:
        assert_refused_or_empty(lambda: ops.pad2d(x, pad, mode=mode), x)
        return
    ours = quietly(ops.pad2d, x, pad, mode=mode)
    assert_like_torch(ours, ref.reshape(ours.shape), dtype)
    if min(ours.shape[-2:]) >= 2:
        windows = ops.sliding_windows(ours, 2, stride=(1, 2))
        ref = T(ours).unfold(-2, 2, 1).unfold(-2, 2, 2)  # (..., oh, ow, kh, kw)
        assert_like_torch(windows, ref.numpy(), dtype)


@pytest.mark.parametrize(
    ("name", "call"),
    [
        (
            "conv2d-H-0",
            lambda: ops.conv2d(np.zeros((2, 3, 0, 5)), np.ones((4, 3, 1, 1)), padding=1),
        ),
        ("conv2d-C-0", lambda: ops.conv2d(np.zeros((2, 0, 5, 5)), np.ones((4, 0, 3, 3)))),
        ("conv2d-O-0", lambda: ops.conv2d(np.zeros((2, 3, 5, 5)), np.ones((0, 3, 3, 3)))),
        ("max_pool2d-H-0", lambda: ops.max_pool2d(np.zeros((2, 3, 0, 4)), 1)),
        ("avg_pool2d-W-0", lambda: ops.avg_pool2d(np.zeros((3, 4, 0)), 1)),
        ("adaptive-H-0", lambda: ops.adaptive_avg_pool2d(np.zeros((0, 4)), 2)),
        ("global-W-0", lambda: ops.global_avg_pool2d(np.zeros((2, 3, 4, 0)))),
        ("cross_entropy-K-0", lambda: ops.cross_entropy(np.zeros((2, 0)), [0, 0])),
        ("pad2d-reflect-H-0", lambda: ops.pad2d(np.zeros((2, 0, 4)), 1, mode="replicate")),
    ],
)
def test_what_torch_cannot_do_with_empty_axes_raises_a_clear_error(name, call):
    with pytest.raises(ValueError, match=r"\bmust\b.*got"):
        call()


def test_padding_errors_carry_their_facts():
    assert ops.PADDING_MODES == ("zeros", "reflect", "replicate", "circular")
    with pytest.raises(ops.PaddingExceedsInputError) as info:
        ops.conv2d(np.zeros((3, 4)), np.ones((3, 3)), padding=(3, 1), padding_mode="reflect")
    err = info.value
    assert isinstance(err, ops.PaddingError) and isinstance(err, ValueError)
    assert (err.padding, err.size, err.mode, err.limit) == ((1, 1, 3, 3), (3, 4), "reflect", (2, 3))
    assert err.kernel_size is None
    with pytest.raises(ops.PaddingExceedsInputError) as info:
        ops.pad2d(np.zeros((2, 2)), (3, 0, 0, 0), mode="circular")
    assert (info.value.mode, info.value.limit) == ("circular", (2, 2))
    with pytest.raises(ops.PoolPaddingError) as info:
        ops.avg_pool2d(np.zeros((5, 5)), (3, 2), padding=(2, 1))
    err = info.value
    assert isinstance(err, ops.PaddingError)
    assert (err.padding, err.kernel_size, err.limit, err.size) == ((2, 1), (3, 2), (1, 1), None)
    with pytest.raises(ops.KernelDoesNotFitError):
        ops.conv2d(np.zeros((3, 3)), np.ones((5, 5)))


# ---------------------------------------------------------------------------------------------
# Errors: each names the argument (and the shapes where there are shapes)
# ---------------------------------------------------------------------------------------------

X4 = np.zeros((1, 4, 5, 5))
W4 = np.zeros((2, 4, 3, 3))

ERRORS = [
    (
        "stride-zero",
        lambda: ops.conv2d(X4, W4, stride=0),
        ValueError,
        r"stride must be positive, got 0",
    ),
    (
        "stride-negative-pair",
        lambda: ops.conv2d(X4, W4, stride=(1, -2)),
        ValueError,
        r"stride must be positive, got \(1, -2\)",
    ),
    (
        "stride-float",
        lambda: ops.conv2d(X4, W4, stride=1.5),
        TypeError,
        r"stride must be an int or a pair of ints, got 1\.5",
    ),
    (
        "dilation-zero",
        lambda: ops.conv2d(X4, W4, dilation=(0, 1)),
        ValueError,
        r"dilation must be positive",
    ),
    (
        "padding-negative",
        lambda: ops.conv2d(X4, W4, padding=-1),
        ValueError,
        r"padding must be non-negative, got -1",
    ),
    (
        "padding-unknown-string",
        lambda: ops.conv2d(X4, W4, padding="full"),
        ValueError,
        r"padding must be one of 'valid', 'same', got 'full'",
    ),
    (
        "padding-triple",
        lambda: ops.conv2d(X4, W4, padding=(1, 1, 1)),
        TypeError,
        r"padding must be an int, a pair of ints, 'valid' or 'same'",
    ),
    (
        "kernel-does-not-fit",
        lambda: ops.conv2d(np.zeros((3, 3)), np.zeros((5, 5))),
        ValueError,
        r"^kernel \(5, 5\) with dilation \(1, 1\) does not fit the padded input \(3, 3\): "
        r"it spans \(5, 5\)$",
    ),
    (
        "dilated-kernel-does-not-fit",
        lambda: ops.conv2d(X4, W4, padding=1, dilation=(4, 1)),
        ValueError,
        r"kernel \(3, 3\) with dilation \(4, 1\) does not fit the padded input \(7, 7\)",
    ),
    (
        "channels-mismatch",
        lambda: ops.conv2d(X4, np.zeros((2, 3, 3, 3))),
        ValueError,
        r"x must have 3 x 1 = 3 channels to match weight \(2, 3, 3, 3\) with groups=1, "
        r"got 4 channels in shape \(1, 4, 5, 5\)",
    ),
    (
        "groups-do-not-divide",
        lambda: ops.conv2d(X4, np.zeros((3, 1, 3, 3)), groups=3),
        ValueError,
        r"groups must divide .* x \(1, 4, 5, 5\) .* weight \(3, 1, 3, 3\) .*, got 3",
    ),
    (
        "groups-zero",
        lambda: ops.conv2d(X4, W4, groups=0),
        ValueError,
        r"groups must be positive, got 0",
    ),
    (
        "same-with-stride",
        lambda: ops.conv2d(X4, W4, stride=2, padding="same"),
        ValueError,
        r"stride must be 1 for padding='same', got \(2, 2\)",
    ),
    (
        "x-5d",
        lambda: ops.conv2d(np.zeros((1, 1, 1, 5, 5)), W4),
        ValueError,
        r"x must have 2 \(H, W\), 3 \(C, H, W\) or 4 \(N, C, H, W\) dimensions, "
        r"got shape \(1, 1, 1, 5, 5\)",
    ),
    (
        "weight-2d-for-4d-x",
        lambda: ops.conv2d(X4, np.zeros((3, 3))),
        ValueError,
        r"weight must have 4 dimensions .* for x of shape \(1, 4, 5, 5\), got shape \(3, 3\)",
    ),
    (
        "weight-4d-for-image",
        lambda: ops.conv2d(np.zeros((5, 5)), W4),
        ValueError,
        r"weight must be a 2-D kernel \(kh, kw\) for the 2-D image x \(5, 5\), "
        r"got shape \(2, 4, 3, 3\)",
    ),
    (
        "bias-shape",
        lambda: ops.conv2d(X4, W4, bias=np.zeros(3)),
        ValueError,
        r"bias must have shape \(2,\) to match weight \(2, 4, 3, 3\), got \(3,\)",
    ),
    (
        "x-strings",
        lambda: ops.conv2d(np.array([["a", "b"], ["c", "d"]]), np.ones((1, 1))),
        TypeError,
        r"x must be a real numeric array, got dtype <U1",
    ),
    (
        "weight-objects",
        lambda: ops.conv2d(np.ones((3, 3)), np.array([[None]])),
        TypeError,
        r"weight must be a real numeric array, got dtype object",
    ),
    (
        "x-complex",
        lambda: ops.relu(np.ones(3, dtype=complex)),
        TypeError,
        r"x must be a real numeric array, got dtype complex128",
    ),
    (
        "padding-mode",
        lambda: ops.conv2d(X4, W4, padding_mode="mirror"),
        ValueError,
        r"padding_mode must be one of 'zeros', 'reflect', 'replicate', 'circular', got 'mirror'",
    ),
    (
        "convolve-kernel-1d",
        lambda: ops.convolve2d(np.ones((3, 3)), np.ones(3)),
        ValueError,
        r"kernel must be a 2-D kernel \(kh, kw\) for the 2-D image x \(3, 3\), got shape \(3,\)",
    ),
    (
        "pad-reflect-too-wide",
        lambda: ops.pad2d(np.zeros((2, 2)), 2, mode="reflect"),
        ValueError,
        r"padding must be smaller than the input \(H, W\) = \(2, 2\) in reflect mode .*, "
        r"got \(left, right, top, bottom\) = \(2, 2, 2, 2\)",
    ),
    (
        "pad-circular-too-wide",
        lambda: ops.pad2d(np.zeros((2, 2)), (0, 3), mode="circular"),
        ValueError,
        r"padding must be at most the input .* \(2, 2\) in circular mode .*, "
        r"got .* = \(3, 3, 0, 0\)",
    ),
    (
        "pad-mode",
        lambda: ops.pad2d(np.zeros((2, 2)), 1, mode="edge"),
        ValueError,
        r"mode must be one of 'constant', 'reflect', 'replicate', 'circular', got 'edge'",
    ),
    (
        "pad-negative",
        lambda: ops.pad2d(np.zeros((2, 2)), (1, 1, -1, 0)),
        ValueError,
        r"padding must be non-negative, got \(1, 1, -1, 0\)",
    ),
    (
        "pad-x-1d",
        lambda: ops.pad2d(np.zeros(4), 1),
        ValueError,
        r"x must have 2 \(H, W\), 3 \(C, H, W\) or 4 \(N, C, H, W\) dimensions, got shape \(4,\)",
    ),
    (
        "pool-padding-over-half",
        lambda: ops.max_pool2d(X4, 2, padding=2),
        ValueError,
        r"padding must be at most half of kernel_size \(2, 2\) .*, got \(2, 2\)",
    ),
    (
        "pool-kernel-does-not-fit",
        lambda: ops.avg_pool2d(np.zeros((2, 2)), 3),
        ValueError,
        r"kernel \(3, 3\) with dilation \(1, 1\) does not fit the padded input \(2, 2\)",
    ),
    (
        "pool-kernel-zero",
        lambda: ops.min_pool2d(X4, 0),
        ValueError,
        r"kernel_size must be positive, got 0",
    ),
    (
        "pool-stride-zero",
        lambda: ops.avg_pool2d(X4, 2, stride=0),
        ValueError,
        r"stride must be positive, got 0",
    ),
    (
        "adaptive-size-zero",
        lambda: ops.adaptive_avg_pool2d(X4, (0, 2)),
        ValueError,
        r"output_size must be positive, got \(0, 2\)",
    ),
    (
        "windows-1d",
        lambda: ops.sliding_windows(np.zeros(5), 2),
        ValueError,
        r"x must have at least 2 dimensions \(\.\.\., H, W\), got shape \(5,\)",
    ),
    (
        "windows-too-big",
        lambda: ops.sliding_windows(np.zeros((2, 6)), 3),
        ValueError,
        r"kernel \(3, 3\) with dilation \(1, 1\) does not fit the input \(2, 6\)",
    ),
    (
        "size-kernel-too-big",
        lambda: ops.conv_output_size(3, 5),
        ValueError,
        r"kernel 5 with dilation 1 does not fit the padded input 3: it spans 5",
    ),
    (
        "size-stride-zero",
        lambda: ops.conv_output_size(5, 3, s=0),
        ValueError,
        r"s must be positive, got 0",
    ),
    ("size-float", lambda: ops.conv_output_size(5.0, 3), TypeError, r"i must be an int, got 5\.0"),
    (
        "transpose-output-padding",
        lambda: ops.conv_transpose_output_size(4, 3, s=2, output_padding=2),
        ValueError,
        r"output_padding must be smaller than the stride s=2 or the dilation d=1",
    ),
    (
        "softmax-temperature",
        lambda: ops.softmax([1.0, 2.0], temperature=0),
        ValueError,
        r"temperature must be positive, got 0",
    ),
    (
        "softmax-axis",
        lambda: ops.softmax(np.zeros((2, 3)), axis=2),
        ValueError,
        r"axis must be between -2 and 1 for an array of 2 dimensions, got 2",
    ),
    (
        "cross-entropy-target-range",
        lambda: ops.cross_entropy(np.zeros((2, 3)), [0, 3]),
        ValueError,
        r"target must hold class indices in \[0, 3\) for logits \(2, 3\), got values from 0 to 3",
    ),
    (
        "cross-entropy-target-shape",
        lambda: ops.cross_entropy(np.zeros((2, 3)), [0, 1, 2]),
        ValueError,
        r"target must have shape \(2,\) \(class indices for logits \(2, 3\)\), got \(3,\)",
    ),
    (
        "cross-entropy-target-dtype",
        lambda: ops.cross_entropy(np.zeros((2, 3)), ["a", "b"]),
        TypeError,
        r"target must hold integer class indices or float probabilities",
    ),
    (
        "cross-entropy-reduction",
        lambda: ops.cross_entropy(np.zeros((2, 3)), [0, 1], "avg"),
        ValueError,
        r"reduction must be one of 'mean', 'sum', 'none', got 'avg'",
    ),
    (
        "linear-features",
        lambda: ops.linear(np.zeros((4, 5)), np.zeros((3, 6))),
        ValueError,
        r"x must end in in_features = 6 to match weight \(3, 6\) .*, got shape \(4, 5\)",
    ),
    (
        "linear-bias",
        lambda: ops.linear(np.zeros((4, 6)), np.zeros((3, 6)), np.zeros(6)),
        ValueError,
        r"bias must have shape \(3,\) to match weight \(3, 6\), got \(6,\)",
    ),
    (
        "gelu-approximate",
        lambda: ops.gelu([1.0], approximate="erf"),
        ValueError,
        r"approximate must be one of 'none', 'tanh', got 'erf'",
    ),
    (
        "flatten-order",
        lambda: ops.flatten(np.zeros((2, 3, 4)), 2, 1),
        ValueError,
        r"start_dim must not come after end_dim = 1 for shape \(2, 3, 4\), got 2",
    ),
]


@pytest.mark.parametrize(
    ("call", "error", "match"), [e[1:] for e in ERRORS], ids=[e[0] for e in ERRORS]
)
def test_bad_arguments_raise_clear_errors(call, error, match):
    with pytest.raises(error, match=match):
        call()
