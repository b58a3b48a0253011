"""Instrument definitions: equities, indices, futures and options, with tick and lot rules."""

from __future__ import annotations

import decimal
import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from tronlab.model._values import (
    DIVISION,
    ONE,
    as_enum,
    is_multiple,
    non_empty_str,
    plain_date,
    positive,
    to_decimal,
)
from tronlab.model.enums import InstrumentKind, OptionRight, TickRounding, Venue
from tronlab.model.errors import InvalidOrder, InvalidOrderCode, ValidationError
from tronlab.model.identifiers import InstrumentId

_CURRENCY_RE = re.compile(r"^[A-Z][A-Z0-9]{2,5}$")
_CASH_SEGMENTS = frozenset({Venue.NSE, Venue.BSE})
_DERIVATIVE_SEGMENTS = frozenset({Venue.NFO, Venue.BFO, Venue.MCX, Venue.CDS})
_ROUNDING = {
    TickRounding.NEAREST: decimal.ROUND_HALF_EVEN,
    TickRounding.DOWN: decimal.ROUND_FLOOR,
    TickRounding.UP: decimal.ROUND_CEILING,
}


@dataclass(frozen=True, slots=True)
class Instrument:
    """A tradable (or, for indices, observable) instrument and its trading rules.

    Use the constructors :meth:`equity`, :meth:`index`, :meth:`future` and :meth:`option`
    rather than calling the class directly.

    Parameters
    ----------
    id
        ``VENUE:SYMBOL`` identity.
    kind
        EQ, INDEX, FUT or OPT.
    currency
        Quote currency, e.g. ``INR`` or ``USD`` (3 to 6 upper-case characters).
    tick_size
        Minimum price increment, > 0. Order prices must be multiples of it.
    lot_size
        Contract lot in units (NFO: 65 for NIFTY); order quantities must be multiples of it.
        1 for instruments without lots.
    qty_step
        Smallest quantity increment, > 0: 1 for whole units, e.g. ``0.0001`` for fractional
        shares or crypto. Quantities must be multiples of it.
    multiplier
        Currency value of one unit of quantity per unit of price, > 0 (MCX: quantity in lots
        and a multiplier such as 100; NFO: quantity in units and multiplier 1).
    underlying
        Root symbol of a derivative, e.g. ``NIFTY``; ``None`` otherwise.
    expiry
        Expiry date of a derivative; ``None`` otherwise.
    strike
        Option strike, > 0; ``None`` otherwise.
    right
        Option right; ``None`` otherwise.
    tradable
        Whether orders may be placed (indices are not tradable).
    freeze_quantity
        Largest quantity, in the same units as order quantities, that the exchange accepts in
        one order (NSE's "quantity freeze"); larger orders must be sliced. A whole number of
        lots. NSE publishes the limit in units and may publish one that is not a lot multiple
        (NIFTY 1,800 with lot 65): store the largest lot multiple not above it (1,755).
        ``None`` when unknown or not applicable. Exchanges revise it, so it is configuration.

    Raises
    ------
    ValidationError
        When a field is invalid or the derivative fields do not match ``kind``: options need
        underlying, expiry, strike and right; futures need underlying and expiry and must not
        have strike or right; equities and indices must have none of them. Derivatives may
        not sit on a cash segment (NSE, BSE), nor equities on a derivatives segment.
    """

    id: InstrumentId
    kind: InstrumentKind
    currency: str
    tick_size: Decimal
    lot_size: int = 1
    qty_step: Decimal = ONE
    multiplier: Decimal = ONE
    underlying: str | None = None
    expiry: date | None = None
    strike: Decimal | None = None
    right: OptionRight | None = None
    tradable: bool = True
    freeze_quantity: int | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.id, InstrumentId):
            raise ValidationError(f"id must be an InstrumentId, got {self.id!r}", code="TYPE")
        object.__setattr__(self, "kind", as_enum(InstrumentKind, self.kind, "kind"))
        if not isinstance(self.currency, str) or not _CURRENCY_RE.match(self.currency):
            raise ValidationError(f"bad currency code {self.currency!r}", code="BAD_CURRENCY")
        object.__setattr__(self, "tick_size", positive(self.tick_size, "tick_size"))
        object.__setattr__(self, "qty_step", positive(self.qty_step, "qty_step"))
        object.__setattr__(self, "multiplier", positive(self.multiplier, "multiplier"))
        if isinstance(self.lot_size, bool) or not isinstance(self.lot_size, int):
            raise ValidationError(f"lot_size must be an int, got {self.lot_size!r}", code="TYPE")
        if self.lot_size < 1:
            raise ValidationError(f"lot_size must be >= 1, got {self.lot_size}", code="BAD_LOT")
        if not isinstance(self.tradable, bool):
            raise ValidationError("tradable must be a bool", code="TYPE")
        self._check_freeze_quantity()
        self._check_derivative_fields()
        self._check_segment()

    def _check_freeze_quantity(self) -> None:
        freeze = self.freeze_quantity
        if freeze is None:
            return
        if isinstance(freeze, bool) or not isinstance(freeze, int):
            raise ValidationError(f"freeze_quantity must be an int, got {freeze!r}", code="TYPE")
        if freeze < 1:
            raise ValidationError(
                f"freeze_quantity must be >= 1, got {freeze}", code="BAD_FREEZE_QUANTITY"
            )
        if freeze % self.lot_size:
            raise ValidationError(
                f"freeze_quantity {freeze} of {self.id} is not a multiple of lot size "
                f"{self.lot_size}",
                code="BAD_FREEZE_QUANTITY",
            )

    def _check_derivative_fields(self) -> None:
        kind = self.kind
        name = str(self.id)
        if self.underlying is not None:
            non_empty_str(self.underlying, "underlying")
        if self.expiry is not None:
            plain_date(self.expiry, "expiry")
        if self.strike is not None:
            object.__setattr__(self, "strike", positive(self.strike, "strike"))
        if self.right is not None:
            object.__setattr__(self, "right", as_enum(OptionRight, self.right, "right"))
        present = {
            "underlying": self.underlying is not None,
            "expiry": self.expiry is not None,
            "strike": self.strike is not None,
            "right": self.right is not None,
        }
        required = {
            InstrumentKind.EQ: set[str](),
            InstrumentKind.INDEX: set[str](),
            InstrumentKind.FUT: {"underlying", "expiry"},
            InstrumentKind.OPT: {"underlying", "expiry", "strike", "right"},
        }[kind]
        missing = sorted(f for f in required if not present[f])
        extra = sorted(f for f, has in present.items() if has and f not in required)
        if missing:
            raise ValidationError(
                f"{kind} instrument {name} needs {', '.join(missing)}", code="BAD_INSTRUMENT"
            )
        if extra:
            raise ValidationError(
                f"{kind} instrument {name} must not have {', '.join(extra)}",
                code="BAD_INSTRUMENT",
            )

    def _check_segment(self) -> None:
        venue = self.id.venue
        if self.kind.is_derivative and venue in _CASH_SEGMENTS:
            raise ValidationError(
                f"{self.kind} instrument {self.id} cannot trade on cash segment {venue}",
                code="BAD_INSTRUMENT",
            )
        if self.kind is InstrumentKind.EQ and venue in _DERIVATIVE_SEGMENTS:
            raise ValidationError(
                f"equity {self.id} cannot trade on derivatives segment {venue}",
                code="BAD_INSTRUMENT",
            )

    # ----------------------------------------------------------------- constructors

    @classmethod
    def equity(
        cls,
        venue: Venue,
        symbol: str,
        *,
        tick_size: Decimal,
        currency: str | None = None,
        lot_size: int = 1,
        qty_step: Decimal = ONE,
    ) -> Instrument:
        """A share, ETF or spot crypto pair. ``currency`` defaults to the venue's."""
        venue = as_enum(Venue, venue, "venue")
        return cls(
            id=InstrumentId(venue, symbol),
            kind=InstrumentKind.EQ,
            currency=currency or venue.default_currency,
            tick_size=tick_size,
            lot_size=lot_size,
            qty_step=qty_step,
        )

    @classmethod
    def index(
        cls, venue: Venue, symbol: str, *, tick_size: Decimal, currency: str | None = None
    ) -> Instrument:
        """A non-tradable index such as ``NSE:NIFTY 50``."""
        venue = as_enum(Venue, venue, "venue")
        return cls(
            id=InstrumentId(venue, symbol),
            kind=InstrumentKind.INDEX,
            currency=currency or venue.default_currency,
            tick_size=tick_size,
            tradable=False,
        )

    @classmethod
    def future(
        cls,
        venue: Venue,
        symbol: str,
        *,
        underlying: str,
        expiry: date,
        tick_size: Decimal,
        lot_size: int = 1,
        multiplier: Decimal = ONE,
        currency: str | None = None,
        freeze_quantity: int | None = None,
    ) -> Instrument:
        """A futures contract."""
        venue = as_enum(Venue, venue, "venue")
        return cls(
            id=InstrumentId(venue, symbol),
            kind=InstrumentKind.FUT,
            currency=currency or venue.default_currency,
            tick_size=tick_size,
            lot_size=lot_size,
            multiplier=multiplier,
            underlying=underlying,
            expiry=expiry,
            freeze_quantity=freeze_quantity,
        )

    @classmethod
    def option(
        cls,
        venue: Venue,
        symbol: str,
        *,
        underlying: str,
        expiry: date,
        strike: Decimal,
        right: OptionRight,
        tick_size: Decimal,
        lot_size: int = 1,
        multiplier: Decimal = ONE,
        currency: str | None = None,
        freeze_quantity: int | None = None,
    ) -> Instrument:
        """An option contract."""
        venue = as_enum(Venue, venue, "venue")
        return cls(
            id=InstrumentId(venue, symbol),
            kind=InstrumentKind.OPT,
            currency=currency or venue.default_currency,
            tick_size=tick_size,
            lot_size=lot_size,
            multiplier=multiplier,
            underlying=underlying,
            expiry=expiry,
            strike=strike,
            right=right,
            freeze_quantity=freeze_quantity,
        )

    # ----------------------------------------------------------------- accessors

    @property
    def venue(self) -> Venue:
        """The venue (exchange segment) of :attr:`id`."""
        return self.id.venue

    @property
    def symbol(self) -> str:
        """The venue symbol of :attr:`id`."""
        return self.id.symbol

    # ----------------------------------------------------------------- price rules

    def round_to_tick(self, price: Decimal, mode: TickRounding = TickRounding.NEAREST) -> Decimal:
        """Round ``price`` onto the tick grid.

        Parameters
        ----------
        price
            Finite price.
        mode
            ``NEAREST`` (ties to the even tick), ``DOWN`` (towards -inf) or ``UP`` (+inf).

        Returns
        -------
        Decimal
            A multiple of :attr:`tick_size`, with the tick's number of decimal places.
        """
        p = to_decimal(price, "price")
        ticks = DIVISION.divide(p, self.tick_size).to_integral_value(
            rounding=_ROUNDING[as_enum(TickRounding, mode, "mode")]
        )
        return DIVISION.quantize(DIVISION.multiply(ticks, self.tick_size), self.tick_size)

    def is_on_tick(self, price: Decimal) -> bool:
        """Whether ``price`` is an exact multiple of :attr:`tick_size`."""
        return is_multiple(to_decimal(price, "price"), self.tick_size)

    def validate_price(self, price: Decimal, name: str = "price") -> Decimal:
        """Return ``price`` if it is finite, positive and on tick.

        Raises
        ------
        InvalidOrder
            Subcode ``PRICE`` (not a finite positive Decimal) or ``TICK`` (off the grid).
        """
        try:
            p = positive(price, name)
        except ValidationError as exc:
            raise InvalidOrder(
                f"{self.id}: {exc.message}", subcode=InvalidOrderCode.PRICE, details={name: price}
            ) from None
        if not self.is_on_tick(p):
            raise InvalidOrder(
                f"{self.id}: {name} {p} is not a multiple of tick size {self.tick_size}",
                subcode=InvalidOrderCode.TICK,
                details={name: p, "tick_size": self.tick_size},
            )
        return p

    def validate_quantity(self, quantity: Decimal) -> Decimal:
        """Return ``quantity`` if it is positive, a multiple of the lot and of the step.

        Raises
        ------
        InvalidOrder
            Subcode ``QTY`` (not a finite positive Decimal, or off the quantity step) or
            ``LOT`` (not a whole number of lots).
        """
        try:
            q = positive(quantity, "quantity")
        except ValidationError as exc:
            raise InvalidOrder(
                f"{self.id}: {exc.message}", subcode=InvalidOrderCode.QTY, details={"qty": quantity}
            ) from None
        if self.lot_size > 1 and not is_multiple(q, Decimal(self.lot_size)):
            raise InvalidOrder(
                f"{self.id}: quantity {q} is not a multiple of lot size {self.lot_size}",
                subcode=InvalidOrderCode.LOT,
                details={"qty": q, "lot_size": self.lot_size},
            )
        if not is_multiple(q, self.qty_step):
            raise InvalidOrder(
                f"{self.id}: quantity {q} is not a multiple of quantity step {self.qty_step}",
                subcode=InvalidOrderCode.QTY,
                details={"qty": q, "qty_step": self.qty_step},
            )
        return q
