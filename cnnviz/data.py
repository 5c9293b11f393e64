"""Fashion-MNIST and CIFAR-10 as NumPy arrays, from a local folder or a download.

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

For training with PyTorch (imported only by these functions) the module adds:

- :func:`cifar10_tensors`: CIFAR-10 as ``uint8`` ``(N, 3, 32, 32)`` tensors on a device;
- :func:`split_train_val`: a seeded, class-balanced validation split of the training images;
- :func:`channel_stats`: the per-channel mean and standard deviation, computed from the data;
- :func:`random_flip`, :func:`random_translate`: batched augmentation on the device;
- :class:`Loader`: batches that are shuffled, augmented and normalized on the device.

Examples
--------
>>> FASHION_MNIST_CLASSES[9], CIFAR10_CLASSES[0]
('Ankle boot', 'airplane')
"""

import gzip
import hashlib
import io
import os
import pickle
import tarfile
import tempfile
import warnings
from pathlib import Path

import numpy as np

__all__ = [
    "CIFAR10_CLASSES",
    "FASHION_MNIST_CLASSES",
    "Loader",
    "cache_dir",
    "channel_stats",
    "cifar10_tensors",
    "clear_cache",
    "data_dir",
    "load_cifar10",
    "load_fashion_mnist",
    "random_flip",
    "random_translate",
    "split_train_val",
]

FASHION_MNIST_CLASSES = [
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
]

CIFAR10_CLASSES = [
    "airplane",
    "automobile",
    "bird",
    "cat",
    "deer",
    "dog",
    "frog",
    "horse",
    "ship",
    "truck",
]

_SPLITS = ("train", "test")
_FASHION_FILES = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}
_CIFAR_BATCHES = {
    "train": [f"data_batch_{i}" for i in range(1, 6)],
    "test": ["test_batch"],
}
_CACHE_VERSION = "1"  # bump when the cached arrays would change
_memory_cache = {}


# --------------------------------------------------------------------------- folders


def data_dir():
    """The folder named by ``CNNVIZ_DATA_DIR``, or None when the variable is unset or empty.

    Examples
    --------
    >>> from unittest import mock
    >>> with mock.patch.dict("os.environ", {"CNNVIZ_DATA_DIR": "/data"}):
    ...     print(data_dir())
    /data
    >>> with mock.patch.dict("os.environ", {"CNNVIZ_DATA_DIR": ""}):
    ...     print(data_dir())
    None
    """
    value = os.environ.get("CNNVIZ_DATA_DIR", "").strip()
    return Path(value).expanduser() if value else None


def cache_dir():
    """Where decoded arrays are cached: ``CNNVIZ_CACHE_DIR``, default ``~/.cache/cnnviz``.

    Examples
    --------
    >>> from unittest import mock
    >>> with mock.patch.dict("os.environ", {"CNNVIZ_CACHE_DIR": "/tmp/cnnviz-cache"}):
    ...     print(cache_dir())
    /tmp/cnnviz-cache
    >>> with mock.patch.dict("os.environ", {"CNNVIZ_CACHE_DIR": ""}):
    ...     cache_dir().parts[-2:]
    ('.cache', 'cnnviz')
    """
    value = os.environ.get("CNNVIZ_CACHE_DIR", "").strip()
    return Path(value).expanduser() if value else Path.home() / ".cache" / "cnnviz"


def clear_cache():
    """Forget the arrays cached in this process (the ``.npz`` files on disk stay).

    Examples
    --------
    >>> clear_cache()
    """
    _memory_cache.clear()


def _search_roots(root):
    """Folders to look in: ``root`` alone if given, else CNNVIZ_DATA_DIR and the download folder."""
    if root is not None:
        return [Path(root).expanduser()]
    roots = [data_dir(), cache_dir() / "data"]
    return [r for r in roots if r is not None]


def _download_root(root):
    return Path(root).expanduser() if root is not None else data_dir() or cache_dir() / "data"


def _check_split(split):
    if split not in _SPLITS:
        raise ValueError(f'split must be "train" or "test", got {split!r}')


def _fingerprint(path):
    """``path|size|mtime`` of a file, or of every file under a folder (one line each)."""
    path = Path(path).resolve()
    if path.is_file():
        st = path.stat()
        return f"{path}|{st.st_size}|{st.st_mtime_ns}"
    lines = []
    for folder in sorted(p for p in path.iterdir() if p.is_dir()):
        with os.scandir(folder) as entries:
            stats = [e.stat() for e in entries if e.is_file()]
        size = sum(s.st_size for s in stats)
        mtime = max((s.st_mtime_ns for s in stats), default=0)
        lines.append(f"{folder}|{len(stats)}|{size}|{mtime}")
    return "\n".join(lines)


def _not_found(name, split, roots, layout, download_error=None):
    """The error that says what was searched and what to set."""
    looked = ", ".join(str(r) for r in roots) or "(no folder: CNNVIZ_DATA_DIR is not set)"
    message = (
        f"{name} ({split}) not found. Looked in: {looked}.\n"
        f"Set CNNVIZ_DATA_DIR=/path/to/data (or pass root=...) to a folder holding\n"
        f"{layout}\n"
        f"or pass download=True to download it with torchvision (needs internet)."
    )
    if download_error is None:
        return FileNotFoundError(message)
    return RuntimeError(f"{message}\nThe download failed: {download_error!r}")


def _download(dataset, root, split):
    """Download with torchvision into ``root``; returns None or the exception raised."""
    try:
        import torchvision.datasets as tvd
    except ImportError as error:
        return ImportError(f"torchvision is needed to download ({error}); pip install torchvision")
    cls = {"fashion_mnist": tvd.FashionMNIST, "cifar10": tvd.CIFAR10}[dataset]
    try:
        root.mkdir(parents=True, exist_ok=True)
        cls(root=str(root), train=split == "train", download=True)
    except Exception as error:  # any failure is reported to the reader, with guidance
        return error
    return None


def _copy(result):
    images, labels, classes = result
    return images.copy(), labels.copy(), list(classes)


# --------------------------------------------------------------------------- Fashion-MNIST
_FASHION_LAYOUT = (
    "  FashionMNIST/raw/{train,t10k}-images-idx3-ubyte and {train,t10k}-labels-idx1-ubyte\n"
    "  (torchvision's layout; .gz files are read too)"
)


_DOWNLOAD_NAMES = {"Fashion-MNIST": "fashion_mnist", "CIFAR-10": "cifar10"}


def _locate(name, split, root, download, find, layout):
    """Find a dataset's files locally, else download them (unless ``download`` is False)."""
    _check_split(split)
    roots = _search_roots(root)
    found = find(roots, split)
    if found is None and download is not False:
        target = _download_root(root)
        error = _download(_DOWNLOAD_NAMES[name], target, split)
        found = find([target], split)
        if found is None:
            raise _not_found(name, split, roots, layout, error or "no files")
    if found is None:
        raise _not_found(name, split, roots, layout)
    return found


def _open_maybe_gz(path):
    path = Path(path)
    if path.exists():
        return path.read_bytes()
    gz = path.with_name(path.name + ".gz")
    with gzip.open(gz, "rb") as f:
        return f.read()


def _read_idx(path):
    """Parse an idx file (the MNIST format): magic 0x0000 0x08 ndim, sizes, uint8 data."""
    buffer = _open_maybe_gz(path)
    if len(buffer) < 4 or buffer[0] != 0 or buffer[1] != 0 or buffer[2] != 0x08:
        raise ValueError(f"{path} is not an idx file of unsigned bytes (magic {buffer[:4]!r})")
    ndim = buffer[3]
    shape = tuple(int(n) for n in np.frombuffer(buffer, dtype=">u4", count=ndim, offset=4))
    offset = 4 + 4 * ndim
    expected = int(np.prod(shape))
    if len(buffer) - offset != expected:
        raise ValueError(
            f"{path}: header says shape {shape} ({expected} bytes) but holds "
            f"{len(buffer) - offset} bytes of data"
        )
    return np.frombuffer(buffer, dtype=np.uint8, offset=offset).reshape(shape)


def _find_fashion(roots, split):
    image_name, label_name = _FASHION_FILES[split]
    for r in roots:
        for folder in (r / "FashionMNIST" / "raw", r / "raw", r):
            paths = [folder / image_name, folder / label_name]
            if all(p.exists() or p.with_name(p.name + ".gz").exists() for p in paths):
                return paths
    return None


def load_fashion_mnist(split="train", root=None, download=None):
    """Fashion-MNIST: 28 x 28 grayscale pictures of clothes in 10 classes.

    Parameters
    ----------
    split : {"train", "test"}
        60,000 training or 10,000 test images.
    root : str or Path, optional
        Folder holding ``FashionMNIST/raw/`` (torchvision's layout). Default:
        ``CNNVIZ_DATA_DIR``, then ``~/.cache/cnnviz/data``.
    download : bool, optional
        None: use local files if found, else try torchvision's download.
        True: the same (files already present are not downloaded again).
        False: never download; raise FileNotFoundError when nothing is found.

    Returns
    -------
    images : numpy.ndarray
        uint8, ``(N, 28, 28)``, 0 is background.
    labels : numpy.ndarray
        int64, ``(N,)``, in ``0..9``.
    classes : list of str
        :data:`FASHION_MNIST_CLASSES`.

    Examples
    --------
    >>> images, labels, classes = load_fashion_mnist("test")  # doctest: +SKIP
    >>> images.shape, images.dtype, classes[labels[0]]         # doctest: +SKIP
    ((10000, 28, 28), dtype('uint8'), 'Ankle boot')
    """
    paths = _locate("Fashion-MNIST", split, root, download, _find_fashion, _FASHION_LAYOUT)
    existing = [p if p.exists() else p.with_name(p.name + ".gz") for p in paths]
    key = ("fashion_mnist", split, *(_fingerprint(p) for p in existing))
    if key not in _memory_cache:
        images, labels = (_read_idx(p) for p in paths)
        if images.ndim != 3 or labels.ndim != 1 or len(images) != len(labels):
            raise ValueError(
                f"Fashion-MNIST files disagree: images {images.shape}, labels {labels.shape}"
            )
        _memory_cache[key] = (images.copy(), labels.astype(np.int64), FASHION_MNIST_CLASSES)
    return _copy(_memory_cache[key])


# --------------------------------------------------------------------------- CIFAR-10

_CIFAR_LAYOUT = (
    "  cifar-10-batches-py/{data_batch_1..5,test_batch}  (torchvision's layout), or\n"
    "  cifar10-jpeg/{train,test}/<class>/NNNN.jpg, or cifar10-jpeg.tar.gz holding that tree\n"
    f"  (class folders: {', '.join(CIFAR10_CLASSES)})"
)


def _find_cifar(roots, split):
    """(kind, path) of the first CIFAR-10 source found, or None."""
    for r in roots:
        batches = r / "cifar-10-batches-py"
        if all((batches / name).is_file() for name in _CIFAR_BATCHES[split]):
            return "pickle", batches
        tree = r / "cifar10-jpeg" / split
        if tree.is_dir():
            return "jpeg-tree", tree
        tarball = r / "cifar10-jpeg.tar.gz"
        if tarball.is_file():
            return "jpeg-tar", tarball
    return None


def _read_cifar_batches(folder, split):
    images, labels = [], []
    for name in _CIFAR_BATCHES[split]:
        with open(folder / name, "rb") as f:
            batch = pickle.load(f, encoding="latin1")
        images.append(np.asarray(batch["data"], dtype=np.uint8).reshape(-1, 3, 32, 32))
        labels.append(np.asarray(batch["labels"], dtype=np.int64))
    meta = folder / "batches.meta"
    if meta.is_file():
        with open(meta, "rb") as f:
            names = pickle.load(f, encoding="latin1").get("label_names")
        if names is not None and list(names) != CIFAR10_CLASSES:
            raise ValueError(f"{meta} lists classes {names}, expected {CIFAR10_CLASSES}")
    return np.concatenate(images).transpose(0, 2, 3, 1).copy(), np.concatenate(labels)


def _decode_jpegs(items, source):
    """Decode ``(label, name, bytes)`` items, sorted by label then name, to uint8 arrays."""
    from PIL import Image

    items.sort(key=lambda item: (item[0], item[1]))
    images = np.empty((len(items), 32, 32, 3), dtype=np.uint8)
    for i, (_, name, data) in enumerate(items):
        with Image.open(io.BytesIO(data), formats=("JPEG",)) as im:
            pixels = np.asarray(im if im.mode == "RGB" else im.convert("RGB"))
        if pixels.shape != (32, 32, 3):
            raise ValueError(f"{source}: {name} is {pixels.shape}, expected (32, 32, 3)")
        images[i] = pixels
    labels = np.array([item[0] for item in items], dtype=np.int64)
    return images, labels


def _check_classes(found, source):
    unknown = sorted(set(found) - set(CIFAR10_CLASSES))
    missing = [c for c in CIFAR10_CLASSES if c not in found]
    if unknown or missing:
        raise ValueError(
            f"{source}: class folders must be exactly {CIFAR10_CLASSES}; "
            f"missing {missing}, unexpected {unknown}"
        )


def _read_jpeg_tree(folder):
    found = sorted(p.name for p in folder.iterdir() if p.is_dir())
    _check_classes(found, folder)
    items = []
    for label, name in enumerate(CIFAR10_CLASSES):
        for path in (folder / name).iterdir():
            if path.suffix.lower() in (".jpg", ".jpeg") and not path.name.startswith("."):
                items.append((label, path.name, path.read_bytes()))
    return _decode_jpegs(items, folder)


def _read_jpeg_tar(path, split):
    items, found = [], set()
    index = {name: i for i, name in enumerate(CIFAR10_CLASSES)}
    with tarfile.open(path, "r:*") as tar:
        for member in tar:  # streams through the archive once, extracting nothing to disk
            parts = member.name.split("/")
            if len(parts) < 3 or parts[-3] != split or not member.isfile():
                continue
            name = parts[-1]
            if name.startswith(".") or not name.lower().endswith((".jpg", ".jpeg")):
                continue
            found.add(parts[-2])
            if parts[-2] in index:
                items.append((index[parts[-2]], name, tar.extractfile(member).read()))
    _check_classes(found, f"{path} ({split}/)")
    return _decode_jpegs(items, path)


def _load_npz(path, key):
    try:
        with np.load(path, allow_pickle=False) as f:
            if str(f["key"]) == key:
                return f["images"], f["labels"]
    except (OSError, KeyError, ValueError):
        pass  # missing, partial or stale: decode again
    return None


def _save_npz(path, key, images, labels):
    """Write atomically (a temporary file, then a rename); warn instead of failing."""
    temporary = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path.parent, suffix=".tmp", delete=False) as f:
            temporary = f.name
            np.savez(f, images=images, labels=labels, key=np.array(key))
        os.replace(temporary, path)
    except OSError as error:
        warnings.warn(f"could not write the cache {path}: {error}", stacklevel=3)
        if temporary is not None and os.path.exists(temporary):
            os.remove(temporary)


def load_cifar10(split="train", root=None, download=None):
    """CIFAR-10: 32 x 32 colour photographs in 10 classes (airplane ... truck).

    Parameters
    ----------
    split : {"train", "test"}
        50,000 training or 10,000 test images.
    root : str or Path, optional
        Folder holding ``cifar-10-batches-py/``, ``cifar10-jpeg/`` or
        ``cifar10-jpeg.tar.gz`` (checked in that order). Default:
        ``CNNVIZ_DATA_DIR``, then ``~/.cache/cnnviz/data``.
    download : bool, optional
        None: use local files if found, else try torchvision's download.
        True: the same (files already present are not downloaded again).
        False: never download; raise FileNotFoundError when nothing is found.

    Returns
    -------
    images : numpy.ndarray
        uint8, ``(N, 32, 32, 3)`` RGB, channels last (use
        ``images.transpose(0, 3, 1, 2)`` for ``(N, C, H, W)``).
    labels : numpy.ndarray
        int64, ``(N,)``, in ``0..9``.
    classes : list of str
        :data:`CIFAR10_CLASSES`, in torchvision's order.

    Examples
    --------
    >>> images, labels, classes = load_cifar10("test")  # doctest: +SKIP
    >>> images.shape, images.dtype, np.bincount(labels)  # doctest: +SKIP
    ((10000, 32, 32, 3), dtype('uint8'), array([1000, 1000, ..., 1000]))
    """
    found = _locate("CIFAR-10", split, root, download, _find_cifar, _CIFAR_LAYOUT)
    kind, path = found
    fingerprint = _fingerprint(path)
    key = f"cnnviz-cifar10-v{_CACHE_VERSION}|{kind}|{split}|{fingerprint}"
    if key in _memory_cache:
        return _copy(_memory_cache[key])
    if kind == "pickle":
        images, labels = _read_cifar_batches(path, split)
    else:
        digest = hashlib.sha1(key.encode()).hexdigest()[:16]
        npz = cache_dir() / f"cifar10-{split}-{digest}.npz"
        cached = _load_npz(npz, key)
        if cached is not None:
            images, labels = cached
        else:
            reader = _read_jpeg_tree if kind == "jpeg-tree" else _read_jpeg_tar
            images, labels = reader(path) if kind == "jpeg-tree" else reader(path, split)
            _save_npz(npz, key, images, labels)
    _memory_cache[key] = (images, labels, CIFAR10_CLASSES)
    return _copy(_memory_cache[key])


# --------------------------------------------------------------------------- PyTorch: tensors
# Everything below imports torch inside the functions, so that the NumPy loaders above work
# without it. Images are uint8 (N, C, H, W) tensors until the last moment: a batch is cut,
# augmented and normalized on the device, which is what makes the training loop fast.


def _to_numpy(array):
    """A NumPy view of a NumPy array or a torch tensor (copied to the CPU if needed)."""
    if hasattr(array, "detach"):
        return array.detach().cpu().numpy()
    return np.asarray(array)


def cifar10_tensors(split="train", device="cpu", root=None, download=None):
    """CIFAR-10 as tensors on ``device``: uint8 images ``(N, 3, 32, 32)`` and int64 labels.

    The pixels stay ``uint8`` (a quarter of the memory of ``float32``: 150 MB for the
    training set); :class:`Loader` turns each batch into floats on the device.

    Parameters
    ----------
    split : {"train", "test"}
    device : str or torch.device, default "cpu"
    root, download
        As for :func:`load_cifar10` (which does the loading and the caching).

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
    import torch

    images, labels, classes = load_cifar10(split, root=root, download=download)
    x = torch.from_numpy(images).permute(0, 3, 1, 2).contiguous().to(device)
    return x, torch.from_numpy(labels).to(device), classes


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

    Returns
    -------
    (train_images, train_labels), (val_images, val_labels)
        Of the same type (and device) as the inputs.

    Examples
    --------
    >>> labels = np.repeat(np.arange(3), 4)          # 3 classes, 4 samples each
    >>> (x_tr, y_tr), (x_val, y_val) = split_train_val(np.arange(12), labels, n_val=3)
    >>> np.bincount(y_val).tolist(), len(x_tr)       # one of each class held out
    ([1, 1, 1], 9)
    >>> sorted(set(x_tr) | set(x_val)) == list(range(12))
    True
    """
    y = _to_numpy(labels)
    n = len(y)
    if y.ndim != 1 or len(images) != n:
        raise ValueError(f"images ({len(images)}, ...) and labels {y.shape} must be (N, ...), (N,)")
    if not 0 <= n_val < n:
        raise ValueError(f"n_val must be in [0, {n}) for {n} samples, got {n_val}")
    rng = np.random.default_rng(seed)
    order = rng.permutation(n)
    # Rank every sample within its class, in the shuffled order, as a fraction of the class:
    # taking the n_val smallest ranks takes the same share of every class.
    rank = np.empty(n)
    shuffled = y[order]
    for c in np.unique(y):
        members = shuffled == c
        rank[members] = np.arange(members.sum()) / members.sum()
    chosen = np.zeros(n, dtype=bool)
    chosen[order[np.argsort(rank, kind="stable")[:n_val]]] = True
    val_index, train_index = np.flatnonzero(chosen), np.flatnonzero(~chosen)
    if hasattr(images, "detach"):
        import torch

        val_index, train_index = (
            torch.as_tensor(i, device=images.device) for i in (val_index, train_index)
        )
    return (
        (images[train_index], labels[train_index]),
        (images[val_index], labels[val_index]),
    )


def _check_nchw(shape):
    shape = tuple(shape)
    if len(shape) != 4:
        raise ValueError(f"images must be (N, C, H, W), got shape {shape}")
    if shape[1] not in (1, 3) and shape[-1] in (1, 3):
        raise ValueError(
            f"images {shape} look channels-last; pass (N, C, H, W), "
            f"e.g. images.transpose(0, 3, 1, 2) (numpy) or images.permute(0, 3, 1, 2) (torch)"
        )


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
        One value per channel.

    Examples
    --------
    >>> x = np.zeros((2, 3, 4, 4), dtype=np.uint8)
    >>> x[0] = 255                                  # one white image, one black image
    >>> channel_stats(x)
    ((0.5, 0.5, 0.5), (0.5, 0.5, 0.5))
    """
    x = _to_numpy(images)
    _check_nchw(x.shape)
    means, stds = [], []
    for c in range(x.shape[1]):
        channel = x[:, c]
        if channel.dtype == np.uint8:
            counts = np.bincount(channel.ravel(), minlength=256).astype(np.float64)
            values = np.arange(256) / 255.0
            mean = counts @ values / counts.sum()
            var = counts @ (values - mean) ** 2 / counts.sum()
        else:
            channel = channel.astype(np.float64)
            mean, var = channel.mean(), channel.var()
        means.append(round(float(mean), 6))
        stds.append(round(float(np.sqrt(var)), 6))
    return tuple(means), tuple(stds)


# --------------------------------------------------------------------------- augmentation


def _random(generator, *size, high=None):
    """Random numbers from a CPU generator: uniform [0, 1) floats, or integers in [0, high)."""
    import torch

    if high is None:
        return torch.rand(size, generator=generator)
    return torch.randint(high, size, generator=generator)


def random_flip(images, generator=None, p=0.5):
    """Mirror each image left-right with probability ``p`` (one coin per image, batched).

    Parameters
    ----------
    images : torch.Tensor
        ``(N, C, H, W)``, any dtype and device.
    generator : torch.Generator, optional
        A CPU generator (so that a seed gives the same flips on every device).
    p : float, default 0.5

    Returns
    -------
    torch.Tensor
        Same shape, dtype and device.

    Examples
    --------
    >>> import torch
    >>> x = torch.arange(3).reshape(1, 1, 1, 3)
    >>> random_flip(x, p=1.0).tolist()
    [[[[2, 1, 0]]]]
    """
    if images.ndim != 4:
        raise ValueError(f"images must be (N, C, H, W), got shape {tuple(images.shape)}")
    return _flip(images, _flips(generator, len(images), p).to(images.device))


def _flips(generator, n, p=0.5):
    """``n`` random booleans, each True with probability ``p``."""
    return _random(generator, n) < p


def _flip(images, mask):
    """Mirror the images where the boolean ``mask`` (one value per image) is True."""
    import torch

    return torch.where(mask[:, None, None, None], images.flip(-1), images)


def _source_index(size, shift, padding_mode):
    """Where output pixel ``i`` comes from when the image moves by ``-shift``: ``i + shift``,
    reflected at the border (``"reflect"``) or marked invalid (``"zeros"``).
    """
    import torch

    index = torch.arange(size, device=shift.device)[None, :] + shift[:, None]
    valid = (index >= 0) & (index < size)
    if padding_mode == "reflect":
        index = index.abs()  # -1 -> 1, -2 -> 2 (the edge pixel is not repeated)
        index = torch.where(index > size - 1, 2 * (size - 1) - index, index)
    return index.clamp(0, size - 1), valid


def random_translate(images, max_shift, generator=None, padding_mode="reflect"):
    """Shift each image by a random whole number of pixels in ``[-max_shift, max_shift]``
    along each axis, keeping its size: the same as padding by ``max_shift`` and taking a
    random crop of the original size (the usual "random crop" augmentation).

    All images move at once: two :func:`torch.gather` calls with per-image index tables,
    no Python loop over images and no padded copy.

    Parameters
    ----------
    images : torch.Tensor
        ``(N, C, H, W)``, any dtype (uint8 is cheapest) and device.
    max_shift : int
        The padding of the equivalent crop; 0 returns ``images`` unchanged.
    generator : torch.Generator, optional
        A CPU generator.
    padding_mode : {"reflect", "zeros"}
        What is seen beyond the border: the mirrored image (like ``F.pad(mode="reflect")``)
        or black.

    Returns
    -------
    torch.Tensor
        Same shape, dtype and device.

    Examples
    --------
    >>> import torch
    >>> x = torch.arange(1, 10).reshape(1, 1, 3, 3)
    >>> g = torch.Generator().manual_seed(0)
    >>> random_translate(x, 1, generator=g, padding_mode="zeros")[0, 0].tolist()  # up 1, right 1
    [[0, 4, 5], [0, 7, 8], [0, 0, 0]]
    >>> random_translate(x, 1, generator=g)[0, 0].tolist()   # reflect: the mirror fills in
    [[5, 4, 5], [8, 7, 8], [5, 4, 5]]
    """
    if images.ndim != 4:
        raise ValueError(f"images must be (N, C, H, W), got shape {tuple(images.shape)}")
    _check_translate(max_shift, images.shape[-2:], padding_mode)
    n = len(images)
    if max_shift == 0 or n == 0:
        return images
    return _translate(images, _shifts(generator, n, max_shift).to(images.device), padding_mode)


def _check_translate(max_shift, size, padding_mode):
    if padding_mode not in ("reflect", "zeros"):
        raise ValueError(f'padding_mode must be "reflect" or "zeros", got {padding_mode!r}')
    if int(max_shift) != max_shift or max_shift < 0:
        raise ValueError(f"max_shift must be a whole number >= 0, got {max_shift}")
    h, w = size
    if padding_mode == "reflect" and max_shift >= min(h, w):
        raise ValueError(
            f"max_shift {max_shift} must be smaller than the image {h}x{w} to reflect at the border"
        )


def _shifts(generator, n, max_shift):
    """Random ``(2, n)`` integer shifts in ``[-max_shift, max_shift]``: rows, then columns."""
    return _random(generator, 2, n, high=2 * max_shift + 1) - max_shift


def _translate(images, shifts, padding_mode):
    """Move image ``i`` by ``shifts[:, i]`` pixels (rows, columns), keeping its size."""
    n, c, h, w = images.shape
    rows, row_ok = _source_index(h, shifts[0], padding_mode)
    cols, col_ok = _source_index(w, shifts[1], padding_mode)
    out = images.gather(2, rows[:, None, :, None].expand(n, c, h, w))
    out = out.gather(3, cols[:, None, None, :].expand(n, c, h, w))
    if padding_mode == "zeros":
        inside = row_ok[:, None, :, None] & col_ok[:, None, None, :]
        out = out * inside.to(out.dtype)
    return out


# --------------------------------------------------------------------------- batches


def _check_uint8_nchw(images):
    import torch

    _check_nchw(images.shape)
    if images.dtype != torch.uint8:
        raise TypeError(f"images must be uint8, got {images.dtype}")


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
        int ``(N,)``.
    batch_size : int, default 512
    shuffle : bool, default False
        A new order every epoch, from a CPU :class:`torch.Generator` seeded with ``seed``.
    translate : int, default 0
        Random translation by up to this many pixels (:func:`random_translate`).
    flip : bool, default False
        Random left-right flips (:func:`random_flip`).
    mean, std : sequence of float, optional
        Per-channel statistics in ``[0, 1]`` units (:func:`channel_stats` of the training
        images). Without them, the pixels are only divided by 255.
    padding_mode : {"reflect", "zeros"}
    drop_last : bool, default False
        Skip the last, smaller batch (useful in training: every step sees a full batch).
    seed : int, default 0
    device : str or torch.device, optional
        Move the data there once (default: leave it where it is).
    dtype : torch.dtype, default torch.float32
    channels_last : bool, default False
        Give batches in the ``channels_last`` memory format (same shape, NHWC in memory).

    Examples
    --------
    >>> import torch
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
    ):
        import torch

        images, labels = torch.as_tensor(images), torch.as_tensor(labels)
        _check_uint8_nchw(images)
        if labels.shape != images.shape[:1]:
            raise ValueError(f"labels {tuple(labels.shape)} must be ({len(images)},)")
        if labels.dtype.is_floating_point and not torch.equal(labels, labels.round()):
            raise ValueError(f"labels must be whole numbers, got {labels.dtype} with fractions")
        if batch_size < 1:
            raise ValueError(f"batch_size must be at least 1, got {batch_size}")
        _check_translate(translate, images.shape[-2:], padding_mode)
        if device is not None:
            images, labels = images.to(device), labels.to(device)
        channels = images.shape[1]
        mean = (0.0,) * channels if mean is None else tuple(float(m) for m in mean)
        std = (1.0,) * channels if std is None else tuple(float(s) for s in std)
        if len(mean) != channels or len(std) != channels or min(std) <= 0:
            raise ValueError(f"mean {mean} and std {std} need {channels} values each, std > 0")
        self.images, self.labels = images, labels.long()
        self.batch_size, self.shuffle, self.drop_last = int(batch_size), shuffle, drop_last
        self.translate, self.flip, self.padding_mode = translate, flip, padding_mode
        self.mean, self.std, self.seed = mean, std, seed
        self.dtype = torch.float32 if dtype is None else dtype
        self.channels_last = channels_last
        self.generator = torch.Generator().manual_seed(seed)
        # x / 255 - mean) / std == x * scale - shift, as (1, C, 1, 1) tensors on the device.
        std_t = torch.tensor(std, dtype=torch.float64)
        scale = 1.0 / (255.0 * std_t)
        shift = torch.tensor(mean, dtype=torch.float64) / std_t
        self._scale = scale.view(1, -1, 1, 1).to(images.device, self.dtype)
        self._shift = shift.view(1, -1, 1, 1).to(images.device, self.dtype)

    @property
    def device(self):
        """Where the data (and the batches) live."""
        return self.images.device

    def __len__(self):
        n = len(self.labels)
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)

    def reset(self, seed=None):
        """Start the random sequence (order and augmentation) again from ``seed``."""
        self.seed = self.seed if seed is None else seed
        self.generator.manual_seed(self.seed)

    def normalize(self, images):
        """uint8 ``(N, C, H, W)`` on the device -> normalized floats (no augmentation)."""
        import torch

        _check_uint8_nchw(images)
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
        import torch

        n = len(self.labels)
        if self.shuffle:
            order = torch.randperm(n, generator=self.generator)
        else:
            order = torch.arange(n)
        shifts, flips = [], []
        for i in range(len(self)):
            size = min(self.batch_size, n - i * self.batch_size)
            if self.translate:
                shifts.append(_shifts(self.generator, size, self.translate))
            if self.flip:
                flips.append(_flips(self.generator, size))
        shifts = torch.cat(shifts, 1) if shifts else None
        flips = torch.cat(flips) if flips else None
        return [None if t is None else t.to(self.device) for t in (order, shifts, flips)]

    def __iter__(self):
        order, shifts, flips = self._epoch_draws()
        for i in range(len(self)):
            batch = slice(i * self.batch_size, (i + 1) * self.batch_size)
            index = order[batch]
            x = self.images[index]
            if shifts is not None:
                x = _translate(x, shifts[:, batch], self.padding_mode)
            if flips is not None:
                x = _flip(x, flips[batch])
            yield self.normalize(x), self.labels[index]
