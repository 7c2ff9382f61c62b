/* Resumable video upload (tus 1.0 core + creation): the file goes in chunks; after a dropped
   connection (or a reload of the page) the uploader asks the server how much it has (HEAD)
   and continues from there. */
(function () {
  "use strict";
  var csrf = (document.querySelector('meta[name="csrf-token"]') || {}).content || "";
  var TUS = "1.0.0";

  function b64(s) { return btoa(unescape(encodeURIComponent(s))); }
  function sleep(ms) { return new Promise(function (r) { setTimeout(r, ms); }); }
  function errorOf(_xhr, text) {
    try { return JSON.parse(text).error.message; } catch (e) { return null; }
  }

  function request(method, url, headers, body, onProgress) {
    return new Promise(function (resolve, reject) {
      var xhr = new XMLHttpRequest();
      xhr.open(method, url, true);
      xhr.withCredentials = true;
      Object.keys(headers).forEach(function (k) { xhr.setRequestHeader(k, headers[k]); });
      xhr.setRequestHeader("Tus-Resumable", TUS);
      xhr.setRequestHeader("X-CSRFToken", csrf);
      if (onProgress && xhr.upload) xhr.upload.onprogress = function (e) { onProgress(e.loaded); };
      xhr.onload = function () { resolve(xhr); };
      xhr.onerror = function () { reject(new Error("network")); };
      xhr.ontimeout = function () { reject(new Error("timeout")); };
      xhr.send(body || null);
    });
  }

  function setup(box) {
    if (box.getAttribute("data-ready")) return;  // the script may be included once per activity
    box.setAttribute("data-ready", "1");
    var input = box.querySelector(".video-file"), button = box.querySelector(".video-upload-start");
    var bar = box.querySelector(".video-upload-progress"), msg = box.querySelector(".video-upload-message");
    if (!input || !button) return;
    var createUrl = box.getAttribute("data-create-url");
    var chunk = parseInt(box.getAttribute("data-chunk"), 10) || 8 * 1024 * 1024;
    var max = parseInt(box.getAttribute("data-max"), 10) || 0;
    var messages = JSON.parse(box.getAttribute("data-messages") || "{}");
    // Messages come translated from the page; {name} placeholders are filled here.
    function t(name, values) {
      return (messages[name] || name).replace(/\{(\w+)\}/g, function (_m, k) { return values && k in values ? values[k] : ""; });
    }

    function say(text, isError) { msg.textContent = text; msg.className = "video-upload-message" + (isError ? " field-error" : ""); }
    function progress(n, total) {
      bar.hidden = false;
      bar.value = Math.floor(n * 100 / total);
      say(t("uploading", {pct: bar.value, done: (n / 1048576).toFixed(1), total: (total / 1048576).toFixed(1)}));
    }

    async function offsetOf(url) {
      var x = await request("HEAD", url, {});
      if (x.status !== 200) return null;
      return parseInt(x.getResponseHeader("Upload-Offset"), 10);
    }

    async function upload(file) {
      if (max && file.size > max) {
        say(t("too_large", {size: (file.size / 1048576).toFixed(1), limit: (max / 1048576).toFixed(1)}), true);
        return;
      }
      var key = "lentera-upload:" + box.getAttribute("data-activity") + ":" + file.name + ":" + file.size + ":" + file.lastModified;
      var url = null, offset = 0;
      try { url = localStorage.getItem(key); } catch (e) { url = null; }
      if (url) {
        try { offset = await offsetOf(url); } catch (e) { offset = null; }
        if (offset === null || isNaN(offset)) { url = null; offset = 0; }
      }
      if (!url) {
        var c = await request("POST", createUrl, {"Upload-Length": String(file.size), "Upload-Metadata": "filename " + b64(file.name)});
        if (c.status !== 201) { say(errorOf(c, c.responseText) || t("start_failed", {status: c.status}), true); return; }
        url = c.getResponseHeader("Location");
        try { localStorage.setItem(key, url); } catch (e) { /* private mode: resume within this page only */ }
      }
      var failures = 0;
      progress(offset, file.size);
      while (offset < file.size) {
        var piece = file.slice(offset, Math.min(offset + chunk, file.size));
        var base = offset;
        try {
          var x = await request("PATCH", url, {"Upload-Offset": String(offset), "Content-Type": "application/offset+octet-stream"},
                                piece, function (n) { progress(base + n, file.size); });
          if (x.status === 204) {
            offset = parseInt(x.getResponseHeader("Upload-Offset"), 10);
            failures = 0;
            progress(offset, file.size);
            continue;
          }
          if (x.status === 409) { offset = await offsetOf(url); continue; }
          try { localStorage.removeItem(key); } catch (e) { /* ignore */ }
          say(errorOf(x, x.responseText) || t("refused", {status: x.status}), true);
          return;
        } catch (e) {
          // The connection dropped: wait (longer each time), ask the server where we are, go on.
          failures += 1;
          say(t("offline", {seconds: Math.min(30, Math.pow(2, failures))}), true);
          await sleep(Math.min(30000, 1000 * Math.pow(2, failures)));
          try { var o = await offsetOf(url); if (o !== null && !isNaN(o)) offset = o; } catch (e2) { /* still offline */ }
        }
      }
      // All bytes are there; if the request that sent the last ones died before handing the
      // file over, an empty PATCH at the end finishes it.
      var st = await request("GET", url, {});
      var info = {};
      try { info = JSON.parse(st.responseText); } catch (e) { info = {}; }
      if (info.state === "open") {
        var fin = await request("PATCH", url, {"Upload-Offset": String(file.size), "Content-Type": "application/offset+octet-stream"}, new Blob([]));
        if (fin.status !== 204) {
          try { localStorage.removeItem(key); } catch (e) { /* ignore */ }
          say(errorOf(fin, fin.responseText) || t("refused", {status: fin.status}), true);
          return;
        }
      }
      try { localStorage.removeItem(key); } catch (e) { /* ignore */ }
      bar.value = 100;
      say(t("done"));
      setTimeout(function () { window.location.reload(); }, 1500);
    }

    button.addEventListener("click", function () {
      if (!input.files || !input.files[0]) { say(t("choose"), true); return; }
      button.disabled = true;
      upload(input.files[0]).catch(function (e) { say(t("failed", {error: e.message}), true); })
        .then(function () { button.disabled = false; });
    });

    // While a transcode runs, keep the status fresh.
    var status = box.querySelector(".video-status");
    if (status && (status.getAttribute("data-state") === "queued" || status.getAttribute("data-state") === "processing")) {
      var state = status.getAttribute("data-state");
      setInterval(function () {
        fetch(status.getAttribute("data-state-url"), {credentials: "same-origin"}).then(function (r) { return r.json(); })
          .then(function (s) {
            if (s.status.state === "processing" && state === "processing") {
              var b = status.querySelector(".progress-bar"), t = status.querySelector(".progress-text");
              if (b) b.style.width = s.status.progress + "%";
              if (t) t.textContent = s.status.progress + "%";
              var say = status.querySelector(".video-status-message");
              if (say && s.status.message) say.textContent = s.status.message;
            } else if (s.status.state !== state) { window.location.reload(); }
          }).catch(function () {});
      }, 3000);
    }
  }

  document.querySelectorAll(".video-upload").forEach(setup);
})();
