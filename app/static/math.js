// Mathematics in questions, answers, feedback and lessons: TeX between \( \), \[ \] or $$ $$,
// rendered by KaTeX (served by the app from npm, see VENDOR_FILES in app/web.py). KaTeX is
// loaded only on a page that has a delimiter in it, so pages without mathematics pay nothing.
(function () {
  "use strict";
  var root = document.querySelector("main") || document.body;
  if (!root || !/\\\(|\\\[|\$\$/.test(root.textContent || "")) return;
  var me = document.currentScript || document.querySelector("script[data-vendor]");
  var base = (me && me.getAttribute("data-vendor")) || "/vendor/";
  var css = document.createElement("link");
  css.rel = "stylesheet";
  css.href = base + "katex.min.css";
  document.head.appendChild(css);

  function load(src, then) {
    var s = document.createElement("script");
    s.src = base + src;
    s.onload = then;
    document.head.appendChild(s);
  }

  function render() {
    if (typeof window.renderMathInElement !== "function") return;
    window.renderMathInElement(root, {
      delimiters: [
        { left: "$$", right: "$$", display: true },
        { left: "\\[", right: "\\]", display: true },
        { left: "\\(", right: "\\)", display: false }
      ],
      // never inside what a person types or picks from: the text there must stay as written
      ignoredTags: ["script", "noscript", "style", "textarea", "pre", "code", "option", "select", "input"],
      ignoredClasses: ["no-math", "ql-editor"],
      throwOnError: false
    });
    document.documentElement.setAttribute("data-math", "rendered");
  }

  load("katex.min.js", function () { load("katex-auto-render.min.js", render); });
})();
