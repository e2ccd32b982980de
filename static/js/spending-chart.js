/* Daily spend as a stacked bar chart (company spending page), by pool or by template.
   The data comes from a json_script element, so the page needs no inline script. */
(function () {
  "use strict";

  var PALETTE = ["#0d6efd", "#198754", "#fd7e14", "#6f42c1", "#20c997", "#dc3545", "#0dcaf0", "#ffc107", "#6c757d", "#d63384"];

  function datasets(series) {
    return series.map(function (s, i) {
      return { label: s.label, data: s.data, backgroundColor: PALETTE[i % PALETTE.length], stack: "spend" };
    });
  }

  function draw() {
    var canvas = document.getElementById("spending-chart");
    var source = document.getElementById("spending-data");
    if (!canvas || !source || typeof window.Chart === "undefined") {
      return;
    }
    var data = JSON.parse(source.textContent);
    var currency = canvas.dataset.currency || "";
    var chart = new window.Chart(canvas, {
      type: "bar",
      data: { labels: data.labels.map(function (day) { return day.slice(5); }), datasets: datasets(data.by_pool) },
      options: {
        responsive: true,
        interaction: { mode: "index", intersect: false },
        plugins: {
          legend: { position: "bottom" },
          tooltip: {
            filter: function (item) { return item.parsed.y !== 0; },
            callbacks: {
              label: function (item) { return item.dataset.label + ": " + currency + item.parsed.y.toFixed(2); }
            }
          }
        },
        scales: {
          x: { stacked: true },
          y: { stacked: true, beginAtZero: true, ticks: { callback: function (v) { return currency + v; } } }
        }
      }
    });

    var group = document.getElementById("spending-group");
    if (!group) {
      return;
    }
    group.addEventListener("click", function (event) {
      var button = event.target.closest("button[data-group]");
      if (!button) {
        return;
      }
      group.querySelectorAll("button[data-group]").forEach(function (b) {
        var on = b === button;
        b.classList.toggle("active", on);
        b.setAttribute("aria-pressed", on ? "true" : "false");
      });
      chart.data.datasets = datasets(data[button.dataset.group]);
      chart.update();
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();
