// cnnviz network explorer: a trained CNN's forward pass in the page. Every layer's math is a
// function of cnnvizOps (ops.js, the JavaScript twin of cnnviz.ops); this file decodes the
// network, runs the layers in order and draws what they computed. CONFIG, written by
// cnnviz/explorers/network.py, holds:
//   layers       [{name, kind, title, shape, options, arrays: {key: [offset, shape]}, modules,
//                field: {size, jump, start} or null}], in forward order
//   weights      base64 of every parameter as float32 rounded to its 3 high bytes (big-endian)
//   images       base64 of uint8 (N, C, H, W); image_shape [C, H, W]
//   labels, classes, mean, std
// root.cnnviz (see base.js) adds: count, label, layers {name: {shape, data}}, timing (ms of the
// last forward pass), opened ({layer, channel, unit, field} of the opened map, or null);
// params.image (an index, or -1 for the reader's own image), params.occlusion ([row, col],
// the centre of the hidden square, or null when nothing is hidden; the checkbox `occlude`
// shows or hides it) and params.window (its side).
// The text is inlined in a <script> element: it must never contain a less-than sign followed
// by a slash (write "<\/" in strings).
(function () {
  var root = document.getElementById(CONFIG.id);
  var ops = cnnvizOps;
  var draw = cnnvizDraw;
  var LAYERS = CONFIG.layers;
  var SHAPE = CONFIG.image_shape; // [C, H, W]
  var PLANE = SHAPE[1] * SHAPE[2];
  var COUNT = CONFIG.labels.length;
  var FEW_MAPS = 12; // maps shown per layer until the reader asks for all of them
  var INPUT_PX = 192; // the input picture's side on screen
  var DETAIL_PX = 192; // an opened feature map's side

  // ---------------------------------------------------------------------------------------
  // The network: weights, images, the forward pass
  // ---------------------------------------------------------------------------------------

  var bytesOf = cnnvizExplorer.bytesOf;

  // float32 values from their three high bytes (the low byte was rounded away).
  function float24(bytes) {
    var n = bytes.length / 3;
    var out = new Float64Array(n);
    var view = new DataView(new ArrayBuffer(4));
    for (var i = 0; i < n; i++) {
      view.setUint32(0, ((bytes[3 * i] << 24) | (bytes[3 * i + 1] << 16) |
        (bytes[3 * i + 2] << 8)) >>> 0);
      out[i] = view.getFloat32(0);
    }
    return out;
  }

  var WEIGHTS = float24(bytesOf(CONFIG.weights));
  var IMAGES = bytesOf(CONFIG.images);

  function size(shape) {
    return shape.reduce(function (a, b) { return a * b; }, 1);
  }

  // A layer's parameter `key` as {shape, data}, or null.
  function param(layer, key) {
    var spec = layer.arrays[key];
    if (!spec) {
      return null;
    }
    return { shape: spec[1], data: WEIGHTS.subarray(spec[0], spec[0] + size(spec[1])) };
  }

  function without(options, key) {
    var out = {};
    Object.keys(options).forEach(function (name) {
      if (name !== key) {
        out[name] = options[name];
      }
    });
    return out;
  }

  // Per-channel x * scale + shift (BatchNorm in evaluation mode, not folded).
  function batchNorm(x, scale, shift) {
    var n = x.data.length / x.shape[0];
    var out = new Float64Array(x.data.length);
    for (var i = 0; i < out.length; i++) {
      var c = Math.floor(i / n);
      out[i] = x.data[i] * scale.data[c] + shift.data[c];
    }
    return { shape: x.shape, data: out };
  }

  var RUN = {
    conv2d: function (x, layer) {
      var options = Object.assign({ bias: param(layer, "bias") }, layer.options);
      return ops.conv2d(x, param(layer, "weight"), options);
    },
    batch_norm: function (x, layer) {
      return batchNorm(x, param(layer, "scale"), param(layer, "shift"));
    },
    max_pool2d: function (x, layer) {
      return ops.max_pool2d(x, layer.options.kernel_size, without(layer.options, "kernel_size"));
    },
    avg_pool2d: function (x, layer) {
      return ops.avg_pool2d(x, layer.options.kernel_size, without(layer.options, "kernel_size"));
    },
    flatten: function (x) {
      return { shape: [x.data.length], data: x.data };
    },
    linear: function (x, layer) {
      return ops.linear(x, param(layer, "weight"), { bias: param(layer, "bias") });
    },
    mul: function (x, layer) {
      var out = new Float64Array(x.data.length);
      for (var i = 0; i < out.length; i++) {
        out[i] = x.data[i] * layer.options.scale;
      }
      return { shape: x.shape, data: out };
    }
  };

  function runLayer(x, layer) {
    if (RUN[layer.kind]) {
      return RUN[layer.kind](x, layer);
    }
    return ops[layer.kind](x, layer.options); // an activation of ops.ACTIVATIONS
  }

  // Every layer's output for the normalized input x, and the time it took.
  function forward(x) {
    var t0 = performance.now();
    var outputs = {};
    LAYERS.forEach(function (layer) {
      x = runLayer(x, layer);
      outputs[layer.name] = x;
    });
    return { layers: outputs, logits: x, ms: performance.now() - t0 };
  }

  // ---------------------------------------------------------------------------------------
  // The input: an embedded image or the reader's own, normalized, maybe partly hidden
  // ---------------------------------------------------------------------------------------

  var state = { image: 0, own: null, centre: [SHAPE[1] >> 1, SHAPE[2] >> 1], picked: null,
    unit: null, all: {} };

  function imageBytes(index) {
    return index < 0 ? state.own : IMAGES.subarray(index * SHAPE[0] * PLANE,
      (index + 1) * SHAPE[0] * PLANE);
  }

  // The hidden square's [top, left, bottom, right) around `centre`, inside the image.
  function square(centre, window) {
    var top = Math.max(0, centre[0] - Math.floor(window / 2));
    var left = Math.max(0, centre[1] - Math.floor(window / 2));
    return [top, left, Math.min(SHAPE[1], centre[0] - Math.floor(window / 2) + window),
      Math.min(SHAPE[2], centre[1] - Math.floor(window / 2) + window)];
  }

  function hidden(params, row, col) {
    if (!params.occlusion) {
      return false;
    }
    var box = square(params.occlusion, params.window);
    return row >= box[0] && row < box[2] && col >= box[1] && col < box[3];
  }

  // (image / 255 - mean) / std per channel; 0 (the mean colour) inside the hidden square.
  function normalized(params) {
    var bytes = imageBytes(params.image);
    var data = new Float64Array(SHAPE[0] * PLANE);
    for (var c = 0; c < SHAPE[0]; c++) {
      for (var i = 0; i < PLANE; i++) {
        var row = Math.floor(i / SHAPE[2]);
        data[c * PLANE + i] = hidden(params, row, i % SHAPE[2]) ? 0 :
          (bytes[c * PLANE + i] / 255 - CONFIG.mean[c]) / CONFIG.std[c];
      }
    }
    return { shape: SHAPE.slice(), data: data };
  }

  function compute(params) {
    var input = normalized(params);
    var run = forward(input);
    var logits = Array.from(run.logits.data);
    return {
      input: input,
      output: { logits: logits, probabilities: Array.from(ops.softmax(logits)) },
      layers: run.layers,
      timing: run.ms
    };
  }

  // ---------------------------------------------------------------------------------------
  // Drawing
  // ---------------------------------------------------------------------------------------

  function rgb(hex) {
    var n = parseInt(hex.replace("#", ""), 16);
    return [(n >> 16) & 255, (n >> 8) & 255, n & 255];
  }

  var NEGATIVE = rgb(draw.colour(root, "input-edge"));
  var POSITIVE = rgb(draw.colour(root, "highlight"));

  // White at 0, the palette's blue below, its orange above, full at |v| = scale.
  function tone(v, scale, out, at) {
    var a = scale > 0 ? Math.min(1, Math.abs(v) / scale) : 0;
    var colour = v < 0 ? NEGATIVE : POSITIVE;
    for (var k = 0; k < 3; k++) {
      out[at + k] = Math.round(255 + (colour[k] - 255) * a);
    }
    out[at + 3] = 255;
  }

  function largest(values) {
    var m = 0;
    for (var i = 0; i < values.length; i++) {
      m = Math.max(m, Math.abs(values[i]) || 0);
    }
    return m;
  }

  // The colour scale of a layer: the 99th percentile of |value| (the few larger values
  // saturate), so that one outlier does not leave every other map white.
  function layerScale(values) {
    var sorted = new Float64Array(values.length);
    for (var i = 0; i < values.length; i++) {
      sorted[i] = Math.abs(values[i]) || 0;
    }
    sorted.sort();
    return sorted.length ? sorted[Math.floor(0.99 * (sorted.length - 1))] || largest(values) : 0;
  }

  // An h x w map of values (at `offset`) into `canvas`, coloured on +-scale.
  function paintMap(canvas, values, offset, h, w, scale) {
    canvas.width = w;
    canvas.height = h;
    var context = canvas.getContext("2d");
    var picture = context.createImageData(w, h);
    for (var i = 0; i < h * w; i++) {
      tone(values[offset + i], scale, picture.data, 4 * i);
    }
    context.putImageData(picture, 0, 0);
  }

  // The image bytes as RGB(A) pixels of a w x h ImageData (grey for one channel).
  function photo(context, bytes, params) {
    var picture = context.createImageData(SHAPE[2], SHAPE[1]);
    for (var i = 0; i < PLANE; i++) {
      var row = Math.floor(i / SHAPE[2]);
      for (var k = 0; k < 3; k++) {
        var c = SHAPE[0] === 1 ? 0 : k;
        var mean = Math.round(255 * CONFIG.mean[c]);
        picture.data[4 * i + k] = params && hidden(params, row, i % SHAPE[2]) ? mean :
          bytes[c * PLANE + i];
      }
      picture.data[4 * i + 3] = 255;
    }
    return picture;
  }

  function makeCanvas(cls, label) {
    var canvas = document.createElement("canvas");
    canvas.className = cls;
    if (label) {
      canvas.setAttribute("aria-label", label);
    }
    return canvas;
  }

  // The input, enlarged about to `side` pixels, with the hidden square and the opened unit's
  // receptive field, into `canvas`.
  function drawPicture(canvas, params, side) {
    var small = document.createElement("canvas");
    small.width = SHAPE[2];
    small.height = SHAPE[1];
    small.getContext("2d").putImageData(photo(small.getContext("2d"), imageBytes(params.image),
      params), 0, 0);
    var zoom = Math.max(1, Math.floor(side / Math.max(SHAPE[1], SHAPE[2])));
    canvas.width = SHAPE[2] * zoom;
    canvas.height = SHAPE[1] * zoom;
    var context = canvas.getContext("2d");
    context.imageSmoothingEnabled = false;
    context.drawImage(small, 0, 0, canvas.width, canvas.height);
    if (params.occlusion) {
      outline(context, square(params.occlusion, params.window), zoom, "muted", [4, 3]);
    }
    var field = unitField();
    if (field) {
      outline(context, field.box, zoom, "highlight-edge", []);
    }
  }

  function outline(context, box, zoom, role, dash) {
    context.save();
    context.setLineDash(dash);
    context.lineWidth = 3;
    context.strokeStyle = draw.colour(root, role);
    context.strokeRect(box[1] * zoom + 1.5, box[0] * zoom + 1.5,
      (box[3] - box[1]) * zoom - 3, (box[2] - box[0]) * zoom - 3);
    context.restore();
  }

  var CHANNEL_NAMES = SHAPE[0] === 3 ? ["red", "green", "blue"] : ["grey"];

  // The normalized channels the network sees, on one shared colour scale.
  function drawNormalized(input) {
    var box = root.querySelector(".cnnviz-net-norm");
    var scale = largest(input.data);
    var html = "";
    for (var c = 0; c < SHAPE[0]; c++) {
      html += '<div class="cnnviz-net-channel"><canvas><\/canvas><div>' + CHANNEL_NAMES[c] +
        "<\/div><\/div>";
    }
    box.innerHTML = html + '<div class="cnnviz-net-scale">what the network sees: each colour ' +
      "channel normalized, (value / 255 \u2212 mean) / std; white 0, blue " + draw.MINUS +
      draw.fmt(scale, 2) + ", orange +" + draw.fmt(scale, 2) + "<\/div>";
    Array.prototype.forEach.call(box.querySelectorAll("canvas"), function (canvas, c) {
      paintMap(canvas, input.data, c * PLANE, SHAPE[1], SHAPE[2], scale);
      canvas.setAttribute("aria-label", CHANNEL_NAMES[c] + " channel, normalized");
    });
  }

  // "a cat", "an airplane"
  function article(name) {
    return (/^[aeiou]/i.test(name) ? "an " : "a ") + name;
  }

  function percent(p) {
    return (100 * p).toFixed(1) + " %";
  }

  function argmax(values) {
    var best = 0;
    for (var i = 1; i < values.length; i++) {
      best = values[i] > values[best] ? i : best;
    }
    return best;
  }

  function drawBars(output, label) {
    var top = argmax(output.probabilities);
    var html = "";
    output.probabilities.forEach(function (p, k) {
      var truth = k === label ? " cnnviz-true" : "";
      html += '<span class="cnnviz-bar-label' + truth + '">' + draw.esc(CONFIG.classes[k]) +
        '<\/span><span class="cnnviz-bar-track' + (k === top ? " cnnviz-top" : "") + truth +
        '" title="logit ' + draw.fmt(output.logits[k], 3) + '"><span class="cnnviz-bar-fill" ' +
        'style="width:' + (100 * p).toFixed(2) + '%"><\/span><\/span>' +
        '<span class="cnnviz-bar-value">' + percent(p) + "<\/span>";
    });
    root.querySelector(".cnnviz-bars").innerHTML = html;
  }

  // ---------------------------------------------------------------------------------------
  // Every layer as a strip of maps; an opened map with its filters and receptive field
  // ---------------------------------------------------------------------------------------

  function shapeText(shape) {
    return shape.join(" \u00D7 ");
  }

  function tilePx(h) {
    return h >= 16 ? 44 : h >= 8 ? 34 : 26;
  }

  // "stem.0 + stem.1 conv 5×5, 3→32 + BatchNorm → 32 × 32 × 32": the torch modules it runs.
  function layerHead(layer, index) {
    return '<div class="cnnviz-net-head"><code>' + draw.esc(layer.modules.join(" + ")) +
      "<\/code> " + draw.esc(layer.title) + ' <span class="cnnviz-net-shape">\u2192 ' +
      shapeText(layer.shape) + (index === LAYERS.length - 1 ? " (the logits)" : "") +
      "<\/span><\/div>";
  }

  function drawLayers(outputs) {
    var box = root.querySelector(".cnnviz-net-layers");
    var html = "";
    LAYERS.forEach(function (layer, index) {
      html += '<div class="cnnviz-net-layer" data-layer="' + draw.esc(layer.name) + '">' +
        layerHead(layer, index) + '<div class="cnnviz-net-maps"><\/div><\/div>';
    });
    box.innerHTML = html;
    LAYERS.forEach(function (layer, index) {
      var strip = box.children[index].querySelector(".cnnviz-net-maps");
      var values = outputs[layer.name];
      if (layer.shape.length === 3 && layer.shape[1] * layer.shape[2] > 1) {
        drawMaps(strip, layer, values);
      } else {
        var canvas = makeCanvas("cnnviz-net-vector", layer.name + ": " + layer.shape[0] +
          " values");
        paintMap(canvas, values.data, 0, 1, values.data.length, layerScale(values.data));
        strip.appendChild(canvas);
      }
    });
  }

  function drawMaps(strip, layer, values) {
    var channels = layer.shape[0];
    var h = layer.shape[1];
    var w = layer.shape[2];
    var shown = state.all[layer.name] ? channels : Math.min(channels, FEW_MAPS);
    var scale = layerScale(values.data);
    for (var c = 0; c < shown; c++) {
      var canvas = makeCanvas("cnnviz-net-map", layer.name + " channel " + c);
      canvas.setAttribute("data-channel", String(c));
      canvas.setAttribute("role", "button");
      canvas.setAttribute("tabindex", "0");
      canvas.title = "channel " + c + ": click to open";
      canvas.style.width = tilePx(h) + "px";
      paintMap(canvas, values.data, c * h * w, h, w, scale);
      var picked = state.picked && state.picked.layer === layer.name &&
        state.picked.channel === c;
      canvas.classList.toggle("cnnviz-picked", Boolean(picked));
      strip.appendChild(canvas);
    }
    if (channels > FEW_MAPS) {
      var more = document.createElement("button");
      more.type = "button";
      more.className = "cnnviz-net-more";
      more.textContent = state.all[layer.name] ? "show " + FEW_MAPS : "all " + channels;
      more.setAttribute("data-layer", layer.name);
      strip.appendChild(more);
    }
  }

  function layerIndex(name) {
    for (var i = 0; i < LAYERS.length; i++) {
      if (LAYERS[i].name === name) {
        return i;
      }
    }
    return -1;
  }

  var PER_CHANNEL = { batch_norm: true, max_pool2d: true, avg_pool2d: true };

  // The convolution whose filter `channel` made this layer's map: the layer itself, or the
  // last conv2d before it with only per-channel layers (BatchNorm, pooling, activations)
  // between them.
  function sourceConv(index) {
    for (var i = index; i >= 0; i--) {
      var kind = LAYERS[i].kind;
      if (kind === "conv2d") {
        return LAYERS[i];
      }
      if (!PER_CHANNEL[kind] && !ops.ACTIVATIONS[kind]) {
        return null;
      }
    }
    return null;
  }

  // The opened unit's receptive field: {box: [top, left, bottom, right) inside the image,
  // rows: [first, last], cols: [first, last], size} (rows and columns may reach the padding).
  function unitField() {
    if (!state.picked || !state.unit) {
      return null;
    }
    var field = LAYERS[layerIndex(state.picked.layer)].field;
    if (!field) {
      return null;
    }
    var rows = [field.start + state.unit[0] * field.jump];
    var cols = [field.start + state.unit[1] * field.jump];
    rows.push(rows[0] + field.size - 1);
    cols.push(cols[0] + field.size - 1);
    var box = [Math.max(0, rows[0]), Math.max(0, cols[0]), Math.min(SHAPE[1], rows[1] + 1),
      Math.min(SHAPE[2], cols[1] + 1)];
    return { box: box, rows: rows, cols: cols, size: field.size };
  }

  function drawDetail(outputs, params) {
    var panel = root.querySelector(".cnnviz-net-detail");
    if (!state.picked) {
      panel.hidden = true;
      panel.innerHTML = "";
      return;
    }
    var index = layerIndex(state.picked.layer);
    var layer = LAYERS[index];
    var c = state.picked.channel;
    var h = layer.shape[1];
    var w = layer.shape[2];
    var values = outputs[layer.name].data;
    var plane = values.subarray(c * h * w, (c + 1) * h * w);
    var scale = layerScale(values);
    var low = draw.extent(plane);
    panel.hidden = false;
    panel.innerHTML = '<div class="cnnviz-net-open"><div class="cnnviz-caption">' +
      "<code>" + draw.esc(layer.name) + "<\/code> channel " + c + " of " + layer.shape[0] +
      " (" + shapeText([h, w]) + ')<\/div><div class="cnnviz-net-bigbox">' +
      '<canvas class="cnnviz-net-big"><\/canvas>' + unitMark(h, w) + "<\/div>" +
      '<div class="cnnviz-net-note">values ' + draw.fmt(low[0], 2) + " to " +
      draw.fmt(low[1], 2) + "; white 0, full colour at \u00B1" + draw.fmt(scale, 2) +
      " (99 % of the layer's values lie within it; larger ones are drawn at full colour)" +
      '<\/div><div class="cnnviz-net-unit"><\/div>' +
      '<canvas class="cnnviz-net-fieldview" hidden><\/canvas><\/div>' +
      '<div class="cnnviz-net-filters"><\/div>' +
      '<button type="button" class="cnnviz-net-close">close<\/button>';
    var big = panel.querySelector(".cnnviz-net-big");
    paintMap(big, values, c * h * w, h, w, scale);
    big.style.width = Math.min(DETAIL_PX, Math.max(w * 12, (3 * DETAIL_PX) / 4)) + "px";
    big.setAttribute("aria-label", layer.name + " channel " + c + ", enlarged: click a unit");
    drawUnit(panel.querySelector(".cnnviz-net-unit"), plane, w, layer);
    var view = panel.querySelector(".cnnviz-net-fieldview");
    view.hidden = !unitField();
    if (unitField()) {
      drawPicture(view, params, INPUT_PX / 2);
      view.setAttribute("aria-label", "the input, with the unit's receptive field outlined");
    }
    drawFilters(panel.querySelector(".cnnviz-net-filters"), index, c);
  }

  // An outline over the opened unit of an h x w map (percentages of the enlarged map).
  function unitMark(h, w) {
    if (!state.unit) {
      return "";
    }
    return '<div class="cnnviz-net-mark" style="top:' + (100 * state.unit[0] / h) +
      "%;left:" + (100 * state.unit[1] / w) + "%;height:" + 100 / h + "%;width:" + 100 / w +
      '%"><\/div>';
  }

  function drawUnit(box, plane, w, layer) {
    var field = unitField();
    if (!state.unit) {
      box.textContent = layer.field ? "Click a unit (pixel) of this map: its receptive " +
        "field is outlined on the input." : "";
      return;
    }
    var text = "unit (row " + state.unit[0] + ", column " + state.unit[1] + ") = " +
      draw.fmt(plane[state.unit[0] * w + state.unit[1]], 3);
    if (field) {
      text += ". It sees input rows " + draw.fmt(field.rows[0]) + " to " +
        draw.fmt(field.rows[1]) + " and columns " + draw.fmt(field.cols[0]) + " to " +
        draw.fmt(field.cols[1]) + " (receptive field " + field.size +
        " \u00D7 " + field.size + "; rows or columns outside 0 to " +
        (SHAPE[1] - 1) + " are padding), outlined on the input here and above.";
    }
    box.textContent = text;
  }

  // The per-channel layers between a convolution and the map that was opened, in words.
  function after(conv, index) {
    var names = [];
    for (var i = layerIndex(conv.name) + 1; i <= index; i++) {
      names.push(LAYERS[i].modules.join(" + ") + " (" + LAYERS[i].title + ")");
    }
    return names.length ? ". Then " + names.join(", ") + ", which act on each channel " +
      "alone, made the map." : "";
  }

  function drawFilters(box, index, channel) {
    var conv = sourceConv(index);
    if (!conv) {
      box.textContent = "";
      return;
    }
    var weight = param(conv, "weight");
    var inC = weight.shape[1];
    var kh = weight.shape[2];
    var kw = weight.shape[3];
    var taps = inC * kh * kw;
    var filter = weight.data.subarray(channel * taps, (channel + 1) * taps);
    var scaled = conv.modules.length > 1 ? ", scaled by the BatchNorm " + conv.modules[1] +
      " folded into it" : "";
    box.innerHTML = '<div class="cnnviz-caption">the filter that made it: <code>' +
      draw.esc(conv.modules[0]) + "<\/code> weight[" + channel + "], " +
      shapeText([inC, kh, kw]) + scaled + '<\/div><div class="cnnviz-net-taps"><\/div>' +
      '<div class="cnnviz-net-note">one ' + kh + " \u00D7 " + kw + " kernel per input " +
      "channel; white 0, full colour at \u00B1" + draw.fmt(largest(filter), 3) +
      after(conv, index) + "<\/div>";
    var taps_box = box.querySelector(".cnnviz-net-taps");
    var scale = largest(filter);
    var px = Math.max(20, Math.min(48, 8 * kh));
    for (var c = 0; c < inC; c++) {
      var canvas = makeCanvas("cnnviz-net-tap", "input channel " + c);
      canvas.title = "input channel " + c;
      canvas.style.width = px + "px";
      paintMap(canvas, filter, c * kh * kw, kh, kw, scale);
      taps_box.appendChild(canvas);
    }
  }

  // ---------------------------------------------------------------------------------------
  // The explorer: controls, clicks, an uploaded or dropped image
  // ---------------------------------------------------------------------------------------

  function drawThumbs() {
    var box = root.querySelector(".cnnviz-net-pick");
    for (var i = 0; i < COUNT; i++) {
      var button = document.createElement("button");
      button.type = "button";
      button.className = "cnnviz-net-thumb";
      button.setAttribute("data-image", String(i));
      button.setAttribute("aria-label", "image " + i + ": " + CONFIG.classes[CONFIG.labels[i]]);
      button.title = "image " + i + ": " + CONFIG.classes[CONFIG.labels[i]];
      var canvas = makeCanvas("cnnviz-net-thumb-image");
      canvas.width = SHAPE[2];
      canvas.height = SHAPE[1];
      var context = canvas.getContext("2d");
      context.putImageData(photo(context, imageBytes(i), null), 0, 0);
      button.appendChild(canvas);
      box.appendChild(button);
    }
  }

  function render(result, params) {
    var api = root.cnnviz;
    api.layers = result.layers;
    api.timing = result.timing;
    api.label = params.image < 0 ? null : CONFIG.labels[params.image];
    var field = unitField();
    api.opened = state.picked && { layer: state.picked.layer, channel: state.picked.channel,
      unit: state.unit, field: field && { rows: field.rows, cols: field.cols } };
    Array.prototype.forEach.call(root.querySelectorAll(".cnnviz-net-thumb"), function (b, i) {
      b.classList.toggle("cnnviz-picked", i === params.image);
      b.setAttribute("aria-pressed", String(i === params.image));
    });
    drawPicture(root.querySelector(".cnnviz-net-image"), params, INPUT_PX);
    root.querySelector(".cnnviz-net-title").textContent = api.label === null ?
      "input: your image" : "input: image " + params.image + ", " +
      article(CONFIG.classes[api.label]);
    drawNormalized(result.input);
    drawBars(result.output, api.label);
    drawLayers(result.layers);
    drawDetail(result.layers, params);
    var top = argmax(result.output.probabilities);
    var truth = api.label === null ? "your image" : "true class: " + CONFIG.classes[api.label];
    root.querySelector(".cnnviz-size").textContent = "predicted: " + CONFIG.classes[top] +
      " (" + percent(result.output.probabilities[top]) + "), " + truth;
    root.querySelector(".cnnviz-detail").textContent = LAYERS.length + " layers, one " +
      "forward pass in " + result.timing.toFixed(0) + " ms in your browser" +
      (params.occlusion ? "; a square of " + params.window + " \u00D7 " + params.window +
        " pixels is hidden" : "");
  }

  function checkPixel(value, n) {
    if (typeof value !== "number" || value !== Math.floor(value) || value < 0 || value >= n) {
      var error = new Error("occlusion must be [row, col] inside the image, got " + value);
      error.param = "occlusion";
      throw error;
    }
    return value;
  }

  function checkImage(value) {
    var ok = value === -1 ? state.own !== null : value === Math.floor(value) && value >= 0 &&
      value < COUNT;
    if (typeof value !== "number" || !ok) {
      var error = new Error("image must be an int from 0 to " + (COUNT - 1) +
        (state.own ? " or -1 (your image)" : "") + ", got " + value);
      error.param = "image";
      throw error;
    }
    return value;
  }

  function write(name, value) {
    if (name === "image") {
      state.image = checkImage(value);
      return true;
    }
    if (name === "occlusion") {
      if (value) {
        state.centre = [checkPixel(value[0], SHAPE[1]), checkPixel(value[1], SHAPE[2])];
      }
      root.querySelector('[data-param="occlude"]').checked = Boolean(value);
      return true;
    }
    return false;
  }

  function read(params) {
    params.image = state.image;
    params.occlusion = params.occlude ? state.centre.slice() : null;
    return params;
  }

  // The pixel [row, col] under a click on a canvas that shows an h x w array.
  function pixelAt(event, canvas, h, w) {
    var box = canvas.getBoundingClientRect();
    var row = Math.floor(((event.clientY - box.top) / box.height) * h);
    var col = Math.floor(((event.clientX - box.left) / box.width) * w);
    return [Math.min(h - 1, Math.max(0, row)), Math.min(w - 1, Math.max(0, col))];
  }

  function openMap(target) {
    var layer = target.closest("[data-layer]").getAttribute("data-layer");
    state.picked = { layer: layer, channel: Number(target.getAttribute("data-channel")) };
    state.unit = null;
    api.update();
    root.querySelector(".cnnviz-net-detail").scrollIntoView({ block: "nearest" });
  }

  function onClick(event) {
    var target = event.target;
    var thumb = target.closest(".cnnviz-net-thumb");
    if (thumb) {
      api.set({ image: Number(thumb.getAttribute("data-image")) });
    } else if (target.classList.contains("cnnviz-net-map")) {
      openMap(target);
    } else if (target.classList.contains("cnnviz-net-more")) {
      var name = target.getAttribute("data-layer");
      state.all[name] = !state.all[name];
      api.update();
    } else if (target.classList.contains("cnnviz-net-big")) {
      var layer = LAYERS[layerIndex(state.picked.layer)];
      state.unit = pixelAt(event, target, layer.shape[1], layer.shape[2]);
      api.update();
    } else if (target.classList.contains("cnnviz-net-close")) {
      state.picked = null;
      state.unit = null;
      api.update();
    } else if (target.classList.contains("cnnviz-net-image")) {
      api.set({ occlusion: pixelAt(event, target, SHAPE[1], SHAPE[2]) });
    }
  }

  // The reader's image: the centre square (of the images' aspect), resized in the browser.
  function useImage(source, width, height) {
    var canvas = document.createElement("canvas");
    canvas.width = SHAPE[2];
    canvas.height = SHAPE[1];
    var context = canvas.getContext("2d");
    var aspect = SHAPE[2] / SHAPE[1];
    var w = Math.min(width, height * aspect);
    var h = w / aspect;
    context.imageSmoothingQuality = "high";
    context.drawImage(source, (width - w) / 2, (height - h) / 2, w, h, 0, 0, SHAPE[2], SHAPE[1]);
    var pixels = context.getImageData(0, 0, SHAPE[2], SHAPE[1]).data;
    var bytes = new Uint8Array(SHAPE[0] * PLANE);
    for (var i = 0; i < PLANE; i++) {
      var r = pixels[4 * i];
      var g = pixels[4 * i + 1];
      var b = pixels[4 * i + 2];
      if (SHAPE[0] === 1) {
        bytes[i] = Math.round(0.299 * r + 0.587 * g + 0.114 * b);
      } else {
        bytes[i] = r;
        bytes[PLANE + i] = g;
        bytes[2 * PLANE + i] = b;
      }
    }
    state.own = bytes;
    api.set({ image: -1, occlusion: null });
  }

  function loadFile(file) {
    if (!file || !/^image\//.test(file.type)) {
      return;
    }
    var url = URL.createObjectURL(file);
    var picture = new Image();
    picture.onload = function () {
      useImage(picture, picture.naturalWidth, picture.naturalHeight);
      URL.revokeObjectURL(url);
    };
    picture.onerror = function () {
      root.querySelector(".cnnviz-message").textContent = "This file could not be read " +
        "as an image.";
      URL.revokeObjectURL(url);
    };
    picture.src = url;
  }

  drawThumbs();
  var api = cnnvizExplorer.create(root, { read: read, write: write, compute: compute,
    render: render });
  api.count = COUNT;
  root.addEventListener("click", onClick);
  root.addEventListener("keydown", function (event) {
    if ((event.key === "Enter" || event.key === " ") &&
        event.target.classList.contains("cnnviz-net-map")) {
      event.preventDefault();
      openMap(event.target);
    }
  });
  root.querySelector('input[type="file"]').addEventListener("change", function (event) {
    loadFile(event.target.files[0]);
  });
  var image = root.querySelector(".cnnviz-net-image");
  image.addEventListener("dragover", function (event) {
    event.preventDefault();
  });
  image.addEventListener("drop", function (event) {
    event.preventDefault();
    loadFile(event.dataTransfer.files[0]);
  });
})();
