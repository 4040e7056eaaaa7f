"""Markdown for the async and faults parts of docs/benchmarks/scale_out.md."""

from __future__ import annotations

from typing import Any

from scale_report import header


def _async(record: dict[str, Any]) -> list[str]:
    r = record["result"]
    scale = r["time_scale"]
    durations = "1-30 s" if scale == 1 else f"1-30 s x {scale:g}"
    statuses = ", ".join(f"{k}: {v}" for k, v in r["statuses"].items())
    return [
        f"## {r['workers']:,} simulated workers, one process, async HTTP, one GP study",
        "",
        header(record),
        f"{r['workers']:,} asyncio tasks share one `httpx.AsyncClient` (one connection each) "
        f"against `hpo serve --workers 4` on PostgreSQL; each starts at a random moment of "
        f"the first 10 s and loops suggest, sleep a trial duration drawn uniformly from "
        f"{durations}, report, until {r['seconds']:g} s have passed; then it reports the "
        f"trial it holds and stops (wall time {r['wall_seconds']:g} s). The GP study starts "
        f"with {r['observations_at_start']} complete trials; lease 600 s. Afterwards the "
        "trials table is read directly. The simulator uses raw httpx and does not retry: a "
        "request that got no answer (e.g. the server closed an idle keep-alive connection "
        "as it was reused) is counted as an exception and its trial stays running; the "
        "project's `Client` would retry it (reports are idempotent).",
        "",
        "| what | value |",
        "|---|---:|",
        f"| suggestions served | {r['suggestions']} ({r['suggestions_per_s']:g}/s) |",
        f"| suggest latency p50 / p99 / max ms | {r['p50_ms']:.0f} / {r['p99_ms']:.0f} / "
        f"{r['max_ms']:.0f} |",
        f"| HTTP answers by status | {statuses} |",
        f"| requests without an answer (exceptions) | {r['exceptions']} |",
        f"| reports sent / acknowledged (2xx) | {r['reports_sent']} / "
        f"{r['acknowledged_reports']} |",
        f"| acknowledged reports missing or different in the database | {r['lost_reports']} |",
        f"| trial numbers handed to two workers (not a lease re-offer) | "
        f"{r['duplicate_numbers']} |",
        f"| complete trials in the database (including the {r['observations_at_start']} "
        f"seeded) | {r['stored_complete']} |",
    ] + (["", f"First exception: `{r['first_exception']}`"] if r["first_exception"] else [])


def _no_answer(statuses: dict[str, int]) -> str:
    """Requests without an answer: refused or reset, and timed out (counted apart since
    the frozen-instance scenario; earlier records have the first kind only)."""
    refused = statuses.get("no answer (refused/reset)", 0)
    timed_out = statuses.get("no answer (timed out)", 0)
    return f"{refused} + {timed_out} timed out" if timed_out else str(refused)


def _faults(record: dict[str, Any]) -> list[str]:
    rows = record["result"]
    seconds = record["args"]["fault_seconds"]
    lines = [
        "## Faults under load",
        "",
        header(record),
        f"Each scenario on a new PostgreSQL database: 16 worker loops (the project's `Client` "
        f"with failover and its one retry policy: 60 retries, backoff 0.05 s doubling to 1 s) "
        f"suggest, sleep 50 ms, report on one random study (lease 3 s) for {seconds:g} s; "
        f"the fault is injected after {seconds / 3:.1f} s. Every HTTP answer the loops received "
        "is counted by status; every acknowledged report is checked against the trials table "
        "afterwards: 'lost' = acknowledged reports missing or different there. Reports "
        "(trials): a trial re-offered after its lease ran out during the fault and reported "
        "by both workers with the same value is acknowledged twice (reports are "
        "idempotent). 'Duplicate numbers' = a number handed to two workers other than by a "
        "lease re-offer. Recovery: from the fault to the first acknowledged report of a "
        "cycle that began after it (first loop / last loop; a loop still in a cycle begun "
        "before the fault when the run ended does not count); 're-offered done' = from the "
        "fault until the last re-offered trial was finished. 'No answer' = connection "
        "refused or reset, or timed out after the client's 10 s (the client fails over or "
        "backs off); 503 = the documented 'database unavailable, retry' answer.",
        "",
        "| scenario | 2xx | 503 | other 5xx | no answer | acked reports (trials) | lost | "
        "duplicate numbers | re-offered (lease) | re-offered done after s | recovery first / "
        "all s |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        s = r["statuses"]
        ok = sum(v for k, v in s.items() if k.startswith("2"))
        lines.append(
            f"| {r['fault']} | {ok} | {s.get('503', 0)} | {r['5xx_other_than_503']} | "
            f"{_no_answer(s)} | {r['acknowledged_reports']} "
            f"({r['acknowledged_trials']}) | {r['lost_reports']} | {r['duplicate_numbers']} | "
            f"{r['numbers_reoffered_after_lease']} | {r['reoffered_done_after_s'] or '-'} | "
            f"{r['recovery_first_s']} / {r['recovery_all_s']} ({r['loops_recovered']} of "
            f"{8 if r['scenario'] == 'dask-worker' else 16} loops) |"
        )
    raised = [r for r in rows if r["client_errors_raised"]]
    if raised:
        lines += ["", "Errors raised to a loop after every retry:", ""]
        lines += [
            f"- {r['scenario']}: {r['client_errors_raised']}, first `{r['first_error']}`"
            for r in raised
        ]
    return lines


def render(part: str, record: dict[str, Any]) -> list[str]:
    """The section of one stored part."""
    return _async(record) if part == "async" else _faults(record)
