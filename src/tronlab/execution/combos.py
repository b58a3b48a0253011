"""Builders of multi-leg option orders: straddle, strangle, vertical spreads, iron condor.

Each builder picks an expiry and strikes from a list of option instruments (e.g.
``ctx.instruments("NIFTY")``) around ``spot`` at ``now`` (an aware datetime, or
nanoseconds since the epoch such as ``ctx.now_ns``) and returns a
:class:`~tronlab.execution.intents.MultiLegIntent` of market orders, ``lots`` lots per leg
(all legs share an expiry, hence a lot size). Selection (:mod:`tronlab.options.select`):

* expiry: ``expiry`` when given, else the nearest one with more than ``min_left`` to go;
* ATM: the listed strike nearest ``spot``; offsets count listed strikes from it.

Shapes (``side`` BUY = long the shape, SELL = short it):

* :func:`straddle`: the ATM call and the ATM put;
* :func:`strangle`: the call ``offset`` strikes above ATM and the put ``offset`` below;
* :func:`vertical`: ``bull_call`` buys the ATM call and sells the call ``width`` strikes
  above; ``bear_put`` buys the ATM put and sells the put ``width`` strikes below;
* :func:`iron_condor` (short by default): sells the call and the put ``short_offset``
  strikes from ATM and buys the wings ``wing`` strikes further out.

A missing contract raises :class:`ComboError` (a ``ValueError``) naming it. Pure; no I/O.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Literal

from tronlab.execution.intents import ComboKind, IntentError, MultiLegIntent, OrderIntent
from tronlab.model import Instrument, OptionRight, Product, Side
from tronlab.options.select import (
    atm_strike,
    live_options,
    nearest_expiry,
    offset_strike,
    option_at,
    strikes_of,
)

__all__ = ["ComboError", "iron_condor", "straddle", "strangle", "vertical"]

_CALL = OptionRight.CALL
_PUT = OptionRight.PUT


class ComboError(IntentError):
    """The instruments do not have what a combination needs (an expiry, a strike)."""


class _Chain:
    """The options of one expiry and the strikes listed for both rights."""

    def __init__(
        self,
        options: Iterable[Instrument],
        spot: float,
        now: datetime | int,
        expiry: date | None,
        min_left: timedelta,
    ) -> None:
        if not (isinstance(spot, int | float | Decimal) and math.isfinite(spot) and spot > 0):
            raise ComboError(f"spot must be a positive finite number, got {spot!r}")
        if isinstance(now, int):  # nanoseconds since the epoch, as ctx.now_ns
            now = datetime.fromtimestamp(now / 1e9, UTC)
        live = live_options(options, now, min_left=min_left)
        if expiry is None:
            expiry = nearest_expiry(live, now, min_left=min_left)
            if expiry is None:
                raise ComboError(f"no option expires more than {min_left} after {now}")
        self.expiry = expiry
        self.options = [i for i in live if i.expiry == expiry]
        calls = set(strikes_of(self.options, expiry, _CALL))
        self.strikes = sorted(calls & set(strikes_of(self.options, expiry, _PUT)))
        if not self.strikes:
            raise ComboError(f"no live call and put strikes expiring on {expiry.isoformat()}")
        self.spot = float(spot)
        self.atm = atm_strike(self.strikes, self.spot)

    def at(self, steps: int, right: OptionRight) -> Instrument:
        try:
            strike = offset_strike(self.strikes, self.atm, steps)
            return option_at(self.options, self.expiry, strike, right)
        except ValueError as exc:
            raise ComboError(str(exc)) from None


def _leg(
    inst: Instrument,
    side: Side,
    lots: int,
    role: str,
    kind: ComboKind,
    rationale: str,
    confidence: float | None,
    product: Product | None,
    strategy_id: str,
) -> OrderIntent:
    note = f"{kind.value} {role} {inst.strike} {inst.right.kite if inst.right else ''}".strip()
    return OrderIntent(
        symbol=inst.symbol,
        side=side,
        quantity=Decimal(lots * inst.lot_size),
        product=product,
        rationale=f"{note}: {rationale}" if rationale else note,
        confidence=confidence,
        strategy_id=strategy_id,
        tag=kind.value,
    )


def _check_lots(lots: int) -> None:
    if isinstance(lots, bool) or not isinstance(lots, int) or lots < 1:
        raise ComboError(f"lots must be a whole number >= 1, got {lots!r}")


def _build(
    kind: ComboKind,
    legs: list[tuple[Instrument, Side, str]],
    lots: int,
    rationale: str,
    confidence: float | None,
    product: Product | None,
    strategy_id: str,
) -> MultiLegIntent:
    return MultiLegIntent(
        legs=tuple(
            _leg(i, s, lots, role, kind, rationale, confidence, product, strategy_id)
            for i, s, role in legs
        ),
        strategy=kind,
        rationale=rationale,
        confidence=confidence,
        strategy_id=strategy_id,
    )


def _flip(side: Side) -> Side:
    return Side.SELL if side is Side.BUY else Side.BUY


def _role(side: Side, what: str) -> str:
    return f"{'long' if side is Side.BUY else 'short'} {what}"


def straddle(
    options: Iterable[Instrument],
    spot: float,
    now: datetime | int,
    *,
    side: Side = Side.BUY,
    lots: int = 1,
    expiry: date | None = None,
    min_left: timedelta = timedelta(minutes=30),
    product: Product | None = None,
    rationale: str = "",
    confidence: float | None = None,
    strategy_id: str = "",
) -> MultiLegIntent:
    """The ATM call and put, both bought (``side=BUY``) or both sold."""
    _check_lots(lots)
    chain = _Chain(options, spot, now, expiry, min_left)
    legs = [
        (chain.at(0, _CALL), side, _role(side, "call")),
        (chain.at(0, _PUT), side, _role(side, "put")),
    ]
    return _build(ComboKind.STRADDLE, legs, lots, rationale, confidence, product, strategy_id)


def strangle(
    options: Iterable[Instrument],
    spot: float,
    now: datetime | int,
    *,
    offset: int = 1,
    side: Side = Side.BUY,
    lots: int = 1,
    expiry: date | None = None,
    min_left: timedelta = timedelta(minutes=30),
    product: Product | None = None,
    rationale: str = "",
    confidence: float | None = None,
    strategy_id: str = "",
) -> MultiLegIntent:
    """The call ``offset`` strikes above ATM and the put ``offset`` strikes below."""
    _check_lots(lots)
    if offset < 1:
        raise ComboError(f"a strangle's offset must be >= 1 strike, got {offset}")
    chain = _Chain(options, spot, now, expiry, min_left)
    legs = [
        (chain.at(offset, _CALL), side, _role(side, "call")),
        (chain.at(-offset, _PUT), side, _role(side, "put")),
    ]
    return _build(ComboKind.STRANGLE, legs, lots, rationale, confidence, product, strategy_id)


def vertical(
    options: Iterable[Instrument],
    spot: float,
    now: datetime | int,
    *,
    kind: Literal["bull_call", "bear_put"] = "bull_call",
    width: int = 1,
    lots: int = 1,
    expiry: date | None = None,
    min_left: timedelta = timedelta(minutes=30),
    product: Product | None = None,
    rationale: str = "",
    confidence: float | None = None,
    strategy_id: str = "",
) -> MultiLegIntent:
    """A debit vertical: ``bull_call`` (long ATM call, short the call ``width`` strikes up)
    or ``bear_put`` (long ATM put, short the put ``width`` strikes down)."""
    _check_lots(lots)
    if width < 1:
        raise ComboError(f"a vertical's width must be >= 1 strike, got {width}")
    chain = _Chain(options, spot, now, expiry, min_left)
    if kind == "bull_call":
        legs = [
            (chain.at(0, _CALL), Side.BUY, "long call"),
            (chain.at(width, _CALL), Side.SELL, "short call"),
        ]
    elif kind == "bear_put":
        legs = [
            (chain.at(0, _PUT), Side.BUY, "long put"),
            (chain.at(-width, _PUT), Side.SELL, "short put"),
        ]
    else:
        raise ComboError(f"kind must be 'bull_call' or 'bear_put', got {kind!r}")
    label = f"{kind}: {rationale}" if rationale else kind
    return _build(ComboKind.VERTICAL, legs, lots, label, confidence, product, strategy_id)


def iron_condor(
    options: Iterable[Instrument],
    spot: float,
    now: datetime | int,
    *,
    short_offset: int = 1,
    wing: int = 1,
    side: Side = Side.SELL,
    lots: int = 1,
    expiry: date | None = None,
    min_left: timedelta = timedelta(minutes=30),
    product: Product | None = None,
    rationale: str = "",
    confidence: float | None = None,
    strategy_id: str = "",
) -> MultiLegIntent:
    """Sell (``side=SELL``) the call and put ``short_offset`` strikes from ATM and buy the
    wings ``wing`` strikes further out; ``side=BUY`` is the mirror image."""
    _check_lots(lots)
    if short_offset < 0 or wing < 1:
        raise ComboError(f"need short_offset >= 0 and wing >= 1, got {short_offset}, {wing}")
    chain = _Chain(options, spot, now, expiry, min_left)
    far = short_offset + wing
    inner, outer = side, _flip(side)
    legs = [
        (chain.at(-far, _PUT), outer, _role(outer, "put wing")),
        (chain.at(-short_offset, _PUT), inner, _role(inner, "put")),
        (chain.at(short_offset, _CALL), inner, _role(inner, "call")),
        (chain.at(far, _CALL), outer, _role(outer, "call wing")),
    ]
    return _build(ComboKind.IRON_CONDOR, legs, lots, rationale, confidence, product, strategy_id)
