"""The concrete data: shipped in the package, overridable, checked on every read."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from trainer import data
from trainer.data import CSV_SHA256, DataError, load_concrete, sha256_of


def copy_csv(folder: Path, *, tamper: bool = False) -> Path:
    """Copy the packaged concrete.csv into ``folder``, optionally changing one digit."""
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / "concrete.csv"
    shutil.copy(data.packaged_csv(), target)
    if tamper:
        target.write_bytes(target.read_bytes().replace(b"540.0", b"541.0", 1))
    return target


def test_the_packaged_copy_is_the_original_data_with_mix_groups() -> None:
    assert data.find_concrete_csv() == data.packaged_csv()
    assert sha256_of(data.packaged_csv().read_bytes()) == CSV_SHA256
    concrete = load_concrete()
    assert concrete.X.shape == (1030, 8) and concrete.y.shape == (1030,)
    assert concrete.feature_names[-1] == "age"
    assert len(np.unique(concrete.groups)) == 428
    assert 2.3 < concrete.y.min() < concrete.y.max() < 82.6


def test_the_package_ships_its_attribution() -> None:
    readme = (data.packaged_csv().parent / "README.md").read_text()
    assert "CC BY 4.0" in readme and "I-Cheng Yeh" in readme and CSV_SHA256 in readme


def test_explicit_path_wins_over_hpo_data_dir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    env_copy = copy_csv(tmp_path / "env", tamper=True)
    given = copy_csv(tmp_path / "given")
    monkeypatch.setenv("HPO_DATA_DIR", str(env_copy.parent))
    assert data.find_concrete_csv() == env_copy
    assert data.find_concrete_csv(given.parent) == given
    assert data.find_concrete_csv(given) == given
    assert load_concrete(given.parent).X.shape == (1030, 8)


def test_an_altered_file_is_refused_with_how_to_fix(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    tampered = copy_csv(tmp_path / "env", tamper=True)
    monkeypatch.setenv("HPO_DATA_DIR", str(tampered.parent))
    with pytest.raises(DataError, match=r"sha256 .* expected .*Fix: unset HPO_DATA_DIR"):
        load_concrete()


def test_a_missing_file_is_a_data_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HPO_DATA_DIR", str(tmp_path / "nowhere"))
    with pytest.raises(DataError, match="cannot read the concrete data"):
        load_concrete()
