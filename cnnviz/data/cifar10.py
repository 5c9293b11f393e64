"""CIFAR-10 on a device: uint8 tensors, and the three loaders of a training run.

Examples
--------
>>> loaders = cifar10_loaders(n_train=1000, n_val=500, n_test=500)  # doctest: +SKIP
>>> [len(loaders[k].labels) for k in ("train", "val", "test")]      # doctest: +SKIP
[1000, 500, 500]
"""

import torch

from .._checks import check_int
from .files import load_cifar10
from .loader import Loader, check_device
from .prepare import channel_stats, split_train_val

__all__ = ["cifar10_loaders", "cifar10_tensors"]


def cifar10_tensors(split="train", device="cpu", root=None, download=None):
    """CIFAR-10 as tensors on ``device``: uint8 images ``(N, 3, 32, 32)`` and int64 labels.

    The pixels stay ``uint8`` (a quarter of the memory of ``float32``: 150 MB for the
    training set); :class:`~cnnviz.data.Loader` turns each batch into floats on the device.

    Parameters
    ----------
    split : {"train", "test"}
    device : str or torch.device, default "cpu"
    root, download
        As for :func:`~cnnviz.data.load_cifar10` (which does the loading and the caching,
        and raises the errors).

    Returns
    -------
    images : torch.Tensor
        uint8, ``(N, 3, 32, 32)``, contiguous.
    labels : torch.Tensor
        int64, ``(N,)``.
    classes : list of str

    Examples
    --------
    >>> images, labels, classes = cifar10_tensors("test")  # doctest: +SKIP
    >>> images.shape, images.dtype, labels[:3].tolist()     # doctest: +SKIP
    (torch.Size([10000, 3, 32, 32]), torch.uint8, [0, 0, 0])
    """
    device = check_device(device)
    images, labels, classes = load_cifar10(split, root=root, download=download)
    x = torch.from_numpy(images).permute(0, 3, 1, 2).contiguous().to(device)
    return x, torch.from_numpy(labels).to(device), classes


def cifar10_loaders(
    device="cpu",
    root=None,
    *,
    n_val=5000,
    n_train=None,
    n_test=None,
    batch_size=512,
    translate=2,
    flip=True,
    channels_last=False,
    seed=0,
):
    """CIFAR-10 loaders: training (shuffled, augmented, ``drop_last``), validation and test.

    The validation images are held out from the 50,000 training images with
    :func:`~cnnviz.data.split_train_val` (seed ``seed``); the mean and standard deviation
    are computed on the remaining training images (:func:`~cnnviz.data.channel_stats`) and
    used for all three. ``n_train`` / ``n_test`` take class-balanced subsets (seeds
    ``seed + 1`` and 0). Evaluation batches hold ``max(batch_size, 1000)`` images.

    Parameters
    ----------
    device : str or torch.device, default "cpu"
    root : str or Path, optional
        As for :func:`~cnnviz.data.load_cifar10`.
    n_val : int, default 5000
        0: no validation loader.
    n_train, n_test : int, optional
        Subset sizes (None: all images left).
    batch_size, translate, flip, channels_last, seed
        As for :class:`~cnnviz.data.Loader`.

    Returns
    -------
    dict
        ``train``, ``val`` (None when ``n_val`` is 0), ``test`` (:class:`~cnnviz.data.Loader`),
        ``mean``, ``std`` (tuples of 3 floats), ``classes``.

    Raises
    ------
    TypeError
        A size given as a float (``n_train=1e4``) or another argument of the wrong type.
    ValueError
        A size out of range, or the errors of :func:`~cnnviz.data.load_cifar10`.
    """
    check_int(n_val, "n_val", minimum=0)
    check_device(device)
    for name, size in (("n_train", n_train), ("n_test", n_test)):
        if size is not None:
            check_int(size, name, minimum=1)
    x, y, classes = cifar10_tensors("train", device, root=root)
    x_test, y_test, _ = cifar10_tensors("test", device, root=root)
    if n_val:
        (x, y), (x_val, y_val) = split_train_val(x, y, n_val, seed=seed)
    if n_train is not None and n_train < len(y):
        _, (x, y) = split_train_val(x, y, n_train, seed=seed + 1)
    if n_test is not None and n_test < len(y_test):
        _, (x_test, y_test) = split_train_val(x_test, y_test, n_test, seed=0)
    mean, std = channel_stats(x)
    common = {"mean": mean, "std": std, "channels_last": channels_last}
    train = Loader(
        x, y, batch_size, shuffle=True, translate=translate, flip=flip, drop_last=True,
        seed=seed, **common,
    )  # fmt: skip
    eval_batch = max(batch_size, 1000)
    val = Loader(x_val, y_val, eval_batch, **common) if n_val else None
    test = Loader(x_test, y_test, eval_batch, **common)
    return {"train": train, "val": val, "test": test, "mean": mean, "std": std, "classes": classes}
