"""Batches of a dataset held as one uint8 tensor on the device (the device pipeline).

Examples
--------
>>> x, y = torch.zeros(10, 1, 2, 2, dtype=torch.uint8), torch.arange(10)
>>> len(Loader(x, y, batch_size=4)), len(Loader(x, y, batch_size=4, drop_last=True))
(3, 2)
"""

import copy

import torch

from .._checks import check_bool, check_int, check_number
from .augment import check_shift, draw_flips, draw_shifts, flip_where, translate_by
from .prepare import check_nchw

__all__ = ["Loader"]


def check_device(value, name="device"):
    """Return ``value`` (a name such as "cuda:0", an index or a device) as a torch.device.

    Raises ``TypeError`` for other types and ``ValueError`` for an unknown device name.
    """
    if not isinstance(value, (str, int, torch.device)) or isinstance(value, bool):
        raise TypeError(f"{name} must be a device name or a torch.device, got {value!r}")
    try:
        return torch.device(value)
    except RuntimeError:
        raise ValueError(
            f"{name} must name a device such as 'cpu' or 'cuda', got {value!r}"
        ) from None


def _as_tensor(value, name):
    try:
        return torch.as_tensor(value)
    except (TypeError, RuntimeError, ValueError):
        raise TypeError(f"{name} must be an array or a tensor, got {value!r}") from None


def _check_uint8(images):
    check_nchw(images.shape)
    if images.dtype != torch.uint8:
        raise TypeError(f"images must be uint8, got {images.dtype}")


def _check_data(images, labels):
    """``images`` and ``labels`` as tensors: uint8 ``(N, C, H, W)`` and whole numbers ``(N,)``."""
    images, labels = _as_tensor(images, "images"), _as_tensor(labels, "labels")
    _check_uint8(images)
    if labels.shape != images.shape[:1]:
        raise ValueError(
            f"labels must have shape ({len(images)},) (one per image), got {tuple(labels.shape)}"
        )
    if labels.dtype.is_floating_point and not torch.equal(labels, labels.round()):
        raise ValueError(f"labels must be whole numbers, got {labels.dtype} with fractions")
    return images, labels


def _check_stats(values, name, channels, default, positive=False):
    """Per-channel ``mean`` or ``std``: a tuple of ``channels`` floats (``default`` if None)."""
    if values is None:
        return (default,) * channels
    try:
        items = [v.item() if isinstance(v, torch.Tensor) else v for v in values]
    except TypeError:
        raise TypeError(
            f"{name} must be a sequence of {channels} numbers, got {values!r}"
        ) from None
    items = tuple(check_number(v, f"{name}[{i}]", positive=positive) for i, v in enumerate(items))
    if len(items) != channels:
        raise ValueError(f"{name} must have {channels} values (one per channel), got {items}")
    return items


def _check_shard(rank, world_size, batch_size):
    """``(rank, world_size)``: ``0 <= rank < world_size <= batch_size``."""
    world_size = check_int(world_size, "world_size", minimum=1)
    rank = check_int(rank, "rank", minimum=0)
    if rank >= world_size:
        raise ValueError(f"rank must be below world_size ({world_size}), got {rank}")
    if world_size > batch_size:
        raise ValueError(
            f"world_size must be at most batch_size ({batch_size}): every process needs a "
            f"share of every batch, got {world_size}"
        )
    return rank, world_size


def _check_dtype(dtype):
    if dtype is None:
        return torch.float32
    if not isinstance(dtype, torch.dtype) or not dtype.is_floating_point:
        raise TypeError(f"dtype must be a floating-point torch.dtype, got {dtype!r}")
    return dtype


class Loader:
    """Batches of a dataset held as one uint8 tensor on the device: shuffled, augmented and
    normalized there, in whole batches.

    This replaces a ``torch.utils.data.DataLoader`` over a list of per-image tensors, which
    spends most of its time in Python: here an epoch is a few dozen tensor operations. The
    epoch's random numbers (order, shifts, flips) come from a seeded CPU generator, all at
    once when iteration starts, and reach the device in one copy.

    Parameters
    ----------
    images : torch.Tensor or numpy.ndarray
        uint8 ``(N, C, H, W)``.
    labels : torch.Tensor or numpy.ndarray
        Whole numbers ``(N,)`` (kept as int64).
    batch_size : int, default 512
    shuffle : bool, default False
        A new order every epoch, from a CPU :class:`torch.Generator` seeded with ``seed``.
    translate : int, default 0
        Random translation by up to this many pixels
        (:func:`~cnnviz.data.random_translate`).
    flip : bool, default False
        Random left-right flips (:func:`~cnnviz.data.random_flip`).
    mean, std : sequence of float, optional
        Per-channel statistics in ``[0, 1]`` units (:func:`~cnnviz.data.channel_stats` of
        the training images). Without them, the pixels are only divided by 255.
    padding_mode : {"reflect", "zeros"}
    drop_last : bool, default False
        Skip the last, smaller batch (useful in training: every step sees a full batch).
    seed : int, default 0
    device : str or torch.device, optional
        Move the data there once (default: leave it where it is).
    dtype : torch.dtype, default torch.float32
        Of the normalized batches.
    channels_last : bool, default False
        Give batches in the ``channels_last`` memory format (same shape, NHWC in memory).
    rank, world_size : int, default 0 and 1
        Data parallelism (:mod:`cnnviz.train.distributed`): with ``world_size`` processes,
        ``batch_size`` is the *global* batch and this process (number ``rank``) yields its
        share of every batch, the images ``rank, rank + world_size, ...`` of it. Every
        process holds the whole dataset and the same seed, so all of them draw the same
        order and the same augmentation of every global batch, which is exactly the batch a
        single process with ``world_size=1`` would give: the shards are disjoint, cover the
        epoch (its full batches with ``drop_last``), and change every epoch. Every process
        gets the same number of batches (``len``), as the collective operations of
        training need; with ``batch_size`` a multiple of ``world_size`` (and ``drop_last``)
        all shares are equal. See also :meth:`shard`.

    Raises
    ------
    TypeError
        Images not uint8; an int argument given as a float (``translate=2.0``), a bool
        argument given as anything else; ``dtype`` not a floating-point dtype.
    ValueError
        Images not ``(N, C, H, W)``, labels not ``(N,)`` whole numbers, ``mean`` / ``std``
        not one positive value per channel, ``translate`` too large to reflect, ``rank``
        not below ``world_size``, or ``batch_size`` smaller than ``world_size``.

    Examples
    --------
    >>> x = torch.full((10, 3, 4, 4), 255, dtype=torch.uint8)
    >>> loader = Loader(x, torch.arange(10), batch_size=4, mean=(0.5,) * 3, std=(0.25,) * 3)
    >>> len(loader), [tuple(xb.shape) for xb, yb in loader]
    (3, [(4, 3, 4, 4), (4, 3, 4, 4), (2, 3, 4, 4)])
    >>> xb, yb = next(iter(loader))
    >>> xb.dtype, xb.unique().tolist(), yb.tolist()    # (1 - 0.5) / 0.25 = 2
    (torch.float32, [2.0], [0, 1, 2, 3])
    """

    def __init__(
        self,
        images,
        labels,
        batch_size=512,
        *,
        shuffle=False,
        translate=0,
        flip=False,
        mean=None,
        std=None,
        padding_mode="reflect",
        drop_last=False,
        seed=0,
        device=None,
        dtype=None,
        channels_last=False,
        rank=0,
        world_size=1,
    ):
        images, labels = _check_data(images, labels)
        self.batch_size = check_int(batch_size, "batch_size", minimum=1)
        self.shuffle, self.flip = check_bool(shuffle, "shuffle"), check_bool(flip, "flip")
        self.drop_last = check_bool(drop_last, "drop_last")
        self.channels_last = check_bool(channels_last, "channels_last")
        self.translate = check_shift(translate, "translate", images.shape[-2:], padding_mode)
        self.padding_mode = padding_mode
        self.seed = check_int(seed, "seed", minimum=0)
        self.dtype = _check_dtype(dtype)
        channels = images.shape[1]
        self.mean = _check_stats(mean, "mean", channels, 0.0)
        self.std = _check_stats(std, "std", channels, 1.0, positive=True)
        if device is not None:
            device = check_device(device)
            images, labels = images.to(device), labels.to(device)
        self.images, self.labels = images, labels.long()
        self.rank, self.world_size = _check_shard(rank, world_size, self.batch_size)
        self.generator = torch.Generator().manual_seed(self.seed)
        self._scale, self._shift = self._affine()

    def shard(self, rank, world_size):
        """This loader's data and settings, as process ``rank`` of ``world_size`` sees them.

        The new loader shares the tensors (nothing is copied) and starts from a copy of the
        generator's current state, so every process that shards the same loader draws the
        same epochs. ``batch_size`` stays the global batch (see ``rank`` and ``world_size``
        above).

        Raises ``TypeError`` or ``ValueError`` as the constructor does for ``rank`` and
        ``world_size``.

        Examples
        --------
        >>> x = torch.zeros(8, 1, 2, 2, dtype=torch.uint8)
        >>> loader = Loader(x, torch.arange(8), batch_size=4)
        >>> [yb.tolist() for _, yb in loader.shard(1, 2)]
        [[1, 3], [5, 7]]
        """
        rank, world_size = _check_shard(rank, world_size, self.batch_size)
        new = copy.copy(self)
        new.rank, new.world_size = rank, world_size
        new.generator = torch.Generator()
        new.generator.set_state(self.generator.get_state())
        return new

    def _affine(self):
        """``(x / 255 - mean) / std == x * scale - shift``, as ``(1, C, 1, 1)`` tensors."""
        std = torch.tensor(self.std, dtype=torch.float64)
        scale = 1.0 / (255.0 * std)
        shift = torch.tensor(self.mean, dtype=torch.float64) / std
        return (t.view(1, -1, 1, 1).to(self.device, self.dtype) for t in (scale, shift))

    @property
    def device(self):
        """Where the data (and the batches) live."""
        return self.images.device

    def __len__(self):
        n = len(self.labels)
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)

    def reset(self, seed=None):
        """Start the random sequence (order and augmentation) again from ``seed``
        (default: the last seed given)."""
        self.seed = self.seed if seed is None else check_int(seed, "seed", minimum=0)
        self.generator.manual_seed(self.seed)

    def normalize(self, images):
        """uint8 ``(N, C, H, W)`` on the device -> normalized floats (no augmentation).

        Raises ``TypeError`` for images that are not uint8 (they would be scaled twice).
        """
        _check_uint8(images)
        x = images.to(self.dtype)  # a new tensor (images are uint8), so in place is safe
        x = x.mul_(self._scale).sub_(self._shift)
        if self.channels_last:
            x = x.contiguous(memory_format=torch.channels_last)
        return x

    def _epoch_draws(self):
        """The epoch's random numbers, drawn on the CPU and copied to the device at once.

        A blocking copy per batch would make the CPU wait for the GPU at every step. The
        draws come in the order a batch-by-batch loop would make them (shuffle; then, per
        batch, shifts and flips), so a seed gives the same epoch either way.
        """
        n = len(self.labels)
        if self.shuffle:
            order = torch.randperm(n, generator=self.generator)
        else:
            order = torch.arange(n)
        shifts, flips = [], []
        for i in range(len(self)):
            size = min(self.batch_size, n - i * self.batch_size)
            if self.translate:
                shifts.append(draw_shifts(self.generator, size, self.translate))
            if self.flip:
                flips.append(draw_flips(self.generator, size))
        shifts = torch.cat(shifts, 1) if shifts else None
        flips = torch.cat(flips) if flips else None
        return [None if t is None else t.to(self.device) for t in (order, shifts, flips)]

    def __iter__(self):
        order, shifts, flips = self._epoch_draws()
        for i in range(len(self)):
            batch = slice(i * self.batch_size, (i + 1) * self.batch_size)
            index = order[batch]
            shift = None if shifts is None else shifts[:, batch]
            flip = None if flips is None else flips[batch]
            if self.world_size > 1:  # this process's share of the global batch
                share = slice(self.rank, None, self.world_size)
                index = index[share]
                shift = None if shift is None else shift[:, share]
                flip = None if flip is None else flip[share]
            x = self.images[index]
            if shift is not None:
                x = translate_by(x, shift, self.padding_mode)
            if flip is not None:
                x = flip_where(x, flip)
            yield self.normalize(x), self.labels[index]
