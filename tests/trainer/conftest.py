"""Fixtures: the shared data directory, an isolated cache, and a guard against real downloads."""

from __future__ import annotations

import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

# The repository's parent holds shared/ (here /work/shared; in CI a copy beside the clone).
SHARED_DATA = Path(__file__).resolve().parents[2].parent / "shared" / "datasets"
LOCAL_PREFIXES = ("file:", "http://127.0.0.1:")


@pytest.fixture(autouse=True)
def data_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Path]:
    """Point HPO_DATA_DIR at shared/datasets and the user cache at a temporary directory."""
    if not (SHARED_DATA / "concrete.csv").exists():
        pytest.fail(
            f"{SHARED_DATA}/concrete.csv is missing: the tests need shared/ beside the repo"
        )
    monkeypatch.setenv("HPO_DATA_DIR", str(SHARED_DATA))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    real_urlopen = urllib.request.urlopen

    def local_only(url: Any, *args: Any, **kwargs: Any) -> Any:
        target = url if isinstance(url, str) else url.full_url
        if not target.startswith(LOCAL_PREFIXES):
            raise AssertionError(f"a test tried to reach the network: {target}")
        return real_urlopen(url, *args, **kwargs)

    monkeypatch.setattr(urllib.request, "urlopen", local_only)
    yield SHARED_DATA
