"""What every benchmark report states about the machine it ran on (and the command-line
list option the benchmark scripts share)."""

from __future__ import annotations

import os
import platform
import subprocess
from collections.abc import Iterable
from pathlib import Path


def cpu_model() -> str:
    """The CPU model name from /proc/cpuinfo (or what platform knows)."""
    return next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )


def describe() -> str:
    """Cores, CPU model and Python version, in one phrase."""
    return f"{os.cpu_count()} cores, {cpu_model()}, Python {platform.python_version()}"


def date_span(dates: Iterable[str]) -> str:
    """'first to last' of ISO dates (one date alone when they are all the same day)."""
    days = sorted({d[:10] for d in dates})
    if not days:
        return "undated"
    return days[0] if len(days) == 1 else f"{days[0]} to {days[-1]}"


def commit() -> str:
    """The code a run used (``git describe``; "-dirty" when uncommitted changes)."""
    command = ["git", "describe", "--always", "--dirty"]
    root = Path(__file__).resolve().parents[1]
    return subprocess.run(command, cwd=root, capture_output=True, text=True).stdout.strip()


def int_list(text: str) -> list[int]:
    """A comma-separated list of integers, as the scripts' list options take it ("1,8,32")."""
    return [int(x) for x in text.split(",") if x]
