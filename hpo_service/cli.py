"""The ``hpo`` command: ``hpo serve``, ``hpo db upgrade`` and ``hpo import``.

Server-side modules are imported when a command runs, so that an install without the
server's dependencies (``pip install hpo-service``, the client only) says what to install.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence

from hpo_service.errors import HpoError

SERVER_EXTRA = "pip install 'hpo-service[server]'"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="hpo", description="hyperparameter optimisation service")
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="run the HTTP service")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument(
        "--database-url",
        default=None,
        help="SQLAlchemy URL (default: $HPO_DATABASE_URL, else ./hpo.db)",
    )
    serve.add_argument(
        "--workers",
        type=int,
        default=0,
        help="gunicorn worker processes (0: the built-in threaded server)",
    )
    db = sub.add_parser("db", help="database schema commands")
    db_sub = db.add_subparsers(dest="db_command", required=True)
    for name, text in (
        ("upgrade", "migrate the schema to the latest revision"),
        ("current", "print the schema revision and the latest one"),
    ):
        cmd = db_sub.add_parser(name, help=text)
        cmd.add_argument("--database-url", default=None)
    from hpo_service.imports.command import add_import_parser

    add_import_parser(sub)
    return parser


def _serve(host: str, port: int, url: str, workers: int) -> None:
    from hpo_service.api import create_app, prepare_schema
    from hpo_service.persistence import Database

    if workers > 0:
        from hpo_service.gunicorn_app import run_gunicorn

        database = Database(url)  # migrate once here, before gunicorn forks its workers
        try:
            prepare_schema(database)
        finally:
            database.dispose()
        run_gunicorn(url, host, port, workers)
        return
    app = create_app({"DATABASE_URL": url})
    logging.getLogger(__name__).info("serving on http://%s:%d", host, port)
    app.run(host=host, port=port, threaded=True, use_reloader=False)


def _run(args: argparse.Namespace) -> None:
    from hpo_service.persistence import Database, default_database_url
    from hpo_service.persistence.migrate import current_revision, head_revision, upgrade

    url = args.database_url or default_database_url()
    if args.command == "serve":
        _serve(args.host, args.port, url, args.workers)
    elif args.command == "import":
        from hpo_service.imports.command import run_import

        print(run_import(args, url))
    elif args.db_command == "upgrade":
        upgrade(url)
        print(f"schema is at revision {head_revision(url)}")
    else:
        print(f"current: {current_revision(Database(url))}  head: {head_revision(url)}")


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``hpo`` console script."""
    try:
        args = _parser().parse_args(argv)  # imports the server modules (quietly: before logging)
        logging.basicConfig(
            level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
        )
        _run(args)
    except ModuleNotFoundError as exc:
        print(
            f"hpo: the server's dependencies are not installed (no module {exc.name!r}); "
            f"install them with {SERVER_EXTRA}",
            file=sys.stderr,
        )
        return 3
    except HpoError as exc:
        print(f"hpo: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
