"""Tests of cnnviz.train: the config and its checks, the schedule, steps, mixed precision, TTA,
the loop and its history, and checkpoints (cnnviz.data's Loader feeds them; its own tests are in
test_data.py).

Everything runs on tiny synthetic data on the CPU in seconds; one test (skipped without
CNNVIZ_DATA_DIR) trains briefly on the real CIFAR-10.
"""

import dataclasses

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from cnnviz import data, train, viz
from cnnviz.models import FastNet

pytestmark = pytest.mark.usefixtures("one_torch_thread")


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


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"epochs": 2.0}, TypeError, "epochs must be an int, got 2.0"),
        ({"epochs": 0}, ValueError, "epochs must be positive, got 0"),
        ({"batch_size": 512.0}, TypeError, "batch_size must be an int"),
        ({"translate": 2.0}, TypeError, "translate must be an int, got 2.0"),
        ({"n_train": 1e4}, TypeError, "n_train must be an int, got 10000.0"),
        ({"n_val": -1}, ValueError, "n_val must be non-negative"),
        ({"seed": 0.0}, TypeError, "seed must be an int"),
        ({"widths": (32, 64.0)}, TypeError, r"widths\[1\] must be an int, got 64.0"),
        ({"widths": ()}, ValueError, "widths must hold at least one value"),
        ({"schedule": "step"}, ValueError, "schedule must be one of"),
        ({"amp": "int8"}, ValueError, "amp must be one of"),
        ({"warmup": 1.5}, ValueError, "warmup must be between 0 and 1, got 1.5"),
        ({"lr": "0.1"}, TypeError, "lr must be a real number"),
        ({"flip": 1}, TypeError, "flip must be True or False"),
        ({"channels_last": "off"}, ValueError, "channels_last must be"),  # bool("off") is True
        ({"channels_last": 1}, TypeError, "channels_last must be"),
        ({"compile": "off"}, ValueError, "compile must be"),
        ({"compile": 1.0}, TypeError, "compile must be"),
        ({"thresholds": (0.8, "high")}, TypeError, r"thresholds\[1\] must be a real number"),
        ({"momentum": 0.0}, ValueError, "momentum must be positive with nesterov=True"),
    ],
)
def test_config_is_checked_at_construction(kwargs, error, message):
    with pytest.raises(error, match=message):
        train.Config(**kwargs)


def test_config_is_checked_when_changed_and_keeps_tuples():
    cfg = train.Config(widths=[8, 16, 16], thresholds=[0.5])
    assert cfg.widths == (8, 16, 16) and cfg.thresholds == (0.5,)
    with pytest.raises(TypeError, match="epochs must be an int"):
        cfg.epochs = 2.5
    with pytest.raises(ValueError, match="schedule must be one of"):
        dataclasses.replace(cfg, schedule="step")
    cfg.epochs = 3
    assert cfg.epochs == 3 and train.Config(momentum=0.0, nesterov=False).momentum == 0
    with pytest.raises(TypeError, match="fast must be True or False"):
        train.recipe(fast="yes")


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


def _conv_bn_linear():
    torch.manual_seed(0)
    return torch.nn.Sequential(
        torch.nn.Conv2d(1, 4, 3, bias=False),
        torch.nn.BatchNorm2d(4),
        torch.nn.Flatten(),
        torch.nn.Linear(4, 2),
    )


def test_weight_decay_groups_split_matrices_from_vectors():
    model = _conv_bn_linear()
    model[3].bias.requires_grad_(False)  # frozen: in neither group
    decay, no_decay = train.weight_decay_groups(model, 0.05)
    assert decay["weight_decay"] == 0.05 and no_decay["weight_decay"] == 0.0
    ids = lambda group: {id(p) for p in group["params"]}  # noqa: E731
    assert ids(decay) == {id(model[0].weight), id(model[3].weight)}
    assert ids(no_decay) == {id(model[1].weight), id(model[1].bias)}
    with pytest.raises(ValueError, match="weight_decay must be at least 0"):
        train.weight_decay_groups(model, -1.0)


def test_adamw_with_the_groups_decays_weights_but_not_batchnorm():
    model = _conv_bn_linear()
    with torch.no_grad():
        model[1].weight.fill_(2.0)
    before = {name: p.detach().clone() for name, p in model.named_parameters()}
    opt = torch.optim.AdamW(train.weight_decay_groups(model, 0.5), lr=0.1)
    for p in model.parameters():
        p.grad = torch.zeros_like(p)  # no gradient: only the decay can move a parameter
    opt.step()
    after = dict(model.named_parameters())
    assert torch.allclose(after["0.weight"], before["0.weight"] * (1 - 0.1 * 0.5))
    assert torch.allclose(after["3.weight"], before["3.weight"] * (1 - 0.1 * 0.5))
    for name in ("1.weight", "1.bias", "3.bias"):  # batch norm scale and shift, a bias
        assert torch.equal(after[name], before[name]), name
    plain = _conv_bn_linear()  # AdamW over model.parameters() would shrink the BN scale
    with torch.no_grad():
        plain[1].weight.fill_(2.0)
    opt = torch.optim.AdamW(plain.parameters(), lr=0.1, weight_decay=0.5)
    for p in plain.parameters():
        p.grad = torch.zeros_like(p)
    opt.step()
    assert torch.allclose(plain[1].weight, torch.full((4,), 2.0 * 0.95))


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
    assert isinstance(history, train.History) and isinstance(history, dict)
    assert repr(history) == repr(dict(history))  # printed like the plain dict it was
    assert viz.plot_history(history).axes  # the viz helpers take it as a dict
    assert history.line(cfg.epochs).startswith("epoch  4/4  train loss ")


def test_history_records_epochs_thresholds_and_lines():
    h = train.History.start((0.5, 0.9), device="cpu", amp="off", channels_last=False)
    h.add_epoch(1, 1.2, 0.4, 0.1, seconds=2.0)
    h.add_validation({"loss": 1.0, "acc": 0.6})
    h.add_epoch(2, 0.8, 0.7, 0.05, seconds=3.0)
    h.add_validation({"loss": 0.9, "acc": 0.95})
    h["wall"] += [2.5, 6.0]
    assert h["time"] == [2.0, 5.0] and h["time_to"] == {0.5: 2.0, 0.9: 5.0}
    line = "epoch  2/2  train loss 0.800 acc 70.0%  val loss 0.900 acc 95.0%  total 5 s"
    assert h.line(2) == line
    assert sorted(h) == sorted(
        "epoch train_loss train_acc val_loss val_acc lr epoch_time time wall time_to device amp "
        "channels_last".split()
    )


def test_fit_runs_mixed_precision_channels_last_and_compile_branches_on_cpu():
    x, y = uint8_data(64)
    loader = data.Loader(x, y, 32, shuffle=True, drop_last=True)
    cfg = train.Config(epochs=1, amp="bf16", channels_last=True, compile="eager")
    model = tiny_model(num_classes=4)
    history = train.fit(model, loader, loader, cfg, progress=True, log=None)
    assert history["amp"] == "bfloat16" and history["channels_last"]
    assert model.block2[0].weight.is_contiguous(memory_format=torch.channels_last)
    assert np.isfinite(history["train_loss"][0]) and 0 <= history["val_acc"][0] <= 1


def test_speed_settings_are_checked(monkeypatch):
    with pytest.raises(ValueError, match="channels_last must be"):
        train.Config(channels_last="off")  # bool("off") would be True
    with pytest.raises(ValueError, match="compile must be"):
        train.Config(compile="off")

    def no_compile(*args, **kwargs):
        raise AssertionError("compile=False must leave the model as it is")

    monkeypatch.setattr(torch, "compile", no_compile)
    x, y = uint8_data(32)
    loader = data.Loader(x, y, 16, drop_last=True)
    cfg = train.Config(epochs=1, compile=False)
    train.fit(tiny_model(num_classes=4), loader, None, cfg, progress=False, log=None)


def test_fit_checks_its_arguments():
    x, y = uint8_data(32)
    loader, model = data.Loader(x, y, 16), tiny_model(num_classes=4)
    with pytest.raises(TypeError, match="config must be a cnnviz.train.Config"):
        train.fit(model, loader, None, {"epochs": 1}, progress=False, log=None)
    with pytest.raises(TypeError, match="log must be 'print', a callable or None"):
        train.fit(model, loader, None, train.Config(epochs=1), progress=False, log="stdout")
    with pytest.raises(TypeError, match="callback must be a callable"):
        train.fit(model, loader, None, train.Config(epochs=1), callback=1, log=None)
    with pytest.raises(TypeError, match="config must be a cnnviz.train.Config"):
        train.prepare_cifar10({"n_val": 0})


def test_fit_refuses_a_loader_without_batches():
    x, y = uint8_data(8)
    loader = data.Loader(x, y, 16, drop_last=True)
    with pytest.raises(ValueError, match="at least one batch, got 8 samples, batch_size 16"):
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
    with pytest.raises(TypeError, match=r"extra\['where'\] must be .*, got a \w*Path"):
        train.save_checkpoint(path, model, where=tmp_path)


def test_checkpoint_converts_numpy_keys_and_refuses_others(tmp_path):
    model, path = tiny_model(), tmp_path / "net.pt"
    per_class = {np.int64(0): 0.9, np.int64(1): np.float32(0.5)}
    train.save_checkpoint(path, model, per_class=per_class, names={np.str_("a"): 1})
    checkpoint = train.load_checkpoint(path)
    assert checkpoint["per_class"] == {0: 0.9, 1: 0.5} and checkpoint["names"] == {"a": 1}
    assert type(next(iter(checkpoint["per_class"]))) is int
    with pytest.raises(TypeError, match=r"extra\['bad'\] keys must be .*, got \(0, 1\)"):
        train.save_checkpoint(path, model, bad={(0, 1): 1.0})
    with pytest.raises(TypeError, match="config must be a cnnviz.train.Config"):
        train.save_checkpoint(path, model, config={"epochs": 1})


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


# --------------------------------------------------------------------------- every argument


class Unusable:
    """A value no argument accepts: not a number, a tensor, a string, a bool or a device."""

    def __repr__(self):
        return "<unusable>"


def train_calls(tmp_path):
    """One valid call (keyword arguments) of every public function of cnnviz.train that takes
    arguments (prepare_cifar10 needs the real data: its checks are those of cnnviz.data)."""
    x, y = uint8_data(16)
    loader, model = data.Loader(x, y, 8), tiny_model(num_classes=4)
    path = tmp_path / "net.pt"
    train.save_checkpoint(path, model)
    optimizer = train.make_optimizer(model, train.Config())
    fit = dict(
        model=model, train_loader=loader, val_loader=loader, config=train.Config(epochs=1),
        callback=None, progress=False, log=None,
    )  # fmt: skip
    step = dict(
        model=model, x=loader.normalize(x[:4]), y=y[:4], optimizer=optimizer,
        label_smoothing=0.1, dtype=None, scaler=None,
    )  # fmt: skip
    evaluation = dict(model=model, loader=loader, tta=True, amp="off", channels_last=False)
    return {
        "all_reduce_in_threads": dict(tensors=[[1.0, 2.0], [3.0, 4.0]]),
        "all_reduce_sum": dict(tensor=torch.ones(2)),
        "broadcast_buffers": dict(model=model),
        "close_distributed": {},
        "current_process": {},
        "init_distributed": dict(backend="auto"),
        "is_main_process": {},
        "sync_batchnorm": dict(model=tiny_model(), device="cpu", enabled=True),
        "amp_dtype": dict(device="cpu", amp="off"),
        "evaluate": evaluation,
        "predict": evaluation,
        "fit": fit,
        "load_checkpoint": dict(path=path, model=model, map_location="cpu"),
        "save_checkpoint": dict(path=path, model=model, config=train.Config(), history={}),
        "lr_factor": dict(step=1, total_steps=10, warmup=0.2, schedule="linear"),
        "make_optimizer": dict(model=model, config=train.Config()),
        "pick_device": dict(name="cpu"),
        "recipe": dict(fast=True),
        "seed_everything": dict(seed=0),
        "synchronize": dict(device="cpu"),
        "train_step": step,
        "weight_decay_groups": dict(model=model, weight_decay=1e-4),
    }


def test_every_config_field_refuses_an_unusable_value_by_name():
    for field in dataclasses.fields(train.Config):
        with pytest.raises((TypeError, ValueError), match=rf"\b{field.name}\b.* must\b"):
            train.Config(**{field.name: Unusable()})


def test_evaluate_keeps_no_autograd_graph():
    """evaluate must not record the graph of every batch (it once did: 22 GB on CIFAR-10)."""
    model = FastNet(widths=(4, 4, 4))
    images = torch.zeros(8, 3, 32, 32, dtype=torch.uint8)
    loader = data.Loader(images, torch.zeros(8, dtype=torch.long), batch_size=4)
    seen = []
    model.register_forward_hook(lambda m, args, out: seen.append(out.requires_grad))
    train.evaluate(model, loader)
    assert seen and not any(seen)
