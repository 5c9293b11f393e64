"""The CIFAR-10 loaders of a :class:`~cnnviz.train.Config`, timed."""

import time

from .. import data
from .config import as_config
from .device import resolve_channels_last, synchronize

__all__ = ["prepare_cifar10"]


def prepare_cifar10(config=None, device="cpu", root=None):
    """CIFAR-10 loaders for ``config``: training (shuffled, augmented), validation and test.

    :func:`cnnviz.data.cifar10_loaders` with ``config``'s sizes, batch size, augmentation,
    memory format (``"auto"`` resolved for ``device``) and seed; see there for the split
    and the statistics.

    Returns
    -------
    dict
        ``train``, ``val`` (None when ``n_val`` is 0), ``test`` (:class:`cnnviz.data.Loader`),
        ``mean``, ``std``, ``classes``, ``load_seconds`` (loading and preparing the data).
    """
    config = as_config(config)
    t0 = time.perf_counter()
    loaders = data.cifar10_loaders(
        device,
        root,
        n_val=config.n_val,
        n_train=config.n_train,
        n_test=config.n_test,
        batch_size=config.batch_size,
        translate=config.translate,
        flip=config.flip,
        channels_last=resolve_channels_last(device, config.channels_last),
        seed=config.seed,
    )
    synchronize(device)
    loaders["load_seconds"] = time.perf_counter() - t0
    return loaders
