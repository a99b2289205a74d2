// The outcomes dashboard's charts, drawn with the bundled Chart.js (static/vendor/chartjs).
// The data comes from the page itself, as JSON in <script type="application/json"
// id="outcomes-charts"> (never executed, so the CSP allows it); each
// <canvas data-chart="ID"> gets the chart of that ID. Every chart has a data table beside it
// on the page, so nothing here is the only way to read a figure.
//
// Kaplan-Meier curves are stepped lines (the estimate holds until the next event day, then
// drops: Chart.js's "before" steps), with the 95 % band as two thin lines filled between.
// No animation when the reader asks for reduced motion, nor for printing.
"use strict";
(function () {
  var source = document.getElementById("outcomes-charts");
  if (!source || typeof window.Chart !== "function") {
    return;
  }
  var specs;
  try {
    specs = JSON.parse(source.textContent || "{}");
  } catch (e) {
    return;
  }
  var reduced = window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches;
  var lang = document.documentElement.lang || "en";
  var percent = new Intl.NumberFormat(lang, { style: "percent", maximumFractionDigits: 0 });
  var drawn = [];

  function withAlpha(hex, alpha) {
    var n = parseInt(hex.slice(1), 16);
    return "rgba(" + (n >> 16) + "," + ((n >> 8) & 255) + "," + (n & 255) + "," + alpha + ")";
  }

  function points(days, values) {
    var out = [];
    for (var i = 0; i < days.length; i++) {
      out.push({ x: days[i], y: values[i] });
    }
    return out;
  }

  function kmDatasets(spec) {
    var sets = [];
    spec.series.forEach(function (s) {
      var c = s.curve;
      var dash = s.dashed ? [6, 4] : [];
      // the band first, low then high filled back to low ("-1"), so the line is drawn on top
      sets.push({
        label: s.label + " · " + spec.bandLabel,
        data: points(c.days, c.low),
        stepped: "before",
        borderColor: withAlpha(s.color, 0.5),
        borderWidth: 1,
        borderDash: dash,
        pointRadius: 0,
        fill: false,
        band: true,
      });
      sets.push({
        label: s.label + " · " + spec.bandLabel,
        data: points(c.days, c.high),
        stepped: "before",
        borderColor: withAlpha(s.color, 0.5),
        backgroundColor: withAlpha(s.color, 0.15),
        borderWidth: 1,
        borderDash: dash,
        pointRadius: 0,
        fill: "-1",
        band: true,
      });
      sets.push({
        label: s.label,
        data: points(c.days, c.estimate),
        stepped: "before",
        borderColor: s.color,
        backgroundColor: s.color,
        borderWidth: 2.5,
        borderDash: dash,
        pointRadius: 0,
        pointStyle: "line",
        fill: false,
      });
    });
    return sets;
  }

  function axisTitle(text) {
    return { display: true, text: text, color: "#1d2433" };
  }

  var ticks = { color: "#1d2433" };
  var percentTicks = {
    color: "#1d2433",
    callback: function (value) {
      return percent.format(value);
    },
  };

  function kmConfig(spec) {
    return {
      type: "line",
      data: { datasets: kmDatasets(spec) },
      options: {
        parsing: false,
        normalized: true,
        scales: {
          x: { type: "linear", min: 0, title: axisTitle(spec.xLabel), ticks: ticks },
          y: { min: 0, max: 1, title: axisTitle(spec.yLabel), ticks: percentTicks },
        },
        plugins: {
          legend: {
            labels: {
              color: "#1d2433",
              usePointStyle: true,
              filter: function (item, data) {
                return !data.datasets[item.datasetIndex].band;
              },
            },
          },
          tooltip: {
            filter: function (item) {
              return !item.dataset.band;
            },
            callbacks: {
              label: function (item) {
                return item.dataset.label + ": " + percent.format(item.parsed.y);
              },
            },
          },
        },
      },
    };
  }

  function mobilityConfig(spec) {
    return {
      type: "line",
      data: {
        labels: spec.quarters,
        datasets: spec.series.map(function (s) {
          return {
            label: s.label,
            data: s.rates,
            borderColor: s.color,
            backgroundColor: s.color,
            pointStyle: s.pointStyle,
            pointRadius: 4,
            borderWidth: 2,
            spanGaps: false,
          };
        }),
      },
      options: {
        scales: {
          x: { title: axisTitle(spec.xLabel), ticks: ticks },
          y: { min: 0, max: 1, title: axisTitle(spec.yLabel), ticks: percentTicks },
        },
        plugins: {
          legend: { labels: { color: "#1d2433", usePointStyle: true } },
          tooltip: {
            callbacks: {
              label: function (item) {
                return item.dataset.label + ": " + percent.format(item.parsed.y);
              },
            },
          },
        },
      },
    };
  }

  var canvases = document.querySelectorAll("canvas[data-chart]");
  for (var i = 0; i < canvases.length; i++) {
    var canvas = canvases[i];
    var spec = specs[canvas.getAttribute("data-chart")];
    if (!spec) {
      continue;
    }
    var config = spec.type === "km" ? kmConfig(spec) : mobilityConfig(spec);
    config.options.responsive = true;
    config.options.maintainAspectRatio = false;
    config.options.animation = reduced ? false : { duration: 400 };
    config.options.interaction = { mode: "nearest", intersect: false };
    drawn.push(new window.Chart(canvas, config));
  }

  // Printing: no animation, and redraw at the printed size.
  function forPrint() {
    drawn.forEach(function (chart) {
      chart.options.animation = false;
      chart.resize();
    });
  }
  window.addEventListener("beforeprint", forPrint);
  if (window.matchMedia) {
    var print = window.matchMedia("print");
    if (print.addEventListener) {
      print.addEventListener("change", function (e) {
        if (e.matches) {
          forPrint();
        }
      });
    }
  }
})();
