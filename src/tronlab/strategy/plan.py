"""The daily plan and the regime table it is drawn from.

A :class:`RegimeTable` says, for each market regime (see :mod:`tronlab.strategy.selector`),
which strategies trade (with parameter overrides and a risk budget each: a fraction of the
account's equity) and in which direction. The packaged table is
``tronlab/strategy/data/regimes.yaml``; a table of your own has the same shape::

    name: my-table
    regimes:
      trending_calm:
        direction: trend          # long | short | both | trend (follow +DI / -DI)
        note: breakouts follow through on quiet trend days
        strategies:
          - {name: orb, risk: 0.5, params: {quantity: 50}}
          - {name: vwap, id: vwap_tight, risk: 0.3}   # id: a second copy of one strategy
      ...                         # every regime of REGIMES must be present

A :class:`DailyPlan` is the selector's decision for one day: the regime, the measured inputs,
the chosen strategies with their parameters and risk budgets, the direction bias and an
explanation in words and numbers. ``to_dict``/``from_dict`` give its JSON form (stored in
the ``daily_plans`` table by :mod:`tronlab.storage.plans`).
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from tronlab.strategy.params import ParamError, resolve_params

#: The regimes a selector can return, in table order.
TRENDING_CALM = "trending_calm"
TRENDING_VOLATILE = "trending_volatile"
RANGING_CALM = "ranging_calm"
RANGING_VOLATILE = "ranging_volatile"
STAND_ASIDE = "stand_aside"
REGIMES: tuple[str, ...] = (
    TRENDING_CALM,
    TRENDING_VOLATILE,
    RANGING_CALM,
    RANGING_VOLATILE,
    STAND_ASIDE,
)

#: Direction biases of a plan; a table rule may also say ``trend``.
DIRECTIONS: tuple[str, ...] = ("long", "short", "both")
RULE_DIRECTIONS: tuple[str, ...] = (*DIRECTIONS, "trend")

_PACKAGED = ("data", "regimes.yaml")
_ID = re.compile(r"^[A-Za-z0-9_.-]+$")


class PlanError(ValueError):
    """A malformed regime table or plan document; the message names the key."""


@dataclass(frozen=True)
class Allocation:
    """One strategy of a regime rule: which one, under which child id, with what."""

    name: str  # registered strategy name
    id: str  # child id (its orders' strategy id); the name unless the table gives one
    risk: float  # risk budget: fraction of equity its position may reach, (0, 1]
    params: Mapping[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "id": self.id, "risk": self.risk, "params": dict(self.params)}


@dataclass(frozen=True)
class RegimeRule:
    """What to do in one regime."""

    regime: str
    direction: str
    strategies: tuple[Allocation, ...] = ()
    note: str = ""


@dataclass(frozen=True)
class RegimeTable:
    """Regime -> rule, for every regime of :data:`REGIMES`."""

    rules: Mapping[str, RegimeRule]
    name: str = "default"
    source: str = "<table>"

    def rule(self, regime: str) -> RegimeRule:
        try:
            return self.rules[regime]
        except KeyError:
            raise PlanError(f"{self.source}: no rule for regime {regime!r}") from None

    def allocations(self) -> dict[str, Allocation]:
        """Every distinct child (by id) of every rule, in table order."""
        out: dict[str, Allocation] = {}
        for regime in REGIMES:
            for alloc in self.rules[regime].strategies:
                out.setdefault(alloc.id, alloc)
        return out

    def problems(self) -> list[str]:
        """Strategies that are not registered or whose parameters do not resolve."""
        from tronlab.strategy.registry import available_strategies

        known = available_strategies()
        out: list[str] = []
        for alloc in self.allocations().values():
            cls = known.get(alloc.name)
            if cls is None:
                out.append(
                    f"{self.source}: strategy {alloc.name!r} is not registered "
                    f"(available: {', '.join(known)})"
                )
                continue
            try:
                resolve_params(cls, alloc.params)
            except ParamError as exc:
                out.append(f"{self.source}: {alloc.id}: {exc}")
        return out

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "regimes": {
                r: {
                    "direction": rule.direction,
                    "note": rule.note,
                    "strategies": [a.to_dict() for a in rule.strategies],
                }
                for r, rule in self.rules.items()
            },
        }

    @classmethod
    def from_dict(cls, data: Any, source: str = "<table>") -> RegimeTable:
        """Validate a parsed table document; every problem is a :class:`PlanError`."""
        if not isinstance(data, Mapping):
            raise PlanError(f"{source}: a regime table is a mapping with 'regimes'")
        _no_extra(data, {"name", "regimes"}, source)
        name = data.get("name", "default")
        if not isinstance(name, str) or not name:
            raise PlanError(f"{source}: 'name' must be a non-empty string")
        regimes = data.get("regimes")
        if not isinstance(regimes, Mapping):
            raise PlanError(f"{source}: 'regimes' must map each regime to its rule")
        unknown = sorted(set(map(str, regimes)) - set(REGIMES))
        if unknown:
            raise PlanError(f"{source}: unknown regime(s) {unknown} (regimes: {list(REGIMES)})")
        missing = [r for r in REGIMES if r not in regimes]
        if missing:
            raise PlanError(f"{source}: no rule for regime(s) {missing}")
        rules = {r: _rule(r, regimes[r], f"{source}: regimes.{r}") for r in REGIMES}
        seen: dict[str, tuple[str, Allocation]] = {}
        for regime, rule in rules.items():
            for alloc in rule.strategies:
                first = seen.setdefault(alloc.id, (regime, alloc))
                if (first[1].name, dict(first[1].params)) != (alloc.name, dict(alloc.params)):
                    raise PlanError(
                        f"{source}: id {alloc.id!r} means {first[1].name} {dict(first[1].params)} "
                        f"in {first[0]} but {alloc.name} {dict(alloc.params)} in {regime}; "
                        "give one of them its own 'id'"
                    )
        return cls(rules=rules, name=name, source=source)


def _no_extra(data: Mapping[str, Any], allowed: set[str], where: str) -> None:
    extra = sorted(set(map(str, data)) - allowed)
    if extra:
        raise PlanError(f"{where}: unknown key(s) {extra} (allowed: {sorted(allowed)})")


def _rule(regime: str, data: Any, where: str) -> RegimeRule:
    if not isinstance(data, Mapping):
        raise PlanError(f"{where}: a rule is a mapping with 'direction' and 'strategies'")
    _no_extra(data, {"direction", "strategies", "note"}, where)
    direction = data.get("direction", "both")
    if direction not in RULE_DIRECTIONS:
        raise PlanError(f"{where}.direction: {direction!r} is not one of {list(RULE_DIRECTIONS)}")
    items = data.get("strategies") or []
    if not isinstance(items, list):
        raise PlanError(f"{where}.strategies: expected a list")
    allocs = tuple(_allocation(item, f"{where}.strategies[{n}]") for n, item in enumerate(items))
    ids = [a.id for a in allocs]
    dupes = sorted({i for i in ids if ids.count(i) > 1})
    if dupes:
        raise PlanError(f"{where}: id(s) {dupes} appear twice; give each copy its own 'id'")
    total = sum(a.risk for a in allocs)
    if total > 1.0 + 1e-9:
        raise PlanError(f"{where}: risk budgets add up to {total:g} (at most 1)")
    return RegimeRule(regime, str(direction), allocs, str(data.get("note", "")))


def _allocation(data: Any, where: str) -> Allocation:
    if not isinstance(data, Mapping):
        raise PlanError(f"{where}: expected {{name: ..., risk: ...}}")
    _no_extra(data, {"name", "id", "risk", "params"}, where)
    name = data.get("name")
    if not isinstance(name, str) or not name:
        raise PlanError(f"{where}.name: a registered strategy name is required")
    ident = data.get("id", name)
    if not isinstance(ident, str) or not _ID.match(ident):
        raise PlanError(f"{where}.id: {ident!r} must be letters, digits, '_', '.' or '-'")
    risk = data.get("risk")
    if isinstance(risk, bool) or not isinstance(risk, int | float) or not 0 < risk <= 1:
        raise PlanError(f"{where}.risk: {risk!r} must be a fraction of equity in (0, 1]")
    params = data.get("params") or {}
    if not isinstance(params, Mapping):
        raise PlanError(f"{where}.params: expected a mapping of parameter names to values")
    return Allocation(name, ident, float(risk), {str(k): v for k, v in params.items()})


def parse_regime_table(text: str, source: str = "<table>") -> RegimeTable:
    """Parse and validate table YAML ``text``; errors name ``source``."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise PlanError(f"{source}: not valid YAML: {exc}") from None
    return RegimeTable.from_dict(data, source)


@functools.cache
def default_regime_table() -> RegimeTable:
    """The packaged ``strategy/data/regimes.yaml``, parsed once."""
    ref = resources.files("tronlab.strategy").joinpath(*_PACKAGED)
    return parse_regime_table(ref.read_text(encoding="utf-8"), "tronlab:" + "/".join(_PACKAGED))


def load_regime_table(path: str | Path | None = None) -> RegimeTable:
    """The table at ``path``, or the packaged one when ``path`` is empty."""
    if path is None or str(path) == "":
        return default_regime_table()
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as exc:
        raise PlanError(f"{p}: cannot read regime table: {exc}") from None
    return parse_regime_table(text, str(p))


# --------------------------------------------------------------------------------------------
# The plan
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PlannedStrategy:
    """A strategy chosen for the day: its child id, registered name, parameters, budget."""

    id: str
    name: str
    params: Mapping[str, Any]
    risk_budget: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "params": dict(self.params),
            "risk_budget": self.risk_budget,
        }


@dataclass(frozen=True)
class DailyPlan:
    """One day's decision: what trades, in which direction, with how much, and why."""

    date: date
    symbol: str
    regime: str
    direction: str
    strategies: tuple[PlannedStrategy, ...]
    inputs: Mapping[str, Any]
    explanation: str
    name: str = "default"

    def __post_init__(self) -> None:
        if self.regime not in REGIMES:
            raise PlanError(f"regime {self.regime!r} is not one of {list(REGIMES)}")
        if self.direction not in DIRECTIONS:
            raise PlanError(f"direction {self.direction!r} is not one of {list(DIRECTIONS)}")

    @property
    def strategy_ids(self) -> tuple[str, ...]:
        return tuple(s.id for s in self.strategies)

    @property
    def total_risk(self) -> float:
        return sum(s.risk_budget for s in self.strategies)

    def budget(self, strategy_id: str) -> float | None:
        """The risk budget of a chosen strategy, ``None`` when it is not chosen."""
        for s in self.strategies:
            if s.id == strategy_id:
                return s.risk_budget
        return None

    def to_dict(self) -> dict[str, Any]:
        """JSON-native values only (NaN and infinities become ``None``)."""
        return {
            "date": self.date.isoformat(),
            "name": self.name,
            "symbol": self.symbol,
            "regime": self.regime,
            "direction": self.direction,
            "strategies": [s.to_dict() for s in self.strategies],
            "inputs": {k: _json_value(v) for k, v in self.inputs.items()},
            "explanation": self.explanation,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> DailyPlan:
        try:
            return cls(
                date=date.fromisoformat(str(data["date"])),
                symbol=str(data["symbol"]),
                regime=str(data["regime"]),
                direction=str(data["direction"]),
                strategies=tuple(
                    PlannedStrategy(
                        id=str(s["id"]),
                        name=str(s["name"]),
                        params=dict(s.get("params") or {}),
                        risk_budget=float(s["risk_budget"]),
                    )
                    for s in data.get("strategies") or []
                ),
                inputs=dict(data.get("inputs") or {}),
                explanation=str(data.get("explanation", "")),
                name=str(data.get("name", "default")),
            )
        except (KeyError, TypeError, ValueError) as exc:
            if isinstance(exc, PlanError):
                raise
            raise PlanError(f"not a daily plan document: {type(exc).__name__}: {exc}") from None


def _json_value(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if hasattr(value, "item") and not isinstance(value, str | bytes):  # numpy scalars
        return _json_value(value.item())
    return value
