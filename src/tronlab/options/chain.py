"""Option chains: one expiry of one underlying, with IV and Greeks for every strike × right.

:class:`OptionChain` holds a tidy :class:`pandas.DataFrame` (one row per strike × right,
sorted by strike then ``CE`` before ``PE``) with columns

=========== ================================================================================
strike      float
right       ``"CE"`` or ``"PE"``
price       the premium quoted (discounted, currency)
iv          Black-76 implied volatility, decimal (NaN where none; see ``iv_status``)
iv_status   the :class:`~tronlab.options.iv.IVStatus` name (``"OK"``, ``"AT_PRICE_FLOOR"``, …)
delta       per 1.0 of the forward; gamma per 1.0²; vega per vol point; theta per calendar day
oi, volume  open interest and traded volume in units (NaN when not known)
=========== ================================================================================

plus ``underlying``, ``expiry`` (date), ``as_of`` (aware datetime), ``forward``, ``r`` and
``t`` (years to 15:30 IST on the expiry date, :func:`~tronlab.options.time.year_fraction`).

Built by :func:`chain_from_quotes` (forward given, or the put-call-parity forward at the ATM
strike, :func:`~tronlab.options.forward.parity_forward`), :func:`synthetic_chain` (prices from
a :mod:`~tronlab.options.surface`) and :func:`load_eod_chains` (the shared
``*_OPTCHAIN_1d_*`` bhavcopy snapshots). Core-service layer: numpy, pandas, tronlab.options.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any, cast
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from tronlab.options.forward import parity_forward
from tronlab.options.iv import NSE_PRICE_FLOOR, IVStatus, implied_vol_black76
from tronlab.options.pricing import black76, black76_price
from tronlab.options.surface import VolSurface
from tronlab.options.time import IST, NSE_CLOSE, year_fraction

DEFAULT_RATE = 0.065
"""Default continuously compounded rate (decimal) for chains."""

COLUMNS = ("strike", "right", "price", "iv", "iv_status", "delta", "gamma", "vega", "theta",
           "oi", "volume")  # fmt: skip
"""Columns of :attr:`OptionChain.frame`, in order."""

_STATUS_NAMES = {int(s): s.name for s in IVStatus}


@dataclass(frozen=True)
class OptionChain:
    """One expiry's chain; see the module docstring for :attr:`frame`'s columns."""

    underlying: str
    expiry: date
    as_of: datetime
    forward: float
    r: float
    t: float
    frame: pd.DataFrame
    forward_source: str = "given"
    """``"given"`` or ``"parity@<strike>"``."""

    @property
    def strikes(self) -> np.ndarray[Any, np.dtype[np.float64]]:
        """Distinct strikes, ascending."""
        return np.unique(self.frame["strike"].to_numpy(dtype=np.float64))

    def side(self, right: str) -> pd.DataFrame:
        """The ``"CE"`` or ``"PE"`` rows, indexed by strike."""
        key = right.upper()
        if key not in ("CE", "PE"):
            raise ValueError(f"right must be CE or PE, got {right!r}")
        return self.frame[self.frame["right"] == key].set_index("strike")

    def calls(self) -> pd.DataFrame:
        return self.side("CE")

    def puts(self) -> pd.DataFrame:
        return self.side("PE")

    def __len__(self) -> int:
        return len(self.frame)


def _rights(rights: Sequence[Any] | ArrayLike) -> list[str]:
    out: list[str] = []
    for item in np.asarray(rights, dtype=object).ravel().tolist():
        if isinstance(item, bool | np.bool_):
            out.append("CE" if item else "PE")
            continue
        key = str(item).strip().upper()
        if key in ("C", "CE", "CALL"):
            out.append("CE")
        elif key in ("P", "PE", "PUT"):
            out.append("PE")
        else:
            raise ValueError(f"unknown option right {item!r} (use CE/PE, C/P or call/put)")
    return out


def _column(values: ArrayLike | None, n: int, name: str) -> np.ndarray[Any, np.dtype[np.float64]]:
    if values is None:
        return np.full(n, np.nan)
    arr = np.asarray(values, dtype=np.float64).ravel()
    if arr.size != n:
        raise ValueError(f"{name} has {arr.size} values, expected {n}")
    return arr


def chain_from_quotes(
    underlying: str,
    expiry: date,
    as_of: datetime,
    strikes: ArrayLike,
    rights: Sequence[Any] | ArrayLike,
    prices: ArrayLike,
    oi: ArrayLike | None = None,
    volume: ArrayLike | None = None,
    *,
    r: float = DEFAULT_RATE,
    forward: float | None = None,
    price_floor: float | None = NSE_PRICE_FLOOR,
) -> OptionChain:
    """Build a chain from per-option quotes (parallel 1-d arrays, one entry per option).

    ``rights``: ``CE``/``PE`` (also ``C``/``P``, call/put, or booleans True = call);
    ``prices``: discounted premiums (NaN or <= 0 gives ``INVALID_INPUT`` and NaN IV/Greeks).
    ``forward``: when None, the put-call-parity forward ``K + e^{rT}(C − P)`` at the strike
    where ``|C − P|`` is smallest (the ATM strike); raises ``ValueError`` when no strike has
    both a call and a put quote. ``as_of`` must be timezone-aware and before the expiry
    instant (15:30 IST on ``expiry``), else ``ValueError``. IVs come from
    :func:`implied_vol_black76` (``price_floor`` flags quotes at NSE's ₹0.05 tick), Greeks
    from :func:`black76` at that IV. Duplicate strike × right pairs raise ``ValueError``.
    """
    k = np.asarray(strikes, dtype=np.float64).ravel()
    n = k.size
    right = _rights(rights)
    if len(right) != n:
        raise ValueError(f"rights has {len(right)} values, expected {n}")
    price = _column(prices, n, "prices")
    frame = pd.DataFrame(
        {"strike": k, "right": right, "price": price,
         "oi": _column(oi, n, "oi"), "volume": _column(volume, n, "volume")}
    )  # fmt: skip
    if frame.duplicated(["strike", "right"]).any():
        dup = frame[frame.duplicated(["strike", "right"], keep=False)]
        raise ValueError(f"duplicate strike/right pairs: {dup[['strike', 'right']].values[:5]}")
    t = float(year_fraction(as_of, expiry))
    if math.isnan(t):
        raise ValueError(f"as_of {as_of.isoformat()} is after the expiry of {expiry.isoformat()}")
    source = "given"
    if forward is None:
        ce = frame[frame["right"] == "CE"].set_index("strike")["price"]
        pe = frame[frame["right"] == "PE"].set_index("strike")["price"]
        both = ce.index.intersection(pe.index).sort_values()
        pf = parity_forward(both.to_numpy(), ce[both].to_numpy(), pe[both].to_numpy(), t, r)
        forward, source = pf.forward, f"parity@{pf.strike:g}"
    elif not (math.isfinite(forward) and forward > 0):
        raise ValueError(f"forward must be finite and > 0, got {forward}")
    is_call = (frame["right"] == "CE").to_numpy()
    res = implied_vol_black76(price, forward, k, t, r, is_call, price_floor=price_floor)
    iv = np.asarray(res.iv, dtype=np.float64)
    frame["iv"] = iv
    frame["iv_status"] = [_STATUS_NAMES[int(s)] for s in np.asarray(res.status).ravel()]
    have = np.isfinite(iv)
    g = black76(forward, k, t, np.where(have, iv, 0.2), r, is_call)
    for name in ("delta", "gamma", "vega", "theta"):
        frame[name] = np.where(have, np.asarray(getattr(g, name), dtype=np.float64), np.nan)
    frame["_order"] = np.where(is_call, 0, 1)
    frame = frame.sort_values(["strike", "_order"], kind="stable").drop(columns="_order")
    frame = frame[list(COLUMNS)].reset_index(drop=True)
    return OptionChain(underlying, expiry, as_of, float(forward), float(r), t, frame, source)


def synthetic_chain(
    underlying: str,
    spot_or_forward: float,
    as_of: datetime,
    expiry: date,
    strikes: ArrayLike,
    surface: VolSurface,
    r: float = DEFAULT_RATE,
    *,
    is_spot: bool = False,
    q: float = 0.0,
    tick: float | None = None,
) -> OptionChain:
    """A chain priced from a volatility surface: a CE and a PE at every strike.

    ``spot_or_forward`` is the forward ``F`` (default), or with ``is_spot=True`` the spot
    ``S`` with ``F = S·e^{(r−q)T}``. Each option is priced with Black-76 at
    ``surface.vol(log(K/F), T)`` and the chain is rebuilt with :func:`chain_from_quotes` at
    that forward, so its IVs recover the surface. ``tick`` (e.g. 0.05) rounds prices to the
    tick (at least one tick) and turns on the price-floor flag; without it prices are exact
    and no floor applies. Open interest and volume are NaN.
    """
    k = np.unique(np.asarray(strikes, dtype=np.float64).ravel())
    t = float(year_fraction(as_of, expiry))
    if math.isnan(t):
        raise ValueError(f"as_of {as_of.isoformat()} is after the expiry of {expiry.isoformat()}")
    f = float(spot_or_forward) * (math.exp((r - q) * t) if is_spot else 1.0)
    sigma = surface.vol(np.log(k / f), t)
    kk = np.concatenate([k, k])
    calls = np.concatenate([np.ones(k.size, bool), np.zeros(k.size, bool)])
    prices = np.asarray(black76_price(f, kk, t, np.concatenate([sigma, sigma]), r, calls))
    floor: float | None = None
    if tick is not None:
        prices = np.maximum(np.round(prices / tick) * tick, tick)
        floor = tick
    return chain_from_quotes(underlying, expiry, as_of, kk, calls, prices, r=r, forward=f,
                             price_floor=floor)  # fmt: skip


def eod_as_of(day: date) -> datetime:
    """The snapshot instant of an EOD chain: 15:30 IST on ``day``."""
    return datetime.combine(day, NSE_CLOSE, tzinfo=ZoneInfo(IST))


def read_eod_frame(path: str | Path) -> pd.DataFrame:
    """The raw ``*_OPTCHAIN_1d_*`` CSV with ``date`` (IST trade date) and ``expiry`` as
    :class:`datetime.date` columns."""
    df = pd.read_csv(path)
    missing = {"timestamp", "underlying", "expiry", "strike", "option_type", "close"} - set(df)
    if missing:
        raise ValueError(f"{path}: not an option-chain file, missing columns {sorted(missing)}")
    ts = pd.to_datetime(df["timestamp"], utc=True).dt.tz_convert(IST)
    df["date"] = [d.date() for d in ts]
    df["expiry"] = [date.fromisoformat(str(e)[:10]) for e in df["expiry"]]
    return df


def load_eod_chains(
    path: str | Path,
    *,
    r: float = DEFAULT_RATE,
    underlying: str | None = None,
    skipped: list[tuple[date, date, str]] | None = None,
) -> dict[tuple[date, date], OptionChain]:
    """Every (trade date, expiry) chain in a shared ``*_OPTCHAIN_1d_*`` CSV.

    The quote is the ``close`` (the bhavcopy closing premium), ``oi`` and ``volume`` come from
    their columns, ``as_of`` is 15:30 IST on the row's date and the forward is the parity
    forward at the ATM strike. A file holding several underlyings needs ``underlying``. A
    chain that cannot be built (no strike with both a CE and a PE quote, or already expired)
    is left out; pass a list as ``skipped`` to receive ``(date, expiry, reason)`` for each.
    """
    df = read_eod_frame(path)
    if underlying is not None:
        df = df[df["underlying"].astype(str).str.upper() == underlying.upper()]
        if df.empty:
            raise ValueError(f"{path}: no rows for underlying {underlying!r}")
    names = sorted(df["underlying"].astype(str).unique())
    if len(names) > 1:
        raise ValueError(f"{path} holds several underlyings {names}: pass underlying=")
    out: dict[tuple[date, date], OptionChain] = {}
    for key, g in df.groupby(["date", "expiry"], sort=True):
        day, expiry = cast("tuple[date, date]", key)
        try:
            out[(day, expiry)] = chain_from_quotes(
                names[0], expiry, eod_as_of(day), g["strike"], g["option_type"], g["close"],
                g.get("oi"), g.get("volume"), r=r,
            )  # fmt: skip
        except ValueError as exc:
            if skipped is not None:
                skipped.append((day, expiry, str(exc)))
    return out
