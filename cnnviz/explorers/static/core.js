// cnnviz.arithmetic in JavaScript: the size rule of a convolution and its texts, for the
// kernel-free explorers. Each function mirrors the Python function of the same name
// (formula_o -> formulaO) and returns the same numbers and the same strings;
// tests/test_browser.py compares them with cnnviz.arithmetic.table() in Chromium.
// One difference: where Python's output_size raises, outputSize returns null; checkFits
// throws an Error with the name, the message and the facts of KernelDoesNotFitError.
// The text is inlined in a <script> element: it must never contain a less-than sign followed
// by a slash.
var cnnvizCore = (function () {
  "use strict";

  var MINUS = "\u2212";
  var FORMULA = "o = \u230A(i + 2p " + MINUS + " d(k " + MINUS + " 1) " + MINUS + " 1) / s\u230B + 1";
  var STYLES = ["full", "numbers", "rule"];

  // An integer as text, with a true minus sign for negative numbers.
  function num(x) {
    return x < 0 ? MINUS + String(-x) : String(x);
  }

  // Span of a kernel of size k with dilation d: d(k - 1) + 1 pixels.
  function extent(k, d) {
    return d * (k - 1) + 1;
  }

  // The formula's o, unchecked: 0 or negative when the kernel does not fit (a true floor).
  function formulaO(i, k, p, s, d) {
    return Math.floor((i + 2 * p - d * (k - 1) - 1) / s) + 1;
  }

  // The output length, or null when the dilated kernel does not fit the padded input.
  function outputSize(i, k, p, s, d) {
    var o = formulaO(i, k, p, s, d);
    return o >= 1 ? o : null;
  }

  // Rows (or columns) at the end of the padded input that no window reaches.
  function unreached(i, k, p, s, d) {
    var top = i + 2 * p - d * (k - 1) - 1;
    return top >= 0 ? top % s : 0;
  }

  // How many (input pixel, kernel tap) pairs meet at each output position, along one axis:
  // output o reads input o*s - p + t*d for taps t; padding contributes nothing. Mirrors
  // cnnviz.arithmetic.coverage (not transposed): an array of length o, empty when there is
  // no output; the outer product of it with itself is conv2d(ones, ones).
  function coverage(i, k, p, s, d) {
    p = p === undefined ? 0 : p;
    s = s === undefined ? 1 : s;
    d = d === undefined ? 1 : d;
    var o = Math.max(formulaO(i, k, p, s, d), 0);
    var out = [];
    for (var n = 0; n < o; n++) {
      var count = 0;
      for (var t = 0; t < k; t++) {
        var read = n * s - p + t * d;
        if (read >= 0 && read < i) {
          count += 1;
        }
      }
      out.push(count);
    }
    return out;
  }

  // An int or a pair as Python prints it in a message: 5 or (5, 3).
  function text(value) {
    return Array.isArray(value) ? "(" + value.join(", ") + ")" : String(value);
  }

  // Throws, as cnnviz.arithmetic.check_fits raises KernelDoesNotFitError, unless the dilated
  // kernel fits in size (already padded). Arguments are ints (one axis) or pairs [h, w]; the
  // Error has the same message, the name "KernelDoesNotFitError" and the same facts:
  // .kernel, .dilation, .extent, .padded, .what.
  function checkFits(size, kernel, dilation, what) {
    dilation = dilation === undefined ? 1 : dilation;
    what = what === undefined ? "padded input" : what;
    var pairs = Array.isArray(size);
    var sizes = pairs ? size : [size];
    var kernels = pairs ? kernel : [kernel];
    var dilations = Array.isArray(dilation) ? dilation : sizes.map(function () {
      return dilation;
    });
    var spans = kernels.map(function (k, n) {
      return extent(k, dilations[n]);
    });
    var fits = spans.every(function (span, n) {
      return span <= sizes[n];
    });
    if (fits) {
      return;
    }
    var error = new Error("");
    error.name = "KernelDoesNotFitError";
    error.kernel = pairs ? kernel.slice() : kernel;
    error.dilation = pairs ? dilations.slice() : dilations[0];
    error.extent = pairs ? spans : spans[0];
    error.padded = pairs ? size.slice() : size;
    error.what = what;
    error.message = "kernel " + text(error.kernel) + " with dilation " + text(error.dilation) +
      " does not fit the " + what + " " + text(error.padded) + ": it spans " + text(error.extent);
    throw error;
  }

  // The output-size formula with the numbers filled in; options.style: "full" (default),
  // "numbers" or "rule".
  function formulaText(i, k, p, s, d, options) {
    var style = (options && options.style) || "full";
    if (STYLES.indexOf(style) < 0) {
      throw new Error("style must be one of 'full', 'numbers', 'rule', got '" + style + "'");
    }
    if (style === "rule") {
      return FORMULA;
    }
    var o = formulaO(i, k, p, s, d);
    var numbers = "\u230A(" + i + " + 2\u00B7" + p + " " + MINUS + " " + d + "\u00B7(" + k + " " +
      MINUS + " 1) " + MINUS + " 1) / " + s + "\u230B + 1";
    var tail = " = " + num(o) + (o >= 1 ? "" : " \u2192 no output");
    if (style === "numbers") {
      return "o = " + numbers + tail;
    }
    var simplified = " = \u230A" + num(i + 2 * p - d * (k - 1) - 1) + " / " + s + "\u230B + 1";
    return FORMULA + " = " + numbers + simplified + tail;
  }

  return {
    MINUS: MINUS,
    FORMULA: FORMULA,
    num: num,
    extent: extent,
    formulaO: formulaO,
    outputSize: outputSize,
    unreached: unreached,
    coverage: coverage,
    checkFits: checkFits,
    formulaText: formulaText
  };
})();
