"""``hpo-trainer work --dask ADDRESS --workers N``: N worker loops as tasks on a Dask cluster.

Dask only places the loops. Leases, retries and results stay with the service: each task is
the ordinary worker loop (``run_worker``) with its own client, so a Dask worker lost
mid-trial is a killed process to the service (its lease runs out, the trial is re-offered),
and Dask rescheduling the lost task only starts another loop.

Pitfalls (see docs/deployment.md):

- A cancelled or released Dask task keeps running on its worker (Dask cannot interrupt a
  running thread). So every loop also watches a cluster-wide ``distributed.Event`` that
  this command sets when it stops (Ctrl-C, or an error), and stops after its trial; it stops
  on its own when the study is paused, completed or has nothing left.
- The loops are long-running tasks: keep ``threads_per_worker`` at 1 (one training per
  process; the objectives use their own cores) and do not let other work share the workers.
- Tasks must import ``trainer``: the workers need the same install (``hpo-service[trainer]``).
"""

from __future__ import annotations

import dataclasses
import logging
import os
import socket
import threading
import uuid
from typing import Any

from trainer.progress import Progress
from trainer.worker import StopSignal, WorkerConfig, run_worker

log = logging.getLogger("trainer.fleet")
POLL_SECONDS = 1.0


def fleet_task(config: WorkerConfig, index: int, stop_event: str, verbosity: int) -> dict[str, Any]:
    """One worker loop inside a Dask task; returns what it did (trial numbers by outcome)."""
    from distributed import Event

    logging.getLogger("trainer").setLevel(_level(verbosity))  # records go to the submitter
    worker_id = config.worker_id or f"dask-{socket.gethostname()}-{os.getpid()}-{index}"
    stop = StopSignal()
    done = threading.Event()
    watcher = threading.Thread(
        target=_watch, args=(Event(stop_event), stop, done), name="hpo-stop-watch", daemon=True
    )
    watcher.start()
    try:
        stats = run_worker(dataclasses.replace(config, worker_id=worker_id), stop)
    finally:
        done.set()
    log.info("worker %s done: %d complete", worker_id, len(stats.completed))
    return {"worker_id": worker_id, **dataclasses.asdict(stats)}


def _level(verbosity: int) -> int:
    return logging.WARNING if verbosity <= 0 else logging.INFO if verbosity == 1 else logging.DEBUG


def _watch(event: Any, stop: StopSignal, done: threading.Event) -> None:
    """Ask the loop to stop once the submitter sets the fleet's stop event."""
    while not done.is_set():
        try:
            if event.wait(timeout=POLL_SECONDS):
                log.warning("the fleet was stopped; finishing the current trial")
                stop.request()
                return
        except Exception as exc:  # the scheduler is unreachable: keep training, try again
            log.warning("cannot check the fleet's stop event: %s", exc)
            done.wait(POLL_SECONDS)


def run_fleet(
    config: WorkerConfig,
    workers: int,
    address: str,
    verbosity: int,
    meter: Progress | None,
) -> int:
    """Submit ``workers`` loops to the Dask cluster at ``address`` (``local``: a LocalCluster
    of processes on this machine) and wait for them; 0 when every loop ended normally."""
    from distributed import Client as DaskClient
    from distributed import Event, LocalCluster, wait

    cluster = None
    if address == "local":
        cores = os.cpu_count() or 1
        cluster = LocalCluster(
            n_workers=min(workers, cores),
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
        )
    stop_name = f"hpo-fleet-stop-{uuid.uuid4().hex}"
    try:
        with DaskClient(cluster if cluster is not None else address) as dask:
            dask.forward_logging("trainer", level=_level(verbosity))  # the loops' logs, here
            futures = [
                dask.submit(
                    fleet_task, config, i, stop_name, verbosity, pure=False,
                    key=f"hpo-worker-{config.study}-{i}-{stop_name[-8:]}",
                )
                for i in range(workers)
            ]  # fmt: skip
            try:
                if meter is not None:
                    meter.run(lambda: all(f.done() for f in futures))
                wait(futures)
            finally:
                Event(stop_name, client=dask).set()  # stray or rescheduled loops stop too
            return _summarise(futures)
    finally:
        if cluster is not None:
            cluster.close()


def _summarise(futures: list[Any]) -> int:
    """Log each loop's outcome; 0 if all finished without an error."""
    failed = 0
    for future in futures:
        if future.status == "finished":
            result = future.result()
            log.info("%s: %d complete", result["worker_id"], len(result["completed"]))
            continue
        failed += 1
        reason = future.exception() if future.status == "error" else future.status
        log.error("a worker task did not finish: %s", reason)
    return 0 if failed == 0 else 1
