/* Rich-text editing for any <textarea data-editor="rich">: Quill 2 (served by the app from npm).
   The textarea stays the form field, so the page still works without JavaScript (plain HTML),
   and the server sanitises whatever arrives by the same allow-list as before. Quill is loaded only
   on pages that have such a textarea, so learners' pages never pay for it. Images are uploaded to
   the URL in data-upload-url (the course's storage) and inserted by their URL, never as data: blobs. */
(function () {
  "use strict";
  var areas = document.querySelectorAll("textarea[data-editor='rich']");
  if (!areas.length) return;
  var script = document.currentScript;
  var base = script.getAttribute("data-vendor");  // /vendor/
  var labels = JSON.parse(script.getAttribute("data-labels") || "{}");

  function load(tag, attrs) {
    return new Promise(function (resolve, reject) {
      var el = document.createElement(tag);
      Object.keys(attrs).forEach(function (k) { el.setAttribute(k, attrs[k]); });
      el.onload = resolve; el.onerror = reject;
      document.head.appendChild(el);
    });
  }

  function csrfToken(form) {
    var input = form && form.querySelector("input[name='csrf_token']");
    if (input) return input.value;
    var meta = document.querySelector("meta[name='csrf-token']");
    return meta ? meta.content : "";
  }

  function uploadImage(quill, area) {
    var url = area.getAttribute("data-upload-url");
    var picker = document.createElement("input");
    picker.type = "file";
    picker.accept = "image/png,image/jpeg,image/gif,image/webp";
    picker.onchange = function () {
      if (!picker.files.length) return;
      var body = new FormData();
      body.append("image", picker.files[0]);
      var status = area.parentNode.querySelector(".editor-status");
      status.textContent = labels.uploading || "…";
      fetch(url, {method: "POST", body: body, credentials: "same-origin",
                  headers: {"X-CSRFToken": csrfToken(area.form), "Accept": "application/json"}})
        .then(function (resp) { return resp.json().then(function (data) { return [resp.ok, data]; }); })
        .then(function (res) {
          if (!res[0]) { status.textContent = (res[1].error && res[1].error.message) || labels.failed; return; }
          var range = quill.getSelection(true);
          quill.insertEmbed(range ? range.index : quill.getLength(), "image", res[1].url, "user");
          status.textContent = "";
        })
        .catch(function () { status.textContent = labels.failed || "!"; });
    };
    picker.click();
  }

  function attach(area) {
    var holder = document.createElement("div");
    holder.className = "rich-editor";
    var status = document.createElement("div");
    status.className = "editor-status";
    status.setAttribute("role", "status");
    area.parentNode.insertBefore(holder, area);
    area.parentNode.insertBefore(status, area.nextSibling);
    area.hidden = true;
    var toolbar = [
      [{header: [2, 3, 4, false]}],
      ["bold", "italic", "underline", "strike"],
      [{list: "ordered"}, {list: "bullet"}, "blockquote", "code-block"],
      ["link"].concat(area.getAttribute("data-upload-url") ? ["image"] : []),
      ["table"],
      ["clean"]
    ];
    var quill = new window.Quill(holder, {
      theme: "snow",
      modules: {
        table: true,
        toolbar: {
          container: toolbar,
          handlers: {
            image: function () { uploadImage(quill, area); },
            table: function () { quill.getModule("table").insertTable(3, 3); }
          }
        }
      }
    });
    // Name the toolbar buttons for screen readers and keyboard users (Quill leaves them unnamed).
    holder.previousSibling.querySelectorAll("button").forEach(function (b) {
      var name = (b.className.match(/ql-([a-z-]+)/) || [])[1];
      var label = labels[name + (b.value ? "-" + b.value : "")] || labels[name];
      if (label) { b.setAttribute("aria-label", label); b.title = label; }
    });
    holder.previousSibling.querySelectorAll(".ql-picker-label").forEach(function (b) {
      b.setAttribute("aria-label", labels.header || "");
    });
    if (area.value.trim()) {
      quill.clipboard.dangerouslyPasteHTML(area.value);  // the server already cleaned it
    }
    var sync = function () {
      // getSemanticHTML writes every space as &nbsp;, which would stop lines from wrapping.
      area.value = quill.getLength() > 1 ? quill.getSemanticHTML().replace(/&nbsp;/g, " ") : "";
    };
    quill.on("text-change", sync);
    if (area.form) area.form.addEventListener("submit", sync);
    area.lenteraEditor = quill;
  }

  Promise.all([
    load("link", {rel: "stylesheet", href: base + "quill.snow.css"}),
    load("script", {src: base + "quill.js"})
  ]).then(function () { areas.forEach(attach); }).catch(function () {
    /* Without the editor the plain textarea still takes HTML: nothing is lost. */
  });
})();
