"""Markdown for docs/benchmarks/scale_out.md from the stored parts of bench/scale_out.py."""

from __future__ import annotations

from typing import Any


def header(record: dict[str, Any]) -> str:
    load = " ".join(f"{x:.2f}" for x in record["load_start"])
    end = " ".join(f"{x:.2f}" for x in record["load_end"])
    return (
        f"Measured {record['date']} on {record['machine']}; load average {load} at the "
        f"start and {end} at the end (the machine is shared with other jobs)."
    )


def _throughput(record: dict[str, Any]) -> list[str]:
    args = record["args"]
    rows = record["result"]
    lines = [
        "## Cycles/s of N worker processes on one study (PostgreSQL)",
        "",
        header(record),
        f"{args['seconds']:g} s per cell; one cycle = ask for a configuration, evaluate a "
        "trivial objective (3 parameters: log-uniform float, int, categorical), report. Every "
        "worker is an OS process on this machine; server, PostgreSQL and workers share the "
        "2 cores. hpo-service: `hpo serve --workers 4` (gunicorn 4 x 4 threads), each worker "
        "POSTs suggestions then report over HTTP. Optuna: each worker process has its own "
        "`RDBStorage` on the same PostgreSQL server and loops `ask` + 3 `suggest_*` + `tell`. "
        f"GP rows start from {args['observations']} complete trials (so every proposal is made "
        "on 500+ observations); Optuna's model-based row uses its TPESampler (its GPSampler "
        "needs PyTorch, not installed here). Suggest latency = the suggestions request "
        "(hpo-service) or `ask` + the 3 `suggest_*` calls (Optuna).",
        "",
        "| processes | strategy | system | cycles/s | cycles | suggest p50 ms | p99 ms | errors |",
        "|---:|---|---|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(
            f"| {r['processes']} | {r['strategy']} | {r['system']} | {r['rate']:.1f} | "
            f"{r['cycles']} | {r['p50_ms']:.0f} | {r['p99_ms']:.0f} | {r['errors']} |"
        )
    errors = [r for r in rows if r["first_error"]]
    if errors:
        lines += ["", "First error of each cell with errors:", ""]
        lines += [
            f"- {r['system']}, {r['strategy']}, {r['processes']} processes: `{r['first_error']}`"
            for r in errors
        ]
    lines += ["", *_ratios(rows)]
    return lines


def _ratios(rows: list[dict[str, Any]]) -> list[str]:
    """hpo-service / Optuna per (processes, strategy)."""
    out = ["| processes | strategy | hpo-service / Optuna cycles/s |", "|---:|---|---:|"]
    for r in rows:
        if r["system"] != "hpo-service":
            continue
        other = next(
            (
                o
                for o in rows
                if o["system"] != "hpo-service"
                and o["processes"] == r["processes"]
                and o["strategy"].split(" ")[0] == r["strategy"]
            ),
            None,
        )
        if other and other["rate"] > 0:
            out.append(f"| {r['processes']} | {r['strategy']} | {r['rate'] / other['rate']:.1f}x |")
    return out


def render(stored: dict[str, dict[str, Any]]) -> str:
    """The whole document from the stored parts (a part not measured yet says so)."""
    lines = [
        "# Scale-out: many workers on one study, 1,000 async workers, faults under load",
        "",
        "Produced by `bench/scale_out.py` (parts: throughput, async, faults); each part "
        "states its own date, machine and load. Rerun one part with "
        "`nice -n 5 .venv/bin/python bench/scale_out.py --parts PART`.",
        "",
    ]
    renderers = {"throughput": _throughput}
    for part, renderer in renderers.items():
        if part in stored:
            lines += [*renderer(stored[part]), ""]
        else:
            lines += [f"## {part}", "", "_not measured yet_", ""]
    for part in ("async", "faults"):
        if part in stored:
            import scale_report_load

            lines += [*scale_report_load.render(part, stored[part]), ""]
    return "\n".join(lines).rstrip() + "\n"
