"""A child strategy's share of the account inside a composite strategy (``auto``).

Several children may trade the same symbol on the same day, so each gets a
:class:`ChildContext` that behaves like a context of its own:

* its orders go out under its own strategy id (``ctx.for_strategy(child_id)``);
* ``quantity``/``position``/``open_orders``/``close``/``target_position`` see the child's own
  book (a :class:`Sleeve`: positions built from the child's own fills, its working orders),
  not the account's net position, so one child never closes another's trade;
* **entries** (the part of an order that opens or adds to the child's position) are checked
  against the day's plan: a child not chosen today may only exit; an entry against the
  direction bias (a short entry on a ``long`` day) is refused; with ``cap=True`` an entry is
  cut so the child's gross exposure (all its symbols, at the order's price or the last price,
  working orders included) stays within ``risk budget x equity``, in whole lots. Exits are
  never refused or cut. An option's heading is that of its payoff: buying a put or selling
  a call is a *short* entry;
* a **multi-leg order** (``submit_legs``) is judged whole, like the risk governor judges it:
  it is refused (``[]``, nothing sent) when it has an entry leg and the child is not in
  today's plan, when its entry legs all head against the bias (legs heading both ways, a
  straddle or a spread, count as neutral), when its entry legs would take the child's
  exposure beyond its budget (with ``cap=True``; else logged), or when a closing leg closes
  more than the child still holds in the account. Never resized: a combination keeps its
  shape. Its legs then belong to the child like any of its orders (fills build its book).

A refused or cut order is logged (``plan_refused`` / ``plan_resized`` through ``ctx.log``)
and kept in :attr:`Sleeve.refusals`; a refused call returns ``None`` like a flat ``close``.

The books (:class:`~tronlab.strategy.books.Books`, in :mod:`tronlab.strategy.books`) follow
the account: fills the composite cannot attribute to a
child (a risk square-off, a manual order) reduce the children's positions on that symbol in
table order (:func:`absorb_outside_fill`); until such a fill is delivered, an exit is cut by
what the books hold beyond the account (so it never opens a position the other way); and a
position that left the account without any fill (an expiry settlement) leaves the books at
the next session (:meth:`Books.drop_vanished`). The pieces of a freeze-quantity split
belong to the child that sent the order.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from tronlab.execution.intents import IntentError, MultiLegIntent, OrderIntent
from tronlab.model import (
    Instrument,
    InstrumentKind,
    OptionRight,
    Order,
    Portfolio,
    Position,
    Product,
    Side,
    TimeInForce,
)
from tronlab.strategy.bars import History
from tronlab.strategy.base import Context
from tronlab.strategy.books import (
    Books,
    Sleeve,
    absorb_outside_fill,
    session_terms,
    signed_remaining,
)

if TYPE_CHECKING:
    from datetime import datetime

_ZERO = Decimal(0)


class ChildContext:
    """The context a child of a composite strategy sees (see the module docstring)."""

    __slots__ = ("_books", "_cap", "_inner", "_sleeve", "_symbols")

    def __init__(
        self,
        inner: Context,
        sleeve: Sleeve,
        symbols: Sequence[str],
        books: Books,
        *,
        cap: bool = True,
    ) -> None:
        self._inner = inner
        self._sleeve = sleeve
        self._symbols = tuple(s.upper() for s in symbols)
        self._books = books
        self._cap = cap

    # ------------------------------------------------------------------ state
    @property
    def symbols(self) -> Sequence[str]:
        return self._symbols

    @property
    def now_ns(self) -> int:
        return self._inner.now_ns

    @property
    def timezone(self) -> str:
        return self._inner.timezone

    @property
    def portfolio(self) -> Portfolio:
        return self._inner.portfolio

    @property
    def now(self) -> datetime:
        return self._inner.now

    @property
    def strategy_id(self) -> str:
        """The child's strategy id (its orders carry it)."""
        return str(getattr(self._inner, "strategy_id", self._sleeve.id))

    @property
    def sleeve(self) -> Sleeve:
        return self._sleeve

    def position(self, symbol: str) -> Position:
        sym = symbol.upper()
        pos = self._sleeve.position(sym, self._inner.instrument(sym))
        last = self._inner.last_price(sym)
        return pos.mark(Decimal(repr(last))) if last is not None and last > 0 else pos

    def quantity(self, symbol: str) -> Decimal:
        return self._sleeve.quantity(symbol.upper())

    def open_orders(self, symbol: str | None = None) -> list[Order]:
        return self._sleeve.working(None if symbol is None else symbol.upper())

    def history(self, symbol: str, timeframe: str | None = None) -> History:
        return self._inner.history(symbol, timeframe)

    def last_price(self, symbol: str) -> float | None:
        return self._inner.last_price(symbol)

    def session_bounds(self, symbol: str) -> tuple[datetime, datetime] | None:
        return self._inner.session_bounds(symbol)

    def entries_left(self) -> int | None:
        return self._inner.entries_left()  # the inner context carries this child's id

    def instrument(self, symbol: str) -> Instrument:
        return self._inner.instrument(symbol)

    def instruments(self, underlying: str | None = None) -> list[Instrument]:
        return self._inner.instruments(underlying)

    def for_strategy(self, strategy_id: str) -> ChildContext:
        """A context under another strategy id that shares this child's book and terms."""
        return ChildContext(
            self._inner.for_strategy(strategy_id),
            self._sleeve,
            self._symbols,
            self._books,
            cap=self._cap,
        )

    def indicator(
        self, symbol: str, indicator: Any, *, timeframe: str | None = None, inputs: str = "close"
    ) -> Any:
        return self._inner.indicator(symbol, indicator, timeframe=timeframe, inputs=inputs)

    def log(self, event: str, **fields: Any) -> None:
        self._inner.log(event, **fields)

    # ------------------------------------------------------------------ orders
    def buy(
        self,
        symbol: str,
        quantity: int | Decimal,
        *,
        limit: float | Decimal | None = None,
        stop: float | Decimal | None = None,
        tif: TimeInForce = TimeInForce.DAY,
        product: Product | None = None,
        rationale: str = "",
        confidence: float | None = None,
    ) -> str | None:
        return self._place(
            Side.BUY, symbol, quantity, limit, stop, tif, product, rationale, confidence
        )

    def sell(
        self,
        symbol: str,
        quantity: int | Decimal,
        *,
        limit: float | Decimal | None = None,
        stop: float | Decimal | None = None,
        tif: TimeInForce = TimeInForce.DAY,
        product: Product | None = None,
        rationale: str = "",
        confidence: float | None = None,
    ) -> str | None:
        return self._place(
            Side.SELL, symbol, quantity, limit, stop, tif, product, rationale, confidence
        )

    def target_position(
        self,
        symbol: str,
        quantity: int | Decimal,
        *,
        rationale: str = "",
        confidence: float | None = None,
    ) -> str | None:
        """Trade the difference between ``quantity`` and this child's position plus its
        working orders; ``None`` when nothing needs to be done (or it was refused)."""
        sym = symbol.upper()
        delta = Decimal(quantity) - self._sleeve.quantity(sym) - self._sleeve.pending(sym)
        if delta == 0:
            return None
        side = Side.BUY if delta > 0 else Side.SELL
        return self._place(
            side, sym, abs(delta), None, None, TimeInForce.DAY, None, rationale, confidence
        )

    def close(
        self, symbol: str, *, rationale: str = "", confidence: float | None = None
    ) -> str | None:
        """Flatten this child's position (and what its working orders will add); the engine's
        reduce-only close when the child is the symbol's only holder."""
        sym = symbol.upper()
        own = self._sleeve.quantity(sym) + self._sleeve.pending(sym)
        if own == 0:
            return None
        if own == self._account(sym) == self._books.total(sym):  # the only holder
            coid = self._inner.close(sym, rationale=rationale, confidence=confidence)
            return self._own(coid, sym)
        side = Side.SELL if own > 0 else Side.BUY
        return self._place(
            side, sym, abs(own), None, None, TimeInForce.DAY, None, rationale, confidence
        )

    def submit_legs(self, intent: MultiLegIntent) -> list[str]:
        """Send a multi-leg order under this child's id, judged whole against today's plan
        (see the module docstring); ``[]`` when the plan refuses it, else the legs' client
        order ids (the risk governor may still refuse all legs)."""
        if not isinstance(intent, MultiLegIntent):
            raise IntentError(f"submit_legs takes a MultiLegIntent, got {type(intent).__name__}")
        reason = self._legs_refusal(intent)
        if reason:
            legs = ",".join(leg.symbol for leg in intent.legs)
            qty = sum((leg.quantity for leg in intent.legs), _ZERO)
            self._refuse(f"{intent.strategy.value} legs", legs, qty, reason)
            return []
        coids = self._inner.submit_legs(intent)
        for coid, leg in zip(coids, intent.legs, strict=True):
            self._own(coid, leg.symbol)
        return coids

    def cancel(self, client_order_id: str) -> None:
        if client_order_id not in self._sleeve.live:
            self._refuse("cancel", "", _ZERO, f"order {client_order_id} is not this strategy's")
            return
        self._inner.cancel(client_order_id)

    # ------------------------------------------------------------------ checks
    def _account(self, sym: str) -> Decimal:
        """The account's position in ``sym`` plus what all working orders will add."""
        return self._inner.quantity(sym) + signed_remaining(self._inner.open_orders(sym))

    def _place(
        self,
        side: Side,
        symbol: str,
        quantity: int | Decimal,
        limit: float | Decimal | None,
        stop: float | Decimal | None,
        tif: TimeInForce,
        product: Product | None,
        rationale: str,
        confidence: float | None,
    ) -> str | None:
        sym = symbol.upper()
        allowed = self._allowed(side, sym, quantity, limit, stop)
        if allowed is None:
            return None
        send = self._inner.buy if side is Side.BUY else self._inner.sell
        coid = send(
            sym,
            allowed,
            limit=limit,
            stop=stop,
            tif=tif,
            product=product,
            rationale=rationale,
            confidence=confidence,
        )
        return self._own(coid, sym)

    def _own(self, coid: str | None, symbol: str) -> str | None:
        """Book the order just sent (absent from the working orders when refused at once),
        and the other pieces of a freeze-quantity split, which carry the same strategy id."""
        if coid is None:
            return None
        owners = self._books.owners
        owners[coid] = self._sleeve
        strategy_id = getattr(self._inner, "strategy_id", None)
        for order in self._inner.open_orders(symbol):
            key = str(order.client_order_id)
            if key == coid or (key not in owners and order.strategy_id == strategy_id):
                owners[key] = self._sleeve
                self._sleeve.track(order)
        return coid

    def _allowed(
        self,
        side: Side,
        sym: str,
        quantity: int | Decimal,
        limit: float | Decimal | None,
        stop: float | Decimal | None,
    ) -> int | Decimal | None:
        """The quantity this order may have (``None``: refused); see the module docstring."""
        if isinstance(quantity, bool) or not isinstance(quantity, int | Decimal) or quantity <= 0:
            return quantity  # malformed: the engine refuses it with its own reason
        qty = Decimal(quantity)
        if sym not in self._symbols:
            self._refuse(side.value, sym, qty, "not a traded symbol")
            return None
        sleeve = self._sleeve
        own = sleeve.quantity(sym) + sleeve.pending(sym)
        opposite = own != 0 and (own > 0) != (side is Side.BUY)
        closing = min(qty, abs(own)) if opposite else _ZERO
        entry = qty - closing
        reason = ""
        if closing:  # what outside trades already closed (fills not yet delivered) is gone
            sign = 1 if own > 0 else -1
            stale = (self._books.total(sym) - self._account(sym)) * sign
            if stale > 0:
                closing = max(closing - stale, _ZERO)
                reason = "the rest was already closed outside this strategy"
        keep = _ZERO
        if entry:
            heading = self._heading(side, sym)
            if sleeve.budget is None:
                reason = "not in today's plan: exits only"
            elif sleeve.direction not in ("both", heading):
                reason = f"today's bias is {sleeve.direction}: no {heading} entries"
            else:
                keep = self._budget_room(sym, entry, _ZERO if opposite else abs(own), limit, stop)
                if keep < entry:
                    reason = f"risk budget {sleeve.budget:.0%} of equity"
                    if not self._cap:
                        self._note("plan_over_budget", side.value, sym, qty, qty, reason)
                        keep = entry
        sent = closing + keep
        if sent == qty:
            return quantity
        if sent == 0:
            self._refuse(side.value, sym, qty, reason)
            return None
        self._note("plan_resized", side.value, sym, qty, sent, reason)
        return sent

    def _budget_room(
        self,
        sym: str,
        entry: Decimal,
        held: Decimal,
        limit: float | Decimal | None,
        stop: float | Decimal | None,
    ) -> Decimal:
        """How much of ``entry`` fits in the budget (``entry`` itself when no price is known)."""
        unit = self._unit_value(sym, limit if limit is not None else stop)
        if unit is None:
            return entry
        inst = self._inner.instrument(sym)
        used = float(held) * unit + self._used_exposure({sym})
        step = Decimal(inst.lot_size) if inst.lot_size > 1 else inst.qty_step
        room = max(0.0, self._budget_value() - used) / unit
        fits = Decimal(math.floor(room / float(step) + 1e-9)) * step
        return min(entry, fits)

    def _budget_value(self) -> float:
        return float(self._sleeve.budget or 0.0) * float(self._inner.portfolio.equity)

    def _unit_value(self, sym: str, price: float | Decimal | None) -> float | None:
        """The value of one unit of ``sym`` at ``price`` (else its last price); ``None`` when
        no price is known."""
        if price is None:
            price = self._inner.last_price(sym)
        if price is None or float(price) <= 0:
            return None
        return float(price) * float(self._inner.instrument(sym).multiplier)

    def _used_exposure(self, skip: set[str]) -> float:
        """The gross value of the child's positions in symbols not in ``skip`` (fills not yet
        delivered included), at their last prices."""
        used = 0.0
        for other, pos in self._sleeve.positions.items():
            other_qty = self._sleeve.quantity(other) if other not in skip else _ZERO
            if other_qty != 0:
                last = self._inner.last_price(other) or float(pos.avg_price)
                mult = float(self._inner.instrument(other).multiplier)
                used += abs(float(other_qty)) * last * mult
        return used

    def _heading(self, side: Side, sym: str) -> str:
        """``long`` or ``short``: the direction of the payoff of buying (``side`` BUY) or
        selling ``sym``; an option put's is the reverse of its side."""
        up = side is Side.BUY
        inst = self._inner.instrument(sym)
        if inst.kind is InstrumentKind.OPT and inst.right is OptionRight.PUT:
            up = not up
        return "long" if up else "short"

    def _legs_refusal(self, intent: MultiLegIntent) -> str:
        """Why the plan refuses a multi-leg order (``""``: it may go); see the module
        docstring."""
        sleeve = self._sleeve
        entries: list[tuple[OrderIntent, Decimal, Decimal]] = []  # (leg, entry, held)
        for leg in intent.legs:
            sym = leg.symbol.upper()
            if sym not in self._symbols:
                return f"{sym} is not a traded symbol"
            own = sleeve.quantity(sym) + sleeve.pending(sym)
            opposite = own != 0 and (own > 0) != (leg.side is Side.BUY)
            closing = min(leg.quantity, abs(own)) if opposite else _ZERO
            if closing:
                sign = 1 if own > 0 else -1
                if (self._books.total(sym) - self._account(sym)) * sign > 0:
                    return f"{sym}: the position was already closed outside this strategy"
            if leg.quantity > closing:
                entries.append((leg, leg.quantity - closing, _ZERO if opposite else abs(own)))
        if not entries:
            return ""
        if sleeve.budget is None:
            return "not in today's plan: exits only"
        headings = {self._heading(leg.side, leg.symbol.upper()) for leg, _, _ in entries}
        if sleeve.direction != "both" and sleeve.direction not in headings:
            (heading,) = headings
            return f"today's bias is {sleeve.direction}: no {heading} entries"
        need = 0.0
        used = self._used_exposure({leg.symbol.upper() for leg in intent.legs})
        for leg, entry, held in entries:
            price = leg.limit_price if leg.limit_price is not None else leg.stop_price
            unit = self._unit_value(leg.symbol.upper(), price)
            if unit is not None:
                need += float(entry) * unit
                used += float(held) * unit
        if need > max(0.0, self._budget_value() - used) + 1e-6:
            reason = f"risk budget {sleeve.budget:.0%} of equity"
            if self._cap:
                return reason
            total = sum((leg.quantity for leg in intent.legs), _ZERO)
            legs = ",".join(leg.symbol for leg in intent.legs)
            self._note("plan_over_budget", f"{intent.strategy.value} legs", legs, total, total,
                       reason)  # fmt: skip
        return ""

    def _note(
        self, event: str, action: str, sym: str, asked: Decimal, sent: Decimal, reason: str
    ) -> None:
        fields = {"symbol": sym, "side": action, "asked": str(asked), "sent": str(sent)}
        fields["reason"] = reason
        self._sleeve.refusals.append({"event": event, **fields})
        self._inner.log(event, **fields)

    def _refuse(self, action: str, sym: str, qty: Decimal, reason: str) -> None:
        self._note("plan_refused", action, sym, qty, _ZERO, reason)


if TYPE_CHECKING:

    def _a_child_context_is_a_context(ctx: ChildContext) -> Context:
        return ctx  # mypy checks ChildContext against the Context protocol here


__all__ = ["Books", "ChildContext", "Sleeve", "absorb_outside_fill", "session_terms"]
