// The pages' charts, drawn with the vendored Apache ECharts (/static/vendor/echarts/). The data
// comes from the page's <script type="application/json" id="chart-data"> block, computed on the
// server; each <div data-chart="kind"> names what to draw. A static file, so it runs under the
// Content-Security-Policy (script-src 'self', no inline script).
(function () {
  "use strict";
  var source = document.getElementById("chart-data");
  if (!source || !window.echarts) {
    return;
  }
  var data = JSON.parse(source.textContent);
  var FONT = '"PingFang SC","Microsoft YaHei","Noto Sans CJK SC",sans-serif';

  function bars(block, stacked) {
    return block.series.map(function (s) {
      return {name: s.name, type: "bar", stack: stacked ? "n" : undefined, data: s.values,
              itemStyle: {color: s.colour}, barMaxWidth: 36};
    });
  }

  var draw = {
    trend: function (el) {
      var t = data.trends[Number(el.getAttribute("data-index"))];
      return {
        tooltip: {trigger: "axis"},
        legend: {bottom: 0},
        grid: {left: 8, right: 16, top: 28, bottom: 32, containLabel: true},
        xAxis: {type: "category", data: t.years, boundaryGap: false},
        yAxis: {type: "value", name: t.unit, scale: true},
        series: t.series.map(function (s) {
          return {name: s.name, type: "line", data: s.values, connectNulls: false, symbolSize: 6,
                  showSymbol: s.name !== "目标路径",
                  itemStyle: {color: s.colour},
                  lineStyle: {color: s.colour, width: 2, type: s.dashed ? "dashed" : "solid"}};
        })
      };
    },
    counties: function () {
      return {
        tooltip: {trigger: "axis", axisPointer: {type: "shadow"}},
        legend: {bottom: 0},
        grid: {left: 8, right: 16, top: 32, bottom: 36, containLabel: true},
        xAxis: {type: "category", data: data.counties.units},
        yAxis: {type: "value", name: "指标数", minInterval: 1},
        series: bars(data.counties, true)
      };
    },
    growth: function () {
      return {
        tooltip: {trigger: "axis", valueFormatter: function (v) { return v === null ? "—" : v + "%"; }},
        legend: {bottom: 0},
        grid: {left: 8, right: 16, top: 16, bottom: 36, containLabel: true},
        xAxis: {type: "category", data: data.growth.units},
        yAxis: {type: "value", axisLabel: {formatter: "{value}%"}},
        series: bars(data.growth, false)
      };
    },
    stack: function (el) {
      // A stacked bar per row of a roll-up (e.g. projects per light by 专栏 or county).
      var block = data.stacks[Number(el.getAttribute("data-index"))];
      return {
        tooltip: {trigger: "axis", axisPointer: {type: "shadow"}},
        legend: {bottom: 0},
        grid: {left: 8, right: 16, top: 32, bottom: 36, containLabel: true},
        xAxis: {type: "category", data: block.units},
        yAxis: {type: "value", name: block.axis, minInterval: 1},
        series: bars(block, true)
      };
    },
    band: function () {
      // An enterprise's new orders against its seasonal band: the band as a shaded area (its
      // lower edge, then its width stacked on it), the median dashed, the months warned in red.
      var b = data.band;
      return {
        tooltip: {trigger: "axis", valueFormatter: function (v) { return v === null || v === undefined ? "—" : v + " 万美元"; }},
        legend: {bottom: 0, data: ["新增订单", "季节基线（中位数）", "季节基线带", "预警月份"]},
        grid: {left: 8, right: 16, top: 28, bottom: 36, containLabel: true},
        xAxis: {type: "category", data: b.months, boundaryGap: false},
        yAxis: {type: "value", name: "万美元", scale: true},
        series: [
          {name: "基线下限", type: "line", data: b.low, stack: "band", symbol: "none",
           lineStyle: {opacity: 0}, tooltip: {show: false}},
          {name: "季节基线带", type: "line", data: b.width, stack: "band", symbol: "none",
           lineStyle: {opacity: 0}, areaStyle: {color: "rgba(21, 101, 192, 0.15)"}, itemStyle: {color: "#90caf9"}},
          {name: "季节基线（中位数）", type: "line", data: b.median, symbol: "none",
           lineStyle: {type: "dashed", color: "#1565c0"}, itemStyle: {color: "#1565c0"}},
          {name: "新增订单", type: "line", data: b.actual, symbolSize: 6, connectNulls: false,
           lineStyle: {color: "#263238", width: 2}, itemStyle: {color: "#263238"}},
          {name: "预警月份", type: "scatter", data: b.flagged, symbolSize: 11, itemStyle: {color: "#b42318"}}
        ]
      };
    },
    statuses: function () {
      return {
        tooltip: {trigger: "item"},
        legend: {bottom: 0},
        series: [{type: "pie", radius: ["40%", "68%"], center: ["50%", "45%"],
                  label: {formatter: "{b}\n{c}", fontSize: 16},
                  data: data.statuses.filter(function (s) { return s.value > 0; }).map(function (s) {
                    return {name: s.name, value: s.value, itemStyle: {color: s.colour}};
                  })}]
      };
    }
  };

  var charts = [];
  Array.prototype.forEach.call(document.querySelectorAll("[data-chart]"), function (el) {
    var kind = el.getAttribute("data-chart");
    var dark = el.getAttribute("data-theme") === "dark";
    // The SVG renderer: crisp on a wall display and readable by tests and screen readers.
    var chart = window.echarts.init(el, dark ? "dark" : null, {renderer: "svg"});
    var option = draw[kind](el);
    option.textStyle = {fontFamily: FONT, fontSize: dark ? 16 : 12};
    option.backgroundColor = "transparent";
    // Drawn at once: a wall display and a printed page show the final figure, never a frame of
    // an animation.
    option.animation = false;
    chart.setOption(option);
    charts.push(chart);
  });
  window.addEventListener("resize", function () {
    charts.forEach(function (chart) { chart.resize(); });
  });
  Array.prototype.forEach.call(document.querySelectorAll("[data-fullscreen]"), function (button) {
    button.addEventListener("click", function () {
      if (document.fullscreenElement) {
        document.exitFullscreen();
      } else if (document.documentElement.requestFullscreen) {
        document.documentElement.requestFullscreen();
      }
    });
  });
})();
