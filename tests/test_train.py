"""Tests of the CIFAR-10 training stack: cnnviz.data's tensors, augmentation and Loader, and
cnnviz.train's schedule, steps, mixed precision, TTA, loop and checkpoints.

Everything runs on tiny synthetic data on the CPU in seconds; one test (skipped without
CNNVIZ_DATA_DIR) trains briefly on the real CIFAR-10.
"""

import dataclasses
import itertools

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from cnnviz import data, train
from cnnviz.models import FastNet


@pytest.fixture(autouse=True)
def _one_thread():
    """One torch thread per test: under ``pytest -n 2`` two workers share two cores, and two
    OpenMP threads each would spin waiting for one another (measured: several times slower).
    """
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


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
    with pytest.raises(ValueError, match=r"labels \(3,\)"):
        data.Loader(images(4), torch.zeros(3))
    with pytest.raises(ValueError, match="whole numbers"):
        data.Loader(images(2), torch.tensor([1.0, 2.5]))
    with pytest.raises(ValueError, match="mean"):
        data.Loader(images(4), torch.zeros(4), mean=(0.5,), std=(1.0,))
    with pytest.raises(ValueError, match="channels-last"):
        data.Loader(images(4, c=8, h=8, w=3), torch.zeros(4))
    with pytest.raises(ValueError, match="max_shift 5 must be smaller than the image 5x7"):
        data.Loader(images(4), torch.zeros(4), translate=5)
    with pytest.raises(TypeError, match="uint8"):
        loader.normalize(images(2).float())  # would be scaled twice


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


# --------------------------------------------------------------------------- settings


def test_fast_mode_reads_the_environment(monkeypatch):
    for value, expected in [("1", True), ("true", True), ("YES", True), ("0", False), ("", False)]:
        monkeypatch.setenv("CNNVIZ_FAST", value)
        assert train.fast_mode() is expected
    monkeypatch.delenv("CNNVIZ_FAST")
    assert train.fast_mode() is False
    monkeypatch.setenv("CNNVIZ_FAST", "1")
    fast, full = train.recipe(), train.recipe(fast=False)
    assert fast.epochs < full.epochs and fast.n_train < 50_000 and full.n_train is None


def test_pick_device_prefers_cuda_then_mps_then_cpu(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: False)
    assert train.pick_device() == torch.device("cpu")
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: True)
    assert train.pick_device() == torch.device("mps")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert train.pick_device() == torch.device("cuda")
    assert train.pick_device("cpu") == torch.device("cpu")


def test_amp_dtype_choices(monkeypatch):
    cuda = torch.device("cuda")  # a device object needs no GPU
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda including_emulation=True: True)
    assert train.amp_dtype(cuda) == torch.bfloat16  # A100 and newer
    # T4: bfloat16 only emulated, so supported only when emulation counts
    monkeypatch.setattr(
        torch.cuda, "is_bf16_supported", lambda including_emulation=True: including_emulation
    )
    assert train.amp_dtype(cuda) == torch.float16
    assert train.amp_dtype("cpu") is None and train.amp_dtype("mps") is None
    assert train.amp_dtype("cpu", "fp16") == torch.float16
    assert train.amp_dtype(cuda, "off") is None
    with pytest.raises(ValueError, match="amp"):
        train.amp_dtype("cpu", "int8")


def test_lr_factor_warms_up_then_decays():
    total = 100
    factors = [train.lr_factor(s, total, warmup=0.25) for s in range(total + 1)]
    assert factors[0] == 0 and factors[25] == 1 and factors[-1] == 0
    assert all(a < b for a, b in zip(factors[:25], factors[1:26], strict=True))
    assert all(a > b for a, b in zip(factors[25:-1], factors[26:], strict=True))
    cosine = [train.lr_factor(s, total, 0.25, "cosine") for s in range(total + 1)]
    assert cosine[25] == 1 and cosine[-1] == pytest.approx(0, abs=1e-12)
    assert train.lr_factor(5, 10, warmup=0.0) == 0.5
    with pytest.raises(ValueError, match="schedule"):
        train.lr_factor(0, 10, schedule="step")


def test_optimizer_is_nesterov_without_decay_on_biases_and_batchnorm():
    model = FastNet((8, 8, 8))
    opt = train.make_optimizer(model, train.Config(weight_decay=1e-3))
    decay, no_decay = opt.param_groups
    assert decay["weight_decay"] == 1e-3 and no_decay["weight_decay"] == 0
    assert all(p.ndim == 4 or p.ndim == 2 for p in decay["params"])
    assert all(p.ndim == 1 for p in no_decay["params"])
    assert opt.defaults["nesterov"] and opt.defaults["momentum"] == 0.9
    frozen = model.stem[0].conv.weight
    assert not any(p is frozen for g in opt.param_groups for p in g["params"])


# --------------------------------------------------------------------------- steps


def tiny_batch(n=32, seed=0):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(n, 3, 32, 32, generator=g), torch.randint(0, 10, (n,), generator=g)


def tiny_model(seed=0, **kwargs):
    torch.manual_seed(seed)
    return FastNet((8, 16, 16), **kwargs)


def test_training_steps_decrease_the_loss():
    model, (x, y) = tiny_model(), tiny_batch()
    opt = train.make_optimizer(model, train.Config(lr=0.2))
    with torch.no_grad():
        before = F.cross_entropy(model.eval()(x), y).item()
    model.train()
    losses = [train.train_step(model, x, y, opt)[1].item() for _ in range(5)]
    with torch.no_grad():
        after = F.cross_entropy(model.eval()(x), y).item()
    assert losses[-1] < losses[0] and after < before


def test_bf16_autocast_and_channels_last_on_cpu():
    model, (x, y) = tiny_model(), tiny_batch()
    model = model.to(memory_format=torch.channels_last)
    x = x.contiguous(memory_format=torch.channels_last)
    opt = train.make_optimizer(model, train.Config(lr=0.2))
    before = model.block1[0].weight.detach().clone()
    logits, loss = train.train_step(model, x, y, opt, dtype=torch.bfloat16)
    assert logits.dtype == torch.bfloat16  # autocast was on
    assert torch.isfinite(loss) and loss.dtype == torch.float32
    weight = model.block1[0].weight
    assert weight.dtype == torch.float32  # master weights stay float32
    assert weight.is_contiguous(memory_format=torch.channels_last)
    assert not torch.equal(weight, before)


def test_fp16_autocast_with_grad_scaler_on_cpu():
    model, (x, y) = tiny_model(), tiny_batch()
    opt = train.make_optimizer(model, train.Config(lr=0.2))
    scaler = torch.amp.GradScaler("cpu", init_scale=2.0**10)
    before = model.block1[0].weight.detach().clone()
    logits, loss = train.train_step(model, x, y, opt, dtype=torch.float16, scaler=scaler)
    assert logits.dtype == torch.float16 and torch.isfinite(loss)
    assert scaler.get_scale() == 2.0**10  # no overflow: the scale was kept
    assert not torch.equal(model.block1[0].weight, before)


def uint8_data(n=64, seed=0):
    """Noise images whose class (0-3) is their colour (red, green, blue, grey): easy to learn,
    and unchanged by flips and translations.
    """
    g = torch.Generator().manual_seed(seed)
    labels = torch.arange(n) % 4
    x = torch.randint(0, 100, (n, 3, 32, 32), generator=g, dtype=torch.uint8)
    for i, c in enumerate(labels.tolist()):
        x[i, c if c < 3 else slice(None)] += 120
    return x, labels


def test_predict_with_tta_averages_the_two_views():
    model = tiny_model().eval()
    x, y = uint8_data(20)
    loader = data.Loader(x, y, batch_size=8)
    mirrored = data.Loader(x.flip(-1), y, batch_size=8)
    both = train.predict(model, loader, tta=True)
    plain = train.predict(model, loader, tta=False)
    flipped = train.predict(model, mirrored, tta=False)
    assert both.shape == (20, 10) and both.dtype == torch.float32
    torch.testing.assert_close(both, (plain + flipped) / 2)
    result = train.evaluate(model, loader, tta=True)
    assert result["acc"] == pytest.approx((both.argmax(1) == y).float().mean().item())
    assert result["loss"] == pytest.approx(F.cross_entropy(both, y).item(), rel=1e-5)
    assert model.training is False


def test_fit_learns_an_easy_task_and_records_the_history():
    x, y = uint8_data(128)
    mean, std = data.channel_stats(x)
    train_loader = data.Loader(
        x, y, 32, shuffle=True, flip=True, translate=2, mean=mean, std=std, drop_last=True
    )
    x_val, y_val = uint8_data(64, seed=1)
    val_loader = data.Loader(x_val, y_val, 64, mean=mean, std=std)
    cfg = train.Config(epochs=4, lr=0.2, widths=(8, 16, 16), thresholds=(0.5, 1.01))
    seen = []
    model = tiny_model(num_classes=4)
    history = train.fit(
        model, train_loader, val_loader, cfg, callback=lambda h: seen.append(len(h["epoch"])),
        progress=False, log=None,
    )  # fmt: skip
    assert seen == [1, 2, 3, 4]
    for key in "epoch train_loss train_acc val_loss val_acc lr epoch_time time wall".split():
        assert len(history[key]) == 4, key
    assert history["val_acc"][-1] > 0.9 and history["train_loss"][-1] < history["train_loss"][0]
    assert np.all(np.diff(history["time"]) > 0)
    assert all(w >= t for w, t in zip(history["wall"], history["time"], strict=True))
    assert history["time_to"][0.5] in history["time"] and history["time_to"][1.01] is None
    assert history["lr"][-1] < 0.1 * cfg.lr  # the last step's rate: the schedule ends near zero
    assert history["device"] == "cpu" and history["amp"] == "off"
    assert history["channels_last"] is True  # "auto" is on for the CPU


def test_fit_runs_mixed_precision_channels_last_and_compile_branches_on_cpu():
    x, y = uint8_data(64)
    loader = data.Loader(x, y, 32, shuffle=True, drop_last=True)
    cfg = train.Config(epochs=1, amp="bf16", channels_last=True, compile="eager")
    model = tiny_model(num_classes=4)
    history = train.fit(model, loader, loader, cfg, progress=True, log=None)
    assert history["amp"] == "bfloat16" and history["channels_last"]
    assert model.block2[0].weight.is_contiguous(memory_format=torch.channels_last)
    assert np.isfinite(history["train_loss"][0]) and 0 <= history["val_acc"][0] <= 1


def test_speed_settings_are_checked():
    model = tiny_model()
    with pytest.raises(ValueError, match="channels_last must be"):
        train._channels_last("cpu", "off")  # bool("off") would be True
    with pytest.raises(ValueError, match="compile must be"):
        train._compiled(model, "off")
    assert train._compiled(model, False) is model


def test_fit_refuses_a_loader_without_batches():
    x, y = uint8_data(8)
    loader = data.Loader(x, y, 16, drop_last=True)
    with pytest.raises(ValueError, match="no batches: 8 samples, batch_size 16"):
        train.fit(tiny_model(), loader, None, train.Config(epochs=1), progress=False, log=None)


def test_fit_is_deterministic_on_cpu():
    x, y = uint8_data(64)
    results = []
    for _ in range(2):
        loader = data.Loader(x, y, 16, shuffle=True, flip=True, translate=2, seed=7)
        model = tiny_model(seed=3, num_classes=4)
        history = train.fit(model, loader, None, train.Config(epochs=2), progress=False, log=None)
        results.append((history["train_loss"], model.block3[4].weight.detach().clone()))
    assert results[0][0] == results[1][0]
    assert torch.equal(results[0][1], results[1][1])


def test_checkpoint_round_trip_with_weights_only(tmp_path):
    model = tiny_model().eval()
    x, _ = tiny_batch(4)
    cfg = train.Config(epochs=3, widths=(8, 16, 16))
    history = {"val_acc": [0.5, 0.75], "time_to": {0.8: None, 0.5: 12.5}, "amp": "off"}
    path = tmp_path / "net.pt"
    train.save_checkpoint(path, model, cfg, history, test_acc=np.float64(0.7))
    raw = torch.load(path, weights_only=True)  # plain data only: no code can run
    assert set(raw) == {"model", "config", "history", "test_acc"}
    other = tiny_model(seed=1).eval()
    assert not torch.equal(other(x), model(x))
    checkpoint = train.load_checkpoint(path, other)
    torch.testing.assert_close(other(x), model(x))
    assert train.Config(**checkpoint["config"]).epochs == 3
    assert checkpoint["config"]["widths"] == [8, 16, 16]
    assert checkpoint["history"] == history and checkpoint["test_acc"] == 0.7
    assert dataclasses.asdict(cfg)["thresholds"] == (0.8, 0.85, 0.9, 0.94)


def test_checkpoint_keeps_arrays_and_refuses_what_it_cannot_load(tmp_path):
    model, path = tiny_model(), tmp_path / "net.pt"
    train.save_checkpoint(path, model, confusion=np.eye(2, dtype=int), logits=torch.ones(2))
    checkpoint = train.load_checkpoint(path)
    assert checkpoint["confusion"] == [[1, 0], [0, 1]] and checkpoint["logits"] == [1.0, 1.0]
    with pytest.raises(TypeError, match=r"extra\['where'\] is a \w*Path"):
        train.save_checkpoint(path, model, where=tmp_path)


def test_checkpoint_of_a_compiled_model_loads_into_a_plain_one(tmp_path):
    model, path = tiny_model().eval(), tmp_path / "net.pt"
    compiled = torch.compile(model, backend="eager")
    assert next(iter(compiled.state_dict())).startswith("_orig_mod.")
    train.save_checkpoint(path, compiled)
    other = tiny_model(seed=1).eval()
    train.load_checkpoint(path, other)
    x, _ = tiny_batch(4)
    torch.testing.assert_close(other(x), model(x))


# --------------------------------------------------------------------------- real data


def test_short_fast_run_on_real_cifar10_beats_chance(data_dir):
    """Two epochs on 5,000 real images (seconds of CPU): clearly above chance (10 %).

    Small batches suit so short a run: 156 steps instead of 19 (this setting reaches 44 %).
    """
    cfg = train.Config(
        epochs=2, batch_size=64, lr=0.1, widths=(16, 32, 64), n_train=5000, n_val=0,
        n_test=2000, tta=True,
    )  # fmt: skip
    loaders = train.prepare_cifar10(cfg, "cpu", root=data_dir)
    assert loaders["train"].images.shape == (5000, 3, 32, 32) and loaders["val"] is None
    assert torch.bincount(loaders["test"].labels).tolist() == [200] * 10
    assert all(0.4 < m < 0.55 for m in loaders["mean"])  # CIFAR-10's known statistics
    assert all(0.2 < s < 0.3 for s in loaders["std"])
    train.seed_everything(0)
    model = FastNet(cfg.widths)
    model.fit_whitening(loaders["train"].normalize(loaders["train"].images[:2000]))
    train.fit(model, loaders["train"], None, cfg, progress=False, log=None)
    result = train.evaluate(model, loaders["test"], tta=True)
    assert result["acc"] > 0.3, result
