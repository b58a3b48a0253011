"""Expiry settlement of futures and options (a mixin of the engine).

NSE index derivatives are European and cash-settled at the underlying's closing value on the
expiry day, at the normal market close (interfaces.md 1.11, 6). At the first event at or
after 15:30 exchange time on an instrument's expiry date the engine:

* ends its working orders (EXPIRED, reason ``CONTRACT_EXPIRED``);
* settles an open position at the **final settlement price**: the underlying's last price
  for a future, the intrinsic value ``max(U - K, 0)`` (call) or ``max(K - U, 0)`` (put) for
  an option, where ``U`` is the last price of the underlying's series in the run
  (``EngineConfig.underlyings`` maps an underlying name such as ``NIFTY`` to the series
  symbol, e.g. ``NIFTY50``). Without the underlying in the run, the contract's own last
  price is used and the record says so (``source="own_last"``);
* books cash and realised PnL, and refuses later orders in the contract
  (``INSTRUMENT_EXPIRED``);
* charges the cost model's exercise charges on a long option that settles in the money
  (:meth:`~tronlab.execution.costs_base.CostModelBase.exercise_charges`: for Zerodha, STT on
  the intrinsic value, 0.125% until 2026-03-31 and 0.15% from 2026-04-01) as the
  settlement's ``fee``: cash falls and the fees paid rise by it. Short options (their STT was
  paid on the sale), options that expire worthless and futures pay nothing at settlement.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time
from decimal import Decimal
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from tronlab.model import InstrumentId, InstrumentKind, OptionRight, Side

if TYPE_CHECKING:
    from tronlab.adapters.paper.exchange import SimulatedExchange
    from tronlab.engine.clock import SimulatedClock
    from tronlab.model import Instrument, Portfolio

EXPIRY_CLOSE = time(15, 30)


@dataclass(frozen=True, slots=True)
class SettlementRecord:
    """One position closed at expiry."""

    ts: datetime
    symbol: str
    quantity: Decimal  # the signed quantity that was closed
    price: Decimal  # final settlement price per unit
    underlying_price: Decimal | None
    source: str  # "underlying" or "own_last"
    fee: Decimal = Decimal(0)  # exercise charges (STT on an exercised long option)


@dataclass(frozen=True, slots=True)
class SettlementFill:
    """A settlement in the shape of a fill, for the round-trip trade builder."""

    instrument_id: InstrumentId
    client_order_id: str
    quantity: Decimal
    price: Decimal
    ts: datetime
    side: Side
    fee: Decimal = Decimal(0)

    @property
    def signed_quantity(self) -> Decimal:
        return self.quantity if self.side is Side.BUY else -self.quantity


class SettlementMixin:
    """Expiry handling for :class:`~tronlab.engine.loop.Engine`."""

    clock: SimulatedClock
    config: Any
    portfolio: Portfolio
    instruments: dict[str, Instrument]
    last_prices: dict[str, float]
    exchange: SimulatedExchange
    flows: list[tuple[int, str, float, float]]
    _cash_f: float
    _pos_f: dict[str, float]
    _intraday: dict[str, Decimal]
    _k: int

    def _init_expiries(self) -> None:
        tz = ZoneInfo(self.config.timezone)
        due = []
        for sym, inst in self.instruments.items():
            if inst.expiry is not None and inst.kind in (InstrumentKind.FUT, InstrumentKind.OPT):
                close = datetime.combine(inst.expiry, EXPIRY_CLOSE, tz)
                due.append((int(close.timestamp() * 1_000_000_000), sym))
        self._expiries = sorted(due)
        self._expired: set[str] = set()
        self.settlements: list[SettlementRecord] = []
        self.next_expiry_ns = self._expiries[0][0] if self._expiries else 2**62

    def is_expired(self, symbol: str) -> bool:
        return symbol in self._expired

    def settle_due(self, now_ns: int) -> None:
        """Settle every contract whose expiry close is at or before ``now_ns``.

        The engine calls it when the first event *after* an expiry close arrives (or at the
        end of the run), so every bar that closes at the expiry instant, the underlying's
        last bar included, has been seen: the settlement uses the day's closing value."""
        while self._expiries and self._expiries[0][0] <= now_ns:
            ns, sym = self._expiries.pop(0)
            self._settle(sym, datetime.fromtimestamp(ns / 1e9, ZoneInfo("UTC")))
        self.next_expiry_ns = self._expiries[0][0] if self._expiries else 2**62

    def _settle(self, sym: str, now: datetime) -> None:
        inst = self.instruments[sym]
        self._expired.add(sym)
        self._dispatch(self.exchange.expire_working(sym, now, "CONTRACT_EXPIRED"), notify=True)  # type: ignore[attr-defined]
        position = self.portfolio.positions.get(inst.id)
        if position is None or position.quantity == 0:
            return
        mapping = getattr(self.config, "underlyings", {}) or {}
        series = mapping.get(inst.underlying or "", inst.underlying or "")
        last_u = self.last_prices.get(series)
        if last_u is not None:
            u: Decimal | None = Decimal(repr(last_u))
            source = "underlying"
        else:
            own = self.last_prices.get(sym)
            u = None
            source = "own_last"
        if inst.kind is InstrumentKind.FUT:
            price = u if u is not None else Decimal(repr(self.last_prices.get(sym, 0.0)))
        elif u is not None and inst.strike is not None:
            diff = u - inst.strike if inst.right is OptionRight.CALL else inst.strike - u
            price = max(diff, Decimal(0))
        else:
            price = Decimal(repr(own or 0.0))
        fee = self._exercise_fee(inst, position.quantity, price, now)
        closed = self.portfolio.settle(inst, price, fee)
        mult = float(inst.multiplier)
        cash = float(closed) * float(price) * mult - float(fee)
        self._cash_f += cash
        self._pos_f[sym] = 0.0
        self._intraday[sym] = Decimal(0)
        self.flows.append((self._k, sym, -float(closed) * mult, cash))
        self.settlements.append(SettlementRecord(now, sym, closed, price, u, source, fee))

    def _exercise_fee(
        self, inst: Instrument, quantity: Decimal, price: Decimal, now: datetime
    ) -> Decimal:
        """Exercise charges of a long option settling in the money (0 otherwise)."""
        if inst.kind is not InstrumentKind.OPT or quantity <= 0 or price <= 0:
            return Decimal(0)
        charges = getattr(self.exchange.fees, "exercise_charges", None)
        if charges is None:
            return Decimal(0)
        total: Decimal = charges(inst, quantity, price, now).total
        return total

    def settlement_fills(self) -> list[SettlementFill]:
        return [
            SettlementFill(
                instrument_id=self.instruments[s.symbol].id,
                client_order_id=f"SETTLE:{s.symbol}",
                quantity=abs(s.quantity),
                price=s.price,
                ts=s.ts,
                side=Side.SELL if s.quantity > 0 else Side.BUY,
                fee=s.fee,
            )
            for s in self.settlements
        ]
