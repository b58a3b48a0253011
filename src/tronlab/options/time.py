"""Time to expiry for option pricing: calendar time to the expiry-day close.

NSE index options expire at the normal market close, **15:30 IST**, on the expiry date
(interfaces.md 1.11 and 6). ``T`` is measured in calendar time, ``seconds / (365·86400)``,
and floored at ``floor_minutes`` (1 minute by default) so that an option in its last minute
still has a finite, positive ``T``. Weekends and holidays count in full (calendar time, not
trading time), which is the convention NSE and most desks quote.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo

import numpy as np

from tronlab.options.pricing import DAYS_PER_YEAR, FloatArray

IST = "Asia/Kolkata"
"""The exchange time zone of NSE/BSE."""

NSE_CLOSE = time(15, 30)
"""Expiry instant on the expiry date: the F&O normal-market close."""

SECONDS_PER_YEAR = DAYS_PER_YEAR * 86_400.0
"""Seconds in a (365-day) year."""

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_US = timedelta(microseconds=1)


def expiry_instant(expiry_date: date, tz: str = IST, close: time = NSE_CLOSE) -> datetime:
    """The aware datetime at which a contract expiring on ``expiry_date`` expires
    (``close`` in ``tz``; 15:30 IST by default). An aware ``datetime`` is returned as is."""
    if isinstance(expiry_date, datetime):
        if expiry_date.tzinfo is None:
            raise ValueError("an expiry datetime must be timezone-aware")
        return expiry_date
    return datetime.combine(expiry_date, close, tzinfo=ZoneInfo(tz))


def _micros_of_datetime(value: datetime) -> int:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"naive datetime {value!r}: pass a timezone-aware datetime")
    return (value - _EPOCH) // _US


def _now_micros(now: Any) -> tuple[np.ndarray[Any, np.dtype[np.int64]], bool]:
    """Microseconds since the epoch (UTC) and whether the input was a scalar.

    ``numpy.datetime64`` values have no time zone and are read as UTC."""
    if isinstance(now, datetime):
        return np.asarray(_micros_of_datetime(now), dtype=np.int64), True
    if isinstance(now, np.datetime64):
        return np.asarray(now.astype("datetime64[us]").astype(np.int64)), True
    arr = np.asarray(now)
    if np.issubdtype(arr.dtype, np.datetime64):
        return arr.astype("datetime64[us]").astype(np.int64), False
    items = list(now) if isinstance(now, Iterable) else [now]
    out = np.empty(len(items), dtype=np.int64)
    for i, item in enumerate(items):
        if not isinstance(item, datetime):
            raise TypeError(f"now: expected datetimes, got {type(item).__name__}")
        out[i] = _micros_of_datetime(item)
    return out.reshape(arr.shape), False


def _expiry_micros(
    expiry: Any, tz: str, close: time
) -> tuple[np.ndarray[Any, np.dtype[np.int64]], bool]:
    """Microseconds since the epoch (UTC) of each expiry instant, and whether scalar."""
    if isinstance(expiry, date):
        return np.asarray(_micros_of_datetime(expiry_instant(expiry, tz, close))), True
    arr = np.asarray(expiry)
    if np.issubdtype(arr.dtype, np.datetime64):
        if arr.dtype != np.dtype("datetime64[D]"):
            raise TypeError("expiry datetime64 arrays must be dates (datetime64[D])")
        arr = arr.astype(object)
    flat = arr.ravel().tolist() if arr.ndim else [arr.item()]
    cache: dict[date, int] = {}
    out = np.empty(len(flat), dtype=np.int64)
    for i, item in enumerate(flat):
        if not isinstance(item, date):
            raise TypeError(f"expiry: expected dates, got {type(item).__name__}")
        if item not in cache:
            cache[item] = _micros_of_datetime(expiry_instant(item, tz, close))
        out[i] = cache[item]
    return out.reshape(arr.shape), arr.ndim == 0


def year_fraction(
    now: Any,
    expiry_date: Any,
    tz: str = IST,
    close: time = NSE_CLOSE,
    floor_minutes: float = 1.0,
    expired: Literal["nan", "floor", "raise"] = "nan",
) -> float | FloatArray:
    """Calendar-time years from ``now`` to the expiry instant (``close`` in ``tz`` on
    ``expiry_date``), ``seconds / (365·86400)``, floored at ``floor_minutes``.

    ``now``: a timezone-aware ``datetime`` (a naive one raises ``ValueError``), a sequence of
    them, or a ``numpy.datetime64`` array (read as UTC). ``expiry_date``: a ``date``, an aware
    ``datetime`` (taken as the exact expiry instant), a sequence of them, or a
    ``datetime64[D]`` array. The two broadcast; scalars give a ``float``.

    Up to and including the expiry instant the result is at least ``floor_minutes``. After
    it the contract has expired: ``expired="nan"`` (default) gives NaN, ``"floor"`` the floor,
    ``"raise"`` a ``ValueError``.
    """
    now_us, now_scalar = _now_micros(now)
    exp_us, exp_scalar = _expiry_micros(expiry_date, tz, close)
    remaining = (exp_us - now_us).astype(np.float64) / 1e6  # seconds, broadcast
    floor = max(float(floor_minutes), 0.0) * 60.0
    past = remaining < 0
    if expired == "raise" and np.any(past):
        raise ValueError("expiry is in the past (the contract has expired)")
    years = np.maximum(remaining, floor) / SECONDS_PER_YEAR
    if expired == "nan":
        years = np.where(past, np.nan, years)
    if now_scalar and exp_scalar:
        return float(years)
    out: FloatArray = np.asarray(years, dtype=np.float64)
    return out


def days_to_years(days: Any) -> float | FloatArray:
    """Calendar days to years (``days / 365``); arrays in, arrays out."""
    if isinstance(days, int | float):
        return float(days) / DAYS_PER_YEAR
    out: FloatArray = np.asarray(days, dtype=np.float64) / DAYS_PER_YEAR
    return out
