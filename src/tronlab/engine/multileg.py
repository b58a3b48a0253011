"""The engine's F&O side (a mixin of :class:`~tronlab.engine.loop.Engine`): expiry settlement
(:mod:`tronlab.engine.settlement`), multi-leg orders, and the F&O view the risk rules read.

Multi-leg orders (:meth:`FnoMixin.submit_legs`)
    1. Every leg must be a known, unexpired instrument; otherwise every leg is refused with
       the first leg's reason (``UNKNOWN_INSTRUMENT``, ``INSTRUMENT_EXPIRED``).
    2. The risk governor decides once for the combination
       (:meth:`~tronlab.risk.decision.PreTradeRisk.check_combo`); a denial refuses every leg
       with ``RISK_<code>``.
    3. With the SPAN-like margin on, the exchange quotes the combination's margin as a whole
       (a hedged iron condor needs less than its legs alone); when it exceeds the funds
       available, every leg is refused with ``INSUFFICIENT_FUNDS``.
    4. The legs are sent, buys first (so the hedges are working when the exchange checks the
       legs they protect), each with the governor's approval; they fill like any order.

    Returns the client order ids in the order of ``intent.legs``.

SPAN-like margin
    For a run with futures or options the exchange's funds check uses
    :class:`~tronlab.options.fno_margin.FnoMargin` (default parameters) with the underlying
    prices of :meth:`FnoMixin.underlying_price`; :meth:`FnoMixin.use_fno_margin` replaces the
    model or (``None``) goes back to the flat rate of the portfolio's margin model.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from tronlab.engine.settlement import SettlementMixin
from tronlab.execution.intents import MultiLegIntent, OrderIntent
from tronlab.model import Instrument, InstrumentKind
from tronlab.options.fno_margin import FnoMargin, MarginQuote, UnpricedError, is_fno
from tronlab.options.time import expiry_instant
from tronlab.risk.decision import FnoOrder, RiskDecision

if TYPE_CHECKING:
    from tronlab.risk.decision import PreTradeRisk

__all__ = ["FnoMixin"]


class FnoMixin(SettlementMixin):
    """Multi-leg orders, the F&O margin of the exchange and the risk governor's F&O view."""

    risk: PreTradeRisk
    orders: Any

    def _init_expiries(self) -> None:
        super()._init_expiries()
        if any(is_fno(i) for i in self.instruments.values()):
            self.use_fno_margin(FnoMargin())

    def use_fno_margin(self, model: FnoMargin | None) -> None:
        """Margin futures and options with ``model`` (``None``: the portfolio's flat rate)."""
        self.exchange.fno_margin = model
        self.exchange.forward_of = None if model is None else self.underlying_price

    # ------------------------------------------------------------------ F&O view
    def underlying_price(self, underlying: str) -> float | None:
        """The last price of ``underlying`` (``NIFTY``): its series through
        ``EngineConfig.underlyings`` or its own name, else the nearest live future's."""
        mapping: Mapping[str, str] = getattr(self.config, "underlyings", {}) or {}
        price = self.last_prices.get(mapping.get(underlying, underlying))
        if price is not None:
            return price
        now = self.clock.now()
        futures = sorted(
            (i.expiry, s)
            for s, i in self.instruments.items()
            if i.kind is InstrumentKind.FUT
            and i.underlying == underlying
            and i.expiry is not None
            and expiry_instant(i.expiry) > now
            and s in self.last_prices
        )
        return self.last_prices[futures[0][1]] if futures else None

    def fno_book(self) -> dict[Instrument, Decimal]:
        """F&O positions plus working orders as if filled (signed units)."""
        return self.exchange.fno_book()

    def margin_quote(
        self, orders: Sequence[FnoOrder], model: FnoMargin | None = None
    ) -> MarginQuote:
        """What ``orders`` add to the F&O margin now (see ``SimulatedExchange.margin_quote``);
        the exchange's model, else the default one, when ``model`` is ``None``."""
        self.mark_portfolio()  # type: ignore[attr-defined]
        model = model or self.exchange.fno_margin or FnoMargin()
        return self.exchange.margin_quote(orders, self.clock.now(), model, self.underlying_price)

    # ------------------------------------------------------------------ multi-leg orders
    def submit_legs(self, intent: MultiLegIntent) -> list[str]:
        """Send a multi-leg order, all legs or none (see the module docstring)."""
        now = self.clock.now()
        legs = intent.legs
        refusal = self._legs_invalid(legs)
        if refusal is None:
            self.mark_portfolio()  # type: ignore[attr-defined]
            decision = self.risk.check_combo(legs, self, intent.strategy.value)  # type: ignore[arg-type]
            if not decision.allowed:
                code = decision.reason_code if decision.reason_code != "OK" else "DENIED"
                refusal = (f"RISK_{code}", decision.message or "denied by risk")
        if refusal is None:
            refusal = self._legs_unfunded(legs)
        if refusal is not None:
            reason, message = refusal
            label = f"{intent.strategy.value} refused: {message}"
            ids = []
            for leg in legs:
                coid = self.orders.next_id(leg.strategy_id, now)
                self._refuse(coid, now, reason, label)  # type: ignore[attr-defined]
                ids.append(str(coid))
            return ids
        by_symbol: dict[str, str] = {}
        for leg in intent.submission_order():
            approved = RiskDecision.approve(leg.quantity)
            coid = self.submit_intent(leg, approved)  # type: ignore[attr-defined]
            by_symbol[leg.symbol] = str(coid)
        return [by_symbol[leg.symbol] for leg in legs]

    def _legs_invalid(self, legs: Sequence[OrderIntent]) -> tuple[str, str] | None:
        for leg in legs:
            inst = self.instruments.get(leg.symbol)
            if inst is None:
                return "UNKNOWN_INSTRUMENT", f"{leg.symbol} is not in this run"
            if self.is_expired(leg.symbol):
                return "INSTRUMENT_EXPIRED", f"{leg.symbol} expired on {inst.expiry}"
        return None

    def _legs_unfunded(self, legs: Sequence[OrderIntent]) -> tuple[str, str] | None:
        if self.exchange.fno_margin is None or self.exchange.forward_of is None:
            return None
        orders: list[FnoOrder] = [
            (self.instruments[leg.symbol], leg.side, leg.quantity, leg.limit_price)
            for leg in legs
            if is_fno(self.instruments[leg.symbol])
        ]
        if not orders:
            return None
        try:
            quote = self.exchange.margin_quote(orders, self.clock.now())
        except UnpricedError:
            return None  # each leg falls back to the flat rate at the exchange
        if quote.needed > quote.available:
            return (
                "INSUFFICIENT_FUNDS",
                f"the combination needs margin {quote.needed:.2f}, available {quote.available:.2f}",
            )
        return None
