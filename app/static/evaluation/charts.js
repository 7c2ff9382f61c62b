/* Bar charts of the evaluation reports (Chart.js served from /vendor): one per canvas.report-chart. */
(function () {
  "use strict";
  if (typeof Chart === "undefined") return;
  document.querySelectorAll("canvas.report-chart").forEach(function (canvas) {
    new Chart(canvas, {
      type: canvas.dataset.type || "bar",
      data: {
        labels: JSON.parse(canvas.dataset.labels),
        datasets: [{ label: canvas.dataset.label, data: JSON.parse(canvas.dataset.counts), backgroundColor: "#2f6f9f",
                     borderColor: "#2f6f9f" }]
      },
      options: { responsive: true, maintainAspectRatio: false,
                 scales: { y: { beginAtZero: true, ticks: { precision: 0 } } }, plugins: { legend: { display: false } } }
    });
  });
})();
