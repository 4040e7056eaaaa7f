"""The ``hpo`` command: serve, db upgrade|current, token create|list|revoke, import.

Server-side modules are imported when a command runs, so that an install without the
server's dependencies (``pip install hpo-service``, the client only) says what to install.
"""

from __future__ import annotations

import argparse
import ipaddress
import logging
import sys
from collections.abc import Sequence

from hpo_service.errors import HpoError

SERVER_EXTRA = "pip install 'hpo-service[server]'"

FIRST_TOKEN_COMMAND = "hpo token create --name admin --role admin"


def _database_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--database-url",
        default=None,
        help="SQLAlchemy URL (default: $HPO_DATABASE_URL, else ./hpo.db)",
    )


def at_least_one(text: str) -> int:
    """An argparse type: a whole number of at least 1 (counts of processes, threads, jobs)."""
    try:
        number = int(text)
    except ValueError:
        number = 0
    if number < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of at least 1, got {text!r}")
    return number


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="hpo", description="hyperparameter optimisation service")
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="run the HTTP service")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    _database_option(serve)
    serve.add_argument(
        "--workers",
        type=int,
        default=0,
        help="gunicorn worker processes (0: the built-in threaded server)",
    )
    serve.add_argument(
        "--threads",
        type=at_least_one,
        default=4,
        help="request threads per gunicorn worker process (default 4; see docs/deployment.md)",
    )
    serve.add_argument(
        "--auth",
        choices=["off", "required"],
        default=None,
        help="API tokens: required on any non-loopback address; on loopback off unless "
        "this or $HPO_AUTH says required",
    )
    serve.add_argument(
        "--allowed-host",
        action="append",
        default=None,
        help="a name clients use to reach the service (Host header); repeatable; "
        "default $HPO_ALLOWED_HOSTS; loopback names are always allowed; '*' allows any",
    )
    db = sub.add_parser("db", help="database schema commands")
    db_sub = db.add_subparsers(dest="db_command", required=True)
    for name, text in (
        ("upgrade", "migrate the schema to the latest revision"),
        ("current", "print the schema revision and the latest one"),
    ):
        _database_option(db_sub.add_parser(name, help=text))
    _token_parser(sub.add_parser("token", help="API tokens: create, list, revoke"))
    from hpo_service.imports.command import add_import_parser

    add_import_parser(sub)
    return parser


def _token_parser(token: argparse.ArgumentParser) -> None:
    token_sub = token.add_subparsers(dest="token_command", required=True)
    create = token_sub.add_parser("create", help="create a token; it is printed once, last")
    create.add_argument("--name", required=True, help="who or what uses it (e.g. ci, worker-1)")
    create.add_argument("--role", required=True, choices=["reader", "worker", "editor", "admin"])
    create.add_argument("--project", default=None, help="confine it to one project")
    create.add_argument(
        "--secret-file",
        default=None,
        help="register the secret in this file (from `hpo token new-secret`) instead of "
        "making one; does nothing if it is already registered",
    )
    _database_option(create)
    token_sub.add_parser("new-secret", help="print a fresh random secret for --secret-file")
    _database_option(token_sub.add_parser("list", help="list active tokens (never secrets)"))
    revoke = token_sub.add_parser("revoke", help="revoke a token at once")
    revoke.add_argument("id", type=int)
    _database_option(revoke)


def is_loopback(host: str) -> bool:
    """True for 127.0.0.0/8, ::1 and localhost."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def serve_auth_mode(host: str, requested: str | None) -> str:
    """The auth mode to serve with; refuses auth off on an address others can reach."""
    from hpo_service.api import auth_mode

    if requested is None and not is_loopback(host):
        return "required"
    mode = auth_mode(requested)
    if mode == "off" and not is_loopback(host):
        raise HpoError(f"authentication cannot be off when listening on {host}; drop --auth off")
    return mode


def _check_tokens_exist(url: str, host: str) -> None:
    from hpo_service.api import prepare_schema
    from hpo_service.persistence import Database
    from hpo_service.service import utc_now
    from hpo_service.service.tokens import Tokens

    database = Database(url)
    try:
        prepare_schema(database)
        if Tokens(database, utc_now).any_active():
            return
    finally:
        database.dispose()
    raise HpoError(
        f"refusing to serve on {host} with authentication required: no API token exists yet.\n"
        f"Create the first admin token (same --database-url or HPO_DATABASE_URL) with:\n\n"
        f"    {FIRST_TOKEN_COMMAND}\n\n"
        "then start again; clients send it as `Authorization: Bearer <token>` (HPO_TOKEN)."
    )


def _serve(args: argparse.Namespace, url: str) -> None:
    from hpo_service.api import create_app, prepare_schema
    from hpo_service.persistence import Database

    mode = serve_auth_mode(args.host, args.auth)
    if mode == "required":
        _check_tokens_exist(url, args.host)
    config = {"DATABASE_URL": url, "AUTH": mode}
    if args.allowed_host:
        config["ALLOWED_HOSTS"] = ",".join(args.allowed_host)
    if args.workers > 0:
        from hpo_service.gunicorn_app import run_gunicorn

        database = Database(url)  # migrate once here, before gunicorn forks its workers
        try:
            prepare_schema(database)
        finally:
            database.dispose()
        run_gunicorn(config, args.host, args.port, args.workers, args.threads)
        return
    app = create_app(config)
    logging.getLogger(__name__).info(
        "serving on http://%s:%d (auth %s)", args.host, args.port, mode
    )
    app.run(host=args.host, port=args.port, threaded=True, use_reloader=False)


def _run(args: argparse.Namespace) -> None:
    from hpo_service.persistence import Database, default_database_url
    from hpo_service.persistence.migrate import current_revision, head_revision, upgrade

    url = getattr(args, "database_url", None) or default_database_url()
    if args.command == "serve":
        _serve(args, url)
    elif args.command == "token":
        from hpo_service.token_cli import run_token_command

        run_token_command(args, url)
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
    except (HpoError, ValueError) as exc:
        print(f"hpo: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
