/* Studies list: every study with its progress, sortable, refreshed every few seconds. */
"use strict";

(() => {
  const table = document.getElementById("studies-table");
  const status = document.getElementById("studies-status");
  const home = HPO.main.dataset.home;
  let studies = [];
  let sort = { key: "name", dir: "ascending" };

  const total = (s) => Object.values(s.trial_counts).reduce((a, b) => a + b, 0);
  const strategy = (s) => [s.strategy.name, s.strategy.acquisition].filter(Boolean).join(" / ");
  const getters = {
    name: (s) => s.name, state: (s) => s.state, direction: (s) => s.direction,
    strategy, trials: total, best: (s) => s.best_value, activity: (s) => s.last_activity,
  };

  function counts(s) {
    const parts = Object.entries(s.trial_counts).filter(([, n]) => n > 0).map(([k, n]) => `${n} ${k}`);
    return `${total(s)}${parts.length ? ` (${parts.join(", ")})` : ""}`;
  }

  function row(s) {
    const link = HPO.el("a", { href: `${home}studies/${encodeURIComponent(s.name)}` }, s.name);
    return HPO.el("tr", {},
      HPO.el("th", { scope: "row" }, link),
      HPO.el("td", {}, HPO.el("span", { className: `state state-${s.state}` }, s.state)),
      HPO.el("td", {}, s.direction),
      HPO.el("td", {}, strategy(s)),
      HPO.el("td", { className: "num" }, counts(s)),
      HPO.el("td", { className: "num" }, HPO.fmt(s.best_value)),
      HPO.el("td", {}, HPO.fmtTime(s.last_activity)));
  }

  function render() {
    const rows = HPO.sortBy(studies, sort.key, sort.dir, (s, key) => getters[key](s));
    table.tBodies[0].replaceChildren(...rows.map(row));
    status.textContent = studies.length
      ? `${studies.length} ${studies.length === 1 ? "study" : "studies"}`
      : "No studies yet: create one with POST /api/v1/studies.";
  }

  HPO.sortableHeader(table, (next) => { sort = next; render(); });
  HPO.poll(async () => {
    studies = (await HPO.getJSON(HPO.api)).studies;
    render();
  }, 5000);
})();
