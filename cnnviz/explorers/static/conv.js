// cnnviz convolution explorer: a kernel slides over a real image in the browser, with no
// Python kernel. The page runs one copy per output, after core.js (cnnvizCore: the size rule
// and its texts), ops.js (cnnvizOps: conv2d and pad2d, the math) and base.js (cnnvizExplorer:
// the controls and root.cnnviz), with CONFIG (its element id, initial settings, images and
// kernels); it only touches the element with that id, so several explorers share a page.
//
// The images travel zlib-compressed (conv.py); root.cnnviz appears once the browser has
// unpacked them, a few milliseconds after the script runs, and the root's data-state is then
// "ready". root.cnnviz (see base.js) has params named like the Python arguments of conv_explorer:
// image, kernel, stride, padding, dilation, padding_mode, sigma, theta (degrees), wavelength,
// kernel_size and weight (the kernel as nested rows; a cell holding text that is no number
// holds that text). kernel_size is the side of the kernel: the slider sets it for the box and
// Gaussian kernels (cnnviz.filters.box_kernel(size), gaussian_kernel(size, sigma)) and for
// "custom"; each of them keeps its own side when the reader picks another kernel and comes
// back. set({weight: rows}) types a whole kernel (and picks "custom"). input is
// the image of the current setting, also when that setting is impossible. Also:
//   select(row, col)  picks an output pixel, as hovering over it does
//   selected          {row, col, value, terms: [[x, w], ...]}: the picked pixel, its value
//                     and the products that sum to it (x: the padded input, w: the weight)
// The text is inlined in a <script> element: it must never contain a less-than sign followed
// by a slash (write "<\/" in strings).

// cnnviz.filters in JavaScript: the three presets built from sliders, the way the Python
// functions of the same names build them (tests/test_conv_explorer.py compares).
var cnnvizFilters = (function () {
  "use strict";

  function square(size, at) {
    var data = new Float64Array(size * size);
    for (var row = 0; row < size; row++) {
      for (var col = 0; col < size; col++) {
        data[row * size + col] = at(row, col);
      }
    }
    return { shape: [size, size], data: data };
  }

  // The box (mean) filter: every weight is 1 / size^2.
  function box_kernel(size) {
    var weight = 1 / (size * size);
    return square(size, function () {
      return weight;
    });
  }

  // A normalized Gaussian blur, exp(-(x^2 + y^2) / (2 sigma^2)), weights summing to 1.
  function gaussian_kernel(size, sigma) {
    var half = Math.floor(size / 2);
    var g = new Float64Array(size);
    var total = 0;
    for (var i = 0; i < size; i++) {
      g[i] = Math.exp(-((i - half) * (i - half)) / (2 * (sigma * sigma)));
      total += g[i];
    }
    for (i = 0; i < size; i++) {
      g[i] /= total;
    }
    return square(size, function (row, col) {
      return g[row] * g[col];
    });
  }

  // A Gabor filter: a cosine wave along the direction theta (radians, counter-clockwise on
  // screen) under a Gaussian window; x counts columns right of the centre, y rows up from it.
  function gabor_kernel(size, sigma, theta, wavelength, gamma, phase) {
    var centre = (size - 1) / 2;
    var cos = Math.cos(theta);
    var sin = Math.sin(theta);
    return square(size, function (row, col) {
      var x = col - centre;
      var y = -(row - centre);
      var xr = x * cos + y * sin;
      var yr = -x * sin + y * cos;
      var envelope = Math.exp(-(xr * xr + gamma * gamma * (yr * yr)) / (2 * (sigma * sigma)));
      var value = envelope * Math.cos((2 * Math.PI * xr) / wavelength + phase);
      return Math.abs(value) < 1e-15 ? 0 : value; // as Python: tidy cos(pi/2) round-off
    });
  }

  return { box_kernel: box_kernel, gaussian_kernel: gaussian_kernel, gabor_kernel: gabor_kernel };
})();

// matplotlib's RdBu_r (the book's DIVERGING map) as 256 colours: its 11 control points,
// interpolated at k / 255 like matplotlib's lookup table. at(t) for t in [0, 1].
var cnnvizDiverging = (function () {
  "use strict";
  var POINTS = [
    [5, 48, 97], [33, 102, 172], [67, 147, 195], [146, 197, 222], [209, 229, 240],
    [247, 247, 247], [253, 219, 199], [244, 165, 130], [214, 96, 77], [178, 24, 43],
    [103, 0, 31]
  ];
  var TABLE = [];
  for (var k = 0; k < 256; k++) {
    var x = (k / 255) * (POINTS.length - 1);
    var n = Math.min(Math.floor(x), POINTS.length - 2);
    var f = x - n;
    TABLE.push([0, 1, 2].map(function (c) {
      return Math.round(POINTS[n][c] + f * (POINTS[n + 1][c] - POINTS[n][c]));
    }));
  }

  function at(t) {
    var index = Math.floor(t * 256);
    return TABLE[index < 0 ? 0 : index > 255 ? 255 : index];
  }

  return { at: at, TABLE: TABLE };
})();

(function (core, ops, explorer, filters, diverging, config) {
  "use strict";
  var root = document.getElementById(config.id);
  if (!root || root.getAttribute("data-ready") === "1") {
    return;
  }
  root.setAttribute("data-ready", "1");

  var CUSTOM = "custom";
  var MAX_CUSTOM = 7;
  var MAX_TERMS = 49; // products written out in the sum; more are counted
  var MODES = { zeros: "constant", reflect: "reflect", replicate: "replicate", circular: "circular" };
  var MINUS = core.MINUS;

  function q(selector) {
    return root.querySelector(selector);
  }

  // Writes text into the element `selector`, only when it changes (no needless relayout).
  function show(selector, text) {
    var element = q(selector);
    if (element.textContent !== text) {
      element.textContent = text;
    }
  }
  var view = {
    kernel: q('select[data-param="kernel"]'),
    size: q('input[data-param="kernel_size"]'),
    sizeValue: q('[data-value-for="kernel_size"]'),
    cells: q(".cnnviz-cells"),
    kernelCanvas: q(".cnnviz-kernel-canvas"),
    input: q(".cnnviz-input-canvas"),
    inputMarks: q(".cnnviz-input-marks"),
    output: q(".cnnviz-output-canvas"),
    outputMarks: q(".cnnviz-output-marks"),
    colorbar: q(".cnnviz-colorbar-canvas"),
    patch: q(".cnnviz-patch-canvas"),
    patchPixels: document.createElement("canvas")
  };

  var images = {}; // name -> {shape, data}, once unpacked
  var custom = { size: 3, entries: [] }; // the typed kernel: numbers, or text that is none
  var sizes = config.sizes; // kernel -> its side, for the kernels the slider sizes (box, ...)
  var requested = false; // set() named kernel_size: the reader's choice, even if unchanged
  var shown = null; // the kernel on screen, {shape, data}: where "custom" starts from
  var last = { kernel: config.params.kernel, slider: Number(view.size.value) };
  var picked = null; // the picked output pixel {row, col}; null: the centre
  var good = null; // the last good result, the one on screen
  var palette = {}; // the palette colours the zoom's canvas needs, read once
  var drawnInput = ""; // what the input canvas and the kernel cells show now
  var drawnKernel = "";
  var api = null;

  // -------------------------------------------------------------------------------------------
  // Numbers as the explorer writes them
  // -------------------------------------------------------------------------------------------

  function signed(text) {
    return text.charAt(0) === "-" ? MINUS + text.slice(1) : text;
  }

  // A number with `digits` significant digits (3 by default), no trailing zeros, a true minus
  // sign; below 0.01, as 9.3e−5.
  function fmt(v, digits) {
    digits = digits || 3;
    if (Number.isInteger(v)) {
      return signed(String(v));
    }
    if (Math.abs(v) < 0.01) {
      return signed(v.toExponential(Math.max(0, digits - 2)).replace("e-", "e" + MINUS));
    }
    return signed(String(Number(v.toPrecision(digits))));
  }

  // A typed number ("1.5", "-2", "−0.5", ".5", "1e-3"), or null when the text is none.
  function parseNumber(text) {
    var plain = String(text).trim().replace(MINUS, "-");
    if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(plain)) {
      return null;
    }
    var value = Number(plain);
    return Number.isFinite(value) ? value : null;
  }

  function quoted(text) {
    return "'" + String(text).replace(/\\/g, "\\\\").replace(/'/g, "\\'") + "'";
  }

  // -------------------------------------------------------------------------------------------
  // Images: base64 -> zlib -> bytes (uint8 rows stored as differences, or float64)
  // -------------------------------------------------------------------------------------------

  var bytesOf = cnnvizExplorer.bytesOf;

  function inflate(bytes) {
    var stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("deflate"));
    return new Response(stream).arrayBuffer();
  }

  function imageOf(entry, buffer) {
    var h = entry.shape[0];
    var w = entry.shape[1];
    if (entry.dtype === "float64") {
      return { shape: [h, w], data: new Float64Array(buffer) };
    }
    var rows = new Uint8Array(buffer);
    var bytes = new Uint8Array(h * w);
    var data = new Float64Array(h * w);
    for (var i = 0; i < h * w; i++) {
      bytes[i] = i < w ? rows[i] : (rows[i] + bytes[i - w]) & 255; // add the row above back
      data[i] = bytes[i] / 255;
    }
    return { shape: [h, w], data: data };
  }

  function unpack(entries) {
    var names = Object.keys(entries);
    return Promise.all(names.map(function (name) {
      return inflate(bytesOf(entries[name].data)).then(function (buffer) {
        images[name] = imageOf(entries[name], buffer);
      });
    }));
  }

  // -------------------------------------------------------------------------------------------
  // The kernel: a preset (built from its sliders) or the typed custom kernel
  // -------------------------------------------------------------------------------------------

  function presetWeight(params) {
    if (params.kernel === "box") {
      return filters.box_kernel(params.kernel_size);
    }
    if (params.kernel === "gaussian") {
      return filters.gaussian_kernel(params.kernel_size, params.sigma);
    }
    if (params.kernel === "gabor") {
      var g = config.gabor;
      var theta = params.theta * (Math.PI / 180);
      return filters.gabor_kernel(g.size, g.sigma, theta, params.wavelength, g.gamma, g.phase);
    }
    return ops.array(config.presets[params.kernel]);
  }

  function rowsOf(entries, size) {
    var rows = [];
    for (var row = 0; row < size; row++) {
      rows.push(Array.from(entries.slice(row * size, (row + 1) * size)));
    }
    return rows;
  }

  function adopt(kernel) {
    custom = { size: kernel.shape[0], entries: Array.from(kernel.data) };
  }

  // The custom kernel resized about its centre: cropped, or with zeros around it.
  function resize(size) {
    var old = custom;
    var offset = (old.size - size) / 2;
    var entries = [];
    for (var row = 0; row < size; row++) {
      for (var col = 0; col < size; col++) {
        var r = row + offset;
        var c = col + offset;
        var inside = r >= 0 && c >= 0 && r < old.size && c < old.size;
        entries.push(inside ? old.entries[r * old.size + c] : 0);
      }
    }
    custom = { size: size, entries: entries };
  }

  function showSize(size) {
    view.size.value = String(size);
    view.sizeValue.textContent = String(size);
    last.slider = size;
  }

  function makeCustom() {
    view.kernel.value = CUSTOM;
    last.kernel = CUSTOM;
    showSize(custom.size);
  }

  function sized(kernel) {
    return Object.prototype.hasOwnProperty.call(sizes, kernel);
  }

  // spec.read: add the kernel, as `weight`, to the settings the controls hold. The slider
  // holds the side of the kernel on screen; a kernel picked without moving it brings its own.
  function read(params) {
    var moved = requested || params.kernel_size !== last.slider;
    requested = false;
    if (params.kernel === CUSTOM) {
      if (last.kernel !== CUSTOM && shown) {
        adopt(shown); // "custom" starts from the kernel on screen
        var size = Math.min(custom.size, MAX_CUSTOM);
        resize(moved ? params.kernel_size : size);
      } else {
        resize(params.kernel_size);
      }
      showSize(custom.size);
      params.kernel_size = custom.size;
      params.weight = rowsOf(custom.entries, custom.size);
    } else {
      if (sized(params.kernel)) {
        if (moved || params.kernel === last.kernel) {
          sizes[params.kernel] = params.kernel_size;
        }
        showSize(sizes[params.kernel]);
        params.kernel_size = sizes[params.kernel];
      } else if (moved) {
        showSize(last.slider); // a hidden slider does not move (only set() can reach it)
      }
      var weight = presetWeight(params);
      params.kernel_size = weight.shape[0];
      params.weight = rowsOf(weight.data, weight.shape[0]);
    }
    last.kernel = params.kernel;
    return params;
  }

  // spec.write: set({weight: rows}) types the whole kernel, as the reader would;
  // set({kernel_size: k}) is noted, so that it counts even when the slider already holds k.
  function write(name, value) {
    if (name === "kernel_size") {
      requested = true;
      return false; // base.js moves the slider
    }
    if (name !== "weight") {
      return false;
    }
    var rows = value.shape ? rowsOf(Array.from(value.data), value.shape[0]) : value;
    var size = rows.length;
    var ok = size >= 3 && size <= MAX_CUSTOM && size % 2 === 1 && rows.every(function (row) {
      return row.length === size;
    });
    if (!ok) {
      throw new Error("set: weight must be a square kernel of side 3, 5 or 7");
    }
    custom = { size: size, entries: [] };
    rows.forEach(function (row) {
      row.forEach(function (entry) {
        var number = typeof entry === "number" ? entry : parseNumber(entry);
        custom.entries.push(number === null ? String(entry) : number);
      });
    });
    makeCustom();
    return true;
  }

  // The kernel of the settings as {shape, data}; a cell that is no number throws.
  function weightOf(rows) {
    var size = rows.length;
    var data = new Float64Array(size * size);
    rows.forEach(function (row, r) {
      row.forEach(function (entry, c) {
        if (typeof entry !== "number") {
          var error = new Error("kernel[" + r + ", " + c + "] must be a real number, got " +
            quoted(entry));
          error.name = "TypeError";
          error.param = "weight";
          error.cell = r * size + c;
          throw error;
        }
        data[r * size + c] = entry;
      });
    });
    return { shape: [size, size], data: data };
  }

  // The reader typed into cell `index`.
  function typed(index, event) {
    var text = event.target.value;
    if (view.kernel.value !== CUSTOM) {
      adopt(shown);
      makeCustom();
    }
    var number = parseNumber(text);
    custom.entries[index] = number === null ? text : number;
    api.update();
  }

  // -------------------------------------------------------------------------------------------
  // Compute: cnnvizOps, the twin of cnnviz.ops
  // -------------------------------------------------------------------------------------------

  function compute(params) {
    var weight = weightOf(params.weight);
    var x = images[params.image];
    var output = ops.conv2d(x, weight, {
      stride: params.stride,
      padding: params.padding,
      dilation: params.dilation,
      padding_mode: params.padding_mode
    });
    var padded = ops.pad2d(x, params.padding, { mode: MODES[params.padding_mode] });
    var setting = {
      image: params.image, padding: params.padding, padding_mode: params.padding_mode,
      stride: params.stride, dilation: params.dilation
    };
    return { input: x, output: output, weight: weight, padded: padded, setting: setting };
  }

  // spec.explain: the sentence for an impossible setting, naming the control to change.
  function explain(error) {
    var control = error.param === "weight" ? view.cells.children[error.cell] :
      q('[data-param="' + error.param + '"]');
    if (control) {
      control.setAttribute("aria-invalid", "true");
    }
    var advice = config.advice[error.name] || "";
    var limit = error.limit ? String(Math.min.apply(null, error.limit)) : "";
    show(".cnnviz-output-shape", "none");
    return ("No output: " + error.message + ". " + advice.replace("{limit}", limit)).trim();
  }

  // -------------------------------------------------------------------------------------------
  // Colours: gray for images, RdBu_r centred on 0 for kernels, outputs and negative images
  // -------------------------------------------------------------------------------------------

  var GRAYS = [];
  for (var level = 0; level < 256; level++) {
    GRAYS.push([level, level, level]);
  }

  function largest(data) {
    var m = 0;
    for (var i = 0; i < data.length; i++) {
      var a = Math.abs(data[i]);
      if (a > m) {
        m = a;
      }
    }
    return m;
  }

  function centred(m) {
    var half = m > 0 ? m : 1;
    return function (v) {
      return diverging.at((v / half + 1) / 2);
    };
  }

  // The colour rule of cnnviz.viz.cmap_norm: gray from 0 to 1 (or to the maximum), or
  // centred on 0 when anything is negative.
  function colourRule(data) {
    var low = Infinity;
    var high = -Infinity;
    for (var i = 0; i < data.length; i++) {
      low = Math.min(low, data[i]);
      high = Math.max(high, data[i]);
    }
    if (low < 0) {
      return centred(largest(data));
    }
    var top = high > 1 ? high : 1;
    return function (v) {
      return GRAYS[Math.round(Math.min(1, Math.max(0, v / top)) * 255)];
    };
  }

  // Setting a canvas's size clears and reallocates it: only when it changes.
  function resizeCanvas(canvas, width, height) {
    if (canvas.width !== width || canvas.height !== height) {
      canvas.width = width;
      canvas.height = height;
    }
  }

  // Paints an h x w array on a canvas of h x w pixels (CSS scales it up, pixelated).
  function paint(canvas, shape, data, colour) {
    resizeCanvas(canvas, shape[1], shape[0]);
    var context = canvas.getContext("2d");
    var picture = context.createImageData(shape[1], shape[0]);
    var pixels = picture.data;
    for (var i = 0; i < data.length; i++) {
      var rgb = colour(data[i]);
      pixels[4 * i] = rgb[0];
      pixels[4 * i + 1] = rgb[1];
      pixels[4 * i + 2] = rgb[2];
      pixels[4 * i + 3] = 255;
    }
    context.putImageData(picture, 0, 0);
  }

  function dark(rgb) {
    return 0.299 * rgb[0] + 0.587 * rgb[1] + 0.114 * rgb[2] < 120;
  }

  // -------------------------------------------------------------------------------------------
  // Drawing the controls' side: the kernel cells, the formula
  // -------------------------------------------------------------------------------------------

  function makeCells(size) {
    view.cells.textContent = "";
    view.cells.style.gridTemplateColumns = "repeat(" + size + ", var(--cnnviz-cell))";
    view.cells.className = "cnnviz-cells cnnviz-cells-" + size;
    for (var i = 0; i < size * size; i++) {
      var cell = document.createElement("input");
      cell.type = "text";
      cell.inputMode = "decimal";
      cell.autocomplete = "off";
      cell.spellcheck = false;
      cell.className = "cnnviz-cell";
      cell.setAttribute("aria-label", "kernel weight [" + Math.floor(i / size) + ", " +
        (i % size) + "]");
      cell.addEventListener("input", typed.bind(null, i));
      view.cells.appendChild(cell);
    }
  }

  function cellText(v, size) {
    var text = fmt(v, size > 3 ? 2 : 3);
    return size > MAX_CUSTOM ? text.replace(/^(\u2212?)0\./, "$1.") : text;
  }

  function drawKernel(rows, editable) {
    var key = editable + ";" + rows.join(";");
    if (key === drawnKernel) {
      return;
    }
    drawnKernel = key;
    var size = rows.length;
    var numbers = [];
    rows.forEach(function (row) {
      row.forEach(function (entry) {
        numbers.push(typeof entry === "number" ? entry : 0);
      });
    });
    shown = { shape: [size, size], data: Float64Array.from(numbers) };
    if (view.cells.children.length !== size * size) {
      makeCells(size);
    }
    var colour = centred(largest(shown.data));
    paint(view.kernelCanvas, shown.shape, shown.data, colour);
    Array.prototype.forEach.call(view.cells.children, function (cell, i) {
      var entry = rows[Math.floor(i / size)][i % size];
      if (cell !== document.activeElement) {
        cell.value = typeof entry === "number" ? cellText(entry, size) : entry;
      }
      cell.title = typeof entry === "number" ? String(entry) : "not a number";
      cell.readOnly = !editable;
      cell.classList.toggle("cnnviz-on-dark", dark(colour(numbers[i])));
    });
    show(".cnnviz-kernel-shape", size + " \u00D7 " + size);
    var sum = numbers.reduce(function (a, b) {
      return a + b;
    }, 0);
    show(".cnnviz-kernel-note", "sum " + fmt(sum, 3) +
      (editable ? "" : " \u00B7 " + size + " \u00D7 " + size + ": pick custom to type a kernel"));
  }

  // A sentence when the stride skips the last rows or columns of the padded input.
  function unusedNote(i, k, params, what) {
    var s = params.stride;
    var rest = core.unreached(i, k, params.padding, s, params.dilation);
    if (rest === 0) {
      return "";
    }
    var plural = rest > 1 ? "s" : "";
    var names = { height: "row" + plural, width: "column" + plural };
    return "stride " + s + " leaves the last " + rest + " " +
      (names[what] || "row" + plural + " and column" + plural) +
      " of the padded input unused (the \u230A \u230B drops " + rest + ").";
  }

  // The formula with the numbers, once or per axis (height: ..., width: ...), and its notes.
  function drawFormula(shape, size, params) {
    var axes = [["height", shape[0]], ["width", shape[1]]];
    if (shape[0] === shape[1]) {
      axes = [["", shape[0]]];
    }
    var lines = axes.map(function (axis) {
      return (axis[0] ? axis[0] + ": " : "") + core.formulaText(axis[1], size, params.padding,
        params.stride, params.dilation, { style: "numbers" });
    });
    var notes = axes.map(function (axis) {
      return unusedNote(axis[1], size, params, axis[0]);
    }).filter(Boolean);
    show(".cnnviz-formula-numbers", lines.join("\n"));
    show(".cnnviz-notes", notes.join(" "));
  }

  // spec.changed: runs before compute, so that the controls show the current setting even
  // when it is impossible.
  function changed(params) {
    Array.prototype.forEach.call(root.querySelectorAll("[data-kernel]"), function (label) {
      label.hidden = label.getAttribute("data-kernel").split(" ").indexOf(params.kernel) < 0;
    });
    Array.prototype.forEach.call(root.querySelectorAll("[aria-invalid]"), function (control) {
      control.removeAttribute("aria-invalid");
    });
    drawKernel(params.weight, params.kernel_size <= MAX_CUSTOM);
    var x = images[params.image];
    show(".cnnviz-input-shape", x.shape[0] + " \u00D7 " + x.shape[1] +
      (params.padding ? " + padding " + params.padding : ""));
    drawFormula(x.shape, params.kernel_size, params);
  }

  // -------------------------------------------------------------------------------------------
  // Drawing the result: input, output, colour bar, and the picked pixel
  // -------------------------------------------------------------------------------------------

  var SVG_NS = "http://www.w3.org/2000/svg";

  function mark(svg, name, attrs) {
    var node = document.createElementNS(SVG_NS, name);
    Object.keys(attrs).forEach(function (key) {
      node.setAttribute(key, attrs[key]);
    });
    node.setAttribute("vector-effect", "non-scaling-stroke");
    svg.appendChild(node);
    return node;
  }

  function clear(svg, shape) {
    svg.setAttribute("viewBox", "0 0 " + shape[1] + " " + shape[0]);
    svg.textContent = "";
  }

  function drawInput(result) {
    var s = result.setting;
    var key = [s.image, s.padding, s.padding_mode].join("|");
    if (key !== drawnInput) {
      paint(view.input, result.padded.shape, result.padded.data, colourRule(result.input.data));
      drawnInput = key;
    }
  }

  function drawOutput(output) {
    var m = largest(output.data);
    paint(view.output, output.shape, output.data, centred(m));
    show(".cnnviz-low", MINUS + fmt(m, 3));
    show(".cnnviz-high", "+" + fmt(m, 3));
    var shape = output.shape[0] + " \u00D7 " + output.shape[1];
    show(".cnnviz-output-caption", shape);
    show(".cnnviz-output-shape", shape);
  }

  function drawColorbar() {
    view.colorbar.width = 256;
    view.colorbar.height = 1;
    var context = view.colorbar.getContext("2d");
    var picture = context.createImageData(256, 1);
    diverging.TABLE.forEach(function (rgb, k) {
      picture.data.set([rgb[0], rgb[1], rgb[2], 255], 4 * k);
    });
    context.putImageData(picture, 0, 0);
  }

  // The receptive field of output pixel (row, col): where its taps land in the padded input.
  function field(result, row, col) {
    var s = result.setting;
    var k = result.weight.shape[0];
    var wp = result.padded.shape[1];
    var top = row * s.stride;
    var left = col * s.stride;
    var taps = [];
    for (var i = 0; i < k; i++) {
      for (var j = 0; j < k; j++) {
        var y = top + i * s.dilation;
        var x = left + j * s.dilation;
        taps.push({ y: y, x: x, value: result.padded.data[y * wp + x],
          weight: result.weight.data[i * k + j] });
      }
    }
    return { top: top, left: left, k: k, span: core.extent(k, s.dilation), taps: taps };
  }

  function drawMarks(result, win, row, col) {
    var s = result.setting;
    var input = result.input.shape;
    clear(view.inputMarks, result.padded.shape);
    if (s.padding > 0) {
      mark(view.inputMarks, "rect", { x: s.padding, y: s.padding, width: input[1],
        height: input[0], "class": "cnnviz-frame" });
    }
    var d = "";
    win.taps.forEach(function (tap) {
      d += "M" + tap.x + " " + tap.y + "h1v1h-1z";
    });
    mark(view.inputMarks, "path", { d: d, "class": "cnnviz-taps" });
    mark(view.inputMarks, "rect", { x: win.left, y: win.top, width: win.span,
      height: win.span, "class": "cnnviz-field" });
    clear(view.outputMarks, result.output.shape);
    mark(view.outputMarks, "rect", { x: col, y: row, width: 1, height: 1,
      "class": "cnnviz-picked" });
  }

  // The kernel laid over the receptive field, zoomed: each tap's input pixel, and its weight.
  function drawPatch(result, win) {
    var k = win.k;
    var cell = { 3: 56, 5: 48, 7: 44 }[k] || 20;
    var digits = k > 3 ? 2 : 3;
    var font = (k > 3 ? 10 : 11) + "px system-ui, sans-serif";
    var scale = window.devicePixelRatio || 1;
    resizeCanvas(view.patch, k * cell * scale, k * cell * scale);
    view.patch.style.width = k * cell + "px";
    var context = view.patch.getContext("2d");
    context.setTransform(scale, 0, 0, scale, 0, 0);
    var colour = colourRule(result.input.data);
    var p = result.setting.padding;
    var input = result.input.shape;
    context.textAlign = "center";
    context.textBaseline = "middle";
    var values = Float64Array.from(win.taps, function (tap) {
      return tap.value;
    });
    paint(view.patchPixels, [k, k], values, colour); // one pixel per tap, then enlarged
    context.imageSmoothingEnabled = false;
    context.drawImage(view.patchPixels, 0, 0, k * cell, k * cell);
    var at = win.taps.map(function (tap, n) {
      var padding = tap.y < p || tap.x < p || tap.y >= p + input[0] || tap.x >= p + input[1];
      return { x: (n % k) * cell, y: Math.floor(n / k) * cell, padding: padding,
        dark: dark(colour(tap.value)) };
    });
    outline(context, at, cell, false);
    outline(context, at, cell, true);
    if (k <= MAX_CUSTOM) {
      writeCells(context, at, cell, font, 0.32, function (n) {
        return fmt(win.taps[n].value, digits);
      });
      writeCells(context, at, cell, "bold " + font, 0.7, function (n) {
        return "\u00D7" + fmt(win.taps[n].weight, digits);
      });
    }
  }

  // The edges of the taps on the input (orange) or in the padding (dashed).
  function outline(context, at, cell, padding) {
    context.strokeStyle = padding ? palette.paddingEdge : palette.highlight;
    context.lineWidth = padding ? 1 : 1.5;
    context.setLineDash(padding ? [3, 2] : []);
    at.forEach(function (a) {
      if (a.padding === padding) {
        context.strokeRect(a.x + 1, a.y + 1, cell - 2, cell - 2);
      }
    });
  }

  // One line of text in every cell, at `height` (a fraction of the cell), black or white.
  function writeCells(context, at, cell, font, height, text) {
    context.font = font;
    at.forEach(function (a, n) {
      context.fillStyle = a.dark ? palette.background : palette.text;
      context.fillText(text(n), a.x + cell / 2, a.y + cell * height);
    });
  }

  function product(tap) {
    var w = fmt(tap.weight, 3);
    return fmt(tap.value, 3) + "\u00D7" + (tap.weight < 0 ? "(" + w + ")" : w);
  }

  function drawSum(result, win, row, col, value) {
    var written = win.taps.slice(0, MAX_TERMS).map(product);
    var more = win.taps.length - written.length;
    var bottom = win.top + win.span - 1;
    var right = win.left + win.span - 1;
    show(".cnnviz-sum-head", "output[" + row + ", " + col + "] = " + fmt(value, 4) + ": the " +
      win.k + "\u00D7" + win.k + " kernel over rows " + win.top + "\u2013" + bottom +
      ", columns " + win.left + "\u2013" + right + " of the padded input");
    show(".cnnviz-sum-terms", written.join(" + ") +
      (more ? " + \u2026 (" + more + " more)" : "") + " = " + fmt(value, 4));
  }

  // Picks output pixel (row, col) of the last good result: marks, zoom and sum.
  function select(row, col) {
    var result = good;
    var shape = result.output.shape;
    row = Math.max(0, Math.min(shape[0] - 1, row));
    col = Math.max(0, Math.min(shape[1] - 1, col));
    picked = { row: row, col: col };
    var win = field(result, row, col);
    var value = result.output.data[row * shape[1] + col];
    drawMarks(result, win, row, col);
    drawPatch(result, win);
    drawSum(result, win, row, col, value);
    root.cnnviz.selected = {
      row: row, col: col, value: value,
      terms: win.taps.map(function (tap) {
        return [tap.value, tap.weight];
      })
    };
    return root.cnnviz.selected;
  }

  // spec.render: draws a good result.
  function render(result) {
    good = result;
    drawInput(result);
    drawOutput(result.output);
    var shape = result.output.shape;
    var at = picked || { row: Math.floor(shape[0] / 2), col: Math.floor(shape[1] / 2) };
    select(at.row, at.col);
  }

  // -------------------------------------------------------------------------------------------
  // Picking an output pixel: hover, click, arrow keys
  // -------------------------------------------------------------------------------------------

  function pointed(event) {
    if (!good) {
      return;
    }
    var box = view.output.getBoundingClientRect();
    var shape = good.output.shape;
    var col = Math.floor(((event.clientX - box.left) / box.width) * shape[1]);
    var row = Math.floor(((event.clientY - box.top) / box.height) * shape[0]);
    if (!picked || row !== picked.row || col !== picked.col) {
      select(row, col);
    }
  }

  var STEPS = { ArrowUp: [-1, 0], ArrowDown: [1, 0], ArrowLeft: [0, -1], ArrowRight: [0, 1] };

  function keyed(event) {
    var step = STEPS[event.key];
    if (!step || !good) {
      return;
    }
    event.preventDefault();
    select(picked.row + step[0], picked.col + step[1]);
  }

  // -------------------------------------------------------------------------------------------
  // Start: unpack the images, then bind the controls
  // -------------------------------------------------------------------------------------------

  function start() {
    var style = getComputedStyle(root);
    ["highlight", "padding-edge", "text", "background"].forEach(function (role) {
      var name = role.replace(/-(\w)/g, function (_, c) {
        return c.toUpperCase();
      });
      palette[name] = style.getPropertyValue("--cnnviz-" + role).trim();
    });
    if (config.params.kernel === CUSTOM) {
      write("weight", config.params.weight);
    }
    drawColorbar();
    api = explorer.create(root, {
      read: read, write: write, compute: compute, render: render, explain: explain,
      changed: changed, input: function (params) { return images[params.image]; }
    });
    api.select = select;
    view.output.addEventListener("mousemove", pointed);
    view.output.addEventListener("click", pointed);
    view.output.addEventListener("keydown", keyed);
    root.setAttribute("data-state", "ready");
  }

  function fail(error) {
    var message = q(".cnnviz-message");
    message.textContent = "This browser could not unpack the images (" + error.message +
      "); a current Chrome, Edge, Firefox or Safari can.";
    root.classList.add("cnnviz-impossible");
  }

  if (typeof DecompressionStream === "undefined") {
    fail(new Error("it has no DecompressionStream"));
    return;
  }
  unpack(config.images).then(start).catch(fail);
})(cnnvizCore, cnnvizOps, cnnvizExplorer, cnnvizFilters, cnnvizDiverging, CONFIG);
