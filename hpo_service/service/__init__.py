"""Use cases: create_study, suggest, report, fail, heartbeat, best, ... (never Flask).

The ``Service`` facade is what the api, the CLI and tests call. Each use case runs
in one transaction from ``Database.transaction``; suggest runs in two (a snapshot
read, then a short locked write) so strategies can do their expensive work outside
the per-study lock.
"""

from __future__ import annotations

from hpo_service.service.core import Service, utc_now
from hpo_service.service.trials import Clock

__all__ = ["Clock", "Service", "utc_now"]
