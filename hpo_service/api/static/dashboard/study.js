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

  function summary(study) {
    const counts = Object.entries(study.trial_counts).filter(([, n]) => n > 0)
      .map(([k, n]) => `${n} ${k}`).join(", ") || "none yet";
    const strategy = [study.strategy.name, study.strategy.acquisition].filter(Boolean).join(" / ");
    const best = study.best_value === null ? "–" : `${HPO.fmt(study.best_value)} (trial ${study.best_trial})`;
    const items = [
      ["State", study.state], ["Direction", `${study.direction} ${study.metric}`],
      ["Strategy", strategy], ["Trials", counts], ["Best value", best],
      ["Budget", study.max_trials ?? "unlimited"], ["Last activity", HPO.fmtTime(study.last_activity)],
    ];
    $("summary").replaceChildren(...items.map(([k, v]) =>
      HPO.el("div", {}, HPO.el("dt", {}, k), HPO.el("dd", {}, String(v)))));
  }

  async function draw(study) {
    const list = Array.from(trials.values()).sort((a, b) => a.number - b.number);
    HPOTable.update(list, study);
    await HPO.plotly();
    await Promise.all([
      HPOPlots.history($("history-plot"), $("history-note"), list, study),
      HPOParcoords.draw($("parcoords-plot"), $("parcoords-note"), list, study),
      HPOPlots.intermediate($("intermediate-section"), $("intermediate-plot"),
        $("intermediate-note"), list),
    ]);
  }

  let drawn = false;
  async function refresh() {
    let study;
    let changed = true;
    if (drawn) {
      [study, changed] = await Promise.all([HPO.getJSON(HPO.studyUrl(name)), fetchChanges()]);
    } else {
      [study] = await Promise.all([HPO.getJSON(HPO.studyUrl(name)), fetchAll(+HPO.main.dataset.trials)]);
    }
    summary(study);
    if (changed) {
      await draw(study);
      drawn = true;
      document.body.dataset.loaded = String(performance.now());
      document.body.dataset.trials = String(trials.size);
    }
    HPOAnalysis.update(study).then(() => { document.body.dataset.analysed = String(performance.now()); });
  }

  HPO.poll(refresh, POLL_MS);
})();
