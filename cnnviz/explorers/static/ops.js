// cnnviz.ops in JavaScript: the math of the kernel-free explorers (convolution, padding,
// pooling, activations and their derivatives, softmax and cross-entropy), with the names,
// arguments, results and error messages of the NumPy functions in cnnviz/ops/.
// tests/test_js_ops.py compares every function with cnnviz.ops in Chromium.
//
// Arrays are {shape: [H, W], data: Float64Array}, row-major; the window ops take one 2-D
// image (with a 2-D kernel), which is what the layer explorers draw, or an unbatched
// (C, H, W) input (with (O, C, kh, kw) filters), which is what the network explorer runs.
// Python's keyword arguments become a trailing options object with the same names:
//   cnnvizOps.conv2d(x, weight, {stride: 2, padding: 1, dilation: 1, padding_mode: "zeros"})
// An unknown option is an error, as an unknown keyword argument is in Python.
//
// A bad argument throws an Error whose message is the one cnnviz.ops gives, whose name is the
// Python class (ValueError, TypeError, KernelDoesNotFitError, PaddingExceedsInputError,
// PoolPaddingError), and whose .param names the argument to change ("padding", "stride",
// "kernel", ...), so that an explorer can point at the control. The errors of Python that
// carry facts carry the same ones here, as arrays:
//   KernelDoesNotFitError (.param "kernel"): .kernel, .dilation, .extent, .padded, .what;
//   PaddingExceedsInputError, PoolPaddingError (.param "padding"): .padding, .mode, .size,
//   .kernel_size, .dilation, .limit (null where they do not apply), as cnnviz.ops.PaddingError.
//
// Plain ES2017 with no modules; it needs static/core.js (cnnvizCore) loaded before it. The text is inlined in a <script>
// element, so it must never contain a less-than sign followed by a slash. Including it twice
// on one page is harmless: the second copy reuses the first object.
var cnnvizOps = (typeof window !== "undefined" && window.cnnvizOps) || (function () {
  "use strict";

  // -------------------------------------------------------------------------------------------
  // Errors and argument checks (the convention of cnnviz._checks:
  // "<name> must be <rule>, got <value>", TypeError for a wrong type, ValueError otherwise)
  // -------------------------------------------------------------------------------------------

  function opsError(kind, param, message) {
    var error = new Error(message);
    error.name = kind;
    error.param = param;
    return error;
  }

  function valueError(param, message) {
    return opsError("ValueError", param, message);
  }

  function typeError(param, message) {
    return opsError("TypeError", param, message);
  }

  // A float as Python's repr writes it: 0.0, 1.5, 1e-05, 1e+16, inf, nan.
  function floatRepr(v) {
    if (v !== v) {
      return "nan";
    }
    if (v === Infinity || v === -Infinity) {
      return v > 0 ? "inf" : "-inf";
    }
    var a = Math.abs(v);
    if (a !== 0 && (a < 1e-4 || a >= 1e16)) {
      var parts = v.toExponential().split("e");
      var exponent = Number(parts[1]);
      var digits = String(Math.abs(exponent));
      return parts[0] + "e" + (exponent < 0 ? "-" : "+") + (digits.length < 2 ? "0" : "") + digits;
    }
    if (Number.isInteger(v)) {
      return (Object.is(v, -0) ? "-0" : String(v)) + ".0";
    }
    return String(v);
  }

  // A value as Python's repr writes the same value: 3, 1.5, 'same', [1, 2], True, None.
  function repr(v) {
    if (v === null || v === undefined) {
      return "None";
    }
    if (typeof v === "boolean") {
      return v ? "True" : "False";
    }
    if (typeof v === "number") {
      return Number.isInteger(v) ? String(v) : floatRepr(v);
    }
    if (typeof v === "string") {
      if (v.indexOf("'") >= 0 && v.indexOf('"') < 0) {
        return '"' + v + '"';
      }
      return "'" + v.replace(/\\/g, "\\\\").replace(/'/g, "\\'") + "'";
    }
    if (Array.isArray(v) || ArrayBuffer.isView(v)) {
      return "[" + Array.from(v).map(repr).join(", ") + "]";
    }
    if (typeof v === "object" && Array.isArray(v.shape)) {
      return "array of shape " + tupleText(v.shape);
    }
    return String(v);
  }

  // A tuple as Python prints it: (3, 4), (3,), ().
  function tupleText(values) {
    var items = Array.from(values).map(String);
    return "(" + items.join(", ") + (items.length === 1 ? ",)" : ")");
  }

  function isInt(v) {
    return typeof v === "number" && Number.isInteger(v);
  }

  function isSequence(v) {
    return Array.isArray(v) || ArrayBuffer.isView(v);
  }

  function rangeRule(minimum) {
    return minimum === 0 ? "non-negative" : minimum === 1 ? "positive" : "at least " + minimum;
  }

  // An int or a pair of ints, each at least minimum, as [h, w] (cnnviz._checks.check_pair).
  function checkPair(value, name, minimum) {
    var pair;
    if (isInt(value)) {
      pair = [value, value];
    } else if (isSequence(value) && value.length === 2 && isInt(value[0]) && isInt(value[1])) {
      pair = [value[0], value[1]];
    } else {
      throw typeError(name, name + " must be an int or a pair of ints, got " + repr(value));
    }
    if (Math.min(pair[0], pair[1]) < minimum) {
      throw valueError(name, name + " must be " + rangeRule(minimum) + ", got " + repr(value));
    }
    return pair;
  }

  // A finite real number (cnnviz._checks.check_number), optionally strictly positive.
  function checkNumber(value, name, positive) {
    if (typeof value !== "number") {
      throw typeError(name, name + " must be a real number, got " + repr(value));
    }
    if (!Number.isFinite(value)) {
      throw valueError(name, name + " must be finite, got " + floatRepr(value));
    }
    if (positive && !(value > 0)) {
      throw valueError(name, name + " must be positive, got " + floatRepr(value));
    }
    return value;
  }

  function checkBool(value, name) {
    if (typeof value !== "boolean") {
      throw typeError(name, name + " must be True or False, got " + repr(value));
    }
    return value;
  }

  function checkChoice(value, name, choices) {
    if (choices.indexOf(value) < 0) {
      throw valueError(
        name,
        name + " must be one of " + choices.map(repr).join(", ") + ", got " + repr(value)
      );
    }
    return value;
  }

  // The options object of function `fname`, refusing names it does not take, as Python refuses
  // an unexpected keyword argument.
  function checkOptions(options, allowed, fname) {
    if (options === undefined || options === null) {
      return {};
    }
    if (typeof options !== "object" || isSequence(options)) {
      throw typeError(
        "options",
        fname + "() takes its keyword arguments as an options object, got " + repr(options)
      );
    }
    Object.keys(options).forEach(function (key) {
      if (allowed.indexOf(key) < 0) {
        throw typeError(key, fname + "() got an unexpected keyword argument '" + key + "'");
      }
    });
    return options;
  }

  function option(options, name, fallback) {
    return options[name] === undefined ? fallback : options[name];
  }

  // -------------------------------------------------------------------------------------------
  // Arrays: {shape, data: Float64Array}, row-major
  // -------------------------------------------------------------------------------------------

  function size(shape) {
    return shape.reduce(function (a, b) {
      return a * b;
    }, 1);
  }

  function numericData(values, name) {
    if (values instanceof Float64Array) {
      return values;
    }
    if (ArrayBuffer.isView(values)) {
      return Float64Array.from(values);
    }
    var data = new Float64Array(values.length);
    for (var i = 0; i < values.length; i++) {
      var v = values[i];
      if (typeof v === "number") {
        data[i] = v;
      } else if (typeof v === "boolean") {
        data[i] = v ? 1 : 0;
      } else {
        throw typeError(name, name + " must be a real numeric array, got " + repr(v) +
          " at flat index " + i);
      }
    }
    return data;
  }

  // Shape and values of a (nested) Array, checked to be rectangular.
  function nested(values, name) {
    var shape = [];
    var level = values;
    while (Array.isArray(level)) {
      shape.push(level.length);
      level = level[0];
    }
    var flat = [];
    (function walk(v, depth) {
      if (depth === shape.length) {
        if (Array.isArray(v)) {
          throw typeError(name, name + " must be a rectangular numeric array, got a ragged " +
            "nested Array");
        }
        flat.push(v);
        return;
      }
      if (!Array.isArray(v) || v.length !== shape[depth]) {
        throw typeError(name, name + " must be a rectangular numeric array, got a ragged " +
          "nested Array");
      }
      for (var i = 0; i < v.length; i++) {
        walk(v[i], depth + 1);
      }
    })(values, 0);
    return { shape: shape, data: numericData(flat, name) };
  }

  // Any accepted input as {shape, data: Float64Array}: a {shape, data} object, a (nested)
  // Array, a typed array (1-D) or a number (0-D). Float64Array data is used as it is, never
  // written to.
  function asArray(x, name) {
    if (typeof x === "number" || typeof x === "boolean") {
      return { shape: [], data: numericData([x], name) };
    }
    if (Array.isArray(x)) {
      return nested(x, name);
    }
    if (ArrayBuffer.isView(x)) {
      return { shape: [x.length], data: numericData(x, name) };
    }
    if (x && typeof x === "object" && x.shape !== undefined && x.data !== undefined) {
      if (!isSequence(x.shape) || !Array.from(x.shape).every(function (n) {
        return isInt(n) && n >= 0;
      })) {
        throw typeError(name, name + ".shape must be an Array of non-negative ints, got " +
          repr(x.shape));
      }
      if (!isSequence(x.data)) {
        throw typeError(name, name + ".data must be a Float64Array or an Array of numbers, got " +
          repr(x.data));
      }
      var shape = Array.from(x.shape);
      if (x.data.length !== size(shape)) {
        throw valueError(name, name + ".data must hold " + size(shape) + " values for shape " +
          tupleText(shape) + ", got " + x.data.length);
      }
      return { shape: shape, data: numericData(x.data, name) };
    }
    throw typeError(name, name + " must be a real numeric array, got " + repr(x));
  }

  function checkPlane(x) {
    if (x.data.length === 0) {
      throw valueError("x", "x must have a non-empty H x W plane, got shape " +
        tupleText(x.shape));
    }
    return x;
  }

  // The input of a pooling op: an image [H, W] or an unbatched (C, H, W) stack of them, with a
  // non-empty H x W plane.
  function asImages(x) {
    var a = asArray(x, "x");
    if (a.shape.length !== 2 && a.shape.length !== 3) {
      throw valueError("x", "x must have 2 (H, W) or 3 (C, H, W) dimensions, got shape " +
        tupleText(a.shape));
    }
    if (a.shape[a.shape.length - 1] === 0 || a.shape[a.shape.length - 2] === 0) {
      throw valueError("x", "x must have a non-empty H x W plane, got shape " +
        tupleText(a.shape));
    }
    return a;
  }

  // f(plane) for each H x W plane of a (C, H, W) input, stacked into (C, oh, ow) (f may return
  // [values, indices]); f(x) itself for an [H, W] image.
  function eachPlane(x, f) {
    if (x.shape.length === 2) {
      return f(x);
    }
    var h = x.shape[1];
    var w = x.shape[2];
    var n = h * w;
    var parts = [];
    for (var c = 0; c < Math.max(1, x.shape[0]); c++) {
      var plane = x.shape[0] ? x.data.subarray(c * n, (c + 1) * n) : new Float64Array(n);
      var result = f({ shape: [h, w], data: plane });
      parts.push(Array.isArray(result) ? result : [result]);
    }
    var stacked = parts[0].map(function (first, k) {
      var m = first.data.length;
      var data = new first.data.constructor(x.shape[0] * m);
      for (var c = 0; c < x.shape[0]; c++) {
        data.set(parts[c][k].data, c * m);
      }
      return { shape: [x.shape[0]].concat(first.shape), data: data };
    });
    return stacked.length === 1 ? stacked[0] : stacked;
  }

  // {shape, data} from values: array([[1, 2], [3, 4]]) or array([1, 2, 3, 4], [2, 2]).
  function array(values, shape) {
    if (shape === undefined) {
      return asArray(values, "values");
    }
    return asArray({ shape: shape, data: values }, "values");
  }

  // -------------------------------------------------------------------------------------------
  // Padding and the size rule (cnnviz.ops.windows, cnnviz.arithmetic)
  // -------------------------------------------------------------------------------------------

  var PAD_MODES = ["constant", "reflect", "replicate", "circular"];
  var CONV_PAD_MODES = { zeros: "constant", reflect: "reflect", replicate: "replicate",
    circular: "circular" };

  // padding (int, [ph, pw] or [left, right, top, bottom]) as [left, right, top, bottom].
  function pad4Of(padding) {
    var rule = "an int, a pair (ph, pw) or a 4-tuple (left, right, top, bottom) of ints";
    if (isSequence(padding) && padding.length === 4) {
      if (!Array.from(padding).every(isInt)) {
        throw typeError("padding", "padding must be " + rule + ", got " + repr(padding));
      }
      if (Math.min.apply(null, Array.from(padding)) < 0) {
        throw valueError("padding", "padding must be non-negative, got " + repr(padding));
      }
      return Array.from(padding);
    }
    return symmetricPad4(padding, rule);
  }

  // An int or [ph, pw] padding as [left, right, top, bottom]; rule names the other forms.
  function symmetricPad4(padding, rule) {
    var pair;
    try {
      pair = checkPair(padding, "padding", 0);
    } catch (error) {
      if (error.name !== "TypeError") {
        throw error;
      }
      throw typeError("padding", "padding must be " + rule + ", got " + repr(padding));
    }
    return [pair[1], pair[1], pair[0], pair[0]];
  }

  // Where padded position i (counted from the first real pixel) reads from, or -1 (fill).
  function sourceIndex(i, n, mode) {
    if (i >= 0 && i < n) {
      return i;
    }
    if (mode === "constant") {
      return -1;
    }
    if (mode === "replicate") {
      return i < 0 ? 0 : n - 1;
    }
    if (mode === "reflect") {
      return i < 0 ? -i : 2 * (n - 1) - i;
    }
    return ((i % n) + n) % n; // circular
  }

  // The error of cnnviz.ops.PaddingError, with its facts (null where they do not apply).
  function paddingError(kind, message, facts) {
    var error = opsError(kind, "padding", message);
    ["padding", "mode", "size", "kernel_size", "dilation", "limit"].forEach(function (key) {
      error[key] = facts[key] === undefined ? null : facts[key];
    });
    return error;
  }

  // PaddingExceedsInputError: reflect padding must be smaller than the side it mirrors,
  // circular padding at most the side, and no mode but zeros can pad along an empty axis.
  // The largest padding per side along H and W (null: any), as ops._padding_limit.
  function paddingLimit(size, mode) {
    return size.map(function (n) {
      if (n === 0) {
        return 0;
      }
      return mode === "reflect" ? n - 1 : mode === "circular" ? n : null;
    });
  }

  function checkPaddingFits(pad4, size, mode) {
    if (mode === "constant" || !pad4.some(Boolean)) {
      return;
    }
    var limit = paddingLimit(size, mode);
    var wanted = [Math.max(pad4[2], pad4[3]), Math.max(pad4[0], pad4[1])];
    if (!wanted.some(function (p, axis) { return limit[axis] !== null && p > limit[axis]; })) {
      return;
    }
    var rule = size.indexOf(0) >= 0 ? "0 along an empty axis of the input" :
      mode === "reflect" ? "smaller than the input" : "at most the input";
    var shown = limit.map(function (n) { return n === null ? "any" : n; });
    throw paddingError("PaddingExceedsInputError", "padding must be " + rule + " (H, W) = " +
      tupleText(size) + " in " + mode + " mode (at most " + shown[0] + " above and below, " +
      shown[1] + " left and right), got (left, right, top, bottom) = " + tupleText(pad4),
      { padding: pad4.slice(), size: size.slice(), mode: mode, limit: limit });
  }

  // x ({shape: [H, W]}) padded by pad4 = [left, right, top, bottom]; the rules of _pad.
  function padImage(x, pad4, mode, value) {
    var h = x.shape[0];
    var w = x.shape[1];
    var left = pad4[0];
    var right = pad4[1];
    var top = pad4[2];
    var bottom = pad4[3];
    checkPaddingFits(pad4, [h, w], mode);
    var hp = top + h + bottom;
    var wp = left + w + right;
    var src = x.data;
    var out = new Float64Array(hp * wp);
    var columns = new Int32Array(wp);
    for (var c = 0; c < wp; c++) {
      columns[c] = sourceIndex(c - left, w, mode);
    }
    for (var r = 0; r < hp; r++) {
      var row = sourceIndex(r - top, h, mode);
      var o = r * wp;
      if (row < 0) {
        out.fill(value, o, o + wp);
        continue;
      }
      var s = row * w;
      for (c = 0; c < wp; c++) {
        var sc = columns[c];
        out[o + c] = sc < 0 ? value : src[s + sc];
      }
    }
    return { shape: [hp, wp], data: out };
  }

  // The output [oh, ow] of a window scan over an already padded [hp, wp]; throws the error of
  // cnnviz.arithmetic.KernelDoesNotFitError when the dilated kernel does not fit. The rule is
  // cnnvizCore's (static/core.js, the one JavaScript copy of cnnviz.arithmetic).
  function outputShape(padded, kernel, stride, dilation) {
    try {
      cnnvizCore.checkFits(padded, kernel, dilation);
    } catch (error) {
      error.param = "kernel";
      throw error;
    }
    return [0, 1].map(function (axis) {
      return cnnvizCore.formulaO(padded[axis], kernel[axis], 0, stride[axis], dilation[axis]);
    });
  }

  /**
   * Pad an image: pad2d(x, padding, {mode: "constant", value: 0}).
   * padding: p (every side), [ph, pw] or [left, right, top, bottom] (torch.nn.functional.pad).
   * mode: "constant" (fill with value), "reflect" (mirror, edge not repeated; padding smaller
   * than the side), "replicate" (repeat the edge), "circular" (wrap; padding at most the side).
   * Example: pad2d(array([[1, 2, 3]]), [2, 0, 0, 0], {mode: "reflect"}) -> [[3, 2, 1, 2, 3]]
   */
  function pad2d(x, padding, options) {
    options = checkOptions(options, ["mode", "value"], "pad2d");
    x = asArray(x, "x");
    if (x.shape.length !== 2) {
      throw valueError("x", "x must have 2 (H, W) dimensions, got shape " + tupleText(x.shape));
    }
    var mode = checkChoice(option(options, "mode", "constant"), "mode", PAD_MODES);
    var value = option(options, "value", 0);
    if (typeof value !== "number") {
      throw typeError("value", "value must be a real number, got " + repr(value));
    }
    return padImage(x, pad4Of(padding), mode, value);
  }

  // -------------------------------------------------------------------------------------------
  // Convolution (cnnviz.ops.conv)
  // -------------------------------------------------------------------------------------------

  // conv2d's padding (int, pair, "valid" or "same") as [left, right, top, bottom].
  function convPadding(padding, kernel, dilation, stride) {
    if (typeof padding === "string") {
      checkChoice(padding, "padding", ["valid", "same"]);
      if (padding === "valid") {
        return [0, 0, 0, 0];
      }
      if (stride[0] !== 1 || stride[1] !== 1) {
        throw valueError("stride", "stride must be 1 for padding='same', got " +
          tupleText(stride));
      }
      // Total d(k - 1) per axis; an odd total puts the extra pixel bottom/right, as torch.
      var totalH = dilation[0] * (kernel[0] - 1);
      var totalW = dilation[1] * (kernel[1] - 1);
      var top = Math.floor(totalH / 2);
      var left = Math.floor(totalW / 2);
      return [left, totalW - left, top, totalH - top];
    }
    return symmetricPad4(padding, "an int, a pair of ints, 'valid' or 'same'");
  }

  /**
   * 2-D cross-correlation, as torch.nn.functional.conv2d (the kernel is not flipped):
   * conv2d(x, weight, {stride: 1, padding: 0, dilation: 1, padding_mode: "zeros", bias: null}).
   * x is one image [H, W] with a kernel weight [kh, kw] and a number bias, or an unbatched
   * (C, H, W) input with filters (O, C, kh, kw) and an (O,) bias (groups = 1), which returns
   * {shape: [O, oh, ow]}: output channel o sums the C planes correlated with weight[o, c].
   * stride, dilation: int or [h, w]; padding: int, [ph, pw], "valid" or "same" (stride 1;
   * an odd total padding puts the extra pixel bottom/right); padding_mode: "zeros",
   * "reflect", "replicate" or "circular"; bias: a number added to every output.
   * Returns {shape: [oh, ow], data}, oh = floor((H + 2ph - dh(kh - 1) - 1) / sh) + 1.
   * Example (d2l.ai): conv2d(array([[0, 1, 2], [3, 4, 5], [6, 7, 8]]), array([[0, 1], [2, 3]]))
   * -> [[19, 25], [37, 43]]
   */
  function conv2d(x, weight, options) {
    options = checkOptions(
      options, ["stride", "padding", "dilation", "padding_mode", "bias"], "conv2d"
    );
    x = asArray(x, "x");
    if (x.shape.length === 3) {
      return convChannels(x, asArray(weight, "weight"), options);
    }
    if (x.shape.length !== 2) {
      throw valueError("x", "x must have 2 (H, W) or 3 (C, H, W) dimensions, got shape " +
        tupleText(x.shape));
    }
    weight = asArray(weight, "weight");
    if (weight.shape.length !== 2) {
      throw valueError("weight", "weight must be a 2-D kernel (kh, kw) for the 2-D image x " +
        tupleText(x.shape) + ", got shape " + tupleText(weight.shape));
    }
    if (weight.data.length === 0) {
      throw valueError("weight", "weight must not be empty, got shape " +
        tupleText(weight.shape));
    }
    checkPlane(x);
    var bias = option(options, "bias", null);
    if (bias !== null) {
      if (isSequence(bias) && bias.length === 1) {
        bias = bias[0];
      }
      if (typeof bias !== "number") {
        throw typeError("bias", "bias must be a number (or [b]) for a 2-D image, got " +
          repr(bias));
      }
    }
    var scan = convScan(x.shape, weight.shape, options);
    var xp = paddedPlane(x.data, x.shape, scan);
    var out = new Float64Array(scan.oh * scan.ow);
    correlate(xp, weight.data, 0, scan, out);
    if (bias !== null) {
      for (var i = 0; i < out.length; i++) {
        out[i] += bias;
      }
    }
    return { shape: [scan.oh, scan.ow], data: out };
  }

  // The checked stride, dilation, padding and sizes of a convolution of an [.., H, W] input
  // with an [.., kh, kw] kernel: what correlate() needs.
  function convScan(xShape, wShape, options) {
    var h = xShape[xShape.length - 2];
    var w = xShape[xShape.length - 1];
    var kernel = wShape.slice(-2);
    var stride = checkPair(option(options, "stride", 1), "stride", 1);
    var dilation = checkPair(option(options, "dilation", 1), "dilation", 1);
    var pad4 = convPadding(option(options, "padding", 0), kernel, dilation, stride);
    var padMode = checkChoice(
      option(options, "padding_mode", "zeros"), "padding_mode", Object.keys(CONV_PAD_MODES)
    );
    var padded = [h + pad4[2] + pad4[3], w + pad4[0] + pad4[1]];
    var outHW = outputShape(padded, kernel, stride, dilation);
    return { size: [h, w], kernel: kernel, stride: stride, dilation: dilation, pad4: pad4,
      mode: CONV_PAD_MODES[padMode], padded: padded, oh: outHW[0], ow: outHW[1] };
  }

  // One H x W plane (values at `data`), padded as the scan says.
  function paddedPlane(data, shape, scan) {
    var plane = { shape: scan.size, data: data };
    return scan.pad4.some(Boolean) ? padImage(plane, scan.pad4, scan.mode, 0).data : data;
  }

  // Adds the cross-correlation of the padded plane xp with the kernel at w[offset...] to out,
  // one kernel tap at a time: out[oy, ox] += w[ky, kx] * xp[oy * sh + ky * dh, ox * sw + kx * dw]
  // (the inner loop runs along a row of out, which the JIT compiles to a tight loop).
  function correlate(xp, w, offset, scan, out) {
    var wp = scan.padded[1];
    var oh = scan.oh;
    var ow = scan.ow;
    var rowStep = scan.stride[0] * wp;
    var colStep = scan.stride[1];
    var t = offset;
    for (var ky = 0; ky < scan.kernel[0]; ky++) {
      for (var kx = 0; kx < scan.kernel[1]; kx++) {
        var weight = w[t++];
        var tap = ky * scan.dilation[0] * wp + kx * scan.dilation[1];
        for (var oy = 0; oy < oh; oy++) {
          var p = oy * rowStep + tap;
          var o = oy * ow;
          for (var ox = 0; ox < ow; ox++) {
            out[o + ox] += weight * xp[p + ox * colStep];
          }
        }
      }
    }
  }

  // The window of output pixel (oy, ox) across all padded planes, in weight's (C, kh, kw)
  // order, into `window` (im2col, one window at a time).
  function gather(planes, scan, oy, ox, window) {
    var wp = scan.padded[1];
    var start = oy * scan.stride[0] * wp + ox * scan.stride[1];
    var rowTap = scan.dilation[0] * wp;
    var i = 0;
    for (var c = 0; c < planes.length; c++) {
      var plane = planes[c];
      for (var ky = 0; ky < scan.kernel[0]; ky++) {
        var p = start + ky * rowTap;
        for (var kx = 0; kx < scan.kernel[1]; kx++) {
          window[i++] = plane[p + kx * scan.dilation[1]];
        }
      }
    }
  }

  // sum_i w[offset + i] * window[i]
  function dot(w, offset, window) {
    var sum = 0;
    for (var i = 0; i < window.length; i++) {
      sum += w[offset + i] * window[i];
    }
    return sum;
  }

  // conv2d of an unbatched (C, H, W) input with (O, C, kh, kw) filters and an optional (O,)
  // bias (groups = 1), as torch.nn.functional.conv2d: output channel o is the sum over c of
  // input plane c correlated with weight[o, c], plus bias[o]; computed as the dot product of
  // each window (all C planes) with each filter. Returns {shape: [O, oh, ow]}.
  function convChannels(x, weight, options) {
    if (weight.shape.length !== 4) {
      throw valueError("weight", "weight must have 4 dimensions (out_channels, " +
        "in_channels / groups, kh, kw) for x of shape " + tupleText(x.shape) +
        ", got shape " + tupleText(weight.shape));
    }
    var channels = x.shape[0];
    var outChannels = weight.shape[0];
    if (weight.shape[1] !== channels) {
      throw valueError("x", "x must have " + weight.shape[1] + " x 1 = " + weight.shape[1] +
        " channels to match weight " + tupleText(weight.shape) + " with groups=1, got " +
        channels + " channels in shape " + tupleText([1].concat(x.shape)));
    }
    if (weight.data.length === 0) {
      throw valueError("weight", "weight must not be empty, got shape " +
        tupleText(weight.shape));
    }
    if (x.shape[1] === 0 || x.shape[2] === 0) {
      throw valueError("x", "x must have a non-empty H x W plane, got shape " +
        tupleText([1].concat(x.shape)));
    }
    var bias = option(options, "bias", null);
    if (bias !== null) {
      bias = asArray(bias, "bias");
      if (bias.shape.length !== 1 || bias.shape[0] !== outChannels) {
        throw valueError("bias", "bias must have shape " + tupleText([outChannels]) +
          " to match weight " + tupleText(weight.shape) + ", got " + tupleText(bias.shape));
      }
    }
    var scan = convScan(x.shape, weight.shape, options);
    var n = scan.size[0] * scan.size[1];
    var planes = [];
    for (var c = 0; c < channels; c++) {
      planes.push(paddedPlane(x.data.subarray(c * n, (c + 1) * n), x.shape, scan));
    }
    var m = scan.oh * scan.ow;
    var out = new Float64Array(outChannels * m);
    var window = new Float64Array(weight.data.length / outChannels);
    for (var oy = 0; oy < scan.oh; oy++) {
      for (var ox = 0; ox < scan.ow; ox++) {
        gather(planes, scan, oy, ox, window);
        for (var o = 0; o < outChannels; o++) {
          out[o * m + oy * scan.ow + ox] = dot(weight.data, o * window.length, window) +
            (bias === null ? 0 : bias.data[o]);
        }
      }
    }
    return { shape: [outChannels, scan.oh, scan.ow], data: out };
  }

  // -------------------------------------------------------------------------------------------
  // Pooling (cnnviz.ops.pool)
  // -------------------------------------------------------------------------------------------

  // Checked [kernel, stride, padding, dilation] pairs of a pooling op, as torch checks them.
  function poolArgs(kernelSize, stride, padding, dilation) {
    var kernel = checkPair(kernelSize, "kernel_size", 1);
    stride = stride === undefined || stride === null ? kernel : checkPair(stride, "stride", 1);
    padding = checkPair(padding, "padding", 0);
    dilation = checkPair(dilation, "dilation", 1);
    if (2 * padding[0] > kernel[0] || 2 * padding[1] > kernel[1]) {
      throw paddingError("PoolPaddingError", "padding must be at most half of kernel_size " +
        tupleText(kernel) + " (torch's rule: a window must never lie entirely in the " +
        "padding), got " + tupleText(padding), poolFacts(padding, kernel, dilation, null));
    }
    return [kernel, stride, padding, dilation];
  }

  function poolFacts(padding, kernel, dilation, size) {
    return {
      padding: padding.slice(), kernel_size: kernel.slice(), dilation: dilation.slice(),
      size: size, limit: [Math.floor(kernel[0] / 2), Math.floor(kernel[1] / 2)]
    };
  }

  // The first tap of a window that lands on the input (length n), or -1 when none does.
  // The window starts at `start` (a padded position minus the padding) with k taps d apart.
  function firstTap(start, n, k, d) {
    for (var t = 0; t < k; t++) {
      var i = start + t * d;
      if (i >= 0 && i < n) {
        return t;
      }
    }
    return -1;
  }

  // PoolPaddingError when a dilated window lies entirely in the padding (padding at most half
  // the kernel rules it out without dilation).
  function checkWindowsReachInput(size, kernel, stride, padding, dilation, outHW) {
    if (dilation[0] === 1 && dilation[1] === 1) {
      return;
    }
    for (var axis = 0; axis < 2; axis++) {
      for (var o = 0; o < outHW[axis]; o++) {
        var start = o * stride[axis] - padding[axis];
        if (firstTap(start, size[axis], kernel[axis], dilation[axis]) < 0) {
          throw paddingError("PoolPaddingError", "padding must leave every window at least " +
            "one pixel of the input " + tupleText(size) + ", got " + tupleText(padding) +
            ": with kernel_size " + tupleText(kernel) + " and dilation " + tupleText(dilation) +
            " a window lies entirely in the padding",
            poolFacts(padding, kernel, dilation, size.slice()));
        }
      }
    }
  }

  // Max (isMax) or min pooling of a checked image, with the flat input index of each result.
  // The rule is torch's CPU kernel (and cnnviz.ops.max_pool2d's): scan the window's input
  // pixels in row-major order (padding taps are skipped: they count as -inf for max, +inf for
  // min) and keep the first one beyond all before it, where NaN counts as beyond anything.
  // So equal extremes give the first one; a window holding NaN gives NaN and the index of its
  // LAST NaN; a window of -inf only (+inf for min) gives its first input pixel.
  function extremePool(x, args, isMax, returnIndices) {
    var kernel = args[0];
    var stride = args[1];
    var padding = args[2];
    var dilation = args[3];
    var h = x.shape[0];
    var w = x.shape[1];
    var padded = [h + 2 * padding[0], w + 2 * padding[1]];
    var outHW = outputShape(padded, kernel, stride, dilation);
    checkWindowsReachInput([h, w], kernel, stride, padding, dilation, outHW);
    var oh = outHW[0];
    var ow = outHW[1];
    var data = x.data;
    var values = new Float64Array(oh * ow);
    var indices = returnIndices ? new Int32Array(oh * ow) : null;
    var start = isMax ? -Infinity : Infinity;
    for (var oy = 0; oy < oh; oy++) {
      var row0 = oy * stride[0] - padding[0];
      var ki0 = firstTap(row0, h, kernel[0], dilation[0]);
      for (var ox = 0; ox < ow; ox++) {
        var col0 = ox * stride[1] - padding[1];
        var kj0 = firstTap(col0, w, kernel[1], dilation[1]);
        var best = start;
        var bestIndex = (row0 + ki0 * dilation[0]) * w + col0 + kj0 * dilation[1];
        for (var ki = ki0; ki < kernel[0]; ki++) {
          var row = row0 + ki * dilation[0];
          if (row >= h) {
            break;
          }
          for (var kj = kj0; kj < kernel[1]; kj++) {
            var col = col0 + kj * dilation[1];
            if (col >= w) {
              break;
            }
            var v = data[row * w + col];
            if ((isMax ? v > best : v < best) || v !== v) {
              best = v;
              bestIndex = row * w + col;
            }
          }
        }
        values[oy * ow + ox] = best;
        if (returnIndices) {
          indices[oy * ow + ox] = bestIndex;
        }
      }
    }
    var result = { shape: [oh, ow], data: values };
    return returnIndices ? [result, { shape: [oh, ow], data: indices }] : result;
  }

  function extremePoolChecked(x, kernel_size, options, isMax, fname) {
    options = checkOptions(options, ["stride", "padding", "dilation", "return_indices"], fname);
    x = asImages(x);
    var args = poolArgs(
      kernel_size, options.stride, option(options, "padding", 0), option(options, "dilation", 1)
    );
    var returnIndices = checkBool(option(options, "return_indices", false), "return_indices");
    return eachPlane(x, function (plane) {
      return extremePool(plane, args, isMax, returnIndices);
    });
  }

  /**
   * Max pooling, as torch.nn.functional.max_pool2d: max_pool2d(x, kernel_size, {stride:
   * kernel_size, padding: 0, dilation: 1, return_indices: false}). Padding (at most half the
   * kernel) counts as -inf. With return_indices, returns [values, indices], indices holding
   * the flat index row * W + col of each maximum in the unpadded input (Int32Array), chosen
   * by torch's rule (see extremePool): always a pixel of the input, never the padding.
   * Example: max_pool2d(array([[1, 0], [4, 6]]), 2) -> [[6]]
   */
  function max_pool2d(x, kernel_size, options) {
    return extremePoolChecked(x, kernel_size, options, true, "max_pool2d");
  }

  /**
   * Min pooling, -max_pool2d(-x): min_pool2d(x, kernel_size, {stride, padding, dilation,
   * return_indices}); padding counts as +inf, indices follow the rule of max_pool2d with the
   * order reversed (the first minimum; the last NaN). cnnviz.ops.min_pool2d has no dilation
   * or return_indices: these equal -max_pool2d(-x, ..., dilation, return_indices) there.
   */
  function min_pool2d(x, kernel_size, options) {
    return extremePoolChecked(x, kernel_size, options, false, "min_pool2d");
  }

  /**
   * Average pooling, as torch.nn.functional.avg_pool2d: avg_pool2d(x, kernel_size, {stride:
   * kernel_size, padding: 0, count_include_pad: true}). Zero padding, at most half the
   * kernel; count_include_pad false divides by the real pixels of each window instead of kh*kw.
   * Example: avg_pool2d(array([[1, 0], [4, 6]]), 2) -> [[2.75]]
   */
  function avg_pool2d(x, kernel_size, options) {
    options = checkOptions(options, ["stride", "padding", "count_include_pad"], "avg_pool2d");
    x = asImages(x);
    var args = poolArgs(kernel_size, options.stride, option(options, "padding", 0), 1);
    var includePad = checkBool(option(options, "count_include_pad", true), "count_include_pad");
    return eachPlane(x, function (plane) {
      return averagePool(plane, args, includePad);
    });
  }

  function averagePool(x, args, includePad) {
    var kernel = args[0];
    var stride = args[1];
    var padding = args[2];
    var padded = padImage(x, [padding[1], padding[1], padding[0], padding[0]], "constant", 0);
    var outHW = outputShape(padded.shape, kernel, stride, [1, 1]);
    var oh = outHW[0];
    var ow = outHW[1];
    var h = x.shape[0];
    var w = x.shape[1];
    var wp = padded.shape[1];
    var xp = padded.data;
    var out = new Float64Array(oh * ow);
    for (var oy = 0; oy < oh; oy++) {
      var r0 = oy * stride[0];
      // real rows of the window: padded rows [r0, r0 + kh) that fall on [ph, ph + H)
      var rows = Math.min(r0 + kernel[0], padding[0] + h) - Math.max(r0, padding[0]);
      for (var ox = 0; ox < ow; ox++) {
        var c0 = ox * stride[1];
        var sum = 0;
        for (var ki = 0; ki < kernel[0]; ki++) {
          var p = (r0 + ki) * wp + c0;
          for (var kj = 0; kj < kernel[1]; kj++) {
            sum += xp[p + kj];
          }
        }
        var count = kernel[0] * kernel[1];
        if (!includePad && (padding[0] || padding[1])) {
          count = rows * (Math.min(c0 + kernel[1], padding[1] + w) - Math.max(c0, padding[1]));
        }
        out[oy * ow + ox] = sum / count;
      }
    }
    return { shape: [oh, ow], data: out };
  }

  // -------------------------------------------------------------------------------------------
  // The error function (NumPy has none; cnnviz.ops uses scipy.special.erf)
  // -------------------------------------------------------------------------------------------
  // Small |x| (|x| < 2 for erf, < 1 for erfc): the series
  //   erf(x) = 2/sqrt(pi) exp(-x^2) sum_n (2x^2)^n / (1*3*...*(2n+1)),
  // whose terms are all positive (no cancellation). Larger |x|: the continued fraction of
  // Laplace in its even form,
  //   erfc(y) = y exp(-y^2) / sqrt(pi) / (y^2 + 1/2 - a1 / (y^2 + 5/2 - a2 / (y^2 + 9/2 - ...))),
  // a_n = n(2n - 1)/2, evaluated by the modified Lentz method (83 terms at y = 1, 28 at y = 2,
  // 8 at y = 5). exp(-y^2) is taken as exp(-hi^2) exp(-(y - hi)(y + hi)) with hi^2 exact, so
  // that the rounding of y^2 does not spoil the far tail. Against mpmath (tests/test_js_ops.py)
  // the relative error is about 1e-15 for erf and below 1e-13 for erfc down to its underflow
  // (y ~ 27), so Phi(x) = erfc(-x / sqrt 2) / 2 keeps its relative accuracy for large negative
  // x, where 1 + erf(x / sqrt 2) cancels.

  var SQRT_PI = Math.sqrt(Math.PI);
  var SQRT_2PI = Math.sqrt(2 * Math.PI);
  var SQRT2 = Math.sqrt(2);
  var ERF_SERIES_LIMIT = 2; // erf: the series below, 1 - erfc above
  var ERFC_SERIES_LIMIT = 1; // erfc: 1 - the series below, the continued fraction above

  // exp(-y * y) for y >= 0, without the rounding error of y * y.
  function expMinusSquare(y) {
    var hi = Math.floor(y * 4096) / 4096;
    return Math.exp(-hi * hi) * Math.exp(-(y - hi) * (y + hi));
  }

  function erfSeries(x) {
    var x2 = x * x;
    var term = 1;
    var sum = 1;
    for (var n = 1; n < 200; n++) {
      term *= (2 * x2) / (2 * n + 1);
      sum += term;
      if (term <= sum * 1e-17) {
        break;
      }
    }
    return (2 / SQRT_PI) * x * expMinusSquare(Math.abs(x)) * sum;
  }

  function erfcContinuedFraction(y) {
    if (y > 28) {
      return 0; // erfc(28) < 1e-342: below the smallest double
    }
    var y2 = y * y;
    var tiny = 1e-300;
    var f = y2 + 0.5;
    var c = f;
    var d = 0;
    for (var n = 1; n < 1000; n++) {
      var a = -n * (2 * n - 1) / 2;
      var b = y2 + 2 * n + 0.5;
      d = b + a * d;
      d = 1 / (d === 0 ? tiny : d);
      c = b + a / c;
      if (c === 0) {
        c = tiny;
      }
      var delta = c * d;
      f *= delta;
      if (Math.abs(delta - 1) < 2e-16) {
        break;
      }
    }
    return (y * expMinusSquare(y)) / SQRT_PI / f;
  }

  /** The error function erf(x) = 2/sqrt(pi) * integral from 0 to x of exp(-t^2) dt. */
  function erf(x) {
    if (x !== x) {
      return x;
    }
    if (Math.abs(x) < ERF_SERIES_LIMIT) {
      return erfSeries(x);
    }
    var tail = erfcContinuedFraction(Math.abs(x));
    return x > 0 ? 1 - tail : tail - 1;
  }

  /** The complementary error function erfc(x) = 1 - erf(x), accurate where it is tiny. */
  function erfc(x) {
    if (x !== x) {
      return x;
    }
    if (Math.abs(x) < ERFC_SERIES_LIMIT) {
      return 1 - erfSeries(x);
    }
    var tail = erfcContinuedFraction(Math.abs(x));
    return x > 0 ? tail : 2 - tail;
  }

  // -------------------------------------------------------------------------------------------
  // Activations, each beside its derivative (cnnviz.ops.activations)
  // -------------------------------------------------------------------------------------------
  // Each takes a number (and returns a number), a vector (a flat Array or a typed array;
  // returns a Float64Array) or an array ({shape, data} or a nested Array; returns
  // {shape, data}); so do softmax and log_softmax. Derivatives follow torch's autograd at the
  // kinks: relu'(0) = 0, leaky_relu'(0) = negative_slope. inf and NaN follow IEEE arithmetic,
  // as in torch and cnnviz.ops.

  // x of an elementwise op, converted and checked once, with the form it came in.
  function valuesOf(x) {
    if (typeof x === "number") {
      return { form: "number", shape: [], data: [x] };
    }
    var a = asArray(x, "x");
    var vector = ArrayBuffer.isView(x) || (Array.isArray(x) && !Array.isArray(x[0]));
    return { form: vector ? "vector" : "array", shape: a.shape, data: a.data };
  }

  // The result of an op on valuesOf(x), in the form x came in.
  function inForm(values, out) {
    if (values.form === "number") {
      return out[0];
    }
    return values.form === "vector" ? out : { shape: values.shape, data: out };
  }

  // f applied to every value of valuesOf(x).
  function mapValues(values, f) {
    var data = values.data;
    var out = new Float64Array(data.length);
    for (var i = 0; i < out.length; i++) {
      out[i] = f(data[i]);
    }
    return inForm(values, out);
  }

  function reluScalar(v) {
    return v > 0 ? v : v === v ? 0 : v;
  }

  // Stable logistic: exp(-|v|) never overflows.
  function sigmoidScalar(v) {
    var e = Math.exp(-Math.abs(v));
    return v >= 0 ? 1 / (1 + e) : e / (1 + e);
  }

  /** ReLU, max(x, 0) (NaN stays NaN). */
  function relu(x) {
    return mapValues(valuesOf(x), reluScalar);
  }

  /** 0 where x <= 0, else 1 (0 at x = 0 and 1 at NaN, as autograd). */
  function relu_derivative(x) {
    return mapValues(valuesOf(x), function (v) {
      return v <= 0 ? 0 : 1;
    });
  }

  // The checked negative_slope of leaky_relu and its derivative (default 0.01).
  function negativeSlope(options) {
    return checkNumber(option(options, "negative_slope", 0.01), "negative_slope", false);
  }

  /** Leaky ReLU: x where positive, negative_slope * x elsewhere; {negative_slope: 0.01}. */
  function leaky_relu(x, options) {
    options = checkOptions(options, ["negative_slope"], "leaky_relu");
    var values = valuesOf(x);
    var slope = negativeSlope(options);
    return mapValues(values, function (v) {
      return v > 0 ? v : v * slope;
    });
  }

  /** 1 where x > 0, else negative_slope; {negative_slope: 0.01}. */
  function leaky_relu_derivative(x, options) {
    options = checkOptions(options, ["negative_slope"], "leaky_relu_derivative");
    var values = valuesOf(x);
    var slope = negativeSlope(options);
    return mapValues(values, function (v) {
      return v > 0 ? 1 : slope;
    });
  }

  /** Logistic sigmoid 1 / (1 + exp(-x)), without overflow for any x. */
  function sigmoid(x) {
    return mapValues(valuesOf(x), sigmoidScalar);
  }

  /** sigmoid(x) (1 - sigmoid(x)), at most 0.25 (at 0). */
  function sigmoid_derivative(x) {
    return mapValues(valuesOf(x), function (v) {
      var y = sigmoidScalar(v);
      return y * (1 - y);
    });
  }

  /** Hyperbolic tangent. */
  function tanh(x) {
    return mapValues(valuesOf(x), Math.tanh);
  }

  /** 1 - tanh(x)^2, at most 1 (at 0). */
  function tanh_derivative(x) {
    return mapValues(valuesOf(x), function (v) {
      var y = Math.tanh(v);
      return 1 - y * y;
    });
  }

  var GELU_C = Math.sqrt(2 / Math.PI);

  // GELU x Phi(x) and its derivative Phi(x) + x phi(x). "none": Phi(x) = erfc(-x / sqrt 2) / 2,
  // equal to cnnviz.ops' (1 + erf(x / sqrt 2)) / 2 but without its cancellation for large
  // negative x. "tanh": torch's 0.5 x (1 + tanh(u)), u = sqrt(2/pi) (x + 0.044715 x^3),
  // written as x sigmoid(2u) (the same function, 1 + tanh(u) = 2 sigmoid(2u)) for the same
  // reason; its derivative sigmoid(2u) + 2x sigmoid(2u) sigmoid(-2u) u'. At +-inf (and for
  // |x| > 1e154, where u' overflows) that is inf * 0 = NaN, as in torch and cnnviz.ops.
  function geluScalar(v, tanhForm) {
    if (tanhForm) {
      return v * sigmoidScalar(2 * GELU_C * (v + 0.044715 * v * v * v));
    }
    return 0.5 * v * erfc(-v / SQRT2);
  }

  function geluDerivativeScalar(v, tanhForm) {
    if (tanhForm) {
      var u2 = 2 * GELU_C * (v + 0.044715 * v * v * v);
      var s = sigmoidScalar(u2);
      var q = s * sigmoidScalar(-u2);
      var slope = GELU_C * (1 + 3 * 0.044715 * v * v);
      return s + 2 * v * q * slope;
    }
    return 0.5 * erfc(-v / SQRT2) + (v * Math.exp(-0.5 * v * v)) / SQRT_2PI;
  }

  // True for approximate "tanh", false for "none" (the default).
  function tanhApproximation(options) {
    var approximate = option(options, "approximate", "none");
    return checkChoice(approximate, "approximate", ["none", "tanh"]) === "tanh";
  }

  /** GELU x Phi(x); {approximate: "none"} (erf) or "tanh" (torch's approximation). */
  function gelu(x, options) {
    options = checkOptions(options, ["approximate"], "gelu");
    var values = valuesOf(x);
    var tanhForm = tanhApproximation(options);
    return mapValues(values, function (v) {
      return geluScalar(v, tanhForm);
    });
  }

  /** Derivative of gelu: Phi(x) + x phi(x) (of the tanh approximation with "tanh"). */
  function gelu_derivative(x, options) {
    options = checkOptions(options, ["approximate"], "gelu_derivative");
    var values = valuesOf(x);
    var tanhForm = tanhApproximation(options);
    return mapValues(values, function (v) {
      return geluDerivativeScalar(v, tanhForm);
    });
  }

  // name -> {name, label, function, derivative, torch_module, options}: the registry
  // cnnviz.ops.ACTIVATIONS, in the order the book introduces them.
  var ACTIVATIONS = {};
  [
    ["relu", "ReLU", relu, relu_derivative, "ReLU", {}],
    ["leaky_relu", "leaky ReLU", leaky_relu, leaky_relu_derivative, "LeakyReLU",
      { negative_slope: 0.01 }],
    ["sigmoid", "sigmoid", sigmoid, sigmoid_derivative, "Sigmoid", {}],
    ["tanh", "tanh", tanh, tanh_derivative, "Tanh", {}],
    ["gelu", "GELU", gelu, gelu_derivative, "GELU", { approximate: "none" }]
  ].forEach(function (a) {
    ACTIVATIONS[a[0]] = Object.freeze({
      name: a[0], label: a[1], function: a[2], derivative: a[3], torch_module: a[4],
      options: Object.freeze(a[5])
    });
  });
  Object.freeze(ACTIVATIONS);

  // -------------------------------------------------------------------------------------------
  // Softmax and cross-entropy (cnnviz.ops.loss), along the last axis
  // -------------------------------------------------------------------------------------------

  // f(data, start, n, out) on each row (the last axis) of valuesOf(x); a number is one row.
  function byRows(values, f) {
    var shape = values.shape;
    var n = shape.length ? shape[shape.length - 1] : 1;
    var out = new Float64Array(values.data.length);
    for (var start = 0; n > 0 && start < out.length; start += n) {
      f(values.data, start, n, out);
    }
    return inForm(values, out);
  }

  function rowMax(data, start, n) {
    var m = -Infinity;
    for (var i = start; i < start + n; i++) {
      if (data[i] > m || data[i] !== data[i]) {
        m = data[i];
        if (m !== m) {
          break;
        }
      }
    }
    return m;
  }

  // log softmax of one row: shifted - log(sum(exp(shifted))), shifted = z - max(z).
  function logSoftmaxRow(data, start, n, out) {
    var m = rowMax(data, start, n);
    var sum = 0;
    for (var i = start; i < start + n; i++) {
      out[i] = data[i] - m;
      sum += Math.exp(out[i]);
    }
    var logSum = Math.log(sum);
    for (i = start; i < start + n; i++) {
      out[i] -= logSum;
    }
  }

  /**
   * Softmax along the last axis, exp(x_i / T) / sum_j exp(x_j / T); {temperature: 1}.
   * The maximum is subtracted first, so logits of +-1000 do not overflow.
   * Example: softmax([2.5, 1.8, 0.2]) -> [0.626, 0.311, 0.063] (rounded)
   */
  function softmax(x, options) {
    options = checkOptions(options, ["temperature"], "softmax");
    var values = valuesOf(x);
    var temperature = checkNumber(option(options, "temperature", 1), "temperature", true);
    return byRows(values, function (data, start, n, out) {
      for (var i = start; i < start + n; i++) {
        out[i] = temperature !== 1 ? data[i] / temperature : data[i];
      }
      var m = rowMax(out, start, n);
      var sum = 0;
      for (i = start; i < start + n; i++) {
        out[i] = Math.exp(out[i] - m);
        sum += out[i];
      }
      for (i = start; i < start + n; i++) {
        out[i] /= sum;
      }
    });
  }

  /** log of softmax along the last axis, computed directly (finite where softmax is 0). */
  function log_softmax(x, options) {
    checkOptions(options, [], "log_softmax");
    return byRows(valuesOf(x), logSoftmaxRow);
  }

  /**
   * Cross-entropy of one sample: -log softmax(logits)[target], logits a vector of K class
   * scores and target a class index in [0, K); or, with target a vector of K probabilities,
   * -sum_k target_k log softmax(logits)_k. Returns a number. {reduction: "mean"} is accepted
   * ("mean", "sum" or "none", as in Python): for one sample all three give the loss.
   * Example: cross_entropy([1000, -1000], 1) -> 2000
   */
  function cross_entropy(logits, target, options) {
    options = checkOptions(options, ["reduction"], "cross_entropy");
    if (typeof logits === "number") {
      throw valueError("logits", "logits must have at least 1 dimension (K,), got shape ()");
    }
    var a = asArray(logits, "logits");
    if (a.shape.length !== 1) {
      throw valueError("logits", "logits must have 1 dimension (K,) (one sample), got shape " +
        tupleText(a.shape));
    }
    checkChoice(option(options, "reduction", "mean"), "reduction", ["mean", "sum", "none"]);
    var k = a.shape[0];
    if (k === 0) {
      throw valueError("logits", "logits must have at least one class (K >= 1 along axis 0), " +
        "got shape (0,)");
    }
    var logP = new Float64Array(k);
    logSoftmaxRow(a.data, 0, k, logP);
    if (isInt(target)) {
      if (target < 0 || target >= k) {
        throw valueError("target", "target must hold class indices in [0, " + k + ") for " +
          "logits " + tupleText(a.shape) + ", got values from " + target + " to " + target);
      }
      return -logP[target];
    }
    if (typeof target === "number") {
      throw valueError("target", "target must have the shape of logits " + tupleText(a.shape) +
        " (probabilities), got ()");
    }
    if (!isSequence(target) && !(target && typeof target === "object" && target.shape)) {
      throw typeError("target", "target must hold integer class indices or float " +
        "probabilities, got " + repr(target));
    }
    var p = asArray(target, "target");
    if (p.shape.length !== 1 || p.shape[0] !== k) {
      throw valueError("target", "target must have the shape of logits " + tupleText(a.shape) +
        " (probabilities), got " + tupleText(p.shape));
    }
    var loss = 0;
    for (var i = 0; i < k; i++) {
      loss += p.data[i] * logP[i];
    }
    return -loss;
  }

  // -------------------------------------------------------------------------------------------
  // Fully connected layer (cnnviz.ops.linear)
  // -------------------------------------------------------------------------------------------

  /**
   * x @ weight.T + bias, as torch.nn.functional.linear: linear(x, weight, {bias: null}).
   * x: (..., in_features); weight: (out_features, in_features); bias: (out_features,).
   * Returns {shape: [..., out_features], data}.
   * Example: linear(array([1, 2]), array([[1, 1], [0, -1]]), {bias: [0, 0.5]}) -> [3, -1.5]
   */
  function linear(x, weight, options) {
    options = checkOptions(options, ["bias"], "linear");
    x = asArray(x, "x");
    weight = asArray(weight, "weight");
    if (weight.shape.length !== 2) {
      throw valueError("weight", "weight must have 2 (H, W) dimensions, got shape " +
        tupleText(weight.shape));
    }
    var outFeatures = weight.shape[0];
    var inFeatures = weight.shape[1];
    if (x.shape.length < 1 || x.shape[x.shape.length - 1] !== inFeatures) {
      throw valueError("x", "x must end in in_features = " + inFeatures + " to match weight " +
        tupleText(weight.shape) + " (out_features, in_features), got shape " +
        tupleText(x.shape));
    }
    var bias = option(options, "bias", null);
    if (bias !== null) {
      bias = asArray(bias, "bias");
      if (bias.shape.length !== 1 || bias.shape[0] !== outFeatures) {
        throw valueError("bias", "bias must have shape " + tupleText([outFeatures]) +
          " to match weight " + tupleText(weight.shape) + ", got " + tupleText(bias.shape));
      }
    }
    var rows = inFeatures ? x.data.length / inFeatures : size(x.shape.slice(0, -1));
    var out = new Float64Array(rows * outFeatures);
    var w = weight.data;
    for (var r = 0; r < rows; r++) {
      for (var o = 0; o < outFeatures; o++) {
        var sum = 0;
        for (var i = 0; i < inFeatures; i++) {
          sum += x.data[r * inFeatures + i] * w[o * inFeatures + i];
        }
        out[r * outFeatures + o] = bias === null ? sum : sum + bias.data[o];
      }
    }
    return { shape: x.shape.slice(0, -1).concat([outFeatures]), data: out };
  }

  return {
    array: array,
    PADDING_MODES: Object.freeze(Object.keys(CONV_PAD_MODES)),
    pad2d: pad2d,
    conv2d: conv2d,
    max_pool2d: max_pool2d,
    min_pool2d: min_pool2d,
    avg_pool2d: avg_pool2d,
    erf: erf,
    erfc: erfc,
    relu: relu,
    relu_derivative: relu_derivative,
    leaky_relu: leaky_relu,
    leaky_relu_derivative: leaky_relu_derivative,
    sigmoid: sigmoid,
    sigmoid_derivative: sigmoid_derivative,
    tanh: tanh,
    tanh_derivative: tanh_derivative,
    gelu: gelu,
    gelu_derivative: gelu_derivative,
    ACTIVATIONS: ACTIVATIONS,
    softmax: softmax,
    log_softmax: log_softmax,
    cross_entropy: cross_entropy,
    linear: linear
  };
})();
if (typeof window !== "undefined") {
  window.cnnvizOps = cnnvizOps;
}
