"""The F&O side of the simulated exchange's funds check (see
:mod:`tronlab.adapters.paper.exchange`, *F&O margin*): the book of futures and options,
collateral, available funds and a margin quote for one or several orders, under the SPAN-like
model of :mod:`tronlab.options.fno_margin`."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from tronlab.model import Instrument, Portfolio, Side
from tronlab.model.enums import InstrumentKind
from tronlab.options.fno_margin import FnoMargin, MarginQuote, UnpricedError, is_fno

if TYPE_CHECKING:
    from tronlab.adapters.paper.exchange import _Working


class FnoFundsMixin:
    """F&O funds of :class:`~tronlab.adapters.paper.exchange.SimulatedExchange` (which holds
    the attributes declared here)."""

    instruments: Mapping[str, Instrument]
    portfolio: Portfolio
    last_price: Callable[[str], float | None]
    fno_margin: FnoMargin | None
    forward_of: Callable[[str], float | None] | None
    _working: dict[str, list[_Working]]
    _reserved: Decimal

    def fno_book(self, *, working: bool = True) -> dict[Instrument, Decimal]:
        """Signed F&O quantities by instrument: the open positions plus (``working``) the
        remaining quantity of working orders as if filled."""
        book: dict[Instrument, Decimal] = {}
        for p in self.portfolio.open_positions():
            inst = self.instruments.get(p.instrument_id.symbol)
            if inst is not None and is_fno(inst):
                book[inst] = p.quantity
        if working:
            for ws in self._working.values():
                for w in ws:
                    if is_fno(w.instrument):
                        rem = w.order.remaining_quantity
                        signed = rem if w.is_buy else -rem
                        book[w.instrument] = book.get(w.instrument, Decimal(0)) + signed
        return book

    def collateral(self) -> Decimal:
        """Equity less the flat-rate requirement of non-F&O positions and less the value of
        long options (their premium is spent)."""
        total = self.portfolio.equity
        model = self.portfolio.margin_model
        for p in self.portfolio.open_positions():
            inst = self.instruments.get(p.instrument_id.symbol)
            if inst is not None and not is_fno(inst):
                total -= model.requirement(inst, p)
            elif inst is not None and inst.kind is InstrumentKind.OPT and p.quantity > 0:
                total -= p.market_value
        return total

    def _available(self, now: datetime) -> Decimal:
        model = self.fno_margin
        if model is None or self.forward_of is None:
            return self.portfolio.margin_available - self._reserved
        try:
            book = self.fno_book(working=False)
            held = model.requirement(book, self.last_price, self.forward_of, now).amount
        except UnpricedError:
            return self.portfolio.margin_available - self._reserved
        return self.collateral() - held - self._reserved

    def margin_quote(
        self,
        orders: Sequence[tuple[Instrument, Side, Decimal, Decimal | None]],
        now: datetime,
        model: FnoMargin | None = None,
        forward_of: Callable[[str], float | None] | None = None,
    ) -> MarginQuote:
        """What ``orders`` (instrument, side, quantity, price or ``None`` for the last price)
        would need together, for futures and options (other instruments are ignored), under
        ``model`` with the underlying prices of ``forward_of`` (defaults: this exchange's).
        Raises ``UnpricedError`` when an underlying has no price, ``ValueError`` without a
        model."""
        model = model or self.fno_margin
        fwd = forward_of or self.forward_of
        if model is None:
            raise ValueError("no F&O margin model given and none set on this exchange")
        positions = self.fno_book(working=False)
        before = self.fno_book()
        after = dict(before)
        premium = Decimal(0)
        for inst, side, qty, price in orders:
            if not is_fno(inst):
                continue
            was = after.get(inst, Decimal(0))
            now_q = was + (qty if side is Side.BUY else -qty)
            after[inst] = now_q
            if inst.kind is InstrumentKind.OPT and side is Side.BUY:
                long_added = max(now_q, Decimal(0)) - max(was, Decimal(0))
                if long_added > 0:
                    ref = price
                    if ref is None:
                        last = self.last_price(inst.symbol)
                        ref = Decimal(repr(last)) if last is not None else Decimal(0)
                    premium += long_added * ref * inst.multiplier
        m_pos, m_before, m_after = (
            m.amount
            for m in model.requirements(
                [positions, before, after], self.last_price, fwd or (lambda _u: None), now
            )
        )
        needed = max(m_after - m_before, Decimal(0)) + premium
        return MarginQuote(
            collateral=self.collateral(),
            held=m_pos + self._reserved,
            needed=needed,
            premium=premium,
            margin_before=m_before,
            margin_after=m_after,
        )
