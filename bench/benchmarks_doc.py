"""Assemble docs/BENCHMARKS.md from the sections each benchmark script writes.

Every script in bench/ writes its own Markdown to docs/benchmarks/<name>.md with the
date and machine it ran on; this joins them in a fixed order under one table of
contents. Usage: ``.venv/bin/python bench/benchmarks_doc.py``
"""

from __future__ import annotations

from pathlib import Path

DOCS = Path(__file__).resolve().parents[1] / "docs"
SECTIONS = [
    ("service", "Service throughput: suggest + report round trips", "bench/service_throughput.py"),
    (
        "scale_out",
        "Scale-out: 1-128 worker processes vs Optuna RDB, 1,000 async workers, faults",
        "bench/scale_out.py (scale_throughput, scale_gpcost, scale_async, scale_faults)",
    ),
    (
        "cycle_cost",
        "What one worker cycle costs the service: statements, transactions, CPU",
        "bench/cycle_cost.py",
    ),
    (
        "server_threads",
        "Service processes and request threads against cycles/s of one busy study",
        "bench/server_threads.py",
    ),
    (
        "gp",
        "Bayesian optimisation engine: regret, latency, parallel",
        "bench/gp_benchmark.py, bench/gp_latency.py, bench/gp_rest.py",
    ),
    ("gp_mlp", "Bayesian optimisation engine: breast-cancer MLP objective", "bench/gp_mlp.py"),
    (
        "gp_concurrency",
        "Bayesian optimisation engine: one study, 8 concurrent clients, real server",
        "bench/gp_concurrency.py, bench/lock_timing/sitecustomize.py",
    ),
    (
        "gp_lock_search",
        "Bayesian optimisation engine: the shortlist search under the study lock",
        "bench/gp_lock_search.py",
    ),
    (
        "gp_suite",
        "Bayesian optimisation engine: the broad suite (20 problems, development and held-out)",
        "bench/gp_suite.py (gp_suite_problems, gp_suite_functions, gp_suite_report)",
    ),
    (
        "gp_parallel",
        "Bayesian optimisation engine: parallel workers on the broad suite (20 seeds)",
        "bench/gp_parallel.py",
    ),
    (
        "gp_greedy",
        "Bayesian optimisation engine: epsilon-greedy steps and MACE against the default "
        "(development half)",
        "bench/gp_greedy.py",
    ),
    (
        "gp_candidates",
        "Bayesian optimisation engine: exploiting acquisitions and dimension-scaled priors "
        "against the default (development half)",
        "bench/gp_candidates.py",
    ),
    (
        "gp_big_rest",
        "Bayesian optimisation engine: big studies (1,000-10,000 observations) through REST",
        "bench/gp_big_rest.py",
    ),
    (
        "gp_big_regret",
        "Bayesian optimisation engine: big studies, local climb against the exact GP (regret)",
        "bench/gp_big_regret.py",
    ),
    (
        "conditional",
        "Bayesian optimisation engine: conditional vs flat search space",
        "bench/conditional_space.py",
    ),
    (
        "tuned",
        "Neural-network objectives: tuned, re-scored, against the baselines and Optuna",
        "bench/tuned_mlp.py, bench/tuned_optuna.py",
    ),
    (
        "rescore_candidates",
        "Neural-network objectives: which trials the re-score step takes",
        "bench/rescore_candidates.py",
    ),
    (
        "simple_models",
        "Classic models on the shipped problems: the context for the tuned network",
        "bench/simple_models.py",
    ),
    (
        "mlp_ceiling",
        "Breast cancer: how far a hand-tuned network gets (the target in context)",
        "bench/mlp_ceiling.py",
    ),
    (
        "pruning_mlp",
        "Early stopping on the shipped problems: epochs, wall time, re-scored best",
        "bench/tuned_mlp.py",
    ),
    (
        "pruning_replay",
        "Early stopping: stopping rules replayed on the curves of unpruned studies",
        "bench/pruning_replay.py",
    ),
    (
        "bayes_opt",
        "The bayes_opt strategy (the library itself) against the gp engine",
        "bench/bayes_opt_cost.py",
    ),
    ("dashboard", "Dashboard at 10,000 trials", "bench/dashboard_load.py"),
    (
        "pruning_latency",
        "Early stopping: latency of intermediate reports, 500 trials x 100 epochs",
        "bench/pruning_latency.py",
    ),
    (
        "curve_growth",
        "Early stopping: an intermediate report's cost as the learning curve grows",
        "bench/curve_growth.py",
    ),
    (
        "report_pipeline",
        "Early stopping: a worker's per-epoch reports in step with training or pipelined",
        "bench/report_pipeline.py",
    ),
    ("pruning_gp", "Early stopping: how the GP learns from pruned trials", "bench/pruning_gp.py"),
    (
        "multi_objective",
        "Several objectives and constraints: hypervolume against Optuna, REST latency",
        "bench/multi_objective.py, bench/multi_objective_latency.py",
    ),
    (
        "pruning_optuna",
        "Early stopping: decisions replayed against Optuna's pruners",
        "bench/pruning_optuna_check.py",
    ),
]


def _demote(text: str) -> str:
    """Shift every Markdown heading down one level, dropping the section's own title."""
    lines = text.strip().splitlines()
    if lines and lines[0].startswith("# "):
        lines = lines[1:]
    return "\n".join("#" + line if line.startswith("#") else line for line in lines).strip()


def build() -> str:
    """The whole document."""
    parts = [
        "# Benchmarks",
        "",
        "Every figure below was produced by a script in `bench/` that anyone can rerun; each "
        "section names its script, date and machine. The machine is a shared 2-core VM, so "
        "compare figures within one section (one run), not across sections.",
        "",
    ]
    parts += [f"- [{title}](#{name})" for name, title, _ in SECTIONS]
    for name, title, scripts in SECTIONS:
        source = DOCS / "benchmarks" / f"{name}.md"
        body = _demote(source.read_text()) if source.exists() else "_not measured yet_"
        parts += [
            "",
            f'<a id="{name}"></a>',
            f"## {title}",
            "",
            f"Scripts: `{scripts}`; raw section: [benchmarks/{name}.md](benchmarks/{name}.md).",
            "",
            body,
        ]
    return "\n".join(parts) + "\n"


def main() -> None:
    """Write docs/BENCHMARKS.md."""
    (DOCS / "BENCHMARKS.md").write_text(build())


if __name__ == "__main__":
    main()
