"""README's curl walk-through runs as written against a real server (so it stays true)."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT
from tests.servers import ServerProcess


def _curl_block() -> str:
    text = (REPO_ROOT / "README.md").read_text()
    section = text.split("## One study with curl", 1)[1]
    match = re.search(r"```sh\n(.*?)```", section, re.S)
    assert match, "README lost its curl walk-through"
    return match.group(1)


@pytest.mark.slow
def test_curl_walkthrough_runs_without_an_http_error(tmp_path: Path) -> None:
    script = _curl_block()
    assert "curl" in script and "S=http://127.0.0.1:8000" in script
    server = ServerProcess(f"sqlite:///{tmp_path / 'readme.db'}").start()
    try:
        script = script.replace("http://127.0.0.1:8000", server.url)
        prelude = 'set -euo pipefail\ncurl() { command curl --fail-with-body "$@"; echo; }\n'
        done = subprocess.run(
            ["bash", "-c", prelude + script],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stdout + done.stderr
        assert '"value":0.97' in done.stdout.replace(" ", "")
        assert '"should_stop":false' in done.stdout.replace(" ", "")
        assert '"state":"pruned"' in done.stdout.replace(" ", "")
        assert '"next":[{' in done.stdout.replace(" ", "")  # a report took trial 4
        rows = (tmp_path / "cancer-mlp.csv").read_text().splitlines()
        assert len(rows) == 7  # header, trials 0-3, 4 (released: pending), 5 (queued)
        assert rows[5].startswith("4,pending,")
    finally:
        server.stop()
