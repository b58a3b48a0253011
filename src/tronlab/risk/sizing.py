"""Position sizing: how many units to trade, from a price, the account equity and a rule.

Pure functions and small frozen dataclasses; no I/O, no state. Every sizer has the same
method::

    size(*, instrument, price, equity, atr=None, stop=None) -> Decimal

and returns a quantity in *units* of ``instrument`` (shares, contracts' underlying units, coins)
that is

* a whole multiple of the instrument's lot unit ``instrument.lot_size * instrument.qty_step``,
* rounded **down** (a sizer never spends more than its budget),
* never negative: ``0`` when not even one lot fits the budget, when the equity is zero or
  negative, or when the rule itself says "no trade" (a Kelly fraction <= 0).

The currency value of ``qty`` units at ``price`` is ``qty * price * instrument.multiplier``
(the *notional*). Sizers ignore the inputs they do not need (``FixedQuantity`` uses no
equity, only ``VolatilityTarget`` reads ``atr``, only ``FixedRisk`` reads ``stop``) and raise
:class:`ValueError` with a clear message when an input they need is missing, is not a finite
``Decimal`` (or ``int``) or is not positive. ``price`` is always required and must be > 0.

The arithmetic is exact: the quantity is ``floor(budget / (unit_cost * lot_unit)) * lot_unit``
computed with integer division on exact products, so rounding can never push the notional of
the result above the budget.

Sizers (formulas in each class's docstring):

=====================  ============================================  ==========================
class                  units before rounding down to lots            spec for the CLI
=====================  ============================================  ==========================
``FixedQuantity``      ``quantity``                                  ``fixed:100``
``FixedNotional``      ``notional / (price * mult)``                 ``notional:50000``
``PercentOfEquity``    ``equity * pct/100 / (price * mult)``         ``equity_pct:10``
``VolatilityTarget``   ``equity * risk_pct/100 / (atr * k * mult)``  ``vol_target:1:2``
``FixedRisk``          ``risk / (|price - stop| * mult)``            ``risk:500``, ``risk_pct:1``
``KellyFraction``      ``equity * f / (price * mult)``               ``kelly:0.55:1.5:0.5:0.25``
=====================  ============================================  ==========================

:func:`sizer_from_spec` builds a sizer from such a spec; :func:`round_to_lot` and
:func:`cap_quantity` are the shared helpers.
"""

from __future__ import annotations

import decimal
from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol, runtime_checkable

from tronlab.model import Instrument

__all__ = [
    "SPEC_FORMS",
    "FixedNotional",
    "FixedQuantity",
    "FixedRisk",
    "KellyFraction",
    "PercentOfEquity",
    "Sizer",
    "VolatilityTarget",
    "cap_quantity",
    "lot_unit",
    "round_to_lot",
    "sizer_from_spec",
]

_ZERO = Decimal(0)
_ONE = Decimal(1)
_HUNDRED = Decimal(100)

#: Exact arithmetic: products of a handful of realistic Decimals fit 120 digits; anything that
#: would need rounding (or an integer quotient too long to hold) fails loudly instead.
_EXACT = decimal.Context(
    prec=120,
    rounding=decimal.ROUND_FLOOR,
    traps=[decimal.InvalidOperation, decimal.DivisionByZero, decimal.Overflow, decimal.Inexact],
)
#: For the derived, informational ratios (e.g. :attr:`KellyFraction.fraction_of_equity`).
_DIVISION = decimal.Context(
    prec=40,
    rounding=decimal.ROUND_FLOOR,
    traps=[decimal.InvalidOperation, decimal.DivisionByZero, decimal.Overflow],
)

#: The spec forms :func:`sizer_from_spec` accepts, for help texts and error messages.
SPEC_FORMS: tuple[str, ...] = (
    "fixed:QTY",
    "notional:AMOUNT",
    "equity_pct:PCT",
    "vol_target:RISK_PCT[:ATR_MULTIPLE]",
    "risk:AMOUNT",
    "risk_pct:PCT",
    "kelly:WIN_RATE:WIN_LOSS_RATIO[:FRACTION[:CAP]]",
)


# --------------------------------------------------------------------------- value checks


def _decimal(value: object, name: str) -> Decimal:
    """``value`` as a finite Decimal; ``int`` is accepted, ``float``/``bool``/others refused."""
    if isinstance(value, bool):
        raise ValueError(f"{name} must be a Decimal, got bool {value!r}")
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        raise ValueError(f"{name} must be a Decimal, got float {value!r}; use Decimal(str(x))")
    if not isinstance(value, Decimal):
        raise ValueError(f"{name} must be a Decimal, got {type(value).__name__} {value!r}")
    if not value.is_finite():
        raise ValueError(f"{name} must be finite, got {value}")
    return value


def _param(value: object, name: str) -> Decimal:
    """A constructor parameter as a finite Decimal.

    Besides ``Decimal`` and ``int``, accepts a ``float`` (converted through its shortest repr,
    so ``0.55`` becomes ``Decimal("0.55")``) and a numeric ``str``: these are ratios and
    percentages typed by people, not booked money.
    """
    if isinstance(value, float):
        value = Decimal(repr(value))
    elif isinstance(value, str):
        try:
            value = Decimal(value.strip())
        except decimal.InvalidOperation:
            raise ValueError(f"{name} must be a number, got {value!r}") from None
    return _decimal(value, name)


def _positive(value: object, name: str) -> Decimal:
    d = _decimal(value, name)
    if d <= 0:
        raise ValueError(f"{name} must be > 0, got {d}")
    return d


def _positive_param(value: object, name: str) -> Decimal:
    d = _param(value, name)
    if d <= 0:
        raise ValueError(f"{name} must be > 0, got {d}")
    return d


def _unit_interval_param(value: object, name: str) -> Decimal:
    """A parameter in (0, 1]."""
    d = _param(value, name)
    if not 0 < d <= 1:
        raise ValueError(f"{name} must be in (0, 1], got {d}")
    return d


def _pct_param(value: object, name: str) -> Decimal:
    """A percentage in (0, 100]."""
    d = _param(value, name)
    if not 0 < d <= _HUNDRED:
        raise ValueError(f"{name} must be a percentage in (0, 100], got {d}")
    return d


def _set(obj: object, name: str, value: Decimal) -> None:
    object.__setattr__(obj, name, value)


def _plain(d: Decimal) -> str:
    """``d`` without exponent notation or trailing zeros, for specs: 1E+2 -> '100'."""
    s = format(d.normalize(), "f")
    return "0" if s in ("-0", "") else s


# --------------------------------------------------------------------------- helpers


def lot_unit(instrument: Instrument) -> Decimal:
    """The smallest tradable quantity of ``instrument``: ``lot_size * qty_step`` units."""
    return _EXACT.multiply(Decimal(instrument.lot_size), instrument.qty_step)


def _floor_lots(budget: Decimal, unit_cost: Decimal, instrument: Instrument) -> Decimal:
    """``floor(budget / (unit_cost * lot_unit)) * lot_unit``, exactly; 0 for budget <= 0."""
    unit = lot_unit(instrument)
    if budget <= 0:
        return _ZERO
    try:
        lots = _EXACT.divide_int(budget, _EXACT.multiply(unit_cost, unit))
        return _EXACT.multiply(lots, unit)
    except (decimal.InvalidOperation, decimal.Inexact, decimal.Overflow):
        raise ValueError(
            f"cannot size {instrument.id}: budget {budget} over unit cost {unit_cost} "
            "is out of the exact-arithmetic range"
        ) from None


def round_to_lot(qty: Decimal, instrument: Instrument) -> Decimal:
    """Round ``qty`` (units) **down** to a whole number of lot units; negatives become 0.

    ``round_to_lot(q) = floor(q / u) * u`` with ``u = lot_size * qty_step``.

    Raises
    ------
    ValueError
        When ``qty`` is not a finite ``Decimal`` or ``int``.
    """
    return _floor_lots(_decimal(qty, "qty"), _ONE, instrument)


def cap_quantity(
    qty: Decimal,
    *,
    max_qty: Decimal | None = None,
    max_notional: Decimal | None = None,
    price: Decimal,
    instrument: Instrument,
) -> Decimal:
    """``qty`` limited to ``max_qty`` units and to ``max_notional`` of notional, in lots.

    ``result = round_to_lot(min(qty, max_qty, max_notional / (price * multiplier)))``; each
    limit applies only when given. The result is never negative and never larger than
    ``round_to_lot(qty)``.

    Raises
    ------
    ValueError
        When ``price`` is not > 0, a limit is negative or a value is not a finite Decimal.
    """
    q = round_to_lot(qty, instrument)
    p = _positive(price, "price")
    if max_qty is not None:
        m = _decimal(max_qty, "max_qty")
        if m < 0:
            raise ValueError(f"max_qty must be >= 0, got {m}")
        q = min(q, round_to_lot(m, instrument))
    if max_notional is not None:
        n = _decimal(max_notional, "max_notional")
        if n < 0:
            raise ValueError(f"max_notional must be >= 0, got {n}")
        q = min(q, _floor_lots(n, _EXACT.multiply(p, instrument.multiplier), instrument))
    return q


@runtime_checkable
class Sizer(Protocol):
    """Anything with the sizers' ``size`` method (see the module docstring)."""

    def size(
        self,
        *,
        instrument: Instrument,
        price: Decimal,
        equity: Decimal,
        atr: Decimal | None = None,
        stop: Decimal | None = None,
    ) -> Decimal: ...


def _unit_notional(instrument: Instrument, price: Decimal) -> Decimal:
    """Validated ``price * multiplier``: the notional of one unit."""
    return _EXACT.multiply(_positive(price, "price"), instrument.multiplier)


def _pct_of(equity: Decimal, pct: Decimal) -> Decimal:
    """``equity * pct / 100`` exactly (``/ 100`` only moves the exponent)."""
    return _EXACT.divide(_EXACT.multiply(_decimal(equity, "equity"), pct), _HUNDRED)


# --------------------------------------------------------------------------- sizers


@dataclass(frozen=True, slots=True)
class FixedQuantity:
    """Always the same quantity: ``qty = round_to_lot(quantity)``.

    ``quantity`` is in units (> 0). Equity, ATR and stop are ignored; ``price`` must still
    be > 0.
    """

    quantity: Decimal

    def __post_init__(self) -> None:
        _set(self, "quantity", _positive_param(self.quantity, "quantity"))

    @property
    def spec(self) -> str:
        """The :func:`sizer_from_spec` form of this sizer."""
        return f"fixed:{_plain(self.quantity)}"

    def size(
        self,
        *,
        instrument: Instrument,
        price: Decimal,
        equity: Decimal,
        atr: Decimal | None = None,
        stop: Decimal | None = None,
    ) -> Decimal:
        """``round_to_lot(quantity)``."""
        _positive(price, "price")
        return round_to_lot(self.quantity, instrument)


@dataclass(frozen=True, slots=True)
class FixedNotional:
    """A fixed currency amount per position: ``qty = notional / (price * multiplier)``.

    Rounded down to lots, so the result's notional ``qty * price * multiplier`` never exceeds
    ``notional`` (> 0). Equity, ATR and stop are ignored.
    """

    notional: Decimal

    def __post_init__(self) -> None:
        _set(self, "notional", _positive_param(self.notional, "notional"))

    @property
    def spec(self) -> str:
        """The :func:`sizer_from_spec` form of this sizer."""
        return f"notional:{_plain(self.notional)}"

    def size(
        self,
        *,
        instrument: Instrument,
        price: Decimal,
        equity: Decimal,
        atr: Decimal | None = None,
        stop: Decimal | None = None,
    ) -> Decimal:
        """``floor_to_lots(notional / (price * multiplier))``."""
        return _floor_lots(self.notional, _unit_notional(instrument, price), instrument)


@dataclass(frozen=True, slots=True)
class PercentOfEquity:
    """A share of the equity per position: ``qty = equity * pct/100 / (price * multiplier)``.

    ``pct`` is in (0, 100]. Rounded down to lots; 0 when the equity is <= 0.
    """

    pct: Decimal

    def __post_init__(self) -> None:
        _set(self, "pct", _pct_param(self.pct, "pct"))

    @property
    def spec(self) -> str:
        """The :func:`sizer_from_spec` form of this sizer."""
        return f"equity_pct:{_plain(self.pct)}"

    def size(
        self,
        *,
        instrument: Instrument,
        price: Decimal,
        equity: Decimal,
        atr: Decimal | None = None,
        stop: Decimal | None = None,
    ) -> Decimal:
        """``floor_to_lots(equity * pct/100 / (price * multiplier))``."""
        unit_notional = _unit_notional(instrument, price)
        return _floor_lots(_pct_of(equity, self.pct), unit_notional, instrument)


@dataclass(frozen=True, slots=True)
class VolatilityTarget:
    """Risk a fixed share of equity per ATR-sized move.

    Solves ``atr * atr_multiple * qty * multiplier == equity * risk_pct/100`` for ``qty``::

        qty = equity * risk_pct/100 / (atr * atr_multiple * multiplier)

    i.e. a move of ``atr_multiple`` ATRs against the position loses ``risk_pct`` % of the
    equity. ``risk_pct`` is in (0, 100], ``atr_multiple`` > 0 (default 1). ``atr`` (in price
    units, > 0) must be passed to :meth:`size`; ``price`` must be > 0 but does not enter the
    formula. Rounded down to lots; 0 when the equity is <= 0.
    """

    risk_pct: Decimal
    atr_multiple: Decimal = _ONE

    def __post_init__(self) -> None:
        _set(self, "risk_pct", _pct_param(self.risk_pct, "risk_pct"))
        _set(self, "atr_multiple", _positive_param(self.atr_multiple, "atr_multiple"))

    @property
    def spec(self) -> str:
        """The :func:`sizer_from_spec` form of this sizer."""
        return f"vol_target:{_plain(self.risk_pct)}:{_plain(self.atr_multiple)}"

    def size(
        self,
        *,
        instrument: Instrument,
        price: Decimal,
        equity: Decimal,
        atr: Decimal | None = None,
        stop: Decimal | None = None,
    ) -> Decimal:
        """``floor_to_lots(equity * risk_pct/100 / (atr * atr_multiple * multiplier))``."""
        _positive(price, "price")
        if atr is None:
            raise ValueError("VolatilityTarget needs atr (the average true range, > 0)")
        a = _positive(atr, "atr")
        unit_risk = _EXACT.multiply(_EXACT.multiply(a, self.atr_multiple), instrument.multiplier)
        return _floor_lots(_pct_of(equity, self.risk_pct), unit_risk, instrument)


@dataclass(frozen=True, slots=True)
class FixedRisk:
    """Lose a fixed amount if the stop is hit: ``qty = risk / (|price - stop| * multiplier)``.

    Exactly one of ``risk_amount`` (currency, > 0) or ``risk_pct`` (in (0, 100]; then
    ``risk = equity * risk_pct/100``) is given. ``price`` is the entry price and ``stop`` the
    stop price passed to :meth:`size` (both > 0, and different; the side does not matter, only
    the distance). Rounded down to lots, so the loss at the stop never exceeds ``risk``
    (before slippage and costs); 0 when ``risk_pct`` is used and the equity is <= 0.
    """

    risk_amount: Decimal | None = None
    risk_pct: Decimal | None = None

    def __post_init__(self) -> None:
        if (self.risk_amount is None) == (self.risk_pct is None):
            raise ValueError(
                "FixedRisk needs exactly one of risk_amount (currency) or risk_pct (% of equity)"
            )
        if self.risk_amount is not None:
            _set(self, "risk_amount", _positive_param(self.risk_amount, "risk_amount"))
        if self.risk_pct is not None:
            _set(self, "risk_pct", _pct_param(self.risk_pct, "risk_pct"))

    @property
    def spec(self) -> str:
        """The :func:`sizer_from_spec` form of this sizer."""
        if self.risk_amount is not None:
            return f"risk:{_plain(self.risk_amount)}"
        return f"risk_pct:{_plain(self._pct())}"

    def _pct(self) -> Decimal:
        if self.risk_pct is None:  # unreachable: __post_init__ demands one of the two
            raise ValueError("FixedRisk has neither risk_amount nor risk_pct")
        return self.risk_pct

    def size(
        self,
        *,
        instrument: Instrument,
        price: Decimal,
        equity: Decimal,
        atr: Decimal | None = None,
        stop: Decimal | None = None,
    ) -> Decimal:
        """``floor_to_lots(risk / (|price - stop| * multiplier))``."""
        entry = _positive(price, "price")
        if stop is None:
            raise ValueError("FixedRisk needs stop (the stop price, > 0)")
        s = _positive(stop, "stop")
        distance = abs(_EXACT.subtract(entry, s))
        if distance == 0:
            raise ValueError(f"stop {s} equals the entry price {entry}: the risk per unit is 0")
        risk = self.risk_amount if self.risk_amount is not None else _pct_of(equity, self._pct())
        unit_risk = _EXACT.multiply(distance, instrument.multiplier)
        return _floor_lots(risk, unit_risk, instrument)


@dataclass(frozen=True, slots=True)
class KellyFraction:
    """Fractional Kelly: stake a share ``f`` of the equity.

    With win rate ``p`` (``win_rate``, in (0, 1]) and win/loss ratio ``b`` (``win_loss_ratio``,
    the average win over the average loss, > 0)::

        f* = p - (1 - p) / b                            (full Kelly)
        f  = max(0, min(fraction * f*, cap))
        qty = equity * f / (price * multiplier)

    ``fraction`` (in (0, 1], default 0.5: half Kelly) damps the estimate error of ``p`` and
    ``b``; ``cap`` (in (0, 1], default 0.25) bounds the share of equity. A non-positive edge
    (``f* <= 0``) sizes 0. Rounded down to lots; 0 when the equity is <= 0.
    """

    win_rate: Decimal
    win_loss_ratio: Decimal
    fraction: Decimal = Decimal("0.5")
    cap: Decimal = Decimal("0.25")

    def __post_init__(self) -> None:
        _set(self, "win_rate", _unit_interval_param(self.win_rate, "win_rate"))
        _set(self, "win_loss_ratio", _positive_param(self.win_loss_ratio, "win_loss_ratio"))
        _set(self, "fraction", _unit_interval_param(self.fraction, "fraction"))
        _set(self, "cap", _unit_interval_param(self.cap, "cap"))

    @property
    def spec(self) -> str:
        """The :func:`sizer_from_spec` form of this sizer."""
        parts = (self.win_rate, self.win_loss_ratio, self.fraction, self.cap)
        return "kelly:" + ":".join(_plain(p) for p in parts)

    def _edge(self) -> Decimal:
        """``b * f* = p * (b + 1) - 1``, exact."""
        p, b = self.win_rate, self.win_loss_ratio
        return _EXACT.subtract(_EXACT.multiply(p, _EXACT.add(b, _ONE)), _ONE)

    @property
    def full_kelly(self) -> Decimal:
        """``f* = p - (1 - p) / b`` (may be negative), to 40 digits, rounded down."""
        return _DIVISION.divide(self._edge(), self.win_loss_ratio)

    @property
    def fraction_of_equity(self) -> Decimal:
        """``f = max(0, min(fraction * f*, cap))``, to 40 digits, rounded down."""
        f = _DIVISION.multiply(self.fraction, self.full_kelly)
        return max(_ZERO, min(f, self.cap))

    def size(
        self,
        *,
        instrument: Instrument,
        price: Decimal,
        equity: Decimal,
        atr: Decimal | None = None,
        stop: Decimal | None = None,
    ) -> Decimal:
        """``floor_to_lots(equity * f / (price * multiplier))``."""
        unit_notional = _unit_notional(instrument, price)
        eq = _decimal(equity, "equity")
        b = self.win_loss_ratio
        # fraction * f* = fraction * edge / b; compare with cap without dividing (exact).
        damped = _EXACT.multiply(self.fraction, self._edge())
        if damped <= 0:
            return _ZERO
        if damped >= _EXACT.multiply(self.cap, b):
            return _floor_lots(_EXACT.multiply(eq, self.cap), unit_notional, instrument)
        budget = _EXACT.multiply(eq, damped)
        return _floor_lots(budget, _EXACT.multiply(unit_notional, b), instrument)


# --------------------------------------------------------------------------- specs


def _spec_error(spec: str, why: str) -> ValueError:
    forms = ", ".join(SPEC_FORMS)
    return ValueError(f"bad sizer spec {spec!r}: {why}; valid forms: {forms}")


def sizer_from_spec(
    spec: str,
) -> FixedQuantity | FixedNotional | PercentOfEquity | VolatilityTarget | FixedRisk | KellyFraction:
    """Build a sizer from a CLI-friendly spec ``NAME:ARG[:ARG...]``.

    =============================================  ===========================================
    spec                                           sizer
    =============================================  ===========================================
    ``fixed:100``                                  ``FixedQuantity(100)``
    ``notional:50000``                             ``FixedNotional(50000)``
    ``equity_pct:10``                              ``PercentOfEquity(10)``
    ``vol_target:1:2`` (``vol_target:1``)          ``VolatilityTarget(1, 2)`` (multiple 1)
    ``risk:500``                                   ``FixedRisk(risk_amount=500)``
    ``risk_pct:1``                                 ``FixedRisk(risk_pct=1)``
    ``kelly:0.55:1.5[:0.5[:0.25]]``                ``KellyFraction(0.55, 1.5, 0.5, 0.25)``
    =============================================  ===========================================

    Names are case-insensitive and surrounding whitespace is ignored. Numbers are parsed as
    exact Decimals. Each sizer's ``spec`` property gives back an equivalent spec.

    Raises
    ------
    ValueError
        For an unknown name, a wrong number of arguments, a non-number or an argument the
        sizer refuses; the message lists the valid forms.
    """
    if not isinstance(spec, str):
        raise _spec_error(repr(spec), f"a spec must be a str, got {type(spec).__name__}")
    name, *raw = (part.strip() for part in spec.strip().split(":"))
    name = name.lower()
    arity = {
        "fixed": (1, 1),
        "notional": (1, 1),
        "equity_pct": (1, 1),
        "vol_target": (1, 2),
        "risk": (1, 1),
        "risk_pct": (1, 1),
        "kelly": (2, 4),
    }
    if name not in arity:
        raise _spec_error(spec, f"unknown sizer {name!r}")
    lo, hi = arity[name]
    if not lo <= len(raw) <= hi:
        want = str(lo) if lo == hi else f"{lo} to {hi}"
        raise _spec_error(spec, f"{name} takes {want} argument(s), got {len(raw)}")
    args: list[Decimal] = []
    for text in raw:
        try:
            value = Decimal(text)
        except decimal.InvalidOperation:
            raise _spec_error(spec, f"{text!r} is not a number") from None
        if not value.is_finite():
            raise _spec_error(spec, f"{text!r} is not a finite number")
        args.append(value)
    try:
        if name == "fixed":
            return FixedQuantity(args[0])
        if name == "notional":
            return FixedNotional(args[0])
        if name == "equity_pct":
            return PercentOfEquity(args[0])
        if name == "vol_target":
            return VolatilityTarget(*args)
        if name == "risk":
            return FixedRisk(risk_amount=args[0])
        if name == "risk_pct":
            return FixedRisk(risk_pct=args[0])
        return KellyFraction(*args)
    except ValueError as exc:
        raise _spec_error(spec, str(exc)) from None
