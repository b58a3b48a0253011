"""Session-aware resampling of bar frames to a longer timeframe.

Buckets are anchored at each trading window's start (the session open, and again after every
break): NSE 5m bars start 09:15, 09:20, ...; NSE 1h bars 09:15, 10:15, ..., 15:15 (the last
one short, ending at the 15:30 close); NYSE bars at 09:30 ET. A bucket never spans two sessions
or a break. ``1d`` gives one bar per session stamped at the session date 00:00 local time (in
UTC, per the bar-frame convention). Aggregation: open first, high max, low min, close last,
volume sum. Everything is vectorised (NumPy ``reduceat`` over sorted bars).
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np
import pandas as pd

from tronlab.data.bars import BAR_COLUMNS, Timeframe
from tronlab.data.calendars import TradingCalendar

__all__ = ["DROPPED_ATTR", "resample"]

log = logging.getLogger(__name__)

DROPPED_ATTR = "dropped_outside_session"
"""``DataFrame.attrs`` key holding how many bars ``drop_outside=True`` excluded."""

_NS = 1_000_000_000
_DAY = 86_400


def resample(
    bars: pd.DataFrame,
    calendar: TradingCalendar,
    timeframe: Timeframe | str,
    *,
    drop_outside: bool = False,
    source_timeframe: Timeframe | str | None = None,
) -> pd.DataFrame:
    """Resample a bar frame to ``timeframe`` along ``calendar``'s sessions.

    Parameters
    ----------
    bars
        A bar frame (``timestamp`` tz-aware bar starts, open/high/low/close/volume).
    calendar
        The market's trading calendar.
    timeframe
        The target timeframe: intraday (a multiple of the source) or ``1d``.
    drop_outside
        Bars outside every trading window raise ``ValueError`` unless this is True; then they
        are excluded, logged, and counted in ``result.attrs["dropped_outside_session"]``.
    source_timeframe
        The bars' timeframe; inferred when ``None`` (daily if every bar is stamped 00:00 local
        on distinct dates, else the greatest common step of the bars' offsets from their
        window's start). Give it when the data are too sparse to infer.

    Returns
    -------
    pandas.DataFrame
        A bar frame, ``attrs["dropped_outside_session"]`` set to the number of excluded bars.

    Raises
    ------
    ValueError
        Upsampling (target shorter than the source or not a multiple of it), bars off the
        session grid, duplicate timestamps, or bars outside sessions without ``drop_outside``.
    """
    target = Timeframe.parse(timeframe)
    if not target.is_intraday and target.seconds != _DAY:
        raise ValueError(f"timeframe {target}: only intraday timeframes and 1d are supported")
    missing = [c for c in BAR_COLUMNS if c not in bars.columns]
    if missing:
        raise ValueError(f"bar frame lacks columns {missing}")
    ts = pd.DatetimeIndex(bars["timestamp"])
    if len(ts) and ts.tz is None:
        raise ValueError("bar timestamps must be timezone-aware")
    nat = np.asarray(ts.isna(), dtype=bool)
    if nat.any():
        raise ValueError(f"{int(nat.sum())} bar timestamps are NaT")
    t = ts.tz_convert("UTC").as_unit("ns").asi8 if len(ts) else np.empty(0, dtype=np.int64)
    cols = {c: bars[c].to_numpy(dtype=np.float64) for c in ("open", "high", "low", "close")}
    cols["volume"] = bars["volume"].to_numpy(dtype=np.float64)
    if len(t) > 1 and np.any(np.diff(t) <= 0):
        order = np.argsort(t, kind="stable")
        t = t[order]
        cols = {c: v[order] for c, v in cols.items()}
        dup = np.flatnonzero(np.diff(t) == 0)
        if len(dup):
            raise ValueError(
                f"{len(dup)} duplicate bar timestamps, first {pd.Timestamp(t[dup[0]], tz='UTC')}"
            )

    source = Timeframe.parse(source_timeframe) if source_timeframe is not None else None
    if source is not None and not source.is_intraday and source.seconds != _DAY:
        raise ValueError(f"source timeframe {source}: only intraday timeframes and 1d")
    if source is None and _looks_daily(t, calendar):
        source = Timeframe(_DAY)

    if source is not None and not source.is_intraday:
        if target.is_intraday:
            raise ValueError(f"cannot upsample daily bars to {target}")
        inside = calendar.session_dates_mask(t) if len(t) else np.zeros(0, dtype=bool)
        t, cols, dropped = _drop(t, cols, inside, calendar, drop_outside, "on non-session dates")
        days = calendar.local_days(t) if len(t) else np.empty(0, dtype=np.int64)
        key = days
        stamp_of_key = _midnights(calendar, days)
    else:
        loc = calendar.locate(t) if len(t) else None
        inside = loc.inside if loc is not None else np.zeros(0, dtype=bool)
        t, cols, dropped = _drop(t, cols, inside, calendar, drop_outside, "outside sessions")
        if loc is not None:
            win_start = loc.window_start[inside]
            session = loc.session[inside]
        else:
            win_start = session = np.empty(0, dtype=np.int64)
        offsets = t - win_start
        _check_source(offsets, source, target, t)
        if target.is_intraday:
            key = win_start + (offsets // (target.seconds * _NS)) * (target.seconds * _NS)
            stamp_of_key = key
        else:
            key = session
            stamp_of_key = calendar.session_midnights(session) if len(session) else session

    out = _aggregate(t, cols, key, stamp_of_key)
    out.attrs[DROPPED_ATTR] = dropped
    return out


def _looks_daily(t: np.ndarray, calendar: TradingCalendar) -> bool:
    """Every bar at 00:00 local on a distinct local date (and not a 24x7 intraday series)."""
    if len(t) < 2:
        return bool(len(t)) and calendar.name != "24x7" and _all_local_midnight(t, calendar)
    if np.min(np.diff(t)) < 20 * 3600 * _NS:
        return False
    return _all_local_midnight(t, calendar)


def _all_local_midnight(t: np.ndarray, calendar: TradingCalendar) -> bool:
    days = calendar.local_days(t)
    return bool(np.all(np.isin(t, _midnights(calendar, np.unique(days)))))


def _midnights(calendar: TradingCalendar, days: np.ndarray) -> np.ndarray:
    """UTC ns of 00:00 local on each local day (int64 days since epoch)."""
    if not len(days):
        return np.empty(0, dtype=np.int64)
    idx = pd.DatetimeIndex(days.astype("datetime64[D]").astype("datetime64[ns]"))
    return idx.tz_localize(calendar.tz.key).as_unit("ns").asi8


def _drop(
    t: np.ndarray,
    cols: dict[str, np.ndarray],
    inside: np.ndarray,
    calendar: TradingCalendar,
    drop_outside: bool,
    where: str,
) -> tuple[np.ndarray, dict[str, np.ndarray], int]:
    n_out = int((~inside).sum())
    if not n_out:
        return t, cols, 0
    first = pd.Timestamp(t[~inside][0], tz="UTC")
    if not drop_outside:
        raise ValueError(
            f"{n_out} of {len(t)} bars lie {where} of the {calendar.name} calendar, "
            f"first at {first.isoformat()} "
            f"({first.tz_convert(calendar.tz).isoformat()} local); "
            "clean them or pass drop_outside=True to exclude them"
        )
    log.warning(
        "resample: dropped %d bars %s of the %s calendar (first %s)",
        n_out,
        where,
        calendar.name,
        first.isoformat(),
    )
    return t[inside], {c: v[inside] for c, v in cols.items()}, n_out


def _check_source(
    offsets: np.ndarray, source: Timeframe | None, target: Timeframe, t: np.ndarray
) -> int | None:
    """Check the source grid against the target; return the source step in seconds."""
    if source is not None:
        step = source.seconds
        off = np.flatnonzero(offsets % (step * _NS) != 0)
        if len(off):
            raise ValueError(
                f"{len(off)} bars are not on the {source} grid anchored at the session open, "
                f"first at {pd.Timestamp(t[off[0]], tz='UTC').isoformat()}"
            )
    else:
        g = int(np.gcd.reduce(offsets // _NS)) if len(offsets) else 0
        if g == 0:  # only bars at window starts: any target is consistent
            return None
        step = g
    if target.is_intraday and (target.seconds < step or target.seconds % step):
        raise ValueError(
            f"cannot resample {Timeframe(step)} bars to {target}: the target must be a "
            "multiple of the source timeframe (no upsampling)"
        )
    return step


def _aggregate(
    t: np.ndarray, cols: dict[str, np.ndarray], key: np.ndarray, stamp: np.ndarray
) -> pd.DataFrame:
    if not len(t):
        return _frame(np.empty(0, dtype=np.int64), {c: np.empty(0) for c in cols})
    # Bars are time-sorted and keys are non-decreasing in time, so groups are contiguous runs.
    first = np.flatnonzero(np.concatenate([[True], key[1:] != key[:-1]]))
    last = np.concatenate([first[1:], [len(t)]]) - 1
    out: dict[str, Any] = {
        "open": cols["open"][first],
        "high": np.maximum.reduceat(cols["high"], first),
        "low": np.minimum.reduceat(cols["low"], first),
        "close": cols["close"][last],
        "volume": np.add.reduceat(cols["volume"], first),
    }
    return _frame(stamp[first], out)


def _frame(stamp: np.ndarray, values: dict[str, Any]) -> pd.DataFrame:
    frame = pd.DataFrame(
        {"timestamp": pd.to_datetime(stamp.astype(np.int64), unit="ns", utc=True).as_unit("ns")}
    )
    for c in ("open", "high", "low", "close", "volume"):
        frame[c] = np.asarray(values[c], dtype=np.float64)
    return frame
