/* Server-side analyses: parameter importance and, for gp studies, the surrogate view. */
"use strict";

const HPOAnalysis = (() => {
  const REFRESH_MS = 10000; // refit at most this often while trials keep completing
  const impDiv = document.getElementById("importance-plot");
  const impNote = document.getElementById("importance-note");
  const surSection = document.getElementById("surrogate-section");
  const surSelect = document.getElementById("surrogate-param");
  const surDiv = document.getElementById("surrogate-plot");
  const surNote = document.getElementById("surrogate-note");
  let study = null;
  let lastComplete = -1;
  let lastFetch = 0;

  async function importance() {
    const body = await HPO.getJSON(HPO.studyUrl(study.name, "/importance"));
    const rows = body.importance.slice().reverse(); // bars are drawn bottom-up
    impNote.textContent = `${body.method}; fitted on ${body.fitted_on} of ${body.complete_trials} complete trials.`;
    const data = [{ type: "bar", orientation: "h", name: "importance",
      x: rows.map((r) => r.importance), y: rows.map((r) => r.param), marker: { color: "#0b5cad" },
      hovertemplate: "%{y}: %{x:.3f}<extra></extra>" }];
    const layout = { margin: { l: 20, r: 20, t: 10, b: 40 }, yaxis: { automargin: true },
      xaxis: { title: { text: "share of importance" }, range: [0, 1] } };
    return Plotly.react(impDiv, data, layout, HPOPlots.config);
  }

  function nearest(grid, x) {
    if (typeof x !== "number") return grid.map(HPO.plain).indexOf(HPO.plain(x));
    let best = 0;
    grid.forEach((g, i) => { if (Math.abs(g - x) < Math.abs(grid[best] - x)) best = i; });
    return best;
  }

  function surrogateData(body) {
    const categorical = body.param_type === "categorical";
    const x = categorical ? body.grid.map(HPO.plain) : body.grid;
    const band = (k) => body.mean.map((m, i) => (m === null ? null : m + k * 2 * body.std[i]));
    const seen = body.observed;
    const data = [
      { type: "scatter", mode: "lines", name: "upper", x, y: band(1), line: { width: 0 },
        showlegend: false, hoverinfo: "skip" },
      { type: "scatter", mode: "lines", name: "band (±2σ)", x, y: band(-1), fill: "tonexty",
        fillcolor: "rgba(11,92,173,0.18)", line: { width: 0 }, hoverinfo: "skip" },
      { type: "scatter", mode: "lines", name: "mean", x, y: body.mean, line: { color: "#0b5cad", width: 2 } },
      { type: "scatter", mode: "markers", name: "observed",
        x: seen.map((o) => (categorical ? HPO.plain(o.x) : o.x)), y: seen.map((o) => o.value),
        text: seen.map((o) => `trial ${o.number}`), marker: { color: "#1b1f24", size: 6 } },
      { type: "scatter", mode: "lines", name: `acquisition (${body.acquisition.toUpperCase()})`,
        x, y: body.acquisition_values, yaxis: "y2", fill: "tozeroy", line: { color: "#1a7f37" } },
    ];
    const proposal = body.next && (body.next.x ?? (body.next.params || {})[body.param]);
    if (proposal !== undefined && proposal !== null) {
      const i = nearest(body.grid, proposal);
      data.push({ type: "scatter", mode: "markers", name: "next proposal", yaxis: "y2",
        x: [categorical ? HPO.plain(proposal) : proposal], y: [body.acquisition_values[i]],
        marker: { symbol: "star", size: 15, color: "#cf222e" } });
    }
    return data;
  }

  async function surrogate() {
    const param = surSelect.value;
    const url = HPO.studyUrl(study.name, `/surrogate?param=${encodeURIComponent(param)}&points=100`);
    const body = await HPO.getJSON(url);
    if (surSelect.value !== param) return undefined; // another parameter was chosen meanwhile
    const spec = study.space.find((p) => p.name === param);
    surNote.textContent = spec && spec.condition
      ? `${body.observed.length} observed trials where ${param} is active (${HPOTable.condition(spec.condition)}); others held at the best of them.`
      : `${body.observed.length} observed trials; others held at the best trial.`;
    const layout = { margin: { ...HPOPlots.margin, t: 30 }, legend: { orientation: "h", y: 1.08 },
      xaxis: { title: { text: param }, type: body.log ? "log" : "-" },
      yaxis: { title: { text: HPO.plain(study.metric) }, domain: [0.38, 1] },
      yaxis2: { title: { text: "acquisition" }, domain: [0, 0.28], rangemode: "tozero" } };
    return Plotly.react(surDiv, surrogateData(body), layout, HPOPlots.config);
  }

  function show(note, error) { note.textContent = error.message; }

  function setup(current) {
    surSection.hidden = current.strategy.name !== "gp";
    if (surSection.hidden) return;
    surSelect.replaceChildren(...current.space.map((p) => HPO.el("option", { value: p.name }, p.name)));
    surSelect.addEventListener("change", () => surrogate().catch((e) => show(surNote, e)));
    HPO.main.dataset.gp = "1";
  }

  /** Called after every refresh: refetch when the number of complete trials changed. */
  async function update(current) {
    if (!study) setup(current);
    study = current;
    const done = current.trial_counts.complete;
    if (done < 2) {
      impNote.textContent = "Parameter importance needs at least 2 complete trials.";
      surNote.textContent = "The surrogate needs at least 2 complete trials.";
      return;
    }
    if (done === lastComplete || Date.now() - lastFetch < REFRESH_MS) return;
    lastComplete = done;
    lastFetch = Date.now();
    await HPO.plotly();
    const jobs = [importance().catch((e) => show(impNote, e))];
    if (!surSection.hidden) jobs.push(surrogate().catch((e) => show(surNote, e)));
    await Promise.all(jobs);
  }

  return { update };
})();
