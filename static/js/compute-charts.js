/* Cards in use per pool over time (operator pools page). The data comes from the json_script
   element "pool-history"; the 24 h / 7 d toggle swaps the chart card with htmx, so the chart is
   drawn again after every swap. */
(function () {
  "use strict";

  var COLOURS = ["#0d6efd", "#198754", "#dc3545", "#fd7e14", "#6f42c1", "#20c997", "#d63384", "#0dcaf0",
                 "#6c757d", "#ffc107"];

  function draw() {
    var canvas = document.getElementById("pool-chart-canvas");
    var source = document.getElementById("pool-history");
    if (!canvas || !source || typeof window.Chart === "undefined") {
      return;
    }
    if (window.Chart.getChart(canvas)) {
      return;  // this canvas has its chart; only a swapped-in canvas needs one
    }
    var history = JSON.parse(source.textContent);
    new window.Chart(canvas, {
      type: "line",
      data: {
        labels: history.labels,
        datasets: history.datasets.map(function (series, i) {
          var colour = COLOURS[i % COLOURS.length];
          return {
            label: series.label,
            data: series.data,
            borderColor: colour,
            backgroundColor: colour,
            spanGaps: false,
            tension: 0.2,
            pointRadius: 0,
            borderWidth: 2
          };
        })
      },
      options: {
        responsive: true,
        animation: false,
        interaction: { mode: "index", intersect: false },
        plugins: { legend: { position: "bottom" } },
        scales: {
          x: { ticks: { maxTicksLimit: 12, autoSkip: true } },
          y: { beginAtZero: true, ticks: { precision: 0 }, title: { display: true, text: history.y_label } }
        }
      }
    });
  }

  function forget(event) {
    var canvas = document.getElementById("pool-chart-canvas");
    var target = event.detail && event.detail.target;
    if (canvas && target && target.contains(canvas) && typeof window.Chart !== "undefined") {
      var chart = window.Chart.getChart(canvas);
      if (chart) {
        chart.destroy();  // its canvas is about to be replaced
      }
    }
  }

  document.addEventListener("htmx:beforeSwap", forget);
  document.addEventListener("htmx:afterSettle", draw);
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();
