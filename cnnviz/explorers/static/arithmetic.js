// cnnviz convolution-arithmetic explorer: redraws the padded input, the kernel windows and the
// output grid in the browser, with no kernel. The page runs one copy per output, after core.js
// (the arithmetic: cnnvizCore) and with CONFIG (its element id and initial parameters); it only
// touches the element with that id, so several explorers can share a page. Colours come from
// the stylesheet, through one class per role.
// Like every kernel-free explorer, the root element carries data-cnnviz-explorer and exposes
// root.cnnviz = {params, set(params), input, output, message}: params {i, k, p, s, d} as the
// Python arguments; set(params) moves the sliders as a reader would, then redraws once;
// input {shape: [i, i], data: ones}; output {shape: [o, o], data}: row-major
// outer(c, c) with c = cnnvizCore.coverage(i, k, p, s, d), the number of (input pixel,
// kernel tap) pairs that meet at each output cell (conv2d of ones by ones), or null when the
// kernel does not fit; message: why there is no output, or "".
// The text is inlined in a <script> element: it must never contain a less-than sign followed
// by a slash (write "<\/" in strings).
(function (core, config) {
  "use strict";
  var root = document.getElementById(config.id);
  if (!root || root.getAttribute("data-ready") === "1") {
    return;
  }
  root.setAttribute("data-ready", "1");

  var MINUS = core.MINUS;
  var PARAMS = ["i", "k", "p", "s", "d"];
  var state = {};
  PARAMS.forEach(function (name) {
    state[name] = config.params[name];
  });
  var sel = { r: 0, c: 0 }; // selected output cell (row, column)
  var timer = null;
  var FIT_PARAMS = ["i", "k", "p", "d"]; // what makes a kernel fit (the stride does not)
  var blamed = "k"; // the control to outline when the kernel does not fit: the last one moved
  var api = { params: {}, input: null, output: null, message: "" };

  function q(selector) {
    return root.querySelector(selector);
  }
  var svg = q(".cnnviz-svg");
  var playButton = q('button[data-action="play"]');
  var nextButton = q('button[data-action="next"]');

  // ---------------------------------------------------------------------------------------
  // Arithmetic: cnnvizCore, the rules of cnnviz.arithmetic
  // ---------------------------------------------------------------------------------------
  function arithmetic(st) {
    var n = st.i + 2 * st.p;
    var span = core.extent(st.k, st.d);
    var o = core.formulaO(st.i, st.k, st.p, st.s, st.d);
    var problem = "";
    try {
      core.checkFits(n, st.k, st.d);
    } catch (error) {
      problem = error.message;
    }
    return { n: n, span: span, top: n - span, o: o, fits: !problem, problem: problem };
  }

  // Which rows/columns of the padded input does some kernel tap land on?
  function reach(st, a) {
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
    var remainder = core.unreached(st.i, st.k, st.p, st.s, st.d);
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

  // Where unread rows inside the padded input come from: the gaps between the taps of a
  // dilated kernel, or a stride longer than the kernel's span.
  function gapText(st, a) {
    var parts = [];
    if (st.d > 1) {
      parts.push("between the taps of the dilated kernel (gaps of d " + MINUS + " 1 = " +
        (st.d - 1) + ")");
    }
    if (st.s > a.span) {
      parts.push("between windows (the stride s = " + st.s + " is longer than the span " +
        a.span + " of the kernel)");
    }
    return parts.length ? "They fall " + parts.join(" and ") + "." : "";
  }

  // The width inside the explorer's padding: what the SVG is scaled to (0 when hidden).
  function available() {
    var style = window.getComputedStyle(root);
    var inner = root.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
    return inner > 0 ? inner : 0;
  }

  // About how wide a line of text is, in the units of its font size (for the titles' layout).
  function textWidth(text, size) {
    return 0.62 * size * text.length;
  }

  function rowsCols(count) {
    return count === 1 ? "1 row and 1 column" : count + " rows and " + count + " columns";
  }

  function draw() {
    var st = state;
    var a = arithmetic(st);
    var cov = reach(st, a);
    var o = a.fits ? a.o : 0;
    if (a.fits) {
      sel.r = Math.min(sel.r, o - 1);
      sel.c = Math.min(sel.c, o - 1);
    } else {
      sel.r = 0;
      sel.c = 0;
    }
    var n = a.n;
    var p = st.p;
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
    // The SVG is scaled to the width of the explorer: on a phone a label 13 units high would
    // be 7 px. Titles grow so that they stay about 12 px on screen, and stack when the two no
    // longer fit side by side; the zeros of the padding are left out when they would be tiny.
    var avail = available();
    var scale = avail > 0 ? Math.min(1, avail / width) : 1;
    var titleSize = Math.round(Math.max(13, 12 / scale));
    var inTitle = "padded input: i + 2p = " + st.i + " + 2\u00B7" + p + " = " + n;
    var outTitle = "output: " + o + " \u00D7 " + o;
    var firstLine = titleSize + 3;
    var stacked = a.fits && (
      outX + textWidth(outTitle, titleSize) > width ||
      (inX + textWidth(inTitle, titleSize) + 12 > outX && outY - 10 - titleSize < firstLine + 4));
    var shift = (titleSize - 13) + (stacked ? titleSize + 4 : 0);
    inY += shift;
    outY += shift;
    height += shift + (a.fits ? 0 : titleSize - 13);
    var showZeros = cell >= 16 && fontSize * scale >= 8;
    var hatchId = config.id + "-hatch"; // ids are document-wide: scope them by the output's id
    var parts = [];

    parts.push(
      '<defs><pattern id="' + hatchId + '" width="6" height="6" patternUnits="userSpaceOnUse" ' +
        'patternTransform="rotate(45)"><rect width="6" height="6" class="cnnviz-hatch-fill"/>' +
        '<line x1="0" y1="0" x2="0" y2="6" class="cnnviz-hatch-line"/>' +
        "<\/pattern><\/defs>"
    );

    // Titles.
    var titleStyle = "font-size: " + titleSize + "px";
    parts.push(tag("text", { x: inX, y: firstLine, style: titleStyle, "class": "cnnviz-title-text" }, inTitle));
    if (stacked) {
      parts.push(tag("text", {
        x: width - 4, y: firstLine + titleSize + 4, "text-anchor": "end", style: titleStyle,
        "class": "cnnviz-title-text cnnviz-output-title"
      }, outTitle));
    } else if (a.fits) {
      parts.push(tag("text", {
        x: outX, y: Math.max(firstLine, outY - 10), style: titleStyle, "class": "cnnviz-title-text cnnviz-output-title"
      }, outTitle));
    } else {
      var problemTitle = "the " + st.k + "\u00D7" + st.k + " kernel sticks out of the padded input (see below)";
      if (inX + textWidth(problemTitle, titleSize) > width) {
        problemTitle = "the kernel sticks out (see below)";
      }
      parts.push(tag("text", {
        x: inX, y: inY + extent * cell + titleSize + 5, style: titleStyle, "class": "cnnviz-title-text cnnviz-problem-title"
      }, problemTitle));
    }

    // The zero padding (dashed grid, "0" in each cell) around the i x i input.
    parts.push(tag("rect", { x: inX, y: inY, width: n * cell, height: n * cell, "class": "cnnviz-pad" }));
    if (p > 0) {
      parts.push(tag("path", { d: gridPath(inX, inY, cell, 0, n, 0, n), "class": "cnnviz-pad-grid" }));
      if (showZeros) {
        var zeros = "";
        for (var r = 0; r < n; r++) {
          for (var c = 0; c < n; c++) {
            if (r < p || c < p || r >= p + st.i || c >= p + st.i) {
              zeros += tag("text", { x: inX + (c + 0.5) * cell, y: inY + (r + 0.5) * cell }, "0");
            }
          }
        }
        parts.push('<g font-size="' + fontSize + '" text-anchor="middle" dominant-baseline="central" class="cnnviz-zeros">' + zeros + "<\/g>");
      }
    }
    parts.push(tag("rect", {
      x: inX + p * cell, y: inY + p * cell, width: st.i * cell, height: st.i * cell, "class": "cnnviz-input"
    }));
    parts.push(tag("path", { d: gridPath(inX, inY, cell, p, p + st.i, p, p + st.i), "class": "cnnviz-input-grid" }));
    parts.push(tag("rect", {
      x: inX + p * cell, y: inY + p * cell, width: st.i * cell, height: st.i * cell, "class": "cnnviz-input-frame"
    }));

    // Rows and columns that no kernel tap ever lands on (when there are windows at all).
    (a.fits ? cov.missed : []).forEach(function (x) {
      parts.push(tag("rect", { x: inX + x * cell, y: inY, width: cell, height: n * cell, fill: "url(#" + hatchId + ")", "class": "cnnviz-missed" }));
      parts.push(tag("rect", { x: inX, y: inY + x * cell, width: n * cell, height: cell, fill: "url(#" + hatchId + ")", "class": "cnnviz-missed" }));
    });

    // Where windows start: one dot per output column (top) and per output row (left).
    var dotR = Math.max(2, Math.min(4, cell / 5));
    for (var j = 0; j < o; j++) {
      parts.push(tag("circle", { cx: inX + (j * st.s + 0.5) * cell, cy: inY - 9, r: dotR, "class": j === sel.c ? "cnnviz-start cnnviz-picked" : "cnnviz-start" }));
      parts.push(tag("circle", { cx: inX - 10, cy: inY + (j * st.s + 0.5) * cell, r: dotR, "class": j === sel.r ? "cnnviz-start cnnviz-picked" : "cnnviz-start" }));
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
          "class": outside ? "cnnviz-tap cnnviz-outside" : "cnnviz-tap"
        }));
      }
    }
    parts.push(tag("rect", {
      x: inX + c0 * cell - 1, y: inY + r0 * cell - 1, width: a.span * cell + 2, height: a.span * cell + 2,
      "class": a.fits ? "cnnviz-window" : "cnnviz-window cnnviz-outside"
    }));

    // The output grid, and two lines from the window to the output cell it computes.
    if (a.fits) {
      var wx = inX + (c0 + a.span) * cell + 1;
      var oy = outY + sel.r * cell;
      var ox = outX + sel.c * cell;
      parts.push(tag("path", {
        d: "M" + wx + " " + (inY + r0 * cell - 1) + "L" + ox + " " + oy +
          "M" + wx + " " + (inY + (r0 + a.span) * cell + 1) + "L" + ox + " " + (oy + cell),
        "class": "cnnviz-link"
      }));
      var outCells = "";
      var pickedCell = "";
      for (var orow = 0; orow < o; orow++) {
        for (var ocol = 0; ocol < o; ocol++) {
          var picked = orow === sel.r && ocol === sel.c;
          var rect = tag("rect", {
            x: outX + ocol * cell, y: outY + orow * cell, width: cell, height: cell,
            "class": picked ? "cnnviz-cell-output cnnviz-picked" : "cnnviz-cell-output",
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
    q(".cnnviz-formula").textContent = core.formulaText(st.i, st.k, st.p, st.s, st.d);
    q(".cnnviz-size-label").textContent = a.fits ? "Output size: o = " : "No output: the ";
    q(".cnnviz-output-size").textContent = a.fits ? String(a.o) : "kernel does not fit";
    q(".cnnviz-shape").textContent = a.fits ? "\u2192 a " + a.o + " \u00D7 " + a.o + " output" : "";
    var lines = [];
    if (!a.fits) {
      lines.push("No output: " + a.problem + ". Make i or p larger, or k or d smaller.");
    } else {
      lines.push(
        "Window " + (sel.r * o + sel.c + 1) + " of " + o * o + ": its " + st.k + "\u00D7" + st.k +
        " taps span " + cells(a.span) + (st.d > 1 ? " (dilation " + st.d + " leaves gaps)" : "") +
        " and start at row " + r0 + ", column " + c0 + " of the padded input; the next window starts s = " +
        cells(st.s) + " further."
      );
      if (cov.remainder > 0) {
        lines.push(
          "(i + 2p " + MINUS + " d(k " + MINUS + " 1) " + MINUS + " 1) = " + a.top + " is not a multiple of s = " +
          st.s + " (remainder " + cov.remainder + "): the last " + rowsCols(cov.remainder) +
          " of the padded input are never reached (hatched)."
        );
      }
      if (cov.inner > 0) {
        lines.push(
          (cov.remainder > 0 ? "Also, " : "") + rowsCols(cov.inner) +
          " are never read: no tap of any window lands on them (hatched). " + gapText(st, a)
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

    // The control to change, outlined (as in the other explorers) while the kernel does not fit.
    PARAMS.forEach(function (name) {
      var bad = !a.fits && name === blamed;
      var input = q('input[data-param="' + name + '"]');
      if (bad) {
        input.setAttribute("aria-invalid", "true");
      } else {
        input.removeAttribute("aria-invalid");
      }
      var label = input.closest("label");
      if (label) {
        label.classList.toggle("cnnviz-bad", bad);
      }
    });
    root.classList.toggle("cnnviz-impossible", !a.fits);
    publish(st, a, lines);
  }

  // root.cnnviz: the settings, the input (ones) and the output (coverage x coverage).
  function publish(st, a, lines) {
    var params = {};
    PARAMS.forEach(function (name) {
      params[name] = st[name];
    });
    var ones = new Float64Array(st.i * st.i);
    ones.fill(1);
    api.params = params;
    api.input = { shape: [st.i, st.i], data: ones };
    if (a.fits) {
      var c = core.coverage(st.i, st.k, st.p, st.s, st.d);
      var data = new Float64Array(a.o * a.o);
      for (var r = 0; r < a.o; r++) {
        for (var col = 0; col < a.o; col++) {
          data[r * a.o + col] = c[r] * c[col];
        }
      }
      api.output = { shape: [a.o, a.o], data: data };
      api.message = "";
    } else {
      api.output = null;
      api.message = lines.join(" ");
    }
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

  // Takes the value of one slider into the state (and its shown value); true when it changed.
  function take(name) {
    var value = parseInt(q('input[data-param="' + name + '"]').value, 10);
    if (isNaN(value)) {
      return false;
    }
    q('[data-value-for="' + name + '"]').textContent = String(value);
    var moved = value !== state[name];
    state[name] = value;
    if (moved && FIT_PARAMS.indexOf(name) >= 0) {
      blamed = name;
    }
    return moved;
  }

  PARAMS.forEach(function (name) {
    var input = q('input[data-param="' + name + '"]');
    input.value = String(state[name]);
    function update() {
      take(name);
      draw();
    }
    input.addEventListener("input", update);
    input.addEventListener("change", update);
  });

  // Applies settings exactly as if the reader had moved the sliders (a range input keeps its
  // value within min..max and on its step), then redraws once.
  function set(params) {
    Object.keys(params).forEach(function (name) {
      var input = PARAMS.indexOf(name) >= 0 ? q('input[data-param="' + name + '"]') : null;
      if (!input) {
        throw new Error("set: no control named " + name + " takes " + params[name]);
      }
      input.value = String(params[name]);
      take(name);
    });
    draw();
    return api;
  }
  api.set = set;
  api.update = draw;
  root.cnnviz = api;

  // The picture is scaled to the explorer's width: redraw when that width changes.
  if (typeof ResizeObserver !== "undefined") {
    var lastWidth = root.clientWidth;
    new ResizeObserver(function () {
      if (root.clientWidth !== lastWidth) {
        lastWidth = root.clientWidth;
        draw();
      }
    }).observe(root);
  }

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
})(cnnvizCore, CONFIG);
