"""``hpo token create|list|revoke``: manage API tokens straight in the database."""

from __future__ import annotations

import argparse
from pathlib import Path

from hpo_service.access import ApiToken
from hpo_service.persistence import Database
from hpo_service.service import utc_now
from hpo_service.service.tokens import Tokens, new_secret, parse_role
from hpo_service.wire import encode_time


def _row(token: ApiToken) -> str:
    return (
        f"{token.id:>5}  {token.name[:24]:24}  {token.role.value:7}  "
        f"{(token.project or '*')[:16]:16}  {encode_time(token.created_at)}  "
        f"{encode_time(token.last_used_at) or '-'}"
    )


def run_token_command(args: argparse.Namespace, url: str) -> None:
    """Run one token subcommand against the database at ``url``."""
    from hpo_service.api import prepare_schema

    if args.token_command == "new-secret":
        print(new_secret())  # for a deployment's secret file; stored nowhere
        return
    database = Database(url)
    try:
        prepare_schema(database)
        tokens = Tokens(database, utc_now)
        if args.token_command == "create" and args.secret_file:
            secret = Path(args.secret_file).read_text().strip()
            role = parse_role(args.role)
            token, added = tokens.register(args.name, role, args.project, secret)
            state = "registered" if added else "already registered"
            print(f"token {token.id} ({token.name}, role {token.role.value}) {state}")
        elif args.token_command == "create":
            token, secret = tokens.create(args.name, parse_role(args.role), args.project)
            scope = f"project {token.project}" if token.project else "every project"
            print(f"created token {token.id} ({token.name}): role {token.role.value}, {scope}")
            print("it is shown only now; store it in a secret (clients read HPO_TOKEN):")
            print(secret)
        elif args.token_command == "list":
            print(f"{'id':>5}  {'name':24}  {'role':7}  {'project':16}  created  last used")
            for token in tokens.listing():
                print(_row(token))
        else:
            revoked = tokens.revoke(args.id)
            print(f"revoked token {revoked.id} ({revoked.name})")
    finally:
        database.dispose()
