/* Parallel coordinates drawn as SVG polylines (no WebGL): one vertical axis per parameter
   and one for the value; each complete trial is a line coloured by its value. A conditional
   parameter's axis has an "inactive" slot below it, where lines of trials without it pass. */
"use strict";

const HPOParcoords = (() => {
  const MAX_LINES = 600; // above this, the best half plus an even sample of the rest
  const INACTIVE_U = -0.1; // where a trial without a conditional parameter crosses its axis
  const VIRIDIS = ["#440154", "#46327e", "#365c8d", "#277f8e", "#1fa187", "#4ac16d", "#a0da39", "#fde725"];

  function numericAxis(label, low, high, log, integer = false) {
    const f = log ? Math.log10 : (v) => v;
    const a = f(low);
    const span = f(high) - a || 1;
    const raw = (u) => (log ? 10 ** (a + u * span) : a + u * span);
    const inverse = integer ? (u) => Math.round(raw(u)) : raw;
    return { label, pos: (v) => (f(v) - a) / span,
      ticks: [0, 0.5, 1].map((u) => ({ u, text: HPO.fmt(inverse(u)) })) };
  }

  function categoricalAxis(label, choices) {
    const names = choices.map(HPO.plain);
    const step = names.length > 1 ? 1 / (names.length - 1) : 0;
    return { label, pos: (v) => (names.length > 1 ? names.indexOf(HPO.plain(v)) * step : 0.5),
      ticks: names.map((text, i) => ({ u: names.length > 1 ? i * step : 0.5, text })) };
  }

  function withInactive(axis) {
    const pos = axis.pos;
    return { ...axis, pos: (v) => (v === undefined ? INACTIVE_U : pos(v)),
      ticks: axis.ticks.concat([{ u: INACTIVE_U, text: "inactive" }]) };
  }

  function axes(study, values) {
    const list = study.space.map((p) => {
      const axis = p.type === "categorical"
        ? categoricalAxis(p.name, p.choices)
        : numericAxis(p.name, p.low, p.high, p.log, p.type === "int");
      return p.condition ? withInactive(axis) : axis;
    });
    const low = Math.min(...values);
    const high = Math.max(...values);
    list.push(numericAxis(HPO.plain(study.metric), low, high > low ? high : low + 1, false));
    return list;
  }

  function sample(done, direction) {
    if (done.length <= MAX_LINES) return done;
    const sign = direction === "minimize" ? 1 : -1;
    const ranked = done.slice().sort((a, b) => sign * (a.value - b.value));
    const half = MAX_LINES / 2;
    const rest = ranked.slice(half);
    const spread = Array.from({ length: half }, (_, i) => rest[Math.floor((i * rest.length) / half)]);
    return ranked.slice(0, half).concat(spread).sort((a, b) => a.number - b.number);
  }

  /** One trace per colour band, each holding many polylines separated by nulls. */
  function lines(shown, list, study) {
    const bands = VIRIDIS.map((color, i) => ({ type: "scatter", mode: "lines", name: `band ${i + 1}`,
      meta: "parcoords-lines", showlegend: false, x: [], y: [], text: [],
      line: { color, width: 1 }, opacity: 0.55, hovertemplate: "%{text}<extra></extra>" }));
    const valueAxis = list[list.length - 1];
    for (const t of shown) {
      let u = valueAxis.pos(t.value);
      if (study.direction === "minimize") u = 1 - u; // the brightest lines are the best
      const band = bands[Math.min(VIRIDIS.length - 1, Math.floor(u * VIRIDIS.length))];
      const coords = study.space.map((p) => t.params[p.name]).concat([t.value]);
      coords.forEach((v, j) => { band.x.push(j); band.y.push(list[j].pos(v)); band.text.push(`trial ${t.number}: ${HPO.fmt(t.value)}`); });
      band.x.push(null); band.y.push(null); band.text.push(null);
    }
    return bands; // drawn in order, so the best band ends on top
  }

  function decorations(list) {
    const shapes = list.map((_, j) => ({ type: "line", x0: j, x1: j, y0: 0, y1: 1,
      line: { color: "#57606a", width: 1 } }));
    const annotations = list.flatMap((axis, j) => axis.ticks.map((tick) => ({ x: j, y: tick.u,
      text: tick.text, showarrow: false, xanchor: "right", xshift: -4, font: { size: 10, color: "#57606a" } })));
    return { shapes, annotations };
  }

  function draw(div, note, trials, study) {
    const done = HPOPlots.complete(trials);
    const shown = sample(done, study.direction);
    note.textContent = shown.length < done.length
      ? `Showing ${shown.length} of ${done.length} complete trials: the best half plus an even sample of the rest. Brighter lines are better.`
      : `${done.length} complete trials: each line is one configuration; brighter lines are better.`;
    const list = axes(study, shown.length ? shown.map((t) => t.value) : [0]);
    const layout = { margin: { l: 50, r: 30, t: 30, b: 10 }, hovermode: "closest", ...decorations(list),
      xaxis: { tickvals: list.map((_, j) => j), ticktext: list.map((a) => a.label), side: "top",
        range: [-0.4, list.length - 0.8], showgrid: false, zeroline: false, fixedrange: true },
      yaxis: { range: [study.space.some((p) => p.condition) ? INACTIVE_U - 0.04 : -0.04, 1.04],
        visible: false, fixedrange: true } };
    return Plotly.react(div, lines(shown, list, study), layout, HPOPlots.config);
  }

  return { draw };
})();
