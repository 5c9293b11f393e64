"""Classic image kernels and a helper that slides them over an image.

Every kernel is a small 2-D float64 array meant for *cross-correlation*, the
operation that CNN layers (``torch.nn.functional.conv2d``, :func:`cnnviz.ops.conv2d`)
call "convolution": the kernel is laid on the image as printed, without flipping.
For the symmetric kernels (box, Gaussian, Laplacian, sharpen) the two operations
agree; for Sobel, Prewitt, Scharr and emboss, flipping the kernel flips the sign
or direction of the response.

Conventions
-----------
Arrays are indexed ``[row, column]`` with rows going down, as on screen.
``sobel_x`` measures how brightness grows to the right (it responds to vertical
edges), ``sobel_y`` how it grows downwards (horizontal edges), as in OpenCV and
scikit-image. Angles (``theta`` of :func:`gabor_kernel`) are in radians and
counter-clockwise as seen on screen.

Examples
--------
>>> import numpy as np
>>> image = np.zeros((5, 5)); image[:, 3:] = 1.0   # dark left, bright right
>>> apply_kernel(image, sobel_x())[2]               # strong response at the edge
array([0., 0., 4., 4., 0.])
"""

import numpy as np

from cnnviz import ops
from cnnviz._checks import (
    check_array,
    check_bool,
    check_choice,
    check_int,
    check_number,
)
from cnnviz.images import _coordinates as _offsets

__all__ = [
    "KERNELS",
    "apply_kernel",
    "box_kernel",
    "emboss",
    "gabor_kernel",
    "gaussian_kernel",
    "gradient_magnitude",
    "identity_kernel",
    "laplacian",
    "prewitt_x",
    "prewitt_y",
    "scharr_x",
    "scharr_y",
    "sharpen",
    "sobel_x",
    "sobel_y",
]

_PADDING_MODES = ("constant", "zeros", "reflect", "replicate", "circular")


# --------------------------------------------------------------------------- checks


def _check_size(size, name="size", odd=False):
    """Return ``size`` as an int >= 1 (and odd when asked), else raise naming ``name``."""
    size = check_int(size, name, minimum=1)
    if odd and size % 2 == 0:
        raise ValueError(f"{name} must be odd, so that the kernel has a centre pixel, got {size}")
    return size


# --------------------------------------------------------------------------- smoothing


def identity_kernel(size=3):
    """A kernel that leaves the image unchanged: 1 at the centre, 0 elsewhere.

    Parameters
    ----------
    size : int
        Odd side length.

    Examples
    --------
    >>> identity_kernel()
    array([[0., 0., 0.],
           [0., 1., 0.],
           [0., 0., 0.]])
    """
    size = _check_size(size, odd=True)
    kernel = np.zeros((size, size))
    kernel[size // 2, size // 2] = 1.0
    return kernel


def box_kernel(size=3):
    """The box (mean) filter: every weight is ``1 / size**2``, so it averages a window.

    Examples
    --------
    >>> box_kernel(2)
    array([[0.25, 0.25],
           [0.25, 0.25]])
    """
    size = _check_size(size)
    return np.full((size, size), 1.0 / size**2)


def gaussian_kernel(size=5, sigma=1.0):
    """A normalized Gaussian blur: ``exp(-(x**2 + y**2) / (2 sigma**2))``, weights sum to 1.

    Parameters
    ----------
    size : int
        Odd side length; about ``6 * sigma`` (rounded up to odd) keeps almost all the weight.
    sigma : float
        Standard deviation in pixels, > 0.

    Examples
    --------
    >>> k = gaussian_kernel(3, sigma=1.0)
    >>> k.round(3)
    array([[0.075, 0.124, 0.075],
           [0.124, 0.204, 0.124],
           [0.075, 0.124, 0.075]])
    >>> float(k.sum().round(12))
    1.0
    """
    size = _check_size(size, odd=True)
    sigma = check_number(sigma, "sigma", positive=True)
    x = np.arange(size) - size // 2
    g = np.exp(-(x**2) / (2 * sigma**2))
    g /= g.sum()
    return np.outer(g, g)  # separable: a column of weights times a row of weights


# --------------------------------------------------------------------------- edges


def sobel_x():
    """Sobel derivative along x: positive where brightness grows to the right (vertical edges).

    Examples
    --------
    >>> sobel_x()
    array([[-1.,  0.,  1.],
           [-2.,  0.,  2.],
           [-1.,  0.,  1.]])
    """
    return np.array([[-1.0, 0.0, 1.0], [-2.0, 0.0, 2.0], [-1.0, 0.0, 1.0]])


def sobel_y():
    """Sobel derivative along y (rows): positive where brightness grows downwards.

    It is the transpose of :func:`sobel_x` and responds to horizontal edges.

    Examples
    --------
    >>> sobel_y()
    array([[-1., -2., -1.],
           [ 0.,  0.,  0.],
           [ 1.,  2.,  1.]])
    """
    return sobel_x().T.copy()


def prewitt_x():
    """Prewitt derivative along x: like Sobel, but the three rows weigh equally.

    Examples
    --------
    >>> prewitt_x()
    array([[-1.,  0.,  1.],
           [-1.,  0.,  1.],
           [-1.,  0.,  1.]])
    """
    return np.array([[-1.0, 0.0, 1.0]] * 3)


def prewitt_y():
    """Prewitt derivative along y (rows, downwards); the transpose of :func:`prewitt_x`.

    Examples
    --------
    >>> prewitt_y()
    array([[-1., -1., -1.],
           [ 0.,  0.,  0.],
           [ 1.,  1.,  1.]])
    """
    return prewitt_x().T.copy()


def scharr_x():
    """Scharr derivative along x: weights 3-10-3 make it closer to rotation invariant.

    Examples
    --------
    >>> scharr_x()
    array([[ -3.,   0.,   3.],
           [-10.,   0.,  10.],
           [ -3.,   0.,   3.]])
    """
    return np.array([[-3.0, 0.0, 3.0], [-10.0, 0.0, 10.0], [-3.0, 0.0, 3.0]])


def scharr_y():
    """Scharr derivative along y (rows, downwards); the transpose of :func:`scharr_x`.

    Examples
    --------
    >>> scharr_y()
    array([[ -3., -10.,  -3.],
           [  0.,   0.,   0.],
           [  3.,  10.,   3.]])
    """
    return scharr_x().T.copy()


def laplacian(diagonal=False):
    """The discrete Laplacian, a second derivative: zero on flat areas and on linear ramps.

    Parameters
    ----------
    diagonal : bool
        False: the 4-neighbour kernel; True: the 8-neighbour kernel that also
        uses the diagonals. Either way the weights sum to 0.

    Examples
    --------
    >>> laplacian()
    array([[ 0.,  1.,  0.],
           [ 1., -4.,  1.],
           [ 0.,  1.,  0.]])
    >>> float(laplacian(diagonal=True).sum())
    0.0
    """
    if check_bool(diagonal, "diagonal"):
        kernel = np.ones((3, 3))
        kernel[1, 1] = -8.0
        return kernel
    return np.array([[0.0, 1.0, 0.0], [1.0, -4.0, 1.0], [0.0, 1.0, 0.0]])


def sharpen():
    """Sharpen: the identity minus the Laplacian, so edges are boosted and flat areas kept.

    Examples
    --------
    >>> sharpen()
    array([[ 0., -1.,  0.],
           [-1.,  5., -1.],
           [ 0., -1.,  0.]])
    >>> bool(np.array_equal(sharpen(), identity_kernel() - laplacian()))
    True
    """
    return identity_kernel(3) - laplacian()


def emboss():
    """Emboss: a diagonal derivative plus the image, so it looks lit from the top left.

    Examples
    --------
    >>> emboss()
    array([[-2., -1.,  0.],
           [-1.,  1.,  1.],
           [ 0.,  1.,  2.]])
    """
    return np.array([[-2.0, -1.0, 0.0], [-1.0, 1.0, 1.0], [0.0, 1.0, 2.0]])


def gabor_kernel(size=11, sigma=3.0, theta=0.0, wavelength=6.0, gamma=0.5, phase=0.0):
    """A Gabor filter: a cosine wave under a Gaussian window, tuned to one orientation.

    With ``x' = x cos(theta) + y sin(theta)`` and ``y' = -x sin(theta) + y cos(theta)``::

        g(x, y) = exp(-(x'**2 + gamma**2 y'**2) / (2 sigma**2)) * cos(2 pi x' / wavelength + phase)

    where x counts columns to the right of the centre and y rows *up* from it.
    The wave runs along the direction ``theta``, so ``theta=0`` gives vertical
    stripes (it responds to vertical edges and lines, like :func:`sobel_x`) and
    ``theta=pi/2`` horizontal ones. The kernel is not normalized: its values lie
    in [-1, 1] with 1 at the centre when ``phase=0``. Many first-layer CNN
    filters look like Gabor filters.

    Parameters
    ----------
    size : int
        Odd side length.
    sigma : float
        Width of the Gaussian window in pixels, > 0.
    theta : float
        Direction of the wave in radians, counter-clockwise on screen
        (``np.deg2rad(30)`` for 30 degrees).
    wavelength : float
        Period of the cosine in pixels, > 0.
    gamma : float
        Aspect ratio of the window (1 is round; smaller is longer along the stripes), > 0.
    phase : float
        Phase offset of the cosine in radians: 0 is even (a line detector),
        ``pi/2`` is odd (an edge detector).

    Examples
    --------
    >>> k = gabor_kernel(5, sigma=2.0, wavelength=4.0, gamma=1.0)
    >>> k.shape
    (5, 5)
    >>> k[2].round(2)          # the middle row: a cosine of period 4 under the window
    array([-0.61,  0.  ,  1.  ,  0.  , -0.61])
    >>> bool(np.allclose(gabor_kernel(5, theta=np.pi / 2, gamma=1.0),
    ...                  gabor_kernel(5, theta=0.0, gamma=1.0).T))
    True
    """
    size = _check_size(size, odd=True)
    sigma = check_number(sigma, "sigma", positive=True)
    wavelength = check_number(wavelength, "wavelength", positive=True)
    gamma = check_number(gamma, "gamma", positive=True)
    theta, phase = check_number(theta, "theta"), check_number(phase, "phase")
    x, y = _offsets(size)
    xr = x * np.cos(theta) + y * np.sin(theta)
    yr = -x * np.sin(theta) + y * np.cos(theta)
    envelope = np.exp(-(xr**2 + gamma**2 * yr**2) / (2 * sigma**2))
    kernel = envelope * np.cos(2 * np.pi * xr / wavelength + phase)
    kernel[np.abs(kernel) < 1e-15] = 0.0  # tidy cos(pi/2) round-off
    return kernel


# --------------------------------------------------------------------------- applying


def apply_kernel(image, kernel, padding="same", mode="reflect"):
    """Slide a 2-D kernel over a grayscale or colour image (cross-correlation, as in CNNs).

    The kernel is not flipped: this is what ``torch.nn.functional.conv2d`` computes,
    done here with :func:`cnnviz.ops.pad2d` and :func:`cnnviz.ops.conv2d`. A colour
    image is filtered one channel at a time with the same kernel.

    Parameters
    ----------
    image : array_like
        ``(H, W)`` grayscale or ``(H, W, C)`` colour (channels last, as images are
        stored), any real dtype.
    kernel : array_like
        ``(kh, kw)`` weights.
    padding : {"same", "valid"} or int or (int, int)
        ``"same"`` keeps the size (for an even kernel the extra row/column of
        padding goes after, as in torch); ``"valid"`` uses no padding, so the
        output is ``(H - kh + 1, W - kw + 1)``; an int or ``(ph, pw)`` pads that
        many pixels on each side.
    mode : {"reflect", "replicate", "circular", "constant", "zeros"}
        How the border is filled, with torch's names. ``"reflect"`` mirrors
        without repeating the edge pixel (NumPy's ``"reflect"``, SciPy's
        ``"mirror"``); ``"constant"`` and ``"zeros"`` pad with 0.

    Returns
    -------
    numpy.ndarray
        float64, ``(H', W')`` or ``(H', W', C)``.

    Examples
    --------
    >>> image = np.arange(16.0).reshape(4, 4)
    >>> apply_kernel(image, box_kernel(3), padding="valid")
    array([[ 5.,  6.],
           [ 9., 10.]])
    >>> apply_kernel(image, identity_kernel()).shape      # "same" keeps the size
    (4, 4)
    >>> rgb = np.stack([image, 2 * image, 3 * image], axis=-1)
    >>> apply_kernel(rgb, box_kernel(3), padding="valid")[..., 2]
    array([[15., 18.],
           [27., 30.]])
    """
    image = check_array(image, "image", (2, 3)).astype(np.float64, copy=False)
    kernel = check_array(kernel, "kernel", (2,)).astype(np.float64, copy=False)
    mode = check_choice(mode, "mode", _PADDING_MODES)
    if isinstance(padding, str):
        padding = check_choice(padding, "padding", ("same", "valid"))
    padding_mode = "zeros" if mode == "constant" else mode
    # Channels first, so that ops sees (H, W) or a batch of one-channel images (C, 1, H, W).
    if image.ndim == 2:
        return ops.conv2d(image, kernel, padding=padding, padding_mode=padding_mode)
    x = np.moveaxis(image, -1, 0)[:, None]
    out = ops.conv2d(x, kernel[None, None], padding=padding, padding_mode=padding_mode)
    return np.moveaxis(out[:, 0], 0, -1)


def gradient_magnitude(image, mode="reflect"):
    """Edge strength ``sqrt(gx**2 + gy**2)`` from the two Sobel derivatives, same size as ``image``.

    Examples
    --------
    >>> image = np.zeros((5, 5)); image[:, 3:] = 1.0
    >>> gradient_magnitude(image)[2]
    array([0., 0., 4., 4., 0.])
    """
    gx = apply_kernel(image, sobel_x(), mode=mode)
    gy = apply_kernel(image, sobel_y(), mode=mode)
    return np.hypot(gx, gy)


#: The ConvExplorer presets: name -> zero-argument function returning the kernel.
KERNELS = {
    "identity": identity_kernel,
    "box": box_kernel,
    "gaussian": gaussian_kernel,
    "sobel_x": sobel_x,
    "sobel_y": sobel_y,
    "laplacian": laplacian,
    "sharpen": sharpen,
    "emboss": emboss,
    "gabor": gabor_kernel,
}
