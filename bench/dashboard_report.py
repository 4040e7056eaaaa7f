"""The Markdown report of bench/dashboard_load.py (date, machine, one column per server)."""

from __future__ import annotations

import os
import platform
import statistics
from datetime import UTC, datetime
from typing import Any

from machine import cpu_model


def machine() -> str:
    """CPU model, cores and memory of this machine."""
    cpu = cpu_model()
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    load = ", ".join(f"{v:.1f}" for v in os.getloadavg())
    return (
        f"{cpu}, {os.cpu_count()} cores, {memory:.0f} GiB RAM, {platform.platform()}; "
        f"load average {load} when the report was written"
    )


NOTES = " ".join(
    [
        "The first visit also loads and compiles plotly.js (the 1.1 MB basic bundle, about",
        "0.2 s here; the full 4.8 MB bundle took 1.3-2.5 s); Chromium caches the file (served",
        "with a one-day max-age) and its compiled code for later visits, and the summary and",
        "table are drawn before plotly.js has loaded. Fetching the trials is bound by the",
        "server's CPU (roughly 10,000 trials a second per process on this machine).",
        "Plots are SVG (no WebGL);",
        "above 1,000 complete trials the history keeps every new best and the lowest and",
        "highest value of each stretch, and parallel coordinates show the best 300 trials",
        "plus an even sample of 300. Each plot is drawn in its own task, and while trials keep",
        "changing the plots are redrawn at most once per five times their drawing time (the",
        "table and summary on every poll), so a busy 10,000-trial study does not freeze the page.",
    ]
)
SERVERS = {0: "built-in threaded server (`hpo serve`)", 2: "gunicorn, 2 workers (`--workers 2`)"}


def rows(r: dict[str, Any]) -> list[tuple[str, str]]:
    """The report's rows for one server."""
    warm = {key: statistics.median(w[key] for w in r["warm"]) for key in r["warm"][0]}
    ms = "{:,.0f} ms".format
    return [
        ("first visit, empty cache: every trial fetched and drawn", ms(r["cold"]["loaded"])),
        ("first visit: parameter importance drawn too", ms(r["cold"]["analysed"])),
        (
            "**repeat visit (median of 3): every trial fetched and drawn**",
            f"**{ms(warm['loaded'])}**",
        ),
        ("repeat visit: parameter importance drawn too", ms(warm["analysed"])),
        ("sort the table by value", ms(r["sort"])),
        ("next table page", ms(r["page"])),
        ("filter the table by state", ms(r["filter"])),
        ("new trial posted -> shown in the open page (polls every 2 s)", f"{r['live']:.1f} s"),
        ("longest main-thread task in 6 s of live polling, nothing new", ms(r["idle_task"])),
        ("longest main-thread task while a new trial is merged and drawn", ms(r["redraw_task"])),
    ]


def report(n: int, results: dict[int, dict[str, Any]]) -> str:
    """The Markdown report."""
    first = next(iter(results.values()))
    table = [
        "| measure | " + " | ".join(SERVERS[w] for w in results) + " |",
        "| --- |" + " --- |" * len(results),
    ]
    columns = [rows(r) for r in results.values()]
    for i, (label, _) in enumerate(columns[0]):
        table.append(f"| {label} | " + " | ".join(c[i][1] for c in columns) + " |")
    return "\n".join(
        [
            "# Dashboard load benchmark",
            "",
            f"Date: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC  ",
            f"Machine: {machine()}  ",
            f"Browser: Debian Chromium {first['chromium']}, headless with the flags of "
            "tests/dashboard/conftest.py (software rendering)  ",
            "Software: plotly.js 3.7.0 basic bundle (vendored), Python "
            f"{platform.python_version()}, SQLite  ",
            f"Command: `.venv/bin/python bench/dashboard_load.py --trials {n}`",
            "",
            f"Study: {n:,} trials (96% complete, 3% failed, 1% running; every 20th trial with 10 "
            "intermediate values), 5 parameters (log floats, ints, a categorical).",
            "",
            "Load time runs from navigation start until every trial is in the page (pages of "
            "1,000 by trial number, fetched concurrently) and the summary, trial table, history, "
            "parallel coordinates and intermediate values are drawn. Parameter importance "
            "(a random forest fitted server side) arrives after that without blocking the page.",
            "",
            *table,
            "",
            NOTES,
            "",
        ]
    )
