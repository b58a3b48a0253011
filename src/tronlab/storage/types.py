"""Column types that keep the domain's exactness on every backend.

* :class:`ExactDecimal`: ``NUMERIC`` (unbounded precision) on PostgreSQL; ``TEXT`` on SQLite,
  whose ``NUMERIC`` affinity would coerce values to 8-byte floats and lose digits. Values
  come back as the very ``Decimal`` that went in (digits and exponent).
* :class:`UtcDateTime`: ``TIMESTAMP WITH TIME ZONE`` on PostgreSQL; ISO text in UTC on
  SQLite. Naive datetimes are refused; values always come back tz-aware in UTC.

The initial migration spells these storage types out explicitly (``Numeric`` with a ``Text``
variant on SQLite, ``DateTime(timezone=True)``); changing what these types emit needs a
migration.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import DateTime, Numeric, Text
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator, TypeEngine


class ExactDecimal(TypeDecorator[Decimal]):
    """A ``Decimal`` stored without any rounding; floats are refused."""

    impl = Numeric
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(Text())
        return dialect.type_descriptor(Numeric(asdecimal=True))

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        if value is None:
            return None
        if isinstance(value, bool | float):
            raise TypeError(f"refusing to store {value!r} as a Decimal: pass a Decimal")
        if isinstance(value, int):
            value = Decimal(value)
        if not isinstance(value, Decimal):
            raise TypeError(f"expected a Decimal, got {type(value).__name__}")
        if not value.is_finite():
            raise ValueError(f"refusing to store a non-finite Decimal {value}")
        return str(value) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        if value is None:
            return None
        if isinstance(value, Decimal):
            return value
        if isinstance(value, float):  # only reachable if a row was written outside the ORM
            if not math.isfinite(value):
                raise ValueError(f"non-finite number {value} in a Decimal column")
            return Decimal(repr(value))
        return Decimal(str(value))

    @property
    def python_type(self) -> type[Decimal]:
        return Decimal


class UtcDateTime(TypeDecorator[datetime]):
    """A tz-aware ``datetime``, stored in UTC; naive values raise ``ValueError``."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if not isinstance(value, datetime):
            raise TypeError(f"expected a datetime, got {type(value).__name__}")
        if value.tzinfo is None or value.tzinfo.utcoffset(value) is None:
            raise ValueError(f"refusing naive datetime {value.isoformat()}: attach a timezone")
        utc = value.astimezone(UTC)
        # SQLite has no time zone type: store naive UTC text that sorts chronologically.
        return utc.replace(tzinfo=None) if dialect.name == "sqlite" else utc

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)  # type: ignore[no-any-return]
        return value.astimezone(UTC)  # type: ignore[no-any-return]

    @property
    def python_type(self) -> type[datetime]:
        return datetime
