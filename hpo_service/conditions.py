"""Conditional parameters: "only when" rules of a search space (stdlib only).

A parameter with ``Condition(param="n_layers", values=(2, 3))`` is *active* only when
``n_layers`` is active and its value is one of ``values``. A configuration holds exactly
its active parameters: an inactive one is absent, never null. The parent must be an
earlier categorical or int parameter, so conditions form a forest that is evaluated in
one pass in space order (no cycles by construction), and nesting is allowed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from hpo_service.errors import InvalidParams, InvalidSearchSpace

PARENT_TYPES = ("categorical", "int")


@dataclass(frozen=True)
class Condition:
    """Active only when parameter ``param`` is active and takes one of ``values``."""

    param: str
    values: tuple[Any, ...]

    def describe(self) -> str:
        """The condition as a person reads it, e.g. ``n_layers in [2, 3]``."""
        return f"{self.param} in {list(self.values)!r}"


class _Param(Protocol):
    @property
    def name(self) -> str: ...

    @property
    def type(self) -> str: ...

    @property
    def condition(self) -> Condition | None: ...

    def check(self, value: Any) -> Any: ...


def value_key(value: Any) -> tuple[str, Any]:
    """Type-aware identity of a value (so True != 1 and 1 == 1.0 for ints)."""
    return (type(value).__name__, value)


def validate(params: Sequence[_Param]) -> dict[str, frozenset[tuple[str, Any]]]:
    """Check every condition; return, per conditional parameter, its parent's allowed keys.

    Raises:
        InvalidSearchSpace: unknown or later parent, wrong parent type, or bad ``in`` list.
    """
    earlier: dict[str, _Param] = {}
    allowed: dict[str, frozenset[tuple[str, Any]]] = {}
    for param in params:
        if param.condition is not None:
            allowed[param.name] = _allowed(param, param.condition, earlier)
        earlier[param.name] = param
    return allowed


def _allowed(
    param: _Param, condition: Condition, earlier: Mapping[str, _Param]
) -> frozenset[tuple[str, Any]]:
    where = f"parameter {param.name!r}: condition {condition.param!r}"
    parent = earlier.get(condition.param)
    if parent is None:
        raise InvalidSearchSpace(
            f"{where} must name a parameter listed earlier in the space (parents come first)"
        )
    if parent.type not in PARENT_TYPES:
        raise InvalidSearchSpace(
            f"{where} names a {parent.type} parameter; only categorical or int parameters "
            "can be parents"
        )
    if not condition.values:
        raise InvalidSearchSpace(f"{where}: 'in' must list at least one value")
    keys: set[tuple[str, Any]] = set()
    for value in condition.values:
        try:
            checked = parent.check(value)
        except InvalidParams as error:
            raise InvalidSearchSpace(f"{where}: 'in' value {value!r} is invalid: {error}") from None
        if value_key(checked) in keys:
            raise InvalidSearchSpace(f"{where}: 'in' value {value!r} is repeated")
        keys.add(value_key(checked))
    return frozenset(keys)


def active_names(
    params: Sequence[_Param],
    allowed: Mapping[str, frozenset[tuple[str, Any]]],
    values: Mapping[str, Any],
) -> set[str]:
    """Names of the parameters that are active for ``values`` (one pass, parents first)."""
    active: set[str] = set()
    by_name = {p.name: p for p in params}
    for param in params:
        condition = param.condition
        if condition is None or (
            condition.param in active
            and condition.param in values
            and _matches(by_name[condition.param], values[condition.param], allowed[param.name])
        ):
            active.add(param.name)
    return active


def _matches(parent: _Param, value: Any, keys: frozenset[tuple[str, Any]]) -> bool:
    try:
        return value_key(parent.check(value)) in keys
    except InvalidParams:
        return False


def inactive_message(param: _Param, values: Mapping[str, Any]) -> str:
    """Why a given value for an inactive parameter is refused, and what to do."""
    assert param.condition is not None
    condition = param.condition
    parent = condition.param
    now = f"{parent} = {values[parent]!r}" if parent in values else f"{parent} is inactive"
    return (
        f"parameter {param.name!r} is inactive: its condition {condition.describe()} does "
        f"not hold ({now}); leave {param.name!r} out of this configuration"
    )


def check(
    params: Sequence[_Param],
    allowed: Mapping[str, frozenset[tuple[str, Any]]],
    values: Mapping[str, Any],
) -> dict[str, Any]:
    """Validate the values of the active parameters and refuse values for inactive ones.

    Raises:
        InvalidParams: a missing active parameter (all are listed), a value for an inactive
            one (naming the failing condition) or an invalid value.
    """
    checked: dict[str, Any] = {}
    missing: list[str] = []
    undecided: set[str] = set()  # missing parents and their descendants: activity unknown
    for param in params:
        condition = param.condition
        if condition is not None and condition.param in undecided:
            undecided.add(param.name)
        elif condition is not None and not (
            condition.param in checked
            and value_key(checked[condition.param]) in allowed[param.name]
        ):
            if param.name in values:
                raise InvalidParams(inactive_message(param, checked))
        elif param.name in values:
            checked[param.name] = param.check(values[param.name])
        else:
            missing.append(param.name)
            undecided.add(param.name)
    if missing:
        raise InvalidParams(f"missing values for parameters {missing}")
    return checked
