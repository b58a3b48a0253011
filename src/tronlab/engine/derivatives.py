"""Synthetic futures and options around an index series, for backtests without F&O data.

:func:`derivatives_market` takes an index's bars (``SYNTH_NIFTY``, ``NIFTY50``...) and builds
what :func:`~tronlab.engine.backtest.run_backtest` needs to trade its derivatives: bar frames,
instruments and the ``underlyings`` map (``NIFTY -> the index symbol``, for expiry
settlement and margin).

Futures (``kind`` ``future`` or ``both``)
    The monthly contracts of the bars' dates priced by cost of carry
    (:func:`~tronlab.data.fno.futures.synthetic_futures`), each with the instrument the F&O
    rules give on its first trading day (lot size of its expiry, tick, freeze quantity).
Options (``options`` or ``both``)
    Every expiry of the underlying from the first trading day to a week after the last one;
    each contract trades over the ``window_days`` calendar days up to its expiry (clipped to
    the data). Its strikes span the index's low..high over that window, plus
    ``strikes_each_side`` strikes beyond each end, on the rules' strike step: NSE adds
    strikes as the index moves; a static universe lists them all from the start of the
    window. Bars come from :func:`~tronlab.options.bars.option_bars` with a flat volatility,
    or, given a VIX-like series, a :class:`~tronlab.options.surface.VixDrivenSurface` per
    session at the VIX's first value of that session (known at the open: no look-ahead).

These are generated, plausible contracts and prices (see the modules named above for their
approximations), not market data.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import cast

import pandas as pd

from tronlab.data.fno.expiries import ExpiryCalendar, default_expiry_calendar
from tronlab.data.fno.futures import synthetic_futures
from tronlab.data.fno.universe import atm_strike, fno_universe
from tronlab.data.store import BarStore
from tronlab.model import Instrument
from tronlab.options.bars import option_bars
from tronlab.options.surface import FlatVol, VixDrivenSurface, VolSurface
from tronlab.options.time import IST

__all__ = [
    "DERIVATIVE_KINDS",
    "DerivativesMarket",
    "derivatives_market",
    "load_derivatives",
    "underlying_for",
]

DERIVATIVE_KINDS = ("future", "options", "both")
_ALIASES = {"NIFTY50": "NIFTY", "NIFTY 50": "NIFTY", "NIFTYBANK": "BANKNIFTY",
            "NIFTY BANK": "BANKNIFTY"}  # fmt: skip


@dataclass(frozen=True)
class DerivativesMarket:
    """Frames (the index's included), instruments and the underlying map of a run."""

    frames: dict[str, pd.DataFrame]
    instruments: dict[str, Instrument]
    underlyings: dict[str, str]
    futures: tuple[str, ...] = ()
    options: tuple[str, ...] = field(default_factory=tuple)


def underlying_for(symbol: str) -> str:
    """The F&O underlying of an index symbol: itself, without a ``SYNTH_`` prefix, or a
    known alias (``NIFTY50`` -> ``NIFTY``); ValueError naming the underlyings otherwise."""
    roots = default_expiry_calendar().rules.roots
    sym = symbol.upper()
    for candidate in (sym, sym.removeprefix("SYNTH_"), _ALIASES.get(sym, "")):
        if candidate in roots:
            return candidate
    raise ValueError(f"{symbol} is not an F&O underlying; name one ({', '.join(roots)})")


def _days(frame: pd.DataFrame) -> pd.Series:
    return pd.to_datetime(frame["timestamp"], utc=True).dt.tz_convert(IST).dt.date


def _futures(
    index: pd.DataFrame, underlying: str, days: pd.Series
) -> dict[str, tuple[pd.DataFrame, Instrument]]:
    out: dict[str, tuple[pd.DataFrame, Instrument]] = {}
    for sym, frame in synthetic_futures(index, underlying).items():
        first_day = _days(frame).iloc[0]
        spot = float(index.loc[(days == first_day).to_numpy(), "open"].iloc[0])
        listed = fno_universe(first_day, {underlying: spot}, 0, option_expiries=0)
        inst = next((i for i in listed if i.symbol == sym), None)
        if inst is not None:
            out[sym] = (frame.drop(columns=["oi"], errors="ignore"), inst)
    return out


def _option_frames(
    window: pd.DataFrame,
    inst: Instrument,
    flat: VolSurface,
    vix_by_day: Mapping[dt.date, float] | None,
) -> pd.DataFrame:
    if vix_by_day is None:
        return option_bars(window, inst, flat)
    days = _days(window)
    parts = []
    for day in sorted(set(days)):
        level = vix_by_day.get(day)
        surface: VolSurface = flat if level is None else VixDrivenSurface(level)
        part = window.loc[(days == day).to_numpy()]
        parts.append(option_bars(part, inst, surface))
    return pd.concat(parts, ignore_index=True) if parts else option_bars(window, inst, flat)


def derivatives_market(
    index: pd.DataFrame,
    index_symbol: str,
    kind: str = "both",
    *,
    underlying: str | None = None,
    strikes_each_side: int = 5,
    window_days: int = 14,
    vol: float = 0.15,
    vix: pd.DataFrame | None = None,
) -> DerivativesMarket:
    """The index's synthetic futures and/or options (module docstring).

    Raises ValueError for an unknown ``kind``, empty bars, a symbol that is no underlying
    (give ``underlying``), ``strikes_each_side < 0``, ``window_days < 1`` or a bad ``vol``.
    """
    if kind not in DERIVATIVE_KINDS:
        raise ValueError(f"kind must be one of {DERIVATIVE_KINDS}, got {kind!r}")
    if index.empty:
        raise ValueError(f"no bars for {index_symbol}")
    if strikes_each_side < 0 or window_days < 1:
        raise ValueError("strikes_each_side must be >= 0 and window_days >= 1")
    if not (math.isfinite(vol) and vol > 0):
        raise ValueError(f"vol must be a positive number, got {vol}")
    sym = index_symbol.upper()
    root = underlying.upper() if underlying else underlying_for(sym)
    index = index.reset_index(drop=True)
    days = _days(index)
    frames: dict[str, pd.DataFrame] = {sym: index}
    instruments: dict[str, Instrument] = {}
    futures: list[str] = []
    options: list[str] = []
    if kind in ("future", "both"):
        for s, (frame, inst) in _futures(index, root, days).items():
            frames[s], instruments[s] = frame, inst
            futures.append(s)
    if kind in ("options", "both"):
        vix_by_day: dict[dt.date, float] | None = None
        if vix is not None and not vix.empty:
            vdays = _days(vix)
            firsts = vix.assign(day=vdays.to_numpy()).groupby("day")["open"].first()
            vix_by_day = {cast(dt.date, d): float(v) for d, v in firsts.items()}
        cal = default_expiry_calendar()
        step = cal.rules.strike_step(root)
        first, last = days.iloc[0], days.iloc[-1]
        for expiry in cal.expiries_between(root, first, last + dt.timedelta(days=7)):
            start = expiry.date - dt.timedelta(days=window_days)
            inside = ((days >= start) & (days <= expiry.date)).to_numpy()
            if not inside.any():
                continue
            window = index.loc[inside].reset_index(drop=True)
            lo = atm_strike(float(window["low"].min()), step)
            hi = atm_strike(float(window["high"].max()), step)
            span = int((hi - lo) / step) // 2 + 1 + strikes_each_side
            centre = atm_strike(float((hi + lo) / 2), step)
            on = _days(window).iloc[0]
            listed = fno_universe(
                on, {root: float(centre)}, span, option_expiries=_rank(cal, root, on, expiry.date),
                futures_months=0,
            )  # fmt: skip
            keep_lo = lo - strikes_each_side * step
            keep_hi = hi + strikes_each_side * step
            for inst in listed:
                strike = inst.strike if inst.strike is not None else Decimal(0)
                if inst.expiry != expiry.date or not keep_lo <= strike <= keep_hi:
                    continue
                frame = _option_frames(window, inst, FlatVol(vol), vix_by_day)
                if frame.empty:
                    continue
                frames[inst.symbol], instruments[inst.symbol] = frame, inst
                options.append(inst.symbol)
    return DerivativesMarket(
        frames=frames,
        instruments=instruments,
        underlyings={root: sym},
        futures=tuple(futures),
        options=tuple(options),
    )


def _rank(cal: ExpiryCalendar, root: str, on: dt.date, expiry: dt.date) -> int:
    """How many expiries from ``on`` up to and including ``expiry``."""
    return max(1, sum(1 for e in cal.expiries_between(root, on, expiry) if e.date <= expiry))


def load_derivatives(
    store: BarStore,
    symbol: str,
    timeframe: str,
    start: str | None,
    end: str | None,
    kind: str,
    *,
    underlying: str | None = None,
    strikes_each_side: int = 5,
    vol: float = 0.15,
    vix_symbol: str | None = None,
) -> tuple[DerivativesMarket, str]:
    """:func:`derivatives_market` around ``symbol``'s bars in the store for ``[start, end)``,
    and the index's calendar name. Raises ``SeriesNotFound`` / ValueError."""
    if kind not in DERIVATIVE_KINDS:
        raise ValueError(
            f"--derivatives must be one of {', '.join(DERIVATIVE_KINDS)}, got {kind!r}"
        )
    index = store.read(symbol, timeframe, start=start, end=end)
    if index.empty:
        raise ValueError(f"no bars for {symbol} {timeframe} between {start} and {end}")
    vix = None if vix_symbol is None else store.read(vix_symbol, timeframe, start=start, end=end)
    market = derivatives_market(
        index, symbol, kind, underlying=underlying, strikes_each_side=strikes_each_side,
        vol=vol, vix=vix,
    )  # fmt: skip
    return market, store.info(symbol, timeframe).calendar or "NSE"
