/* Draws the chart of an analysis page with the vendored Apache ECharts, from the JSON the page holds in
   <script type="application/json" id="chart-data"> (the same numbers as the table view under it).
   Tooltips are drawn on the canvas (renderMode "richText"): HTML tooltips would carry inline styles,
   which the Content-Security-Policy refuses. */
(function () {
  "use strict";

  function numbers(values) {
    return values.map(function (v) { return v === null ? null : Number(v); });
  }

  function lineOrBar(data) {
    var money = data.series.some(function (s) { return s.money; });
    var counts = data.series.some(function (s) { return !s.money; });
    var twoAxes = money && counts;
    return {
      tooltip: { trigger: "axis", renderMode: "richText" },
      legend: { top: 0 },
      grid: { left: 16, right: 16, top: 40, bottom: 8, containLabel: true },
      xAxis: { type: "category", data: data.categories, axisLabel: { rotate: data.kind === "bar" ? 30 : 0 } },
      yAxis: twoAxes ? [{ type: "value" }, { type: "value", splitLine: { show: false } }] : { type: "value" },
      series: data.series.map(function (s) {
        return {
          name: s.name, type: data.kind, data: numbers(s.data), connectNulls: false, showSymbol: false,
          yAxisIndex: twoAxes && !s.money ? 1 : 0
        };
      })
    };
  }

  function heatmap(data) {
    var max = data.cells.reduce(function (m, c) { return Math.max(m, c[2]); }, 1);
    return {
      tooltip: { renderMode: "richText" },
      grid: { left: 16, right: 16, top: 16, bottom: 64, containLabel: true },
      xAxis: { type: "category", data: data.x, splitArea: { show: true } },
      yAxis: { type: "category", data: data.y, inverse: true, splitArea: { show: true } },
      visualMap: { min: 0, max: max, calculable: true, orient: "horizontal", left: "center", bottom: 0,
                   inRange: { color: ["#f8fafc", "#9b1c1c"] } },
      series: [{ type: "heatmap", data: data.cells, label: { show: true } }]
    };
  }

  function funnel(data) {
    return {
      tooltip: { trigger: "item", renderMode: "richText" },
      series: [{
        type: "funnel", sort: "none", left: "10%", width: "80%", top: 16, bottom: 16, minSize: "8%",
        label: { show: true, position: "inside", formatter: "{b}: {c}" },
        data: data.stages.map(function (s) { return { name: s.name, value: Number(s.value) }; })
      }]
    };
  }

  var KINDS = { heatmap: heatmap, funnel: funnel };

  /* The table view's button hides or shows the table (its labels come from the page, in its language). */
  function tableToggle() {
    var button = document.getElementById("table-toggle");
    var body = document.getElementById("table-body");
    if (!button || !body) { return; }
    button.addEventListener("click", function () {
      var shown = body.hidden;
      body.hidden = !shown;
      button.setAttribute("aria-expanded", shown ? "true" : "false");
      button.textContent = shown ? button.dataset.hide : button.dataset.show;
    });
  }

  function draw() {
    var source = document.getElementById("chart-data");
    var box = document.getElementById("chart");
    if (!source || !box || !window.echarts) { return; }
    var data = JSON.parse(source.textContent);
    var lang = (document.documentElement.lang || "").toLowerCase().indexOf("zh") === 0 ? "ZH" : "EN";
    var chart = window.echarts.init(box, null, { locale: lang });
    chart.setOption((KINDS[data.kind] || lineOrBar)(data));
    window.addEventListener("resize", function () { chart.resize(); });
  }

  document.addEventListener("DOMContentLoaded", tableToggle);
  document.addEventListener("DOMContentLoaded", draw);
})();
