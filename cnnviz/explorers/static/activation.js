// cnnviz activation explorer: an activation of cnnvizOps.ACTIVATIONS (ops.js, the twin of
// cnnviz.ops.ACTIVATIONS) drawn with its derivative, a point the reader drags along x, and
// the same function applied to a small feature map, recomputed in the browser. Each map has a
// colour bar on its own scale: the feature map and f(map) share the feature map's largest
// |value|; f'(map) goes to its largest |f'|, at least 1.
// root.cnnviz (base.js): params {activation, x, negative_slope}; input {shape: [37]}: x, then
// the 36 values of the feature map; output {shape: [2, 37]}: f (row 0) and f' (row 1) there;
// result.curve {x, f, df}: the drawn curves.
// The page runs one copy per output, with CONFIG (its element id, the initial settings and the
// feature map); it only touches the element with that id.
// The text is inlined in a <script> element: it must never contain a less-than sign followed
// by a slash (write "<\/" in strings).
(function (ops, base, draw, config) {
  "use strict";
  var root = document.getElementById(config.id);
  if (!root || root.cnnviz) {
    return;
  }

  var MAP = ops.array(config.map.data, config.map.shape);
  var LOW = -4;
  var HIGH = 4;
  var GRID = new Float64Array(401); // the curves' x values, LOW to HIGH
  for (var g = 0; g < GRID.length; g++) {
    GRID[g] = LOW + ((HIGH - LOW) * g) / (GRID.length - 1);
  }
  var PRIME = "\u2032";
  var MINUS = draw.MINUS;
  var chart = root.querySelector(".cnnviz-chart");
  var slider = root.querySelector('input[data-param="x"]');
  var shown = null; // [result, params] drawn last
  var frame = null; // the chart's geometry when last drawn

  // The keyword arguments of the chosen activation: leaky ReLU takes negative_slope.
  function options(activation, params) {
    return "negative_slope" in activation.options ? { negative_slope: params.negative_slope } : {};
  }

  function compute(params) {
    var activation = ops.ACTIVATIONS[params.activation];
    var opts = options(activation, params);
    var n = 1 + MAP.data.length;
    var points = new Float64Array(n);
    points[0] = params.x;
    points.set(MAP.data, 1);
    var both = new Float64Array(2 * n);
    both.set(activation.function(points, opts));
    both.set(activation.derivative(points, opts), n);
    return {
      input: { shape: [n], data: points },
      output: { shape: [2, n], data: both },
      curve: { x: GRID, f: activation.function(GRID, opts), df: activation.derivative(GRID, opts) }
    };
  }

  function explain(error) {
    return draw.refusal(root, error, error.param, "Move " + error.param + " back into its range.");
  }

  function changed(params) {
    var leaky = params.activation === "leaky_relu";
    root.querySelector('input[data-param="negative_slope"]').disabled = !leaky;
    draw.show(root, "negative_slope", draw.fixed(params.negative_slope, 2));
    draw.show(root, "x", draw.fixed(params.x, 1));
  }

  // ---------------------------------------------------------------------------------------
  // The chart: f solid, f' dashed, the point, a handle to drag
  // ---------------------------------------------------------------------------------------
  function yRange(curve) {
    var range = draw.extent(curve.f, curve.df);
    var margin = 0.1 * (range[1] - range[0]) + 0.05; // as the ipywidgets twin
    return [range[0] - margin, range[1] + margin];
  }

  function tickStep(span) {
    var steps = [0.1, 0.2, 0.25, 0.5, 1, 2, 5];
    for (var i = 0; i < steps.length; i++) {
      if (span / steps[i] <= 6) {
        return steps[i];
      }
    }
    return 10;
  }

  function geometry(curve) {
    var width = Math.max(280, Math.min(700, chart.parentNode.clientWidth || 640));
    var height = width < 420 ? 220 : 260;
    var ys = yRange(curve);
    var box = { left: 38, right: width - 10, top: 10, bottom: height - 26 };
    return {
      width: width, height: height, box: box, ys: ys,
      px: function (x) {
        return box.left + ((x - LOW) / (HIGH - LOW)) * (box.right - box.left);
      },
      py: function (y) {
        return box.bottom - ((y - ys[0]) / (ys[1] - ys[0])) * (box.bottom - box.top);
      }
    };
  }

  function path(fr, ys) {
    var d = "";
    for (var i = 0; i < GRID.length; i++) {
      d += (i ? "L" : "M") + fr.px(GRID[i]).toFixed(1) + " " + fr.py(ys[i]).toFixed(1);
    }
    return d;
  }

  function axes(fr) {
    var b = fr.box;
    var out = "";
    for (var x = LOW; x <= HIGH; x++) {
      out += draw.tag("line", { x1: fr.px(x), x2: fr.px(x), y1: b.top, y2: b.bottom, "class": "cnnviz-gridline" });
      out += draw.tag("text", { x: fr.px(x), y: b.bottom + 16, "text-anchor": "middle", "class": "cnnviz-tick" },
        draw.fmt(x));
    }
    var step = tickStep(fr.ys[1] - fr.ys[0]);
    for (var y = Math.ceil(fr.ys[0] / step) * step; y <= fr.ys[1]; y += step) {
      out += draw.tag("line", { x1: b.left, x2: b.right, y1: fr.py(y), y2: fr.py(y), "class": "cnnviz-gridline" });
      out += draw.tag("text", { x: b.left - 5, y: fr.py(y) + 4, "text-anchor": "end", "class": "cnnviz-tick" },
        draw.fmt(y));
    }
    var zero = Math.max(b.top, Math.min(b.bottom, fr.py(0)));
    out += draw.tag("line", { x1: b.left, x2: b.right, y1: zero, y2: zero, "class": "cnnviz-axis" });
    out += draw.tag("line", { x1: fr.px(0), x2: fr.px(0), y1: b.top, y2: b.bottom, "class": "cnnviz-axis" });
    return out;
  }

  function drawChart(result, params) {
    var curve = result.curve;
    var fr = geometry(curve);
    var n = result.input.shape[0];
    var fx = result.output.data[0];
    var dfx = result.output.data[n];
    var x = fr.px(params.x);
    var b = fr.box;
    var legendY = b.top + 14;
    var inner = axes(fr) +
      draw.tag("path", { d: path(fr, curve.f), "class": "cnnviz-f" }) +
      draw.tag("path", { d: path(fr, curve.df), "class": "cnnviz-df" }) +
      draw.tag("line", { x1: x, x2: x, y1: b.top, y2: b.bottom, "class": "cnnviz-marker" }) +
      draw.tag("circle", { cx: x, cy: fr.py(dfx), r: 5, "class": "cnnviz-dot-df" }) +
      draw.tag("circle", { cx: x, cy: fr.py(fx), r: 5.5, "class": "cnnviz-dot-f" }) +
      draw.tag("circle", { cx: x, cy: b.bottom, r: 7, "class": "cnnviz-handle" }) +
      draw.tag("text", { x: b.left + 8, y: legendY, "class": "cnnviz-label-f" }, "f(x) solid") +
      draw.tag("text", { x: b.left + 8, y: legendY + 17, "class": "cnnviz-label-df" }, "f" + PRIME + "(x) dashed");
    draw.svg(chart, fr.width, fr.height, inner);
    frame = fr;
  }

  // ---------------------------------------------------------------------------------------
  // The feature map, f(map) and f'(map)
  // ---------------------------------------------------------------------------------------
  function largest(values, floor) {
    var m = floor;
    for (var i = 0; i < values.length; i++) {
      m = Math.max(m, Math.abs(values[i]));
    }
    return m;
  }

  var CELL = 32; // three maps side by side in the book's column
  var BAR_STEPS = 48; // the colour bar's steps, from -scale to +scale

  // The colour of value v on a map whose scale is `scale`: the palette's blue below 0, its
  // orange above, stronger up to |v| = scale. The cells and their colour bar both use it.
  function tone(v, scale) {
    return {
      cls: v < 0 ? "cnnviz-cell-neg" : "cnnviz-cell-pos",
      opacity: 0.06 + (0.8 * Math.min(1, Math.abs(v) / scale))
    };
  }

  function drawMap(element, values, scale) {
    var rows = MAP.shape[0];
    var cols = MAP.shape[1];
    var inner = draw.grid(1, 1, CELL, rows, cols, function (r, c) {
      var v = values[r * cols + c];
      var spec = tone(v, scale);
      spec.text = draw.fmt(v, 2);
      return spec;
    });
    draw.svg(element, cols * CELL + 2, rows * CELL + 2, '<g font-size="10">' + inner + "<\/g>");
    drawColorbar(element.parentNode.querySelector(".cnnviz-colorbar"), scale, cols * CELL);
  }

  // The colour bar under a map, as wide as the map: -scale, 0 and +scale, the map's colours.
  function drawColorbar(element, scale, width) {
    var step = width / BAR_STEPS;
    var inner = "";
    for (var i = 0; i < BAR_STEPS; i++) {
      var spec = tone(-scale + ((i + 0.5) * 2 * scale) / BAR_STEPS, scale);
      inner += draw.tag("rect", { x: 1 + i * step, y: 1, width: step, height: 12,
        "class": spec.cls, "fill-opacity": spec.opacity.toFixed(3) });
    }
    inner += draw.tag("rect", { x: 1, y: 1, width: width, height: 12, "class": "cnnviz-bar-frame" });
    var high = draw.fmt(scale, 2);
    [[1, "start", MINUS + high], [1 + width / 2, "middle", "0"], [1 + width, "end", "+" + high]]
      .forEach(function (label) {
        inner += draw.tag("text", { x: label[0], y: 27, "text-anchor": label[1],
          "class": "cnnviz-bar-label" }, label[2]);
      });
    draw.svg(element, width + 2, 31, inner);
    element.setAttribute("aria-label", "colour scale: blue " + MINUS + high + ", white 0, " +
      "orange +" + high);
  }

  function render(result, params) {
    shown = [result, params];
    var n = result.input.shape[0];
    var data = result.output.data;
    var activation = ops.ACTIVATIONS[params.activation];
    var name = params.activation;
    var label = name === "leaky_relu" ? activation.label + ", negative_slope = " +
      draw.fixed(params.negative_slope, 2) : activation.label;
    root.querySelector(".cnnviz-chart-caption").textContent = label + ": f (solid) and its " +
      "derivative f" + PRIME + " (dashed); drag the point along x";
    drawChart(result, params);
    var x = draw.fixed(params.x, 2);
    root.querySelector(".cnnviz-point").innerHTML =
      draw.tag("code", {}, name + "(" + x + ") = " + draw.fixed(data[0], 4)) + " &nbsp; " +
      draw.tag("code", {}, name + PRIME + "(" + x + ") = " + draw.fixed(data[n], 4));
    var scale = largest(MAP.data, 1e-9);
    drawMap(root.querySelector(".cnnviz-map-0"), MAP.data, scale);
    drawMap(root.querySelector(".cnnviz-map-1"), data.subarray(1, n), scale);
    drawMap(root.querySelector(".cnnviz-map-2"), data.subarray(n + 1), largest(data.subarray(n + 1), 1));
    var zeros = 0;
    for (var i = n + 1; i < data.length; i++) {
      zeros += data[i] === 0 ? 1 : 0;
    }
    root.querySelector(".cnnviz-size").textContent = "On the feature map, " + zeros + " of " +
      (n - 1) + " cells have f" + PRIME + " = 0: they pass back no gradient.";
  }

  // ---------------------------------------------------------------------------------------
  // Dragging the point: the x slider moves, as if the reader had moved it
  // ---------------------------------------------------------------------------------------
  function moveTo(event) {
    if (!frame) {
      return;
    }
    var rect = chart.getBoundingClientRect();
    var px = ((event.clientX - rect.left) / rect.width) * frame.width;
    var x = LOW + ((px - frame.box.left) / (frame.box.right - frame.box.left)) * (HIGH - LOW);
    var value = Math.max(LOW, Math.min(HIGH, Math.round(x * 10) / 10));
    if (Number(slider.value) !== value) {
      slider.value = String(value);
      slider.dispatchEvent(new Event("input", { bubbles: true }));
    }
  }

  var dragging = false;
  chart.addEventListener("pointerdown", function (event) {
    dragging = true;
    chart.setPointerCapture(event.pointerId);
    moveTo(event);
  });
  chart.addEventListener("pointermove", function (event) {
    if (dragging) {
      moveTo(event);
    }
  });
  ["pointerup", "pointercancel"].forEach(function (type) {
    chart.addEventListener(type, function () {
      dragging = false;
    });
  });
  draw.onResize(chart.parentNode, function () {
    if (shown) {
      drawChart(shown[0], shown[1]);
    }
  });

  base.create(root, { compute: compute, render: render, explain: explain, changed: changed });
})(cnnvizOps, cnnvizExplorer, cnnvizDraw, CONFIG);
