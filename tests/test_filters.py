"""Tests of cnnviz.filters: known properties of each kernel, and apply_kernel against SciPy."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import ndimage

from cnnviz import filters
from cnnviz.images import step_edge

# torch's padding names -> scipy.ndimage's (numpy/torch "reflect" is scipy "mirror").
SCIPY_MODE = {"reflect": "mirror", "replicate": "nearest", "circular": "wrap", "zeros": "constant"}


def test_gaussian_sums_to_one_and_is_symmetric():
    for size, sigma in [(1, 0.5), (3, 1.0), (5, 1.0), (7, 2.5)]:
        k = filters.gaussian_kernel(size, sigma)
        assert k.shape == (size, size)
        assert k.sum() == pytest.approx(1.0, abs=1e-12)
        np.testing.assert_allclose(k, k.T)
        np.testing.assert_allclose(k, k[::-1])
        np.testing.assert_allclose(k, k[:, ::-1])
        assert k.argmax() == k.size // 2  # the peak is at the centre


def test_gaussian_matches_the_formula():
    k = filters.gaussian_kernel(5, sigma=1.3)
    y, x = np.mgrid[-2:3, -2:3]
    g = np.exp(-(x**2 + y**2) / (2 * 1.3**2))
    np.testing.assert_allclose(k, g / g.sum())


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"size": 4}, "size"),
        ({"size": 0}, "size"),
        ({"sigma": 0}, "sigma"),
        ({"sigma": -1}, "sigma"),
    ],
)
def test_gaussian_argument_errors_name_the_argument(kwargs, name):
    with pytest.raises(ValueError, match=name):
        filters.gaussian_kernel(**kwargs)


def test_other_argument_errors():
    with pytest.raises(TypeError, match="size"):
        filters.box_kernel(2.5)
    with pytest.raises(ValueError, match="size"):
        filters.identity_kernel(4)
    for name in ("sigma", "wavelength", "gamma"):
        with pytest.raises(ValueError, match=name):
            filters.gabor_kernel(**{name: 0.0})
    with pytest.raises(ValueError, match="size"):
        filters.gabor_kernel(size=10)


def test_box_kernel_averages():
    image = np.random.default_rng(0).random((6, 7))
    out = filters.apply_kernel(image, filters.box_kernel(3), padding="valid")
    assert out.shape == (4, 5)
    assert out[1, 2] == pytest.approx(image[1:4, 2:5].mean())
    assert filters.box_kernel(4).sum() == pytest.approx(1.0)


def test_derivative_kernels_are_transposes_and_sum_to_zero():
    pairs = [
        (filters.sobel_x, filters.sobel_y),
        (filters.prewitt_x, filters.prewitt_y),
        (filters.scharr_x, filters.scharr_y),
    ]
    for kx, ky in pairs:
        np.testing.assert_array_equal(kx(), ky().T)
        assert kx().sum() == 0
        np.testing.assert_array_equal(kx(), -kx()[:, ::-1])  # antisymmetric left-right


def test_sobel_x_sees_vertical_edges_only():
    vertical = step_edge(16, angle=0)  # dark left, bright right
    horizontal = step_edge(16, angle=90)  # bright top, dark bottom
    gx_v = filters.apply_kernel(vertical, filters.sobel_x())
    gx_h = filters.apply_kernel(horizontal, filters.sobel_x())
    gy_v = filters.apply_kernel(vertical, filters.sobel_y())
    gy_h = filters.apply_kernel(horizontal, filters.sobel_y())
    assert gx_v.max() == 4.0 and gx_v.min() == 0.0  # brightness grows to the right
    np.testing.assert_array_equal(gx_v[:, 7:9], 4.0)  # the two columns beside the edge
    np.testing.assert_array_equal(gx_h, 0.0)
    np.testing.assert_array_equal(gy_v, 0.0)
    assert gy_h.min() == -4.0  # brightness falls going down
    mag = filters.gradient_magnitude(vertical)
    np.testing.assert_allclose(mag, np.abs(gx_v))


def test_laplacian_sharpen_emboss_identity():
    for diagonal in (False, True):
        k = filters.laplacian(diagonal=diagonal)
        assert k.sum() == 0
        np.testing.assert_array_equal(k, k.T)
    assert filters.sharpen().sum() == 1
    assert filters.emboss().sum() == 1
    image = np.random.default_rng(1).random((5, 6))
    np.testing.assert_array_equal(filters.apply_kernel(image, filters.identity_kernel(5)), image)
    # The Laplacian of a linear ramp is zero away from the border.
    ramp = np.add.outer(np.arange(8.0), 2 * np.arange(9.0))
    np.testing.assert_allclose(
        filters.apply_kernel(ramp, filters.laplacian(), padding="valid"), 0.0, atol=1e-12
    )


def test_gabor_shape_orientation_and_phase():
    k = filters.gabor_kernel(11, sigma=3.0, theta=0.0, wavelength=6.0, gamma=1.0)
    assert k.shape == (11, 11)
    assert k[5, 5] == pytest.approx(1.0)
    np.testing.assert_allclose(k, k[::-1])  # theta=0: vertical stripes, symmetric
    np.testing.assert_allclose(k, k[:, ::-1])  # phase 0: even
    # Turning theta by 90 degrees transposes the kernel (any gamma, phase 0).
    for gamma in (1.0, 0.5):
        k0 = filters.gabor_kernel(11, theta=0.0, gamma=gamma)
        k90 = filters.gabor_kernel(11, theta=np.pi / 2, gamma=gamma)
        np.testing.assert_allclose(k90, k0.T, atol=1e-12)
    # 45 degrees counter-clockwise on screen: constant along the anti-diagonal direction...
    k45 = filters.gabor_kernel(11, theta=np.pi / 4, gamma=1.0)
    np.testing.assert_allclose(k45, k45.T[::-1, ::-1], atol=1e-12)
    # ...and the wave runs from bottom-left to top-right: along the main diagonal it varies.
    assert not np.allclose(np.diag(k45), np.diag(k45)[0])
    # phase pi/2 makes it odd: an edge detector
    odd = filters.gabor_kernel(11, phase=np.pi / 2)
    np.testing.assert_allclose(odd, -odd[:, ::-1], atol=1e-12)
    # The stripes of images.stripes at the same angle excite it most.
    from cnnviz.images import stripes

    responses = [
        (filters.gabor_kernel(11, theta=np.deg2rad(t), wavelength=8.0) * stripes(11, 8, 30.0)).sum()
        for t in (0, 30, 60, 90, 120, 150)
    ]
    assert int(np.argmax(np.abs(responses))) == 1


def test_kernels_presets():
    assert list(filters.KERNELS) == [
        "identity",
        "box",
        "gaussian",
        "sobel_x",
        "sobel_y",
        "laplacian",
        "sharpen",
        "emboss",
        "gabor",
    ]
    for name, make in filters.KERNELS.items():
        k = make()
        assert k.ndim == 2 and k.dtype == np.float64, name
        assert k.shape[0] % 2 == 1 and k.shape[1] % 2 == 1, name


def test_apply_kernel_rgb_is_per_channel():
    rgb = np.random.default_rng(2).random((9, 8, 3))
    k = filters.sobel_x() + 0.1 * filters.emboss()
    out = filters.apply_kernel(rgb, k)
    assert out.shape == rgb.shape
    for c in range(3):
        np.testing.assert_allclose(out[..., c], filters.apply_kernel(rgb[..., c], k))


@pytest.mark.parametrize("mode", ["reflect", "replicate", "circular", "zeros"])
@pytest.mark.parametrize("kernel_shape", [(3, 3), (5, 3), (1, 7)])
def test_apply_kernel_matches_scipy_correlate(mode, kernel_shape):
    rng = np.random.default_rng(3)
    image = rng.random((10, 12))
    kernel = rng.standard_normal(kernel_shape)
    ours = filters.apply_kernel(image, kernel, padding="same", mode=mode)
    ref = ndimage.correlate(image, kernel, mode=SCIPY_MODE[mode], cval=0.0)
    np.testing.assert_allclose(ours, ref, rtol=1e-12, atol=1e-12)


def test_apply_kernel_even_kernel_puts_extra_padding_after():
    # Like torch's padding="same": for a 2x2 kernel the extra row/column is at the bottom/right,
    # which is scipy's origin=-1.
    image = np.random.default_rng(4).random((6, 5))
    kernel = np.array([[1.0, 2.0], [3.0, 4.0]])
    ours = filters.apply_kernel(image, kernel, mode="zeros")
    ref = ndimage.correlate(image, kernel, mode="constant", origin=-1)
    np.testing.assert_allclose(ours, ref, rtol=1e-12, atol=1e-12)


def test_apply_kernel_is_correlation_not_convolution():
    image = np.zeros((5, 5))
    image[2, 2] = 1.0  # an impulse: correlation returns the kernel flipped
    k = np.arange(9.0).reshape(3, 3)
    out = filters.apply_kernel(image, k, mode="zeros")
    np.testing.assert_array_equal(out[1:4, 1:4], k[::-1, ::-1])


def test_apply_kernel_padding_forms():
    image = np.random.default_rng(5).random((7, 9))
    k = filters.gaussian_kernel(3)
    assert filters.apply_kernel(image, k, padding="valid").shape == (5, 7)
    assert filters.apply_kernel(image, k, padding=2).shape == (9, 11)
    assert filters.apply_kernel(image, k, padding=(0, 1)).shape == (5, 9)
    np.testing.assert_allclose(
        filters.apply_kernel(image, k, padding=1, mode="reflect"), filters.apply_kernel(image, k)
    )
    assert filters.apply_kernel(image.astype(np.uint8), k).dtype == np.float64


def test_apply_kernel_errors():
    image = np.zeros((4, 4))
    with pytest.raises(ValueError, match="kernel"):
        filters.apply_kernel(image, np.ones(3))
    with pytest.raises(ValueError, match="image"):
        filters.apply_kernel(np.zeros((2, 4, 4, 3)), filters.box_kernel())
    with pytest.raises(ValueError, match="mode"):
        filters.apply_kernel(image, filters.box_kernel(), mode="mirror")
    with pytest.raises(ValueError, match="padding"):
        filters.apply_kernel(image, filters.box_kernel(), padding="full")
    with pytest.raises(ValueError, match="padding"):
        filters.apply_kernel(image, filters.box_kernel(), padding=-1)
    with pytest.raises(ValueError, match=r"\(5, 5\)"):
        filters.apply_kernel(image, filters.box_kernel(5), padding="valid")


@settings(max_examples=30, deadline=None)
@given(
    h=st.integers(3, 9),
    w=st.integers(3, 9),
    kh=st.sampled_from([1, 3]),
    kw=st.sampled_from([1, 3, 5]),
    seed=st.integers(0, 2**16),
)
def test_apply_kernel_is_linear_and_matches_scipy(h, w, kh, kw, seed):
    rng = np.random.default_rng(seed)
    a, b = rng.random((2, h, w))
    k = rng.standard_normal((kh, kw))
    out = filters.apply_kernel(a, k)
    np.testing.assert_allclose(out, ndimage.correlate(a, k, mode="mirror"), atol=1e-12)
    np.testing.assert_allclose(
        filters.apply_kernel(2 * a - b, k), 2 * out - filters.apply_kernel(b, k), atol=1e-12
    )
