/* Lentera on weak networks and offline (issue 20). Loaded on every page; no inline script (CSP).
   - the data-saver indicator: what this page cost in bytes over the network (cached files cost 0)
   More parts (the service worker, the queue of offline events and its sync) hook in below. */
(function () {
  "use strict";
  var lang = document.documentElement.lang || "id";

  function formatBytes(n) {
    if (n >= 1024 * 1024) return (n / (1024 * 1024)).toLocaleString(lang, {maximumFractionDigits: 1}) + " MB";
    return Math.round(n / 1024).toLocaleString(lang) + " KB";
  }

  // --- data-saver indicator ------------------------------------------------------------------
  function pageBytes() {
    if (!window.performance || !performance.getEntriesByType) return null;
    var total = 0;
    performance.getEntriesByType("navigation").forEach(function (e) { total += e.transferSize || 0; });
    performance.getEntriesByType("resource").forEach(function (e) { total += e.transferSize || 0; });
    return total;
  }
  function showCost() {
    var el = document.getElementById("data-cost");
    if (!el) return;
    var bytes = pageBytes();
    if (bytes === null) return;
    el.textContent = el.getAttribute("data-template").replace("{size}", formatBytes(bytes));
    el.setAttribute("data-bytes", String(bytes));
    el.hidden = false;
  }
  window.addEventListener("load", function () { setTimeout(showCost, 0); });
  if (window.PerformanceObserver) {
    try { new PerformanceObserver(showCost).observe({type: "resource", buffered: false}); } catch (e) { /* old browser */ }
  }

  window.LenteraOffline = window.LenteraOffline || {};
  window.LenteraOffline.formatBytes = formatBytes;
})();
