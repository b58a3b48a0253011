"""Cost models: what a fill pays in brokerage, taxes, exchange and regulatory fees.

One protocol, :class:`CostModel`, and four models: :class:`ZerodhaCosts` (NSE/BSE equity,
NFO/BFO futures and options, the Zerodha charge list), :class:`AlpacaCosts` (US equities:
SEC Section 31 fee and FINRA TAF on sells), :class:`PercentCost` (a fraction of notional per
fill, for benchmarks against other engines) and :class:`ZeroCost`. :func:`cost_model_for`
builds one from a short spec such as ``"zerodha"`` or ``"percent:0.0003"``.

The Zerodha and Alpaca rates are dated data (``execution/data/cost_rates.yaml``, see
:mod:`tronlab.execution.costs_rates`): a fill is priced with the rates in force on its date in
the exchange's time zone. Computation is pure; the only I/O is reading the packaged YAML once.

Conventions
-----------
* ``quantity`` is in instrument units (shares, option/future units; not lots) and
  ``notional = quantity * price * instrument.multiplier`` (for options ``price`` is the
  premium, so the notional is the premium turnover).
* Every component of a :class:`ChargeBreakdown` is in the instrument's currency, rounded to
  0.01 (paise / cents) with ROUND_HALF_UP, except the US regulatory fees, which are rounded UP
  to the cent as brokers pass them on. GST is computed on the already-rounded lines it
  applies to, as on a contract note. ``total`` is the sum of the rounded components.
* STT: Zerodha's contract note rounds STT to the nearest rupee per contract note (per scrip
  and day). A per-fill model cannot see the contract note, so STT is rounded to the paisa per
  fill; the note can differ from the sum of fills by under one rupee per scrip and day.
* Brokerage is per *executed order* at Zerodha (the Rs 20 cap or the flat Rs 20 applies once
  per order, however many fills it has). Callers pass ``order_brokerage_so_far``: the
  brokerage already charged on earlier fills of the same order (the sum of their
  ``ChargeBreakdown.brokerage``). The fill's brokerage is then capped so the order's total
  never exceeds the per-order cap. For a single-fill order leave it at 0.
"""

from __future__ import annotations

import decimal
from abc import ABC, abstractmethod
from dataclasses import dataclass, fields
from datetime import date, datetime
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal
from typing import Protocol, runtime_checkable
from zoneinfo import ZoneInfo

from tronlab.execution.costs_rates import (
    AlpacaRates,
    ChargeCategory,
    CostRates,
    NoRatesForDate,
    ZerodhaRates,
    default_cost_rates,
)
from tronlab.model.enums import InstrumentKind, Product, Side, Venue
from tronlab.model.errors import ValidationError
from tronlab.model.instruments import Instrument

__all__ = [
    "CENT",
    "COST_MODEL_SPECS",
    "NO_CHARGES",
    "AlpacaCosts",
    "ChargeBreakdown",
    "CostModel",
    "PercentCost",
    "ZeroCost",
    "ZerodhaCosts",
    "cost_model_for",
    "zerodha_category",
]

ZERO = Decimal(0)
CENT = Decimal("0.01")
IST = ZoneInfo("Asia/Kolkata")
US_EASTERN = ZoneInfo("America/New_York")

#: Specs accepted by :func:`cost_model_for` (``<fraction>`` is e.g. ``0.0003`` or ``0.03%``).
COST_MODEL_SPECS: tuple[str, ...] = ("zerodha", "alpaca", "zero", "percent:<fraction>")

# Wide enough that products of realistic quantities, prices and rates are exact.
_CTX = decimal.Context(
    prec=60,
    rounding=decimal.ROUND_HALF_EVEN,
    traps=[decimal.InvalidOperation, decimal.DivisionByZero, decimal.Overflow],
)


def _mul(*factors: Decimal) -> Decimal:
    out = Decimal(1)
    for f in factors:
        out = _CTX.multiply(out, f)
    return out


def _half_up(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP, context=_CTX)


def _ceil_cent(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_CEILING, context=_CTX)


# --------------------------------------------------------------------------------------------
# The breakdown
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ChargeBreakdown:
    """The charges of one fill (or, summed with ``+``, of several), by component.

    Build with :meth:`of`, which computes ``total``. All amounts are non-negative Decimals in
    the instrument's currency.

    Attributes
    ----------
    brokerage
        Broker commission (Zerodha brokerage; the whole fee for :class:`PercentCost`).
    stt
        Securities Transaction Tax (India).
    exchange_txn
        Exchange transaction charges (India).
    sebi
        SEBI turnover fee (India).
    gst
        GST on the lines the rate version lists (brokerage, exchange charges, SEBI fee).
    stamp
        Stamp duty (India, buy side).
    regulatory
        US regulatory fees: SEC Section 31 fee + FINRA TAF (+ CAT).
    total
        Sum of the components above.
    """

    brokerage: Decimal
    stt: Decimal
    exchange_txn: Decimal
    sebi: Decimal
    gst: Decimal
    stamp: Decimal
    regulatory: Decimal
    total: Decimal

    def __post_init__(self) -> None:
        parts = ZERO
        for f in fields(self):
            v = getattr(self, f.name)
            if not isinstance(v, Decimal) or not v.is_finite() or v < 0:
                raise ValidationError(
                    f"ChargeBreakdown.{f.name} must be a finite Decimal >= 0, got {v!r}",
                    code="BAD_CHARGES",
                )
            if f.name != "total":
                parts += v
        if parts != self.total:
            raise ValidationError(
                f"ChargeBreakdown.total {self.total} is not the sum of its components {parts}",
                code="BAD_CHARGES",
            )

    @classmethod
    def of(
        cls,
        *,
        brokerage: Decimal = ZERO,
        stt: Decimal = ZERO,
        exchange_txn: Decimal = ZERO,
        sebi: Decimal = ZERO,
        gst: Decimal = ZERO,
        stamp: Decimal = ZERO,
        regulatory: Decimal = ZERO,
    ) -> ChargeBreakdown:
        """A breakdown whose ``total`` is the sum of the given components."""
        total = brokerage + stt + exchange_txn + sebi + gst + stamp + regulatory
        return cls(brokerage, stt, exchange_txn, sebi, gst, stamp, regulatory, total)

    def as_dict(self) -> dict[str, Decimal]:
        """The components and ``total``, in field order."""
        return {f.name: getattr(self, f.name) for f in fields(self)}

    def __add__(self, other: ChargeBreakdown) -> ChargeBreakdown:
        if not isinstance(other, ChargeBreakdown):
            return NotImplemented
        a, b = self.as_dict(), other.as_dict()
        return ChargeBreakdown(**{k: a[k] + b[k] for k in a})


NO_CHARGES = ChargeBreakdown.of()


# --------------------------------------------------------------------------------------------
# The protocol
# --------------------------------------------------------------------------------------------


@runtime_checkable
class CostModel(Protocol):
    """Prices one fill. ``fee(...)`` is ``charges(...).total``.

    Parameters (both methods)
    -------------------------
    instrument
        What was traded.
    side
        BUY or SELL.
    quantity
        Units filled (not lots), > 0.
    price
        Fill price (option premium), > 0.
    product
        Kite product (MIS intraday, CNC delivery, NRML carry) or ``None`` (Alpaca; on an
        Indian equity ``None`` means delivery).
    ts
        Fill time, tz-aware; picks the dated rate version.
    order_brokerage_so_far
        Brokerage already charged on earlier fills of the same order (see module docs).
    """

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
    ) -> ChargeBreakdown: ...

    def fee(
        self,
        instrument: Instrument,
        side: Side,
        quantity: Decimal,
        price: Decimal,
        product: Product | None,
        ts: datetime,
        *,
        order_brokerage_so_far: Decimal = ZERO,
    ) -> Decimal: ...


@dataclass(frozen=True, slots=True)
class _Fill:
    """Validated inputs of one fill."""

    side: Side
    quantity: Decimal
    price: Decimal
    ts: datetime
    so_far: Decimal
    notional: Decimal


def _positive(value: object, name: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, Decimal | int):
        raise ValidationError(f"{name} must be a Decimal, got {value!r}", code="TYPE")
    d = Decimal(value)
    if not d.is_finite() or d <= 0:
        raise ValidationError(f"{name} must be a finite Decimal > 0, got {value!r}", code="TYPE")
    return d


def _fill(
    instrument: Instrument,
    side: Side,
    quantity: Decimal,
    price: Decimal,
    ts: datetime,
    so_far: Decimal,
) -> _Fill:
    if not isinstance(instrument, Instrument):
        raise ValidationError(f"instrument must be an Instrument, got {instrument!r}", code="TYPE")
    try:
        side = Side(side)
    except ValueError:
        raise ValidationError(f"side must be BUY or SELL, got {side!r}", code="TYPE") from None
    qty = _positive(quantity, "quantity")
    px = _positive(price, "price")
    if not isinstance(ts, datetime) or ts.tzinfo is None or ts.utcoffset() is None:
        raise ValidationError(f"ts must be a tz-aware datetime, got {ts!r}", code="NAIVE_DATETIME")
    if isinstance(so_far, bool) or not isinstance(so_far, Decimal | int) or so_far < 0:
        raise ValidationError(
            f"order_brokerage_so_far must be a Decimal >= 0, got {so_far!r}", code="TYPE"
        )
    return _Fill(side, qty, px, ts, Decimal(so_far), _mul(qty, px, instrument.multiplier))


class _CostModelBase(ABC):
    """Shared ``fee`` and ``repr``; subclasses implement :meth:`charges`."""

    spec: str

    @abstractmethod
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
        """The charges of one fill, by component (see :class:`CostModel`)."""

    def fee(
        self,
        instrument: Instrument,
        side: Side,
        quantity: Decimal,
        price: Decimal,
        product: Product | None,
        ts: datetime,
        *,
        order_brokerage_so_far: Decimal = ZERO,
    ) -> Decimal:
        """``charges(...).total``."""
        return self.charges(
            instrument,
            side,
            quantity,
            price,
            product,
            ts,
            order_brokerage_so_far=order_brokerage_so_far,
        ).total

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.spec}>"


# --------------------------------------------------------------------------------------------
# Zerodha
# --------------------------------------------------------------------------------------------

_CASH = (Venue.NSE, Venue.BSE)
_FNO = (Venue.NFO, Venue.BFO)


def _unsupported(model: str, instrument: Instrument, why: str) -> ValidationError:
    return ValidationError(
        f"{model} cannot price {instrument.kind} {instrument.id}: {why}",
        code="UNSUPPORTED_INSTRUMENT",
        details={"instrument": str(instrument.id), "kind": str(instrument.kind)},
    )


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
    raise _unsupported(
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


class ZerodhaCosts(_CostModelBase):
    """Zerodha's charges on NSE/BSE equity and NFO/BFO futures and options.

    Per fill: brokerage (per executed order, see the module docs), STT, exchange transaction
    charges, SEBI turnover fee, GST (on the lines the rate version lists) and stamp duty (buy
    side). Options are charged on premium turnover. The rate version is picked by the fill's
    date in IST.

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
        f = _fill(instrument, side, quantity, price, ts, order_brokerage_so_far)
        category = zerodha_category(instrument, product)
        r = self.rates_on(f.ts.astimezone(IST).date())
        turnover = f.notional
        lines = {
            "brokerage": _half_up(r.brokerage[category].for_fill(turnover, f.so_far)),
            "exchange_txn": _half_up(_mul(_txn_rate(r, instrument, category), turnover)),
            "sebi": _half_up(_mul(r.sebi, turnover)),
        }
        gst = _half_up(_mul(r.gst_rate, sum((lines[k] for k in sorted(r.gst_on)), ZERO)))
        stamp = _mul(r.stamp_buy[category], turnover) if f.side is Side.BUY else ZERO
        return ChargeBreakdown.of(
            brokerage=lines["brokerage"],
            stt=_half_up(_mul(r.stt[category].for_side(f.side), turnover)),
            exchange_txn=lines["exchange_txn"],
            sebi=lines["sebi"],
            gst=gst,
            stamp=_half_up(stamp),
        )


# --------------------------------------------------------------------------------------------
# Alpaca
# --------------------------------------------------------------------------------------------


class AlpacaCosts(_CostModelBase):
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
        f = _fill(instrument, side, quantity, price, ts, ZERO)
        if instrument.venue is not Venue.US or instrument.kind is not InstrumentKind.EQ:
            raise _unsupported("AlpacaCosts", instrument, "supported are US equities and ETFs")
        r = self.rates_on(f.ts.astimezone(US_EASTERN).date())
        sec = taf = ZERO
        if f.side is Side.SELL:
            sec = _ceil_cent(_mul(f.notional, r.sec_fee_rate))
            taf = _ceil_cent(min(_mul(f.quantity, r.taf_per_share), r.taf_max_per_trade))
        cat = _ceil_cent(_mul(f.quantity, r.cat_per_share))
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
        _fill(instrument, side, quantity, price, ts, order_brokerage_so_far)
        lines = self.regulatory_lines(instrument, side, quantity, price, ts)
        return ChargeBreakdown.of(regulatory=sum(lines.values(), ZERO))


# --------------------------------------------------------------------------------------------
# Benchmarks
# --------------------------------------------------------------------------------------------


class PercentCost(_CostModelBase):
    """A fraction of notional per fill, on both sides, reported as ``brokerage``.

    For like-for-like benchmarks against engines with a percentage commission. No cap, no
    per-order logic (``order_brokerage_so_far`` is ignored), any instrument and product.

    Parameters
    ----------
    rate
        Fraction of notional, ``0 <= rate < 1`` (``Decimal("0.0003")`` = 3 bps).
    quantum
        Rounding step of the fee (ROUND_HALF_UP); ``None`` keeps it exact, as engines that
        do not round fees do.
    """

    def __init__(self, rate: Decimal, *, quantum: Decimal | None = CENT) -> None:
        if isinstance(rate, bool) or not isinstance(rate, Decimal | int):
            raise ValidationError(f"rate must be a Decimal, got {rate!r}", code="TYPE")
        rate = Decimal(rate)
        if not rate.is_finite() or not 0 <= rate < 1:
            raise ValidationError(f"rate must be in [0, 1), got {rate}", code="BAD_RATE")
        if quantum is not None and (not isinstance(quantum, Decimal) or quantum <= 0):
            raise ValidationError(f"quantum must be a Decimal > 0 or None, got {quantum!r}")
        self.rate = rate
        self.quantum = quantum
        self.spec = f"percent:{rate:f}"

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
        f = _fill(instrument, side, quantity, price, ts, order_brokerage_so_far)
        fee = _mul(f.notional, self.rate)
        if self.quantum is not None:
            fee = fee.quantize(self.quantum, rounding=ROUND_HALF_UP, context=_CTX)
        return ChargeBreakdown.of(brokerage=fee)


class ZeroCost(_CostModelBase):
    """No charges at all (inputs are still validated)."""

    spec = "zero"

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
        """All-zero charges."""
        _fill(instrument, side, quantity, price, ts, order_brokerage_so_far)
        return NO_CHARGES


# --------------------------------------------------------------------------------------------
# Registry
# --------------------------------------------------------------------------------------------


def cost_model_for(spec: str, *, rates: CostRates | None = None) -> CostModel:
    """Build a cost model from a spec (case-insensitive).

    ``"zerodha"``, ``"alpaca"``, ``"zero"``, or ``"percent:<fraction>"`` where the fraction
    is a decimal (``"percent:0.0003"``) or a percent (``"percent:0.03%"``), both 3 bps per
    fill. ``rates`` replaces the packaged rate tables for the Zerodha and Alpaca models.

    Raises
    ------
    ValidationError
        ``UNKNOWN_COST_MODEL`` (a ``ValueError``) naming the valid specs.
    """

    def bad(why: str) -> ValidationError:
        valid = ", ".join(repr(s) for s in COST_MODEL_SPECS)
        return ValidationError(
            f"{why}; valid cost models: {valid} (e.g. 'percent:0.0003' = 3 bps per fill)",
            code="UNKNOWN_COST_MODEL",
        )

    if not isinstance(spec, str):
        raise bad(f"cost model spec must be a string, got {spec!r}")
    key = spec.strip().lower()
    if key == "zerodha":
        return ZerodhaCosts(rates)
    if key == "alpaca":
        return AlpacaCosts(rates)
    if key == "zero":
        return ZeroCost()
    if key.startswith("percent:"):
        text = key.removeprefix("percent:").strip()
        is_pct = text.endswith("%")
        try:
            value = Decimal(text.removesuffix("%").strip())
        except decimal.InvalidOperation:
            raise bad(f"bad rate in cost model spec {spec!r}") from None
        if not value.is_finite() or value < 0:
            raise bad(f"bad rate in cost model spec {spec!r}")
        rate = value.scaleb(-2) if is_pct else value
        if rate >= 1:
            raise bad(f"rate in {spec!r} must be below 1 (100%)")
        return PercentCost(rate)
    raise bad(f"unknown cost model {spec!r}")
