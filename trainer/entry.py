"""The ``hpo-trainer`` console script: says which extra to install if the ML stack is missing."""

from __future__ import annotations

import sys
from collections.abc import Sequence

TRAINER_EXTRA = "pip install 'hpo-service[trainer]'"


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``trainer.cli.main``, or explain what to install when its imports fail."""
    try:
        from trainer.cli import main as run
    except ModuleNotFoundError as exc:
        print(
            f"hpo-trainer: the trainer's dependencies are not installed (no module "
            f"{exc.name!r}); install them with {TRAINER_EXTRA} (`demo` also needs [server])",
            file=sys.stderr,
        )
        return 3
    return run(argv)


if __name__ == "__main__":
    sys.exit(main())
