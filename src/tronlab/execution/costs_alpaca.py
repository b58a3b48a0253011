"""Alpaca's costs on US equities: no commission; SEC Section 31 fee and FINRA TAF on sells.

Dated rates in ``execution/data/cost_rates.yaml`` (rounding rule documented there).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from tronlab.execution.costs_base import (
    ZERO,
    ChargeBreakdown,
    CostModelBase,
    ceil_cent,
    fill_inputs,
    mul,
    unsupported_instrument,
)
from tronlab.execution.costs_rates import AlpacaRates, CostRates, default_cost_rates
from tronlab.model.enums import InstrumentKind, Product, Side, Venue
from tronlab.model.instruments import Instrument

__all__ = ["US_EASTERN", "AlpacaCosts"]

US_EASTERN = ZoneInfo("America/New_York")


class AlpacaCosts(CostModelBase):
    """Alpaca US equities: zero commission; SEC Section 31 fee and FINRA TAF on sells.

    Per sell fill: ``SEC = notional * rate`` and ``TAF = min(quantity * per_share,
    max_per_trade)``, each rounded UP to the cent (see ``cost_rates.yaml`` for why that can
    overstate Alpaca's end-of-day rounding by under a cent). The CAT fee per executed share
    applies to buys and sells when its rate is set (zero in the packaged rates). The rate
    version is picked by the fill's date in America/New_York. ``product`` is ignored.

    Parameters
    ----------
    rates
        Rate tables; ``None`` uses the packaged ``cost_rates.yaml``.
    """

    spec = "alpaca"

    def __init__(self, rates: CostRates | None = None) -> None:
        self._schedule = (rates if rates is not None else default_cost_rates()).alpaca

    def rates_on(self, day: date) -> AlpacaRates:
        """The rate version in force on ``day`` (a US/Eastern date)."""
        return self._schedule.on(day)

    def regulatory_lines(
        self, instrument: Instrument, side: Side, quantity: Decimal, price: Decimal, ts: datetime
    ) -> dict[str, Decimal]:
        """The regulatory fees of one fill by name: ``sec_fee``, ``finra_taf``, ``cat_fee``."""
        f = fill_inputs(instrument, side, quantity, price, ts, ZERO)
        if instrument.venue is not Venue.US or instrument.kind is not InstrumentKind.EQ:
            raise unsupported_instrument(
                "AlpacaCosts", instrument, "supported are US equities and ETFs"
            )
        r = self.rates_on(f.ts.astimezone(US_EASTERN).date())
        sec = taf = ZERO
        if f.side is Side.SELL:
            sec = ceil_cent(mul(f.notional, r.sec_fee_rate))
            taf = ceil_cent(min(mul(f.quantity, r.taf_per_share), r.taf_max_per_trade))
        cat = ceil_cent(mul(f.quantity, r.cat_per_share))
        return {"sec_fee": sec, "finra_taf": taf, "cat_fee": cat}

    def charges(
        self,
        instrument: Instrument,
        side: Side,
        quantity: Decimal,
        price: Decimal,
        product: Product | None,
        ts: datetime,
        *,
        order_brokerage_so_far: Decimal = ZERO,
    ) -> ChargeBreakdown:
        """The charges of one fill (see :class:`CostModel`)."""
        fill_inputs(instrument, side, quantity, price, ts, order_brokerage_so_far)
        lines = self.regulatory_lines(instrument, side, quantity, price, ts)
        return ChargeBreakdown.of(regulatory=sum(lines.values(), ZERO))
