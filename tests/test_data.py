"""Tests of cnnviz.data: the dataset files (parsers on tiny synthetic files, the caches, errors),
the split and statistics, the augmentation and the Loader on the device, and the real data.

The synthetic tests need no data and no network. The real-data tests use CNNVIZ_DATA_DIR (the
``data_dir`` fixture of conftest.py skips them when it is absent); CIFAR-10 is decoded from its
JPEGs once per session, into a temporary cache folder.
"""

import gzip
import itertools
import os
import pickle
import subprocess
import sys
import tarfile
import time
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from PIL import Image

from cnnviz import data

pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.fixture(autouse=True)
def _isolated_cache(tmp_path, monkeypatch):
    """Never write to ~/.cache, and start every test with an empty in-process cache."""
    monkeypatch.setenv("CNNVIZ_CACHE_DIR", str(tmp_path / "cache"))
    data.clear_cache()
    yield
    data.clear_cache()


def no_decoding(*args, **kwargs):
    raise AssertionError("a JPEG was decoded despite the cache")


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


def test_bad_idx_files_are_refused(tmp_path):
    make_fashion(tmp_path)
    raw = tmp_path / "FashionMNIST" / "raw"
    (raw / "train-images-idx3-ubyte").write_bytes(b"\x00\x00\x0d\x01" + b"\x00" * 8)
    with pytest.raises(ValueError, match="idx"):
        data.load_fashion_mnist("train", root=tmp_path, download=False)
    short = bytes([0, 0, 8, 1]) + np.array([5], ">u4").tobytes() + b"\x01\x02"
    (raw / "train-images-idx3-ubyte").write_bytes(short)
    with pytest.raises(ValueError, match="5"):
        data.load_fashion_mnist("train", root=tmp_path, download=False)


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
    with monkeypatch.context() as m:
        m.setattr(Image, "open", no_decoding)
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
    datasets = pytest.importorskip("torchvision.datasets")

    def offline(*args, **kwargs):
        raise OSError("no network")

    monkeypatch.setattr(datasets, "FashionMNIST", offline)
    monkeypatch.setattr(datasets, "CIFAR10", offline)
    with pytest.raises(RuntimeError, match="CNNVIZ_DATA_DIR") as info:
        loader("train", root=tmp_path)  # download=None: local first, then download
    assert "no network" in str(info.value)


def test_bad_split():
    with pytest.raises(ValueError, match="split"):
        data.load_cifar10("validation", download=False)
    with pytest.raises(ValueError, match="split"):
        data.load_fashion_mnist("val", download=False)


def test_bad_root_and_download_name_the_argument():
    with pytest.raises(TypeError, match="root must be a folder path"):
        data.load_fashion_mnist("train", root=3)
    with pytest.raises(TypeError, match="download must be True or False, got 0"):
        data.load_cifar10("train", download=0)


def test_the_numpy_loaders_do_not_import_torch():
    code = (
        "import sys; from cnnviz import data; "
        "data.load_fashion_mnist, data.split_train_val, data.channel_stats; "
        "assert 'torch' not in sys.modules, 'torch imported'; "
        "data.Loader; assert 'torch' in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


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


# --------------------------------------------------------------------------- tensors


def images(n=6, c=3, h=5, w=7, seed=0):
    g = torch.Generator().manual_seed(seed)
    return torch.randint(0, 256, (n, c, h, w), generator=g, dtype=torch.uint8)


def crops(x, shift, mode):
    """Every crop of the padded image ``x`` (C, H, W): the reference for a translation."""
    c, h, w = x.shape
    pad_mode = "reflect" if mode == "reflect" else "constant"
    padded = F.pad(x[None].float(), (shift,) * 4, mode=pad_mode)[0]
    return [
        padded[:, i : i + h, j : j + w]
        for i, j in itertools.product(range(2 * shift + 1), repeat=2)
    ]


# --------------------------------------------------------------------------- augmentation


def test_flip_is_a_left_right_mirror_of_some_images():
    x = images(n=64)
    g = torch.Generator().manual_seed(1)
    y = data.random_flip(x, g)
    mirrored = [torch.equal(a, b.flip(-1)) for a, b in zip(y, x, strict=True)]
    kept = [torch.equal(a, b) for a, b in zip(y, x, strict=True)]
    assert all(m or k for m, k in zip(mirrored, kept, strict=True))
    assert 16 < sum(mirrored) < 48  # about half
    assert torch.equal(data.random_flip(x, p=1.0), x.flip(-1))
    assert torch.equal(data.random_flip(x, p=0.0), x)


@pytest.mark.parametrize("mode", ["reflect", "zeros"])
@pytest.mark.parametrize("shift", [1, 2])
def test_translate_is_a_crop_of_the_padded_image(mode, shift):
    x = images(n=40)
    y = data.random_translate(x, shift, torch.Generator().manual_seed(0), padding_mode=mode)
    assert y.shape == x.shape and y.dtype == torch.uint8
    seen = set()
    for a, b in zip(y, x, strict=True):
        candidates = crops(b, shift, mode)
        matches = [k for k, crop in enumerate(candidates) if torch.equal(a.float(), crop)]
        assert matches, "every output must be one of the crops"
        seen.add(matches[0])
    assert len(seen) > (2 * shift + 1) ** 2 // 2  # many different shifts were drawn


def test_translate_keeps_dtype_device_and_checks_arguments():
    x = images().float()
    assert data.random_translate(x, 0) is x
    assert data.random_translate(x, 2).dtype == torch.float32
    with pytest.raises(ValueError, match="max_shift"):
        data.random_translate(x, 5)  # reflecting needs max_shift < 5
    assert data.random_translate(x, 5, padding_mode="zeros").shape == x.shape
    with pytest.raises(ValueError, match="padding_mode"):
        data.random_translate(x, 1, padding_mode="wrap")
    with pytest.raises(ValueError, match=r"\(N, C, H, W\)"):
        data.random_flip(x[0])


def test_augmentation_refuses_a_float_where_an_int_is_meant():
    x = images()
    with pytest.raises(TypeError, match="max_shift must be an int, got 1.0"):
        data.random_translate(x, 1.0)
    # The second case: accepted at construction, failing at the first batch.
    with pytest.raises(TypeError, match="translate must be an int, got 2.0"):
        data.Loader(x, torch.arange(len(x)), 2, translate=2.0)
    with pytest.raises(ValueError, match="max_shift must be non-negative, got -1"):
        data.random_translate(x, -1)
    with pytest.raises(ValueError, match="p must be between 0 and 1, got 1.5"):
        data.random_flip(x, p=1.5)
    with pytest.raises(TypeError, match="generator must be a torch.Generator"):
        data.random_flip(x, 0)
    with pytest.raises(TypeError, match="images must be a torch.Tensor"):
        data.random_flip(x.numpy())


# --------------------------------------------------------------------------- Loader


def test_loader_shuffles_every_sample_once_per_epoch():
    n = 103
    loader = data.Loader(images(n), torch.arange(n), batch_size=10, shuffle=True, seed=3)
    assert len(loader) == 11
    epochs = [torch.cat([y for _, y in loader]) for _ in range(2)]
    for labels in epochs:
        assert sorted(labels.tolist()) == list(range(n))
    assert not torch.equal(epochs[0], epochs[1])  # a new order every epoch
    assert not torch.equal(epochs[0], torch.arange(n))
    again = data.Loader(images(n), torch.arange(n), batch_size=10, shuffle=True, seed=3)
    assert torch.equal(torch.cat([y for _, y in again]), epochs[0])  # seeded
    loader.reset()
    assert torch.equal(torch.cat([y for _, y in loader]), epochs[0])


def test_loader_drop_last_and_order_without_shuffle():
    loader = data.Loader(images(10), torch.arange(10), batch_size=4, drop_last=True)
    assert len(loader) == 2
    assert [y.tolist() for _, y in loader] == [[0, 1, 2, 3], [4, 5, 6, 7]]


def test_loader_images_follow_their_labels_through_shuffling_and_flipping():
    x = images(20)
    loader = data.Loader(x, torch.arange(20), batch_size=6, shuffle=True, flip=True)
    for xb, yb in loader:
        raw = torch.round(xb * 255).to(torch.uint8)  # no mean/std: only divided by 255
        for a, i in zip(raw, yb, strict=True):
            assert torch.equal(a, x[i]) or torch.equal(a, x[i].flip(-1))


def test_loader_normalizes_with_the_given_statistics():
    x = torch.zeros(4, 3, 2, 2, dtype=torch.uint8)
    x[:, 0], x[:, 1], x[:, 2] = 0, 51, 255
    mean, std = (0.5, 0.1, 0.9), (0.5, 0.2, 0.05)
    xb, _ = next(iter(data.Loader(x, torch.zeros(4), 4, mean=mean, std=std)))
    expected = [(0 - 0.5) / 0.5, (0.2 - 0.1) / 0.2, (1.0 - 0.9) / 0.05]
    for c in range(3):
        torch.testing.assert_close(xb[:, c], torch.full((4, 2, 2), expected[c]))


def test_loader_channels_last_and_argument_checks():
    loader = data.Loader(images(4, h=6, w=6), torch.zeros(4), 2, channels_last=True)
    xb, _ = next(iter(loader))
    assert xb.is_contiguous(memory_format=torch.channels_last)
    assert not xb.is_contiguous()
    with pytest.raises(TypeError, match="uint8"):
        data.Loader(torch.zeros(4, 3, 2, 2), torch.zeros(4))
    with pytest.raises(ValueError, match=r"labels must have shape \(4,\) .*got \(3,\)"):
        data.Loader(images(4), torch.zeros(3))
    with pytest.raises(ValueError, match="whole numbers"):
        data.Loader(images(2), torch.tensor([1.0, 2.5]))
    with pytest.raises(ValueError, match="mean"):
        data.Loader(images(4), torch.zeros(4), mean=(0.5,), std=(1.0,))
    with pytest.raises(ValueError, match="channels-last"):
        data.Loader(images(4, c=8, h=8, w=3), torch.zeros(4))
    with pytest.raises(ValueError, match=r"translate must be less than 5 .*5x7.*got 5"):
        data.Loader(images(4), torch.zeros(4), translate=5)
    with pytest.raises(TypeError, match="uint8"):
        loader.normalize(images(2).float())  # would be scaled twice


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"translate": 2.0}, TypeError, "translate must be an int, got 2.0"),
        ({"batch_size": 2.0}, TypeError, "batch_size must be an int, got 2.0"),
        ({"batch_size": 0}, ValueError, "batch_size must be positive, got 0"),
        ({"seed": 1.0}, TypeError, "seed must be an int, got 1.0"),
        ({"shuffle": 1}, TypeError, "shuffle must be True or False, got 1"),
        ({"flip": "yes"}, TypeError, "flip must be True or False"),
        ({"drop_last": None}, TypeError, "drop_last must be True or False"),
        ({"channels_last": 0}, TypeError, "channels_last must be True or False"),
        ({"padding_mode": "wrap"}, ValueError, "padding_mode must be one of"),
        ({"std": (1.0, 0.0, 1.0)}, ValueError, r"std\[1\] must be positive, got 0.0"),
        ({"mean": 0.5}, TypeError, "mean must be a sequence of 3 numbers"),
        ({"dtype": torch.int32}, TypeError, "dtype must be a floating-point torch.dtype"),
        ({"rank": 1.0, "world_size": 2}, TypeError, "rank must be an int, got 1.0"),
        ({"rank": 2, "world_size": 2}, ValueError, r"rank must be below world_size \(2\)"),
        ({"world_size": 0}, ValueError, "world_size must be positive, got 0"),
        ({"batch_size": 2, "world_size": 3}, ValueError, r"world_size must be at most batch_size"),
    ],
)
def test_loader_arguments_are_checked_where_they_are_given(kwargs, error, message):
    with pytest.raises(error, match=message):
        data.Loader(images(4), torch.zeros(4), **kwargs)


@pytest.mark.parametrize("world", [2, 3])
def test_loader_shards_are_the_global_batches_cut_in_turn(world):
    # Process r of `world` yields images r, r + world, ... of every global batch, with the
    # same augmentation as the whole batch: the shards together are one process's epochs.
    x = images(23, h=6, w=6)
    kwargs = {"shuffle": True, "translate": 2, "flip": True, "seed": 4}
    whole = data.Loader(x, torch.arange(23), 6, **kwargs)
    shards = [data.Loader(x, torch.arange(23), 6, rank=r, world_size=world, **kwargs)
              for r in range(world)]  # fmt: skip
    for _epoch in range(2):
        batches = list(zip(whole, *shards, strict=True))
        for (xb, yb), *parts in batches:
            for r, (xs, ys) in enumerate(parts):
                assert torch.equal(ys, yb[r::world]) and torch.equal(xs, xb[r::world])
        seen = sorted(i for _, *parts in batches for _, ys in parts for i in ys.tolist())
        assert seen == list(range(23))  # disjoint and covering the epoch
    assert all(len(s) == len(whole) for s in shards)


def test_loader_shard_shares_the_data_and_continues_the_generator():
    loader = data.Loader(images(8), torch.arange(8), 4, shuffle=True, seed=2)
    list(loader)  # one epoch drawn: the shard continues from here
    shard = loader.shard(1, 2)
    assert shard.images is loader.images and (shard.rank, shard.world_size) == (1, 2)
    assert (loader.rank, loader.world_size) == (0, 1)
    expected = [yb[1::2] for _, yb in loader]
    assert all(torch.equal(a, b) for (_, a), b in zip(shard, expected, strict=True))
    with pytest.raises(ValueError, match=r"rank must be below world_size \(2\), got 2"):
        loader.shard(2, 2)


def test_loader_reset_checks_the_seed():
    loader = data.Loader(images(4), torch.zeros(4), 2, shuffle=True)
    with pytest.raises(TypeError, match="seed must be an int"):
        loader.reset(2.0)
    loader.reset(5)
    assert loader.seed == 5


def test_loader_draws_an_epoch_like_the_batch_by_batch_functions():
    # The Loader draws an epoch's random numbers at once; the result must be what the
    # public functions give when called batch by batch with the same generator.
    x, n, batch = images(23, h=6, w=6), 23, 5
    loader = data.Loader(x, torch.arange(n), batch, shuffle=True, translate=2, flip=True, seed=7)
    g = torch.Generator().manual_seed(7)
    for _epoch in range(2):
        order = torch.randperm(n, generator=g)
        for k, (xb, yb) in enumerate(loader):
            index = order[k * batch : (k + 1) * batch]
            expected = data.random_flip(data.random_translate(x[index], 2, g), g)
            assert torch.equal(yb, index)
            torch.testing.assert_close(xb, expected.float() / 255, rtol=0, atol=1e-6)


def test_loader_accepts_numpy_and_is_augmented_deterministically():
    x = images(12).numpy()
    kwargs = {"batch_size": 4, "shuffle": True, "translate": 1, "flip": True, "seed": 5}
    a = [xb for xb, _ in data.Loader(x, np.arange(12), **kwargs)]
    b = [xb for xb, _ in data.Loader(x, np.arange(12), **kwargs)]
    assert all(torch.equal(p, q) for p, q in zip(a, b, strict=True))


# --------------------------------------------------------------------------- split, stats


def test_split_train_val_is_balanced_disjoint_and_seeded():
    labels = np.repeat(np.arange(10), 30)
    ids = np.arange(300)
    (x_tr, y_tr), (x_val, y_val) = data.split_train_val(ids, labels, n_val=50, seed=0)
    assert np.bincount(y_val).tolist() == [5] * 10
    assert len(x_tr) == 250 and set(x_tr).isdisjoint(x_val)
    assert np.array_equal(np.sort(np.concatenate([x_tr, x_val])), ids)
    assert np.array_equal(labels[x_val], y_val) and np.all(np.diff(x_val) > 0)
    (_, _), (again, _) = data.split_train_val(ids, labels, n_val=50, seed=0)
    (_, _), (other, _) = data.split_train_val(ids, labels, n_val=50, seed=1)
    assert np.array_equal(again, x_val) and not np.array_equal(other, x_val)
    with pytest.raises(ValueError, match="n_val"):
        data.split_train_val(ids, labels, n_val=300)
    with pytest.raises(TypeError, match="n_val must be an int, got 50.0"):
        data.split_train_val(ids, labels, n_val=50.0)
    with pytest.raises(TypeError, match="seed must be an int"):
        data.split_train_val(ids, labels, n_val=50, seed=0.5)
    with pytest.raises(ValueError, match=r"labels must have shape \(300,\)"):
        data.split_train_val(ids, labels[:-1], n_val=5)


def test_split_train_val_of_tensors_gives_tensors():
    x, y = images(20), torch.arange(20) % 4
    (x_tr, y_tr), (x_val, y_val) = data.split_train_val(x, y, n_val=8)
    assert isinstance(x_val, torch.Tensor) and x_val.shape == (8, 3, 5, 7)
    assert torch.bincount(y_val).tolist() == [2, 2, 2, 2]
    assert data.split_train_val(x, y, n_val=0)[1][0].shape[0] == 0


def test_channel_stats_match_float_computation():
    x = images(8, h=9, w=9)
    mean, std = data.channel_stats(x)
    f = x.double() / 255
    np.testing.assert_allclose(mean, f.mean(dim=(0, 2, 3)).numpy(), atol=1e-6)
    np.testing.assert_allclose(std, f.std(dim=(0, 2, 3), correction=0).numpy(), atol=1e-6)
    mean_f, std_f = data.channel_stats(f.numpy())  # floats are taken as they are
    np.testing.assert_allclose(mean_f, mean, atol=1e-6)
    np.testing.assert_allclose(std_f, std, atol=1e-6)
    with pytest.raises(ValueError, match="channels-last"):
        data.channel_stats(np.zeros((2, 8, 8, 3), dtype=np.uint8))
    with pytest.raises(ValueError, match=r"\(N, C, H, W\)"):
        data.channel_stats(np.zeros((8, 8, 3), dtype=np.uint8))


# --------------------------------------------------------------------------- CIFAR-10 tensors


def make_cifar_batches(root, per_class=(20, 6)):
    """cifar-10-batches-py with ``per_class`` images of each class (train, test)."""
    folder = Path(root) / "cifar-10-batches-py"
    folder.mkdir(parents=True)
    batches = [[f"data_batch_{i}" for i in range(1, 6)], ["test_batch"]]
    for names, n in zip(batches, per_class, strict=True):
        labels = np.tile(np.arange(10), n // len(names))  # n: a multiple of len(names)
        for name in names:
            flat = np.random.default_rng(len(name)).integers(0, 256, (len(labels), 3072))
            with open(folder / name, "wb") as f:
                pickle.dump({"data": flat.astype(np.uint8), "labels": labels.tolist()}, f)
    return root


def test_cifar10_tensors_are_channels_first_uint8(tmp_path):
    make_cifar_batches(tmp_path)
    x, y, classes = data.cifar10_tensors("test", root=tmp_path, download=False)
    assert x.shape == (60, 3, 32, 32) and x.dtype == torch.uint8 and x.is_contiguous()
    assert y.dtype == torch.int64 and classes == data.CIFAR10_CLASSES


def test_cifar10_loaders_split_subsample_and_normalize(tmp_path):
    make_cifar_batches(tmp_path)
    loaders = data.cifar10_loaders(
        root=tmp_path, n_val=50, n_train=100, n_test=20, batch_size=16, seed=3
    )
    train, val, test = loaders["train"], loaders["val"], loaders["test"]
    assert [len(x.labels) for x in (train, val, test)] == [100, 50, 20]
    for loader in (train, val, test):
        assert torch.bincount(loader.labels).tolist() == [len(loader.labels) // 10] * 10
    assert train.shuffle and train.flip and train.translate == 2 and train.drop_last
    assert len(train) == 100 // 16 and val.batch_size == test.batch_size == 1000
    assert loaders["mean"] == data.channel_stats(train.images)[0] and val.mean == train.mean
    assert data.cifar10_loaders(root=tmp_path, n_val=0)["val"] is None
    with pytest.raises(TypeError, match="n_train must be an int, got 100.0"):
        data.cifar10_loaders(root=tmp_path, n_train=100.0)


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

    monkeypatch.setattr(Image, "open", no_decoding)
    images, labels, _ = data.load_cifar10("train", root=data_dir, download=False)
    np.testing.assert_array_equal(images, real_cifar["train"][0])
    np.testing.assert_array_equal(labels, real_cifar["train"][1])
    monkeypatch.setattr(np, "load", no_decoding)  # the third load comes from memory
    again, _, _ = data.load_cifar10("train", root=data_dir, download=False)
    np.testing.assert_array_equal(again, images)


# --------------------------------------------------------------------------- every argument


def data_calls(root):
    """One valid call (keyword arguments) of every public function of cnnviz.data that takes
    arguments."""
    x, y = images(8), torch.arange(8) % 2
    loader_kwargs = dict(
        batch_size=4, shuffle=False, translate=0, flip=False, mean=None, std=None,
        padding_mode="reflect", drop_last=False, seed=0, device="cpu", dtype=None,
        channels_last=False, rank=0, world_size=1,
    )  # fmt: skip
    return {
        "load_fashion_mnist": dict(split="train", root=root, download=False),
        "load_cifar10": dict(split="train", root=root, download=False),
        "channel_stats": dict(images=x),
        "split_train_val": dict(images=x, labels=y, n_val=2, seed=0),
        "random_flip": dict(images=x, generator=None, p=0.5),
        "random_translate": dict(images=x, max_shift=1, generator=None, padding_mode="reflect"),
        "Loader": dict(images=x, labels=y, **loader_kwargs),
        "cifar10_tensors": dict(split="train", device="cpu", root=root, download=False),
        "cifar10_loaders": dict(
            device="cpu",
            root=root,
            n_val=50,
            n_train=100,
            n_test=20,
            batch_size=16,
            translate=2,
            flip=True,
            channels_last=False,
            seed=0,
        ),  # fmt: skip
    }


def prepared_data_calls(root):
    """:func:`data_calls` over small dataset files written to ``root`` (for test_bad_input)."""
    make_fashion(root)
    make_cifar_batches(root)
    return data_calls(root)
