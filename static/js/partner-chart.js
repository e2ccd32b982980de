/* Views and launches of one listing per day (partner listing page).
   The data comes from a json_script element, so the page needs no inline script. */
(function () {
  "use strict";

  function draw() {
    var canvas = document.getElementById("listing-chart");
    var source = document.getElementById("listing-stats");
    if (!canvas || !source || typeof window.Chart === "undefined") {
      return;
    }
    var stats = JSON.parse(source.textContent);
    new window.Chart(canvas, {
      type: "line",
      data: {
        labels: stats.labels.map(function (day) { return day.slice(5); }),
        datasets: [
          {
            label: stats.series.views,
            data: stats.views,
            borderColor: "#0d6efd",
            backgroundColor: "rgba(13, 110, 253, 0.1)",
            fill: true,
            tension: 0.25,
            pointRadius: 2
          },
          {
            label: stats.series.launches,
            data: stats.launches,
            borderColor: "#198754",
            backgroundColor: "rgba(25, 135, 84, 0.1)",
            fill: true,
            tension: 0.25,
            pointRadius: 2
          }
        ]
      },
      options: {
        responsive: true,
        interaction: { mode: "index", intersect: false },
        plugins: { legend: { position: "bottom" } },
        scales: { y: { beginAtZero: true, ticks: { precision: 0 } } }
      }
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();
