"""Fashion-MNIST and CIFAR-10: dataset files read with NumPy, and a device pipeline for PyTorch.

Modules, each with one job:

- :mod:`cnnviz.data.files`: the dataset files, read into NumPy arrays (no PyTorch);
- :mod:`cnnviz.data.prepare`: a balanced validation split and per-channel statistics;
- :mod:`cnnviz.data.augment`: random flips and translations of whole batches on the device;
- :mod:`cnnviz.data.loader`: :class:`Loader`, batches shuffled, augmented and normalized on
  the device;
- :mod:`cnnviz.data.cifar10`: CIFAR-10 as tensors on a device, and a run's three loaders.

Every name is available from ``cnnviz.data`` itself; PyTorch is imported only when one of
the last three modules' names is first used, so the NumPy loaders work without it.

Both loaders return ``(images, labels, classes)``: ``uint8`` images with values
0-255 (Fashion-MNIST ``(N, 28, 28)``, CIFAR-10 ``(N, 32, 32, 3)``, channels last),
``int64`` labels and the list of class names.

Where the data comes from, in this order:

1. ``root`` if given, else the folder named by the environment variable
   ``CNNVIZ_DATA_DIR``, else ``~/.cache/cnnviz/data`` (where downloads go). The
   layouts understood there::

       FashionMNIST/raw/train-images-idx3-ubyte   (torchvision's layout; ``.gz`` also read)
       FashionMNIST/raw/train-labels-idx1-ubyte
       FashionMNIST/raw/t10k-images-idx3-ubyte
       FashionMNIST/raw/t10k-labels-idx1-ubyte
       cifar-10-batches-py/data_batch_1 ... data_batch_5, test_batch   (torchvision's layout)
       cifar10-jpeg/{train,test}/<class>/NNNN.jpg                     (a folder of JPEGs)
       cifar10-jpeg.tar.gz                                            (the same tree, packed)

   The tarball is read in place with :mod:`tarfile` and PIL; nothing is extracted.
2. Otherwise, when ``download`` is True or None, torchvision downloads the
   dataset (torchvision is imported only then, so :mod:`cnnviz` works without it).
3. Otherwise a :class:`FileNotFoundError` (``download=False``) or a
   :class:`RuntimeError` (download failed) says what to set.

The idx files and pickle batches keep the order of the original files (the
order torchvision uses). A JPEG tree has no such order, so its samples are
sorted by class index, then by file name. Note that CIFAR-10 from JPEGs differs
slightly from the original pixels (JPEG is lossy).

Loading is cached: in the process (so a second call returns at once) and, for
the JPEG sources, on disk as an ``.npz`` file under ``CNNVIZ_CACHE_DIR``
(default ``~/.cache/cnnviz``), keyed by the source's path, size and
modification time, so that a changed source is decoded again. Decoding the
60,000 JPEGs takes 10-30 s (one core); reading the ``.npz`` back well under a second.

Examples
--------
>>> FASHION_MNIST_CLASSES[9], CIFAR10_CLASSES[0]
('Ankle boot', 'airplane')
"""

import importlib

from .files import (
    CIFAR10_CLASSES,
    FASHION_MNIST_CLASSES,
    cache_dir,
    clear_cache,
    data_dir,
    load_cifar10,
    load_fashion_mnist,
)
from .prepare import channel_stats, split_train_val

# Names whose modules import PyTorch: loaded on first use (PEP 562).
_TORCH_NAMES = {
    "Loader": "loader",
    "cifar10_loaders": "cifar10",
    "cifar10_tensors": "cifar10",
    "random_flip": "augment",
    "random_translate": "augment",
}

__all__ = [
    "CIFAR10_CLASSES",
    "FASHION_MNIST_CLASSES",
    "Loader",
    "cache_dir",
    "channel_stats",
    "cifar10_loaders",
    "cifar10_tensors",
    "clear_cache",
    "data_dir",
    "load_cifar10",
    "load_fashion_mnist",
    "random_flip",
    "random_translate",
    "split_train_val",
]


def __getattr__(name):
    if name not in _TORCH_NAMES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{_TORCH_NAMES[name]}", __name__), name)
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(_TORCH_NAMES))
