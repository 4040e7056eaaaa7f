"""The UCI Concrete Compressive Strength data: find, download, verify and load it.

Where the CSV comes from, first match wins:

1. an explicit ``path`` (a file, or a directory holding ``concrete.csv``);
2. ``$HPO_DATA_DIR/concrete.csv``;
3. the user cache, ``$XDG_CACHE_HOME/hpo-service/concrete.csv`` (default ``~/.cache``);
4. a download from the UCI repository into that cache.

Every read is checked against the CSV's sha256 (``shared/datasets/README.md``). UCI serves
the data only as a spreadsheet (``Concrete_Data.xls``, inside a zip); a download checks the
spreadsheet's own sha256, converts it to the canonical CSV with ``xlrd`` (imported only
then), and checks the CSV's sha256 before it is cached. A URL that serves the CSV itself
is accepted too, checked the same way.

Data: I-Cheng Yeh, Concrete Compressive Strength, UCI Machine Learning Repository,
https://doi.org/10.24432/C5PK67 (CC BY 4.0).
"""

from __future__ import annotations

import csv
import hashlib
import importlib
import io
import os
import tempfile
import urllib.request
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

CSV_NAME = "concrete.csv"
CSV_SHA256 = "9aa17b7c8bbfd649d0a5354c25b469fa47e437edda8263223e3940ccd20dd6bb"
XLS_SHA256 = "0233dedd4c6f36b73ce7ffe2dd607eb5373ea74de1fe2a88c1b69fd69fabfad3"
UCI_URL = "https://archive.ics.uci.edu/static/public/165/concrete+compressive+strength.zip"
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
    "Fix: point HPO_DATA_DIR (or --data) at a directory holding the original concrete.csv "
    "(see shared/datasets/README.md), or delete the file so it is downloaded again."
)


class DataError(RuntimeError):
    """The data set is missing, cannot be fetched, or does not match its checksum."""


@dataclass(frozen=True)
class ConcreteData:
    """Inputs, target and mix groups of the concrete data, rows in the original order."""

    X: NDArray[np.float64]
    y: NDArray[np.float64]
    groups: NDArray[np.int64]
    feature_names: tuple[str, ...] = FEATURES


def cache_dir() -> Path:
    """The user cache directory: ``$XDG_CACHE_HOME/hpo-service``, else ``~/.cache/hpo-service``."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "hpo-service"


def sha256_of(data: bytes) -> str:
    """Hex sha256 of some bytes."""
    return hashlib.sha256(data).hexdigest()


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


def find_concrete_csv(
    path: str | Path | None = None, *, url: str = UCI_URL, download: bool = True
) -> Path:
    """Resolve where concrete.csv lives (path, HPO_DATA_DIR, cache, download) and return it."""
    if path is not None:
        given = Path(path).expanduser()
        return given / CSV_NAME if given.is_dir() else given
    env_dir = os.environ.get("HPO_DATA_DIR")
    if env_dir:
        return Path(env_dir).expanduser() / CSV_NAME
    cached = cache_dir() / CSV_NAME
    if cached.exists():
        return cached
    if not download:
        raise DataError(
            f"the concrete data is not in {cached} and downloading is off. Set HPO_DATA_DIR "
            "to a directory holding concrete.csv, or allow the download."
        )
    return download_concrete(cached, url=url)


def load_concrete(
    path: str | Path | None = None, *, url: str = UCI_URL, download: bool = True
) -> ConcreteData:
    """Find, verify and parse the concrete data (see the module docstring for the order)."""
    data = read_verified_csv(find_concrete_csv(path, url=url, download=download))
    rows = list(csv.reader(io.StringIO(data.decode("ascii"))))
    table = np.asarray(rows[1:], dtype=np.float64)
    return ConcreteData(X=table[:, :-1], y=table[:, -1], groups=mix_groups(table[:, :7]))


def mix_groups(mixes: NDArray[np.float64]) -> NDArray[np.int64]:
    """One integer label per distinct row of ingredient amounts (same mix, same label)."""
    _, labels = np.unique(mixes, axis=0, return_inverse=True)
    return np.asarray(labels, dtype=np.int64).reshape(-1)


def download_concrete(dest: Path, *, url: str = UCI_URL, timeout: float = 60.0) -> Path:
    """Fetch the data from ``url`` (zip, xls or csv), verify it and write the CSV to ``dest``."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            payload: bytes = response.read()
    except OSError as exc:
        raise DataError(
            f"cannot download the concrete data from {url}: {exc}. Without network, copy "
            f"concrete.csv into {dest.parent} or set HPO_DATA_DIR to its directory."
        ) from exc
    csv_bytes = csv_from_artefact(payload, source=url)
    if sha256_of(csv_bytes) != CSV_SHA256:
        raise DataError(
            f"the data from {url} has sha256 {sha256_of(csv_bytes)} once converted to CSV, "
            f"expected {CSV_SHA256}; nothing was cached. {_FIX}"
        )
    _write_atomically(dest, csv_bytes)
    return dest


def csv_from_artefact(payload: bytes, *, source: str) -> bytes:
    """Turn a downloaded zip, xls or csv into the canonical CSV bytes (xls checked by sha256)."""
    if payload.startswith(b"PK\x03\x04"):
        payload = _xls_from_zip(payload, source)
    if not payload.startswith(b"\xd0\xcf\x11\xe0"):
        return payload
    digest = sha256_of(payload)
    if digest != XLS_SHA256:
        raise DataError(
            f"the spreadsheet from {source} has sha256 {digest}, expected {XLS_SHA256}; "
            f"nothing was cached. {_FIX}"
        )
    return csv_from_rows(_xls_rows(payload))


def _xls_from_zip(payload: bytes, source: str) -> bytes:
    with zipfile.ZipFile(io.BytesIO(payload)) as archive:
        names = [n for n in archive.namelist() if n.lower().endswith(".xls")]
        if len(names) != 1:
            raise DataError(f"the zip from {source} holds {names}, expected one .xls. {_FIX}")
        return archive.read(names[0])


def _xls_rows(payload: bytes) -> list[list[float]]:
    try:
        xlrd: Any = importlib.import_module("xlrd")
    except ImportError as exc:
        raise DataError(
            "converting UCI's Concrete_Data.xls needs xlrd: `pip install xlrd`, or put "
            "concrete.csv (shared/datasets) in HPO_DATA_DIR instead"
        ) from exc
    sheet = xlrd.open_workbook(file_contents=payload).sheet_by_index(0)
    return [[float(v) for v in sheet.row_values(r)] for r in range(1, sheet.nrows)]


def csv_from_rows(rows: list[list[float]]) -> bytes:
    """Write spreadsheet rows as the canonical CSV (snake_case header, shortest decimals)."""
    lines = [",".join(COLUMNS)]
    for row in rows:
        cells = [format_number(v) for v in row]
        cells[FEATURES.index("age")] = str(int(row[FEATURES.index("age")]))
        lines.append(",".join(cells))
    return ("\n".join(lines) + "\n").encode("ascii")


def format_number(value: float) -> str:
    """Fewest decimals (at least one) that give back the value at 15 significant digits."""
    target = float(f"{value:.15g}")
    for decimals in range(1, 16):
        text = f"{value:.{decimals}f}"
        if float(text) == target:
            return text
    return repr(value)


def _write_atomically(dest: Path, data: bytes) -> None:
    dest.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=dest.parent, delete=False, suffix=".part") as handle:
        handle.write(data)
    Path(handle.name).replace(dest)
