"""Markdown for docs/benchmarks/scale_out.md from the stored parts of bench/scale_out.py."""

from __future__ import annotations

from statistics import median
from typing import Any


def header(record: dict[str, Any]) -> str:
    load = " ".join(f"{x:.2f}" for x in record["load_start"])
    end = " ".join(f"{x:.2f}" for x in record["load_end"])
    return (
        f"Measured {record['date']} on {record['machine']}; load average {load} at the "
        f"start and {end} at the end (the machine is shared with other jobs)."
    )


def _throughput(record: dict[str, Any], title: str = "") -> list[str]:
    args = record["args"]
    rows = record["result"]
    workers = args.get("server_workers", 4)  # runs before the option existed used 4
    threads = args.get("server_threads", 4)  # likewise
    lines = [
        f"## Cycles/s of N worker processes on one study (PostgreSQL){title}",
        "",
        header(record),
        f"{args['seconds']:g} s per cell; one cycle = ask for a configuration, evaluate a "
        "trivial objective (3 parameters: log-uniform float, int, categorical), report. Every "
        "worker is an OS process on this machine; server, PostgreSQL and workers share the "
        f"2 cores. hpo-service: `hpo serve --workers {workers} --threads {threads}` (gunicorn "
        f"{workers} x {threads} threads), each worker "
        "POSTs suggestions then report over HTTP; in the 'report+next' rows each report also "
        'asks for the worker\'s next trial (`"next": 1`), so a cycle is one request. '
        "Optuna: each worker process has its own "
        "`RDBStorage` on the same PostgreSQL server and loops `ask` + 3 `suggest_*` + `tell`. "
        f"GP rows start from {args['observations']} complete trials (so every proposal is made "
        "on 500+ observations); Optuna's model-based row uses its TPESampler (its GPSampler "
        "needs PyTorch, which the service's environment does not install). Suggest latency = "
        "the suggestions request "
        "(hpo-service; in 'report+next' rows, the report request that brought the trial, "
        "report included) or `ask` + the 3 `suggest_*` calls (Optuna). Errors: failed requests "
        "(hpo-service) or failed calls (Optuna; a worker process that cannot connect counts "
        "one and stops). The server runs the code of the commit measured; CPU per GP "
        "suggestion is in the next section.",
        "",
        "| processes | strategy | system | cycles/s | cycles | suggest p50 ms | p99 ms | errors |",
        "|---:|---|---|---:|---:|---:|---:|---:|",
    ]
    cells = _cells(rows)
    if any(len(group) > 1 for group in cells.values()):
        lines[-2:] = [
            f"Each cell was measured {max(len(g) for g in cells.values())} times, the three "
            "systems taking turns (the order rotated each round); shown: the median cycles/s "
            "with the range, the cycles of all rounds, the median of the rounds' latency "
            "quantiles and all errors.",
            "",
            *lines[-2:],
        ]
    for (processes, strategy, system), group in cells.items():
        lines.append(
            f"| {processes} | {strategy} | {system} | {_rate(group):.1f}{_range(group)} | "
            f"{sum(r['cycles'] for r in group)} | {median(r['p50_ms'] for r in group):.0f} | "
            f"{median(r['p99_ms'] for r in group):.0f} | {sum(r['errors'] for r in group)} |"
        )
    errors = [r for r in rows if r["first_error"]]
    if errors:
        lines += ["", "First error of each cell with errors:", ""]
        lines += [
            f"- {r['system']}, {r['strategy']}, {r['processes']} processes"
            f"{_round(r)}: `{r['first_error'].splitlines()[0]}`"
            for r in errors
        ]
    lines += ["", *_ratios(cells), "", *_targets(cells)]
    return lines


Key = tuple[int, str, str]


def _cells(rows: list[dict[str, Any]]) -> dict[Key, list[dict[str, Any]]]:
    """The rows of each (processes, strategy, system) cell, in measuring order (one per
    round; runs before rounds existed have one)."""
    cells: dict[Key, list[dict[str, Any]]] = {}
    for row in rows:
        cells.setdefault((row["processes"], row["strategy"], row["system"]), []).append(row)
    return cells


def _ours(system: str) -> bool:
    """An hpo-service row (two requests per cycle, or "report+next": one)."""
    return system.startswith("hpo-service")


def _rate(group: list[dict[str, Any]]) -> float:
    """A cell's cycles/s: the median over its rounds."""
    return float(median(r["rate"] for r in group))


def _range(group: list[dict[str, Any]]) -> str:
    """The rounds' lowest and highest cycles/s, when there are rounds."""
    rates = [r["rate"] for r in group]
    return f" ({min(rates):.1f}-{max(rates):.1f})" if len(rates) > 1 else ""


def _round(row: dict[str, Any]) -> str:
    return f", round {row['round'] + 1}" if "round" in row else ""


def _optuna(cells: dict[Key, list[dict[str, Any]]], processes: int, strategy: str) -> Any:
    """Optuna's rows for the cell of ``strategy`` (its model-based row is named after its
    sampler), or None."""
    return next(
        (
            group
            for (n, their_strategy, system), group in cells.items()
            if not _ours(system) and n == processes and their_strategy.split(" ")[0] == strategy
        ),
        None,
    )


def _targets(cells: dict[Key, list[dict[str, Any]]]) -> list[str]:
    """The issue's two targets at 32 processes, met or not, on the medians over rounds
    (computed, so a rerun stays true)."""
    out = []
    theirs = _optuna(cells, 32, "random")
    for (processes, strategy, system), group in cells.items():
        if processes != 32 or not _ours(system):
            continue
        ours = _rate(group)
        if strategy == "random" and theirs:
            ratio = ours / _rate(theirs)
            verdict = "met" if ratio >= 5 else "**missed**"
            out.append(
                f"- Target: random >= 5x Optuna RDB at 32 processes ({system}): {ratio:.1f}x "
                f"({ours:.1f} vs {_rate(theirs):.1f} cycles/s"
                f"{', medians' if len(group) > 1 else ''})"
                f"{_per_round(group, theirs)}: {verdict}."
            )
        if strategy == "gp":
            verdict = "met" if ours >= 50 else "**missed**"
            out.append(
                f"- Target: GP >= 50 cycles/s at 32 processes, 500+ observations ({system}): "
                f"{ours:.1f}{_range(group)}: {verdict}."
            )
    return out


def _per_round(ours: list[dict[str, Any]], theirs: list[dict[str, Any]]) -> str:
    """Each round's ratio (the two cells measured minutes apart), when there are rounds."""
    if len(ours) < 2 or len(ours) != len(theirs):
        return ""
    ratios = [o["rate"] / t["rate"] for o, t in zip(ours, theirs, strict=True) if t["rate"] > 0]
    return "; per round " + ", ".join(f"{x:.1f}x" for x in ratios)


def _ratios(cells: dict[Key, list[dict[str, Any]]]) -> list[str]:
    """hpo-service / Optuna per (processes, strategy): the ratio of the median cycles/s."""
    out = [
        "| processes | strategy | system | hpo-service / Optuna cycles/s |",
        "|---:|---|---|---:|",
    ]
    for (processes, strategy, system), group in cells.items():
        theirs = _optuna(cells, processes, strategy) if _ours(system) else None
        if theirs and _rate(theirs) > 0:
            ratio = _rate(group) / _rate(theirs)
            out.append(f"| {processes} | {strategy} | {system} | {ratio:.1f}x |")
    return out


def _gpcost(record: dict[str, Any]) -> list[str]:
    lines = [
        "## CPU cost of one GP suggestion with a large history (one process)",
        "",
        header(record),
        "No HTTP, no database: a live study is imitated by adding one observation per step "
        "(40 steps from the given size) and timing `prepare` (outside the lock in the "
        "service) and `propose` with a pending set that changed meanwhile (under the lock), "
        "with 16 pending trials, on the 3-parameter space above. 'refit every suggestion' is "
        "the engine before `gp/shared.py`; 'shared base model' refits at checkpoints (every "
        "n/16 observations) and conditions exactly on the observations since.",
        "",
        "| observations | engine | prepare median ms | propose median ms | total median ms "
        "| p90 ms | mean ms |",
        "|---:|---|---:|---:|---:|---:|---:|",
    ]
    for r in record["result"]:
        lines.append(
            f"| {r['observations']} | {r['engine']} | {r['prepare_median_ms']:.1f} | "
            f"{r['propose_median_ms']:.1f} | {r['total_median_ms']:.1f} | "
            f"{r['total_p90_ms']:.1f} | {r['total_mean_ms']:.1f} |"
        )
    return lines


def _cpu(record: dict[str, Any]) -> list[str]:
    """Where a cycle's time goes (bench/scale_cpu.py): medians over the rounds per cell."""
    args = record["args"]
    rows = record["result"]
    rounds = max(r["round"] for r in rows) + 1
    lines = [
        f"## Where a cycle's time goes at {rows[0]['processes']} worker processes",
        "",
        header(record),
        "Cells of the table above run again (same workers, objective and `hpo serve "
        f"--workers {args['server_workers']} --threads {args['server_threads']}`; the GP from "
        f"{args['observations']} observations), {rounds} round(s), the cells taking turns. "
        "CPU time read from /proc over the middle of each run (2 s left out at each end): "
        "the server's processes, every PostgreSQL process, and the rest of the machine "
        "(the worker processes and this harness), per cycle; busy = share of both cores in "
        "use. The study lock is timed in the server by SQLAlchemy events "
        "(bench/lock_timing/sitecustomize.py): per locked transaction, the mean hold, the "
        "time from taking the lock to the next statement, the statements sent while it is "
        "held and their time, and COMMIT (sent until the session sees it done); hold and "
        "wait medians beside. With the probe loaded the service's cells run a little slower "
        "than in the table above. Shown: the median over the rounds of each figure.",
        "",
        "| cell | cycles/s | CPU ms/cycle: server | PostgreSQL | rest | total | cores busy "
        "| locked txn/cycle | hold ms mean (median) | to next statement ms | statements "
        "(ms) | COMMIT ms | lock wait median ms |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    cells: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        cells.setdefault(row["cell"], []).append(row)

    def m(group: list[dict[str, Any]], key: str, fmt: str = ".2f") -> str:
        values = [r[key] for r in group if r.get(key) is not None]
        return format(median(values), fmt) if values else "-"

    for cell, group in cells.items():
        locked = any(r.get("locked") for r in group)
        lock = (
            f"{m(group, 'per_cycle', '.1f')} | {m(group, 'held_ms')} "
            f"({m(group, 'held_median_ms')}) | {m(group, 'first_ms')} | "
            f"{m(group, 'statements', '.1f')} ({m(group, 'sql_ms')}) | "
            f"{m(group, 'commit_ms')} | {m(group, 'wait_median_ms')}"
            if locked
            else "- | - | - | - | - | -"
        )
        busy = [r["busy"] for r in group if r.get("busy") is not None]
        lines.append(
            f"| {cell} | {m(group, 'rate', '.1f')} | {m(group, 'server_ms')} | "
            f"{m(group, 'postgres_ms')} | {m(group, 'rest_ms')} | {m(group, 'total_ms')} | "
            f"{100 * median(busy):.0f}% | {lock} |"
            if busy
            else f"| {cell} | {m(group, 'rate', '.1f')} | - | - | - | - | - | {lock} |"
        )
    errors = sum(r["errors"] for r in rows)
    lines += ["", f"Failed requests or calls over all cells: {errors}."]
    return lines


EARLIER = "throughput_loaded"
"""An earlier throughput run kept beside the current one (same script, same CPU model name,
another machine): the ratios to Optuna moved between the two, so both are shown."""


def _earlier(record: dict[str, Any], current: dict[str, Any] | None) -> list[str]:
    """The earlier run, under its own heading, after how it differs from the current one
    (both systems' random cells at 32 processes and the load averages, from the records)."""
    lines = _throughput(record, title=": an earlier run on another machine")
    intro = "The same script and CPU model name as the run above, on another machine."
    if current is not None:
        then, now = _cells(record["result"]), _cells(current["result"])
        ours = (32, "random", "hpo-service")
        theirs_then, theirs_now = _optuna(then, 32, "random"), _optuna(now, 32, "random")
        if ours in then and ours in now and theirs_then and theirs_now:
            intro += (
                " Random at 32 processes: Optuna gave "
                f"{_rate(theirs_then):.1f} cycles/s here against {_rate(theirs_now):.1f} "
                f"above ({_rate(theirs_now) / _rate(theirs_then):.1f}x), the service "
                f"{_rate(then[ours]):.1f} against {_rate(now[ours]):.1f} "
                f"({_rate(now[ours]) / _rate(then[ours]):.2f}x); load average "
                f"{record['load_start'][0]:.2f} to {record['load_end'][0]:.2f} here, "
                f"{current['load_start'][0]:.2f} to {current['load_end'][0]:.2f} above (the end "
                "is mostly the run's own 128 worker processes)."
            )
    intro += " The targets are judged on the newer run above."
    return [*lines[:2], intro, "", *lines[2:]]


def render(stored: dict[str, dict[str, Any]]) -> str:
    """The whole document from the stored parts (a part not measured yet says so)."""
    lines = [
        "# Scale-out: many workers on one study, 1,000 async workers, faults under load",
        "",
        "Produced by `bench/scale_out.py` (parts: throughput, cpu, gpcost, async, faults); "
        "each part states its own date, machine and load. Rerun one part with "
        "`nice -n 5 .venv/bin/python bench/scale_out.py --parts PART`.",
        "",
    ]
    renderers = {"throughput": _throughput, "cpu": _cpu, "gpcost": _gpcost}
    for part, renderer in renderers.items():
        if part in stored:
            lines += [*renderer(stored[part]), ""]
        else:
            lines += [f"## {part}", "", "_not measured yet_", ""]
        if part == "throughput" and EARLIER in stored:
            lines += [*_earlier(stored[EARLIER], stored.get("throughput")), ""]
    for part in ("async", "faults"):
        if part in stored:
            import scale_report_load

            lines += [*scale_report_load.render(part, stored[part]), ""]
    return "\n".join(lines).rstrip() + "\n"
