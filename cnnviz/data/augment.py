"""Batched augmentation on the device: random left-right flips and random translations.

A whole batch moves at once (no Python loop over images). The random numbers come from a
CPU :class:`torch.Generator`, so that a seed gives the same augmentation on every device;
:class:`cnnviz.data.Loader` draws an epoch's worth at once with :func:`draw_flips` and
:func:`draw_shifts` and applies them with :func:`flip_where` and :func:`translate_by`.

Examples
--------
>>> draw_shifts(torch.Generator().manual_seed(0), 4, max_shift=2).shape   # rows, columns
torch.Size([2, 4])
"""

import torch

from .._checks import check_choice, check_int, check_number
from .prepare import check_nchw

__all__ = ["random_flip", "random_translate"]

PADDING_MODES = ("reflect", "zeros")


def check_shift(max_shift, name, size, padding_mode):
    """Return ``max_shift`` as an int in ``[0, min(size))`` (reflecting needs fewer pixels
    than the image has); ``name`` is the argument's name, for messages.
    """
    check_choice(padding_mode, "padding_mode", PADDING_MODES)
    check_int(max_shift, name, minimum=0)
    h, w = size
    if padding_mode == "reflect" and max_shift >= min(h, w):
        raise ValueError(
            f"{name} must be less than {min(h, w)} (the smaller side of the {h}x{w} images) "
            f"to reflect at the border, got {max_shift}"
        )
    return int(max_shift)


def _check_batch(images, generator):
    if not isinstance(images, torch.Tensor):
        raise TypeError(f"images must be a torch.Tensor, got {type(images).__name__}")
    check_nchw(images.shape)
    if generator is not None and not isinstance(generator, torch.Generator):
        raise TypeError(f"generator must be a torch.Generator or None, got {generator!r}")


def _random(generator, *size, high=None):
    """Random numbers from a CPU generator: uniform [0, 1) floats, or integers in [0, high)."""
    if high is None:
        return torch.rand(size, generator=generator)
    return torch.randint(high, size, generator=generator)


def draw_flips(generator, n, p=0.5):
    """``n`` random booleans on the CPU, each True with probability ``p``."""
    return _random(generator, n) < p


def draw_shifts(generator, n, max_shift):
    """Random ``(2, n)`` integer shifts in ``[-max_shift, max_shift]``: rows, then columns."""
    return _random(generator, 2, n, high=2 * max_shift + 1) - max_shift


def flip_where(images, mask):
    """Mirror the images ``(N, C, H, W)`` where the boolean ``mask`` ``(N,)`` is True."""
    return torch.where(mask[:, None, None, None], images.flip(-1), images)


def _source_index(size, shift, padding_mode):
    """Where output pixel ``i`` comes from when the image moves by ``-shift``: ``i + shift``,
    reflected at the border (``"reflect"``) or marked invalid (``"zeros"``).
    """
    index = torch.arange(size, device=shift.device)[None, :] + shift[:, None]
    valid = (index >= 0) & (index < size)
    if padding_mode == "reflect":
        index = index.abs()  # -1 -> 1, -2 -> 2 (the edge pixel is not repeated)
        index = torch.where(index > size - 1, 2 * (size - 1) - index, index)
    return index.clamp(0, size - 1), valid


def translate_by(images, shifts, padding_mode):
    """Move image ``i`` of ``(N, C, H, W)`` by ``shifts[:, i]`` pixels (rows, columns),
    keeping its size: two :func:`torch.gather` calls with per-image index tables.
    """
    n, c, h, w = images.shape
    rows, row_ok = _source_index(h, shifts[0], padding_mode)
    cols, col_ok = _source_index(w, shifts[1], padding_mode)
    out = images.gather(2, rows[:, None, :, None].expand(n, c, h, w))
    out = out.gather(3, cols[:, None, None, :].expand(n, c, h, w))
    if padding_mode == "zeros":
        inside = row_ok[:, None, :, None] & col_ok[:, None, None, :]
        out = out * inside.to(out.dtype)
    return out


def random_flip(images, generator=None, p=0.5):
    """Mirror each image left-right with probability ``p`` (one coin per image, batched).

    Parameters
    ----------
    images : torch.Tensor
        ``(N, C, H, W)``, any dtype and device.
    generator : torch.Generator, optional
        A CPU generator (so that a seed gives the same flips on every device).
    p : float, default 0.5
        In ``[0, 1]``.

    Returns
    -------
    torch.Tensor
        The images, some of them mirrored (same shape, dtype and device).

    Raises
    ------
    TypeError
        ``images`` is not a tensor, ``generator`` not a generator, ``p`` not a number.
    ValueError
        ``images`` is not ``(N, C, H, W)``, or ``p`` is outside ``[0, 1]``.

    Examples
    --------
    >>> x = torch.arange(3).reshape(1, 1, 1, 3)
    >>> random_flip(x, p=1.0).tolist()
    [[[[2, 1, 0]]]]
    """
    _check_batch(images, generator)
    p = check_number(p, "p", minimum=0, maximum=1)
    return flip_where(images, draw_flips(generator, len(images), p).to(images.device))


def random_translate(images, max_shift, generator=None, padding_mode="reflect"):
    """Shift each image by a random whole number of pixels in ``[-max_shift, max_shift]``
    along each axis, keeping its size: the same as padding by ``max_shift`` and taking a
    random crop of the original size (the usual "random crop" augmentation).

    All images move at once (:func:`translate_by`), with no padded copy.

    Parameters
    ----------
    images : torch.Tensor
        ``(N, C, H, W)``, any dtype (uint8 is cheapest) and device.
    max_shift : int
        Pixels, the padding of the equivalent crop; 0 returns ``images`` unchanged.
    generator : torch.Generator, optional
        A CPU generator.
    padding_mode : {"reflect", "zeros"}
        What is seen beyond the border: the mirrored image (like ``F.pad(mode="reflect")``,
        which needs ``max_shift`` smaller than the image) or black.

    Returns
    -------
    torch.Tensor
        The moved images (same shape, dtype and device).

    Raises
    ------
    TypeError
        ``max_shift`` is not an int (``1.0`` included), or ``images`` / ``generator`` of the
        wrong type.
    ValueError
        ``images`` is not ``(N, C, H, W)``, ``max_shift`` is negative or too large to
        reflect, or ``padding_mode`` is unknown.

    Examples
    --------
    >>> x = torch.arange(1, 10).reshape(1, 1, 3, 3)
    >>> g = torch.Generator().manual_seed(0)
    >>> random_translate(x, 1, generator=g, padding_mode="zeros")[0, 0].tolist()  # up 1, right 1
    [[0, 4, 5], [0, 7, 8], [0, 0, 0]]
    >>> random_translate(x, 1, generator=g)[0, 0].tolist()   # reflect: the mirror fills in
    [[5, 4, 5], [8, 7, 8], [5, 4, 5]]
    """
    _check_batch(images, generator)
    max_shift = check_shift(max_shift, "max_shift", images.shape[-2:], padding_mode)
    n = len(images)
    if max_shift == 0 or n == 0:
        return images
    shifts = draw_shifts(generator, n, max_shift).to(images.device)
    return translate_by(images, shifts, padding_mode)
