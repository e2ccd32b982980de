/* Voucher program report: money issued and redeemed per day (or month), as bars. */
(function () {
  "use strict";

  function draw() {
    var canvas = document.getElementById("program-chart");
    var source = document.getElementById("program-series");
    if (!canvas || !source || typeof window.Chart === "undefined") {
      return;
    }
    var data = JSON.parse(source.textContent);
    var currency = canvas.dataset.currency || "";
    new window.Chart(canvas, {
      type: "bar",
      data: {
        labels: data.labels,
        datasets: [
          { label: canvas.dataset.issued, data: data.issued, backgroundColor: "#0d6efd" },
          { label: canvas.dataset.redeemed, data: data.redeemed, backgroundColor: "#198754" }
        ]
      },
      options: {
        responsive: true,
        interaction: { mode: "index", intersect: false },
        plugins: {
          legend: { position: "bottom" },
          tooltip: { callbacks: { label: function (item) { return item.dataset.label + ": " + currency + item.parsed.y.toFixed(2); } } }
        },
        scales: { y: { beginAtZero: true, ticks: { callback: function (v) { return currency + v; } } } }
      }
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();
