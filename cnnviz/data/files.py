"""Fashion-MNIST and CIFAR-10 as NumPy arrays, read from dataset files (no PyTorch here).

Both loaders return ``(images, labels, classes)``: ``uint8`` images with values
0-255 (Fashion-MNIST ``(N, 28, 28)``, CIFAR-10 ``(N, 32, 32, 3)``, channels last),
``int64`` labels and the list of class names. Where the files are looked for, the
layouts understood and the caches are described in :mod:`cnnviz.data`.

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

from .._checks import check_bool, check_choice

__all__ = [
    "CIFAR10_CLASSES",
    "FASHION_MNIST_CLASSES",
    "cache_dir",
    "clear_cache",
    "data_dir",
    "load_cifar10",
    "load_fashion_mnist",
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
    return _env_folder("CNNVIZ_DATA_DIR")


def cache_dir():
    """Where decoded arrays are cached: ``CNNVIZ_CACHE_DIR``, default ``~/.cache/cnnviz``.

    Examples
    --------
    >>> from unittest import mock
    >>> with mock.patch.dict("os.environ", {"CNNVIZ_CACHE_DIR": ""}):   # unset: the default
    ...     cache_dir() == Path.home() / ".cache" / "cnnviz"
    True
    """
    return _env_folder("CNNVIZ_CACHE_DIR") or Path.home() / ".cache" / "cnnviz"


def _env_folder(variable):
    """The folder named by the environment ``variable``, or None when it is unset or empty."""
    value = os.environ.get(variable, "").strip()
    return Path(value).expanduser() if value else None


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


def _check_source(split, root, download):
    """The arguments every loader takes: ``split``, ``root`` (a folder) and ``download``."""
    check_choice(split, "split", _SPLITS)
    if root is not None and not isinstance(root, (str, os.PathLike)):
        raise TypeError(f"root must be a folder path (str or Path), got {root!r}")
    if download is not None:
        check_bool(download, "download")


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
    _check_source(split, root, download)
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
    Raises
    ------
    FileNotFoundError
        Nothing found and ``download=False``.
    RuntimeError
        Nothing found and the download failed (the message says what to set).
    ValueError
        ``split`` is not "train" or "test", or the files are malformed.
    TypeError
        ``root`` is not a path, or ``download`` not a bool or None.

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
    """CIFAR-10: 32 x 32 colour photographs in 10 classes (airplane ... truck), read from
    the pickle batches, a folder of JPEGs or a tarball of that folder.

    Parameters
    ----------
    split : {"train", "test"}
        50,000 training or 10,000 test images.
    root : str or Path, optional
        Folder holding ``cifar-10-batches-py/``, ``cifar10-jpeg/`` or ``cifar10-jpeg.tar.gz``
        (checked in that order); default as for :func:`load_fashion_mnist`.
    download : bool, optional
        As for :func:`load_fashion_mnist`.

    Returns
    -------
    images : numpy.ndarray
        uint8, ``(N, 32, 32, 3)`` RGB, channels last (use
        ``images.transpose(0, 3, 1, 2)`` for ``(N, C, H, W)``).
    labels : numpy.ndarray
        int64, ``(N,)``, in ``0..9``.
    classes : list of str
        :data:`CIFAR10_CLASSES`, in torchvision's order.

    Raises
    ------
    FileNotFoundError, RuntimeError, ValueError, TypeError
        As for :func:`load_fashion_mnist`.

    Examples
    --------
    >>> images, labels, classes = load_cifar10("test")  # doctest: +SKIP
    >>> images.shape, images.dtype, np.bincount(labels)  # doctest: +SKIP
    ((10000, 32, 32, 3), dtype('uint8'), array([1000, 1000, ..., 1000]))
    """
    kind, path = _locate("CIFAR-10", split, root, download, _find_cifar, _CIFAR_LAYOUT)
    key = f"cnnviz-cifar10-v{_CACHE_VERSION}|{kind}|{split}|{_fingerprint(path)}"
    if key not in _memory_cache:
        images, labels = _read_cifar(kind, path, split, key)
        _memory_cache[key] = (images, labels, CIFAR10_CLASSES)
    return _copy(_memory_cache[key])


def _read_cifar(kind, path, split, key):
    """Images and labels of one CIFAR-10 source; JPEGs go through the ``.npz`` disk cache."""
    if kind == "pickle":
        return _read_cifar_batches(path, split)
    digest = hashlib.sha1(key.encode()).hexdigest()[:16]
    npz = cache_dir() / f"cifar10-{split}-{digest}.npz"
    cached = _load_npz(npz, key)
    if cached is not None:
        return cached
    if kind == "jpeg-tree":
        images, labels = _read_jpeg_tree(path)
    else:
        images, labels = _read_jpeg_tar(path, split)
    _save_npz(npz, key, images, labels)
    return images, labels
