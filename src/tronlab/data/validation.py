"""Row-level quality checks for imported bars: issue codes, :class:`RowIssue` and vectorised checks.

Every check takes whole columns (NumPy arrays) and returns a boolean mask of offending rows;
Python-level work happens only for the offending rows, to word their messages.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, time
from enum import StrEnum
from typing import Any, Protocol

import numpy as np
import pandas as pd

from tronlab.data.bars import Timeframe

__all__ = [
    "EXTENDED_HOURS",
    "SESSION_MODES",
    "CalendarLike",
    "IssueCode",
    "RowIssue",
    "Severity",
    "daily_misaligned",
    "duplicate_and_order",
    "fmt_number",
    "intraday_misaligned",
    "ohlc_inconsistent",
    "outside_session",
    "price_jumps",
]


class Severity(StrEnum):
    ERROR = "error"  # the row is not imported
    WARNING = "warning"  # the row is imported and reported
    INFO = "info"  # about the file, not a row


class IssueCode(StrEnum):
    FIELD_COUNT = "FIELD_COUNT"
    BAD_TIMESTAMP = "BAD_TIMESTAMP"
    NAIVE_TIMESTAMP = "NAIVE_TIMESTAMP"
    BAD_NUMBER = "BAD_NUMBER"
    MISSING_VALUE = "MISSING_VALUE"
    NEGATIVE_PRICE = "NEGATIVE_PRICE"
    ZERO_PRICE = "ZERO_PRICE"
    NEGATIVE_VOLUME = "NEGATIVE_VOLUME"
    OHLC_INCONSISTENT = "OHLC_INCONSISTENT"
    DUPLICATE_TIMESTAMP = "DUPLICATE_TIMESTAMP"
    OUT_OF_ORDER = "OUT_OF_ORDER"
    MISALIGNED = "MISALIGNED"
    OUTSIDE_SESSION = "OUTSIDE_SESSION"
    NOT_A_SESSION = "NOT_A_SESSION"
    PRICE_JUMP = "PRICE_JUMP"
    EXTRA_COLUMNS = "EXTRA_COLUMNS"

    @property
    def severity(self) -> Severity:
        if self is IssueCode.PRICE_JUMP:
            return Severity.WARNING
        if self is IssueCode.EXTRA_COLUMNS:
            return Severity.INFO
        return Severity.ERROR


@dataclass(frozen=True)
class RowIssue:
    """One finding about one row (``line`` is the physical line in the file, header = 1)."""

    file: str
    line: int
    code: str
    message: str
    raw: str
    severity: str = Severity.ERROR

    @property
    def is_error(self) -> bool:
        return self.severity == Severity.ERROR

    def to_dict(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "line": self.line,
            "code": str(self.code),
            "severity": str(self.severity),
            "message": self.message,
            "raw": self.raw,
        }


class CalendarLike(Protocol):
    """The part of ``tronlab.data.calendars.TradingCalendar`` the checks use."""

    @property
    def name(self) -> str: ...

    @property
    def tz(self) -> Any: ...

    def in_session_mask(self, timestamps: pd.DatetimeIndex) -> np.ndarray: ...

    def session_dates_mask(self, timestamps: pd.DatetimeIndex) -> np.ndarray: ...

    def is_session(self, day: date) -> bool: ...

    def sessions(self, start: date, end: date) -> list[Any]: ...


SESSION_MODES = ("regular", "extended", "any")

# Local trading windows accepted by session="extended" on session days, besides the regular
# session itself (pre-/post-market).
EXTENDED_HOURS: dict[str, tuple[time, time]] = {
    "NYSE": (time(4, 0), time(20, 0)),
    "NSE": (time(9, 0), time(16, 0)),
}

_NS_PER_DAY = 86_400 * 10**9


# ---------------------------------------------------------------------- value checks


def ohlc_inconsistent(
    o: np.ndarray, h: np.ndarray, low: np.ndarray, c: np.ndarray
) -> tuple[np.ndarray, list[str]]:
    """Rows violating ``low <= min(open, close)``, ``high >= max(open, close)``, ``low <= high``.

    Rows with a non-finite price are not judged here (they carry their own issue).
    Returns the mask and one message per offending row, in row order.
    """
    finite = np.isfinite(o) & np.isfinite(h) & np.isfinite(low) & np.isfinite(c)
    with np.errstate(invalid="ignore"):
        lo_bad = low > np.minimum(o, c)
        hi_bad = h < np.maximum(o, c)
        inv = low > h
    mask = finite & (lo_bad | hi_bad | inv)
    messages = []
    for i in np.flatnonzero(mask):
        parts = []
        if low[i] > o[i]:
            parts.append(f"low {fmt_number(low[i])} > open {fmt_number(o[i])}")
        if low[i] > c[i]:
            parts.append(f"low {fmt_number(low[i])} > close {fmt_number(c[i])}")
        if h[i] < o[i]:
            parts.append(f"high {fmt_number(h[i])} < open {fmt_number(o[i])}")
        if h[i] < c[i]:
            parts.append(f"high {fmt_number(h[i])} < close {fmt_number(c[i])}")
        if inv[i]:
            parts.append(f"low {fmt_number(low[i])} > high {fmt_number(h[i])}")
        messages.append("; ".join(parts))
    return mask, messages


def fmt_number(x: float) -> str:
    """A float as it reads in issue messages (``repr``: exact, no rounding)."""
    return repr(float(x))


# ---------------------------------------------------------------------- sequence checks


def duplicate_and_order(
    ts_ns: np.ndarray, valid: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Duplicate and out-of-order rows, in file order, among rows whose timestamp is ``valid``.

    Returns ``(dup_mask, dup_first, ooo_mask, ooo_ref)``: a duplicate is a row whose timestamp
    an earlier row already had (``dup_first`` = row index of that first row); an out-of-order
    row is earlier than some previous row (``ooo_ref`` = row index of the latest previous one).
    Index arrays hold -1 where the mask is False.
    """
    n = ts_ns.shape[0]
    dup = np.zeros(n, dtype=bool)
    first = np.full(n, -1, dtype=np.int64)
    ooo = np.zeros(n, dtype=bool)
    ref = np.full(n, -1, dtype=np.int64)
    idx = np.flatnonzero(valid)
    if idx.size == 0:
        return dup, first, ooo, ref
    t = ts_ns[idx]
    uniq, first_pos = np.unique(t, return_index=True)
    pos_of_first = first_pos[np.searchsorted(uniq, t)]
    is_dup = pos_of_first != np.arange(idx.size)
    dup[idx[is_dup]] = True
    first[idx[is_dup]] = idx[pos_of_first[is_dup]]

    runmax = np.maximum.accumulate(t)
    prev_max = np.concatenate(([np.iinfo(np.int64).min], runmax[:-1]))
    is_ooo = (t < prev_max) & ~is_dup
    if is_ooo.any():
        # runmax is non-decreasing: the first position reaching a value is the row that set it
        setter = np.searchsorted(runmax, prev_max[is_ooo], side="left")
        ooo[idx[is_ooo]] = True
        ref[idx[is_ooo]] = idx[setter]
    return dup, first, ooo, ref


# ---------------------------------------------------------------------- calendar checks


def _local_ns(ts: pd.DatetimeIndex, tz: Any) -> np.ndarray:
    """Wall-clock ns since the epoch in ``tz`` (so ``% day`` is the local time of day)."""
    return np.asarray(ts.tz_convert(tz).tz_localize(None).as_unit("ns").asi8)


def daily_misaligned(ts: pd.DatetimeIndex, tz: Any) -> np.ndarray:
    """Daily bars not stamped at 00:00 local time."""
    return np.asarray((_local_ns(ts, tz) % _NS_PER_DAY) != 0, dtype=bool)


def intraday_misaligned(
    ts: pd.DatetimeIndex, timeframe: Timeframe, tz: Any, calendar: CalendarLike | None
) -> np.ndarray:
    """Intraday bars whose start is on neither the local clock grid nor the session grid.

    The clock grid is multiples of the timeframe from local midnight (09:15, 09:30 for 15m);
    the session grid is multiples from the session's open (09:15, 10:15 for 1h at NSE).
    """
    step = timeframe.seconds * 10**9
    bad = np.asarray((_local_ns(ts, tz) % step) != 0, dtype=bool)
    if not bad.any() or calendar is None:
        return bad
    cand = ts[bad]
    local_days = cand.tz_convert(tz).normalize().tz_localize(None)
    try:
        sessions = calendar.sessions(local_days.min().date(), local_days.max().date())
    except ValueError:  # outside the calendar's coverage: judge by the clock grid alone
        return bad
    if not sessions:
        return bad
    opens = np.sort(np.asarray(pd.DatetimeIndex([s.open for s in sessions]).as_unit("ns").asi8))
    t = np.asarray(cand.as_unit("ns").asi8)
    k = np.searchsorted(opens, t, side="right") - 1
    ok = np.asarray((k >= 0) & ((t - opens[np.maximum(k, 0)]) % step == 0), dtype=bool)
    out = bad.copy()
    out[np.flatnonzero(bad)[ok]] = False
    return out


def outside_session(ts: pd.DatetimeIndex, calendar: CalendarLike, session: str) -> np.ndarray:
    """Intraday bars outside the calendar's sessions (``session`` = regular | extended)."""
    inside = np.asarray(calendar.in_session_mask(ts), dtype=bool)
    if session == "regular" or inside.all():
        return ~inside
    window = EXTENDED_HOURS.get(str(calendar.name).upper())
    if window is None:  # no extended hours known (24x7 already covers the whole day)
        return ~inside
    idx = np.flatnonzero(~inside)
    local = ts[idx].tz_convert(calendar.tz)
    day_start = local.normalize()
    day_ns = np.asarray(day_start.tz_localize(None).as_unit("ns").asi8)
    uniq, inverse = np.unique(day_ns, return_inverse=True)
    day_is_session = np.array(
        [calendar.is_session(pd.Timestamp(d).date()) for d in uniq], dtype=bool
    )
    is_day = day_is_session[inverse]
    tod = np.asarray(local.tz_localize(None).as_unit("ns").asi8) - day_ns
    lo = _tod_ns(window[0])
    hi = _tod_ns(window[1])
    in_ext = is_day & (tod >= lo) & (tod < hi)
    out = ~inside
    out[idx[in_ext]] = False
    return out


def _tod_ns(t: time) -> int:
    return ((t.hour * 60 + t.minute) * 60 + t.second) * 10**9


# ---------------------------------------------------------------------- warnings


def price_jumps(
    o: np.ndarray, c: np.ndarray, threshold: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Bars whose open or close moved more than ``threshold`` (0.25 = 25 %) from the previous close.

    Inputs are the imported rows in time order. Returns the mask, the signed move of the larger
    of close-to-open and close-to-close, and which one it was (True = close-to-open).
    """
    n = o.shape[0]
    mask = np.zeros(n, dtype=bool)
    move = np.zeros(n, dtype=np.float64)
    gap = np.zeros(n, dtype=bool)
    if n < 2:
        return mask, move, gap
    prev = c[:-1]
    with np.errstate(divide="ignore", invalid="ignore"):
        c2o = o[1:] / prev - 1.0
        c2c = c[1:] / prev - 1.0
    use_gap = np.abs(c2o) >= np.abs(c2c)
    m = np.where(use_gap, c2o, c2c)
    big = np.isfinite(m) & (np.abs(m) > threshold) & (prev > 0)
    mask[1:] = big
    move[1:] = np.where(big, m, 0.0)
    gap[1:] = big & use_gap
    return mask, move, gap
