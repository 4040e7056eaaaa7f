"""A per-process cache of each study's trial outcomes, kept current from the change log.

Every trial change bumps its study's ``seq`` under the study lock, so the changes a
cached copy misses are exactly the trials with ``updated_seq`` above the cached seq.
A snapshot therefore reads only those (an indexed query) instead of decoding the whole
history on every suggest. Correctness never depends on the cache: a miss, a study that
was deleted and re-created, or another process's writes all end in the same rows a
full read would return.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass

from hpo_service.domain import Study, Trial
from hpo_service.persistence import Repository

MAX_STUDIES = 64


@dataclass(frozen=True)
class View:
    """A study's trials as one transaction sees them, current to ``seq``."""

    study: Study
    seq: int
    trials: dict[int, Trial]

    def ordered(self) -> list[Trial]:
        """The trials in number order."""
        return [self.trials[n] for n in sorted(self.trials)]


class HistoryCache:
    """Outcomes of recently used studies, by (project, study name) (thread-safe, bounded LRU)."""

    def __init__(self, max_studies: int = MAX_STUDIES) -> None:
        self._entries: OrderedDict[tuple[str, str], View] = OrderedDict()
        self._lock = threading.Lock()
        self._max = max_studies

    def read(self, repo: Repository, name: str) -> tuple[Study, list[Trial], int]:
        """The study, its trials in number order and the seq they are current to."""
        view = self.view(repo, name)
        self.keep(repo.project, name, view)
        return view.study, view.ordered(), view.seq

    def view(self, repo: Repository, name: str) -> View:
        """Read through the cache without updating it; inside a write transaction, ``keep``
        the view only after the commit (a rolled-back change must never be cached)."""
        key = (repo.project, name)
        study = repo.get_study(name)
        seq = repo.current_seq(name)  # read before the rows: later changes are re-read
        with self._lock:
            entry = self._entries.get(key)
        if entry is None or entry.study.created_at != study.created_at or entry.seq > seq:
            trials = {t.number: t for t in repo.outcomes(name)}
        else:
            trials = dict(entry.trials)
            trials.update({t.number: t for t in repo.outcomes(name, changed_after=entry.seq)})
        return View(study, seq, trials)

    def strategy_of(self, project: str, name: str) -> str | None:
        """The strategy name of a cached study (None if it is not cached)."""
        with self._lock:
            entry = self._entries.get((project, name))
        return None if entry is None else str(entry.study.strategy.get("name"))

    def keep(self, project: str, name: str, view: View) -> None:
        """Remember a committed view (unless the cache already holds a newer one)."""
        key = (project, name)
        with self._lock:
            current = self._entries.get(key)
            if (
                current is None
                or current.study.created_at != view.study.created_at
                or current.seq <= view.seq
            ):
                self._entries[key] = view
            self._entries.move_to_end(key)
            while len(self._entries) > self._max:
                self._entries.popitem(last=False)
