"""Strict JSON parsing of request bodies: only what every database can store, the same way.

Python's json module accepts NaN, Infinity, numbers that overflow to infinity, integers
of any size and nesting deep enough to exhaust the stack; SQLite would store some of
those (and then emit invalid JSON) while PostgreSQL refuses others. Everything outside
portable JSON is refused here, before any use case runs, with one answer on every backend.
"""

from __future__ import annotations

import json
import math
from typing import Any

from hpo_service.errors import InvalidRequest, InvalidValue, MalformedRequest

MAX_DEPTH = 32
INT_LIMIT = 2**63  # integers must fit a signed 64-bit column


VALUE_HINT = (
    "; to record a diverged trial, report it as failed instead (POST .../fail with a reason)"
)


class _NonFinite(ValueError):
    """A number the body cannot hold: NaN, Infinity, or a literal that overflows a double."""


def _no_constant(name: str) -> float:
    raise _NonFinite(f"{name} is not finite (and not JSON)")


def _finite_float(text: str) -> float:
    number = float(text)
    if not math.isfinite(number):
        raise _NonFinite(f"the number {text[:40]} does not fit in a double (it is not finite)")
    return number


def _bounded_int(text: str) -> int:
    if len(text) > 20:
        raise InvalidRequest(f"the integer {text[:24]}... is out of range (|n| < 2**63)")
    number = int(text)
    if not -INT_LIMIT <= number < INT_LIMIT:
        raise InvalidRequest(f"the integer {text} is out of range: integers must be below 2**63")
    return number


def parse_json(raw: bytes, carries_values: bool = False) -> Any:
    """Decode a body strictly; raise MalformedRequest or InvalidRequest saying why.

    A non-finite number is InvalidValue (with the hint to fail the trial instead) in a body
    that carries objective values (``carries_values``), InvalidRequest anywhere else."""
    try:
        body = json.loads(
            raw,
            parse_constant=_no_constant,
            parse_float=_finite_float,
            parse_int=_bounded_int,
        )
    except RecursionError as exc:
        raise MalformedRequest(
            f"the body is nested too deeply (at most {MAX_DEPTH} levels)"
        ) from exc
    except _NonFinite as exc:
        if carries_values:
            raise InvalidValue(f"{exc}{VALUE_HINT}") from exc
        raise InvalidRequest(f"{exc}: JSON numbers must be finite") from exc
    except (ValueError, UnicodeDecodeError) as exc:
        raise MalformedRequest(f"the body is not valid JSON: {exc}") from exc
    check_tree(body)
    return body


def _check_text(text: str, where: str) -> None:
    if "\x00" in text:
        raise InvalidRequest(f"{where}: NUL characters (\\u0000) are not allowed in text")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise InvalidRequest(f"{where}: text must be valid Unicode (no lone surrogates)") from exc


def check_tree(body: Any) -> None:
    """Refuse nesting deeper than MAX_DEPTH and text with NUL or lone surrogates."""
    stack: list[tuple[Any, int, str]] = [(body, 0, "body")]
    while stack:
        node, depth, where = stack.pop()
        if isinstance(node, str):
            _check_text(node, where)
        elif isinstance(node, dict | list):
            if depth >= MAX_DEPTH:
                raise MalformedRequest(
                    f"the body is nested too deeply (at most {MAX_DEPTH} levels)"
                )
            items = node.items() if isinstance(node, dict) else enumerate(node)
            for key, value in items:
                if isinstance(key, str):
                    _check_text(key, f"{where}/{key[:40]!r}")
                stack.append((value, depth + 1, f"{where}/{key}"))
