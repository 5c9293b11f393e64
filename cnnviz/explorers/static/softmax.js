// cnnviz softmax explorer: logits and a temperature in, the bars of softmax(z / T) and the
// cross-entropy loss of a chosen true class out, recomputed in the browser with cnnvizOps
// (ops.js, the twin of cnnviz.ops: softmax with temperature, cross_entropy).
// root.cnnviz (base.js): params {logits: [z0, z1, ...], temperature, target}; input
// {shape: [K]}: the logits; output {shape: [K + 1]}: the K probabilities, then the loss
// cross_entropy(z / T, target) = -ln p[target]. The temperature slider moves log10(T) by 0.01;
// set({temperature: T}) puts it on the nearest step, as a reader would.
// The page runs one copy per output, with CONFIG (its element id, the initial settings and the
// class names); it only touches the element with that id.
// The text is inlined in a <script> element: it must never contain a less-than sign followed
// by a slash (write "<\/" in strings).
(function (ops, base, draw, config) {
  "use strict";
  var root = document.getElementById(config.id);
  if (!root || root.cnnviz) {
    return;
  }

  var LABELS = config.labels;
  var K = LABELS.length;
  var rows = LABELS.map(function (label) {
    var row = { name: document.createElement("div"), track: document.createElement("div"),
      fill: document.createElement("div"), value: document.createElement("div") };
    row.name.className = "cnnviz-bar-label";
    row.name.textContent = label;
    row.name.title = label;
    row.track.className = "cnnviz-bar-track";
    row.fill.className = "cnnviz-bar-fill";
    row.value.className = "cnnviz-bar-value";
    row.track.appendChild(row.fill);
    [row.name, row.track, row.value].forEach(function (el) {
      root.querySelector(".cnnviz-bars").appendChild(el);
    });
    return row;
  });

  function control(name) {
    return root.querySelector('[data-param="' + name + '"]');
  }

  function logitName(n) {
    return "logits[" + n + "]";
  }

  // The controls as the Python arguments: logits[n] sliders -> logits, log10(T) -> T.
  function read(params) {
    var logits = [];
    for (var n = 0; n < K; n++) {
      logits.push(params[logitName(n)]);
    }
    return {
      logits: logits, temperature: Math.pow(10, params.temperature), target: Number(params.target)
    };
  }

  function write(name, value) {
    if (name === "logits") {
      if (value.length !== K) {
        throw new Error("set: logits must hold " + K + " values, got " + value.length);
      }
      value.forEach(function (v, n) {
        control(logitName(n)).value = String(v);
      });
      return true;
    }
    if (name === "temperature") {
      control("temperature").value = String(Math.log10(value));
      return true;
    }
    return false;
  }

  function compute(params) {
    var z = Float64Array.from(params.logits);
    var t = params.temperature;
    var p = ops.softmax(z, { temperature: t });
    var loss = ops.cross_entropy(z.map(function (v) {
      return v / t; // the logits softmax saw
    }), params.target);
    var out = new Float64Array(K + 1);
    out.set(p);
    out[K] = loss;
    return { input: { shape: [K], data: z }, output: { shape: [K + 1], data: out } };
  }

  function explain(error) {
    return draw.refusal(root, error, error.param, "Move " + error.param + " back into its range.");
  }

  function changed(params) {
    params.logits.forEach(function (v, n) {
      draw.show(root, logitName(n), draw.fixed(v, 1));
    });
    var t = draw.fixed(params.temperature, 2);
    draw.show(root, "temperature", t);
    control("temperature").setAttribute("aria-valuetext", "T = " + t);
  }

  // A probability for reading: 3 decimals, or 2 significant digits when below 0.001.
  function probability(p) {
    if (p >= 0.001 || p === 0) {
      return p.toFixed(3);
    }
    var parts = p.toExponential(1).split("e");
    return parts[0] + "e" + parts[1].replace("-", draw.MINUS);
  }

  function render(result, params) {
    var p = result.output.data;
    var top = 0;
    for (var n = 1; n < K; n++) {
      top = p[n] > p[top] ? n : top;
    }
    // Every class that ties with the largest (equal to within 1e-12: equal logits).
    var shown = probability(p[top]);
    var isTop = LABELS.map(function (label, m) {
      return Math.abs(p[m] - p[top]) <= 1e-12;
    });
    var tied = LABELS.filter(function (label, m) {
      return isTop[m];
    });
    rows.forEach(function (row, n) {
      row.fill.style.width = (100 * p[n]).toFixed(2) + "%";
      row.value.textContent = probability(p[n]) + " \u00B7 " + (100 * p[n]).toFixed(1) + "%";
      [row.name, row.track, row.value].forEach(function (el) {
        el.classList.toggle("cnnviz-top", isTop[n]);
        el.classList.toggle("cnnviz-true", n === params.target);
      });
    });
    var y = params.target;
    var label = LABELS[y];
    root.querySelector(".cnnviz-loss").innerHTML = "Cross-entropy for the true class " +
      draw.esc(label) + ": " + draw.tag("b", {}, "\u2212ln p(" + label + ") = \u2212ln " +
      probability(p[y]) + " = " + draw.fixed(p[K], 3));
    var logits = params.logits.map(function (v) {
      return draw.fmt(v, 1);
    });
    root.querySelector(".cnnviz-formula").textContent = "p = softmax(z / T) with z = [" +
      logits.join(", ") + "], T = " + draw.fixed(params.temperature, 2);
    var largest = tied.length === 1 ? "Largest: " + LABELS[top] + ", " + shown :
      tied.length === K && K > 2 ? "All " + K + " tie at " + shown :
      tied.slice(0, -1).join(", ") + " and " + tied[tied.length - 1] + " tie at " + shown;
    root.querySelector(".cnnviz-size").textContent = largest + "; the " + K +
      " probabilities sum to 1.";
  }

  base.create(root, {
    read: read, write: write, compute: compute, render: render, explain: explain, changed: changed
  });
})(cnnvizOps, cnnvizExplorer, cnnvizDraw, CONFIG);
