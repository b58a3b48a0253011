"""Shared parts of the cost models: the charge breakdown, the protocol, input checks, rounding.

Public API is re-exported by :mod:`tronlab.execution.costs` (conventions documented there).
The helpers below (:func:`fill_inputs`, :func:`round_half_up`, ...) serve the cost-model
modules ``costs_zerodha`` and ``costs_alpaca``.
"""

from __future__ import annotations

import decimal
from abc import ABC, abstractmethod
from dataclasses import dataclass, fields
from datetime import datetime
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal
from typing import Protocol, runtime_checkable

from tronlab.model.enums import Product, Side
from tronlab.model.errors import ValidationError
from tronlab.model.instruments import Instrument

__all__ = [
    "CENT",
    "NO_CHARGES",
    "ZERO",
    "ChargeBreakdown",
    "CostModel",
    "CostModelBase",
    "FillInputs",
    "brokerage_only",
    "ceil_cent",
    "fill_inputs",
    "mul",
    "round_half_up",
    "unsupported_instrument",
]

ZERO = Decimal(0)
CENT = Decimal("0.01")

# Wide enough that products of realistic quantities, prices and rates are exact.
_CTX = decimal.Context(
    prec=60,
    rounding=decimal.ROUND_HALF_EVEN,
    traps=[decimal.InvalidOperation, decimal.DivisionByZero, decimal.Overflow],
)


def mul(*factors: Decimal) -> Decimal:
    """The exact product of ``factors`` (60 significant digits)."""
    out = Decimal(1)
    for f in factors:
        out = _CTX.multiply(out, f)
    return out


def round_half_up(value: Decimal, quantum: Decimal = CENT) -> Decimal:
    """``value`` rounded to ``quantum`` (default 0.01), halves away from zero."""
    return value.quantize(quantum, rounding=ROUND_HALF_UP, context=_CTX)


def ceil_cent(value: Decimal) -> Decimal:
    """``value`` rounded up to the cent (how US regulatory fees are passed on)."""
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
_BREAKDOWN_FIELDS = tuple(f.name for f in fields(ChargeBreakdown))


def brokerage_only(fee: Decimal) -> ChargeBreakdown:
    """``ChargeBreakdown.of(brokerage=fee)`` for a fee that is a finite Decimal >= 0 by
    construction (skips the field checks; the hot path of the percent model)."""
    out = object.__new__(ChargeBreakdown)
    for name in _BREAKDOWN_FIELDS:
        object.__setattr__(out, name, ZERO)
    object.__setattr__(out, "brokerage", fee)
    # the same sum ``of`` computes: fee + 0 + 0 + 0 + 0 + 0 + 0
    object.__setattr__(out, "total", fee + ZERO + ZERO + ZERO + ZERO + ZERO + ZERO)
    return out


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
class FillInputs:
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


def fill_inputs(
    instrument: Instrument,
    side: Side,
    quantity: Decimal,
    price: Decimal,
    ts: datetime,
    so_far: Decimal,
) -> FillInputs:
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
    return FillInputs(side, qty, px, ts, Decimal(so_far), mul(qty, px, instrument.multiplier))


class CostModelBase(ABC):
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

    def exercise_charges(
        self, instrument: Instrument, quantity: Decimal, settlement_price: Decimal, ts: datetime
    ) -> ChargeBreakdown:
        """Charges on ``quantity`` (> 0, units) of a long option exercised at expiry at
        ``settlement_price`` (its intrinsic value per unit). None by default."""
        return NO_CHARGES

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.spec}>"


def unsupported_instrument(model: str, instrument: Instrument, why: str) -> ValidationError:
    return ValidationError(
        f"{model} cannot price {instrument.kind} {instrument.id}: {why}",
        code="UNSUPPORTED_INSTRUMENT",
        details={"instrument": str(instrument.id), "kind": str(instrument.kind)},
    )
