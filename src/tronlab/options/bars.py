"""Synthetic option bars priced off an underlying's bars with Black-76 and a vol surface.

:func:`option_bars` turns the canonical bars of an index (``timestamp``, ``open``, ``high``,
``low``, ``close``, ``volume``) into bars of one option contract, for backtests and tests
that need option series without option data.

Model and approximations
------------------------
Price
    Each price point is the Black-76 value ``black76_price(F, K, T, sigma(k, T), r)`` with

    * ``F`` the underlying's price itself (**forward = index**: no carry or dividends, so
      calls are slightly cheap and puts slightly dear against the true forward);
    * ``T`` the calendar years (:func:`~tronlab.options.time.year_fraction`, floored at one
      minute) from the time of the price point to 15:30 IST on the expiry date: ``open`` at
      the bar start, ``high``, ``low`` and ``close`` at the bar end (start + the typical bar
      spacing, capped at the expiry instant);
    * ``sigma = surface.vol(log(K/F), T)``, the surface's volatility at the point's own
      moneyness (sticky moneyness). There are **no smile dynamics beyond the surface**: no
      vol-of-vol, no spot/vol correlation other than what ``k`` moving along a fixed smile
      gives, no bid/ask spread and no microstructure noise.
High and low
    The option prices at the underlying's high and low (a call is highest at the underlying's
    high, a put at its low), widened to contain ``open`` and ``close``. The path inside the bar
    is not modelled (the option's extreme may come at another time than the index's).
Tick and floor
    Prices are rounded to ``tick`` and floored at ``floor`` (NSE's minimum option price), so a
    far out-of-the-money option trades at 0.05 rather than 0.
Volume
    Synthetic and deterministic: whole lots, more near the money and more when the underlying
    moves within the bar, times log-normal noise seeded from the contract symbol and ``seed``.
Range
    Only bars starting before the expiry instant (15:30 IST on the expiry date) are kept; near
    the expiry close the price tends to the intrinsic value, which is what the contract settles
    at (see :mod:`tronlab.engine.settlement`).

Core-service layer: numpy, pandas and :mod:`tronlab.model` only.
"""

from __future__ import annotations

import zlib
from typing import Any

import numpy as np
import pandas as pd

from tronlab.model import Instrument, InstrumentKind, OptionRight
from tronlab.options.pricing import black76_price
from tronlab.options.surface import VolSurface
from tronlab.options.time import IST, expiry_instant, year_fraction

__all__ = ["option_bars"]

_COLUMNS = ("timestamp", "open", "high", "low", "close", "volume")
_DEFAULT_STEP_NS = 60_000_000_000


def _round_floor(x: np.ndarray[Any, Any], tick: float, floor: float) -> np.ndarray[Any, Any]:
    out: np.ndarray[Any, Any] = np.maximum(np.round(np.round(x / tick) * tick, 6), floor)
    return out


def option_bars(
    underlying_bars: pd.DataFrame,
    instrument: Instrument,
    surface: VolSurface,
    r: float = 0.065,
    tick: float = 0.05,
    floor: float = 0.05,
    *,
    seed: int = 0,
    base_volume_lots: float = 200.0,
) -> pd.DataFrame:
    """Bars of the option ``instrument`` priced from ``underlying_bars`` (see the module
    docstring for the model).

    Parameters
    ----------
    underlying_bars
        Canonical bars of the underlying (``timestamp`` UTC bar starts, ``open``, ``high``,
        ``low``, ``close``), in time order.
    instrument
        An option with ``strike``, ``right`` and ``expiry``.
    surface
        Anything with ``vol(k, t)``, e.g. :class:`~tronlab.options.surface.FlatVol`.
    r
        Continuously compounded rate (decimal).
    tick, floor
        Price tick and minimum price.
    seed, base_volume_lots
        Volume noise seed (combined with the symbol) and the mean lots per bar at the money.

    Returns
    -------
    pandas.DataFrame
        Columns ``timestamp, open, high, low, close, volume`` for the bars that start before
        the expiry close (possibly empty).

    Raises
    ------
    ValueError
        ``instrument`` is not an option with strike, right and expiry, or bad ``tick``/``floor``.
    """
    if (
        instrument.kind is not InstrumentKind.OPT
        or instrument.strike is None
        or instrument.right is None
        or instrument.expiry is None
    ):
        raise ValueError(f"{instrument.symbol}: an option with strike, right and expiry is needed")
    if not (tick > 0 and floor >= 0):
        raise ValueError(f"tick must be > 0 and floor >= 0, got {tick}, {floor}")
    missing = [c for c in _COLUMNS[:5] if c not in underlying_bars.columns]
    if missing:
        raise ValueError(f"underlying bars lack columns {missing}")

    stamps = pd.to_datetime(underlying_bars["timestamp"], utc=True).reset_index(drop=True)
    cutoff = pd.Timestamp(expiry_instant(instrument.expiry, IST))
    keep = (stamps < cutoff).to_numpy()
    bars = underlying_bars.reset_index(drop=True).loc[keep].reset_index(drop=True)
    stamps = stamps[keep].reset_index(drop=True)
    if bars.empty:
        return pd.DataFrame({c: pd.Series(dtype=float) for c in _COLUMNS}).assign(
            timestamp=pd.Series(dtype="datetime64[ns, UTC]")
        )

    start_ns = stamps.to_numpy(dtype="datetime64[ns]").astype(np.int64)
    diffs = np.diff(start_ns)
    diffs = diffs[diffs > 0]
    step = int(np.median(diffs)) if diffs.size else _DEFAULT_STEP_NS
    end_ns = np.minimum(start_ns + step, cutoff.value)
    t_open = np.asarray(year_fraction(start_ns.astype("datetime64[ns]"), instrument.expiry))
    t_end = np.asarray(year_fraction(end_ns.astype("datetime64[ns]"), instrument.expiry))

    strike = float(instrument.strike)
    is_call = instrument.right is OptionRight.CALL

    def price(level: np.ndarray[Any, Any], t: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
        sigma = surface.vol(np.log(strike / level), t)
        return np.asarray(black76_price(level, strike, t, sigma, r, is_call), dtype=np.float64)

    u_open = bars["open"].to_numpy(dtype=np.float64)
    u_high = bars["high"].to_numpy(dtype=np.float64)
    u_low = bars["low"].to_numpy(dtype=np.float64)
    u_close = bars["close"].to_numpy(dtype=np.float64)
    open_ = _round_floor(price(u_open, t_open), tick, floor)
    close = _round_floor(price(u_close, t_end), tick, floor)
    at_high = _round_floor(price(u_high, t_end), tick, floor)
    at_low = _round_floor(price(u_low, t_end), tick, floor)
    high = np.maximum.reduce([at_high, at_low, open_, close])
    low = np.minimum.reduce([at_high, at_low, open_, close])

    lot = max(int(instrument.lot_size), 1)
    rng = np.random.default_rng([seed, zlib.crc32(instrument.symbol.encode())])
    moneyness = np.abs(np.log(strike / u_close))
    move = np.abs(u_close - u_open) / u_open
    lots = base_volume_lots * np.exp(-moneyness / 0.01) * (1.0 + 1000.0 * move)
    lots = lots * rng.lognormal(0.0, 0.5, len(bars))
    volume = np.maximum(np.round(lots), 1.0) * lot

    return pd.DataFrame(
        {
            "timestamp": stamps,
            "open": open_,
            "high": high,
            "low": low,
            "close": close,
            "volume": volume,
        }
    )
