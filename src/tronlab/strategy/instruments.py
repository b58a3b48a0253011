"""Instrument mappers: a strategy decides on its *signal* symbol (NIFTY, a stock); a mapper
chooses what is actually traded for that decision (the symbol itself, its future, an option).

Strategies reason in the signal symbol's prices (stops, targets and time exits are watched on
its bars) and ask the mapper to open and close the traded leg(s):

.. code-block:: python

    leg = self.mapper.open(ctx, "NIFTY", +1, units=self.quantity,
                           rationale="close above the opening range", confidence=0.7)
    ...
    self.mapper.close(ctx, leg, rationale="target hit", confidence=0.8)

Mappers (by name in :func:`make_mapper`):

``underlying`` (:class:`UnderlyingMapper`)
    The signal symbol itself, ``units`` of it.
``future`` (:class:`FutureMapper`)
    The nearest unexpired future of the signal's underlying, long or short, in whole lots:
    ``units`` rounded to the nearest lot, at least one lot.
``option_atm`` / ``option_otm1`` (:class:`OptionMapper`)
    Options are only ever *bought*: a long signal buys a call, a short one a put, at the
    money or at the first strike out of the money, of the nearest expiry with at least
    ``min_left`` (default one day) to go. The size comes from capital and risk, not from
    ``units``: the premium is the most the position can lose, so ``lots =
    floor(risk_fraction × equity / (premium × lot size))`` (``risk_fraction`` 1% by
    default), at least one lot when one lot's premium fits the margin available, none
    otherwise.

The signal's underlying (``NIFTY`` for the index series ``NIFTY50``) is the mapper's
``underlying`` when given; else the signal symbol when derivatives of it are in the run
(``ctx.instruments(symbol)``); else the only underlying the run has derivatives of. ``close``
flattens the traded symbol (``ctx.close``); a contract that has expired was settled already.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Protocol

from tronlab.model import Instrument, InstrumentKind, OptionRight
from tronlab.options.select import atm_strike, nearest_expiry, option_at, otm_strike, strikes_of
from tronlab.options.time import expiry_instant
from tronlab.strategy.base import Context


@dataclass(frozen=True)
class Leg:
    """What a mapper opened for one decision: the traded symbol and its signed quantity."""

    signal_symbol: str
    symbol: str
    quantity: Decimal  # signed: > 0 long, < 0 short
    client_order_id: str | None = None


class InstrumentMapper(Protocol):
    """Turns a directional decision on a signal symbol into orders on a traded instrument."""

    name: str

    def open(
        self,
        ctx: Context,
        signal_symbol: str,
        direction: int,
        *,
        units: Decimal,
        rationale: str,
        confidence: float,
    ) -> Leg | None:
        """Open a position for ``direction`` (+1 long, -1 short) on ``signal_symbol``.

        ``units`` is the size the strategy would trade on the signal symbol itself; a mapper
        to derivatives converts it (lots from capital and risk). ``None`` when nothing could
        be traded (no suitable contract, zero size)."""
        ...

    def close(self, ctx: Context, leg: Leg, *, rationale: str, confidence: float) -> str | None:
        """Flatten what ``leg`` opened; the client order id, or ``None`` when already flat."""
        ...


class _FlattensLeg:
    """``close`` of every mapper here: flatten the traded symbol with a reduce-only market
    order (``ctx.close``)."""

    def close(self, ctx: Context, leg: Leg, *, rationale: str, confidence: float) -> str | None:
        return ctx.close(leg.symbol, rationale=rationale, confidence=confidence)


class UnderlyingMapper(_FlattensLeg):
    """Trade the signal symbol itself: buy ``units`` for a long, sell them for a short."""

    name = "underlying"

    def open(
        self,
        ctx: Context,
        signal_symbol: str,
        direction: int,
        *,
        units: Decimal,
        rationale: str,
        confidence: float,
    ) -> Leg | None:
        if direction not in (1, -1):
            raise ValueError(f"direction must be +1 or -1, got {direction}")
        if units <= 0:
            return None
        sym = signal_symbol.upper()
        order = ctx.buy if direction > 0 else ctx.sell
        coid = order(sym, units, rationale=rationale, confidence=confidence)
        return Leg(sym, sym, units * direction, coid)


def _now(ctx: Context) -> datetime:
    return datetime.fromtimestamp(ctx.now_ns / 1e9, UTC)


def _check_direction(direction: int) -> None:
    if direction not in (1, -1):
        raise ValueError(f"direction must be +1 or -1, got {direction}")


def resolve_underlying(ctx: Context, signal_symbol: str, underlying: str | None = None) -> str:
    """The underlying whose derivatives trade a decision on ``signal_symbol`` (module
    docstring); ValueError when the run leaves it open."""
    if underlying is not None:
        return underlying.upper()
    sym = signal_symbol.upper()
    if ctx.instruments(sym):
        return sym
    names = sorted(
        {i.underlying.upper() for i in ctx.instruments() if i.kind.is_derivative and i.underlying}
    )
    if len(names) == 1:
        return names[0]
    found = ", ".join(names) or "none"
    raise ValueError(
        f"cannot tell which underlying {sym} stands for (derivatives of: {found}); "
        "give the mapper an underlying"
    )


class FutureMapper(_FlattensLeg):
    """Trade the nearest unexpired future of the signal's underlying, in whole lots."""

    name = "future"

    def __init__(self, underlying: str | None = None, min_left: timedelta = timedelta(0)) -> None:
        self.underlying = underlying
        self.min_left = min_left

    def contract(self, ctx: Context, signal_symbol: str) -> Instrument | None:
        """The future traded for ``signal_symbol`` now (``None`` when none is live)."""
        now = _now(ctx)
        u = resolve_underlying(ctx, signal_symbol, self.underlying)
        live = [
            i
            for i in ctx.instruments(u)
            if i.kind is InstrumentKind.FUT
            and i.expiry is not None
            and expiry_instant(i.expiry) - now > self.min_left
        ]
        return min(live, key=lambda i: (i.expiry, i.symbol), default=None)

    def open(
        self,
        ctx: Context,
        signal_symbol: str,
        direction: int,
        *,
        units: Decimal,
        rationale: str,
        confidence: float,
    ) -> Leg | None:
        _check_direction(direction)
        if units <= 0:
            return None
        fut = self.contract(ctx, signal_symbol)
        if fut is None:
            return None
        lot = max(fut.lot_size, 1)
        lots = max(int((Decimal(units) / lot).quantize(Decimal(1), ROUND_HALF_UP)), 1)
        qty = Decimal(lots * lot)
        order = ctx.buy if direction > 0 else ctx.sell
        coid = order(fut.symbol, qty, rationale=rationale, confidence=confidence)
        return Leg(signal_symbol.upper(), fut.symbol, qty * direction, coid)


class OptionMapper(_FlattensLeg):
    """Buy a call (long signal) or a put (short signal), ATM or ``otm`` strikes out of the
    money, sized from capital and risk (module docstring)."""

    def __init__(
        self,
        otm: int = 0,
        *,
        underlying: str | None = None,
        min_left: timedelta = timedelta(days=1),
        risk_fraction: float = 0.01,
        max_lots: int | None = None,
    ) -> None:
        if otm < 0:
            raise ValueError(f"otm must be >= 0, got {otm}")
        if not (math.isfinite(risk_fraction) and 0 < risk_fraction <= 1):
            raise ValueError(f"risk_fraction must be in (0, 1], got {risk_fraction}")
        if max_lots is not None and max_lots < 1:
            raise ValueError(f"max_lots must be >= 1, got {max_lots}")
        self.otm = otm
        self.underlying = underlying
        self.min_left = min_left
        self.risk_fraction = risk_fraction
        self.max_lots = max_lots
        self.name = "option_atm" if otm == 0 else f"option_otm{otm}"

    def contract(self, ctx: Context, signal_symbol: str, direction: int) -> Instrument | None:
        """The option bought for ``direction`` now (``None`` without a price or contract)."""
        spot = ctx.last_price(signal_symbol)
        if spot is None or not spot > 0:
            return None
        now = _now(ctx)
        u = resolve_underlying(ctx, signal_symbol, self.underlying)
        pool = ctx.instruments(u)
        expiry = nearest_expiry(pool, now, underlying=u, min_left=self.min_left)
        if expiry is None:
            return None
        right = OptionRight.CALL if direction > 0 else OptionRight.PUT
        strikes = strikes_of(pool, expiry, right)
        if not strikes:
            return None
        try:
            strike = (
                atm_strike(strikes, spot)
                if self.otm == 0
                else otm_strike(strikes, spot, right, self.otm)
            )
            return option_at(pool, expiry, strike, right)
        except ValueError:
            return None

    def lots(self, ctx: Context, inst: Instrument, premium: float) -> int:
        """Lots to buy at ``premium`` (0 when not even one is affordable)."""
        portfolio = ctx.portfolio
        one = Decimal(repr(premium)) * inst.lot_size * inst.multiplier
        if one <= 0:
            return 0
        budget = portfolio.equity * Decimal(repr(self.risk_fraction))
        lots = int(budget / one) if budget > 0 else 0
        if lots < 1:
            lots = 1 if one <= portfolio.margin_available else 0
        return min(lots, self.max_lots) if self.max_lots is not None else lots

    def open(
        self,
        ctx: Context,
        signal_symbol: str,
        direction: int,
        *,
        units: Decimal,
        rationale: str,
        confidence: float,
    ) -> Leg | None:
        _check_direction(direction)
        inst = self.contract(ctx, signal_symbol, direction)
        if inst is None:
            return None
        premium = ctx.last_price(inst.symbol)
        if premium is None or not premium > 0:
            return None
        lots = self.lots(ctx, inst, premium)
        if lots < 1:
            return None
        qty = Decimal(lots * inst.lot_size)
        coid = ctx.buy(inst.symbol, qty, rationale=rationale, confidence=confidence)
        return Leg(signal_symbol.upper(), inst.symbol, qty, coid)


_MAPPERS: dict[str, Any] = {
    "underlying": UnderlyingMapper,
    "future": FutureMapper,
    "option_atm": lambda **kw: OptionMapper(0, **kw),
    "option_otm1": lambda **kw: OptionMapper(1, **kw),
}


def make_mapper(name: str, **params: Any) -> InstrumentMapper:
    """The mapper called ``name`` (``underlying``, ``future``, ``option_atm``,
    ``option_otm1``), built with ``params`` (e.g. ``underlying="NIFTY"``)."""
    try:
        factory = _MAPPERS[name]
    except KeyError:
        raise ValueError(
            f"unknown instrument mapper {name!r} (choose from {', '.join(sorted(_MAPPERS))})"
        ) from None
    mapper: InstrumentMapper = factory(**params)
    return mapper
