// "Kompetensi saya": required vs current level per competency, drawn with Chart.js.
(function () {
  "use strict";
  // Numbers in the page's language (72,7 in Indonesian), not the browser's.
  if (typeof Chart !== "undefined") { Chart.defaults.locale = document.documentElement.lang || "id"; }
  var canvas = document.getElementById("gap-chart");
  if (!canvas || typeof Chart === "undefined") { return; }
  var data = JSON.parse(canvas.getAttribute("data-chart"));
  new Chart(canvas, {
    type: "bar",
    data: {
      labels: data.labels,
      datasets: [
        { label: data.title_required, data: data.required, backgroundColor: "rgba(31, 111, 84, 0.35)",
          borderColor: "rgb(31, 111, 84)", borderWidth: 1 },
        { label: data.title_current, data: data.current, backgroundColor: "rgba(214, 140, 0, 0.7)" }
      ]
    },
    options: {
      responsive: true,
      maintainAspectRatio: false,
      scales: { y: { min: 0, max: 5, ticks: { stepSize: 1 } } },
      plugins: { tooltip: { callbacks: { title: function (items) {
        var i = items[0].dataIndex; return data.labels[i] + " · " + data.names[i];
      } } } }
    }
  });
  canvas.setAttribute("data-drawn", "1");
})();
