/* Study page: load every trial once, then fetch only what changed (changed_since cursor). */
"use strict";

(() => {
  const POLL_MS = 2000;
  const PAGE = 1000;
  const name = HPO.main.dataset.study;
  const trials = new Map(); // number -> trial, kept current by incremental fetches
  let cursor = 0; // the study's change sequence up to which we have every change
  const $ = (id) => document.getElementById(id);

  /** First load: every page by trial number at once (numbers are dense), then follow on.
      `total` is the server's hint of how many trials there are; has_more covers the rest. */
  async function fetchAll(total) {
    const url = (after) => HPO.studyUrl(name, `/trials?after=${after}&limit=${PAGE}`);
    const starts = Array.from({ length: Math.max(1, Math.ceil(total / PAGE)) }, (_, k) => k * PAGE - 1);
    const pages = await Promise.all(starts.map((after) => HPO.getJSON(url(after))));
    while (pages[pages.length - 1].has_more) pages.push(await HPO.getJSON(url(pages[pages.length - 1].next_after)));
    for (const page of pages) for (const t of page.trials) trials.set(t.number, t);
    cursor = Math.min(...pages.map((page) => page.seq)); // refetch whatever changed meanwhile
  }

  /** Later: only the trials changed since the cursor, in change order. */
  async function fetchChanges() {
    let changed = false;
    for (;;) {
      const url = HPO.studyUrl(name, `/trials?changed_since=${cursor}&limit=${PAGE}`);
      const page = await HPO.getJSON(url);
      for (const t of page.trials) trials.set(t.number, t);
      changed = changed || page.trials.length > 0;
      cursor = page.next_changed_since ?? cursor;
      if (!page.has_more) return changed;
    }
  }

  let posterior = null; // the service's best posterior mean (GET best?by=posterior), if any

  /** The GP's recommendation among evaluated trials; null below two complete trials
      (not asked for then: the browser logs every 4xx answer as a console error). */
  async function fetchPosterior(study) {
    if ((study.trial_counts.complete || 0) < 2) {
      posterior = null;
      return;
    }
    try {
      const best = await HPO.getJSON(HPO.studyUrl(name, "/best?by=posterior"));
      posterior = best.posterior ? best : null;
    } catch (error) {
      posterior = null; // 409: too few complete trials yet, or the GP could not be fitted
    }
  }

  /** The recommendation: the best re-score (hpo-trainer rescore's metadata.rescore) if any,
      else the configuration with the best GP posterior mean (not the luckiest value). */
  function recommended(study) {
    const sign = study.direction === "maximize" ? 1 : -1;
    let best = null;
    for (const t of trials.values()) {
      const r = t.metadata && t.metadata.rescore;
      if (!r || typeof r.value !== "number") continue;
      if (!best || sign * r.value > sign * best.metadata.rescore.value) best = t;
    }
    if (!best && posterior) {
      const p = posterior.posterior;
      return `trial ${posterior.number}: ${HPO.fmt(p.mean)} ± ${HPO.fmt(p.sd)} GP posterior mean (run hpo-trainer rescore to confirm)`;
    }
    if (!best) return "– (run hpo-trainer rescore)";
    const r = best.metadata.rescore;
    const se = typeof r.sem === "number" ? ` ± ${HPO.fmt(r.sem)}` : "";
    return `trial ${best.number}: ${HPO.fmt(r.value)}${se} re-scored (${r.repeats} × ${r.folds}-fold CV)`;
  }

  function summary(study) {
    const counts = Object.entries(study.trial_counts).filter(([, n]) => n > 0)
      .map(([k, n]) => `${n} ${k}`).join(", ") || "none yet";
    const strategy = [study.strategy.name, study.strategy.acquisition].filter(Boolean).join(" / ");
    const pruner = study.pruner ? study.pruner.name : "none";
    const best = study.best_value === null ? "–" : `${HPO.fmt(study.best_value)} (trial ${study.best_trial})`;
    const items = [
      ["State", study.state], ["Direction", `${study.direction} ${study.metric}`],
      ["Strategy", strategy], ["Pruner", pruner], ["Trials", counts], ["Best value", best],
      ["Recommended", recommended(study)],
      ["Budget", study.max_trials ?? "unlimited"], ["Last activity", HPO.fmtTime(study.last_activity)],
    ];
    $("summary").replaceChildren(...items.map(([k, v]) =>
      HPO.el("div", {}, HPO.el("dt", {}, k), HPO.el("dd", {}, String(v)))));
  }

  const nextTask = () => new Promise((resolve) => setTimeout(resolve, 0));

  /** Each plot in its own task, so input is handled between them. */
  async function drawPlots(list, study) {
    await HPOPlots.history($("history-plot"), $("history-note"), list, study);
    await nextTask();
    await HPOPareto.draw($("pareto-section"), $("pareto-plot"), $("hypervolume-plot"),
      $("pareto-note"), list, study);
    await nextTask();
    await HPOParcoords.draw($("parcoords-plot"), $("parcoords-note"), list, study);
    await nextTask();
    await HPOPlots.intermediate($("intermediate-section"), $("intermediate-plot"),
      $("intermediate-note"), list, $("pruned-list"));
    await nextTask();
    await HPOPlots.epochs($("epochs-section"), $("epochs-plot"), $("epochs-note"), list);
  }

  // Plots are redrawn at most once per 5x their last drawing time (or every poll), so a
  // big study with busy workers keeps the page responsive; the table is always current.
  const plots = { stale: true, at: 0, cost: 0 };
  async function draw(study) {
    const list = Array.from(trials.values()).sort((a, b) => a.number - b.number);
    HPOTable.update(list, study);
    if (performance.now() - plots.at < 5 * plots.cost) return;
    await HPO.plotly();
    const started = performance.now();
    await drawPlots(list, study);
    plots.stale = false;
    plots.at = performance.now();
    plots.cost = plots.at - started;
  }

  async function refresh() {
    let study;
    if (plots.at) {
      let changed;
      [study, changed] = await Promise.all([HPO.getJSON(HPO.studyUrl(name)), fetchChanges()]);
      plots.stale ||= changed;
    } else {
      [study] = await Promise.all([HPO.getJSON(HPO.studyUrl(name)), fetchAll(+HPO.main.dataset.trials)]);
    }
    if (plots.stale) await fetchPosterior(study);
    summary(study);
    if (plots.stale) {
      await draw(study);
      document.body.dataset.loaded = String(performance.now());
      document.body.dataset.trials = String(trials.size);
    }
    HPOAnalysis.update(study).then(() => { document.body.dataset.analysed = String(performance.now()); });
  }

  HPO.poll(refresh, POLL_MS);
})();
