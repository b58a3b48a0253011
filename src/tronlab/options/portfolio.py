"""Net Greeks of a portfolio of futures, options and shares, per underlying and in total.

:func:`portfolio_greeks` revalues every option with :func:`~tronlab.options.pricing.black76`
on the forward and adds the positions up.

Inputs
------
``positions``
    ``Instrument -> signed quantity`` (long > 0, short < 0) in **units** (NFO: lots already
    multiplied by the lot size). Every figure is scaled by ``quantity × multiplier``.
``underlying_prices``
    The forward of each underlying. Keys are either the underlying name (``"NIFTY"``; used as
    the forward for every expiry of that underlying) or ``(underlying, expiry)`` tuples for a
    per-expiry forward; a tuple key wins over the name when both are present. Shares are
    looked up by their symbol.
``vols``
    One flat volatility (decimal, 0.13 = 13%) for every option, or ``Instrument -> vol``.
    Only live options need one.
``now``
    A timezone-aware datetime; ``T`` comes from :func:`~tronlab.options.time.year_fraction`
    (calendar time to 15:30 IST on the expiry date).

Conventions
-----------
* ``delta`` is in units of the underlying: option ``qty × mult × dV/dF`` (Black-76 delta,
  includes ``e^{-rT}``); a future has delta **1 per unit on its forward** (``qty × mult``);
  a share has delta 1 per unit (``qty × mult``). ``delta_notional = delta × forward`` is the
  currency equivalent, which (unlike ``delta``) can be summed across underlyings.
* ``gamma``: change of that delta per 1.0 of the underlying (``qty × mult × d²V/dF²``).
* ``vega``: currency per vol point (σ + 0.01); ``theta``: currency per calendar day (forward
  held fixed); both ``qty × mult ×`` the per-unit Greek. Futures and shares have zero gamma,
  vega and theta.
* ``short_vega``: the sum of the negative position vegas (``Σ min(vega_i, 0)``, <= 0), i.e.
  the gross short-volatility exposure before netting against long options.
* An option or future whose expiry instant (15:30 IST on the expiry date) is before ``now``
  has **expired and contributes nothing** (it is listed in the breakdown with
  ``expired=True`` and zero Greeks); settlement cash flows are the ledger's business.
* The totals of ``delta`` and ``gamma`` add units of different underlyings and are only
  meaningful for a single-underlying book; use the per-underlying frame otherwise.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any, TypeAlias

import pandas as pd

from tronlab.model.enums import InstrumentKind, OptionRight
from tronlab.model.instruments import Instrument
from tronlab.options.pricing import black76
from tronlab.options.time import year_fraction

PriceMap: TypeAlias = Mapping[str, float] | Mapping[tuple[str, date], float] | Mapping[Any, float]
"""Forwards by underlying name, or by ``(underlying, expiry)``."""

VolMap: TypeAlias = Mapping[Instrument, float] | float
"""A flat volatility, or one per option instrument."""

GREEK_COLUMNS = ("delta", "delta_notional", "gamma", "vega", "theta", "short_vega")
"""The additive columns of :attr:`PortfolioGreeks.by_underlying`."""


@dataclass(frozen=True, slots=True)
class Leg:
    """One position prepared for valuation (internal; shared with :mod:`.margin`).

    ``size`` is ``quantity × multiplier``; ``t`` and ``vol`` are NaN for non-options; ``t``
    is NaN for an expired contract too.
    """

    instrument: Instrument
    key: str
    quantity: float
    size: float
    forward: float
    t: float
    vol: float
    expired: bool

    @property
    def is_option(self) -> bool:
        return self.instrument.kind is InstrumentKind.OPT

    @property
    def is_call(self) -> bool:
        return self.instrument.right is OptionRight.CALL

    @property
    def strike(self) -> float:
        return float(self.instrument.strike) if self.instrument.strike is not None else math.nan


def _price_of(inst: Instrument, key: str, prices: Mapping[Any, float]) -> float:
    value: Any = None
    if inst.expiry is not None:
        value = prices.get((key, inst.expiry))
    if value is None:
        value = prices.get(key)
    if value is None:
        raise ValueError(f"no underlying price for {key!r} (needed by {inst.id})")
    price = float(value)
    if not math.isfinite(price) or price <= 0:
        raise ValueError(f"underlying price of {key!r} must be finite and > 0, got {value!r}")
    return price


def _vol_of(inst: Instrument, vols: VolMap) -> float:
    if isinstance(vols, Mapping):
        if inst not in vols:
            raise ValueError(f"no volatility for option {inst.id}")
        vol = float(vols[inst])
    else:
        vol = float(vols)
    if not math.isfinite(vol) or vol < 0:
        raise ValueError(f"volatility of {inst.id} must be finite and >= 0, got {vol!r}")
    return vol


def prepare_legs(
    positions: Mapping[Instrument, Decimal | float],
    underlying_prices: PriceMap,
    vols: VolMap,
    now: datetime,
) -> list[Leg]:
    """Resolve forward, time to expiry and volatility of every position.

    Raises ``ValueError`` for an index (not tradable), a missing or bad price or volatility,
    or a non-finite quantity.
    """
    prices: Mapping[Any, float] = underlying_prices
    legs: list[Leg] = []
    for inst, qty in positions.items():
        if inst.kind is InstrumentKind.INDEX:
            raise ValueError(f"{inst.id} is an index, not a tradable position")
        quantity = float(qty)
        if not math.isfinite(quantity):
            raise ValueError(f"quantity of {inst.id} must be finite, got {qty!r}")
        key = inst.underlying if inst.underlying is not None else inst.symbol
        forward = _price_of(inst, key, prices)
        t = math.nan
        vol = math.nan
        expired = False
        if inst.expiry is not None:
            t = float(year_fraction(now, inst.expiry))
            expired = math.isnan(t)
        if inst.kind is InstrumentKind.OPT and not expired:
            vol = _vol_of(inst, vols)
        legs.append(
            Leg(inst, key, quantity, quantity * float(inst.multiplier), forward, t, vol, expired)
        )
    return legs


@dataclass(frozen=True, slots=True)
class PortfolioGreeks:
    """Net Greeks of a portfolio (units in the module docstring).

    ``by_underlying``: one row per underlying (index ``underlying``, sorted), columns
    :data:`GREEK_COLUMNS`. ``positions``: one row per position with ``instrument``,
    ``underlying``, ``kind``, ``expiry``, ``strike``, ``right``, ``quantity``, ``forward``,
    ``t``, ``vol``, ``expired``, ``price`` (per unit), ``value`` (``price × size``; options
    only) and the position Greeks of :data:`GREEK_COLUMNS`.
    """

    delta: float
    delta_notional: float
    gamma: float
    vega: float
    theta: float
    short_vega: float
    by_underlying: pd.DataFrame
    positions: pd.DataFrame


def _leg_row(leg: Leg, r: float) -> dict[str, Any]:
    inst = leg.instrument
    row: dict[str, Any] = {
        "instrument": str(inst.id),
        "underlying": leg.key,
        "kind": str(inst.kind),
        "expiry": inst.expiry,
        "strike": leg.strike,
        "right": inst.right.kite if inst.right is not None else None,
        "quantity": leg.quantity,
        "forward": leg.forward,
        "t": leg.t,
        "vol": leg.vol,
        "expired": leg.expired,
        "price": math.nan,
        "value": 0.0,
        "delta": 0.0,
        "gamma": 0.0,
        "vega": 0.0,
        "theta": 0.0,
    }
    if leg.expired:
        pass
    elif leg.is_option:
        g = black76(leg.forward, leg.strike, leg.t, leg.vol, r, leg.is_call)
        row["price"] = float(g.price)
        row["value"] = leg.size * float(g.price)
        row["delta"] = leg.size * float(g.delta)
        row["gamma"] = leg.size * float(g.gamma)
        row["vega"] = leg.size * float(g.vega)
        row["theta"] = leg.size * float(g.theta)
    else:  # future (delta 1 per unit on its forward) or share
        row["price"] = leg.forward
        row["delta"] = leg.size
    row["delta_notional"] = row["delta"] * leg.forward
    row["short_vega"] = min(row["vega"], 0.0)
    return row


def portfolio_greeks(
    positions: Mapping[Instrument, Decimal | float],
    underlying_prices: PriceMap,
    vols: VolMap,
    now: datetime,
    r: float = 0.065,
) -> PortfolioGreeks:
    """Net delta, gamma, vega, theta and short vega of ``positions``, per underlying and in
    total, with a per-position breakdown (see the module docstring for inputs and units).

    Example: long 75 NIFTY futures and short 75 NIFTY 24000 CE at F = 24000 give a net delta
    of about ``75 × (1 − 0.5) = 37.5`` units and a negative vega.
    """
    legs = prepare_legs(positions, underlying_prices, vols, now)
    rows = [_leg_row(leg, float(r)) for leg in legs]
    columns = [
        "instrument", "underlying", "kind", "expiry", "strike", "right", "quantity", "forward",
        "t", "vol", "expired", "price", "value", *GREEK_COLUMNS,
    ]  # fmt: skip
    frame = pd.DataFrame(rows, columns=columns)
    by = (
        frame.groupby("underlying", sort=True)[list(GREEK_COLUMNS)].sum()
        if len(frame)
        else pd.DataFrame(columns=list(GREEK_COLUMNS), index=pd.Index([], name="underlying"))
    ).astype(float)
    totals = {c: float(frame[c].sum()) if len(frame) else 0.0 for c in GREEK_COLUMNS}
    return PortfolioGreeks(
        delta=totals["delta"],
        delta_notional=totals["delta_notional"],
        gamma=totals["gamma"],
        vega=totals["vega"],
        theta=totals["theta"],
        short_vega=totals["short_vega"],
        by_underlying=by,
        positions=frame,
    )
