"""docs/BENCHMARKS.md is assembled from docs/benchmarks/*.md by bench/benchmarks_doc.py:
every section file is listed, and the committed document is what the script builds."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))

import benchmarks_doc

ROOT = Path(__file__).resolve().parents[2]


def test_every_section_file_is_listed_once() -> None:
    files = sorted(p.stem for p in (ROOT / "docs" / "benchmarks").glob("*.md"))
    listed = [name for name, _, _ in benchmarks_doc.SECTIONS]
    assert len(listed) == len(set(listed))
    assert sorted(listed) == files


def test_the_committed_document_is_the_assembled_one() -> None:
    assert (ROOT / "docs" / "BENCHMARKS.md").read_text() == benchmarks_doc.build()
