"""The concrete data loader: precedence, checksums on every read, verified downloads."""

from __future__ import annotations

import functools
import http.server
import io
import shutil
import threading
import zipfile
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from trainer import data
from trainer.data import DataError, load_concrete


def copy_csv(source: Path, folder: Path, *, tamper: bool = False) -> Path:
    """Copy concrete.csv into ``folder``, optionally changing one digit."""
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / "concrete.csv"
    shutil.copy(source / "concrete.csv", target)
    if tamper:
        target.write_bytes(target.read_bytes().replace(b"540.0", b"541.0", 1))
    return target


@pytest.fixture
def serve(tmp_path: Path) -> Iterator[tuple[Path, str]]:
    """A tiny HTTP server on 127.0.0.1 serving a temporary directory; yields (dir, base URL)."""
    root = tmp_path / "www"
    root.mkdir()
    handler = functools.partial(Quiet, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield root, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()
    thread.join()


class Quiet(http.server.SimpleHTTPRequestHandler):
    """A file handler that does not log requests to stderr."""

    def log_message(self, format: str, *args: object) -> None:
        """Drop the access log line."""


def test_loads_from_hpo_data_dir_with_mix_groups() -> None:
    concrete = load_concrete()
    assert concrete.X.shape == (1030, 8) and concrete.y.shape == (1030,)
    assert concrete.feature_names[-1] == "age"
    assert len(np.unique(concrete.groups)) == 428
    assert 2.3 < concrete.y.min() < concrete.y.max() < 82.6


def test_explicit_path_wins_over_env(
    data_env: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    copied = copy_csv(data_env, tmp_path / "mine")
    monkeypatch.setenv("HPO_DATA_DIR", str(tmp_path / "nowhere"))
    assert data.find_concrete_csv(copied) == copied
    assert data.find_concrete_csv(copied.parent) == copied
    assert load_concrete(copied.parent).X.shape == (1030, 8)
    with pytest.raises(DataError, match="HPO_DATA_DIR"):
        load_concrete()


def test_env_wins_over_cache_and_cache_over_download(
    data_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cached = copy_csv(data_env, data.cache_dir(), tamper=True)
    assert data.find_concrete_csv() == data_env / "concrete.csv"
    monkeypatch.delenv("HPO_DATA_DIR")
    assert data.find_concrete_csv(download=False) == cached
    with pytest.raises(DataError, match=r"sha256.*Fix: point HPO_DATA_DIR"):
        load_concrete(download=False)


def test_every_read_checks_the_sha256(data_env: Path, tmp_path: Path) -> None:
    tampered = copy_csv(data_env, tmp_path / "bad", tamper=True)
    with pytest.raises(DataError, match=f"expected {data.CSV_SHA256}"):
        load_concrete(tampered)


def test_nothing_cached_and_no_download_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HPO_DATA_DIR")
    with pytest.raises(DataError, match="downloading is off"):
        load_concrete(download=False)


def test_download_over_http_is_verified_then_cached(
    data_env: Path, serve: tuple[Path, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    root, base = serve
    copy_csv(data_env, root)
    monkeypatch.delenv("HPO_DATA_DIR")
    concrete = load_concrete(url=f"{base}/concrete.csv")
    cached = data.cache_dir() / "concrete.csv"
    assert data.sha256_of(cached.read_bytes()) == data.CSV_SHA256
    assert concrete.X.shape == (1030, 8)
    (root / "concrete.csv").unlink()  # the second load reads the cache, not the server
    assert load_concrete(url=f"{base}/concrete.csv").X.shape == (1030, 8)


def test_download_mismatch_caches_nothing(
    data_env: Path, serve: tuple[Path, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    root, base = serve
    copy_csv(data_env, root, tamper=True)
    monkeypatch.delenv("HPO_DATA_DIR")
    with pytest.raises(DataError, match="nothing was cached"):
        load_concrete(url=f"{base}/concrete.csv")
    assert not (data.cache_dir() / "concrete.csv").exists()


def test_download_of_a_wrong_spreadsheet_in_a_zip_is_rejected(
    serve: tuple[Path, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    root, base = serve
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("Concrete_Data.xls", b"\xd0\xcf\x11\xe0not the real spreadsheet")
    (root / "concrete.zip").write_bytes(buffer.getvalue())
    monkeypatch.delenv("HPO_DATA_DIR")
    with pytest.raises(DataError, match=f"spreadsheet .* expected {data.XLS_SHA256}"):
        load_concrete(url=f"{base}/concrete.zip")
    assert not data.cache_dir().exists() or not any(data.cache_dir().iterdir())


def test_download_from_file_url_and_unreachable_server(
    data_env: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("HPO_DATA_DIR")
    with pytest.raises(DataError, match="cannot download"):
        data.download_concrete(tmp_path / "x.csv", url="http://127.0.0.1:9/none", timeout=2)
    target = data.download_concrete(tmp_path / "y.csv", url=(data_env / "concrete.csv").as_uri())
    assert data.sha256_of(target.read_bytes()) == data.CSV_SHA256


def test_spreadsheet_conversion_reproduces_the_csv(data_env: Path) -> None:
    assert data.format_number(61.887365759999994) == "61.88736576"
    assert data.format_number(540.0) == "540.0"
    lines = (data_env / "concrete.csv").read_text().splitlines()[1:]
    rows = [[float(cell) for cell in line.split(",")] for line in lines]
    assert data.sha256_of(data.csv_from_rows(rows)) == data.CSV_SHA256


def test_mix_groups_label_identical_mixes_alike() -> None:
    mixes = np.array([[1.0, 2.0], [1.0, 2.0], [1.0, 3.0]])
    groups = data.mix_groups(mixes)
    assert groups[0] == groups[1] != groups[2]
