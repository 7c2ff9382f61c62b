// Polls the ZIP job and moves the progress bar until the file is ready.
(function () {
  var box = document.getElementById("zip-job");
  if (!box) return;
  var url = box.getAttribute("data-status-url");
  function tick() {
    fetch(url, { credentials: "same-origin" }).then(function (r) { return r.json(); }).then(function (s) {
      var bar = box.querySelector(".progress-bar"), text = box.querySelector(".progress-text");
      var prog = box.querySelector(".progress");
      if (bar) bar.style.width = s.progress + "%";
      if (text) text.textContent = s.progress + "%";
      if (prog) prog.setAttribute("aria-valuenow", s.progress);
      document.getElementById("zip-message").textContent = s.message || "";
      if (s.state === "done") {
        document.getElementById("zip-download").hidden = false;
      } else if (s.state !== "failed") {
        setTimeout(tick, 1500);
      }
    }).catch(function () { setTimeout(tick, 5000); });
  }
  if (box.getAttribute("data-state") !== "done" && box.getAttribute("data-state") !== "failed") tick();
})();
