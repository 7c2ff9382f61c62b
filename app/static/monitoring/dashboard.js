// Draws the monitoring dashboard's charts from the figures the page carries in data-attainment
// (the same document GET /api/v1/monitoring/attainment answers), with Chart.js served by the app.
(function () {
  "use strict";
  // Numbers in the page's language (72,7 in Indonesian), not the browser's.
  if (typeof Chart !== "undefined") { Chart.defaults.locale = document.documentElement.lang || "id"; }
  var holder = document.getElementById("charts");
  if (!holder || typeof Chart === "undefined") { return; }
  var data = JSON.parse(holder.getAttribute("data-attainment"));
  var L = data.labels;
  var green = "#1f7a5a", amber = "#e0a100", grey = "#9aa5b1";

  function chart(id, config) {
    var el = document.getElementById(id);
    if (el) { return new Chart(el, config); }
    return null;
  }

  chart("chart-monthly", {
    type: "line",
    data: {
      labels: L.months,
      datasets: [{ label: L.met, data: data.monthly.map(function (m) { return m.percent; }),
                   borderColor: green, backgroundColor: "rgba(31,122,90,.15)", fill: true, spanGaps: false, tension: 0.2 }]
    },
    options: { scales: { y: { min: 0, max: 100, ticks: { callback: function (v) { return v.toLocaleString(document.documentElement.lang || "id") + " %"; } } } },
               plugins: { legend: { display: false } } }
  });

  chart("chart-histogram", {
    type: "bar",
    data: {
      labels: data.histogram.map(function (h) { return h.label; }),
      datasets: [{ label: L.employees, data: data.histogram.map(function (h) { return h.employees; }),
                   backgroundColor: data.histogram.map(function (h, i) { return i >= 5 ? green : (i === 0 ? grey : amber); }) }]
    },
    options: { plugins: { legend: { display: false } }, scales: { y: { beginAtZero: true, ticks: { precision: 0 } },
               x: { title: { display: true, text: L.jp } } } }
  });

  chart("chart-categories", {
    type: "bar",
    data: {
      labels: data.categories.map(function (c) { return L.categories[c.category]; }),
      datasets: [
        { label: L.actual, data: data.categories.map(function (c) { return c.percent; }), backgroundColor: green },
        { label: L.guidance, data: data.categories.map(function (c) { return c.guidance; }), backgroundColor: grey }
      ]
    },
    options: { scales: { y: { min: 0, max: 100 } } }
  });
})();
