"""Declared strategy parameters: types, defaults and search ranges, validated with clear messages.

A parameter is declared as a class attribute::

    class SmaCross(Strategy):
        fast = Param(int, 10, low=2, high=200, doc="fast SMA length (bars)")
        mode = Param(str, "trend", choices=("trend", "revert"))

The optimiser (a later issue) reads :func:`declared_params` to build its search space.
"""

from __future__ import annotations

import builtins
import difflib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar, overload

T = TypeVar("T")


class ParamError(ValueError):
    """Invalid strategy parameters; the message names every problem."""


@dataclass(frozen=True)
class Param(Generic[T]):
    """A typed strategy parameter with an optional range or choice list.

    On a strategy instance the attribute reads as the resolved value (typed ``T``); on the
    class it is the declaration itself."""

    type: builtins.type[T]
    default: T
    low: float | None = None
    high: float | None = None
    choices: Sequence[Any] | None = None
    doc: str = ""
    log: bool = False  # search on a log scale

    def __post_init__(self) -> None:
        if self.type not in (int, float, bool, str):
            raise TypeError(f"Param type must be int, float, bool or str, not {self.type!r}")
        problem = self.check(self.default)
        if problem:
            raise TypeError(f"default {self.default!r}: {problem}")

    @overload
    def __get__(self, obj: None, owner: builtins.type | None = None) -> Param[T]: ...

    @overload
    def __get__(self, obj: object, owner: builtins.type | None = None) -> T: ...

    def __get__(self, obj: object | None, owner: builtins.type | None = None) -> Param[T] | T:
        # Only reached when the instance has no value of its own (the class attribute).
        return self

    def coerce(self, value: Any) -> Any:
        """Convert CLI text (``"20"``, ``"true"``) to the declared type."""
        if isinstance(value, str) and self.type is not str:
            text = value.strip().lower()
            if self.type is bool:
                if text in {"true", "1", "yes", "on"}:
                    return True
                if text in {"false", "0", "no", "off"}:
                    return False
                raise ValueError(f"{value!r} is not a boolean (true/false)")
            convert: Any = self.type
            try:
                if convert is int and ("." in text or "e" in text):
                    number = float(text)
                    if not number.is_integer():
                        raise ValueError
                    return int(number)
                return convert(text)
            except ValueError:
                raise ValueError(f"{value!r} is not {self.type.__name__}") from None
        return value

    def check(self, value: Any) -> str | None:
        """A problem with ``value``, or ``None``."""
        if self.type is float and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if not isinstance(value, self.type) or (self.type is int and isinstance(value, bool)):
            return f"expected {self.type.__name__}, got {type(value).__name__}"
        if self.type is int and isinstance(value, float):
            return "expected an integer"
        if self.choices is not None and value not in self.choices:
            return f"must be one of {list(self.choices)}"
        if self.low is not None and value < self.low:  # type: ignore[operator]
            return f"must be >= {self.low}"
        if self.high is not None and value > self.high:  # type: ignore[operator]
            return f"must be <= {self.high}"
        return None


def declared_params(cls: type) -> dict[str, Param[Any]]:
    """Every :class:`Param` declared on ``cls`` and its bases, in definition order."""
    out: dict[str, Param[Any]] = {}
    for klass in reversed(cls.__mro__):
        for name, value in vars(klass).items():
            if isinstance(value, Param):
                out[name] = value
    return out


def resolve_params(cls: type, given: Mapping[str, Any]) -> dict[str, Any]:
    """Defaults overlaid with ``given`` (coerced and checked); raises :class:`ParamError`."""
    declared = declared_params(cls)
    problems: list[str] = []
    values = {name: p.default for name, p in declared.items()}
    for name, raw in given.items():
        param = declared.get(name)
        if param is None:
            close = difflib.get_close_matches(name, declared, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            known = ", ".join(declared) or "none"
            problems.append(f"unknown parameter {name!r}{hint} (parameters: {known})")
            continue
        try:
            value = param.coerce(raw)
        except ValueError as exc:
            problems.append(f"{name}: {exc}")
            continue
        problem = param.check(value)
        if problem:
            problems.append(f"{name}={value!r}: {problem}")
            continue
        values[name] = float(value) if param.type is float else value
    if problems:
        raise ParamError(f"{cls.__name__}: " + "; ".join(problems))
    return values


def parse_assignments(items: Sequence[str]) -> dict[str, str]:
    """``["fast=10", "slow=50"]`` -> ``{"fast": "10", "slow": "50"}`` (CLI ``--param``)."""
    out: dict[str, str] = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise ParamError(f"expected NAME=VALUE, got {item!r}")
        out[name.strip()] = value.strip()
    return out
