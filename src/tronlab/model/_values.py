"""Private helpers that check and normalise the primitive values of the domain model.

Every public value type funnels its fields through these functions so the rules are the same
everywhere: Decimals are finite, floats are refused for money, timestamps are tz-aware and
held in UTC, and accounting arithmetic is exact or fails loudly.
"""

from __future__ import annotations

import dataclasses
import decimal
from datetime import UTC, date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any, TypeVar

from tronlab.model.errors import ValidationError

E = TypeVar("E", bound=Enum)
D = TypeVar("D")

ZERO = Decimal(0)
ONE = Decimal(1)

#: Context for accounting arithmetic (add, subtract, multiply). 60 significant digits hold
#: any realistic cash flow exactly; should an operation ever need rounding, ``Inexact`` is
#: trapped so a silent error in the ledger becomes a loud one.
EXACT = decimal.Context(
    prec=60,
    rounding=decimal.ROUND_HALF_EVEN,
    traps=[decimal.InvalidOperation, decimal.DivisionByZero, decimal.Overflow, decimal.Inexact],
)

#: Context for the few divisions the model makes (average prices, pro-rata cost release,
#: tick arithmetic). Results are rounded, never trapped; callers keep the books exact by
#: deriving every booked amount from the rounded quotient (see ``positions``).
DIVISION = decimal.Context(
    prec=40,
    rounding=decimal.ROUND_HALF_EVEN,
    traps=[decimal.InvalidOperation, decimal.DivisionByZero, decimal.Overflow],
)


def to_decimal(value: object, name: str) -> Decimal:
    """Return ``value`` as a finite :class:`~decimal.Decimal` or raise ``ValidationError``.

    ``int`` is accepted and converted; ``float`` and ``bool`` are refused because a binary
    float cannot represent most prices exactly.
    """
    if type(value) is Decimal and value.is_finite():  # the common case, checked first
        return value
    if isinstance(value, bool):
        raise ValidationError(f"{name} must be a Decimal, got bool", code="TYPE")
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        raise ValidationError(
            f"{name} must be a Decimal, got float {value!r}; use Decimal(str(x))", code="TYPE"
        )
    if not isinstance(value, Decimal):
        raise ValidationError(f"{name} must be a Decimal, got {type(value).__name__}", code="TYPE")
    if not value.is_finite():
        raise ValidationError(f"{name} must be finite, got {value}", code="NOT_FINITE")
    return value


def positive(value: object, name: str) -> Decimal:
    """Return ``value`` as a finite Decimal that is strictly greater than zero."""
    d = to_decimal(value, name)
    if d <= 0:
        raise ValidationError(f"{name} must be > 0, got {d}", code="NOT_POSITIVE")
    return d


def non_negative(value: object, name: str) -> Decimal:
    """Return ``value`` as a finite Decimal that is zero or greater."""
    d = to_decimal(value, name)
    if d < 0:
        raise ValidationError(f"{name} must be >= 0, got {d}", code="NEGATIVE")
    return d


def optional_positive(value: object, name: str) -> Decimal | None:
    """Like :func:`positive` but passes ``None`` through."""
    return None if value is None else positive(value, name)


def aware_utc(value: object, name: str) -> datetime:
    """Return ``value`` converted to UTC; refuse naive datetimes and non-datetimes."""
    if type(value) is datetime and value.tzinfo is UTC:  # already what we keep
        return value
    if not isinstance(value, datetime):
        raise ValidationError(f"{name} must be a datetime, got {type(value).__name__}", code="TYPE")
    if value.tzinfo is None or value.tzinfo.utcoffset(value) is None:
        raise ValidationError(
            f"{name} must be timezone-aware, got naive {value.isoformat()}", code="NAIVE_DATETIME"
        )
    return value.astimezone(UTC)


def plain_date(value: object, name: str) -> date:
    """Return ``value`` if it is a ``date`` (and not a ``datetime``)."""
    if isinstance(value, datetime) or not isinstance(value, date):
        raise ValidationError(f"{name} must be a date, got {type(value).__name__}", code="TYPE")
    return value


def non_empty_str(value: object, name: str) -> str:
    """Return ``value`` if it is a non-blank string without surrounding whitespace."""
    if not isinstance(value, str):
        raise ValidationError(f"{name} must be a str, got {type(value).__name__}", code="TYPE")
    if not value or value.strip() != value:
        raise ValidationError(
            f"{name} must be non-empty without surrounding whitespace, got {value!r}",
            code="BAD_STRING",
        )
    return value


def is_multiple(value: Decimal, step: Decimal) -> bool:
    """Whether ``value`` is an exact integer multiple of ``step`` (``step`` > 0)."""
    try:
        return DIVISION.remainder(value, step) == 0
    except decimal.InvalidOperation:
        # The integer quotient needs more digits than the context holds: treat as off-grid
        # rather than guess. Only absurd magnitudes get here.
        return False


def ratio(numerator: Decimal, denominator: Decimal) -> Decimal:
    """``numerator / denominator`` rounded to 40 significant digits (half-even)."""
    return DIVISION.divide(numerator, denominator)


def as_enum(cls: type[E], value: object, name: str) -> E:
    """Return ``value`` as a member of ``cls`` (members and their values are accepted)."""
    if type(value) is cls:
        return value
    try:
        return cls(value)
    except ValueError:
        allowed = ", ".join(str(m.value) for m in cls)
        raise ValidationError(
            f"{name} must be one of {allowed}; got {value!r}", code="BAD_ENUM"
        ) from None


_FIELDS: dict[type, tuple[str, ...]] = {}


def _field_names(cls: type) -> tuple[str, ...]:
    names = _FIELDS.get(cls)
    if names is None:
        names = _FIELDS[cls] = tuple(f.name for f in dataclasses.fields(cls))
    return names


def evolve(obj: D, **changes: Any) -> D:
    """``dataclasses.replace`` without ``__post_init__``.

    Only for the model's own hot paths, with values that are valid by construction (derived
    from already-validated fields with exact arithmetic): it skips ``__post_init__``, which
    would re-check every field.
    """
    cls = type(obj)
    new = object.__new__(cls)
    setter = object.__setattr__
    for name in _field_names(cls):
        setter(new, name, changes[name] if name in changes else getattr(obj, name))
    return new
