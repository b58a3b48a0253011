"""Index futures for research: contract schedule, synthetic prices, rolls, continuous series.

Pure pandas/numpy, no I/O. Frames are canonical bar frames (``timestamp`` UTC bar start,
``open``, ``high``, ``low``, ``close``, ``volume``); futures frames add ``oi``.

* :func:`contract_schedule` - the monthly futures of an underlying over a date range.
* :func:`synthetic_futures` - futures bars priced off index bars by cost of carry.
* :func:`roll_dates` - roll bars by days before expiry or by open interest.
* :func:`continuous_series` - a back-adjusted (ratio / difference) or stitched series.
* :func:`basis`, :func:`annualised_carry`, :func:`years_to_expiry`.

Trade dates and the 15:30 expiry time are in India time (``Asia/Kolkata``). Generated contracts
and prices are for research, backtests and tests; trading code takes contracts from the
instrument master (:mod:`tronlab.data.fno.kite_csv`).
"""

from __future__ import annotations

import datetime as dt
import math
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal, TypeVar, cast

import numpy as np
import pandas as pd

from tronlab.data.calendars import TradingCalendar
from tronlab.data.fno.expiries import ExpiryCalendar, default_expiry_calendar
from tronlab.data.fno.rules import (
    FnoRules,
    NoRuleError,
)
from tronlab.data.fno.symbols import format_future

__all__ = [
    "EXPIRY_TIME",
    "IST",
    "FutureContract",
    "annualised_carry",
    "basis",
    "continuous_series",
    "contract_schedule",
    "roll_dates",
    "synthetic_futures",
    "years_to_expiry",
]

#: Time zone of trade dates and of the expiry time.
IST = "Asia/Kolkata"
#: Time of day (IST) at which a contract expires; ``T`` is measured to it.
EXPIRY_TIME = dt.time(15, 30)
_FALLBACK_TICK = 0.05
_MINUTES_PER_YEAR = 365.0 * 24 * 60
_PRICE_COLUMNS = ("open", "high", "low", "close")

_V = TypeVar("_V", float, np.ndarray, pd.Series)


@dataclass(frozen=True, slots=True)
class FutureContract:
    """A monthly future.

    ``first_day`` is the trading day it is listed (NSE's 3-month cycle: the first trading day
    after the expiry of the contract three months earlier; the underlying's ``coverage_from``
    when that is outside the rules), ``last_day`` its last trading day, the expiry.
    """

    symbol: str
    expiry: dt.date
    first_day: dt.date
    last_day: dt.date


def _calendar(rules: FnoRules | None, calendar: TradingCalendar | None) -> ExpiryCalendar:
    if rules is None and calendar is None:
        return default_expiry_calendar()
    return ExpiryCalendar(rules, calendar)


def _add_months(year: int, month: int, n: int) -> tuple[int, int]:
    index = year * 12 + (month - 1) + n
    return index // 12, index % 12 + 1


def _next_trading_day(cal: ExpiryCalendar, day: dt.date) -> dt.date:
    day += dt.timedelta(days=1)
    for _ in range(30):
        if cal.is_trading_day(day):
            return day
        day += dt.timedelta(days=1)
    raise NoRuleError(f"no trading day within 30 days after {day}")  # pragma: no cover


def contract_schedule(
    underlying: str,
    start: dt.date,
    end: dt.date,
    rules: FnoRules | None = None,
    calendar: TradingCalendar | None = None,
    *,
    months_listed: int = 3,
) -> list[FutureContract]:
    """Monthly futures of ``underlying`` that trade on some day of ``[start, end]``.

    Expiries come from :class:`~tronlab.data.fno.expiries.ExpiryCalendar` (the month's last expiry
    weekday of the period, rolled back over holidays); symbols from
    :func:`~tronlab.data.fno.symbols.format_future`. A contract trades from its listing
    ``months_listed`` monthly expiries earlier, so the list runs up to ``months_listed - 1``
    contracts beyond ``end``'s month. Ordered by expiry.

    Raises :class:`NoRuleError` for an unknown underlying or dates the rules/calendar lack.
    """
    if end < start:
        raise ValueError(f"end {end} is before start {start}")
    if months_listed < 1:
        raise ValueError(f"months_listed must be >= 1, got {months_listed}")
    cal = _calendar(rules, calendar)
    coverage = cal.rules.underlying(underlying).coverage_from
    out: list[FutureContract] = []
    year, month = start.year, start.month
    while True:
        expiry = cal.monthly_expiry(underlying, year, month)
        py, pm = _add_months(year, month, -months_listed)
        try:
            first = _next_trading_day(cal, cal.monthly_expiry(underlying, py, pm))
        except NoRuleError:
            first = coverage
        if first > end:
            return out
        if expiry >= start:
            out.append(FutureContract(format_future(underlying, expiry), expiry, first, expiry))
        year, month = _add_months(year, month, 1)


# --------------------------------------------------------------------------------------------
# Synthetic prices
# --------------------------------------------------------------------------------------------


def _expiry_instant(expiry: dt.date) -> pd.Timestamp:
    return pd.Timestamp(dt.datetime.combine(expiry, EXPIRY_TIME), tz=IST).tz_convert("UTC")


def years_to_expiry(timestamps: pd.Series | pd.DatetimeIndex, expiry: dt.date) -> np.ndarray:
    """Calendar years (``days / 365``) from each instant to ``expiry`` at 15:30 IST, >= 0."""
    stamps = pd.DatetimeIndex(timestamps)
    if stamps.tz is None:
        raise ValueError("timestamps must be time-zone aware (UTC)")
    delta = (_expiry_instant(expiry) - stamps.tz_convert("UTC")).total_seconds()
    return np.maximum(np.asarray(delta, dtype=float) / 60.0 / _MINUTES_PER_YEAR, 0.0)


def _bar_ends(stamps: pd.Series, days: pd.Series) -> pd.Series:
    """Bar end instants: start + the typical bar length, capped at 15:30 IST of the trade date."""
    ns = stamps.astype("int64").to_numpy()
    diffs = np.diff(ns)
    diffs = diffs[diffs > 0]
    step = int(np.median(diffs)) if diffs.size else 60_000_000_000
    close_at = {day: _expiry_instant(day).value for day in set(days)}
    cap = days.map(close_at).to_numpy(dtype=np.int64)
    return pd.Series(pd.to_datetime(np.minimum(ns + step, cap), utc=True))


def _round_to(x: np.ndarray, tick: np.ndarray) -> np.ndarray:
    out: np.ndarray = np.round(np.round(x / tick) * tick, 6)
    return out


def _day_ticks(index_bars: pd.DataFrame, days: pd.Series, rules: FnoRules | None) -> np.ndarray:
    """The futures tick of each bar's trade date at that day's first index open."""
    book = rules if rules is not None else default_expiry_calendar().rules
    first_open = index_bars["open"].groupby(days.to_numpy()).first()
    ticks: dict[dt.date, float] = {}
    for key, level in first_open.items():
        day = cast(dt.date, key)
        try:
            ticks[day] = float(book.futures_tick_size(day, float(level)))
        except NoRuleError:
            ticks[day] = _FALLBACK_TICK
    out: np.ndarray = days.map(ticks).to_numpy(dtype=float)
    return out


def _open_interest_shape(days_left: np.ndarray) -> np.ndarray:
    """Rises as the contract nears the front, peaks ~14 days out, unwinds into expiry."""
    d = np.maximum(days_left, 0.0)
    out: np.ndarray = (1.0 - np.exp(-d / 8.0)) * np.exp(-d / 40.0)
    return out


def synthetic_futures(
    index_bars: pd.DataFrame,
    underlying: str,
    r: float = 0.065,
    dividend_yield: float = 0.012,
    contracts: Sequence[FutureContract] | None = None,
    noise_bps: float = 2.0,
    *,
    seed: int = 0,
    oi_scale: float = 10_000_000.0,
    rules: FnoRules | None = None,
    calendar: TradingCalendar | None = None,
) -> dict[str, pd.DataFrame]:
    """Futures bars priced off ``index_bars`` by cost of carry, keyed by symbol (expiry order).

    Model
    -----
    Price
        ``F = S * exp((r - q) * T) * (1 + noise)`` with ``T`` the calendar years (``/365``) to
        the contract's expiry at 15:30 IST. ``open`` uses ``T`` at the bar start, ``close``,
        ``high`` and ``low`` at the bar end (start + typical bar length, capped at 15:30 of the
        trade date; a daily bar's close is therefore priced at expiry time on expiry day). The
        basis noise is i.i.d. normal with ``noise_bps`` basis points of standard deviation,
        scaled by ``T / (T + 5 days)`` so it vanishes at expiry. ``high``/``low`` are widened to
        contain ``open``/``close``.
    Tick
        Prices are rounded to the rules' index-futures tick of the trade date at that day's
        first index open (band-dependent since 2025-04-15); 0.05 where the rules have no tick.
    Settlement
        On expiry day the close of the contract's last bar is the index close itself (the final
        settlement price is the underlying's close), possibly off the futures tick grid.
    Volume and OI
        Deterministic: ``oi = oi_scale * g(days to expiry)`` with a hump ``g`` that rises while
        the contract is far, peaks about 14 days out and unwinds into expiry, so the next
        contract's OI overtakes the front's a few days before expiry. ``volume`` is 2 % of OI
        per session spread over the day's bars, times log-normal noise.

    ``contracts`` defaults to :func:`contract_schedule` over the bars' trade dates; each frame
    holds the bars of the contract's trading days ``first_day..last_day`` (contracts without
    bars are left out). Frames carry ``oi`` besides the canonical columns.
    """
    if index_bars.empty:
        return {}
    stamps = pd.to_datetime(index_bars["timestamp"], utc=True).reset_index(drop=True)
    bars = index_bars.reset_index(drop=True)
    days = stamps.dt.tz_convert(IST).dt.date
    if contracts is None:
        contracts = contract_schedule(underlying, days.iloc[0], days.iloc[-1], rules, calendar)
    ends = _bar_ends(stamps, days)
    ticks = _day_ticks(bars, days, rules)
    bars_per_day = days.map(days.value_counts()).to_numpy(dtype=float)
    carry = r - dividend_yield
    out: dict[str, pd.DataFrame] = {}
    for contract in sorted(contracts, key=lambda c: c.expiry):
        mask = ((days >= contract.first_day) & (days <= contract.last_day)).to_numpy()
        if not mask.any():
            continue
        t_open = years_to_expiry(stamps[mask], contract.expiry)
        t_close = years_to_expiry(ends[mask], contract.expiry)
        rng = np.random.default_rng([seed, zlib.crc32(contract.symbol.encode())])
        n = int(mask.sum())
        fade = t_close / (t_close + 5.0 / 365.0)
        noise = 1.0 + noise_bps * 1e-4 * rng.standard_normal(n) * fade
        tick = ticks[mask]
        grow_open = np.exp(carry * t_open) * noise
        grow_close = np.exp(carry * t_close) * noise
        open_ = _round_to(bars["open"].to_numpy(float)[mask] * grow_open, tick)
        close = _round_to(bars["close"].to_numpy(float)[mask] * grow_close, tick)
        high = _round_to(bars["high"].to_numpy(float)[mask] * grow_close, tick)
        low = _round_to(bars["low"].to_numpy(float)[mask] * grow_close, tick)
        sub_days = days[mask].reset_index(drop=True)
        if sub_days.iloc[-1] == contract.expiry:
            close[-1] = float(bars["close"].to_numpy(float)[mask][-1])
        high = np.maximum.reduce([high, open_, close])
        low = np.minimum.reduce([low, open_, close])
        oi = np.round(oi_scale * _open_interest_shape(t_close * 365.0))
        turnover = 0.02 * oi / bars_per_day[mask]
        volume = np.round(turnover * rng.lognormal(0.0, 0.3, n))
        out[contract.symbol] = pd.DataFrame(
            {
                "timestamp": stamps[mask].to_numpy(),
                "open": open_,
                "high": high,
                "low": low,
                "close": close,
                "volume": volume,
                "oi": oi,
            }
        ).assign(timestamp=lambda f: pd.to_datetime(f["timestamp"], utc=True))
    return out


# --------------------------------------------------------------------------------------------
# Rolls and continuous series
# --------------------------------------------------------------------------------------------

RollRule = Literal["days_before_expiry", "open_interest"]
AdjustMethod = Literal["ratio", "difference", "none"]


def _trade_days(frame: pd.DataFrame) -> pd.Series:
    return pd.to_datetime(frame["timestamp"], utc=True).dt.tz_convert(IST).dt.date


def _roll_bar(front: pd.DataFrame, nxt: pd.DataFrame, day: dt.date) -> pd.Timestamp | None:
    """The last bar of trade date ``day`` present in both frames."""
    a = pd.to_datetime(front["timestamp"], utc=True)
    b = set(pd.to_datetime(nxt["timestamp"], utc=True))
    common = [ts for ts, d in zip(a, _trade_days(front), strict=True) if d == day and ts in b]
    return max(common) if common else None


def roll_dates(
    contracts: Mapping[str, pd.DataFrame],
    rule: RollRule = "days_before_expiry",
    days: int = 3,
) -> list[pd.Timestamp]:
    """Roll bars between consecutive contracts of ``contracts`` (frames in expiry order).

    ``rolls[i]`` is the bar at whose close the position moves from the ``i``-th to the
    ``(i+1)``-th contract: the series holds the old contract through that bar and the new one
    from the next bar. It is the last bar of the roll day present in both frames.

    A front contract has expired when its frame ends before the next one's (contracts trade up
    to expiry; its last trade date is taken as the expiry). Rolling stops at the first front
    that has not expired and gives no roll signal within the data.

    ``"days_before_expiry"``
        The roll day is the session ``days`` sessions before the front's expiry, counted on the
        front's trade dates (``days=0``: roll at the expiry close).
    ``"open_interest"``
        The roll day is the first trade date on which the next contract's end-of-day OI (its
        last bar that day) exceeds the front's; known at that day's close, so no look-ahead.
        Without a crossing the roll happens on the front's expiry day.
    """
    if days < 0:
        raise ValueError(f"days must be >= 0, got {days}")
    if rule not in ("days_before_expiry", "open_interest"):
        raise ValueError(f"unknown roll rule {rule!r}")
    frames = list(contracts.values())
    names = list(contracts)
    rolls: list[pd.Timestamp] = []
    for i in range(len(frames) - 1):
        front, nxt = frames[i], frames[i + 1]
        if front.empty or nxt.empty:
            break
        expired = (
            pd.to_datetime(front["timestamp"], utc=True).max()
            < pd.to_datetime(nxt["timestamp"], utc=True).max()
        )
        front_days = sorted(set(_trade_days(front)))
        day: dt.date | None = None
        if rule == "open_interest":
            if "oi" not in front or "oi" not in nxt:
                raise ValueError(
                    f"open_interest roll needs an 'oi' column ({names[i]}, {names[i + 1]})"
                )
            eod_front = front["oi"].groupby(_trade_days(front).to_numpy()).last()
            eod_next = nxt["oi"].groupby(_trade_days(nxt).to_numpy()).last()
            both = pd.concat([eod_front, eod_next], axis=1, join="inner").sort_index()
            crossed = both.index[both.iloc[:, 1].to_numpy() > both.iloc[:, 0].to_numpy()]
            if len(crossed):
                day = crossed[0]
            elif expired:
                day = front_days[-1]
        elif expired:
            day = front_days[max(len(front_days) - 1 - days, 0)]
        if day is None:
            break
        if rolls and day < rolls[-1].tz_convert(IST).date():
            day = rolls[-1].tz_convert(IST).date()
        bar = _roll_bar(front, nxt, day)
        if bar is None:
            raise ValueError(f"no common bar of {names[i]} and {names[i + 1]} on roll day {day}")
        if rolls and bar <= rolls[-1]:
            raise ValueError(f"roll {names[i]} -> {names[i + 1]} at {bar} is not after {rolls[-1]}")
        rolls.append(bar)
    return rolls


def continuous_series(
    frames: Mapping[str, pd.DataFrame],
    rolls: Sequence[pd.Timestamp],
    method: AdjustMethod = "ratio",
) -> pd.DataFrame:
    """A continuous futures series from per-contract ``frames`` (expiry order) and ``rolls``.

    Segment ``i`` takes contract ``i``'s bars after ``rolls[i-1]`` up to and including
    ``rolls[i]`` (see :func:`roll_dates`); the last segment runs to the end of its frame.

    Methods (back-adjustment: the latest segment keeps its traded prices)
        ``"ratio"``: at each roll, every earlier price is multiplied by ``new / old`` close at
        the roll bar. Returns within each segment equal the contract's returns and the return
        across a roll is the new contract's return (no jump). ``adjustment`` is the cumulative
        multiplier (1.0 on the last segment).
        ``"difference"``: every earlier price is shifted by ``new - old`` close at the roll bar,
        keeping point moves; prices can turn negative over long histories. ``adjustment`` is
        the cumulative points added (0.0 on the last segment).
        ``"none"``: segments stitched as traded (jumps at rolls); ``adjustment`` is 1.0.

    Look-ahead: back-adjustment rewrites history with later data (the roll gaps after each
    bar). Use the adjusted series for research only, never for decisions at time ``t`` in a
    bar-by-bar backtest unless it is recomputed from the data known as of ``t``; traded fills
    and P&L must use the actual contract prices (column ``contract``).

    Columns: ``timestamp``, ``open``, ``high``, ``low``, ``close``, ``volume``, ``oi`` (when
    the frames have it), ``contract``, ``adjustment``.
    """
    if method not in ("ratio", "difference", "none"):
        raise ValueError(f"unknown adjustment method {method!r}")
    names = list(frames)
    if len(names) < len(rolls) + 1:
        raise ValueError(f"{len(rolls)} rolls need {len(rolls) + 1} contracts, got {len(names)}")
    used = names[: len(rolls) + 1]
    gaps: list[float] = []
    for i, ts in enumerate(rolls):
        old, new = (_close_at(frames[used[i + j]], ts, used[i + j]) for j in (0, 1))
        gaps.append(new / old if method == "ratio" else new - old)
    pieces: list[pd.DataFrame] = []
    for i, name in enumerate(used):
        frame = frames[name]
        stamps = pd.to_datetime(frame["timestamp"], utc=True)
        keep = np.ones(len(frame), dtype=bool)
        if i > 0:
            keep &= (stamps > rolls[i - 1]).to_numpy()
        if i < len(rolls):
            keep &= (stamps <= rolls[i]).to_numpy()
        piece = frame.loc[keep].copy()
        piece["timestamp"] = stamps[keep]
        later = gaps[i:]
        if method == "ratio":
            adjustment = math.prod(later)
            for col in _PRICE_COLUMNS:
                piece[col] = piece[col] * adjustment
        elif method == "difference":
            adjustment = math.fsum(later)
            for col in _PRICE_COLUMNS:
                piece[col] = piece[col] + adjustment
        else:
            adjustment = 1.0
        piece["contract"] = name
        piece["adjustment"] = adjustment
        pieces.append(piece)
    columns = ["timestamp", "open", "high", "low", "close", "volume"]
    if all("oi" in frames[n] for n in used):
        columns.append("oi")
    columns += ["contract", "adjustment"]
    out = pd.concat(pieces, ignore_index=True)
    return out[columns].reset_index(drop=True)


def _close_at(frame: pd.DataFrame, ts: pd.Timestamp, name: str) -> float:
    stamps = pd.to_datetime(frame["timestamp"], utc=True)
    hit = frame.loc[(stamps == ts).to_numpy(), "close"]
    if hit.empty:
        raise ValueError(f"{name} has no bar at roll {ts}")
    return float(hit.iloc[0])


# --------------------------------------------------------------------------------------------
# Basis and carry
# --------------------------------------------------------------------------------------------


def basis(futures_close: _V, spot_close: _V) -> _V:
    """``F - S`` in index points (positive: contango)."""
    out: _V = futures_close - spot_close
    return out


def annualised_carry(futures_close: _V, spot_close: _V, t_years: _V) -> _V:
    """Implied annual carry ``ln(F / S) / T`` (continuous compounding, ``T`` in years).

    Estimates ``r - q``. ``T`` must be > 0; near expiry tick rounding dominates the estimate.
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        out: _V = np.log(futures_close / spot_close) / t_years
    return out
