"""A progress line on stderr (trials done, running, failed, pruned, best so far) and the
final summary."""

from __future__ import annotations

import math
import sys
import time
from collections.abc import Callable, Mapping
from typing import Any, TextIO

from hpo_service.client import StudyHandle
from hpo_service.domain import StudySummary, Trial, TrialState
from hpo_service.errors import HpoError

BAR_WIDTH = 24


def progress_line(summary: StudySummary, elapsed: float) -> str:
    """One line: a bar, trials done of the budget, running, failed, pruned, best value, time."""
    counts = summary.counts
    complete = counts.get(TrialState.COMPLETE, 0)
    failed = counts.get(TrialState.FAILED, 0)
    pruned = counts.get(TrialState.PRUNED, 0)
    running = sum(counts.get(s, 0) for s in (TrialState.RUNNING, TrialState.STALE))
    done = complete + failed + pruned
    total = summary.study.max_trials
    if total:
        filled = min(BAR_WIDTH, math.floor(BAR_WIDTH * done / total))
        head = f"[{'#' * filled}{'.' * (BAR_WIDTH - filled)}] {done}/{total} done"
    else:
        head = f"{done} done"
    best = (
        "-" if summary.best_value is None else f"{summary.best_value:.4f} (#{summary.best_number})"
    )
    minutes, seconds = divmod(int(elapsed), 60)
    return (
        f"{summary.study.name} {head} | {running} running | {failed} failed | {pruned} pruned | "
        f"best {summary.study.metric} {best} | {minutes}:{seconds:02d}"
    )


class Progress:
    """Polls the study and redraws the line (in place on a terminal, line by line otherwise)."""

    def __init__(self, study: StudyHandle, stream: TextIO | None = None) -> None:
        self.study = study
        self.stream = stream or sys.stderr
        self.started = time.monotonic()
        self.last: StudySummary | None = None
        self._shown = ""
        self._tty = self.stream.isatty()

    def update(self) -> StudySummary | None:
        """Fetch the study once and redraw; None (and a note) if the service is unreachable."""
        try:
            summary = self.study.summary()
        except HpoError as exc:
            self._show(f"{self.study.name}: service unreachable ({exc}); workers keep retrying")
            return None
        self.last = summary
        self._show(progress_line(summary, time.monotonic() - self.started))
        return summary

    def run(self, finished: Callable[[], bool], interval: float = 1.0) -> None:
        """Redraw every ``interval`` seconds until ``finished()``, then once more."""
        while not finished():
            self.update()
            deadline = time.monotonic() + interval
            while time.monotonic() < deadline and not finished():
                time.sleep(0.05)
        self.update()
        self.close()

    def close(self) -> None:
        """End the in-place line."""
        if self._tty and self._shown:
            self.stream.write("\n")
            self.stream.flush()
            self._shown = ""

    def _show(self, line: str) -> None:
        if self._tty:
            self.stream.write("\r" + line.ljust(len(self._shown)))
        elif _sans_time(line) != _sans_time(self._shown):
            self.stream.write(line + "\n")
        else:
            return
        self.stream.flush()
        self._shown = line


def _sans_time(line: str) -> str:
    return line.rsplit(" | ", 1)[0]


def _scalar_metrics(metadata: Mapping[str, Any]) -> dict[str, Any]:
    """Numeric metadata worth showing (secondary metrics, not timings)."""
    return {
        k: v
        for k, v in metadata.items()
        if isinstance(v, int | float) and not isinstance(v, bool) and not k.endswith("_seconds")
    }


def _show(value: Any) -> str:
    return f"{value:.4g}" if isinstance(value, float) else repr(value)


def summary_text(summary: StudySummary, best: Trial | None, note: str | None = None) -> str:
    """The final report: counts, the best configuration, its score and secondary metrics."""
    counts = summary.counts
    complete = counts.get(TrialState.COMPLETE, 0)
    failed = counts.get(TrialState.FAILED, 0)
    pruned = counts.get(TrialState.PRUNED, 0)
    head = f"study {summary.study.name!r}: {complete} complete, {failed} failed"
    head += f", {pruned} pruned (stopped early)" if pruned else ""
    if best is None or best.value is None:
        return head + "; no complete trial yet"
    lines = [
        head,
        f"best: trial {best.number}, {summary.study.metric} = {best.value:.4f}",
    ]
    for key, value in _scalar_metrics(best.metadata).items():
        lines.append(f"  {key} = {value:.4g}")
    lines.append("configuration:" + (f" ({note})" if note else ""))
    lines.extend(f"  {name} = {_show(value)}" for name, value in best.params.items())
    return "\n".join(lines)
