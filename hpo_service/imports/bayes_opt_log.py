"""bayes_opt histories: the JSON-lines log of its ``JSONLogger`` (bayes_opt < 3) and the
``save_state`` file of bayes_opt 3 (one JSON object with ``pbounds``, ``params``, ``target``).

A log line is ``{"target": t, "params": {...}, "datetime": {...}}`` with, for constrained
problems, ``"constraint"`` and ``"allowed"``; every line becomes a complete trial (bayes_opt
maximises its target). A log has no bounds, so a new study needs ``--space``; a state file
carries ``pbounds`` and creates float parameters from them.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from hpo_service.domain import Direction
from hpo_service.errors import InvalidRequest
from hpo_service.imports.source import ImportSource
from hpo_service.service.imports import TrialRecord

EXTRA_KEYS = ("datetime", "constraint", "allowed")


def read_bayes_opt_log(path: Path) -> ImportSource:
    """Read a JSONLogger log or a save_state file; raise InvalidRequest naming the bad line."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidRequest(f"{path}: cannot read the file ({exc})") from exc
    whole = _whole_document(text)
    if isinstance(whole, dict) and "keys" in whole and "target" in whole:
        return _from_state(path, whole)
    records = []
    for number, line in enumerate(text.splitlines(), start=1):
        if line.strip():
            records.append(_from_line(f"{path} line {number}", line))
    if not records:
        raise InvalidRequest(f"{path}: no records; is this a bayes_opt JSON log?")
    return ImportSource(tuple(records), Direction.MAXIMIZE)


def _whole_document(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return None


def _from_line(where: str, line: str) -> TrialRecord:
    try:
        entry = json.loads(line)
    except ValueError as exc:
        raise InvalidRequest(f"{where}: not JSON ({exc})") from exc
    if not isinstance(entry, dict) or not isinstance(entry.get("params"), dict):
        raise InvalidRequest(f"{where}: expected an object with 'params' and 'target'")
    target = _target(where, entry.get("target"))
    metadata = {"imported_from": "bayes_opt", "source": where}
    metadata.update({k: entry[k] for k in EXTRA_KEYS if k in entry})
    return TrialRecord(where, dict(entry["params"]), target, metadata=metadata)


def _target(where: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidRequest(f"{where}: 'target' must be a number, got {value!r}")
    if not math.isfinite(value):
        raise InvalidRequest(f"{where}: 'target' {value!r} is not finite")
    return float(value)


def _from_state(path: Path, state: Mapping[str, Any]) -> ImportSource:
    keys, rows, targets = state.get("keys"), state.get("params"), state.get("target")
    if not (isinstance(keys, list) and isinstance(rows, list) and isinstance(targets, list)):
        raise InvalidRequest(f"{path}: a save_state file needs lists 'keys', 'params', 'target'")
    if len(rows) != len(targets):
        raise InvalidRequest(f"{path}: {len(rows)} 'params' rows but {len(targets)} targets")
    records = []
    for i, (row, target) in enumerate(zip(rows, targets, strict=True)):
        where = f"{path} entry {i}"
        if not isinstance(row, list) or len(row) != len(keys):
            raise InvalidRequest(
                f"{where}: expected {len(keys)} values for {keys}; states with categorical "
                "parameters (one-hot columns) cannot be imported, use the JSON log instead"
            )
        metadata = {"imported_from": "bayes_opt", "source": where}
        records.append(
            TrialRecord(
                where, dict(zip(keys, row, strict=True)), _target(where, target), metadata=metadata
            )
        )
    return ImportSource(tuple(records), Direction.MAXIMIZE, _definition(path, state))


def _definition(path: Path, state: Mapping[str, Any]) -> dict[str, Any] | None:
    pbounds = state.get("pbounds")
    if not isinstance(pbounds, dict):
        return None
    space = []
    for name, bounds in pbounds.items():
        if not (isinstance(bounds, list) and len(bounds) == 2):
            raise InvalidRequest(f"{path}: pbounds[{name!r}] is not [low, high]")
        space.append({"name": name, "type": "float", "low": bounds[0], "high": bounds[1]})
    return {"direction": "maximize", "space": space}
