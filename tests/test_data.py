"""Tests of cnnviz.data: parsers on tiny synthetic files, the caches, errors, and the real data.

The synthetic tests need no data and no network. The real-data tests use CNNVIZ_DATA_DIR (the
``data_dir`` fixture of conftest.py skips them when it is absent); CIFAR-10 is decoded from its
JPEGs once per session, into a temporary cache folder.
"""

import gzip
import os
import pickle
import tarfile
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from cnnviz import data


@pytest.fixture(autouse=True)
def _isolated_cache(tmp_path, monkeypatch):
    """Never write to ~/.cache, and start every test with an empty in-process cache."""
    monkeypatch.setenv("CNNVIZ_CACHE_DIR", str(tmp_path / "cache"))
    data.clear_cache()
    yield
    data.clear_cache()


# --------------------------------------------------------------------------- synthetic files


def write_idx(path, array, gz=False):
    """Write ``array`` (uint8) in the idx format of MNIST: magic, sizes, bytes."""
    array = np.asarray(array, dtype=np.uint8)
    header = bytes([0, 0, 0x08, array.ndim]) + np.array(array.shape, dtype=">u4").tobytes()
    payload = header + array.tobytes()
    path.parent.mkdir(parents=True, exist_ok=True)
    if gz:
        with gzip.open(path.with_name(path.name + ".gz"), "wb") as f:
            f.write(payload)
    else:
        path.write_bytes(payload)


def make_fashion(root):
    """Six training and four test images; the test files are gzipped."""
    rng = np.random.default_rng(0)
    raw = Path(root) / "FashionMNIST" / "raw"
    arrays = {}
    for split, prefix, n, gz in [("train", "train", 6, False), ("test", "t10k", 4, True)]:
        images = rng.integers(0, 256, (n, 28, 28), dtype=np.uint8)
        labels = rng.integers(0, 10, n, dtype=np.uint8)
        write_idx(raw / f"{prefix}-images-idx3-ubyte", images, gz)
        write_idx(raw / f"{prefix}-labels-idx1-ubyte", labels, gz)
        arrays[split] = images, labels
    return arrays


def colour(label, index, split):
    """A distinct solid colour per image, far apart so that JPEG cannot confuse them."""
    return (20 * label + 10, 100 * index + 30, 200 if split == "train" else 50)


def make_jpeg_tree(root, per_class=(2, 1)):
    """cifar10-jpeg/{train,test}/<class>/NNNN.jpg with solid-colour 32x32 JPEGs."""
    for split, n in zip(("train", "test"), per_class, strict=True):
        for label, name in enumerate(data.CIFAR10_CLASSES):
            folder = Path(root) / "cifar10-jpeg" / split / name
            folder.mkdir(parents=True)
            for index in reversed(range(n)):  # written out of order on purpose
                image = Image.new("RGB", (32, 32), colour(label, index, split))
                image.save(folder / f"{index:04d}.jpg", quality=95)
    return Path(root) / "cifar10-jpeg"


def make_tarball(tree, path):
    with tarfile.open(path, "w:gz") as tar:
        tar.add(tree, arcname="cifar10-jpeg")
    return path


def test_fashion_mnist_parses_idx_files(tmp_path):
    arrays = make_fashion(tmp_path)
    for split in ("train", "test"):
        images, labels, classes = data.load_fashion_mnist(split, root=tmp_path, download=False)
        assert images.dtype == np.uint8 and labels.dtype == np.int64
        np.testing.assert_array_equal(images, arrays[split][0])
        np.testing.assert_array_equal(labels, arrays[split][1])
        assert classes == data.FASHION_MNIST_CLASSES
    # Returned arrays are copies: changing them does not change the next load.
    images[:] = 0
    again, _, _ = data.load_fashion_mnist("test", root=tmp_path, download=False)
    np.testing.assert_array_equal(again, arrays["test"][0])


def test_fashion_mnist_from_data_dir(tmp_path, monkeypatch):
    arrays = make_fashion(tmp_path / "d")
    monkeypatch.setenv("CNNVIZ_DATA_DIR", str(tmp_path / "d"))
    images, _, _ = data.load_fashion_mnist("train", download=False)
    np.testing.assert_array_equal(images, arrays["train"][0])


def test_read_idx_rejects_bad_files(tmp_path):
    bad = tmp_path / "bad"
    bad.write_bytes(b"\x00\x00\x0d\x01" + b"\x00" * 8)
    with pytest.raises(ValueError, match="idx"):
        data._read_idx(bad)
    short = tmp_path / "short"
    short.write_bytes(bytes([0, 0, 8, 1]) + np.array([5], ">u4").tobytes() + b"\x01\x02")
    with pytest.raises(ValueError, match="5"):
        data._read_idx(short)


def check_tiny_cifar(images, labels, split, per_class):
    n = 10 * per_class
    assert images.shape == (n, 32, 32, 3) and images.dtype == np.uint8
    assert labels.dtype == np.int64
    np.testing.assert_array_equal(labels, np.repeat(np.arange(10), per_class))
    expected = [colour(lab, i, split) for lab in range(10) for i in range(per_class)]
    # Sorted by class then file name; JPEG changes a solid colour by a few levels at most.
    np.testing.assert_allclose(images.mean(axis=(1, 2)), expected, atol=3)


def test_cifar10_jpeg_tree(tmp_path):
    make_jpeg_tree(tmp_path)
    for split, per_class in (("train", 2), ("test", 1)):
        images, labels, classes = data.load_cifar10(split, root=tmp_path, download=False)
        check_tiny_cifar(images, labels, split, per_class)
        assert classes == data.CIFAR10_CLASSES


def test_cifar10_tarball_matches_tree_and_is_cached_on_disk(tmp_path, monkeypatch):
    tree = make_jpeg_tree(tmp_path / "tree")
    root = tmp_path / "packed"
    root.mkdir()
    tarball = make_tarball(tree, root / "cifar10-jpeg.tar.gz")
    from_tree = data.load_cifar10("train", root=tmp_path / "tree", download=False)
    from_tar = data.load_cifar10("train", root=root, download=False)
    np.testing.assert_array_equal(from_tar[0], from_tree[0])
    np.testing.assert_array_equal(from_tar[1], from_tree[1])
    cache = Path(os.environ["CNNVIZ_CACHE_DIR"])
    assert len(list(cache.glob("cifar10-train-*.npz"))) == 2  # one per source
    assert not list(root.iterdir())[1:]  # nothing was extracted next to the tarball

    # A fresh process (empty memory cache) reads the .npz and decodes nothing.
    data.clear_cache()

    def fail(*args):
        raise AssertionError("decoded again despite the disk cache")

    with monkeypatch.context() as m:
        m.setattr(data, "_decode_jpegs", fail)
        cached = data.load_cifar10("train", root=root, download=False)
    np.testing.assert_array_equal(cached[0], from_tar[0])

    # A changed source (new size and mtime) invalidates the cache.
    for path in (tree / "train" / "airplane").iterdir():
        Image.new("RGB", (32, 32), (255, 255, 255)).save(path, quality=100)
    make_tarball(tree, tarball)
    os.utime(tarball, ns=(1, 1))
    data.clear_cache()
    changed = data.load_cifar10("train", root=root, download=False)
    assert changed[0][:2].min() >= 250  # the airplanes are white now
    np.testing.assert_array_equal(changed[0][2:], from_tar[0][2:])


def test_unwritable_cache_warns_and_still_loads(tmp_path, monkeypatch):
    make_jpeg_tree(tmp_path / "d", per_class=(1, 1))
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    monkeypatch.setenv("CNNVIZ_CACHE_DIR", str(blocker))
    with pytest.warns(UserWarning, match="cache"):
        images, labels, _ = data.load_cifar10("test", root=tmp_path / "d", download=False)
    check_tiny_cifar(images, labels, "test", 1)


def test_cifar10_pickle_batches(tmp_path):
    rng = np.random.default_rng(1)
    folder = tmp_path / "cifar-10-batches-py"
    folder.mkdir()
    expected = {}
    for split, names, n in [
        ("train", [f"data_batch_{i}" for i in range(1, 6)], 2),
        ("test", ["test_batch"], 3),
    ]:
        chunks, labels = [], []
        for name in names:
            flat = rng.integers(0, 256, (n, 3072), dtype=np.uint8)
            lab = rng.integers(0, 10, n).tolist()
            with open(folder / name, "wb") as f:
                pickle.dump({"data": flat, "labels": lab}, f)
            chunks.append(flat.reshape(n, 3, 32, 32).transpose(0, 2, 3, 1))
            labels += lab
        expected[split] = np.concatenate(chunks), np.array(labels)
    with open(folder / "batches.meta", "wb") as f:
        pickle.dump({"label_names": data.CIFAR10_CLASSES}, f)
    for split, n in (("train", 10), ("test", 3)):
        images, labels, _ = data.load_cifar10(split, root=tmp_path, download=False)
        assert images.shape == (n, 32, 32, 3) and labels.dtype == np.int64
        np.testing.assert_array_equal(images, expected[split][0])
        np.testing.assert_array_equal(labels, expected[split][1])


def test_cifar10_wrong_class_folders(tmp_path):
    tree = make_jpeg_tree(tmp_path, per_class=(1, 1))
    (tree / "test" / "truck").rename(tree / "test" / "lorry")
    with pytest.raises(ValueError, match="lorry"):
        data.load_cifar10("test", root=tmp_path, download=False)


@pytest.mark.parametrize("loader", [data.load_fashion_mnist, data.load_cifar10])
def test_missing_data_says_what_to_set(loader, tmp_path, monkeypatch):
    with pytest.raises(FileNotFoundError, match="CNNVIZ_DATA_DIR") as info:
        loader("train", root=tmp_path, download=False)
    assert "download=True" in str(info.value) and str(tmp_path) in str(info.value)
    monkeypatch.delenv("CNNVIZ_DATA_DIR", raising=False)
    with pytest.raises(FileNotFoundError, match="CNNVIZ_DATA_DIR"):
        loader("test", download=False)


@pytest.mark.parametrize("loader", [data.load_fashion_mnist, data.load_cifar10])
def test_failed_download_says_what_to_set(loader, tmp_path, monkeypatch):
    monkeypatch.setattr(data, "_download", lambda *args: OSError("no network"))
    with pytest.raises(RuntimeError, match="CNNVIZ_DATA_DIR") as info:
        loader("train", root=tmp_path)  # download=None: local first, then download
    assert "no network" in str(info.value)


def test_bad_split():
    with pytest.raises(ValueError, match="split"):
        data.load_cifar10("validation", download=False)
    with pytest.raises(ValueError, match="split"):
        data.load_fashion_mnist("val", download=False)


def test_data_dir_and_cache_dir(monkeypatch, tmp_path):
    monkeypatch.setenv("CNNVIZ_DATA_DIR", str(tmp_path))
    assert data.data_dir() == tmp_path
    monkeypatch.setenv("CNNVIZ_DATA_DIR", "")
    assert data.data_dir() is None
    assert data.cache_dir() == tmp_path / "cache"  # set by the autouse fixture
    monkeypatch.delenv("CNNVIZ_CACHE_DIR")
    assert data.cache_dir() == Path.home() / ".cache" / "cnnviz"


def test_class_names():
    assert data.FASHION_MNIST_CLASSES[0] == "T-shirt/top"
    assert data.FASHION_MNIST_CLASSES[-1] == "Ankle boot"
    assert data.CIFAR10_CLASSES == [
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


# --------------------------------------------------------------------------- the real data


@pytest.fixture(scope="session")
def real_cifar(data_dir, tmp_path_factory):
    """CIFAR-10 decoded once per session, with its disk cache in a temporary folder."""
    cache = tmp_path_factory.mktemp("cnnviz-cache")
    with pytest.MonkeyPatch.context() as m:
        m.setenv("CNNVIZ_CACHE_DIR", str(cache))
        data.clear_cache()
        start = time.perf_counter()
        train = data.load_cifar10("train", root=data_dir, download=False)
        test = data.load_cifar10("test", root=data_dir, download=False)
        seconds = time.perf_counter() - start
        data.clear_cache()
    print(f"CIFAR-10 first load (decode + write cache): {seconds:.1f} s")
    return {"train": train, "test": test, "cache": cache, "seconds": seconds}


def test_real_fashion_mnist(data_dir):
    for split, n in (("train", 60000), ("test", 10000)):
        images, labels, classes = data.load_fashion_mnist(split, root=data_dir, download=False)
        assert images.shape == (n, 28, 28) and images.dtype == np.uint8
        assert labels.shape == (n,) and labels.dtype == np.int64
        assert labels.min() == 0 and labels.max() == 9
        np.testing.assert_array_equal(np.bincount(labels), np.full(10, n // 10))
        assert classes == data.FASHION_MNIST_CLASSES
        assert 10 < images[::97].mean() < 200


def test_real_cifar10(real_cifar):
    for split, n in (("train", 50000), ("test", 10000)):
        images, labels, classes = real_cifar[split]
        assert images.shape == (n, 32, 32, 3) and images.dtype == np.uint8
        assert labels.shape == (n,) and labels.dtype == np.int64
        np.testing.assert_array_equal(np.bincount(labels), np.full(10, n // 10))
        assert np.all(np.diff(labels) >= 0)  # ordered by class
        assert classes == data.CIFAR10_CLASSES
        sample = images[::97].astype(np.float64)  # a subset keeps the statistics fast
        assert 50 < sample.mean() < 200 and sample.std() > 30


def test_real_cifar10_second_load_reads_the_disk_cache(real_cifar, data_dir, monkeypatch):
    """The second load must not decode a single JPEG: it reads the .npz (timed in bench/)."""
    monkeypatch.setenv("CNNVIZ_CACHE_DIR", str(real_cifar["cache"]))
    assert len(list(real_cifar["cache"].glob("cifar10-*.npz"))) == 2

    def no_decoding(*args, **kwargs):
        raise AssertionError("the cached load decoded JPEGs again")

    monkeypatch.setattr(data, "_decode_jpegs", no_decoding)
    images, labels, _ = data.load_cifar10("train", root=data_dir, download=False)
    np.testing.assert_array_equal(images, real_cifar["train"][0])
    np.testing.assert_array_equal(labels, real_cifar["train"][1])
    monkeypatch.setattr(data, "_load_npz", no_decoding)  # the third load comes from memory
    again, _, _ = data.load_cifar10("train", root=data_dir, download=False)
    np.testing.assert_array_equal(again, images)
