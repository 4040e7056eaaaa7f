"""A trainer machine needs only the client: importing it loads no server-side packages."""

from __future__ import annotations

import subprocess
import sys

HEAVY = ("flask", "sqlalchemy", "numpy", "werkzeug", "alembic", "jsonschema")


def test_importing_the_client_pulls_in_no_flask_sqlalchemy_or_numpy() -> None:
    code = (
        "import sys; import hpo_service.client; import hpo_service.client.compat; "
        "from hpo_service.client import Client; "
        "Client('http://127.0.0.1:9').close(); "
        f"print(','.join(m for m in {HEAVY!r} if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
