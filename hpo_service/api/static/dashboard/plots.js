/* Plots drawn from the trials in memory: optimisation history, learning curves (pruned
   trials dashed and grey, listed with the step they stopped at) and epochs per trial.
   SVG traces only (no WebGL): predictable in every browser, thinned above MAX_POINTS. */
"use strict";

const HPOPlots = (() => {
  const config = { responsive: true, displaylogo: false };
  const colors = { value: "#0b5cad", best: "#cf222e", failed: "#cf222e", stale: "#9a6700",
    pruned: "#6e7781" };
  const MAX_POINTS = 1000; // markers per trace; beyond it the history is thinned
  const MAX_CURVES = 100; // intermediate values: the most recent trials that reported some
  const MAX_MARKERS = 500; // intermediate values: above this, lines only
  const margin = { l: 60, r: 20, t: 10, b: 40 };

  const complete = (trials) => trials.filter((t) => t.state === "complete" && t.value !== null);
  const better = (direction) => (direction === "minimize" ? (a, b) => a < b : (a, b) => a > b);

  /** Trials that set a new best, plus the last one (enough for an exact step line). */
  function improvements(done, direction) {
    const beats = better(direction);
    const steps = [];
    for (const t of done) if (!steps.length || beats(t.value, steps[steps.length - 1].value)) steps.push(t);
    if (done.length && steps[steps.length - 1] !== done[done.length - 1]) {
      steps.push({ number: done[done.length - 1].number, value: steps[steps.length - 1].value });
    }
    return steps;
  }

  /** At most MAX_POINTS markers: the lowest and highest value of each stretch, every new best. */
  function thin(done, steps) {
    if (done.length <= MAX_POINTS) return done;
    const keep = new Set(steps.map((t) => t.number));
    const size = done.length / (MAX_POINTS / 2);
    for (let start = 0; start < done.length; start += size) {
      const chunk = done.slice(Math.floor(start), Math.floor(start + size));
      if (!chunk.length) continue;
      const sorted = chunk.slice().sort((a, b) => a.value - b.value);
      keep.add(sorted[0].number).add(sorted[sorted.length - 1].number);
    }
    return done.filter((t) => keep.has(t.number));
  }

  function marks(trials, state) {
    const all = trials.filter((t) => t.state === state);
    const step = Math.max(1, all.length / MAX_POINTS);
    const hit = all.filter((_, i) => i % step < 1);
    return { type: "scatter", mode: "markers", name: state, yaxis: "y2",
      x: hit.map((t) => t.number), y: hit.map(() => state),
      marker: { symbol: state === "failed" ? "x" : "diamond-open", size: 8, color: colors[state] },
      hovertemplate: `trial %{x}: ${state}<extra></extra>` };
  }

  /** Pruned trials at their value when stopped (not a final value: drawn apart, in grey). */
  function prunedMarks(trials) {
    const all = trials.filter((t) => t.state === "pruned" && t.value !== null);
    const step = Math.max(1, all.length / MAX_POINTS);
    const hit = all.filter((_, i) => i % step < 1);
    return { type: "scatter", mode: "markers", name: "pruned", x: hit.map((t) => t.number),
      y: hit.map((t) => t.value), text: hit.map((t) => t.pruned_step),
      marker: { symbol: "circle-open", size: 7, color: colors.pruned },
      hovertemplate: "trial %{x}: pruned at step %{text}<br>value then %{y}<extra></extra>" };
  }

  function history(div, note, trials, study) {
    const done = complete(trials);
    const steps = improvements(done, study.direction);
    const shown = thin(done, steps);
    note.textContent = shown.length < done.length
      ? `Showing ${shown.length} of ${done.length} complete trials: the lowest and highest of each stretch and every new best.`
      : "Each complete trial's value by trial number, the best value so far, pruned trials (grey circles, at their value when stopped), and failed or stale trials in the strip below.";
    const data = [
      { type: "scatter", mode: "markers", name: "complete", x: shown.map((t) => t.number),
        y: shown.map((t) => t.value), marker: { size: 6, color: colors.value, opacity: 0.7 },
        hovertemplate: "trial %{x}<br>value %{y}<extra></extra>" },
      { type: "scatter", mode: "lines", name: "best so far", x: steps.map((t) => t.number),
        y: steps.map((t) => t.value), line: { shape: "hv", color: colors.best, width: 2 }, hoverinfo: "skip" },
      prunedMarks(trials),
      marks(trials, "failed"),
      marks(trials, "stale"),
    ];
    const layout = { margin, legend: { orientation: "h", y: 1.1 },
      xaxis: { title: { text: "trial number" }, anchor: "y2", zeroline: false },
      yaxis: { title: { text: HPO.plain(study.metric) }, domain: [0.22, 1] },
      yaxis2: { domain: [0, 0.12], type: "category", categoryorder: "array",
        categoryarray: ["failed", "stale"], range: [-0.5, 1.5], fixedrange: true } };
    return Plotly.react(div, data, layout, config);
  }

  /** One trace of many curves, broken between trials by nulls. */
  function curves(list, name, line) {
    const x = [], y = [], text = [];
    for (const t of list) {
      for (const v of t.intermediate_values) { x.push(v.step); y.push(v.value); text.push(`trial ${t.number}`); }
      x.push(null); y.push(null); text.push(null); // break the line between trials
    }
    return { type: "scatter", mode: x.length > MAX_MARKERS ? "lines" : "lines+markers",
      name, x, y, text, connectgaps: false, marker: { size: 4, color: line.color }, line,
      opacity: 0.8, hovertemplate: "%{text}<br>step %{x}: %{y}<extra></extra>" };
  }

  function intermediate(section, div, note, trials, list) {
    const reporting = trials.filter((t) => t.intermediate_values.length > 0);
    section.hidden = reporting.length === 0;
    if (section.hidden) return Promise.resolve();
    const shown = reporting.slice(-MAX_CURVES);
    const pruned = shown.filter((t) => t.state === "pruned");
    note.textContent = (shown.length < reporting.length
      ? `The ${shown.length} most recent of ${reporting.length} trials that reported values during training`
      : `${reporting.length} trials reported values during training`)
      + `, by step; ${pruned.length} of them were pruned (grey, dashed).`;
    list.replaceChildren(...pruned.map((t) => HPO.el("li", {},
      `trial ${t.number}: stopped at step ${t.pruned_step ?? "–"} (value ${HPO.fmt(t.value)})`)));
    const data = [
      curves(shown.filter((t) => t.state !== "pruned"), "intermediate", { width: 1, color: colors.value }),
      curves(pruned, "pruned", { width: 1, color: colors.pruned, dash: "dash" }),
    ];
    const layout = { margin, legend: { orientation: "h", y: 1.1 },
      xaxis: { title: { text: "step (epoch)" } }, yaxis: { title: { text: "value" } } };
    return Plotly.react(div, data, layout, config);
  }

  /** Epochs (intermediate reports) each trial spent, and what stopping early saved. */
  function epochs(section, div, note, trials) {
    const reporting = trials.filter((t) => t.intermediate_values.length > 0);
    section.hidden = reporting.length === 0;
    if (section.hidden) return Promise.resolve();
    const spent = (t) => t.intermediate_values.length;
    const full = Math.max(0, ...reporting.filter((t) => t.state === "complete").map(spent));
    const pruned = reporting.filter((t) => t.state === "pruned");
    const saved = pruned.reduce((n, t) => n + Math.max(0, full - spent(t)), 0);
    const total = reporting.reduce((n, t) => n + spent(t), 0);
    note.textContent = `${total} epochs in all. ${pruned.length} pruned trials stopped early; `
      + (full ? `run to the ${full} epochs of the longest complete trial they would have cost ${saved} more.`
        : "no trial has completed yet to compare with.");
    const bars = (list, name, color) => ({ type: "bar", name, x: list.map((t) => t.number),
      y: list.map(spent), marker: { color }, hovertemplate: `trial %{x}: %{y} epochs (${name})<extra></extra>` });
    const data = [bars(reporting.filter((t) => t.state !== "pruned"), "epochs", colors.value),
      bars(pruned, "pruned", colors.pruned)];
    const layout = { margin, barmode: "overlay", legend: { orientation: "h", y: 1.1 },
      xaxis: { title: { text: "trial number" } }, yaxis: { title: { text: "epochs spent" } } };
    return Plotly.react(div, data, layout, config);
  }

  return { config, margin, complete, history, intermediate, epochs };
})();
