/* The management-information page's charts (Chart.js, vendored in core/vendor/chartjs).
   The figures come from the page itself ({{ data|json_script:"mi-data" }}); every chart has its table beside it. */
(function () {
  "use strict";

  var BLUE = "#1d3557", TEAL = "#2a9d8f", AMBER = "#e9a23b", RED = "#a4161a", GREY = "#8d99ae", ORANGE = "#f4a259";
  // Ordered scales: each step is stronger than the one before (low -> prohibited, simplified -> enhanced);
  // "not rated" / "no level yet" is grey, outside the scale. The axis labels name each bar and its count too.
  var RISK_SCALE = ["#fdcc8a", "#fc8d59", "#d7301f", "#7f0000", GREY];
  var LEVEL_SCALE = ["#bdd7e7", "#6baed6", "#08519c", GREY];

  function draw() {
    var source = document.getElementById("mi-data");
    if (!source || typeof window.Chart === "undefined") {
      return;
    }
    var data = JSON.parse(source.textContent);
    var Chart = window.Chart;
    Chart.defaults.font.family = "system-ui, sans-serif";
    Chart.defaults.color = "#1d2330";
    Chart.defaults.maintainAspectRatio = false;
    Chart.defaults.animation = false;

    function chart(id, config) {
      var canvas = document.getElementById(id);
      if (canvas) {
        new Chart(canvas, config);
      }
    }

    function shortDays(days) {
      return days.map(function (d) { return d.slice(5); });
    }

    chart("chart-alerts", {
      data: {
        labels: shortDays(data.days),
        datasets: [
          { type: "bar", label: "Raised", data: data.alerts.raised, backgroundColor: ORANGE, stack: "raised", yAxisID: "y" },
          { type: "bar", label: "Closed: false positive", data: data.alerts.closed_fp, backgroundColor: TEAL, stack: "closed", yAxisID: "y" },
          { type: "bar", label: "Closed: true match", data: data.alerts.closed_tm, backgroundColor: BLUE, stack: "closed", yAxisID: "y" },
          { type: "line", label: "False-positive share (%)", data: data.alerts.fp_share, borderColor: GREY, backgroundColor: GREY,
            spanGaps: true, yAxisID: "share", pointRadius: 3 }
        ]
      },
      options: {
        scales: {
          y: { beginAtZero: true, stacked: true, title: { display: true, text: "alerts" }, ticks: { precision: 0 } },
          share: { position: "right", min: 0, max: 100, grid: { drawOnChartArea: false }, title: { display: true, text: "% false positive" } },
          x: { stacked: true }
        }
      }
    });

    chart("chart-alert-ageing", {
      type: "bar",
      data: {
        labels: data.alert_ageing.labels,
        datasets: [
          { label: "Within SLA", data: data.alert_ageing.within, backgroundColor: BLUE },
          { label: "Breached SLA", data: data.alert_ageing.breached, backgroundColor: RED }
        ]
      },
      options: { scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true, ticks: { precision: 0 } } } }
    });

    chart("chart-case-ageing", {
      type: "bar",
      data: {
        labels: data.case_ageing.labels,
        datasets: [
          { label: "Within SLA", data: data.case_ageing.within, backgroundColor: BLUE },
          { label: "Due within 2 days", data: data.case_ageing.due_soon, backgroundColor: AMBER },
          { label: "Breached SLA", data: data.case_ageing.breached, backgroundColor: RED }
        ]
      },
      options: { scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true, ticks: { precision: 0 } } } }
    });

    function bars(id, series, colours, label) {
      var labels = series.labels.map(function (name, i) { return name + ": " + series.values[i]; });
      chart(id, {
        type: "bar",
        data: { labels: labels, datasets: [{ label: label, data: series.values, backgroundColor: colours,
                                             borderColor: "#1d2330", borderWidth: 1 }] },
        options: { plugins: { legend: { display: false } }, scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } }
      });
    }

    bars("chart-rating", data.rating, RISK_SCALE, "customers");
    bars("chart-level", data.level, LEVEL_SCALE, "customers");
    bars("chart-reviews", data.reviews, [RED, RED, AMBER, BLUE], "customers");
    bars("chart-documents", data.documents, [RED, AMBER, BLUE], "documents");

    chart("chart-screening", {
      data: {
        labels: shortDays(data.days),
        datasets: [
          { type: "bar", label: "Runs", data: data.screening.runs, backgroundColor: BLUE, yAxisID: "y" },
          { type: "line", label: "Latency p50 (ms)", data: data.screening.p50, borderColor: TEAL, backgroundColor: TEAL,
            spanGaps: true, yAxisID: "ms", pointRadius: 3 },
          { type: "line", label: "Latency p95 (ms)", data: data.screening.p95, borderColor: RED, backgroundColor: RED,
            borderDash: [6, 4], spanGaps: true, yAxisID: "ms", pointRadius: 3 }
        ]
      },
      options: {
        scales: {
          y: { beginAtZero: true, title: { display: true, text: "runs" }, ticks: { precision: 0 } },
          ms: { position: "right", beginAtZero: true, grid: { drawOnChartArea: false }, title: { display: true, text: "milliseconds" } }
        }
      }
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();
