"""Checking a CSV's records row by row and collecting the issues with their line numbers.

:class:`IssueCollector` gathers findings as (rows, code, messages) and builds the
:class:`~tronlab.data.validation.RowIssue` list in line order. The ``*_checks`` functions parse
the columns of :class:`~tronlab.data.csv_reader.Records` and run the vectorised checks of
:mod:`tronlab.data.validation` over them, wording a message for each offending row: timestamps,
values (numbers, signs, OHLC consistency), sequence (duplicates, order), calendar (alignment,
sessions) and the ``PRICE_JUMP`` warnings.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import pyarrow as pa

from tronlab.data.bars import PRICE_COLUMNS, Timeframe
from tronlab.data.csv_reader import ParsedTimestamps, Records, parse_numbers, parse_timestamps
from tronlab.data.validation import (
    CalendarLike,
    IssueCode,
    RowIssue,
    Severity,
    daily_misaligned,
    duplicate_and_order,
    fmt_number,
    intraday_misaligned,
    ohlc_inconsistent,
    outside_session,
    price_jumps,
)

__all__ = [
    "IssueCollector",
    "calendar_checks",
    "jump_warnings",
    "sequence_checks",
    "timestamp_checks",
    "value_checks",
]


# ---------------------------------------------------------------------- issue collection


class IssueCollector:
    """Collects issues as (row indices, code, messages); builds RowIssue objects at the end."""

    def __init__(self, file: str, rec: Records) -> None:
        self.file = file
        self.rec = rec
        self.parts: list[tuple[np.ndarray, IssueCode, Sequence[str]]] = []
        self.error_rows = np.zeros(rec.n, dtype=bool)
        self.file_level: list[RowIssue] = []

    def add(self, code: IssueCode, where: np.ndarray, messages: Sequence[str] | str) -> None:
        """Record ``code`` for the rows in ``where`` (a boolean mask or row indices)."""
        idx = np.flatnonzero(where) if where.dtype == bool else np.asarray(where, dtype=np.int64)
        if idx.size == 0:
            return
        msgs = [messages] * idx.size if isinstance(messages, str) else messages
        if len(msgs) != idx.size:
            raise AssertionError(f"{code}: {idx.size} rows but {len(msgs)} messages")
        self.parts.append((idx, code, msgs))
        if code.severity == Severity.ERROR:
            self.error_rows[idx] = True

    def build(self) -> list[RowIssue]:
        """Issues in line order (and check order within a line), file-level ones first."""
        if not self.parts:
            return list(self.file_level)
        idx = np.concatenate([p[0] for p in self.parts])
        order = np.lexsort((np.arange(idx.size), idx))
        codes = [code for p in self.parts for code in [p[1]] * p[0].size]
        msgs = [m for p in self.parts for m in p[2]]
        raw_cache: dict[int, str] = {}
        out = list(self.file_level)
        for k in order.tolist():
            i = int(idx[k])
            raw = raw_cache.get(i)
            if raw is None:
                raw = raw_cache[i] = self.rec.raw(i)
            code = codes[k]
            out.append(
                RowIssue(self.file, int(self.rec.start[i]), code, msgs[k], raw, code.severity)
            )
        return out


# ---------------------------------------------------------------------- row checks


def timestamp_checks(issues: IssueCollector, text: pa.Array, tz: str | None) -> ParsedTimestamps:
    times = parse_timestamps(text, tz)
    issues.add(IssueCode.MISSING_VALUE, times.missing, "timestamp is empty")
    bad_idx = np.flatnonzero(times.bad)
    hint = f" in {tz} (or a nonexistent/ambiguous local time there)" if tz else ""
    issues.add(
        IssueCode.BAD_TIMESTAMP,
        bad_idx,
        [f"cannot read {t!r} as an ISO-8601 time{hint}" for t in _texts(text, bad_idx)],
    )
    issues.add(
        IssueCode.NAIVE_TIMESTAMP,
        times.naive_no_tz,
        "timestamp has no UTC offset; give its time zone with tz= (--tz Asia/Kolkata)",
    )
    return times


def value_checks(issues: IssueCollector, col: dict[str, pa.Array]) -> list[np.ndarray]:
    """Parse and check open, high, low, close, volume; return them as float64 arrays."""
    values: list[np.ndarray] = []
    for c in (*PRICE_COLUMNS, "volume"):
        v, miss, bad = parse_numbers(col[c])
        values.append(v)
        issues.add(IssueCode.MISSING_VALUE, miss, f"{c} is empty")
        bad_idx = np.flatnonzero(bad)
        issues.add(
            IssueCode.BAD_NUMBER,
            bad_idx,
            [f"{c} {t!r} is not a finite number" for t in _texts(col[c], bad_idx)],
        )
    o, h, lo, cl, vol = values
    prices = np.column_stack([o, h, lo, cl])
    with np.errstate(invalid="ignore"):
        neg = np.asarray((prices < 0).any(axis=1), dtype=bool)
        zero = np.asarray((prices == 0).any(axis=1), dtype=bool)
        neg_vol = np.asarray(vol < 0, dtype=bool)
    issues.add(IssueCode.NEGATIVE_PRICE, neg, _price_messages(prices, neg, "negative"))
    issues.add(IssueCode.ZERO_PRICE, zero, _price_messages(prices, zero, "zero"))
    issues.add(
        IssueCode.NEGATIVE_VOLUME,
        neg_vol,
        [f"volume {fmt_number(vol[i])} is negative" for i in np.flatnonzero(neg_vol).tolist()],
    )
    ohlc_bad, ohlc_msgs = ohlc_inconsistent(o, h, lo, cl)
    issues.add(IssueCode.OHLC_INCONSISTENT, ohlc_bad, ohlc_msgs)
    return values


def sequence_checks(
    issues: IssueCollector, times: ParsedTimestamps, text: pa.Array, values: np.ndarray
) -> None:
    """Duplicate and out-of-order timestamps, among rows with a readable timestamp."""
    start = issues.rec.start
    dup, dup_first, ooo, ooo_ref = duplicate_and_order(times.ns, times.ok)
    if dup.any():
        idx = np.flatnonzero(dup)
        ref = dup_first[idx]
        a, b = values[idx], values[ref]
        identical = ((a == b) | (np.isnan(a) & np.isnan(b))).all(axis=1)
        issues.add(
            IssueCode.DUPLICATE_TIMESTAMP,
            idx,
            [
                f"timestamp {t} already on line {int(start[r])}"
                + (" (identical row)" if same else " (different values)")
                for t, r, same in zip(
                    _texts(text, idx), ref.tolist(), identical.tolist(), strict=True
                )
            ],
        )
    if ooo.any():
        idx = np.flatnonzero(ooo)
        ref = ooo_ref[idx]
        issues.add(
            IssueCode.OUT_OF_ORDER,
            idx,
            [
                f"timestamp {t} is earlier than {t0} on line {int(start[r])}"
                for t, t0, r in zip(_texts(text, idx), _texts(text, ref), ref.tolist(), strict=True)
            ],
        )


def jump_warnings(
    issues: IssueCollector, good: np.ndarray, o: np.ndarray, cl: np.ndarray, threshold: float
) -> None:
    """PRICE_JUMP warnings over the imported rows (``o``/``cl`` are theirs, in time order)."""
    if good.size < 2:
        return
    jumps, move, gap = price_jumps(o, cl, threshold)
    k = np.flatnonzero(jumps)
    start = issues.rec.start
    issues.add(
        IssueCode.PRICE_JUMP,
        good[k],
        [
            f"{'close-to-open' if g else 'close-to-close'} move {m:+.1%} from the previous "
            f"close {fmt_number(cl[j - 1])} (line {int(start[good[j - 1]])}) exceeds "
            f"{threshold:.0%}: split, bad tick or real gap?"
            for j, m, g in zip(k.tolist(), move[k].tolist(), gap[k].tolist(), strict=True)
        ],
    )


def calendar_checks(
    issues: IssueCollector, times: ParsedTimestamps, tf: Timeframe, cal: CalendarLike, session: str
) -> None:
    rows = np.flatnonzero(times.ok)
    if rows.size == 0:
        return
    ts = pd.DatetimeIndex(times.ns[rows].view("datetime64[ns]")).tz_localize("UTC")
    covered = _covered(cal, ts)
    if not covered.all():
        if session != "any":
            first, last = getattr(cal, "first_date", "?"), getattr(cal, "last_date", "?")
            issues.add(
                IssueCode.OUTSIDE_SESSION if tf.is_intraday else IssueCode.NOT_A_SESSION,
                rows[~covered],
                f"date outside the {cal.name} calendar's coverage {first}..{last}; "
                "import with session='any' (--session any) to skip session checks",
            )
        rows, ts = rows[covered], ts[covered]
    local = ts.tz_convert(cal.tz)
    if tf.is_intraday:
        mis = intraday_misaligned(ts, tf, cal.tz, cal)
        issues.add(
            IssueCode.MISALIGNED,
            rows[mis],
            [f"{t:%Y-%m-%d %H:%M:%S} {cal.name} time is off the {tf} grid" for t in local[mis]],
        )
        if session != "any":
            out = outside_session(ts, cal, session)
            issues.add(
                IssueCode.OUTSIDE_SESSION,
                rows[out],
                [
                    f"bar at {t:%Y-%m-%d %H:%M} {cal.name} time is outside the {session} session"
                    for t in local[out]
                ],
            )
    else:
        mis = daily_misaligned(ts, cal.tz)
        issues.add(
            IssueCode.MISALIGNED,
            rows[mis],
            [
                f"daily bar stamped {t:%H:%M} {cal.name} time; daily bars are stamped 00:00 local"
                for t in local[mis]
            ],
        )
        if session != "any":
            not_session = ~np.asarray(cal.session_dates_mask(ts), dtype=bool)
            issues.add(
                IssueCode.NOT_A_SESSION,
                rows[not_session],
                [f"{t:%Y-%m-%d (%a)} is not a {cal.name} session" for t in local[not_session]],
            )


def _price_messages(prices: np.ndarray, mask: np.ndarray, word: str) -> list[str]:
    out = []
    for i in np.flatnonzero(mask).tolist():
        row = prices[i]
        hit = row < 0 if word == "negative" else row == 0
        cols = [
            f"{n} {fmt_number(v)}" for n, v, f in zip(PRICE_COLUMNS, row, hit, strict=True) if f
        ]
        out.append(f"{word} price: {', '.join(cols)}")
    return out


def _covered(cal: CalendarLike, ts: pd.DatetimeIndex) -> np.ndarray:
    """Timestamps whose local date is within the calendar's coverage (its checks raise outside)."""
    first, last = getattr(cal, "first_date", None), getattr(cal, "last_date", None)
    if first is None or last is None:
        return np.ones(len(ts), dtype=bool)
    days = ts.tz_convert(cal.tz).tz_localize(None).to_numpy().astype("datetime64[D]")
    return np.asarray((days >= np.datetime64(first, "D")) & (days <= np.datetime64(last, "D")))


def _texts(arr: pa.Array, idx: np.ndarray) -> list[str]:
    return [str(v) for v in arr.take(pa.array(idx, type=pa.int64())).to_pylist()]
