"""Tests of cnnviz.images: shapes, value ranges, determinism and the grayscale weights."""

import numpy as np
import pytest

from cnnviz import images


def test_sample_photo_shapes_and_range():
    gray = images.sample_photo()
    rgb = images.sample_photo(gray=False)
    assert gray.shape == (600, 512) and rgb.shape == (600, 512, 3)
    for image in (gray, rgb):
        assert image.dtype == np.float64
        assert 0.0 <= image.min() and image.max() <= 1.0
        assert image.std() > 0.1  # a real picture, not a blank
    np.testing.assert_allclose(gray, images.to_grayscale(rgb))


def test_sample_photo_size_crops_the_centre_square():
    small = images.sample_photo(gray=False, size=128)
    assert small.shape == (128, 128, 3)
    assert 0.0 <= small.min() and small.max() <= 1.0
    assert images.sample_photo(size=32).shape == (32, 32)
    # Same picture: the centre crop shrunk by 4 is close to the 128 version, pixel by pixel.
    full = images.sample_photo(gray=True)
    crop = full[44 : 44 + 512]
    block_means = crop.reshape(128, 4, 128, 4).mean(axis=(1, 3))
    assert np.abs(block_means - images.sample_photo(size=128)).mean() < 0.02
    with pytest.raises(ValueError, match="size"):
        images.sample_photo(size=0)


def test_sample_photo_is_deterministic_and_not_shared():
    a = images.sample_photo(size=64)
    a[:] = 0
    np.testing.assert_array_equal(images.sample_photo(size=64), images.sample_photo(size=64))
    assert images.sample_photo(size=64).max() > 0


def test_step_edge():
    edge = images.step_edge(8)
    assert edge.shape == (8, 8) and edge.dtype == np.float64
    np.testing.assert_array_equal(edge[:, :4], 0.0)
    np.testing.assert_array_equal(edge[:, 4:], 1.0)
    np.testing.assert_array_equal(images.step_edge(8, angle=90), edge.T[::-1])  # bright on top
    np.testing.assert_array_equal(images.step_edge(8, angle=180), 1.0 - edge)
    diagonal = images.step_edge(5, angle=45)  # bright towards the top right
    assert diagonal[0, -1] == 1.0 and diagonal[-1, 0] == 0.0
    np.testing.assert_array_equal(np.diag(diagonal), 0.5)  # the edge is the main diagonal
    assert set(np.unique(images.step_edge(33, angle=17.0))) <= {0.0, 0.5, 1.0}


def test_checkerboard():
    board = images.checkerboard(64, squares=8)
    assert board.shape == (64, 64)
    assert board.mean() == 0.5
    assert board[0, 0] == 0.0 and board[0, 8] == 1.0 and board[8, 8] == 0.0
    np.testing.assert_array_equal(board[:8, :8], 0.0)
    assert images.checkerboard(10, squares=3).shape == (10, 10)
    with pytest.raises(ValueError, match="squares"):
        images.checkerboard(4, squares=5)


def test_disk():
    d = images.disk(64)
    assert d.shape == (64, 64)
    assert d[32, 32] == 1.0 and d[0, 0] == 0.0
    assert d.sum() == pytest.approx(np.pi * 16**2, rel=0.05)  # radius size/4
    np.testing.assert_array_equal(d, d.T)
    np.testing.assert_array_equal(d, d[::-1])
    with pytest.raises(ValueError, match="radius"):
        images.disk(8, radius=0)


def test_stripes():
    s = images.stripes(64, period=8, angle=0)
    assert s.shape == (64, 64)
    assert 0.0 <= s.min() and s.max() <= 1.0
    np.testing.assert_allclose(s, s[::-1])  # vertical stripes: every row the same
    np.testing.assert_allclose(s[:, :56], s[:, 8:])  # period 8
    tilted = images.stripes(64, period=8, angle=30)
    assert not np.allclose(tilted, tilted[::-1])
    np.testing.assert_allclose(images.stripes(32, 8, 90), images.stripes(32, 8, 0).T, atol=1e-12)
    with pytest.raises(ValueError, match="period"):
        images.stripes(8, period=0)


def test_add_noise_is_deterministic_and_clipped():
    image = images.checkerboard(32)
    a = images.add_noise(image, sigma=0.2, seed=7)
    b = images.add_noise(image, sigma=0.2, seed=7)
    c = images.add_noise(image, sigma=0.2, seed=8)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)
    assert 0.0 <= a.min() and a.max() <= 1.0
    np.testing.assert_array_equal(images.add_noise(image, sigma=0.0), image)
    mid = images.add_noise(np.full((200, 200), 0.5), sigma=0.05, seed=0)
    assert mid.std() == pytest.approx(0.05, rel=0.05)
    with pytest.raises(ValueError, match="sigma"):
        images.add_noise(image, sigma=-1)


def test_to_grayscale_weights():
    assert images.LUMA_WEIGHTS == (0.299, 0.587, 0.114)
    pixel = np.array([[[0.2, 0.4, 0.6]]])
    assert images.to_grayscale(pixel)[0, 0] == pytest.approx(
        0.299 * 0.2 + 0.587 * 0.4 + 0.114 * 0.6
    )
    white = np.ones((3, 4, 3))
    np.testing.assert_allclose(images.to_grayscale(white), np.ones((3, 4)))
    rgba = np.concatenate([pixel, np.zeros((1, 1, 1))], axis=-1)
    np.testing.assert_allclose(images.to_grayscale(rgba), images.to_grayscale(pixel))
    batch = np.random.default_rng(0).random((2, 5, 5, 3))
    assert images.to_grayscale(batch).shape == (2, 5, 5)
    gray = np.random.default_rng(1).random((4, 4))
    np.testing.assert_array_equal(images.to_grayscale(gray), gray)
    with pytest.raises(ValueError, match="shape"):
        images.to_grayscale(np.zeros((4, 4, 2)))


def test_normalize():
    x = np.array([[-3.0, 1.0], [5.0, 1.0]])
    n = images.normalize(x)
    assert n.min() == 0.0 and n.max() == 1.0
    assert n[0, 1] == pytest.approx(0.5)
    np.testing.assert_array_equal(images.normalize(np.full((2, 2), 7.0)), 0.0)


def test_standardize():
    rng = np.random.default_rng(2)
    rgb = rng.random((6, 5, 3)) * [1.0, 2.0, 3.0] + [0.0, 1.0, 2.0]
    z = images.standardize(rgb)
    np.testing.assert_allclose(z.mean(axis=(0, 1)), 0.0, atol=1e-12)
    np.testing.assert_allclose(z.std(axis=(0, 1)), 1.0)
    mean, std = [0.5, 0.4, 0.3], [0.2, 0.25, 0.5]
    np.testing.assert_allclose(images.standardize(rgb, mean, std), (rgb - mean) / std)
    nchw = np.moveaxis(rgb, -1, 0)[None]
    np.testing.assert_allclose(
        images.standardize(nchw, mean, std, axis=1),
        np.moveaxis((rgb - mean) / std, -1, 0)[None],
    )
    np.testing.assert_allclose(images.standardize(rgb, 0.5, 2.0), (rgb - 0.5) / 2.0)
    with pytest.raises(ValueError, match="mean"):
        images.standardize(rgb, mean=[0.1, 0.2], std=1.0)
    with pytest.raises(ValueError, match="std"):
        images.standardize(rgb, mean=0.0, std=0.0)


def test_samples_presets():
    assert list(images.SAMPLES) == [
        "photo",
        "noisy photo",
        "step edge",
        "checkerboard",
        "disk",
        "stripes",
    ]
    for name, make in images.SAMPLES.items():
        image = make()
        assert image.ndim == 2 and image.dtype == np.float64, name
        assert 0.0 <= image.min() and image.max() <= 1.0, name
        np.testing.assert_array_equal(image, make())  # deterministic
