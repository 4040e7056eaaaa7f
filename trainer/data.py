"""The UCI Concrete Compressive Strength data: find, verify and load it.

The data ships inside this package (``trainer/datasets/concrete.csv``, 1030 rows, CC BY 4.0),
so the trainer works on a machine with no network. Where the CSV is read from, first match
wins:

1. an explicit ``path`` (a file, or a directory holding ``concrete.csv``; ``--data``);
2. ``$HPO_DATA_DIR/concrete.csv``;
3. the packaged copy.

Every read is checked against the CSV's sha256, so an edited or truncated file is refused
with a message that says how to fix it.

Data: I-Cheng Yeh, Concrete Compressive Strength, UCI Machine Learning Repository,
https://doi.org/10.24432/C5PK67 (CC BY 4.0); I-Cheng Yeh, "Modeling of strength of high
performance concrete using artificial neural networks", Cement and Concrete Research 28(12),
1797-1808, 1998. See ``trainer/datasets/README.md``.
"""

from __future__ import annotations

import csv
import hashlib
import io
import os
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from trainer.environment import EnvironmentProblem

CSV_NAME = "concrete.csv"
CSV_SHA256 = "9aa17b7c8bbfd649d0a5354c25b469fa47e437edda8263223e3940ccd20dd6bb"
MIX_COLUMNS = (
    "cement",
    "blast_furnace_slag",
    "fly_ash",
    "water",
    "superplasticizer",
    "coarse_aggregate",
    "fine_aggregate",
)
FEATURES = (*MIX_COLUMNS, "age")
TARGET = "compressive_strength"
COLUMNS = (*FEATURES, TARGET)
_FIX = (
    "Fix: unset HPO_DATA_DIR (and drop --data) to use the copy that ships with the trainer, "
    "or point them at the original concrete.csv (sha256 in trainer/datasets/README.md)."
)


class DataError(EnvironmentProblem):
    """The data set is missing or does not match its checksum (not a configuration's fault)."""


@dataclass(frozen=True)
class ConcreteData:
    """Inputs, target and mix groups of the concrete data, rows in the original order."""

    X: NDArray[np.float64]
    y: NDArray[np.float64]
    groups: NDArray[np.int64]
    feature_names: tuple[str, ...] = FEATURES


def sha256_of(data: bytes) -> str:
    """Hex sha256 of some bytes."""
    return hashlib.sha256(data).hexdigest()


def packaged_csv() -> Path:
    """Where the copy shipped inside the trainer package lives."""
    return Path(str(resources.files("trainer") / "datasets" / CSV_NAME))


def find_concrete_csv(path: str | Path | None = None) -> Path:
    """Resolve where concrete.csv is read from: ``path``, then HPO_DATA_DIR, then the package."""
    if path is not None:
        given = Path(path).expanduser()
        return given / CSV_NAME if given.is_dir() else given
    env_dir = os.environ.get("HPO_DATA_DIR")
    if env_dir:
        return Path(env_dir).expanduser() / CSV_NAME
    return packaged_csv()


def read_verified_csv(path: Path) -> bytes:
    """Read the CSV at ``path`` and return its bytes; raise DataError if missing or altered."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise DataError(f"cannot read the concrete data at {path}: {exc}. {_FIX}") from exc
    digest = sha256_of(data)
    if digest != CSV_SHA256:
        raise DataError(
            f"{path} has sha256 {digest}, expected {CSV_SHA256}: the file is not the "
            f"original concrete data (edited, truncated or another version). {_FIX}"
        )
    return data


def load_concrete(path: str | Path | None = None) -> ConcreteData:
    """Find, verify and parse the concrete data (see the module docstring for the order)."""
    data = read_verified_csv(find_concrete_csv(path))
    rows = list(csv.reader(io.StringIO(data.decode("ascii"))))
    if tuple(rows[0]) != COLUMNS:
        raise DataError(f"unexpected header {rows[0]}, expected {list(COLUMNS)}. {_FIX}")
    table = np.asarray(rows[1:], dtype=np.float64)
    return ConcreteData(X=table[:, :-1], y=table[:, -1], groups=mix_groups(table[:, :7]))


def mix_groups(mixes: NDArray[np.float64]) -> NDArray[np.int64]:
    """One integer label per distinct row of ingredient amounts (same mix, same label)."""
    _, labels = np.unique(mixes, axis=0, return_inverse=True)
    return np.asarray(labels, dtype=np.int64).reshape(-1)
