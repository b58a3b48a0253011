"""Enumerations of the domain model. All are :class:`enum.StrEnum`, so they serialise as
their string values (JSON, SQL, logs) and compare equal to them."""

from __future__ import annotations

from enum import StrEnum

from tronlab.model.errors import ValidationError


class Venue(StrEnum):
    """Where an instrument trades: a Kite exchange segment, the US market or crypto."""

    NSE = "NSE"
    BSE = "BSE"
    NFO = "NFO"
    BFO = "BFO"
    MCX = "MCX"
    CDS = "CDS"
    US = "US"
    CRYPTO = "CRYPTO"

    @property
    def default_currency(self) -> str:
        """Currency in which the venue quotes prices (INR for Indian segments, else USD)."""
        return "USD" if self in (Venue.US, Venue.CRYPTO) else "INR"


class InstrumentKind(StrEnum):
    """What an instrument is. Spot instruments (shares, ETFs, crypto) are ``EQ``."""

    EQ = "EQ"
    INDEX = "INDEX"
    FUT = "FUT"
    OPT = "OPT"

    @property
    def is_derivative(self) -> bool:
        """Whether the instrument has an expiry and an underlying."""
        return self in (InstrumentKind.FUT, InstrumentKind.OPT)


class OptionRight(StrEnum):
    """Call or put. Values follow interfaces.md 7.2 (``C``/``P``); Kite uses ``CE``/``PE``."""

    CALL = "C"
    PUT = "P"

    @property
    def kite(self) -> str:
        """The Kite instrument-dump code: ``CE`` or ``PE``."""
        return "CE" if self is OptionRight.CALL else "PE"

    @classmethod
    def parse(cls, text: str) -> OptionRight:
        """Read ``C``/``P``, ``CE``/``PE`` or ``CALL``/``PUT`` (any case)."""
        key = text.strip().upper()
        if key in ("C", "CE", "CALL"):
            return cls.CALL
        if key in ("P", "PE", "PUT"):
            return cls.PUT
        raise ValidationError(f"unknown option right {text!r}", code="BAD_ENUM")


class Side(StrEnum):
    """Order or fill direction."""

    BUY = "BUY"
    SELL = "SELL"

    @property
    def sign(self) -> int:
        """``+1`` for BUY, ``-1`` for SELL."""
        return 1 if self is Side.BUY else -1

    @property
    def opposite(self) -> Side:
        """The other side."""
        return Side.SELL if self is Side.BUY else Side.BUY


class OrderType(StrEnum):
    """Order type. Kite maps STOP to ``SL-M`` and STOP_LIMIT to ``SL``."""

    MARKET = "MARKET"
    LIMIT = "LIMIT"
    STOP = "STOP"
    STOP_LIMIT = "STOP_LIMIT"

    @property
    def needs_limit_price(self) -> bool:
        """Whether the type requires (and is the only kind allowing) a limit price."""
        return self in (OrderType.LIMIT, OrderType.STOP_LIMIT)

    @property
    def needs_stop_price(self) -> bool:
        """Whether the type requires (and is the only kind allowing) a stop price."""
        return self in (OrderType.STOP, OrderType.STOP_LIMIT)


class TimeInForce(StrEnum):
    """How long an order stays live."""

    DAY = "DAY"
    IOC = "IOC"
    GTC = "GTC"


class Product(StrEnum):
    """Kite product. Canonical names of interfaces.md 7.2 are accepted by :meth:`parse`:
    INTRADAY = MIS, DELIVERY = CNC, CARRY = NRML. Alpaca orders carry no product (``None``)."""

    MIS = "MIS"
    CNC = "CNC"
    NRML = "NRML"

    @property
    def is_intraday(self) -> bool:
        """Whether positions must be squared off the same day."""
        return self is Product.MIS

    @classmethod
    def parse(cls, text: str) -> Product:
        """Read a Kite code or a canonical name (any case)."""
        key = text.strip().upper()
        aliases = {"INTRADAY": cls.MIS, "DELIVERY": cls.CNC, "CARRY": cls.NRML}
        if key in aliases:
            return aliases[key]
        try:
            return cls(key)
        except ValueError:
            raise ValidationError(f"unknown product {text!r}", code="BAD_ENUM") from None


class OrderStatus(StrEnum):
    """Canonical order status (interfaces.md 7.2). ``UNKNOWN`` is non-terminal: the outcome
    of a request is not known and must be reconciled with the broker."""

    PENDING_SUBMIT = "PENDING_SUBMIT"
    SUBMITTED = "SUBMITTED"
    ACCEPTED = "ACCEPTED"
    WORKING = "WORKING"
    TRIGGER_PENDING = "TRIGGER_PENDING"
    PARTIALLY_FILLED = "PARTIALLY_FILLED"
    PENDING_CANCEL = "PENDING_CANCEL"
    PENDING_REPLACE = "PENDING_REPLACE"
    FILLED = "FILLED"
    CANCELLED = "CANCELLED"
    REJECTED = "REJECTED"
    EXPIRED = "EXPIRED"
    UNKNOWN = "UNKNOWN"

    @property
    def is_terminal(self) -> bool:
        """Whether no further transition is possible (FILLED, CANCELLED, REJECTED, EXPIRED)."""
        return self in _TERMINAL

    @property
    def is_open(self) -> bool:
        """Whether the order may still fill or change (the complement of terminal)."""
        return self not in _TERMINAL


_TERMINAL = frozenset(
    {OrderStatus.FILLED, OrderStatus.CANCELLED, OrderStatus.REJECTED, OrderStatus.EXPIRED}
)


class OrderEventKind(StrEnum):
    """What an :class:`~tronlab.model.events.OrderEvent` reports."""

    STATUS = "STATUS"
    FILL = "FILL"
    REJECT = "REJECT"
    CANCEL = "CANCEL"
    REPLACE = "REPLACE"


class EventSource(StrEnum):
    """Where an order event came from. ``LOCAL`` is the platform itself (e.g. write-ahead,
    paper broker); the others are the broker channels of interfaces.md 7.8."""

    LOCAL = "LOCAL"
    STREAM = "STREAM"
    POSTBACK = "POSTBACK"
    POLL = "POLL"
    RECONCILE = "RECONCILE"


class TickRounding(StrEnum):
    """How :meth:`~tronlab.model.instruments.Instrument.round_to_tick` rounds."""

    NEAREST = "NEAREST"
    DOWN = "DOWN"
    UP = "UP"
