// Memcgs over time (uPlot, served by cgleak): kernel total, live, dying from the stored history,
// and the forecast's lines to the ID cap. Plain browser JS, loaded before app.js.
"use strict";
(() => {
  const nf = new Intl.NumberFormat("en-US");
  const COLORS = { total: "#1f4e99", live: "#2e7d32", dying: "#b35c00", cap: "#b00020", fc: "#6a1b9a" };
  let chart = null;
  let shape = "";

  /** Seconds-based x, one row per series; the forecast adds its end points to x. */
  function build(history, f, r) {
    const s = history.samples.slice().sort((a, b) => a.t - b.t);
    const x = s.map((p) => p.t / 1000);
    const rows = { total: s.map((p) => p.total), live: s.map((p) => p.live), dying: s.map((p) => p.dying) };
    const cap = r.ids.cap;
    const last = s[s.length - 1];
    const lines = last ? forecastLines(s, f, r, last.t / 1000) : [];
    const peak = Math.max(0, ...rows.total);
    // The cap squashes a healthy node's lines flat: draw it only when it matters.
    const showCap = lines.length > 0 || peak >= 0.3 * cap;
    const names = ["total", "live", "dying", ...lines.map((l) => l.name)];
    const data = [x, rows.total, rows.live, rows.dying, ...lines.map(() => x.map(() => null))];
    // Each line starts at the last sample and ends at a point of its own; uPlot wants x ascending.
    lines.forEach((l, i) => {
      data[4 + i][s.length - 1] = l.y0;
    });
    const ends = lines.map((l, i) => ({ ...l, row: 4 + i })).sort((a, c) => a.x1 - c.x1);
    for (const e of ends) {
      x.push(e.x1);
      data.forEach((d, k) => {
        if (k > 0) d.push(k === e.row ? e.y1 : null);
      });
    }
    // Walk-only series (live, dying) may have a handful of points: a line needs two to show.
    const dots = names.map(
      (n, i) => n in rows && data[i + 1].filter((v) => v !== null && v !== undefined).length <= 30,
    );
    return { data, names, dots, showCap, cap, peak, lines, samples: s.length };
  }

  /** From the last level to the cap at the central, earliest and latest time, cut at a horizon. */
  function forecastLines(s, f, r, x0) {
    if (!f || !f.leaking || f.secondsToCap === null) return [];
    const holds = r.ids.dyingHoldIds !== false;
    const level = [...s]
      .reverse()
      .map((p) => (holds ? p.total : p.idsUsed))
      .find((v) => v !== null && v !== undefined);
    if (level === undefined) return [];
    const span = x0 - s[0].t / 1000;
    const horizon = Math.max(3 * span, 3600);
    const cap = r.ids.cap;
    const line = (name, secs) => {
      if (secs === null) return null;
      const t = Math.min(secs, horizon);
      const y = secs > 0 ? level + ((cap - level) * t) / secs : cap;
      return { name, y0: level, x1: x0 + Math.max(t, 1), y1: y };
    };
    return [
      line("forecast", f.secondsToCap),
      line("earliest", f.secondsToCapLow),
      line("latest", f.secondsToCapHigh),
    ].filter(Boolean);
  }

  const LABELS = {
    total: "kernel total",
    live: "live",
    dying: "dying",
    forecast: "forecast",
    earliest: "earliest",
    latest: "latest",
  };

  function series(b) {
    const line = (name, i) => {
      const fc = name === "forecast" || name === "earliest" || name === "latest";
      return {
        label: LABELS[name],
        spanGaps: true,
        width: 2,
        stroke: fc ? COLORS.fc : COLORS[name],
        dash: name === "forecast" ? [8, 5] : fc ? [2, 4] : undefined,
        points: { show: b.dots[i], size: 6 },
        value: (u, v) => (v === null || v === undefined ? "–" : nf.format(Math.round(v))),
      };
    };
    return [{ label: "time" }, ...b.names.map(line)];
  }

  function opts(b, width) {
    return {
      width,
      height: width < 600 ? 220 : 300,
      series: series(b),
      scales: { y: { range: (u, min, max) => [0, b.showCap ? b.cap * 1.05 : Math.max(10, max * 1.15)] } },
      axes: [{}, { size: 64, values: (u, vals) => vals.map((v) => nf.format(v)) }],
      cursor: { drag: { x: false, y: false } },
      hooks: { draw: [(u) => b.showCap && drawCap(u, b.cap)] },
    };
  }

  /** The ID cap as a red rule across the plot, with its value. */
  function drawCap(u, cap) {
    const ctx = u.ctx;
    const y = Math.round(u.valToPos(cap, "y", true));
    ctx.save();
    ctx.setLineDash([]); // the last series drawn may have left its dash on the context
    ctx.strokeStyle = COLORS.cap;
    ctx.lineWidth = 2 * devicePixelRatio;
    ctx.beginPath();
    ctx.moveTo(u.bbox.left, y);
    ctx.lineTo(u.bbox.left + u.bbox.width, y);
    ctx.stroke();
    ctx.fillStyle = COLORS.cap;
    ctx.font = `${12 * devicePixelRatio}px system-ui, sans-serif`;
    ctx.fillText(`ID cap ${nf.format(cap)}`, u.bbox.left + 6 * devicePixelRatio, y - 6 * devicePixelRatio);
    ctx.restore();
  }

  function render(history, f, r) {
    const box = document.getElementById("chart");
    const fig = document.getElementById("chart-fig");
    const b = build(history, f, r);
    const width = Math.max(240, box.clientWidth);
    const key = `${b.names.join()}|${b.dots.join()}|${b.showCap}`;
    if (chart && key === shape) {
      chart.setData(b.data);
    } else {
      if (chart) chart.destroy();
      chart = new uPlot(opts(b, width), b.data, box);
      shape = key;
    }
    fig.dataset.points = String(b.samples);
    fig.dataset.forecast = b.lines.length ? "yes" : "no";
    caption(b, history);
  }

  function caption(b, history) {
    // The samples' own span, never the window asked for: a store younger than the window has no older ones.
    const when = (t) => new Date(t).toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
    const first = history.samples.length ? history.samples[0].t : null;
    const last = history.samples.length ? history.samples[history.samples.length - 1].t : null;
    const since = first === null ? "none stored yet" : `${when(first)} to ${when(last)}`;
    const cap = b.showCap
      ? "The red rule is the ID cap."
      : `The ID cap (${nf.format(b.cap)}) is far above and not drawn.`;
    const fc = b.lines.length
      ? " The purple dashed line is the forecast to the cap; the dotted ones its earliest and latest."
      : "";
    document.getElementById("chart-caption").textContent =
      `${nf.format(b.samples)} samples, ${since} (${history.source}); live and dying come from tree walks only. ${cap}${fc}`;
  }

  window.addEventListener("resize", () => {
    const box = document.getElementById("chart");
    if (chart) chart.setSize({ width: Math.max(240, box.clientWidth), height: box.clientWidth < 600 ? 220 : 300 });
  });

  window.cgleakChart = { render };
})();
