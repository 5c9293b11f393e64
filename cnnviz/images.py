"""Sample images that work offline: a photograph, synthetic test patterns and helpers.

Every image is a float64 NumPy array with values in [0, 1]: ``(H, W)`` for
grayscale, ``(H, W, 3)`` for colour (channels last, as images are stored; the
layers in :mod:`cnnviz.ops` want ``(N, C, H, W)``). Everything is deterministic:
the same call returns the same pixels.

Angles of the test patterns are in degrees, counter-clockwise as seen on screen,
and give the direction in which brightness changes: ``step_edge(angle=0)`` is
dark on the left and bright on the right (a vertical edge).

Examples
--------
>>> checkerboard(4, squares=2)
array([[0., 0., 1., 1.],
       [0., 0., 1., 1.],
       [1., 1., 0., 0.],
       [1., 1., 0., 0.]])
"""

import functools

import numpy as np

from cnnviz._checks import check_array, check_bool, check_int, check_number

__all__ = [
    "SAMPLES",
    "add_noise",
    "checkerboard",
    "disk",
    "normalize",
    "sample_photo",
    "standardize",
    "step_edge",
    "stripes",
    "to_grayscale",
]

#: ITU-R BT.601 luma weights for R, G, B (what PIL's ``convert("L")`` uses).
LUMA_WEIGHTS = (0.299, 0.587, 0.114)


def _coordinates(size):
    """Centre-relative x (columns, right) and y (rows, *up*) of a size x size grid."""
    r = (size - 1) / 2
    x = np.arange(size) - r
    return np.meshgrid(x, -x)


def _along(size, angle):
    """Signed distance of every pixel from the centre along the direction ``angle`` (degrees)."""
    x, y = _coordinates(size)
    a = np.deg2rad(angle)
    return x * np.cos(a) + y * np.sin(a)


# --------------------------------------------------------------------------- the photograph


@functools.lru_cache(maxsize=1)
def _photo_rgb8():
    """The decoded matplotlib sample photograph as uint8 (H, W, 3), read once."""
    from matplotlib import cbook
    from PIL import Image

    with cbook.get_sample_data("grace_hopper.jpg") as f, Image.open(f) as im:
        return np.asarray(im.convert("RGB"))


def sample_photo(gray=True, size=None):
    """The photograph of Grace Hopper that ships with matplotlib (offline), in [0, 1].

    Parameters
    ----------
    gray : bool
        True: ``(H, W)`` grayscale with :func:`to_grayscale`'s luma weights;
        False: ``(H, W, 3)`` RGB.
    size : int, optional
        None keeps the full 600 x 512 (rows x columns) picture. An int first crops
        the largest centred square (512 x 512) and then resizes it with PIL
        (Lanczos filter) to ``size x size``: ``size=128`` gives 128 x 128.

    Returns
    -------
    numpy.ndarray
        float64 with values in [0, 1].

    Examples
    --------
    >>> sample_photo().shape
    (600, 512)
    >>> photo = sample_photo(gray=False, size=128)
    >>> photo.shape, photo.dtype, bool(0 <= photo.min() and photo.max() <= 1)
    ((128, 128, 3), dtype('float64'), True)
    """
    gray = check_bool(gray, "gray")
    rgb = _photo_rgb8()
    if size is not None:
        from PIL import Image

        size = check_int(size, "size", minimum=1)
        h, w = rgb.shape[:2]
        side = min(h, w)
        top, left = (h - side) // 2, (w - side) // 2
        square = Image.fromarray(rgb[top : top + side, left : left + side])
        rgb = np.asarray(square.resize((size, size), Image.Resampling.LANCZOS))
    image = rgb.astype(np.float64) / 255.0
    return to_grayscale(image) if gray else image


# --------------------------------------------------------------------------- test patterns


def step_edge(size=64, angle=0.0):
    """A straight edge through the centre: 0 on one side, 1 on the other.

    Brightness jumps from 0 to 1 when moving in the direction ``angle``
    (degrees, counter-clockwise on screen); pixels exactly on the edge get 0.5.

    Examples
    --------
    >>> step_edge(4)                 # angle 0: dark left, bright right
    array([[0., 0., 1., 1.],
           [0., 0., 1., 1.],
           [0., 0., 1., 1.],
           [0., 0., 1., 1.]])
    >>> step_edge(4, angle=90)[:, 0]  # angle 90: bright on top
    array([1., 1., 0., 0.])
    """
    size = check_int(size, "size", minimum=1)
    d = np.round(
        _along(size, check_number(angle, "angle")), 9
    )  # so that cos(90 deg) round-off reads as 0
    return 0.5 * (1.0 + np.sign(d))


def checkerboard(size=64, squares=8):
    """A checkerboard of ``squares x squares`` squares, 0 (black) in the top-left corner.

    When ``squares`` does not divide ``size`` the squares differ by at most a pixel.

    Examples
    --------
    >>> checkerboard(6, squares=3)[0]
    array([0., 0., 1., 1., 0., 0.])
    """
    size = check_int(size, "size", minimum=1)
    squares = check_int(squares, "squares", minimum=1)
    if squares > size:
        raise ValueError(f"squares must be at most size ({size}), got {squares}")
    index = np.arange(size) * squares // size
    return ((index[:, None] + index[None, :]) % 2).astype(np.float64)


def disk(size=64, radius=None):
    """A bright disk (1) on a dark background (0), centred.

    Parameters
    ----------
    size : int
        Side length.
    radius : float, optional
        In pixels; default ``size / 4``.

    Examples
    --------
    >>> disk(5, radius=1)
    array([[0., 0., 0., 0., 0.],
           [0., 0., 1., 0., 0.],
           [0., 1., 1., 1., 0.],
           [0., 0., 1., 0., 0.],
           [0., 0., 0., 0., 0.]])
    """
    size = check_int(size, "size", minimum=1)
    radius = size / 4 if radius is None else check_number(radius, "radius", positive=True)
    x, y = _coordinates(size)
    return (x**2 + y**2 <= radius**2).astype(np.float64)


def stripes(size=64, period=8, angle=30.0):
    """A sinusoidal grating ``0.5 + 0.5 cos(2 pi d / period)`` with values in [0, 1].

    ``d`` is the distance from the centre along ``angle`` (degrees, counter-clockwise
    on screen), so the stripes themselves lie perpendicular to ``angle``:
    ``angle=0`` gives vertical stripes. :func:`cnnviz.filters.gabor_kernel` with
    ``theta=np.deg2rad(angle)`` and ``wavelength=period`` matches them.

    Examples
    --------
    >>> stripes(8, period=4, angle=0)[0].round(2)
    array([0.85, 0.15, 0.15, 0.85, 0.85, 0.15, 0.15, 0.85])
    """
    size = check_int(size, "size", minimum=1)
    period = check_number(period, "period", positive=True)
    angle = check_number(angle, "angle")
    return 0.5 + 0.5 * np.cos(2 * np.pi * _along(size, angle) / period)


# --------------------------------------------------------------------------- helpers


def add_noise(image, sigma, seed=0):
    """Add Gaussian noise of standard deviation ``sigma``, then clip to [0, 1].

    The same ``seed`` gives the same noise, so notebooks stay reproducible.

    Examples
    --------
    >>> noisy = add_noise(np.full((2, 3), 0.5), sigma=0.1, seed=0)
    >>> noisy.round(2)
    array([[0.51, 0.49, 0.56],
           [0.51, 0.45, 0.54]])
    >>> bool(np.array_equal(noisy, add_noise(np.full((2, 3), 0.5), sigma=0.1, seed=0)))
    True
    """
    image = check_array(image, "image").astype(np.float64, copy=False)
    sigma = check_number(sigma, "sigma", minimum=0)
    rng = np.random.default_rng(check_int(seed, "seed", minimum=0))
    return np.clip(image + sigma * rng.standard_normal(image.shape), 0.0, 1.0)


def to_grayscale(image):
    """Luma ``0.299 R + 0.587 G + 0.114 B`` (ITU-R BT.601) of an ``(..., H, W, 3)`` image.

    A 2-D image is returned as a float64 copy; an alpha channel (RGBA) is ignored.
    Values keep their scale (uint8 in gives float64 in [0, 255]).

    Examples
    --------
    >>> to_grayscale(np.array([[[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]]]))
    array([[0.299, 0.587, 0.114]])
    """
    image = check_array(image, "image").astype(np.float64)
    if image.ndim == 2:
        return image
    if image.ndim < 3 or image.shape[-1] not in (3, 4):
        raise ValueError(
            f"image must be (H, W) or (..., H, W, 3) RGB / (..., H, W, 4) RGBA, "
            f"got shape {image.shape}"
        )
    return image[..., :3] @ np.array(LUMA_WEIGHTS)


def normalize(image):
    """Min-max rescale to [0, 1]; a constant image becomes all zeros.

    Useful to display a feature map that goes negative.

    Examples
    --------
    >>> normalize(np.array([-2.0, 0.0, 2.0]))
    array([0. , 0.5, 1. ])
    """
    image = check_array(image, "image").astype(np.float64, copy=False)
    if image.size == 0:
        return image.copy()
    low, high = image.min(), image.max()
    if high == low:
        return np.zeros_like(image)
    return (image - low) / (high - low)


def standardize(image, mean=None, std=None, axis=-1):
    """Per-channel ``(image - mean) / std``, the usual input normalization of a CNN.

    Parameters
    ----------
    image : array_like
        Any shape; the channels lie along ``axis`` (default last, as in
        ``(H, W, 3)`` or ``(N, H, W, 3)``; use ``axis=1`` for ``(N, C, H, W)``).
    mean, std : float or sequence of float, optional
        One value, or one per channel. None computes them from ``image`` itself,
        per channel over all other axes, so the result has mean 0 and std 1.
    axis : int
        The channel axis; ignored when mean and std are scalars.

    Examples
    --------
    >>> rgb = np.ones((2, 2, 3)) * [0.2, 0.4, 0.6]
    >>> standardize(rgb, mean=[0.2, 0.4, 0.6], std=[0.1, 0.2, 0.3])[0, 0]
    array([0., 0., 0.])
    >>> z = standardize(np.arange(6.0).reshape(3, 2), axis=-1)
    >>> z.mean(axis=0).round(12), z.std(axis=0).round(12)
    (array([0., 0.]), array([1., 1.]))
    """
    image = check_array(image, "image").astype(np.float64, copy=False)
    axis = check_int(axis, "axis")
    if image.ndim and not -image.ndim <= axis < image.ndim:
        raise ValueError(
            f"axis must be between {-image.ndim} and {image.ndim - 1} for image {image.shape}, "
            f"got {axis}"
        )
    axis = axis % image.ndim if image.ndim else 0
    others = tuple(i for i in range(image.ndim) if i != axis)
    if mean is None:
        mean = image.mean(axis=others)
    if std is None:
        std = image.std(axis=others)
    mean = check_array(mean, "mean").astype(np.float64, copy=False)
    std = check_array(std, "std").astype(np.float64, copy=False)
    shape = [1] * image.ndim
    for name, value in (("mean", mean), ("std", std)):
        if value.ndim > 1 or (value.ndim == 1 and value.size != image.shape[axis]):
            raise ValueError(
                f"{name} must be a scalar or have one value per channel "
                f"({image.shape[axis]} along axis {axis} of image {image.shape}), "
                f"got shape {value.shape}"
            )
    if not np.all(std > 0):
        raise ValueError(f"std must be positive, got {std}")
    if mean.ndim == 1:
        shape[axis] = mean.size
        mean = mean.reshape(shape)
    if std.ndim == 1:
        shape[axis] = std.size
        std = std.reshape(shape)
    return (image - mean) / std


#: Presets for the explorers: name -> zero-argument function returning an image in [0, 1].
SAMPLES = {
    "photo": lambda: sample_photo(gray=True, size=128),
    "noisy photo": lambda: add_noise(sample_photo(gray=True, size=128), sigma=0.1, seed=0),
    "step edge": lambda: step_edge(64),
    "checkerboard": lambda: checkerboard(64, squares=8),
    "disk": lambda: disk(64),
    "stripes": lambda: stripes(64, period=8, angle=30.0),
}
