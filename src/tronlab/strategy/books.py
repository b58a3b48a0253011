"""The children's books of a composite strategy (``auto``; see :mod:`tronlab.strategy.sleeve`):
each child's positions built from its own fills and its working orders (:class:`Sleeve`), all
of them together (:class:`Books`), and how fills no child placed reduce them
(:func:`absorb_outside_fill`)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal
from typing import Any

from tronlab.model import Fill, Instrument, Order, Position, Side

_ZERO = Decimal(0)


def signed_remaining(orders: Iterable[Order]) -> Decimal:
    """What working ``orders`` will still add to a position (buys +, sells -)."""
    total = _ZERO
    for o in orders:
        rem = o.remaining_quantity
        total += rem if o.side is Side.BUY else -rem
    return total


class Sleeve:
    """One child's book: its positions, its orders and today's terms.

    Positions are booked from the child's fills as ``on_fill`` delivers them; fills the engine
    has already booked but not yet delivered (it delivers after the running hook returns) are
    read off the child's live :class:`~tronlab.model.Order` objects, so the book is never a
    bar behind the account.
    """

    def __init__(self, child_id: str) -> None:
        self.id = child_id
        self.positions: dict[str, Position] = {}
        self.live: dict[str, Order] = {}  # orders whose fills are not all delivered yet
        self._seen: dict[str, Decimal] = {}  # filled quantity delivered, per live order
        self.budget: float | None = None  # None: not chosen today (exits only)
        self.direction = "both"
        self.refusals: list[dict[str, Any]] = []

    def quantity(self, symbol: str) -> Decimal:
        pos = self.positions.get(symbol)
        qty = _ZERO if pos is None else pos.quantity
        for coid, order in self.live.items():
            if order.instrument_id.symbol == symbol:
                unseen = order.filled_quantity - self._seen.get(coid, _ZERO)
                if unseen:
                    qty += unseen if order.side is Side.BUY else -unseen
        return qty

    def position(self, symbol: str, instrument: Instrument) -> Position:
        """The position in ``symbol``, fills not yet delivered included (at their orders'
        average price)."""
        pos = self.positions.get(symbol) or Position.flat(instrument.id, instrument.multiplier)
        for coid, order in self.live.items():
            price = order.avg_fill_price
            if order.instrument_id.symbol == symbol and price is not None:
                unseen = order.filled_quantity - self._seen.get(coid, _ZERO)
                if unseen > 0:
                    pos = pos.apply_trade(order.side, unseen, price)
        return pos

    def pending(self, symbol: str) -> Decimal:
        """Signed quantity the child's working orders in ``symbol`` will still add."""
        return signed_remaining(self.working(symbol))

    def working(self, symbol: str | None = None) -> list[Order]:
        return [
            o
            for o in self.live.values()
            if o.status.is_open and (symbol is None or o.instrument_id.symbol == symbol)
        ]

    @property
    def holding(self) -> bool:
        """Whether it has an open position or a live order (then it still gets bars)."""
        return bool(self.live) or any(p.quantity != 0 for p in self.positions.values())

    def track(self, order: Order) -> None:
        self.live[str(order.client_order_id)] = order

    def apply_fill(self, fill: Fill, instrument: Instrument) -> None:
        sym = instrument.symbol
        pos = self.positions.get(sym) or Position.flat(instrument.id, instrument.multiplier)
        self.positions[sym] = pos.apply_fill(fill)
        coid = str(fill.client_order_id)
        if coid in self.live:
            self._seen[coid] = self._seen.get(coid, _ZERO) + fill.quantity

    def order_done(self, coid: str) -> None:
        """Forget a terminal order once all its fills were delivered."""
        order = self.live.get(coid)
        if order is not None and self._seen.get(coid, _ZERO) >= order.filled_quantity:
            del self.live[coid]
            self._seen.pop(coid, None)

    def reduce(self, symbol: str, side: Side, quantity: Decimal, price: Decimal) -> Decimal:
        """Take up to ``quantity`` of an outside ``side`` trade that reduces this book's
        position; returns what was taken."""
        pos = self.positions.get(symbol)
        if pos is None or pos.quantity == 0 or (pos.quantity > 0) != (side is Side.SELL):
            return _ZERO
        take = min(abs(pos.quantity), quantity)
        self.positions[symbol] = pos.apply_trade(side, take, price)
        return take


def absorb_outside_fill(fill: Fill, sleeves: Iterable[Sleeve]) -> Decimal:
    """Spread a fill no child placed over the books it reduces (in order); the remainder
    (an outside *opening* trade) is returned and belongs to nobody."""
    sym = fill.instrument_id.symbol
    left = fill.quantity
    for sleeve in sleeves:
        if left <= 0:
            break
        left -= sleeve.reduce(sym, fill.side, left, fill.price)
    return left


class Books:
    """Every child's book, and which child placed each order."""

    def __init__(self, child_ids: Iterable[str]) -> None:
        self.sleeves = {cid: Sleeve(cid) for cid in child_ids}
        self.owners: dict[str, Sleeve] = {}  # client order id -> the child that placed it

    def total(self, symbol: str) -> Decimal:
        """What the children's books say the account holds in ``symbol`` (working orders
        included)."""
        return sum((s.quantity(symbol) + s.pending(symbol) for s in self.sleeves.values()), _ZERO)

    def drop_vanished(self, account: Callable[[str], Decimal]) -> list[str]:
        """Clear the books of symbols the account no longer holds although the books do (a
        position that left without a fill reaching us: an expiry settlement); the symbols."""
        held = {sym for s in self.sleeves.values() for sym, p in s.positions.items() if p.quantity}
        gone = [
            sym
            for sym in sorted(held)
            if account(sym) == 0
            and self.total(sym) != 0
            and not any(s.working(sym) for s in self.sleeves.values())
        ]
        for sym in gone:
            for sleeve in self.sleeves.values():
                sleeve.positions.pop(sym, None)
        return gone


def session_terms(
    sleeves: Mapping[str, Sleeve], budgets: Mapping[str, float], direction: str
) -> None:
    """Set each sleeve's terms for the day: its budget when chosen (else ``None``) and the bias."""
    for child_id, sleeve in sleeves.items():
        sleeve.budget = budgets.get(child_id)
        sleeve.direction = direction
