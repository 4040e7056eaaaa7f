"""pyproject's dependency split matches what the code imports (an AST scan, no guessing)."""

from __future__ import annotations

import ast
import importlib.metadata
import re
import subprocess
import sys
import tomllib
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
PACKAGE = REPO_ROOT / "hpo_service"
# The client's own modules and the stdlib-only ones it shares with the server.
CLIENT = [PACKAGE / "client", PACKAGE / "domain.py", PACKAGE / "errors.py", PACKAGE / "wire.py"]
# Loaded by SQLAlchemy for postgresql:// URLs, never imported by name.
DRIVERS = {"psycopg"}
OWN = {"hpo_service", "trainer", "migrations"}
SERVER_MODULES = ("numpy", "flask", "sqlalchemy", "scipy", "sklearn", "alembic", "jsonschema")


def _name(requirement: str) -> str:
    match = re.match(r"[A-Za-z0-9._-]+", requirement)
    assert match is not None, requirement
    return re.sub(r"[-_.]+", "-", match.group(0)).lower()


def _declared() -> dict[str, set[str]]:
    project = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["project"]
    groups = {"base": set(map(_name, project["dependencies"]))}
    for extra, requirements in project["optional-dependencies"].items():
        groups[extra] = set(map(_name, requirements))
    return groups


def _imported(*roots: Path) -> set[str]:
    """Distributions providing the third-party top-level modules imported under ``roots``."""
    providers = importlib.metadata.packages_distributions()
    found: set[str] = set()
    files = [p for root in roots for p in ([root] if root.is_file() else root.rglob("*.py"))]
    for path in files:
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                modules = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                modules = [node.module]
            else:
                continue
            for module in modules:
                top = module.split(".")[0]
                if top not in sys.stdlib_module_names and top not in OWN:
                    found |= {_name(d) for d in providers[top]}
    return found


def test_the_client_and_the_base_install_need_httpx_only() -> None:
    declared = _declared()
    assert _imported(*CLIENT) == declared["base"] == declared["client"] == {"httpx"}


def test_the_server_extra_is_exactly_what_the_service_imports() -> None:
    declared = _declared()
    expected = (declared["server"] | declared["base"]) - DRIVERS
    assert _imported(PACKAGE, REPO_ROOT / "migrations") == expected


def test_the_trainer_extra_covers_what_the_trainer_imports() -> None:
    declared = _declared()
    fleet = REPO_ROOT / "trainer" / "fleet.py"
    files = [p for p in (REPO_ROOT / "trainer").rglob("*.py") if p != fleet]
    assert _imported(*files) <= declared["trainer"] | declared["base"]


def test_the_dask_extra_covers_what_the_dask_fleet_imports() -> None:
    declared = _declared()
    fleet = _imported(REPO_ROOT / "trainer" / "fleet.py")
    assert "distributed" in fleet
    assert fleet <= declared["dask"] | {"distributed"} | declared["trainer"] | declared["base"]


def test_dev_installs_every_runtime_extra() -> None:
    assert {"hpo-service"} <= _declared()["dev"]
    text = (REPO_ROOT / "pyproject.toml").read_text()
    assert '"hpo-service[server,trainer,import-optuna,dask]"' in text


def test_hpo_without_the_server_dependencies_says_what_to_install() -> None:
    blocker = (
        "import sys\n"
        "class Block:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        f"        if name.split('.')[0] in {SERVER_MODULES!r}:\n"
        "            raise ModuleNotFoundError(f'No module named {name!r}', name=name)\n"
        "sys.meta_path.insert(0, Block())\n"
        "import hpo_service.client.compat\n"
        "from hpo_service.cli import main\n"
        "sys.exit(main(['db', 'upgrade']))\n"
    )
    done = subprocess.run([sys.executable, "-c", blocker], capture_output=True, text=True)
    assert done.returncode == 3, done.stderr
    assert "pip install 'hpo-service[server]'" in done.stderr


def test_hpo_trainer_without_the_ml_stack_says_what_to_install() -> None:
    blocker = (
        "import sys\n"
        "class Block:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name.split('.')[0] in ('numpy', 'sklearn', 'threadpoolctl'):\n"
        "            raise ModuleNotFoundError(f'No module named {name!r}', name=name)\n"
        "sys.meta_path.insert(0, Block())\n"
        "from trainer.entry import main\n"
        "sys.exit(main(['problems']))\n"
    )
    done = subprocess.run([sys.executable, "-c", blocker], capture_output=True, text=True)
    assert done.returncode == 3, done.stderr
    assert "pip install 'hpo-service[trainer]'" in done.stderr


def test_licences_are_declared_as_spdx_and_their_texts_ship() -> None:
    """PEP 639: the wheel carries the data set's and plotly.js's licences beside the code's."""
    pyproject = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())
    project = pyproject["project"]
    assert project["license"] == "MIT AND CC-BY-4.0"  # code MIT, concrete.csv CC BY 4.0
    assert "MIT License" in (REPO_ROOT / "LICENSE").read_text()
    for path in project["license-files"]:
        assert (REPO_ROOT / path).is_file(), path
    assert "CC BY 4.0" in (REPO_ROOT / "trainer/datasets/README.md").read_text()
    # setuptools reads an SPDX string and license-files only from 77 on
    setuptools = [r for r in pyproject["build-system"]["requires"] if _name(r) == "setuptools"]
    assert setuptools == ["setuptools>=77"]
