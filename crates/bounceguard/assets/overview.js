// Overview: draws the bounce and complaint rates over time with uPlot (vendored), with the
// guard, review and pause thresholds as dashed lines. The page reads without it (tables).
(function () {
  "use strict";
  var charts = document.getElementById("charts");
  if (!charts || !window.uPlot) { return; }
  function line(label, color, dash) {
    return { label: label, stroke: color, width: 1, dash: dash, points: { show: false } };
  }
  function draw(el, title, s, values, lines) {
    var n = s.t.length;
    // The period's ends carry only the threshold lines, so they span the whole period.
    var xs = [s.from_s].concat(s.t, [s.to_s]);
    var ys = [null].concat(values, [null]);
    function flat(v) { return xs.map(function () { return v; }); }
    var data = [xs, ys, flat(lines.guard), flat(lines.review), flat(lines.pause)];
    var opts = {
      width: Math.max(520, Math.min(el.parentNode.clientWidth - 24, 900)),
      height: 240,
      scales: { x: { time: true, range: [s.from_s, s.to_s] }, y: { range: function (u, min, max) { return [0, Math.max(max, lines.pause * 1.1)]; } } },
      series: [
        {},
        { label: title, stroke: "#1f4e79", width: 2, fill: "rgba(31,78,121,0.08)", points: { show: true, size: 6 } },
        line("guard", "#b54708", [4, 4]),
        line("review", "#d92d20", [6, 3]),
        line("pause", "#7a271a", [2, 2])
      ],
      axes: [{}, { values: function (u, vals) { return vals.map(function (v) { return v + " %"; }); } }]
    };
    var plot = new uPlot(opts, data, el);
    el.dataset.points = String(n);
    return plot;
  }
  fetch(charts.dataset.series, { credentials: "same-origin" })
    .then(function (r) { if (!r.ok) { throw new Error("series: HTTP " + r.status); } return r.json(); })
    .then(function (s) {
      draw(document.getElementById("bounce-chart"), "bounce rate", s, s.bounce, s.bounce_lines);
      draw(document.getElementById("complaint-chart"), "complaint rate", s, s.complaint, s.complaint_lines);
      charts.dataset.ready = "true";
    })
    .catch(function (e) { charts.dataset.ready = "error"; charts.insertAdjacentText("beforeend", String(e)); });
})();
