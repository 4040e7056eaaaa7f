"""Fixtures: the trainer reads its packaged data (no HPO_DATA_DIR) and never the network."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from typing import Any

import pytest


@pytest.fixture(autouse=True)
def packaged_data_only(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Unset HPO_DATA_DIR and refuse connections to anything but loopback."""
    monkeypatch.delenv("HPO_DATA_DIR", raising=False)
    real_connect = socket.socket.connect

    def loopback_only(self: socket.socket, address: Any) -> Any:
        host = address[0] if isinstance(address, tuple) else str(address)
        if host not in ("127.0.0.1", "::1", "localhost") and self.family != socket.AF_UNIX:
            raise AssertionError(f"a test tried to reach the network: {address}")
        return real_connect(self, address)

    monkeypatch.setattr(socket.socket, "connect", loopback_only)
    yield
