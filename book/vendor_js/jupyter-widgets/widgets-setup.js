// cnnviz book: prepares the page for the vendored ipywidgets renderer (not vendored: ours).
// Loaded after require.js and before embed-amd.js (see nb_ipywidgets_js in _config.yml).
(function () {
  "use strict";
  var here = document.currentScript && document.currentScript.src;
  if (!here || !window.requirejs) {
    return;
  }

  // 1. Fonts from this folder, not from the page's folder or a CDN. Webpack inside embed-amd.js
  // takes its public path from window.__jupyter_widgets_assets_path__ (html-manager) and from
  // each AMD module's URI (@jupyter-widgets/base, controls), which require.js derives from
  // `paths`; the longest prefix wins, so every @jupyter-widgets module resolves to this folder.
  var folder = new URL(".", here).href;
  var base = folder.replace(/\/$/, "");
  window.__jupyter_widgets_assets_path__ = folder;
  window.requirejs.config({
    paths: { "@jupyter-widgets": base, "@jupyter-widgets/html-manager/dist": base }
  });

  // 2. ipywidgets typesets labels with the MathJax 2 call MathJax.Hub.Queue(...) whenever
  // window.MathJax exists; the book loads MathJax 3, which has no Hub, so every widget with a
  // description would throw. The widgets render on the window's load event (deferred MathJax has
  // run by then); this listener, registered first, bridges the call to MathJax 3.
  window.addEventListener("load", function () {
    var mathjax = window.MathJax;
    if (!mathjax || mathjax.Hub) {
      return;
    }
    mathjax.Hub = {
      Queue: function (job) {
        var element = job && job[2];
        var current = window.MathJax;
        if (element && current && typeof current.typesetPromise === "function") {
          current.typesetPromise([element]).catch(function () {});
        }
      }
    };
  });
})();
