"""Time arithmetic shared by the calendar modules: UTC nanoseconds and day numbers.

Calendars hold instants as int64 UTC nanoseconds and dates as int64 days since 1970-01-01;
these helpers convert between those, ``datetime``/``pd.Timestamp`` values and exchange-local
wall times (vectorised where it matters). Internal to ``tronlab.data.calendars`` and its
sibling modules.
"""

from __future__ import annotations

import datetime
from typing import Any

import numpy as np
import pandas as pd

__all__ = [
    "MIN_INT",
    "NS",
    "NS_PER_DAY",
    "as_date",
    "day_number",
    "day_to_date",
    "local_to_utc_ns",
    "seconds_of_day",
    "to_utc_ns",
    "utc_ts",
]

NS = 1_000_000_000
NS_PER_DAY = 86_400 * NS
MIN_INT = np.iinfo(np.int64).min


def day_number(d: datetime.date) -> int:
    """``d`` as days since 1970-01-01."""
    return int(np.datetime64(d, "D").astype(np.int64))


def day_to_date(day: int) -> datetime.date:
    """The date ``day`` days after 1970-01-01."""
    return datetime.date(1970, 1, 1) + datetime.timedelta(days=int(day))


def as_date(value: Any) -> datetime.date:
    """A date from a ``date``, ISO string or ``datetime64``; a ``datetime`` raises."""
    if isinstance(value, datetime.datetime):
        raise TypeError(f"expected a date, got a datetime {value!r}; pass .date()")
    if isinstance(value, datetime.date):
        return value
    if isinstance(value, str):
        return datetime.date.fromisoformat(value)
    if isinstance(value, np.datetime64):
        return day_to_date(int(value.astype("datetime64[D]").astype(np.int64)))
    raise TypeError(f"expected a date, got {type(value).__name__}")


def local_to_utc_ns(days: np.ndarray, seconds: np.ndarray, tz: str) -> np.ndarray:
    """UTC ns of local wall times ``day + seconds`` in ``tz`` (vectorised)."""
    if len(days) == 0:
        return np.empty(0, dtype=np.int64)
    naive = days.astype(np.int64) * NS_PER_DAY + seconds.astype(np.int64) * NS
    if tz == "UTC":
        return naive
    idx = pd.DatetimeIndex(naive.view("datetime64[ns]")).tz_localize(
        tz, ambiguous="raise", nonexistent="raise"
    )
    return idx.as_unit("ns").asi8.copy()


def seconds_of_day(t: datetime.time) -> int:
    """Seconds since midnight of the wall time ``t``."""
    return t.hour * 3600 + t.minute * 60 + t.second


def to_utc_ns(timestamps: Any) -> np.ndarray:
    """int64 UTC ns of tz-aware timestamps (NaT -> int64 min); naive input raises.

    An int64 NumPy array is taken as UTC nanoseconds already.
    """
    if isinstance(timestamps, np.ndarray) and timestamps.dtype == np.int64:
        return timestamps
    if isinstance(timestamps, pd.Timestamp | datetime.datetime | str):
        timestamps = [timestamps]
    idx = (
        pd.DatetimeIndex(timestamps) if not isinstance(timestamps, pd.DatetimeIndex) else timestamps
    )
    if idx.tz is None:
        if len(idx) == 0:
            return np.empty(0, dtype=np.int64)
        raise ValueError("timestamps must be timezone-aware (UTC or exchange-local)")
    return idx.tz_convert("UTC").as_unit("ns").asi8


def utc_ts(ns: int) -> pd.Timestamp:
    """The tz-aware UTC ``pd.Timestamp`` of ``ns`` UTC nanoseconds."""
    return pd.Timestamp(ns, unit="ns", tz="UTC")
