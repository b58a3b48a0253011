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
from datetime import datetime
from decimal import Decimal

from tronlab.execution.costs_alpaca import AlpacaCosts
from tronlab.execution.costs_base import (
    CENT,
    NO_CHARGES,
    ZERO,
    ChargeBreakdown,
    CostModel,
    CostModelBase,
    brokerage_only,
    fill_inputs,
    mul,
    round_half_up,
)
from tronlab.execution.costs_rates import CostRates
from tronlab.execution.costs_zerodha import ZerodhaCosts, zerodha_category
from tronlab.model.enums import Product, Side
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

#: Specs accepted by :func:`cost_model_for` (``<fraction>`` is e.g. ``0.0003`` or ``0.03%``).
COST_MODEL_SPECS: tuple[str, ...] = ("zerodha", "alpaca", "zero", "percent:<fraction>")


# --------------------------------------------------------------------------------------------
# Benchmarks
# --------------------------------------------------------------------------------------------


class PercentCost(CostModelBase):
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
        f = fill_inputs(instrument, side, quantity, price, ts, order_brokerage_so_far)
        return self.charges_on(f.notional)

    def charges_on(self, notional: Decimal) -> ChargeBreakdown:
        """The charges of a fill of ``notional`` (``quantity * price * multiplier``, a finite
        Decimal > 0 the caller has checked): what :meth:`charges` returns for it."""
        fee = mul(notional, self.rate)
        if self.quantum is not None:
            fee = round_half_up(fee, self.quantum)
        return brokerage_only(fee)


class ZeroCost(CostModelBase):
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
        fill_inputs(instrument, side, quantity, price, ts, order_brokerage_so_far)
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
