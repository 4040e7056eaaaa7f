/* Shared helpers: API access, formatting, sortable tables, the live indicator. */
"use strict";

const HPO = (() => {
  const main = document.getElementById("main");
  const api = main.dataset.api; // ".../api/v1/studies", already behind any URL prefix

  /** Problem+json errors become Error objects with the service's own message. */
  async function getJSON(url) {
    const response = await fetch(url, { headers: { Accept: "application/json" } });
    const body = await response.json().catch(() => ({}));
    if (!response.ok) {
      const error = new Error(body.detail || `${response.status} ${response.statusText}`);
      error.status = response.status;
      throw error;
    }
    return body;
  }

  function studyUrl(name, path = "") {
    return `${api}/${encodeURIComponent(name)}${path}`;
  }

  function fmt(value) {
    if (value === null || value === undefined) return "–";
    if (typeof value === "number") {
      if (Number.isInteger(value)) return String(value);
      return Math.abs(value) >= 1e5 || Math.abs(value) < 1e-3 && value !== 0
        ? value.toExponential(4) : String(Number(value.toPrecision(6)));
    }
    return String(value);
  }

  /** Plotly reads labels as a little HTML: show user-defined text (choices) literally. */
  function plain(text) {
    return String(text).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
  }

  function fmtTime(text) {
    return text ? new Date(text).toLocaleString() : "–";
  }

  /** Create an element: el("td", {className: "num"}, "text"). */
  function el(tag, props = {}, ...children) {
    const node = Object.assign(document.createElement(tag), props);
    for (const child of children) node.append(child);
    return node;
  }

  function compare(a, b) {
    if (typeof a === "number" && typeof b === "number") return a - b;
    return String(a).localeCompare(String(b), undefined, { numeric: true });
  }

  /** Wire <th data-key><button> headers: calls onSort({key, dir}) and keeps aria-sort. */
  function sortableHeader(table, onSort) {
    table.querySelector("thead").addEventListener("click", (event) => {
      const th = event.target.closest("th[data-key]");
      if (!th || !event.target.closest("button")) return;
      const dir = th.getAttribute("aria-sort") === "ascending" ? "descending" : "ascending";
      for (const other of table.querySelectorAll("th[aria-sort]")) other.removeAttribute("aria-sort");
      th.setAttribute("aria-sort", dir);
      onSort({ key: th.dataset.key, dir });
    });
  }

  /** A sorted copy; missing values always go last, whatever the direction. */
  function sortBy(items, key, dir, getter) {
    const sign = dir === "descending" ? -1 : 1;
    const missing = (v) => v === null || v === undefined;
    return items.slice().sort((a, b) => {
      const x = getter(a, key);
      const y = getter(b, key);
      if (missing(x) || missing(y)) return missing(x) - missing(y);
      return sign * compare(x, y);
    });
  }

  const live = document.getElementById("live");
  function setLive(state, text) {
    live.dataset.state = state;
    live.querySelector(".live-text").textContent = text;
  }

  /** Run task every `ms`, never overlapping; the indicator says whether it works. */
  function poll(task, ms) {
    async function tick() {
      if (document.hidden) { setTimeout(tick, ms); return; }
      try {
        await task();
        setLive("live", `Live · updated ${new Date().toLocaleTimeString()}`);
      } catch (error) {
        setLive("error", `Offline: ${error.message}; retrying`);
      }
      setTimeout(tick, ms);
    }
    return tick();
  }

  /** plotly.js is large: load it once, after the page's own scripts, so tables show first. */
  let plotlyPromise = null;
  function plotly() {
    plotlyPromise ??= new Promise((resolve, reject) => {
      const script = Object.assign(document.createElement("script"), { src: main.dataset.plotly });
      script.onload = () => resolve(window.Plotly);
      script.onerror = () => reject(new Error("could not load plotly.js from the service"));
      document.head.append(script);
    });
    return plotlyPromise;
  }

  return { api, main, plotly, getJSON, studyUrl, fmt, fmtTime, plain, el, sortableHeader, sortBy, poll, setLive };
})();
