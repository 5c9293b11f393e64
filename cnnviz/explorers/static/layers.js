// cnnviz layer explorers (pooling, activation, softmax): drawing and text helpers they share.
// No math here: every number they show comes from cnnvizOps (ops.js) or cnnvizCore (core.js).
// The text is inlined in a <script> element: it must never contain a less-than sign followed
// by a slash (write "<\/" in strings).
var cnnvizDraw = (function () {
  "use strict";

  var MINUS = "\u2212";

  function esc(text) {
    return String(text).replace(/&/g, "&amp;").replace(/[<]/g, "&lt;").replace(/[>]/g, "&gt;")
      .replace(/"/g, "&quot;");
  }

  // An SVG (or HTML) element as text: tag("rect", {x: 1}) or tag("text", {x: 1}, "label").
  function tag(name, attrs, text) {
    var out = "<" + name;
    Object.keys(attrs).forEach(function (key) {
      out += " " + key + '="' + esc(attrs[key]) + '"';
    });
    return text === undefined ? out + "/>" : out + ">" + esc(text) + "<\/" + name + ">";
  }

  // A number for reading: at most `digits` decimals, trailing zeros dropped, a true minus.
  function fmt(value, digits) {
    if (value !== value) {
      return "NaN";
    }
    if (!isFinite(value)) {
      return (value < 0 ? MINUS : "") + "\u221E";
    }
    var text = value.toFixed(digits === undefined ? 2 : digits);
    if (text.indexOf(".") >= 0) {
      text = text.replace(/0+$/, "").replace(/\.$/, "");
    }
    text = text === "-0" ? "0" : text;
    return text.charAt(0) === "-" ? MINUS + text.slice(1) : text;
  }

  // A number with exactly `digits` decimals and a true minus (for values that move).
  function fixed(value, digits) {
    var text = value.toFixed(digits);
    return text.charAt(0) === "-" ? MINUS + text.slice(1) : text;
  }

  // [smallest, largest] of the values of one or more arrays.
  function extent() {
    var lo = Infinity;
    var hi = -Infinity;
    Array.prototype.forEach.call(arguments, function (values) {
      for (var i = 0; i < values.length; i++) {
        lo = Math.min(lo, values[i]);
        hi = Math.max(hi, values[i]);
      }
    });
    return [lo, hi];
  }

  // A grid of cells as SVG text: cell(r, c) returns {cls, text, opacity, title} or null.
  function grid(x0, y0, size, rows, cols, cell) {
    var out = "";
    for (var r = 0; r < rows; r++) {
      for (var c = 0; c < cols; c++) {
        var spec = cell(r, c);
        if (!spec) {
          continue;
        }
        var rect = { x: x0 + c * size, y: y0 + r * size, width: size, height: size, "class": spec.cls,
          "data-row": r, "data-col": c };
        if (spec.opacity !== undefined) {
          rect["fill-opacity"] = spec.opacity.toFixed(3);
        }
        out += spec.title ? tag("rect", rect).replace("/>", ">") + tag("title", {}, spec.title) +
          "<\/rect>" : tag("rect", rect);
        if (spec.text !== undefined) {
          out += tag("text", { x: x0 + (c + 0.5) * size, y: y0 + (r + 0.5) * size, "class": "cnnviz-num" },
            spec.text);
        }
      }
    }
    return out;
  }

  // An <svg> of the given size (scaled down, never up, by the stylesheet) holding `inner`.
  function svg(element, width, height, inner) {
    element.setAttribute("viewBox", "0 0 " + width + " " + height);
    element.setAttribute("width", String(width));
    element.setAttribute("height", String(height));
    element.innerHTML = inner;
  }

  // The palette colour of a role (--cnnviz-<role>), for canvas drawing.
  function colour(root, role) {
    return getComputedStyle(root).getPropertyValue("--cnnviz-" + role).trim();
  }

  // The text shown beside the control named `name`.
  function show(root, name, text) {
    var out = root.querySelector('[data-value-for="' + name + '"]');
    if (out) {
      out.textContent = text;
    }
  }

  // Marks the control named `name` as the one to change (none when name is null).
  function markBad(root, name) {
    Array.prototype.forEach.call(root.querySelectorAll(".cnnviz-control"), function (label) {
      var control = label.querySelector("[data-param]");
      label.classList.toggle("cnnviz-bad", Boolean(name) && control.getAttribute("data-param") === name);
    });
  }

  // The sentence for a setting that cnnvizOps refused, in the words of the ipywidgets twins:
  // "No output: <reason>. <advice>", the reason being the error's message unless given.
  // Errors that are not cnnvizOps' (no .param) are bugs: they are thrown again, so that they
  // reach the console instead of the reader.
  function refusal(root, error, control, advice, reason) {
    if (!error.param) {
      throw error;
    }
    markBad(root, control);
    return ("No output: " + (reason === undefined ? error.message : reason) + ". " + advice).trim();
  }

  // Calls redraw() when the width of `element` changes (a phone turned, a sidebar closed).
  function onResize(element, redraw) {
    if (typeof ResizeObserver === "undefined") {
      return;
    }
    var width = element.clientWidth;
    new ResizeObserver(function () {
      if (element.clientWidth !== width) {
        width = element.clientWidth;
        redraw();
      }
    }).observe(element);
  }

  return {
    MINUS: MINUS, esc: esc, tag: tag, fmt: fmt, fixed: fixed, extent: extent, grid: grid, svg: svg,
    colour: colour, show: show, markBad: markBad, refusal: refusal, onResize: onResize
  };
})();
