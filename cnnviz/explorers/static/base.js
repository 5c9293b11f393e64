// cnnviz explorer base: what every kernel-free explorer shares. It binds the controls
// (elements with data-param="<name>", named like the Python arguments), recomputes on every
// change, keeps the last good picture when a setting is impossible, shows why, and exposes
// the explorer to tests and curious readers as root.cnnviz:
//   params   the current settings, named like the Python arguments
//   set(p)   applies settings exactly as if the reader had moved the controls
//   input    {shape, data} (row-major), the array the explorer works on
//   output   {shape, data}, or null when the setting is impossible
//   message  why there is no output, or ""
// The text is inlined in a <script> element: it must never contain a less-than sign followed
// by a slash (write "<\/" in strings).
var cnnvizExplorer = (function () {
  "use strict";

  // The value of one control, as the Python argument would be.
  function controlValue(el) {
    if (el.type === "checkbox") {
      return el.checked;
    }
    if (el.type === "range" || el.type === "number") {
      return Number(el.value);
    }
    return el.value;
  }

  function setControl(el, value) {
    if (el.type === "radio") {
      el.checked = true;
    } else if (el.type === "checkbox") {
      el.checked = Boolean(value);
    } else {
      el.value = String(value);
    }
  }

  // spec: {
  //   read(params)        optional: add settings that are not one control each (a kernel)
  //   write(name, value)  optional: apply such a setting; return true when handled
  //   compute(params)     returns {input, output, ...}; throws an Error (with .param) when
  //                       the setting is impossible
  //   render(result, params)  draws a result
  //   explain(error, params)  optional: the sentence shown for an impossible setting
  //   changed(params)     optional: runs before compute (enable or hide dependent controls)
  //   input(params)       optional: the input of a setting, possible or not (without it,
  //                       root.cnnviz.input is compute's result.input, the last good one)
  // }
  function create(root, spec) {
    var message = root.querySelector(".cnnviz-message");
    var api = { params: {}, input: null, output: null, message: "", result: null };

    function controls() {
      return Array.prototype.slice.call(root.querySelectorAll("[data-param]"));
    }

    function read() {
      var params = {};
      controls().forEach(function (el) {
        if (el.type === "radio" && !el.checked) {
          return;
        }
        params[el.getAttribute("data-param")] = controlValue(el);
      });
      return spec.read ? spec.read(params) : params;
    }

    // A slider's value as text, with as many decimals as its step ("1.0" for step 0.1).
    function showValue(el) {
      var name = el.getAttribute("data-param");
      var out = root.querySelector('[data-value-for="' + name + '"]');
      if (out && el.type === "range") {
        var step = String(el.step || "1");
        var decimals = step.indexOf(".") < 0 ? 0 : step.length - step.indexOf(".") - 1;
        out.textContent = Number(el.value).toFixed(decimals);
      }
    }

    function say(text) {
      api.message = text;
      if (message) {
        message.textContent = text;
      }
      root.classList.toggle("cnnviz-impossible", Boolean(text));
    }

    function update() {
      var params = read();
      api.params = params;
      if (spec.input) {
        api.input = spec.input(params);
      }
      if (spec.changed) {
        spec.changed(params);
      }
      var result;
      try {
        result = spec.compute(params);
      } catch (error) {
        api.output = null;
        say(spec.explain ? spec.explain(error, params) : error.message);
        return;
      }
      api.result = result;
      api.input = result.input;
      api.output = result.output;
      say("");
      spec.render(result, params);
    }

    function set(params) {
      Object.keys(params).forEach(function (name) {
        if (spec.write && spec.write(name, params[name])) {
          return;
        }
        var el = root.querySelector('[data-param="' + name + '"]');
        if (el && el.type === "radio") {
          el = root.querySelector('[data-param="' + name + '"][value="' + params[name] + '"]');
        }
        if (!el) {
          throw new Error("set: no control named " + name + " takes " + params[name]);
        }
        setControl(el, params[name]);
        showValue(el);
      });
      update(); // once, after every control holds its new value: the reader's path

      return api;
    }

    controls().forEach(function (el) {
      el.addEventListener(el.tagName === "SELECT" ? "change" : "input", function () {
        showValue(el);
        update();
      });
    });
    api.set = set;
    api.update = update;
    root.cnnviz = api;
    update();
    return api;
  }

  // The bytes of a base64 text (the images and weights that an explorer carries inline).
  function bytesOf(text) {
    var binary = atob(text);
    var bytes = new Uint8Array(binary.length);
    for (var i = 0; i < binary.length; i++) {
      bytes[i] = binary.charCodeAt(i);
    }
    return bytes;
  }

  return { create: create, controlValue: controlValue, bytesOf: bytesOf };
})();
