// cnnviz pooling explorer: max, average or min pooling of a small map (numbers shown) or of the
// photo, recomputed in the browser with cnnvizOps (ops.js, the twin of cnnviz.ops) on every
// change of image, mode, kernel_size, stride or padding; the output-size formula comes from
// cnnvizCore (core.js). root.cnnviz (base.js) holds params, set(), input, output and message;
// result.indices holds, for max and min pooling, where each output value came from (the flat
// index row * W + col in the input, as torch's return_indices).
// The page runs one copy per output, with CONFIG (its element id, the initial settings and the
// two inputs); it only touches the element with that id.
// The text is inlined in a <script> element: it must never contain a less-than sign followed
// by a slash (write "<\/" in strings).
(function (ops, core, base, draw, config) {
  "use strict";
  var root = document.getElementById(config.id);
  if (!root || root.cnnviz) {
    return;
  }

  var POOLS = { max: ops.max_pool2d, avg: ops.avg_pool2d, min: ops.min_pool2d };
  var PAD_TEXT = { max: draw.MINUS + "\u221E", min: "+\u221E", avg: "0" };
  var PHOTO_SCALE = 2; // screen pixels per photo pixel
  var BUDGET = 300; // the widest a grid of numbers is drawn, so that it fits a phone
  var images = { numbers: ops.array(config.numbers.data, config.numbers.shape), photo: photo() };
  var sel = { r: 0, c: 0 }; // the selected output cell
  var shown = null; // [result, params] drawn last

  function q(selector) {
    return root.querySelector(selector);
  }

  // The photo: uint8 values (base64) divided by 255, as cnnviz.explorers.pool.image_array.
  function photo() {
    var bytes = atob(config.photo.base64);
    var data = new Float64Array(bytes.length);
    for (var i = 0; i < bytes.length; i++) {
      data[i] = bytes.charCodeAt(i) / 255;
    }
    return { shape: config.photo.shape, data: data };
  }

  // ---------------------------------------------------------------------------------------
  // Compute (cnnvizOps) and explain
  // ---------------------------------------------------------------------------------------
  function compute(params) {
    var x = images[params.image];
    var options = { stride: params.stride, padding: params.padding };
    if (params.mode === "avg") {
      return { input: x, output: POOLS.avg(x, params.kernel_size, options), indices: null };
    }
    options.return_indices = true;
    var pair = POOLS[params.mode](x, params.kernel_size, options);
    return { input: x, output: pair[0], indices: pair[1] };
  }

  function pairText(value) {
    return Array.isArray(value) ? "(" + value.join(", ") + ")" : String(value);
  }

  // The sentence of cnnviz.explorers.pool.explain: a window that does not fit is said with the
  // error's facts, without the dilation its own message names (pooling here has none).
  function explain(error) {
    var limit = error.limit ? String(Math.min.apply(null, error.limit)) : "";
    var advice = (config.advice[error.name] || "").replace("{limit}", limit);
    if (error.name === "KernelDoesNotFitError") {
      var reason = config.window.replace("{kernel}", pairText(error.kernel))
        .replace("{padded}", pairText(error.padded));
      return draw.refusal(root, error, "kernel_size", advice, reason);
    }
    return draw.refusal(root, error, "padding", advice);
  }

  // Before every computation: what does not need the result.
  function changed(params) {
    draw.markBad(root, null);
    var i = images[params.image].shape[0];
    q(".cnnviz-formula").textContent = core.formulaText(
      i, params.kernel_size, params.padding, params.stride, 1, { style: "numbers" });
  }

  // ---------------------------------------------------------------------------------------
  // Drawing
  // ---------------------------------------------------------------------------------------
  function valueRange(data) {
    var range = draw.extent(data);
    return [range[0], range[1] > range[0] ? range[1] : range[0] + 1];
  }

  function shade(v, range) {
    return 0.12 + (0.78 * (v - range[0])) / (range[1] - range[0]);
  }

  function cellSize(rows, cols) {
    return Math.max(22, Math.min(44, Math.floor(BUDGET / Math.max(rows, cols))));
  }

  function fontGroup(cell, inner) {
    var size = Math.max(9, Math.min(15, Math.round(cell * 0.4)));
    return '<g font-size="' + size + '">' + inner + "<\/g>";
  }

  // [row, col] in the padded input of the input pixel that output cell i came from.
  function source(result, i, p) {
    var w = result.input.shape[1];
    var index = result.indices.data[i];
    return [Math.floor(index / w) + p, (index % w) + p];
  }

  function drawNumbers(result, params) {
    var x = result.input;
    var out = result.output;
    var h = x.shape[0];
    var w = x.shape[1];
    var p = params.padding;
    var k = params.kernel_size;
    var s = params.stride;
    var cell = cellSize(h + 2 * p, w + 2 * p);
    var range = valueRange(x.data);
    var inner = draw.grid(2, 2, cell, h + 2 * p, w + 2 * p, function (r, c) {
      if (r < p || c < p || r >= p + h || c >= p + w) {
        return { cls: "cnnviz-cell-pad", text: PAD_TEXT[params.mode] };
      }
      var v = x.data[(r - p) * w + c - p];
      return { cls: "cnnviz-cell-in", text: draw.fmt(v), opacity: shade(v, range) };
    });
    var picked = sel.r * out.shape[1] + sel.c;
    for (var i = 0; result.indices && i < out.data.length; i++) {
      var at = source(result, i, p);
      inner += draw.tag("circle", {
        cx: 2 + (at[1] + 0.5) * cell, cy: 2 + (at[0] + 0.5) * cell, r: cell * 0.4,
        "class": i === picked ? "cnnviz-source cnnviz-picked" : "cnnviz-source"
      });
    }
    inner += draw.tag("rect", {
      x: 2 + sel.c * s * cell, y: 2 + sel.r * s * cell, width: k * cell, height: k * cell,
      "class": "cnnviz-window"
    });
    draw.svg(q("svg.cnnviz-in"), (w + 2 * p) * cell + 4, (h + 2 * p) * cell + 4,
      fontGroup(cell, inner));

    var ocell = cellSize(out.shape[0], out.shape[1]);
    var cells = draw.grid(2, 2, ocell, out.shape[0], out.shape[1], function (r, c) {
      var v = out.data[r * out.shape[1] + c];
      var here = r === sel.r && c === sel.c;
      return {
        cls: here ? "cnnviz-cell-out cnnviz-picked" : "cnnviz-cell-out", text: draw.fmt(v),
        opacity: here ? undefined : shade(v, range), title: windowText(result, params, r, c)
      };
    });
    draw.svg(q("svg.cnnviz-out"), out.shape[1] * ocell + 4, out.shape[0] * ocell + 4,
      fontGroup(ocell, cells));
  }

  // A {shape, data} image in gray (0 black, 1 white) on a canvas, `pad` padding cells around,
  // `scale` screen pixels a cell.
  function paint(canvas, a, pad, scale) {
    var h = a.shape[0];
    var w = a.shape[1];
    var pixels = new ImageData(w, h);
    for (var i = 0; i < a.data.length; i++) {
      var g = Math.round(Math.max(0, Math.min(1, a.data[i])) * 255);
      pixels.data.set([g, g, g, 255], 4 * i);
    }
    var plain = document.createElement("canvas");
    plain.width = w;
    plain.height = h;
    plain.getContext("2d").putImageData(pixels, 0, 0);
    canvas.width = (w + 2 * pad) * scale;
    canvas.height = (h + 2 * pad) * scale;
    var ctx = canvas.getContext("2d");
    ctx.fillStyle = draw.colour(root, "padding");
    ctx.fillRect(0, 0, canvas.width, canvas.height);
    ctx.imageSmoothingEnabled = false;
    ctx.drawImage(plain, pad * scale, pad * scale, w * scale, h * scale);
    return ctx;
  }

  // A square outline around cells [r, r + n) x [c, c + n) of a canvas drawn by paint().
  function outline(ctx, scale, r, c, n, role) {
    ctx.strokeStyle = draw.colour(root, role);
    ctx.lineWidth = 2;
    ctx.strokeRect(c * scale - 1, r * scale - 1, n * scale + 2, n * scale + 2);
  }

  function drawPhoto(result, params) {
    var p = params.padding;
    var s = params.stride;
    var out = result.output;
    var ctx = paint(q("canvas.cnnviz-in"), result.input, p, PHOTO_SCALE);
    outline(ctx, PHOTO_SCALE, sel.r * s, sel.c * s, params.kernel_size, "highlight-edge");
    if (result.indices) {
      var at = source(result, sel.r * out.shape[1] + sel.c, p);
      outline(ctx, PHOTO_SCALE, at[0] - 1, at[1] - 1, 3, "chosen");
    }
    // The output as large as the input on screen: each pooled pixel a block.
    var scale = Math.max(1, Math.round((PHOTO_SCALE * result.input.shape[0]) / out.shape[0]));
    var octx = paint(q("canvas.cnnviz-out"), out, 0, scale);
    outline(octx, scale, sel.r, sel.c, 1, "highlight-edge");
  }

  // ---------------------------------------------------------------------------------------
  // Text
  // ---------------------------------------------------------------------------------------
  function shapeText(shape) {
    return shape[0] + "\u00D7" + shape[1];
  }

  // The values of the window of output cell (r, c), row by row; padding as PAD_TEXT.
  function windowValues(result, params, r, c) {
    var x = result.input;
    var p = params.padding;
    var values = [];
    for (var dr = 0; dr < params.kernel_size; dr++) {
      for (var dc = 0; dc < params.kernel_size; dc++) {
        var row = r * params.stride + dr - p;
        var col = c * params.stride + dc - p;
        var inside = row >= 0 && col >= 0 && row < x.shape[0] && col < x.shape[1];
        values.push(inside ? draw.fmt(x.data[row * x.shape[1] + col]) : PAD_TEXT[params.mode]);
      }
    }
    return values;
  }

  // What output cell (r, c) is: its window, its arithmetic and where it came from.
  function windowText(result, params, r, c) {
    var out = result.output;
    var value = out.data[r * out.shape[1] + c];
    var k = params.kernel_size;
    var digits = params.image === "photo" ? 3 : 2;
    var where = "Output [" + r + ", " + c + "]: the " + k + "\u00D7" + k + " window at rows " +
      r * params.stride + "\u2013" + (r * params.stride + k - 1) + ", columns " +
      c * params.stride + "\u2013" + (c * params.stride + k - 1) + " of the padded input";
    var sum = params.image === "numbers" && k * k <= 16;
    var values = sum ? windowValues(result, params, r, c) : [];
    var arithmetic = params.mode === "avg" ?
      (sum ? "(" + values.join(" + ") + ") / " + k * k : "the mean of its " + k * k + " values") :
      (sum ? params.mode + "(" + values.join(", ") + ")" : "the " + params.mode + " of its " +
        k * k + " values");
    var text = where + ": " + arithmetic + " = " + draw.fmt(value, digits);
    if (result.indices) {
      var index = result.indices.data[r * out.shape[1] + c];
      var w = result.input.shape[1];
      text += ", the value of x[" + Math.floor(index / w) + ", " + (index % w) + "]";
    }
    return text + ".";
  }

  function render(result, params) {
    var out = result.output;
    sel.r = Math.min(sel.r, out.shape[0] - 1);
    sel.c = Math.min(sel.c, out.shape[1] - 1);
    shown = [result, params];
    var photoView = params.image === "photo";
    root.classList.toggle("cnnviz-pool--photo", photoView);
    (photoView ? drawPhoto : drawNumbers)(result, params);
    var padText = params.padding ? ", padding " + params.padding + " (" +
      PAD_TEXT[params.mode] + ")" : "";
    q(".cnnviz-in-caption").textContent = "input " + shapeText(result.input.shape) + padText;
    q(".cnnviz-out-caption").textContent = params.mode + " pool: " + shapeText(out.shape);
    q(".cnnviz-size").textContent = params.mode + " pooling, window " + params.kernel_size +
      ", stride " + params.stride + ", padding " + params.padding + ": " +
      shapeText(result.input.shape) + " \u2192 " + shapeText(out.shape);
    q(".cnnviz-detail").textContent = windowText(result, params, sel.r, sel.c);
  }

  // ---------------------------------------------------------------------------------------
  // Interaction: choose the output cell (hover, click, Next window)
  // ---------------------------------------------------------------------------------------
  function select(r, c) {
    if (shown && (r !== sel.r || c !== sel.c)) {
      sel.r = r;
      sel.c = c;
      render(shown[0], shown[1]);
    }
  }

  function pickCell(event) {
    var target = event.target;
    var cell = target && target.closest ? target.closest("rect[data-row]") : null;
    if (cell) {
      select(Number(cell.getAttribute("data-row")), Number(cell.getAttribute("data-col")));
    }
  }

  function pickPixel(event) {
    var out = shown && shown[0].output;
    if (!out || !root.classList.contains("cnnviz-pool--photo")) {
      return;
    }
    var box = event.currentTarget.getBoundingClientRect();
    var c = Math.floor(((event.clientX - box.left) / box.width) * out.shape[1]);
    var r = Math.floor(((event.clientY - box.top) / box.height) * out.shape[0]);
    select(Math.max(0, Math.min(out.shape[0] - 1, r)), Math.max(0, Math.min(out.shape[1] - 1, c)));
  }

  function next() {
    if (shown && !root.cnnviz.message) {
      var n = shown[0].output.shape[1];
      var index = (sel.r * n + sel.c + 1) % shown[0].output.data.length;
      select(Math.floor(index / n), index % n);
    }
  }

  ["mouseover", "click"].forEach(function (type) {
    q("svg.cnnviz-out").addEventListener(type, pickCell);
    q("canvas.cnnviz-out").addEventListener(type === "click" ? "click" : "mousemove", pickPixel);
  });
  q('button[data-action="next"]').addEventListener("click", next);

  base.create(root, {
    compute: compute, render: render, explain: explain, changed: changed,
    input: function (params) { return images[params.image]; }
  });
})(cnnvizOps, cnnvizCore, cnnvizExplorer, cnnvizDraw, CONFIG);
