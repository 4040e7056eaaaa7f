/* Several objectives and constraints: the Pareto front (2 objectives: a scatter with the
   front drawn as a step line; 3: parallel coordinates of the objectives), infeasible trials
   drawn apart (orange crosses / dashed), constraint boundaries on an objective axis, and
   the hypervolume after each feasible trial. Data: the trials in memory and GET .../pareto. */
"use strict";

const HPOPareto = (() => {
  const colors = { trial: "#0b5cad", front: "#cf222e", infeasible: "#bc4c00", bound: "#6e7781" };
  const MAX_POINTS = 2000;

  const measured = (trials) => trials.filter((t) => t.state === "complete" && t.values);
  const axis = (o) => `${HPO.plain(o.name)} (${o.direction === "maximize" ? "max" : "min"})`;

  /** The front as a staircase through the non-dominated points (2 objectives). */
  function staircase(front, objectives) {
    const [a, b] = objectives;
    const better = (o) => (o.direction === "maximize" ? -1 : 1);
    const sorted = front.slice().sort((p, q) => better(a) * (p.values[a.name] - q.values[a.name]));
    return { x: sorted.map((t) => t.values[a.name]), y: sorted.map((t) => t.values[b.name]) };
  }

  function bounds(study, name, along) {
    return study.constraints.filter((c) => c.name === name).flatMap((c) => [c.min, c.max])
      .filter((v) => v !== null).map((v) => ({ type: "line", xref: along === "x" ? "x" : "paper",
        yref: along === "y" ? "y" : "paper", x0: along === "x" ? v : 0, x1: along === "x" ? v : 1,
        y0: along === "y" ? v : 0, y1: along === "y" ? v : 1,
        line: { color: colors.bound, dash: "dot", width: 1 } }));
  }

  function scatter(div, trials, front, study) {
    const [a, b] = study.objectives;
    const points = (list, name, marker) => ({ type: "scatter", mode: "markers", name,
      x: list.map((t) => t.values[a.name]), y: list.map((t) => t.values[b.name]),
      text: list.map((t) => t.number), marker,
      hovertemplate: `trial %{text}<br>${HPO.plain(a.name)} %{x}<br>${HPO.plain(b.name)} %{y}<extra>${name}</extra>` });
    const feasible = trials.filter((t) => t.feasible !== false).slice(-MAX_POINTS);
    const infeasible = trials.filter((t) => t.feasible === false).slice(-MAX_POINTS);
    const stairs = staircase(front, study.objectives);
    const data = [
      points(feasible, "feasible", { size: 6, color: colors.trial, opacity: 0.6 }),
      points(infeasible, "infeasible", { size: 7, color: colors.infeasible, symbol: "x" }),
      { type: "scatter", mode: "lines+markers", name: "Pareto front", ...stairs,
        line: { shape: "hv", color: colors.front, width: 2 }, marker: { size: 8, color: colors.front },
        hoverinfo: "skip" },
    ];
    const layout = { margin: HPOPlots.margin, legend: { orientation: "h", y: 1.12 },
      xaxis: { title: { text: axis(a) } }, yaxis: { title: { text: axis(b) } },
      shapes: [...bounds(study, a.name, "x"), ...bounds(study, b.name, "y")] };
    return Plotly.react(div, data, layout, HPOPlots.config);
  }

  /** Parallel coordinates of the objectives: every axis scaled to [0, 1], better is up. */
  function parallel(div, trials, front, study) {
    const objectives = study.objectives;
    const range = objectives.map((o) => {
      const v = trials.map((t) => t.values[o.name]);
      return [Math.min(...v), Math.max(...v)];
    });
    const scaled = (t, i) => {
      const [lo, hi] = range[i];
      const u = hi > lo ? (t.values[objectives[i].name] - lo) / (hi - lo) : 0.5;
      return objectives[i].direction === "maximize" ? u : 1 - u;
    };
    const lines = (list, name, line) => {
      const x = [], y = [], text = [];
      for (const t of list) {
        objectives.forEach((_, i) => { x.push(i); y.push(scaled(t, i)); text.push(`trial ${t.number}`); });
        x.push(null); y.push(null); text.push(null);
      }
      return { type: "scatter", mode: "lines", name, x, y, text, line, connectgaps: false,
        hovertemplate: "%{text}<extra></extra>" };
    };
    const onFront = new Set(front.map((t) => t.number));
    const data = [
      lines(trials.filter((t) => t.feasible !== false && !onFront.has(t.number)).slice(-MAX_POINTS),
        "feasible", { color: colors.trial, width: 1 }),
      lines(trials.filter((t) => t.feasible === false).slice(-MAX_POINTS), "infeasible",
        { color: colors.infeasible, width: 1, dash: "dash" }),
      lines(front, "Pareto front", { color: colors.front, width: 2 }),
    ];
    const layout = { margin: HPOPlots.margin, legend: { orientation: "h", y: 1.12 },
      xaxis: { tickvals: objectives.map((_, i) => i), ticktext: objectives.map(axis), zeroline: false },
      yaxis: { title: { text: "scaled (better is up)" }, range: [-0.05, 1.05] } };
    return Plotly.react(div, data, layout, HPOPlots.config);
  }

  function hypervolume(div, answer) {
    const h = answer.hypervolume_history;
    const data = [{ type: "scatter", mode: "lines+markers", name: "hypervolume",
      x: h.map((p) => p.number), y: h.map((p) => p.hypervolume),
      line: { shape: "hv", color: colors.front }, marker: { size: 4 },
      hovertemplate: "after trial %{x}: %{y}<extra></extra>" }];
    const layout = { margin: HPOPlots.margin, xaxis: { title: { text: "trial number" } },
      yaxis: { title: { text: "hypervolume" }, rangemode: "tozero" } };
    return Plotly.react(div, data, layout, HPOPlots.config);
  }

  /** Draw the section for a study with several objectives or constraints (else hide it). */
  async function draw(section, plot, hvPlot, note, trials, study) {
    const several = study.objectives.length > 1;
    section.hidden = !several && study.constraints.length === 0;
    if (section.hidden) return;
    const answer = await HPO.getJSON(HPO.studyUrl(study.name, "/pareto"));
    const done = measured(trials);
    const ref = answer.reference_point
      ? Object.entries(answer.reference_point).map(([k, v]) => `${HPO.plain(k)} ${HPO.fmt(v)}`).join(", ")
      : "–";
    note.textContent = `${answer.trials.length} trials on the front of ${answer.feasible_trials} feasible `
      + `(${answer.infeasible_trials} infeasible, drawn in orange). Hypervolume `
      + `${answer.hypervolume === null ? "–" : HPO.fmt(answer.hypervolume)} against the `
      + `${answer.reference || "no"} reference point (${ref}).`;
    if (several && study.objectives.length === 2) await scatter(plot, done, answer.trials, study);
    else if (several) await parallel(plot, done, answer.trials, study);
    plot.hidden = !several;
    await hypervolume(hvPlot, answer);
    section.dataset.front = String(answer.trials.length);
  }

  return { draw };
})();
