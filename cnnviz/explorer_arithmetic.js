// cnnviz convolution-arithmetic explorer: redraws the padded input, the kernel windows and the
// output grid in the browser, with no kernel. One copy of this script runs per output; it only
// touches the element whose id it is given, so several explorers can share a page.
// The text is inlined in a <script> element: it must never contain a less-than sign followed
// by a slash (write "<\/" in strings).
(function () {
  "use strict";
  var CONFIG = __CNNVIZ_CONFIG__;
  var root = document.getElementById(CONFIG.id);
  if (!root || root.getAttribute("data-ready") === "1") {
    return;
  }
  root.setAttribute("data-ready", "1");

  var MINUS = "\u2212";
  var PARAMS = ["i", "k", "p", "s", "d"];
  var state = {};
  PARAMS.forEach(function (name) {
    state[name] = CONFIG.params[name];
  });
  var sel = { r: 0, c: 0 }; // selected output cell (row, column)
  var timer = null;

  function q(selector) {
    return root.querySelector(selector);
  }
  var svg = q(".cnnviz-arith-svg");
  var playButton = q('button[data-action="play"]');
  var nextButton = q('button[data-action="next"]');

  // ---------------------------------------------------------------------------------------
  // Arithmetic (the same rule as cnnviz.ops.conv_output_size)
  // ---------------------------------------------------------------------------------------
  function num(x) {
    return x < 0 ? MINUS + String(-x) : String(x);
  }

  function arithmetic(st) {
    var n = st.i + 2 * st.p;
    var span = st.d * (st.k - 1) + 1;
    var top = n - span;
    var o = Math.floor(top / st.s) + 1;
    return { n: n, span: span, top: top, o: o, fits: o >= 1 };
  }

  function formulaText(st, a) {
    return (
      "o = \u230A(i + 2p " + MINUS + " d(k" + MINUS + "1) " + MINUS + " 1) / s\u230B + 1" +
      " = \u230A(" + st.i + " + 2\u00B7" + st.p + " " + MINUS + " " + st.d + "\u00B7(" + st.k +
      MINUS + "1) " + MINUS + " 1) / " + st.s + "\u230B + 1" +
      " = \u230A" + num(a.top) + " / " + st.s + "\u230B + 1 = " + num(a.o)
    );
  }

  // Which rows/columns of the padded input does some kernel tap land on?
  function coverage(st, a) {
    var touched = [];
    var x;
    for (x = 0; x < a.n; x++) {
      touched.push(false);
    }
    for (var j = 0; j < a.o; j++) {
      for (var t = 0; t < st.k; t++) {
        touched[j * st.s + t * st.d] = true;
      }
    }
    var remainder = a.fits ? a.top - (a.o - 1) * st.s : 0;
    var missed = [];
    for (x = 0; x < a.n; x++) {
      if (!touched[x]) {
        missed.push(x);
      }
    }
    return { missed: missed, remainder: remainder, inner: missed.length - remainder };
  }

  // ---------------------------------------------------------------------------------------
  // Drawing: the SVG is built as one string (a few hundred elements at most) and set at once,
  // which keeps a redraw within a few milliseconds while a slider is dragged.
  // ---------------------------------------------------------------------------------------
  function esc(text) {
    return String(text).replace(/&/g, "&amp;").replace(/[<]/g, "&lt;").replace(/[>]/g, "&gt;");
  }

  function tag(name, attrs, text) {
    var out = "<" + name;
    for (var key in attrs) {
      if (Object.prototype.hasOwnProperty.call(attrs, key)) {
        out += " " + key + '="' + esc(attrs[key]).replace(/"/g, "&quot;") + '"';
      }
    }
    return text === undefined ? out + "/>" : out + ">" + esc(text) + "<\/" + name + ">";
  }

  // Grid lines of the cells [r0, r1) x [c0, c1) as one path.
  function gridPath(x0, y0, cell, r0, r1, c0, c1) {
    var d = "";
    for (var r = r0; r <= r1; r++) {
      d += "M" + (x0 + c0 * cell) + " " + (y0 + r * cell) + "H" + (x0 + c1 * cell);
    }
    for (var c = c0; c <= c1; c++) {
      d += "M" + (x0 + c * cell) + " " + (y0 + r0 * cell) + "V" + (y0 + r1 * cell);
    }
    return d;
  }

  function cells(count) {
    return count === 1 ? "1 cell" : count + " cells";
  }

  function rowsCols(count) {
    return count === 1 ? "1 row and 1 column" : count + " rows and " + count + " columns";
  }

  function draw() {
    var st = state;
    var a = arithmetic(st);
    var cov = coverage(st, a);
    var o = a.fits ? a.o : 0;
    if (a.fits) {
      sel.r = Math.min(sel.r, o - 1);
      sel.c = Math.min(sel.c, o - 1);
    } else {
      sel.r = 0;
      sel.c = 0;
    }
    var extent = Math.max(a.n, a.span); // a kernel that does not fit is drawn sticking out
    var gap = a.fits ? 90 : 0;
    var left = 30;
    var inY = 46;
    var cell = Math.floor((640 - left - gap) / (extent + o));
    cell = Math.max(8, Math.min(34, cell, Math.floor(420 / extent)));
    var inX = left;
    var outX = inX + extent * cell + gap;
    var outY = inY + Math.round(((a.n - o) * cell) / 2);
    var width = Math.max(a.fits ? outX + o * cell + 12 : inX + extent * cell + 12, 480);
    var height = inY + extent * cell + (a.fits ? 14 : 28);
    var fontSize = Math.max(9, Math.min(14, Math.round(cell * 0.45)));
    var hatchId = CONFIG.id + "-hatch"; // ids are document-wide: scope them by the output's id
    var n = a.n;
    var p = st.p;
    var parts = [];

    parts.push(
      '<defs><pattern id="' + hatchId + '" width="6" height="6" patternUnits="userSpaceOnUse" ' +
        'patternTransform="rotate(45)"><rect width="6" height="6" fill="#fee2e2" fill-opacity="0.55"/>' +
        '<line x1="0" y1="0" x2="0" y2="6" stroke="#dc2626" stroke-width="2" stroke-opacity="0.7"/>' +
        "<\/pattern><\/defs>"
    );

    // Titles.
    parts.push(tag("text", { x: inX, y: 16, "font-size": 13, "font-weight": 600, fill: "#1e293b" },
      "padded input: i + 2p = " + st.i + " + 2\u00B7" + p + " = " + n));
    if (a.fits) {
      parts.push(tag("text", { x: outX, y: Math.max(16, outY - 10), "font-size": 13, "font-weight": 600, fill: "#15803d" },
        "output: " + o + " \u00D7 " + o));
    } else {
      parts.push(tag("text", { x: inX, y: inY + extent * cell + 18, "font-size": 13, "font-weight": 600, fill: "#b91c1c" },
        "the " + st.k + "\u00D7" + st.k + " kernel (span " + a.span + ") sticks out of the padded input"));
    }

    // The zero padding (grey, dashed grid, "0" in each cell) around the i x i input (blue).
    parts.push(tag("rect", { x: inX, y: inY, width: n * cell, height: n * cell, fill: "#f8fafc", "class": "cnnviz-pad" }));
    if (p > 0) {
      parts.push(tag("path", {
        d: gridPath(inX, inY, cell, 0, n, 0, n), fill: "none", stroke: "#94a3b8",
        "stroke-width": 1, "stroke-dasharray": "3 2"
      }));
      if (cell >= 16) {
        var zeros = "";
        for (var r = 0; r < n; r++) {
          for (var c = 0; c < n; c++) {
            if (r < p || c < p || r >= p + st.i || c >= p + st.i) {
              zeros += tag("text", { x: inX + (c + 0.5) * cell, y: inY + (r + 0.5) * cell }, "0");
            }
          }
        }
        parts.push('<g font-size="' + fontSize + '" text-anchor="middle" dominant-baseline="central" fill="#94a3b8">' + zeros + "<\/g>");
      }
    }
    parts.push(tag("rect", {
      x: inX + p * cell, y: inY + p * cell, width: st.i * cell, height: st.i * cell,
      fill: "#dbeafe", "class": "cnnviz-input"
    }));
    parts.push(tag("path", {
      d: gridPath(inX, inY, cell, p, p + st.i, p, p + st.i), fill: "none", stroke: "#60a5fa", "stroke-width": 1
    }));
    parts.push(tag("rect", {
      x: inX + p * cell, y: inY + p * cell, width: st.i * cell, height: st.i * cell,
      fill: "none", stroke: "#2563eb", "stroke-width": 1.5
    }));

    // Rows and columns that no kernel tap ever lands on (when there are windows at all).
    (a.fits ? cov.missed : []).forEach(function (x) {
      parts.push(tag("rect", { x: inX + x * cell, y: inY, width: cell, height: n * cell, fill: "url(#" + hatchId + ")", "class": "cnnviz-missed" }));
      parts.push(tag("rect", { x: inX, y: inY + x * cell, width: n * cell, height: cell, fill: "url(#" + hatchId + ")", "class": "cnnviz-missed" }));
    });

    // Where windows start: one dot per output column (top) and per output row (left).
    var dotR = Math.max(2, Math.min(4, cell / 5));
    for (var j = 0; j < o; j++) {
      parts.push(tag("circle", { cx: inX + (j * st.s + 0.5) * cell, cy: inY - 9, r: dotR, fill: j === sel.c ? "#c2410c" : "#94a3b8" }));
      parts.push(tag("circle", { cx: inX - 10, cy: inY + (j * st.s + 0.5) * cell, r: dotR, fill: j === sel.r ? "#c2410c" : "#94a3b8" }));
    }

    // The selected window: its k x k taps and its span (dashed).
    var r0 = sel.r * st.s;
    var c0 = sel.c * st.s;
    for (var tr = 0; tr < st.k; tr++) {
      for (var tc = 0; tc < st.k; tc++) {
        var rr = r0 + tr * st.d;
        var cc = c0 + tc * st.d;
        var outside = rr >= n || cc >= n;
        parts.push(tag("rect", {
          x: inX + cc * cell + 2, y: inY + rr * cell + 2, width: cell - 4, height: cell - 4, rx: 2,
          fill: outside ? "#ffffff" : "#f97316", "fill-opacity": outside ? 1 : 0.8,
          stroke: outside ? "#dc2626" : "#c2410c", "stroke-width": outside ? 1.5 : 1.2,
          "stroke-dasharray": outside ? "3 2" : "none", "class": "cnnviz-tap"
        }));
      }
    }
    parts.push(tag("rect", {
      x: inX + c0 * cell - 1, y: inY + r0 * cell - 1, width: a.span * cell + 2, height: a.span * cell + 2,
      fill: "none", stroke: a.fits ? "#c2410c" : "#dc2626", "stroke-width": 2.2, "stroke-dasharray": "6 3",
      "class": "cnnviz-window"
    }));

    // The output grid, and two lines from the window to the output cell it computes.
    if (a.fits) {
      var wx = inX + (c0 + a.span) * cell + 1;
      var oy = outY + sel.r * cell;
      var ox = outX + sel.c * cell;
      parts.push(tag("path", {
        d: "M" + wx + " " + (inY + r0 * cell - 1) + "L" + ox + " " + oy +
          "M" + wx + " " + (inY + (r0 + a.span) * cell + 1) + "L" + ox + " " + (oy + cell),
        stroke: "#c2410c", "stroke-opacity": 0.45, "stroke-width": 1.2, fill: "none"
      }));
      var outCells = "";
      var pickedCell = "";
      for (var orow = 0; orow < o; orow++) {
        for (var ocol = 0; ocol < o; ocol++) {
          var picked = orow === sel.r && ocol === sel.c;
          var rect = tag("rect", {
            x: outX + ocol * cell, y: outY + orow * cell, width: cell, height: cell,
            fill: picked ? "#f97316" : "#dcfce7", stroke: picked ? "#c2410c" : "#4ade80",
            "stroke-width": picked ? 2 : 1, "class": "cnnviz-cell-output",
            "data-row": orow, "data-col": ocol
          });
          if (picked) {
            pickedCell = rect; // drawn last, so that its thick edge stays on top
          } else {
            outCells += rect;
          }
        }
      }
      parts.push('<g style="cursor: pointer">' + outCells + pickedCell + "<\/g>");
    }

    svg.setAttribute("viewBox", "0 0 " + width + " " + height);
    svg.style.maxWidth = width + "px";
    svg.innerHTML = parts.join("");

    // Text: formula with the numbers, the size, and what the picture shows.
    root.setAttribute("data-o", String(a.o));
    root.classList.toggle("cnnviz-arith--nofit", !a.fits);
    q(".cnnviz-formula").textContent = formulaText(st, a);
    q(".cnnviz-output-size").textContent = a.fits ? String(a.o) : "kernel does not fit";
    q(".cnnviz-arith-shape").textContent = a.fits ? "\u2192 a " + a.o + " \u00D7 " + a.o + " output" : "";
    var lines = [];
    if (!a.fits) {
      lines.push(
        "The kernel does not fit: its taps span d(k" + MINUS + "1) + 1 = " + a.span +
        " cells, but the padded input has only i + 2p = " + a.n +
        ". Make i or p larger, or k or d smaller."
      );
    } else {
      lines.push(
        "Window " + (sel.r * o + sel.c + 1) + " of " + o * o + ": its " + st.k + "\u00D7" + st.k +
        " taps span " + cells(a.span) + (st.d > 1 ? " (dilation " + st.d + " leaves gaps)" : "") +
        " and start at row " + r0 + ", column " + c0 + " of the padded input; the next window starts s = " +
        cells(st.s) + " further."
      );
      if (cov.remainder > 0) {
        lines.push(
          "(i + 2p " + MINUS + " d(k" + MINUS + "1) " + MINUS + " 1) = " + a.top + " is not a multiple of s = " +
          st.s + " (remainder " + cov.remainder + "): the last " + rowsCols(cov.remainder) +
          " of the padded input are never reached (hatched)."
        );
      }
      if (cov.inner > 0) {
        lines.push(
          (cov.remainder > 0 ? "Also, " : "") + rowsCols(cov.inner) +
          " between the windows are skipped: no tap of any window lands on them (hatched)."
        );
      }
    }
    var message = q(".cnnviz-message");
    while (message.firstChild) {
      message.removeChild(message.firstChild);
    }
    lines.forEach(function (line) {
      var para = document.createElement("p");
      para.textContent = line;
      message.appendChild(para);
    });
    playButton.disabled = !a.fits || o * o < 2;
    nextButton.disabled = !a.fits || o * o < 2;
  }

  // ---------------------------------------------------------------------------------------
  // Interaction
  // ---------------------------------------------------------------------------------------
  function stop() {
    if (timer !== null) {
      window.clearInterval(timer);
      timer = null;
    }
    playButton.textContent = "\u25B6 Play";
  }

  function next() {
    var a = arithmetic(state);
    if (!a.fits) {
      return;
    }
    var index = (sel.r * a.o + sel.c + 1) % (a.o * a.o);
    sel.r = Math.floor(index / a.o);
    sel.c = index % a.o;
    draw();
  }

  PARAMS.forEach(function (name) {
    var input = q('input[data-param="' + name + '"]');
    var shown = q('[data-value-for="' + name + '"]');
    input.value = String(state[name]);
    function update() {
      var value = parseInt(input.value, 10);
      if (isNaN(value)) {
        return;
      }
      state[name] = value;
      shown.textContent = String(value);
      draw();
    }
    input.addEventListener("input", update);
    input.addEventListener("change", update);
  });

  function pick(event) {
    var target = event.target;
    if (!target || !target.getAttribute || target.getAttribute("data-row") === null) {
      return;
    }
    var r = parseInt(target.getAttribute("data-row"), 10);
    var c = parseInt(target.getAttribute("data-col"), 10);
    if (r !== sel.r || c !== sel.c) {
      sel.r = r;
      sel.c = c;
      draw();
    }
  }
  svg.addEventListener("mouseover", pick);
  svg.addEventListener("click", function (event) {
    stop();
    pick(event);
  });

  playButton.addEventListener("click", function () {
    if (timer !== null) {
      stop();
      return;
    }
    playButton.textContent = "\u275A\u275A Pause";
    timer = window.setInterval(function () {
      if (!root.isConnected) {
        stop();
        return;
      }
      next();
    }, 700);
  });
  nextButton.addEventListener("click", function () {
    stop();
    next();
  });

  draw();
})();
