/* Trial table: sortable by any column, filterable by state, paginated in the browser. */
"use strict";

const HPOTable = (() => {
  const PAGE_SIZE = 25;
  const INACTIVE = "\u2014"; // em dash: the parameter's condition does not hold
  const table = document.getElementById("trials-table");
  const filter = document.getElementById("state-filter");
  const count = document.getElementById("trial-count");
  const info = document.getElementById("page-info");
  const prev = document.getElementById("page-prev");
  const next = document.getElementById("page-next");
  let columns = null;
  let trials = [];
  let sort = { key: "number", dir: "descending" };
  let page = 0;

  function buildColumns(study) {
    const params = study.space.map((p) => ({ key: `param:${p.name}`, label: p.name,
      num: p.type !== "categorical", get: (t) => t.params[p.name],
      inactive: p.condition ? `inactive: only when ${condition(p.condition)}` : null }));
    return [
      { key: "number", label: "#", num: true, get: (t) => t.number },
      { key: "state", label: "State", get: (t) => t.state },
      { key: "value", label: study.metric, num: true, get: (t) => t.value },
      ...params,
      { key: "duration", label: "Duration (s)", num: true, get: (t) => t.duration_seconds },
      { key: "worker", label: "Worker", get: (t) => t.worker_id },
      { key: "retries", label: "Retries", num: true, get: (t) => t.retries },
      { key: "pruned_step", label: "Pruned at step", num: true, get: (t) => t.pruned_step },
    ];
  }

  function buildHeader() {
    const cells = columns.map((c) => {
      const th = HPO.el("th", { scope: "col", className: c.num ? "num" : "" },
        HPO.el("button", { type: "button" }, c.label));
      th.dataset.key = c.key;
      if (c.key === sort.key) th.setAttribute("aria-sort", sort.dir);
      return th;
    });
    table.tHead.rows[0].replaceChildren(...cells);
  }

  function cell(column, trial) {
    const value = column.get(trial);
    if (column.key === "number") return HPO.el("th", { scope: "row", className: "num" }, String(value));
    if (column.key === "state") {
      const badge = HPO.el("span", { className: `state state-${value}` }, value);
      if (trial.failure_reason) badge.title = trial.failure_reason;
      else if (trial.end_reason) badge.title = `ended: ${trial.end_reason}`;
      return HPO.el("td", {}, badge);
    }
    if (column.inactive && value === undefined) { // a conditional parameter left out
      return HPO.el("td", { className: `inactive${column.num ? " num" : ""}`, title: column.inactive }, INACTIVE);
    }
    const text = column.key === "duration" && value != null ? value.toFixed(2) : HPO.fmt(value);
    return HPO.el("td", { className: column.num ? "num" : "" }, text);
  }

  function render() {
    const wanted = filter.value;
    const kept = wanted ? trials.filter((t) => t.state === wanted) : trials;
    const getter = columns.find((c) => c.key === sort.key).get;
    const sorted = HPO.sortBy(kept, sort.key, sort.dir, (t) => getter(t));
    const pages = Math.max(1, Math.ceil(sorted.length / PAGE_SIZE));
    page = Math.min(page, pages - 1);
    const shown = sorted.slice(page * PAGE_SIZE, (page + 1) * PAGE_SIZE);
    table.tBodies[0].replaceChildren(
      ...shown.map((t) => HPO.el("tr", {}, ...columns.map((c) => cell(c, t)))));
    count.textContent = `${kept.length} of ${trials.length} trials`;
    info.textContent = `Page ${page + 1} of ${pages}`;
    prev.disabled = page === 0;
    next.disabled = page >= pages - 1;
  }

  function update(list, study) {
    if (!columns) {
      columns = buildColumns(study);
      buildHeader();
    }
    trials = list;
    render();
  }

  HPO.sortableHeader(table, (chosen) => { sort = chosen; page = 0; render(); });
  filter.addEventListener("change", () => { page = 0; render(); });
  prev.addEventListener("click", () => { page -= 1; render(); });
  next.addEventListener("click", () => { page += 1; render(); });
  /** A condition as a person reads it: n_layers in [2, 3]. */
  function condition(c) {
    return `${c.param} in [${c.in.map((v) => (typeof v === "string" ? v : String(v))).join(", ")}]`;
  }

  return { update, condition };
})();
