/* Score histogram of the quiz statistics page (Chart.js served from /vendor). */
(function () {
  "use strict";
  var canvas = document.getElementById("histogram");
  if (!canvas || typeof Chart === "undefined") return;
  new Chart(canvas, {
    type: "bar",
    data: {
      labels: JSON.parse(canvas.dataset.labels),
      datasets: [{ label: canvas.dataset.label, data: JSON.parse(canvas.dataset.counts), backgroundColor: "#2f6f9f" }]
    },
    options: { responsive: true, scales: { y: { beginAtZero: true, ticks: { precision: 0 } } },
               plugins: { legend: { display: false } } }
  });
})();
