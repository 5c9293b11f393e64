"""Preparing a dataset for training: a balanced validation split and per-channel statistics.

Both functions take NumPy arrays or PyTorch tensors (and work without PyTorch installed).

Examples
--------
>>> import numpy as np
>>> (x_tr, y_tr), (x_val, y_val) = split_train_val(np.arange(6), np.array([0, 0, 0, 1, 1, 1]), 2)
>>> np.bincount(y_val).tolist()
[1, 1]
"""

import numpy as np

from .._checks import check_int

__all__ = ["channel_stats", "split_train_val"]


def _to_numpy(array):
    """A NumPy view of a NumPy array or a torch tensor (copied to the CPU if needed)."""
    if hasattr(array, "detach"):
        return array.detach().cpu().numpy()
    return np.asarray(array)


def check_nchw(shape, name="images"):
    """Raise ``ValueError`` unless ``shape`` is ``(N, C, H, W)`` with channels first."""
    shape = tuple(shape)
    if len(shape) != 4:
        raise ValueError(f"{name} must have 4 dimensions (N, C, H, W), got shape {shape}")
    if shape[1] not in (1, 3) and shape[-1] in (1, 3):
        raise ValueError(
            f"{name} must be channels-first (N, C, H, W), got shape {shape}, which looks "
            f"channels-last: use images.transpose(0, 3, 1, 2) (numpy) or "
            f"images.permute(0, 3, 1, 2) (torch)"
        )


def split_train_val(images, labels, n_val=5000, seed=0):
    """Hold out ``n_val`` samples for validation, the same number from every class.

    The split is drawn with ``numpy.random.default_rng(seed)``, so it is the same on every
    run and every device. Within each part the original order is kept.

    Parameters
    ----------
    images : numpy.ndarray or torch.Tensor
        ``(N, ...)``.
    labels : numpy.ndarray or torch.Tensor
        ``(N,)`` integer classes.
    n_val : int, default 5000
        Size of the validation part, ``0 <= n_val < N``.
    seed : int, default 0
        Non-negative.

    Returns
    -------
    (train_images, train_labels), (val_images, val_labels)
        Of the same type (and device) as the inputs.

    Raises
    ------
    TypeError
        ``n_val`` or ``seed`` is not an int.
    ValueError
        ``labels`` is not ``(N,)`` for ``N`` images, or ``n_val`` is outside ``[0, N)``.

    Examples
    --------
    >>> labels = np.repeat(np.arange(3), 4)          # 3 classes, 4 samples each
    >>> (x_tr, y_tr), (x_val, y_val) = split_train_val(np.arange(12), labels, n_val=3)
    >>> np.bincount(y_val).tolist(), len(x_tr)       # one of each class held out
    ([1, 1, 1], 9)
    >>> sorted(set(x_tr) | set(x_val)) == list(range(12))
    True
    """
    if not hasattr(images, "__len__") or not hasattr(images, "__getitem__"):
        raise TypeError(f"images must be an array or a tensor, got {images!r}")
    y = _to_numpy(labels)
    n = len(y) if y.ndim == 1 else -1
    if n != len(images):
        raise ValueError(
            f"labels must have shape ({len(images)},) (one per image), got {tuple(y.shape)}"
        )
    if check_int(n_val, "n_val", minimum=0) >= n:
        raise ValueError(f"n_val must be less than the number of samples ({n}), got {n_val}")
    chosen = _balanced_choice(y, n_val, check_int(seed, "seed", minimum=0))
    val_index, train_index = np.flatnonzero(chosen), np.flatnonzero(~chosen)
    return (
        (_take(images, train_index), _take(labels, train_index)),
        (_take(images, val_index), _take(labels, val_index)),
    )


def _balanced_choice(y, n_val, seed):
    """A boolean mask of ``n_val`` samples of ``y`` that takes the same share of every class.

    Every sample is ranked within its class, in a shuffled order, as a fraction of the class;
    the ``n_val`` smallest ranks are chosen.
    """
    n = len(y)
    order = np.random.default_rng(seed).permutation(n)
    rank = np.empty(n)
    shuffled = y[order]
    for c in np.unique(y):
        members = shuffled == c
        rank[members] = np.arange(members.sum()) / members.sum()
    chosen = np.zeros(n, dtype=bool)
    chosen[order[np.argsort(rank, kind="stable")[:n_val]]] = True
    return chosen


def _take(array, index):
    """``array[index]`` for an integer ndarray ``index``, on the array's device."""
    if hasattr(array, "detach"):
        import torch  # only when a tensor is given: this module works without PyTorch

        index = torch.as_tensor(index, device=array.device)
    return array[index]


def channel_stats(images):
    """Mean and standard deviation of every channel, in units of the full intensity range.

    Compute them on the training images only, and normalize every split with them:
    ``x_normalized = (x / 255 - mean) / std``. For uint8 images the statistics are exact
    (a histogram of the 256 values per channel, no float rounding, little memory).

    Parameters
    ----------
    images : numpy.ndarray or torch.Tensor
        ``(N, C, H, W)``. uint8 (0-255, divided by 255) or float (taken as is).

    Returns
    -------
    mean, std : tuple of float
        One value per channel, rounded to 6 decimals.

    Raises
    ------
    ValueError
        ``images`` is not ``(N, C, H, W)`` (or looks channels-last).

    Examples
    --------
    >>> x = np.zeros((2, 3, 4, 4), dtype=np.uint8)
    >>> x[0] = 255                                  # one white image, one black image
    >>> channel_stats(x)
    ((0.5, 0.5, 0.5), (0.5, 0.5, 0.5))
    """
    x = _to_numpy(images)
    check_nchw(x.shape)
    stats = [_mean_var(x[:, c]) for c in range(x.shape[1])]
    means = tuple(round(float(mean), 6) for mean, _ in stats)
    stds = tuple(round(float(np.sqrt(var)), 6) for _, var in stats)
    return means, stds


def _mean_var(channel):
    """Mean and variance of one channel's values (uint8: in units of 255, from a histogram)."""
    if channel.dtype != np.uint8:
        channel = channel.astype(np.float64)
        return channel.mean(), channel.var()
    counts = np.bincount(channel.ravel(), minlength=256).astype(np.float64)
    values = np.arange(256) / 255.0
    mean = counts @ values / counts.sum()
    return mean, counts @ (values - mean) ** 2 / counts.sum()
