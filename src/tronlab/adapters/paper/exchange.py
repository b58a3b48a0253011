"""The simulated exchange: validates orders like a broker, matches them against bars.

It follows the paper-broker part of interfaces.md 7.4 with the ``TV_BAR`` fill model of
:mod:`tronlab.execution.fill_model`:

* ``submit`` answers at once (never waits for a fill) with SUBMITTED -> WORKING (or
  TRIGGER_PENDING for an untriggered stop), or REJECTED with a reason code:
  ``UNKNOWN_INSTRUMENT``, ``MARKET_CLOSED`` (an intraday order outside the session),
  ``INSUFFICIENT_FUNDS`` (the margin the order adds exceeds what is available, counting the
  margin reserved by other working orders); lot and tick errors are caught earlier, when the
  :class:`~tronlab.model.OrderRequest` is built. Margin is the portfolio's flat rate per
  instrument kind, except for futures and options when an F&O margin model is set (see
  *F&O margin* below).
* ``on_bar`` matches the working orders of one symbol against one bar and returns the fills
  (each with its fee from the cost model) and status changes in order.
* DAY orders expire when their session ends; IOC orders cancel what the first bar they meet
  cannot fill; GTC orders rest until cancelled.

Orders placed on daily (or longer) bars are queued for the next session, like an AMO, since a
daily bar closes when the market is shut.

F&O margin (``fno_margin`` and ``forward_of`` set; the engine sets them for runs with
futures or options)
    A future or option order that adds to its position needs the increase of the SPAN-like
    margin (:class:`~tronlab.options.fno_margin.FnoMargin`) of the F&O book, positions plus
    working orders as if filled, that the order causes (floored at 0: a hedge needs nothing
    more) plus, for a buy of options, the premium of the long quantity it adds. The funds
    available are the collateral (equity less the flat-rate requirement of other positions
    and less the value of long options, whose premium is spent) less the F&O margin of the
    positions and less what working orders reserve. A pure exit needs nothing. When an
    underlying has no price the order falls back to the flat rate.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Protocol

import pandas as pd

from tronlab.adapters.paper.fno_funds import FnoFundsMixin
from tronlab.execution.costs import NO_CHARGES, CostModel, PercentCost, ZeroCost
from tronlab.execution.costs_base import mul
from tronlab.execution.fill_model import (
    FillConfig,
    apply_slippage,
    capacity,
    limit_touch,
    path,
    stop_touch,
)
from tronlab.model import (
    ClientOrderId,
    Fill,
    Instrument,
    Order,
    OrderEvent,
    OrderStatus,
    OrderType,
    Portfolio,
    Side,
    TimeInForce,
)
from tronlab.model.enums import OrderEventKind
from tronlab.model.fastinit import fast_frozen_init
from tronlab.options.fno_margin import FnoMargin, UnpricedError, is_fno

_NEEDS_STOP = frozenset(t for t in OrderType if t.needs_stop_price)
# Enum members as module constants: a class attribute lookup of a member costs ~50 ns here.
_BUY = Side.BUY
_IOC = TimeInForce.IOC
_MARKET, _LIMIT, _STOP, _STOP_LIMIT = (
    OrderType.MARKET,
    OrderType.LIMIT,
    OrderType.STOP,
    OrderType.STOP_LIMIT,
)
_SUBMITTED, _WORKING, _TRIGGER_PENDING, _FILLED = (
    OrderStatus.SUBMITTED,
    OrderStatus.WORKING,
    OrderStatus.TRIGGER_PENDING,
    OrderStatus.FILLED,
)


class RejectCode(StrEnum):
    """Reason codes of the simulated exchange's rejections."""

    UNKNOWN_INSTRUMENT = "UNKNOWN_INSTRUMENT"
    MARKET_CLOSED = "MARKET_CLOSED"
    INSUFFICIENT_FUNDS = "INSUFFICIENT_FUNDS"
    DUPLICATE_CLIENT_ORDER_ID = "DUPLICATE_CLIENT_ORDER_ID"


class SessionGate(Protocol):
    """Whether the market of a symbol is open at a time (a trading calendar)."""

    def is_open(self, symbol: str, ts_ns: int) -> bool: ...


@fast_frozen_init
@dataclass(frozen=True, slots=True)
class ExchangeEvent:
    """An order event produced by the exchange, with the fill when there is one."""

    order: Order
    event: OrderEvent

    @property
    def fill(self) -> Fill | None:
        return self.event.fill


class _TickRules:
    """An instrument's grid as floats, and a memo of fill prices rounded onto it."""

    __slots__ = ("_prices", "instrument", "lot", "tick")

    def __init__(self, inst: Instrument) -> None:
        self.instrument = inst
        self.tick = float(inst.tick_size)
        self.lot = float(inst.lot_size) * float(inst.qty_step)
        self._prices: dict[float, Decimal] = {}

    def on_tick(self, price: float) -> Decimal:
        """``round_to_tick(Decimal(repr(price)))``, remembered per price (a pure function of
        the float and the tick; prices on a grid repeat all the time)."""
        p = self._prices.get(price)
        if p is None:
            p = self.instrument.round_to_tick(Decimal(repr(price)))
            if price > 0:  # never NaN, and -0.0 / 0.0 (equal keys, different reprs) stay out
                if len(self._prices) >= 100_000:
                    self._prices.clear()
                self._prices[price] = p
        return p


@dataclass(slots=True)
class _Working:
    order: Order
    instrument: Instrument
    is_buy: bool
    tick: float
    lot: float
    limit: float | None
    stop: float | None
    triggered: bool
    arrive_ns: int
    skip_bars: int
    day_session: int | None  # session id after which a DAY order expires (None: not yet known)
    reserved: Decimal  # margin held for this order until it fills or ends
    ioc: bool
    rules: _TickRules  # the instrument's grid (fill prices are rounded onto it)
    seen_bar: bool = False
    brokerage: Decimal = Decimal(0)  # charged so far (the per-order cap spans fills)


@dataclass
class SimulatedExchange(FnoFundsMixin):
    """Matching engine of the paper broker (see the module docstring).

    Parameters
    ----------
    instruments
        Tradable instruments by symbol.
    portfolio
        The account whose margin covers new orders (read only here).
    fees
        Cost model for each fill.
    config
        Fill conventions.
    sessions
        Market-hours gate; ``None`` treats every market as always open.
    last_price
        Callable giving the last known price of a symbol (for the funds check of market
        orders).
    fno_margin, forward_of
        The SPAN-like margin model of futures and options and the price of an underlying by
        name (``NIFTY``); both ``None`` (the default) keep the flat rate for every order.
    """

    instruments: Mapping[str, Instrument]
    portfolio: Portfolio
    fees: CostModel
    config: FillConfig = field(default_factory=FillConfig)
    sessions: SessionGate | None = None
    last_price: Callable[[str], float | None] = lambda _s: None
    fno_margin: FnoMargin | None = None
    forward_of: Callable[[str], float | None] | None = None
    _working: dict[str, list[_Working]] = field(default_factory=dict, init=False)
    _known: set[str] = field(default_factory=set, init=False)
    _fill_seq: int = field(default=0, init=False)
    _reserved: Decimal = field(default=Decimal(0), init=False)
    _tick_rules: dict[str, _TickRules] = field(default_factory=dict, init=False)

    # ------------------------------------------------------------------ queries

    def has_working(self, symbol: str) -> bool:
        return bool(self._working.get(symbol))

    def working_orders(self, symbol: str | None = None) -> list[Order]:
        if symbol is not None:
            return [w.order for w in self._working.get(symbol, ())]
        return [w.order for ws in self._working.values() for w in ws]

    @property
    def reserved_margin(self) -> Decimal:
        return self._reserved

    # ------------------------------------------------------------------ orders

    def submit(
        self, order: Order, now: datetime, now_ns: int, *, after_hours_queue: bool = False
    ) -> list[ExchangeEvent]:
        """Accept or reject ``order`` (status PENDING_SUBMIT). Never fills here."""
        req = order.request
        coid = req.client_order_id.value
        if coid in self._known:
            return [
                self._reject(
                    order,
                    now,
                    RejectCode.DUPLICATE_CLIENT_ORDER_ID,
                    f"client order id {coid} was used before",
                )
            ]
        self._known.add(coid)
        order_iid = req.instrument.id
        symbol = order_iid.symbol
        inst = self.instruments.get(symbol)
        if inst is None or (inst.id is not order_iid and inst.id != order_iid):
            return [
                self._reject(
                    order,
                    now,
                    RejectCode.UNKNOWN_INSTRUMENT,
                    f"{order.instrument_id} is not listed on this exchange",
                )
            ]
        open_now = self.sessions is None or self.sessions.is_open(symbol, now_ns)
        if not open_now and not after_hours_queue:
            return [
                self._reject(
                    order,
                    now,
                    RejectCode.MARKET_CLOSED,
                    f"the market for {symbol} is closed at {now.isoformat()}",
                )
            ]
        reserve, available = self._margin_needed(order, inst, now)
        if reserve > 0:
            available = self._available(now) if available is None else available
            if reserve > available:
                return [
                    self._reject(
                        order,
                        now,
                        RejectCode.INSUFFICIENT_FUNDS,
                        f"order needs margin {reserve:.2f}, available {available:.2f}",
                    )
                ]
        needs_stop = req.order_type in _NEEDS_STOP
        resting = _TRIGGER_PENDING if needs_stop else _WORKING
        events = [
            ExchangeEvent(order, order.transition(_SUBMITTED, now)),
            ExchangeEvent(order, order.transition(resting, now)),
        ]
        rules = self._rules(inst)
        cfg = self.config
        limit, stop = req.limit_price, req.stop_price
        w = _Working(
            order,
            inst,
            req.side is _BUY,
            rules.tick,
            rules.lot,
            None if limit is None else float(limit),
            None if stop is None else float(stop),
            not needs_stop,
            now_ns + cfg.latency_ms * 1_000_000,
            cfg.latency_bars,
            None,
            reserve,
            req.tif is _IOC,
            rules,
        )
        self._reserved += reserve
        self._working.setdefault(symbol, []).append(w)
        return events

    def cancel(self, client_order_id: str, now: datetime) -> list[ExchangeEvent]:
        """Cancel a working order; cancelling an unknown or finished order does nothing."""
        for symbol, ws in self._working.items():
            for w in ws:
                if str(w.order.client_order_id) == client_order_id:
                    self._remove(symbol, w)
                    return [
                        ExchangeEvent(
                            w.order,
                            w.order.transition(
                                OrderStatus.CANCELLED, now, reason="CANCELLED_BY_USER"
                            ),
                        )
                    ]
        return []

    def mark_session(self, symbol: str, session: int, now: datetime) -> list[ExchangeEvent]:
        """Tell the exchange a bar of ``session`` started: DAY orders of older sessions expire."""
        out: list[ExchangeEvent] = []
        for w in list(self._working.get(symbol, ())):
            if (
                w.order.tif is TimeInForce.DAY
                and w.day_session is not None
                and session > w.day_session
            ):
                self._remove(symbol, w)
                out.append(
                    ExchangeEvent(
                        w.order,
                        w.order.transition(
                            OrderStatus.EXPIRED,
                            now,
                            reason="DAY_END",
                            message="day order expired at the end of its session",
                        ),
                    )
                )
        return out

    def expire_all(self, now: datetime, reason: str = "END_OF_DATA") -> list[ExchangeEvent]:
        """End every working order (end of a backtest)."""
        out: list[ExchangeEvent] = []
        for symbol in list(self._working):
            out += self.expire_working(symbol, now, reason)
        return out

    def expire_working(self, symbol: str, now: datetime, reason: str) -> list[ExchangeEvent]:
        """End the working orders of one symbol (a contract's expiry)."""
        out: list[ExchangeEvent] = []
        if symbol in self._working:
            for w in list(self._working[symbol]):
                self._remove(symbol, w)
                out.append(
                    ExchangeEvent(
                        w.order, w.order.transition(OrderStatus.EXPIRED, now, reason=reason)
                    )
                )
        return out

    # ------------------------------------------------------------------ matching

    def on_bar(
        self,
        symbol: str,
        start_ns: int,
        session: int,
        o: float,
        h: float,
        low: float,
        c: float,
        v: float,
        *,
        at_close: bool = False,
        now: datetime | None = None,
    ) -> list[ExchangeEvent]:
        """Match the working orders of ``symbol`` against one bar.

        With ``at_close`` only market orders are matched, at the close ``c`` (the
        ``market_fill="close"`` convention, called right after the strategy saw the bar).
        """
        ws = self._working.get(symbol)
        if not ws:
            return []
        out: list[ExchangeEvent] = []
        cfg = self.config
        pts = (c, c, c, c) if at_close else path(o, h, low, c)
        bar_ts = now if at_close and now is not None else _ts(start_ns)
        volume_left = v
        for w in list(ws):
            order = w.order
            order_type = order.request.order_type
            if at_close:
                if order_type is not _MARKET:
                    continue
            else:
                if start_ns < w.arrive_ns:
                    continue
                if w.skip_bars > 0:
                    w.skip_bars -= 1
                    continue
                if w.day_session is None:
                    w.day_session = session
            w.seen_bar = True
            price: float | None = None
            slip_ok = False
            if order_type is _MARKET:
                price, slip_ok = pts[0], True
            elif order_type is _LIMIT:
                t = limit_touch(pts, w.is_buy, w.limit or 0.0, w.tick, cfg.limit_fill)
                price = None if t is None else t.price
            else:
                start_leg = 0
                trig_price: float | None = None
                if not w.triggered:
                    t = stop_touch(pts, w.is_buy, w.stop or 0.0)
                    if t is not None:
                        w.triggered = True
                        start_leg, trig_price = t.leg, t.price
                        if order_type is _STOP_LIMIT:
                            out.append(
                                ExchangeEvent(
                                    order,
                                    order.transition(
                                        OrderStatus.WORKING, bar_ts, reason="TRIGGERED"
                                    ),
                                )
                            )
                if w.triggered:
                    if order_type is _STOP:
                        price, slip_ok = (trig_price if trig_price is not None else pts[0]), True
                    else:
                        lim = w.limit or 0.0
                        if trig_price is not None and (
                            (w.is_buy and trig_price <= lim) or (not w.is_buy and trig_price >= lim)
                        ):
                            price = trig_price
                        else:
                            t2 = limit_touch(
                                pts,
                                w.is_buy,
                                lim,
                                w.tick,
                                cfg.limit_fill,
                                start_leg + 1 if trig_price is not None else 0,
                            )
                            price = None if t2 is None else t2.price
            if price is not None:
                remaining = float(order.remaining_quantity)
                qty = capacity(remaining, volume_left, cfg.participation, w.lot)
                if qty > 0:
                    if slip_ok:
                        price = apply_slippage(
                            price, w.is_buy, cfg.slippage.slip(price, qty, v), w.tick
                        )
                    if cfg.participation is not None and v > 0:
                        volume_left -= qty
                    out.append(self._fill(w, qty, price, bar_ts))
                    if order.status is _FILLED:
                        self._remove(symbol, w)
                        continue
            if w.ioc:
                self._remove(symbol, w)
                out.append(
                    ExchangeEvent(
                        order,
                        order.transition(
                            OrderStatus.CANCELLED,
                            bar_ts,
                            reason="IOC_REMAINDER",
                            message="immediate-or-cancel remainder cancelled",
                        ),
                    )
                )
        return out

    # ------------------------------------------------------------------ internals

    def _fill(self, w: _Working, qty: float, price: float, ts: datetime) -> ExchangeEvent:
        order = w.order
        req = order.request
        inst = w.instrument
        self._fill_seq += 1
        q = Decimal(repr(qty)).normalize() if qty != int(qty) else Decimal(int(qty))
        p = w.rules.on_tick(price)
        fees = self.fees
        # The two benchmark models on inputs that are valid here (q > 0 by construction, a
        # tz-aware ts, p checked): what their charges() returns, without re-checking.
        if type(fees) is ZeroCost and p > 0:
            charges = NO_CHARGES
        elif type(fees) is PercentCost and p > 0:
            charges = fees.charges_on(mul(q, p, inst.multiplier))
        else:
            charges = fees.charges(
                inst, req.side, q, p, req.product, ts, order_brokerage_so_far=w.brokerage
            )
        w.brokerage += charges.brokerage
        fill = Fill(
            fill_id=f"P{self._fill_seq:09d}",
            client_order_id=req.client_order_id,
            instrument_id=inst.id,
            side=req.side,
            quantity=q,
            price=p,
            ts=ts,
            fee=charges.total,
        )
        event = order.apply_fill(fill)
        if w.reserved > 0:
            release = w.reserved * q / req.quantity
            if order.status is _FILLED:
                release = w.reserved
            w.reserved -= release
            self._reserved -= release
        return ExchangeEvent(order, event)

    def _rules(self, inst: Instrument) -> _TickRules:
        symbol = inst.id.symbol
        rules = self._tick_rules.get(symbol)
        if rules is None or rules.instrument is not inst:
            rules = self._tick_rules[symbol] = _TickRules(inst)
        return rules

    def _remove(self, symbol: str, w: _Working) -> None:
        self._working[symbol].remove(w)
        self._reserved -= w.reserved
        w.reserved = Decimal(0)

    def _margin_needed(
        self, order: Order, inst: Instrument, now: datetime
    ) -> tuple[Decimal, Decimal | None]:
        """Margin for the part of the order that increases exposure (0 for a pure exit), and
        the funds available when the F&O margin computed them (else ``None``)."""
        pos = self.portfolio.position(inst.id).quantity
        signed = order.quantity if order.side is Side.BUY else -order.quantity
        added = abs(pos + signed) - abs(pos)
        if added <= 0:
            return Decimal(0), None
        if self.fno_margin is not None and self.forward_of is not None and is_fno(inst):
            leg = (inst, order.side, order.quantity, order.limit_price or order.stop_price)
            try:
                quote = self.margin_quote([leg], now)
                return quote.needed, quote.available
            except UnpricedError:
                pass  # no price for the underlying: the flat rate below
        ref = order.limit_price or order.stop_price
        if ref is None:
            last = self.last_price(inst.symbol)
            if last is None:
                return Decimal(0), None
            ref = Decimal(repr(last))
        rate = self.portfolio.margin_model.rate(inst.kind)
        return added * ref * inst.multiplier * rate, None

    def _reject(self, order: Order, now: datetime, code: RejectCode, message: str) -> ExchangeEvent:
        return ExchangeEvent(
            order, order.transition(OrderStatus.REJECTED, now, reason=code.value, message=message)
        )


def _ts(ns: int) -> datetime:
    return pd.Timestamp(ns, tz="UTC").to_pydatetime()


def standalone_reject(
    client_order_id: ClientOrderId, now: datetime, reason: str, message: str
) -> OrderEvent:
    """A REJECT event for an order that never came to exist (bad lot/tick, risk denial)."""
    return OrderEvent(
        ts=now,
        kind=OrderEventKind.REJECT,
        client_order_id=client_order_id,
        status=OrderStatus.REJECTED,
        previous_status=OrderStatus.PENDING_SUBMIT,
        seq=1,
        reason=reason,
        message=message,
    )
