"""The portfolio (cash, positions, fees, PnL, margin) and its :class:`Account` snapshot.

Cash model
    Every fill settles its full notional in cash: a buy of ``q`` at ``p`` on an instrument with
    multiplier ``m`` and fee ``f`` moves cash by ``-(q * p * m) - f``, a sell by
    ``+(q * p * m) - f``. This holds for futures too, so cash goes negative for leveraged
    longs (read it as "cash net of financed notional") and ``equity = cash + market value``.
    The books then satisfy, exactly in Decimal and for any sequence of fills::

        cash == initial_cash - sum(signed_qty * price * multiplier) - fees_paid
        cash + market_value == initial_cash - fees_paid + realized_pnl + unrealized_pnl

Margin model
    Deliberately simple and stated: the requirement of each open position is
    ``|quantity| * mark * multiplier * rate(kind)`` with a rate per instrument kind
    (:class:`MarginModel`; 1 for every kind unless given, i.e. fully funded).
    ``margin_available = equity - margin_used``. It knows nothing of SPAN, exposure margin,
    hedges or option Greeks; short options in particular are under-margined by it. The risk
    layer should use broker margin calculators for anything real.

Currency
    One currency: instruments must be quoted in the portfolio's base currency (no FX).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from types import MappingProxyType

from tronlab.model._values import (
    EXACT,
    ONE,
    ZERO,
    as_enum,
    aware_utc,
    non_negative,
    positive,
    to_decimal,
)
from tronlab.model.enums import InstrumentKind, Side
from tronlab.model.errors import ValidationError
from tronlab.model.fills import Fill
from tronlab.model.identifiers import InstrumentId
from tronlab.model.instruments import Instrument
from tronlab.model.positions import Position

_mul = EXACT.multiply
_add = EXACT.add
_sub = EXACT.subtract
_BUY = Side.BUY  # a module constant: member lookups on the enum class are slow


@dataclass(frozen=True, slots=True)
class MarginModel:
    """Margin rate per instrument kind, applied to the absolute market value.

    Parameters
    ----------
    rates
        Rate per kind, each >= 0 (e.g. ``{InstrumentKind.FUT: Decimal("0.15")}``).
    default_rate
        Rate for kinds not in ``rates``, >= 0 (default 1: fully funded).
    """

    rates: Mapping[InstrumentKind, Decimal] = field(default_factory=dict)
    default_rate: Decimal = ONE

    def __post_init__(self) -> None:
        checked = {
            as_enum(InstrumentKind, kind, "kind"): non_negative(rate, f"margin rate of {kind}")
            for kind, rate in self.rates.items()
        }
        object.__setattr__(self, "rates", MappingProxyType(checked))
        object.__setattr__(self, "default_rate", non_negative(self.default_rate, "default_rate"))

    def rate(self, kind: InstrumentKind) -> Decimal:
        """The rate for ``kind``."""
        return self.rates.get(kind, self.default_rate)

    def requirement(self, instrument: Instrument, position: Position) -> Decimal:
        """Margin held against ``position``: ``|market value| * rate(kind)``."""
        return _mul(abs(position.market_value), self.rate(instrument.kind))


@dataclass(frozen=True, slots=True, kw_only=True)
class Account:
    """A point-in-time snapshot of a portfolio's money (interfaces.md 7.2 ``Account``).

    Parameters
    ----------
    currency
        Base currency.
    cash
        Cash balance (see the cash model in this module's docstring).
    equity
        ``cash + market value``.
    margin_used
        Requirement of the open positions under the margin model.
    margin_available
        ``equity - margin_used``.
    realized_pnl, unrealized_pnl
        Gross of fees.
    fees_paid
        Total fees.
    as_of
        Snapshot time, tz-aware.
    """

    currency: str
    cash: Decimal
    equity: Decimal
    margin_used: Decimal
    margin_available: Decimal
    realized_pnl: Decimal
    unrealized_pnl: Decimal
    fees_paid: Decimal
    as_of: datetime

    def __post_init__(self) -> None:
        for name in ("cash", "equity", "margin_available", "realized_pnl", "unrealized_pnl"):
            object.__setattr__(self, name, to_decimal(getattr(self, name), name))
        object.__setattr__(self, "margin_used", non_negative(self.margin_used, "margin_used"))
        object.__setattr__(self, "fees_paid", non_negative(self.fees_paid, "fees_paid"))
        object.__setattr__(self, "as_of", aware_utc(self.as_of, "as_of"))


class Portfolio:
    """Cash and net positions of one account in one currency, updated fill by fill.

    Parameters
    ----------
    base_currency
        Currency of cash and of every instrument traded.
    initial_cash
        Starting cash, finite (may be zero).
    margin_model
        How margin is computed (default: fully funded, rate 1 for every kind).
    """

    __slots__ = ("_cash", "_currency", "_fees", "_initial", "_instruments", "_margin", "_positions")

    def __init__(
        self,
        base_currency: str,
        initial_cash: Decimal,
        *,
        margin_model: MarginModel | None = None,
    ) -> None:
        if not isinstance(base_currency, str) or not base_currency:
            raise ValidationError("base_currency must be a currency code", code="BAD_CURRENCY")
        self._currency = base_currency
        self._initial = to_decimal(initial_cash, "initial_cash")
        self._cash = self._initial
        self._fees = ZERO
        self._margin = margin_model or MarginModel()
        self._positions: dict[InstrumentId, Position] = {}
        self._instruments: dict[InstrumentId, Instrument] = {}

    # ----------------------------------------------------------------- state

    @property
    def base_currency(self) -> str:
        """Currency of cash and PnL."""
        return self._currency

    @property
    def initial_cash(self) -> Decimal:
        """Cash at construction."""
        return self._initial

    @property
    def cash(self) -> Decimal:
        """Current cash."""
        return self._cash

    @property
    def fees_paid(self) -> Decimal:
        """Total fees paid."""
        return self._fees

    @property
    def margin_model(self) -> MarginModel:
        """The margin model in use."""
        return self._margin

    @property
    def positions(self) -> Mapping[InstrumentId, Position]:
        """Every position ever traded (flat ones keep their realised PnL), read-only."""
        return MappingProxyType(self._positions)

    def open_positions(self) -> Iterator[Position]:
        """The positions that are not flat."""
        return (p for p in self._positions.values() if not p.is_flat)

    def position(self, instrument_id: InstrumentId) -> Position:
        """The position in ``instrument_id`` (a flat one if never traded)."""
        existing = self._positions.get(instrument_id)
        if existing is not None:
            return existing
        inst = self._instruments.get(instrument_id)
        return Position.flat(instrument_id, inst.multiplier if inst else ONE)

    def quantity(self, instrument_id: InstrumentId) -> Decimal:
        """The signed open quantity in ``instrument_id`` (0 if never traded)."""
        existing = self._positions.get(instrument_id)
        return ZERO if existing is None else existing.quantity

    def instrument(self, instrument_id: InstrumentId) -> Instrument | None:
        """The instrument definition seen with the first fill, if any."""
        return self._instruments.get(instrument_id)

    # ----------------------------------------------------------------- aggregates

    @property
    def realized_pnl(self) -> Decimal:
        """Sum of realised PnL over all positions, gross of fees."""
        return self._sum(p.realized_pnl for p in self._positions.values())

    @property
    def unrealized_pnl(self) -> Decimal:
        """Sum of unrealised PnL at the current marks."""
        return self._sum(p.unrealized_pnl for p in self._positions.values())

    @property
    def market_value(self) -> Decimal:
        """Sum of signed position market values (``quantity * mark * multiplier``)."""
        return self._sum(p.market_value for p in self._positions.values())

    @property
    def equity(self) -> Decimal:
        """``cash + market_value``."""
        return _add(self._cash, self.market_value)

    @property
    def margin_used(self) -> Decimal:
        """Margin held against open positions under :attr:`margin_model`."""
        return self._sum(
            self._margin.requirement(self._instruments[p.instrument_id], p)
            for p in self._positions.values()
        )

    @property
    def margin_available(self) -> Decimal:
        """``equity - margin_used`` (negative means a margin shortfall)."""
        return _sub(self.equity, self.margin_used)

    @staticmethod
    def _sum(values: Iterable[Decimal]) -> Decimal:
        total = ZERO
        for v in values:
            total = _add(total, v)
        return total

    # ----------------------------------------------------------------- changes

    def apply_fill(self, fill: Fill, instrument: Instrument) -> Position:
        """Book ``fill``: move cash by its notional and fee, update the position.

        Parameters
        ----------
        fill
            The execution.
        instrument
            Its instrument (for the multiplier, kind and currency).

        Returns
        -------
        Position
            The updated position.

        Raises
        ------
        ValidationError
            When the fill is for another instrument, the instrument is quoted in another
            currency, or its multiplier differs from the one already booked.
        """
        iid = instrument.id
        if fill.instrument_id is not iid and fill.instrument_id != iid:
            raise ValidationError(
                f"fill {fill.fill_id} is for {fill.instrument_id}, not {instrument.id}",
                code="FILL_MISMATCH",
            )
        if instrument.currency != self._currency:
            raise ValidationError(
                f"{instrument.id} is quoted in {instrument.currency}, the portfolio in "
                f"{self._currency}",
                code="CURRENCY_MISMATCH",
            )
        known = self._instruments.get(iid)
        if (
            known is not None
            and known is not instrument
            and known.multiplier != instrument.multiplier
        ):
            raise ValidationError(
                f"{instrument.id}: multiplier changed from {known.multiplier} to "
                f"{instrument.multiplier} while a position is booked",
                code="MULTIPLIER_MISMATCH",
            )
        current = self._positions.get(iid) or Position.flat(iid, instrument.multiplier)
        updated = current.apply_fill(fill)
        qty = fill.quantity
        signed = qty if fill.side is _BUY else -qty  # fill.signed_quantity
        flow = _mul(_mul(signed, fill.price), instrument.multiplier)
        self._cash = _sub(_sub(self._cash, flow), fill.fee)
        self._fees = _add(self._fees, fill.fee)
        self._instruments[iid] = instrument
        self._positions[iid] = updated
        return updated

    def settle(self, instrument: Instrument, price: Decimal, fee: Decimal = ZERO) -> Decimal:
        """Close the position in ``instrument`` at its settlement ``price`` (>= 0), as at a
        derivative's expiry (cash settlement): cash moves by ``quantity * price *
        multiplier - fee``, the position's PnL is realised (gross of the fee, like fills) and
        ``fee`` (>= 0, e.g. STT on an exercised option) is added to the fees paid. Returns the
        signed quantity that was closed (0 when flat)."""
        position = self._positions.get(instrument.id)
        if position is None or position.quantity == 0:
            return ZERO
        fee = non_negative(fee, "fee")
        closed = position.quantity
        self._positions[instrument.id] = position.settle(price)
        self._cash = _add(
            self._cash, _mul(_mul(closed, non_negative(price, "price")), instrument.multiplier)
        )
        self._cash = _sub(self._cash, fee)
        self._fees = _add(self._fees, fee)
        return closed

    def mark(self, prices: Mapping[InstrumentId, Decimal]) -> None:
        """Mark positions to ``prices`` (> 0). Ids without a position are ignored; positions
        without a price keep their previous mark."""
        checked = {
            # the name is only formatted when the check fails (this runs on every order)
            i: p if type(p) is Decimal and p.is_finite() and p > 0 else positive(p, f"price of {i}")
            for i, p in prices.items()
        }
        for instrument_id, price in checked.items():
            pos = self._positions.get(instrument_id)
            if pos is not None:
                self._positions[instrument_id] = pos.mark(price)

    def snapshot(self, as_of: datetime) -> Account:
        """Freeze the money side of the portfolio at ``as_of``."""
        margin_used = self.margin_used
        equity = self.equity
        return Account(
            currency=self._currency,
            cash=self._cash,
            equity=equity,
            margin_used=margin_used,
            margin_available=_sub(equity, margin_used),
            realized_pnl=self.realized_pnl,
            unrealized_pnl=self.unrealized_pnl,
            fees_paid=self._fees,
            as_of=as_of,
        )
