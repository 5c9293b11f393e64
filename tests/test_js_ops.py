"""``cnnviz/explorers/static/ops.js`` against :mod:`cnnviz.ops`, in headless Chromium.

The kernel-free explorers compute convolution, pooling, activations and softmax in the
browser with ``ops.js`` (the global ``cnnvizOps``). Here the same random settings go to both
sides: every result must agree with NumPy to ``rtol=1e-6`` and every impossible setting must
throw in JavaScript the error that Python raises (same class name, same message), with
``.param`` naming the argument to change. ``erf``, ``erfc`` and GELU are also checked against
forms without cancellation, because cnnviz.ops' GELU, ``(1 + erf(x / sqrt 2)) / 2``, loses its
relative accuracy for large negative x.

Chromium is the system one and the page is blank (no server, no network); ``playwright
install`` is never needed. Without Chromium or Playwright the tests skip, unless
``CNNVIZ_REQUIRE_BROWSER=1`` (CI), where they fail.
"""

from __future__ import annotations

import math
import os
import re
from pathlib import Path

import numpy as np
import pytest

from cnnviz import ops
from cnnviz._checks import check_array

REPO = Path(__file__).resolve().parents[1]
OPS_JS = REPO / "cnnviz" / "explorers" / "static" / "ops.js"
CORE_JS = OPS_JS.with_name("core.js")  # the size rule ops.js calls
REQUIRE_BROWSER = os.environ.get("CNNVIZ_REQUIRE_BROWSER") == "1"
RTOL = 1e-6
# Absolute floor of the comparisons with cnnviz.ops: where ops itself cancels (1 - y*y of
# tanh_derivative and y*(1 - y) of sigmoid_derivative for large x, 1 + erf(x / sqrt 2) of
# GELU below x = -5) its relative error exceeds 1e-6 while its absolute error stays < 1e-15.
ATOL = 1e-12
CASES_PER_FAMILY = 60  # random settings per op family; at least 50 of them must be valid

# Runs a batch of calls in the page: [{op, args}] -> [{ok: result} or {error: {...}}]. An
# argument {__array__: true, shape, data} becomes {shape, data: Float64Array}.
HARNESS = """
window.runCases = function (cases) {
  var ops = window.cnnvizOps;
  function decode(a) {
    if (a && typeof a === "object" && a.__array__) {
      return {shape: a.shape, data: Float64Array.from(a.data)};
    }
    return a;
  }
  function encode(v) {
    if (typeof v === "number") {
      return {scalar: v};
    }
    if (Array.isArray(v)) {
      return {tuple: v.map(encode)};
    }
    if (ArrayBuffer.isView(v)) {
      return {shape: [v.length], data: Array.from(v), kind: v.constructor.name};
    }
    return {shape: v.shape, data: Array.from(v.data), kind: v.data.constructor.name};
  }
  return cases.map(function (c) {
    try {
      return {ok: encode(ops[c.op].apply(null, c.args.map(decode)))};
    } catch (e) {
      var param = e.param === undefined ? null : e.param;
      return {error: {name: e.name, message: e.message, param: param}};
    }
  });
};
"""


def _blank_page(browser, errors):
    """A page with no document from anywhere and every request refused, holding ops.js."""
    page = browser.new_page()
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.route("**/*", lambda route: route.abort())
    page.set_content("<!doctype html><title>ops.js</title><body></body>")
    page.add_script_tag(content=CORE_JS.read_text("utf-8"))
    page.add_script_tag(content=OPS_JS.read_text("utf-8"))
    return page


@pytest.fixture(scope="module")
def page(browser):
    errors = []
    page = _blank_page(browser, errors)
    page.add_script_tag(content=HARNESS)
    yield page
    page.close()
    assert not errors, errors


# ---------------------------------------------------------------------------------------------
# Running one batch on both sides
# ---------------------------------------------------------------------------------------------


def _js(a):
    """An ndarray as the harness's argument for a {shape, data} array."""
    a = np.asarray(a, dtype=np.float64)
    return {"__array__": True, "shape": list(a.shape), "data": a.ravel().tolist()}


def _decode(value):
    if "scalar" in value:
        return np.float64(value["scalar"])
    if "tuple" in value:
        return tuple(_decode(v) for v in value["tuple"])
    return np.array(value["data"], dtype=np.float64).reshape(value["shape"])


def _expected_param(name, message):
    """The .param an error must carry: the argument its message starts with."""
    if name == "KernelDoesNotFitError":
        return "kernel"
    return re.match(r"\w+", message).group()


def _run(page, cases, atol=ATOL):
    """Run ``cases`` [(op, js_args, python_call)] in one page.evaluate and compare each.

    A Python call that raises ValueError or TypeError is an impossible setting: JavaScript
    must throw an error of the same class name and message. Returns the number of valid
    settings (those that computed).
    """
    results = page.evaluate(
        "cases => window.runCases(cases)", [{"op": op, "args": args} for op, args, _ in cases]
    )
    valid = 0
    for (op, args, call), result in zip(cases, results, strict=True):
        where = f"{op}{tuple(args)!r:.300}"
        try:
            expected = call()
        except (ValueError, TypeError) as error:
            assert "error" in result, f"{where}: Python raised {error!r}, JS returned a result"
            got = result["error"]
            assert (got["name"], got["message"]) == (type(error).__name__, str(error)), where
            assert got["param"] == _expected_param(got["name"], got["message"]), where
            continue
        assert "ok" in result, f"{where}: JS threw {result.get('error')}"
        got = _decode(result["ok"])
        if isinstance(expected, tuple):
            assert isinstance(got, tuple) and len(got) == len(expected), where
            for g, e in zip(got, expected, strict=True):
                if e.dtype.kind in "iu":  # pooling indices: exactly
                    np.testing.assert_array_equal(g, e, err_msg=where)
                np.testing.assert_allclose(g, e, rtol=RTOL, atol=atol, err_msg=where)
                assert np.shape(g) == np.shape(e), where
        else:
            np.testing.assert_allclose(got, expected, rtol=RTOL, atol=atol, err_msg=where)
            assert np.shape(got) == np.shape(expected), where
        valid += 1
    return valid


def _pair_or_int(rng, low, high):
    if rng.random() < 0.7:
        return int(rng.integers(low, high + 1))
    return [int(v) for v in rng.integers(low, high + 1, size=2)]


def _image(rng, shape):
    """Random floats, or small integers half of the time (ties for the pooling index rule)."""
    if rng.random() < 0.5:
        return rng.integers(0, 4, size=shape).astype(np.float64)
    return rng.normal(size=shape)


# ---------------------------------------------------------------------------------------------
# Random settings, one family at a time
# ---------------------------------------------------------------------------------------------


def test_conv2d_random_settings(page):
    rng = np.random.default_rng(20261129)
    cases = []
    for _ in range(2 * CASES_PER_FAMILY):
        x = rng.normal(size=tuple(rng.integers(1, 13, size=2)))
        w = rng.normal(size=tuple(rng.integers(1, 6, size=2)))
        options = {
            "stride": _pair_or_int(rng, 1, 3),
            "dilation": _pair_or_int(rng, 1, 2),
            "padding": (
                str(rng.choice(["same", "valid"]))
                if rng.random() < 0.15
                else _pair_or_int(rng, 0, 3)
            ),
            "padding_mode": str(rng.choice(["zeros", "reflect", "replicate", "circular"])),
        }
        if rng.random() < 0.2:
            options["stride"] = 1
        if rng.random() < 0.2:
            options["bias"] = float(rng.normal())
        cases.append(
            ("conv2d", [_js(x), _js(w), options], lambda x=x, w=w, o=options: ops.conv2d(x, w, **o))
        )
    # 'same' with an even kernel: the odd extra pixel goes bottom/right, as in torch
    x = rng.normal(size=(6, 7))
    for shape, mode in [((2, 4), "zeros"), ((4, 3), "reflect"), ((2, 2), "circular")]:
        w = rng.normal(size=shape)
        options = {"padding": "same", "padding_mode": mode}
        cases.append(
            ("conv2d", [_js(x), _js(w), options], lambda w=w, o=options: ops.conv2d(x, w, **o))
        )
    assert _run(page, cases) >= 50 + 3


def test_conv2d_channels_random_settings(page):
    """Unbatched (C, H, W) inputs with (O, C, kh, kw) filters and an (O,) bias (the network
    explorer's layers), including channel and bias mismatches."""
    rng = np.random.default_rng(20261130)
    cases = []
    for _ in range(CASES_PER_FAMILY + 20):
        c, o = (int(n) for n in rng.integers(1, 5, size=2))
        x = rng.normal(size=(c, *rng.integers(1, 10, size=2)))
        w = rng.normal(size=(o, c if rng.random() < 0.9 else c + 1, *rng.integers(1, 4, size=2)))
        options = {
            "stride": _pair_or_int(rng, 1, 2),
            "dilation": _pair_or_int(rng, 1, 2),
            "padding": _pair_or_int(rng, 0, 2),
            "padding_mode": str(rng.choice(["zeros", "reflect", "replicate", "circular"])),
        }
        if rng.random() < 0.6:
            options["bias"] = _js(rng.normal(size=o if rng.random() < 0.9 else o + 1))
        python = {k: _decode_js(v) for k, v in options.items()}
        cases.append(
            ("conv2d", [_js(x), _js(w), options], lambda x=x, w=w, o=python: ops.conv2d(x, w, **o))
        )
    assert _run(page, cases) >= 50


def _decode_js(value):
    """A harness argument back as Python's (an ndarray for {__array__: true, ...})."""
    if isinstance(value, dict) and value.get("__array__"):
        return np.array(value["data"], dtype=np.float64).reshape(value["shape"])
    return value


def test_linear_random_settings(page):
    rng = np.random.default_rng(20261131)
    cases = []
    for _ in range(CASES_PER_FAMILY):
        n_in, n_out = (int(n) for n in rng.integers(0, 7, size=2))
        lead = tuple(int(n) for n in rng.integers(1, 4, size=int(rng.integers(0, 3))))
        x = rng.normal(size=(*lead, n_in if rng.random() < 0.9 else n_in + 1))
        w = rng.normal(size=(n_out, n_in))
        options = {}
        if rng.random() < 0.6:
            options["bias"] = _js(rng.normal(size=n_out if rng.random() < 0.9 else n_out + 1))
        bias = _decode_js(options.get("bias"))
        cases.append(
            ("linear", [_js(x), _js(w), options], lambda x=x, w=w, b=bias: ops.linear(x, w, b))
        )
    cases.append(
        ("linear", [_js(np.ones(3)), _js(np.ones(3))], lambda: ops.linear(np.ones(3), np.ones(3)))
    )
    assert _run(page, cases) >= 45


def test_pad2d_random_settings(page):
    rng = np.random.default_rng(1)
    cases = []
    for _ in range(CASES_PER_FAMILY + 20):
        x = rng.normal(size=tuple(rng.integers(1, 7, size=2)))
        padding = (
            [int(p) for p in rng.integers(0, 5, size=4)]
            if rng.random() < 0.4
            else _pair_or_int(rng, 0, 4)
        )
        options = {"mode": str(rng.choice(["constant", "reflect", "replicate", "circular"]))}
        if rng.random() < 0.3:
            options["value"] = float(rng.normal())
        cases.append(
            (
                "pad2d",
                [_js(x), padding, options],
                lambda x=x, p=padding, o=options: ops.pad2d(x, p, **o),
            )
        )
    assert _run(page, cases) >= 50


def _pool_setting(rng, dilation=True):
    """An image, or a (C, H, W) stack a third of the time (C may be 0), and a setting."""
    hw = tuple(int(n) for n in rng.integers(1, 11, size=2))
    x = _image(rng, (int(rng.integers(0, 4)), *hw) if rng.random() < 0.35 else hw)
    kernel = _pair_or_int(rng, 1, 4)
    options = {"padding": _pair_or_int(rng, 0, 2)}
    if rng.random() < 0.7:
        options["stride"] = _pair_or_int(rng, 1, 3)
    if dilation and rng.random() < 0.4:
        options["dilation"] = _pair_or_int(rng, 1, 2)
    return x, kernel, options


def test_max_pool2d_random_settings(page):
    rng = np.random.default_rng(2)
    cases = []
    for _ in range(3 * CASES_PER_FAMILY):
        x, kernel, options = _pool_setting(rng)
        options["return_indices"] = bool(rng.random() < 0.6)
        cases.append(
            (
                "max_pool2d",
                [_js(x), kernel, options],
                lambda x=x, k=kernel, o=options: ops.max_pool2d(x, k, **o),
            )
        )
    assert _run(page, cases) >= 50


def _min_pool_reference(x, kernel, options):
    """cnnviz.ops.min_pool2d, and -max_pool2d(-x) for its indices and dilation."""
    options = dict(options)
    if options.get("dilation", 1) == 1 and not options.get("return_indices"):
        options.pop("dilation", None)
        options.pop("return_indices", None)
        return ops.min_pool2d(x, kernel, **options)
    result = ops.max_pool2d(-x, kernel, **options)
    if options.get("return_indices"):
        return -result[0], result[1]
    return -result


def test_min_pool2d_random_settings(page):
    rng = np.random.default_rng(3)
    cases = []
    for _ in range(3 * CASES_PER_FAMILY):
        x, kernel, options = _pool_setting(rng)
        options["return_indices"] = bool(rng.random() < 0.6)
        cases.append(
            (
                "min_pool2d",
                [_js(x), kernel, options],
                lambda x=x, k=kernel, o=options: _min_pool_reference(x, k, o),
            )
        )
    assert _run(page, cases) >= 50


def test_avg_pool2d_random_settings(page):
    rng = np.random.default_rng(4)
    cases = []
    for _ in range(3 * CASES_PER_FAMILY):
        x, kernel, options = _pool_setting(rng, dilation=False)
        options["count_include_pad"] = bool(rng.random() < 0.5)
        cases.append(
            (
                "avg_pool2d",
                [_js(x), kernel, options],
                lambda x=x, k=kernel, o=options: ops.avg_pool2d(x, k, **o),
            )
        )
    assert _run(page, cases) >= 50


def _activation_x(rng):
    """Values of every size: around 0, around the kinks, large, and a few extreme."""
    parts = [
        rng.normal(0, 1, 8),
        rng.normal(0, 10, 6),
        rng.uniform(-1e4, 1e4, 3),
        rng.choice([-1.0, 1.0], 3) * 10.0 ** rng.uniform(-300, 100, 3),
        [0.0, -0.75],
    ]
    return np.concatenate(parts)


ACTIVATION_OPTIONS = {
    "relu": lambda rng: {},
    "leaky_relu": lambda rng: {"negative_slope": float(rng.choice([0.01, 0.2, rng.normal()]))},
    "sigmoid": lambda rng: {},
    "tanh": lambda rng: {},
    "gelu": lambda rng: {"approximate": str(rng.choice(["none", "tanh"]))},
}


@pytest.mark.parametrize("name", list(ops.ACTIVATIONS))
@pytest.mark.parametrize("derivative", [False, True], ids=["function", "derivative"])
def test_activations_random_settings(page, name, derivative):
    activation = ops.ACTIVATIONS[name]
    python = activation.derivative if derivative else activation.function
    op = f"{name}_derivative" if derivative else name
    rng = np.random.default_rng(sorted(ops.ACTIVATIONS).index(name) * 2 + derivative)
    cases = []
    for _ in range(CASES_PER_FAMILY):
        x = _activation_x(rng)
        options = ACTIVATION_OPTIONS[name](rng)
        args = [_js(x), options] if options else [_js(x)]
        cases.append((op, args, lambda x=x, o=options: python(x, **o)))
    assert _run(page, cases) == CASES_PER_FAMILY
    if name == "gelu":
        # Where ops' Phi does not cancel (x >= -5), the agreement is relative, with no floor.
        strict = []
        for _, args, _ in cases:
            x = np.array(args[0]["data"])
            x = x[x >= -5]
            strict.append((op, [_js(x), args[1]], lambda x=x, o=args[1]: python(x, **o)))
        assert _run(page, strict, atol=0) == CASES_PER_FAMILY


def test_softmax_log_softmax_cross_entropy_random_settings(page):
    rng = np.random.default_rng(5)
    cases = []
    for _ in range(CASES_PER_FAMILY):
        k = int(rng.integers(1, 13))
        logits = rng.normal(0, float(rng.choice([1, 10, 1000])), k)
        temperature = 1.0 if rng.random() < 0.2 else float(10 ** rng.uniform(-1.5, 1.5))
        target = int(rng.integers(0, k))
        probs = rng.dirichlet(np.ones(k))
        cases += [
            (
                "softmax",
                [_js(logits), {"temperature": temperature}],
                lambda z=logits, t=temperature: ops.softmax(z, temperature=t),
            ),
            ("log_softmax", [_js(logits)], lambda z=logits: ops.log_softmax(z)),
            (
                "cross_entropy",
                [logits.tolist(), target],
                lambda z=logits, t=target: ops.cross_entropy(z, t),
            ),
            (
                "cross_entropy",
                [logits.tolist(), probs.tolist()],
                lambda z=logits, p=probs: ops.cross_entropy(z, p),
            ),
        ]
        rows = rng.normal(0, 5, (int(rng.integers(1, 4)), k))  # a batch: softmax of each row
        cases.append(
            (
                "softmax",
                [_js(rows), {"temperature": temperature}],
                lambda z=rows, t=temperature: ops.softmax(z, temperature=t),
            )
        )
    assert _run(page, cases) == 5 * CASES_PER_FAMILY


# ---------------------------------------------------------------------------------------------
# Impossible settings: same error, same message, the control named
# ---------------------------------------------------------------------------------------------

X3 = np.arange(9.0).reshape(3, 3)
X5 = np.arange(25.0).reshape(5, 5)
K3 = np.ones((3, 3))
K5 = np.ones((5, 5))
ROW = np.arange(4.0).reshape(1, 4)
EMPTY = np.zeros((0, 3))

ERROR_CASES = [
    # (op, js args, python call, .param)
    ("conv2d", [_js(X3), _js(K5)], lambda: ops.conv2d(X3, K5), "kernel"),
    (
        "conv2d",
        [_js(X5), _js(K3), {"dilation": 3}],
        lambda: ops.conv2d(X5, K3, dilation=3),
        "kernel",
    ),
    (
        "conv2d",
        [_js(X3), _js(K3), {"padding": 3, "padding_mode": "reflect"}],
        lambda: ops.conv2d(X3, K3, padding=3, padding_mode="reflect"),
        "padding",
    ),
    (
        "conv2d",
        [_js(X3[:2, :2]), _js(np.ones((1, 1))), {"padding": 3, "padding_mode": "circular"}],
        lambda: ops.conv2d(X3[:2, :2], np.ones((1, 1)), padding=3, padding_mode="circular"),
        "padding",
    ),
    ("conv2d", [_js(X5), _js(K3), {"stride": 0}], lambda: ops.conv2d(X5, K3, stride=0), "stride"),
    (
        "conv2d",
        [_js(X5), _js(K3), {"stride": 1.5}],
        lambda: ops.conv2d(X5, K3, stride=1.5),
        "stride",
    ),
    (
        "conv2d",
        [_js(X5), _js(K3), {"dilation": [1, 0]}],
        lambda: ops.conv2d(X5, K3, dilation=[1, 0]),
        "dilation",
    ),
    (
        "conv2d",
        [_js(X5), _js(K3), {"padding": -1}],
        lambda: ops.conv2d(X5, K3, padding=-1),
        "padding",
    ),
    (
        "conv2d",
        [_js(X5), _js(K3), {"padding": 0.5}],
        lambda: ops.conv2d(X5, K3, padding=0.5),
        "padding",
    ),
    (
        "conv2d",
        [_js(X5), _js(K3), {"padding": "full"}],
        lambda: ops.conv2d(X5, K3, padding="full"),
        "padding",
    ),
    (
        "conv2d",
        [_js(X5), _js(K3), {"padding": "same", "stride": 2}],
        lambda: ops.conv2d(X5, K3, padding="same", stride=2),
        "stride",
    ),
    (
        "conv2d",
        [_js(X5), _js(K3), {"padding_mode": "mirror"}],
        lambda: ops.conv2d(X5, K3, padding_mode="mirror"),
        "padding_mode",
    ),
    ("conv2d", [_js(X5), _js(np.ones(3))], lambda: ops.conv2d(X5, np.ones(3)), "weight"),
    (
        "conv2d",
        [_js(X5), _js(K3), {"strides": 2}],
        lambda: ops.conv2d(X5, K3, strides=2),
        "strides",
    ),
    ("max_pool2d", [_js(X3), 5], lambda: ops.max_pool2d(X3, 5), "kernel"),
    ("max_pool2d", [_js(X3), 0], lambda: ops.max_pool2d(X3, 0), "kernel_size"),
    (
        "max_pool2d",
        [_js(X5), 2, {"padding": 2}],
        lambda: ops.max_pool2d(X5, 2, padding=2),
        "padding",
    ),
    (
        "max_pool2d",
        [_js(X5), 2, {"stride": [2, -1]}],
        lambda: ops.max_pool2d(X5, 2, stride=[2, -1]),
        "stride",
    ),
    (
        "min_pool2d",
        [_js(X5), 3, {"padding": [0, 2]}],
        lambda: ops.min_pool2d(X5, 3, padding=[0, 2]),
        "padding",
    ),
    ("avg_pool2d", [_js(X3), [2, 4]], lambda: ops.avg_pool2d(X3, [2, 4]), "kernel"),
    ("avg_pool2d", [_js(X3), "2"], lambda: ops.avg_pool2d(X3, "2"), "kernel_size"),
    (
        "avg_pool2d",
        [_js(X3), 2, {"dilation": 2}],
        lambda: ops.avg_pool2d(X3, 2, dilation=2),
        "dilation",
    ),
    (
        "pad2d",
        [_js(X3), 3, {"mode": "reflect"}],
        lambda: ops.pad2d(X3, 3, mode="reflect"),
        "padding",
    ),
    ("pad2d", [_js(X3), [1, 2, 3]], lambda: ops.pad2d(X3, [1, 2, 3]), "padding"),
    ("pad2d", [_js(X3), [1, 2, 3, -1]], lambda: ops.pad2d(X3, [1, 2, 3, -1]), "padding"),
    ("pad2d", [_js(X3), 1, {"mode": "zeros"}], lambda: ops.pad2d(X3, 1, mode="zeros"), "mode"),
    (
        "softmax",
        [[1.0, 2.0], {"temperature": 0}],
        lambda: ops.softmax([1.0, 2.0], temperature=0),
        "temperature",
    ),
    (
        "softmax",
        [[1.0, 2.0], {"temperature": -2.5}],
        lambda: ops.softmax([1.0, 2.0], temperature=-2.5),
        "temperature",
    ),
    (
        "softmax",
        [[1.0, 2.0], {"temperature": math.inf}],
        lambda: ops.softmax([1.0, 2.0], temperature=math.inf),
        "temperature",
    ),
    (
        "softmax",
        [[1.0, 2.0], {"temperature": "hot"}],
        lambda: ops.softmax([1.0, 2.0], temperature="hot"),
        "temperature",
    ),
    (
        "cross_entropy",
        [[1.0, 2.0, 3.0], 3],
        lambda: ops.cross_entropy([1.0, 2.0, 3.0], 3),
        "target",
    ),
    (
        "cross_entropy",
        [[1.0, 2.0, 3.0], -1],
        lambda: ops.cross_entropy([1.0, 2.0, 3.0], -1),
        "target",
    ),
    (
        "cross_entropy",
        [[1.0, 2.0, 3.0], 0.5],
        lambda: ops.cross_entropy([1.0, 2.0, 3.0], 0.5),
        "target",
    ),
    (
        "cross_entropy",
        [[1.0, 2.0, 3.0], [0.5, 0.5]],
        lambda: ops.cross_entropy([1.0, 2.0, 3.0], [0.5, 0.5]),
        "target",
    ),
    ("cross_entropy", [2.0, 0], lambda: ops.cross_entropy(2.0, 0), "logits"),
    (
        "gelu",
        [[1.0], {"approximate": "fast"}],
        lambda: ops.gelu([1.0], approximate="fast"),
        "approximate",
    ),
    (
        "leaky_relu",
        [[1.0], {"negative_slope": "a"}],
        lambda: ops.leaky_relu([1.0], negative_slope="a"),
        "negative_slope",
    ),
    (
        "leaky_relu",
        [[1.0], {"negative_slope": math.nan}],
        lambda: ops.leaky_relu([1.0], negative_slope=math.nan),
        "negative_slope",
    ),
    ("relu", [[1.0, "a"]], lambda: ops.relu(np.array([1.0, "a"], dtype=object)), "x"),
    # a dilated window that lies entirely in the padding (PoolPaddingError, second kind)
    (
        "max_pool2d",
        [_js(ROW), 2, {"padding": 1, "dilation": 2, "stride": 1}],
        lambda: ops.max_pool2d(ROW, 2, padding=1, dilation=2, stride=1),
        "padding",
    ),
    (
        "pad2d",
        [_js(EMPTY), 1, {"mode": "replicate"}],
        lambda: ops.pad2d(EMPTY, 1, mode="replicate"),
        "padding",
    ),
    ("max_pool2d", [_js(EMPTY), 1], lambda: ops.max_pool2d(EMPTY, 1), "x"),
    ("cross_entropy", [[], 0], lambda: ops.cross_entropy(np.zeros(0), 0), "logits"),
    (
        "cross_entropy",
        [[1.0, 2.0], 0, {"reduction": "max"}],
        lambda: ops.cross_entropy([1.0, 2.0], 0, reduction="max"),
        "reduction",
    ),
    (
        "max_pool2d",
        [_js(X5), 2, {"return_indices": 1}],
        lambda: ops.max_pool2d(X5, 2, return_indices=1),
        "return_indices",
    ),
    (
        "avg_pool2d",
        [_js(X5), 2, {"count_include_pad": "yes"}],
        lambda: ops.avg_pool2d(X5, 2, count_include_pad="yes"),
        "count_include_pad",
    ),
]


@pytest.mark.parametrize(
    "case", ERROR_CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(ERROR_CASES)]
)
def test_impossible_settings_throw_pythons_error(page, case):
    op, args, call, param = case
    with pytest.raises((ValueError, TypeError)) as python:
        call()
    [result] = page.evaluate("cases => window.runCases(cases)", [{"op": op, "args": args}])
    assert "error" in result, f"{op} returned {result} where Python raised {python.value!r}"
    got = result["error"]
    assert got["param"] == param
    if op == "relu":  # NumPy words a non-numeric array by its dtype; JS names the value
        assert got["name"] == "TypeError" and got["message"].startswith("x must be a real numeric")
        return
    assert (got["name"], got["message"]) == (type(python.value).__name__, str(python.value))


def test_kernel_error_carries_its_facts(page):
    facts = page.evaluate(
        """() => {
          var ops = window.cnnvizOps;
          try {
            ops.conv2d(ops.array([[1, 2, 3], [4, 5, 6], [7, 8, 9]]), ops.array([[1, 1, 1]]),
                       {dilation: [1, 2], padding: [0, 0]});
          } catch (e) {
            return {name: e.name, param: e.param, kernel: e.kernel, dilation: e.dilation,
                    extent: e.extent, padded: e.padded, message: e.message, is: e instanceof Error};
          }
        }"""
    )
    assert facts == {
        "name": "KernelDoesNotFitError",
        "param": "kernel",
        "kernel": [1, 3],
        "dilation": [1, 2],
        "extent": [1, 5],
        "padded": [3, 3],
        "message": "kernel (1, 3) with dilation (1, 2) does not fit the padded input (3, 3): "
        "it spans (1, 5)",
        "is": True,
    }


PADDING_ERROR_CASES = [
    ("pad2d", [_js(X3[:2]), 2, {"mode": "reflect"}], lambda: ops.pad2d(X3[:2], 2, mode="reflect")),
    (
        "conv2d",
        [_js(X3[:2]), _js(K3), {"padding": [1, 4], "padding_mode": "circular"}],
        lambda: ops.conv2d(X3[:2], K3, padding=[1, 4], padding_mode="circular"),
    ),
    (
        "max_pool2d",
        [_js(X5), [2, 3], {"padding": [2, 1]}],
        lambda: ops.max_pool2d(X5, [2, 3], padding=[2, 1]),
    ),
    (
        "min_pool2d",
        [_js(ROW), 2, {"padding": 1, "dilation": 2, "stride": 1}],
        lambda: ops.max_pool2d(-ROW, 2, padding=1, dilation=2, stride=1),
    ),
]


@pytest.mark.parametrize(
    "op, args, call", PADDING_ERROR_CASES, ids=[c[0] for c in PADDING_ERROR_CASES]
)
def test_padding_errors_carry_pythons_facts(page, op, args, call):
    with pytest.raises(ValueError) as python:
        call()
    facts = page.evaluate(
        """([op, args]) => {
          try {
            var arrays = args.map(a => (a.__array__ ? {shape: a.shape, data: a.data} : a));
            cnnvizOps[op].apply(null, arrays);
          } catch (e) {
            return {name: e.name, param: e.param, padding: e.padding, mode: e.mode, size: e.size,
                    kernel_size: e.kernel_size, dilation: e.dilation, limit: e.limit};
          }
        }""",
        [op, args],
    )
    error = python.value

    def plain(value):
        return None if value is None else (list(value) if isinstance(value, tuple) else value)

    assert facts == {
        "name": type(error).__name__,
        "param": "padding",
        **{
            key: plain(getattr(error, key))
            for key in ("padding", "mode", "size", "kernel_size", "dilation", "limit")
        },
    }


def test_unbatched_only_messages_follow_the_convention(page):
    """JS takes 2-D images and unbatched (C, H, W) inputs only (no batch axis); its message is
    the one check_array gives for ndims (2, 3)."""
    with pytest.raises(ValueError) as python:
        check_array(np.ones(3), "x", (2, 3))
    [result] = page.evaluate(
        "cases => window.runCases(cases)", [{"op": "max_pool2d", "args": [_js(np.ones(3)), 2]}]
    )
    assert result["error"] == {"name": "ValueError", "message": str(python.value), "param": "x"}


def test_non_finite_values_follow_ops(page):
    """inf and NaN as cnnviz.ops (and torch) treat them, including which index a pool picks.

    The pooling index rule is torch's: the first maximum, the last NaN, and the first input
    pixel of a window of -inf (never the padding).
    """
    nan, inf = math.nan, math.inf
    x = np.array(
        [
            [1.0, nan, 3.0, nan, -inf],
            [-inf, -inf, 2.0, 3.0, -inf],
            [-inf, -inf, nan, inf, inf],
            [2.0, 2.0, -inf, 0.0, -inf],
        ]
    )
    cases = []
    for kernel, options in [
        (2, {}),
        (2, {"stride": 1, "padding": 1}),
        (3, {"stride": 1, "padding": 1}),
        ([2, 3], {"stride": [1, 2], "padding": [1, 1], "dilation": [1, 2]}),
        (3, {"stride": 2, "padding": 1, "dilation": 2}),
    ]:
        both = {**options, "return_indices": True}
        cases += [
            (
                "max_pool2d",
                [_js(x), kernel, both],
                lambda k=kernel, o=both: ops.max_pool2d(x, k, **o),
            ),
            (
                "min_pool2d",
                [_js(-x), kernel, both],
                lambda k=kernel, o=both: _min_pool_reference(-x, k, o),
            ),
        ]
        if "dilation" not in options:
            cases.append(
                (
                    "avg_pool2d",
                    [_js(x), kernel, options],
                    lambda k=kernel, o=options: ops.avg_pool2d(x, k, **o),
                )
            )
    cases.append(
        ("conv2d", [_js(x), _js(K3), {"padding": 1}], lambda: ops.conv2d(x, K3, padding=1))
    )
    values = np.array([nan, inf, -inf, 0.0, -0.0, 1e200, -1e200, 1e-320])
    for name, activation in ops.ACTIVATIONS.items():
        variants = [{}, {"approximate": "tanh"}] if name == "gelu" else [{}]
        for f, op in [(activation.function, name), (activation.derivative, f"{name}_derivative")]:
            cases += [(op, [_js(values), o], lambda f=f, o=o: f(values, **o)) for o in variants]
    rows = np.array([[0.0, -inf, 1.0], [inf, 0.0, 1.0], [nan, 0.0, 1.0], [-inf, -inf, -inf]])
    cases += [
        ("softmax", [_js(rows)], lambda: ops.softmax(rows)),
        ("log_softmax", [_js(rows)], lambda: ops.log_softmax(rows)),
        ("cross_entropy", [[0.0, -inf, 1.0], 1], lambda: ops.cross_entropy([0.0, -inf, 1.0], 1)),
        ("cross_entropy", [[0.0, -inf, 1.0], 0], lambda: ops.cross_entropy([0.0, -inf, 1.0], 0)),
    ]
    assert _run(page, cases) == len(cases)


# ---------------------------------------------------------------------------------------------
# erf and GELU against an accurate reference (more accurate than ops in the far negative tail)
# ---------------------------------------------------------------------------------------------


def test_erf_and_gelu_against_an_accurate_reference(page):
    """erf, erfc and GELU to 1e-12 relative, down to the underflow of their tails.

    The reference is SciPy's erf and erfc (Cephes) and, for GELU, forms without
    cancellation: Phi(x) = ndtr(x), which takes erfc for negative x, and 1 + tanh(u) as
    2 expit(2u). (During development ops.js was also checked against mpmath at 30 digits.)
    """
    from scipy.special import erf, erfc, expit, ndtr

    rng = np.random.default_rng(6)
    x = np.concatenate([np.linspace(-38, 38, 761), rng.normal(0, 4, 300), [-1e-300, 1e-300]])
    got = np.array(
        page.evaluate(
            """xs => { var o = window.cnnvizOps; return xs.map(v => [o.erf(v), o.erfc(v),
                o.gelu(v), o.gelu_derivative(v), o.gelu(v, {approximate: "tanh"}),
                o.gelu_derivative(v, {approximate: "tanh"})]); }""",
            x.tolist(),
        )
    )
    c, a = math.sqrt(2 / math.pi), 0.044715
    pdf = np.exp(-0.5 * x * x) / math.sqrt(2 * math.pi)
    u2 = 2 * c * (x + a * x**3)
    s, s_minus = expit(u2), expit(-u2)
    reference = np.stack(
        [
            erf(x),
            erfc(x),
            x * ndtr(x),
            ndtr(x) + x * pdf,
            x * s,
            s + 2 * x * s * s_minus * c * (1 + 3 * a * x**2),
        ],
        axis=1,
    )
    # Relative accuracy everywhere but in the subnormal range (|f| < 1e-300), where a double
    # has too few digits for any relative accuracy.
    normal = np.abs(reference) > 1e-300
    error = np.where(normal, np.abs(got - reference) / np.where(normal, np.abs(reference), 1), 0)
    names = ["erf", "erfc", "gelu", "gelu'", "gelu tanh", "gelu tanh'"]
    worst = dict(zip(names, error.max(0).tolist(), strict=True))
    assert error[:, :2].max() < 1e-13, worst
    assert error.max() < 1e-12, worst
    assert np.all(np.abs(got[~normal] - reference[~normal]) < 1e-300), worst


# ---------------------------------------------------------------------------------------------
# The page: inlinable, includable twice, the registry, input forms, speed
# ---------------------------------------------------------------------------------------------


def test_source_is_inlinable():
    text = OPS_JS.read_text("utf-8")
    assert "</" not in text, "ops.js is inlined in a <script>: write <\\/ instead"
    assert not any(line.startswith(("const ", "let ")) for line in text.splitlines())


def test_including_twice_keeps_one_object(browser):
    errors = []
    page = _blank_page(browser, errors)
    try:
        page.evaluate("() => { window.firstOps = window.cnnvizOps; }")
        page.add_script_tag(content=CORE_JS.read_text("utf-8"))
        page.add_script_tag(content=OPS_JS.read_text("utf-8"))
        same = page.evaluate("() => window.firstOps === window.cnnvizOps && cnnvizOps === firstOps")
    finally:
        page.close()
    assert not errors, errors
    assert same


def test_padding_modes_match_python(page):
    assert page.evaluate("() => Array.from(cnnvizOps.PADDING_MODES)") == list(ops.PADDING_MODES)


def test_activation_registry_matches_python(page):
    registry = page.evaluate(
        """() => Object.keys(cnnvizOps.ACTIVATIONS).map(name => {
             var a = cnnvizOps.ACTIVATIONS[name];
             return [name, a.name, a.label, a.torch_module, a.options,
                     a.function === cnnvizOps[name],
                     a.derivative === cnnvizOps[name + "_derivative"]];
           })"""
    )
    assert registry == [
        [name, a.name, a.label, a.torch_module, a.options, True, True]
        for name, a in ops.ACTIVATIONS.items()
    ]


def test_input_forms_and_inputs_left_alone(page):
    """Nested Arrays, {shape, data} with a plain Array, numbers; the input is never written."""
    out = page.evaluate(
        """() => {
          var o = cnnvizOps;
          var data = Float64Array.from([0, 1, 2, 3, 4, 5, 6, 7, 8]);
          var x = {shape: [3, 3], data: data};
          var a = o.conv2d(x, [[0, 1], [2, 3]], {padding: 1, padding_mode: "reflect"});
          var b = o.conv2d({shape: [3, 3], data: Array.from(data)},
                           {shape: [2, 2], data: [0, 1, 2, 3]},
                           {padding: 1, padding_mode: "reflect"});
          o.max_pool2d(x, 2, {padding: 1}); o.pad2d(x, 2, {mode: "circular"});
          return {same: Array.from(a.data).join() === Array.from(b.data).join(),
                  untouched: Array.from(data).join(), relu: o.relu(-2),
                  vector: o.relu([-1, 2]) instanceof Float64Array,
                  array: o.relu(x).shape, softmax: Array.from(o.softmax([1000, -1000])),
                  ce: o.cross_entropy([1000, -1000], 1)};
        }"""
    )
    assert out == {
        "same": True,
        "untouched": "0,1,2,3,4,5,6,7,8",
        "relu": 0,
        "vector": True,
        "array": [3, 3],
        "softmax": [1, 0],
        "ce": 2000,
    }


def test_conv2d_128_by_128_with_a_7_by_7_kernel_is_fast(page):
    """The explorers redraw on every slider move: one frame is 16 ms."""
    median_ms = page.evaluate(
        """() => {
          var o = cnnvizOps, n = 128, x = new Float64Array(n * n), w = new Float64Array(49);
          for (var i = 0; i < x.length; i++) { x[i] = Math.sin(i); }
          for (i = 0; i < w.length; i++) { w[i] = Math.cos(i); }
          var image = {shape: [n, n], data: x}, kernel = {shape: [7, 7], data: w}, times = [];
          for (i = 0; i < 50; i++) {
            var t0 = performance.now();
            o.conv2d(image, kernel, {padding: 3, padding_mode: "reflect"});
            times.push(performance.now() - t0);
          }
          times.sort((a, b) => a - b);
          return times[25];
        }"""
    )
    assert median_ms < 16, f"conv2d 128x128 * 7x7 took {median_ms:.1f} ms (median of 50)"
