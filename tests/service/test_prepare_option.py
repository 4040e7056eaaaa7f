"""The database URL's ``prepare_threshold`` (for PgBouncer in transaction mode; the pooled
service itself is tested in tests/deploy/test_pgbouncer.py)."""

from __future__ import annotations

import pytest

from hpo_service.cli import main
from hpo_service.persistence.database import make_engine, prepare_threshold

PG = "postgresql+psycopg://hpo:secret@db.example:5432/hpo"


@pytest.mark.parametrize(
    ("value", "threshold"),
    [("none", None), ("None", None), ("OFF", None), ("0", 0), ("12", 12)],
)
def test_the_option_becomes_psycopgs_connect_argument(value: str, threshold: int | None) -> None:
    assert prepare_threshold(f"{PG}?prepare_threshold={value}") == (
        PG,
        {"prepare_threshold": threshold},
    )


def test_other_query_options_and_the_password_stay() -> None:
    url, args = prepare_threshold(f"{PG}?application_name=hpo&prepare_threshold=none")
    assert url == f"{PG}?application_name=hpo"
    assert args == {"prepare_threshold": None}


def test_a_url_without_the_option_is_left_alone() -> None:
    assert prepare_threshold(PG) == (PG, {})
    assert prepare_threshold("sqlite:////tmp/hpo.db") == ("sqlite:////tmp/hpo.db", {})


@pytest.mark.parametrize("value", ["-1", "yes", "1.5"])
def test_a_bad_value_says_what_is_allowed(value: str) -> None:
    with pytest.raises(ValueError, match=r"must be 'none' or a whole number.*=none"):
        prepare_threshold(f"{PG}?prepare_threshold={value}")


def test_sqlite_refuses_the_option() -> None:
    with pytest.raises(ValueError, match="PostgreSQL URLs only"):
        prepare_threshold("sqlite:////tmp/hpo.db?prepare_threshold=none")


@pytest.mark.postgres
def test_the_engines_connections_carry_the_threshold(postgres_url: str) -> None:
    cases = (("", 5), ("?prepare_threshold=none", None), ("?prepare_threshold=0", 0))
    for suffix, expected in cases:
        engine = make_engine(postgres_url + suffix)
        try:
            with engine.connect() as connection:
                assert connection.connection.dbapi_connection is not None
                assert connection.connection.dbapi_connection.prepare_threshold == expected
        finally:
            engine.dispose()


def test_the_cli_names_a_bad_value(capsys: pytest.CaptureFixture[str]) -> None:
    url = "postgresql://postgres@127.0.0.1:5432/postgres?prepare_threshold=sometimes"
    assert main(["db", "upgrade", "--database-url", url]) == 2
    assert "prepare_threshold must be 'none' or a whole number" in capsys.readouterr().err
