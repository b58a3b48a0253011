"""Zerodha's charges on NSE/BSE equity and NFO/BFO futures and options.

Conventions (rounding, STT, brokerage per executed order) are documented in
:mod:`tronlab.execution.costs`; the dated rates in ``execution/data/cost_rates.yaml``.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from tronlab.execution.costs_base import (
    ZERO,
    ChargeBreakdown,
    CostModelBase,
    fill_inputs,
    mul,
    round_half_up,
    unsupported_instrument,
)
from tronlab.execution.costs_rates import (
    ChargeCategory,
    CostRates,
    NoRatesForDate,
    ZerodhaRates,
    default_cost_rates,
)
from tronlab.model.enums import InstrumentKind, Product, Side, Venue
from tronlab.model.errors import ValidationError
from tronlab.model.instruments import Instrument

__all__ = ["IST", "ZerodhaCosts", "zerodha_category"]

IST = ZoneInfo("Asia/Kolkata")

_CASH = (Venue.NSE, Venue.BSE)
_FNO = (Venue.NFO, Venue.BFO)


def zerodha_category(instrument: Instrument, product: Product | None) -> ChargeCategory:
    """The Zerodha charge category of a fill.

    NSE/BSE equity: MIS is intraday, CNC or ``None`` delivery. NFO/BFO futures and options
    (index or stock): the same charges for NRML, MIS or ``None``.

    Raises
    ------
    ValidationError
        ``UNSUPPORTED_INSTRUMENT`` for other venues or kinds (indices, MCX, CDS, US) and
        ``BAD_PRODUCT`` for NRML on equity or CNC on a derivative.
    """
    if product is not None:
        product = Product(product)
    venue, kind = instrument.venue, instrument.kind
    if venue in _CASH and kind is InstrumentKind.EQ:
        if product is Product.NRML:
            raise ValidationError(
                f"product NRML is not valid for equity {instrument.id}; use MIS or CNC",
                code="BAD_PRODUCT",
            )
        if product is Product.MIS:
            return ChargeCategory.EQUITY_INTRADAY
        return ChargeCategory.EQUITY_DELIVERY
    if venue in _FNO and kind in (InstrumentKind.FUT, InstrumentKind.OPT):
        if product is Product.CNC:
            raise ValidationError(
                f"product CNC is not valid for derivative {instrument.id}; use NRML or MIS",
                code="BAD_PRODUCT",
            )
        return ChargeCategory.FUTURES if kind is InstrumentKind.FUT else ChargeCategory.OPTIONS
    raise unsupported_instrument(
        "ZerodhaCosts", instrument, "supported are NSE/BSE equity and NFO/BFO futures/options"
    )


def _txn_rate(rates: ZerodhaRates, instrument: Instrument, category: ChargeCategory) -> Decimal:
    seg = rates.exchange_txn.get(instrument.venue)
    if category in (ChargeCategory.EQUITY_DELIVERY, ChargeCategory.EQUITY_INTRADAY):
        rate = seg.equity if seg is not None else None
    elif category is ChargeCategory.FUTURES:
        rate = seg.futures if seg is not None else None
    elif seg is not None and seg.options is not None:
        key = (instrument.underlying or "").upper()
        rate = seg.options_by_underlying.get(key, seg.options)
    else:
        rate = None
    if rate is None:
        raise NoRatesForDate(
            f"zerodha rates effective {rates.effective_from.isoformat()} have no exchange "
            f"transaction charges for {instrument.venue} {category.value}",
            details={"venue": str(instrument.venue), "category": category.value},
        )
    return rate


class ZerodhaCosts(CostModelBase):
    """Zerodha's charges on NSE/BSE equity and NFO/BFO futures and options.

    Per fill: brokerage (per executed order, see :mod:`tronlab.execution.costs`), STT, exchange
    transaction charges, SEBI turnover fee, GST (on the lines the rate version lists) and stamp
    duty (buy side). Options are charged on premium turnover. The rate version is picked by
    the fill's date in IST.

    Parameters
    ----------
    rates
        Rate tables; ``None`` uses the packaged ``cost_rates.yaml``.
    """

    spec = "zerodha"

    def __init__(self, rates: CostRates | None = None) -> None:
        self._schedule = (rates if rates is not None else default_cost_rates()).zerodha

    def rates_on(self, day: date) -> ZerodhaRates:
        """The rate version in force on ``day`` (an IST date)."""
        return self._schedule.on(day)

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
        f = fill_inputs(instrument, side, quantity, price, ts, order_brokerage_so_far)
        category = zerodha_category(instrument, product)
        r = self.rates_on(f.ts.astimezone(IST).date())
        turnover = f.notional
        lines = {
            "brokerage": round_half_up(r.brokerage[category].for_fill(turnover, f.so_far)),
            "exchange_txn": round_half_up(mul(_txn_rate(r, instrument, category), turnover)),
            "sebi": round_half_up(mul(r.sebi, turnover)),
        }
        gst = round_half_up(mul(r.gst_rate, sum((lines[k] for k in sorted(r.gst_on)), ZERO)))
        stamp = mul(r.stamp_buy[category], turnover) if f.side is Side.BUY else ZERO
        return ChargeBreakdown.of(
            brokerage=lines["brokerage"],
            stt=round_half_up(mul(r.stt[category].for_side(f.side), turnover)),
            exchange_txn=lines["exchange_txn"],
            sebi=lines["sebi"],
            gst=gst,
            stamp=round_half_up(stamp),
        )

    def exercise_charges(
        self, instrument: Instrument, quantity: Decimal, settlement_price: Decimal, ts: datetime
    ) -> ChargeBreakdown:
        """STT on a long option exercised at expiry: the dated ``stt_options_exercised`` rate
        on its intrinsic value, ``quantity × settlement_price × multiplier`` (0.125% since
        2019-09-01, 0.15% from 2026-04-01), rounded to the paisa; nothing for an option
        that expires worthless, a short position (its STT was paid on the sale) or a future.
        Zerodha charges no brokerage on index options settled at expiry.

        Raises ``NoRatesForDate`` when the rate version has no exercise STT rate."""
        if instrument.kind is not InstrumentKind.OPT or quantity <= 0 or settlement_price <= 0:
            return ChargeBreakdown.of()
        r = self.rates_on(ts.astimezone(IST).date())
        if r.stt_options_exercised is None:
            raise NoRatesForDate(
                f"zerodha rates effective {r.effective_from.isoformat()} have no "
                "stt_options_exercised rate for an exercised option",
                details={"category": "options_exercised"},
            )
        value = mul(quantity, settlement_price, instrument.multiplier)
        return ChargeBreakdown.of(stt=round_half_up(mul(r.stt_options_exercised, value)))
