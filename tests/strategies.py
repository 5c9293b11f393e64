"""Hypothesis strategies and the torch comparison shared by the ops tests (forward, backward).

``hostile_arrays`` draws what breaks numerical code: magnitudes near the ends of the float
range, ties, and inf, -inf and NaN in random places. ``assert_like_torch`` is the one
comparison: the same dtype and shape, the same non-finite values in the same places, and the
finite values equal up to rounding, measured against ``bound`` (the same op on the absolute
values, so that cancellation between huge terms is not mistaken for an error).
"""

import contextlib
import warnings

import numpy as np
from hypothesis import strategies as st

FLOATS = (np.float32, np.float64)
dtypes = st.sampled_from(FLOATS)
seeds = st.integers(0, 2**32 - 1)

#: Magnitudes whose products of two stay normal numbers and whose sums of a few thousand
#: terms stay finite: tiny, unit and huge, per dtype.
SCALES = {np.float32: (1e-15, 1.0, 1e15), np.float64: (1e-150, 1.0, 1e150)}
#: For ops that never multiply two inputs (pools, activations): close to the largest float.
EXTREME = {np.float32: 1e36, np.float64: 1e300}

#: Relative rounding allowed, times the bound, for finite values (sums of up to ~1000 terms).
ROUNDING = {np.float32: 2e-5, np.float64: 1e-13}


@st.composite
def hostile_arrays(draw, shape, dtype, nonfinite=True, extreme=False):
    """An array of ``shape`` and ``dtype`` with random values at a random magnitude.

    Values are normal, or small integers (ties, and zeros that meet inf as NaN), times a scale
    drawn from :data:`SCALES` (and :data:`EXTREME` when ``extreme``); with ``nonfinite``, up
    to three of them (or a quarter of the array) become inf, -inf or NaN.
    """
    rng = np.random.default_rng(draw(seeds))
    scales = SCALES[dtype] + ((EXTREME[dtype],) if extreme else ())
    scale = draw(st.sampled_from(scales))
    ties = draw(st.booleans())
    values = rng.integers(-2, 3, shape) if ties else rng.standard_normal(shape)
    a = np.asarray(values * scale).astype(dtype)
    if nonfinite and a.size:
        count = draw(st.sampled_from([0, 1, 3, max(1, a.size // 4)]))
        picks = rng.choice(a.size, min(count, a.size), replace=False)
        a.flat[picks] = rng.choice(np.array([np.inf, -np.inf, np.nan], dtype), picks.size)
    return a


def quietly(fn, *args, **kwargs):
    """``fn(*args, **kwargs)`` with NumPy's RuntimeWarnings as errors: hostile input is silent."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        return fn(*args, **kwargs)


@contextlib.contextmanager
def torch_reference_path():
    """torch's reference CPU kernels (oneDNN off), which float64 always takes.

    oneDNN's float32 convolution skips the zeros of the padding for batches of two or more
    images, so that an inf weight meets them as NaN for one image and not for two.
    """
    import torch

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # the flags warn about TF32 on Intel GPUs
        with torch.backends.mkldnn.flags(enabled=False):
            yield


def finite_abs(a):
    """|a| in float64 with the non-finite values set to 0: the input of an error bound."""
    a = np.abs(np.asarray(a, dtype=np.float64))
    a[~np.isfinite(a)] = 0.0
    return a


def assert_like_torch(ours, reference, dtype, bound=None):
    """``ours`` equals torch's ``reference``, NaN and infinities in the same places.

    Finite values may differ by rounding: ``ROUNDING[dtype] * bound`` where ``bound`` is the
    op on the absolute values (a sum's error scales with the sum of the absolute terms), or
    ``ROUNDING[dtype] * |reference|`` for ops that do not sum, plus a few of the smallest
    normal numbers.
    """
    reference = reference.detach().numpy() if hasattr(reference, "detach") else reference
    reference = np.asarray(reference)
    assert ours.dtype == dtype, (ours.dtype, dtype)
    assert ours.shape == reference.shape, (ours.shape, reference.shape)
    for name, mask in (("NaN", np.isnan), ("+inf", np.isposinf), ("-inf", np.isneginf)):
        np.testing.assert_array_equal(mask(ours), mask(reference), err_msg=f"{name} places")
    finite = np.isfinite(reference)
    scale = np.abs(reference) if bound is None else np.broadcast_to(bound, reference.shape)
    allowed = ROUNDING[dtype] * scale[finite] + 16 * np.finfo(dtype).tiny
    error = np.abs(ours[finite].astype(np.float64) - reference[finite].astype(np.float64))
    worst = np.argmax(error - allowed) if error.size else None
    assert not error.size or (error <= allowed).all(), (
        f"error {error[worst]:.3g} above {allowed[worst]:.3g} at finite value "
        f"{reference[finite][worst]!r}"
    )


@st.composite
def conv_cases(draw, max_size=11, min_batch=1):
    """A valid conv2d setting: shapes, stride, padding (int, pair, 'valid', 'same'), dilation."""
    groups = draw(st.integers(1, 3))
    in_per_group, out_per_group = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    kh, kw = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    dilation = (draw(st.integers(1, 2)), draw(st.integers(1, 2)))
    stride = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    padding = draw(
        st.one_of(
            st.integers(0, 2),
            st.tuples(st.integers(0, 2), st.integers(0, 2)),
            st.just("valid"),
            st.just("same"),
        )
    )
    if padding == "same":
        stride = (1, 1)
    if isinstance(padding, int):
        pads = (padding, padding)
    else:
        pads = (0, 0) if isinstance(padding, str) else padding
    extent = (dilation[0] * (kh - 1) + 1, dilation[1] * (kw - 1) + 1)
    h = draw(st.integers(max(1, extent[0] - 2 * pads[0]), max_size))
    w = draw(st.integers(max(1, extent[1] - 2 * pads[1]), max_size))
    return {
        "x_shape": (draw(st.integers(min_batch, 3)), groups * in_per_group, h, w),
        "w_shape": (groups * out_per_group, in_per_group, kh, kw),
        "bias": draw(st.booleans()),
        "kwargs": {"stride": stride, "padding": padding, "dilation": dilation, "groups": groups},
    }


@st.composite
def pool_cases(draw, lead=((1, 1), (2, 3)), dilation=False, max_size=10):
    """A valid pooling setting: ``{"shape", "kernel_size", "stride", "padding", "dilation"}``.

    ``lead`` lists the leading axes to choose from (``()`` for an ``(H, W)`` image; zeros for
    empty batches or channels); the padding is at most half the kernel, as torch asks.
    """
    kh, kw = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    stride = draw(st.one_of(st.none(), st.tuples(st.integers(1, 3), st.integers(1, 3))))
    padding = (draw(st.integers(0, kh // 2)), draw(st.integers(0, kw // 2)))
    dil = (draw(st.integers(1, 3)), draw(st.integers(1, 3))) if dilation else (1, 1)
    extent = (dil[0] * (kh - 1) + 1, dil[1] * (kw - 1) + 1)
    low = [max(1, e - 2 * p) for e, p in zip(extent, padding, strict=True)]
    h, w = (draw(st.integers(n, max(n, max_size))) for n in low)
    return {
        "shape": (*draw(st.sampled_from(lead)), h, w),
        "kernel_size": (kh, kw),
        "stride": stride,
        "padding": padding,
        "dilation": dil,
    }


@st.composite
def cross_entropy_cases(draw, dtype):
    """Hostile logits ``(n, k[, 2, 2])`` (n may be 0) and a target of class indices or of
    probabilities (a softmax of random numbers), as ``F.cross_entropy`` takes either."""
    n, k = draw(st.integers(0, 4)), draw(st.integers(1, 5))
    pixels = draw(st.sampled_from([(), (2, 2)]))
    logits = draw(hostile_arrays((n, k, *pixels), dtype))
    rng = np.random.default_rng(draw(seeds))
    if draw(st.booleans()):
        target = softmax_rows(rng.standard_normal(logits.shape)).astype(dtype)
    else:
        target = rng.integers(0, k, (n, *pixels))
    return logits, target


def softmax_rows(z):
    """Softmax over axis 1 in plain NumPy (a reference independent of cnnviz.ops)."""
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)
