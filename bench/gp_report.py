"""Markdown report of the gp benchmark (docs/benchmarks/gp.md)."""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import subprocess
from importlib import metadata
from pathlib import Path

import numpy as np

CHECKPOINTS = (20, 30, 50)
NOTES_MARKER = "<!-- notes: hand-written, kept when the tables are regenerated -->"
PACKAGES = ("numpy", "scipy", "scikit-learn", "bayesian-optimization", "optuna", "torch")


def _machine() -> list[str]:
    cpu = (
        subprocess.run("lscpu | grep 'Model name'", shell=True, capture_output=True, text=True)
        .stdout.split(":")[-1]
        .strip()
    )
    cores = subprocess.run(["nproc"], capture_output=True, text=True).stdout.strip()
    versions = []
    for name in PACKAGES:
        try:
            versions.append(f"{name} {metadata.version(name)}")
        except metadata.PackageNotFoundError:
            versions.append(f"{name} (not installed)")
    return [
        f"- Date: {datetime.date.today().isoformat()}",
        f"- Machine: {cores} cores (`nproc`), {cpu}; Python {platform.python_version()}",
        f"- Packages: {', '.join(versions)}",
        f"- Load average when the report was written (1/5/15 min): "
        f"{' / '.join(f'{v:.1f}' for v in os.getloadavg())} (shared machine)",
    ]


def _cell(values: list[float]) -> str:
    q1, med, q3 = np.percentile(values, [25, 50, 75])
    return f"{med:.2e} [{q1:.1e}, {q3:.1e}]"


def _regret_table(rows: list[dict[str, object]], section: str, at: tuple[int, ...]) -> list[str]:
    out: list[str] = []
    for problem in sorted({str(r["problem"]) for r in rows if r["section"] == section}):
        chosen = [r for r in rows if r["section"] == section and r["problem"] == problem]
        methods = list(dict.fromkeys(str(r["method"]) for r in chosen))
        out += [
            f"\n**{problem}** (median [IQR] simple regret, {len(chosen) // len(methods)} "
            "seeds; time = median seconds per run)\n",
            "| method | " + " | ".join(f"@{n}" for n in at) + " | time |",
            "|---|" + "---|" * (len(at) + 1),
        ]
        for method in methods:
            runs = [r for r in chosen if r["method"] == method]
            cells = [_cell([float(r["regret"][n - 1]) for r in runs]) for n in at]  # type: ignore[index]
            seconds = float(np.median([float(r["seconds"]) for r in runs]))  # type: ignore[arg-type]
            out.append(f"| {method} | " + " | ".join(cells) + f" | {seconds:.1f} |")
    return out


def _latency_table(rows: list[dict[str, object]]) -> list[str]:
    chosen = [r for r in rows if r["section"] == "latency"]
    if not chosen:
        return []
    out = [
        "| observations | cache | total s | prepare (outside lock) s | propose (under lock) s "
        "| propose with a new pending trial s |",
        "|---|---|---|---|---|---|",
    ]
    for r in chosen:
        out.append(
            f"| {r['n']} | {'warm' if r['warm'] else 'cold'} | {r['total']:.3f} | "
            f"{r['prepare']:.3f} | {r['propose']:.4f} | {r['propose_new_pending']:.3f} |"
        )
    return out


def write_report(rows: list[dict[str, object]], args: argparse.Namespace) -> None:
    """Rewrite the Markdown report from every row gathered so far."""
    lines = [
        "# gp strategy benchmark",
        "",
        *_machine(),
        f"- Command: `.venv/bin/python bench/gp_benchmark.py{' --quick' if args.quick else ''}`"
        f" ({args.seeds} seeds, {args.jobs} worker processes, 1 BLAS thread each)",
        "",
    ]
    sections = [
        ("regret", "## Regret: Branin and Hartmann6, budget 50", CHECKPOINTS),
        ("ablation", "## Ablations: engine EI with one improvement switched off", (30, 50)),
        ("parallel", "## Parallel: 48 evaluations, sequential vs 4 workers", (20, 48)),
    ]
    for key, title, at in sections:
        table = _regret_table(rows, key, at)
        if table:
            lines += [title, *table, ""]
    latency = _latency_table(rows)
    if latency:
        lines += [
            "## Latency of one suggestion, strategy alone (Hartmann6 space, 6-D)",
            "",
            *latency,
            "",
        ]
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    notes = ""  # hand-written analysis below the marker survives a re-run
    if out.exists() and NOTES_MARKER in out.read_text():
        notes = out.read_text()[out.read_text().index(NOTES_MARKER) :]
    out.write_text("\n".join(lines) + "\n" + notes)
