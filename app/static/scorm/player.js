// The SCORM player page: the SCO runs sandboxed in the frame and tells us (postMessage, no data)
// when it committed; we then ask the API for the learner's state and update the table of
// contents, the "done" badge and the course progress without reloading the SCO.
(function () {
  "use strict";
  var box = document.querySelector(".scorm-player");
  if (!box || box.dataset.ready) { return; }
  box.dataset.ready = "1";
  var frame = box.querySelector(".scorm-frame");
  var pending = null;
  var late = null;

  function refresh() {
    fetch(box.dataset.stateUrl, {credentials: "same-origin", headers: {"Accept": "application/json"}})
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) {
        if (!data) { return; }
        data.scos.forEach(function (s) {
          var li = box.querySelector('.scorm-item[data-sco="' + s.id + '"] .scorm-status');
          if (li) {
            li.textContent = s.status_label || li.textContent;
            li.classList.toggle("badge-ok", s.status === "passed" || s.status === "completed");
            li.dataset.status = s.status;
          }
        });
        var done = box.querySelector(".scorm-done");
        if (done && data.attempt && data.attempt.completed) { done.hidden = false; }
        if (data.completed && !document.getElementById("activity-done")) {
          var badge = document.createElement("span");
          badge.className = "badge badge-ok";
          badge.id = "activity-done";
          badge.textContent = "✓ " + box.dataset.doneLabel.toLowerCase();
          var h = document.querySelector("h1");
          if (h && h.nextElementSibling) { h.nextElementSibling.appendChild(badge); }
        }
      })
      .catch(function () { /* offline: the next commit tries again */ });
  }

  function fromFrame(w) {
    // The SCO itself or a frame inside it (parent is readable across origins).
    for (var i = 0; w && i < 6; i++) {
      if (w === frame.contentWindow) { return true; }
      if (w === w.parent) { return false; }
      w = w.parent;
    }
    return false;
  }

  window.addEventListener("message", function (ev) {
    if (!frame || !fromFrame(ev.source)) { return; }
    var d = ev.data;
    if (!d || typeof d !== "object" || !d.lenteraScorm) { return; }
    clearTimeout(pending);
    clearTimeout(late);
    pending = setTimeout(refresh, 300);
    // LMSFinish while a page unloads is sent as a beacon, which may land after the first look.
    if (d.lenteraScorm === "finish") { late = setTimeout(refresh, 2000); }
  });
})();
