"""Market data values: :class:`Bar` (OHLCV) and :class:`Quote` (top of book)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from tronlab.model._values import (
    DIVISION,
    aware_utc,
    non_negative,
    optional_positive,
    positive,
)
from tronlab.model.errors import ValidationError
from tronlab.model.identifiers import InstrumentId


@dataclass(frozen=True, slots=True)
class Bar:
    """One OHLCV bar.

    Prices are not checked against the tick grid: adjusted histories and vendor data are
    often off tick, and a bar is an observation, not an instruction.

    Parameters
    ----------
    instrument_id
        Instrument the bar belongs to.
    start
        Bar start time, tz-aware (stored in UTC).
    timeframe_s
        Bar length in seconds, > 0.
    open, high, low, close
        Finite prices, > 0, with ``low <= open, close <= high``.
    volume
        Traded quantity, >= 0 (indices carry 0).

    Raises
    ------
    ValidationError
        On NaN/inf, non-positive prices, negative volume, a naive ``start`` or inconsistent
        OHLC.
    """

    instrument_id: InstrumentId
    start: datetime
    timeframe_s: int
    open: Decimal
    high: Decimal
    low: Decimal
    close: Decimal
    volume: Decimal

    def __post_init__(self) -> None:
        if not isinstance(self.instrument_id, InstrumentId):
            raise ValidationError("instrument_id must be an InstrumentId", code="TYPE")
        object.__setattr__(self, "start", aware_utc(self.start, "start"))
        tf = self.timeframe_s
        if isinstance(tf, bool) or not isinstance(tf, int) or tf <= 0:
            raise ValidationError(f"timeframe_s must be a positive int, got {tf!r}")
        for name in ("open", "high", "low", "close"):
            object.__setattr__(self, name, positive(getattr(self, name), name))
        object.__setattr__(self, "volume", non_negative(self.volume, "volume"))
        if not (self.low <= self.open <= self.high and self.low <= self.close <= self.high):
            raise ValidationError(
                f"inconsistent OHLC for {self.instrument_id} at {self.start.isoformat()}: "
                f"o={self.open} h={self.high} l={self.low} c={self.close}",
                code="BAD_OHLC",
            )

    @property
    def end(self) -> datetime:
        """Bar end time (exclusive): ``start + timeframe``."""
        return self.start + timedelta(seconds=self.timeframe_s)

    @property
    def range(self) -> Decimal:
        """``high - low``."""
        return DIVISION.subtract(self.high, self.low)


@dataclass(frozen=True, slots=True)
class Quote:
    """Top of book at one instant.

    Parameters
    ----------
    instrument_id
        Instrument quoted.
    ts
        Quote time, tz-aware (stored in UTC).
    bid, ask
        Best bid and ask, > 0, or ``None`` when that side is empty; ``bid <= ask``.
    bid_size, ask_size
        Quantities at the best prices, >= 0.
    last
        Last traded price, > 0, or ``None``.

    Raises
    ------
    ValidationError
        On NaN/inf, non-positive prices, negative sizes, a crossed book or a naive ``ts``.
    """

    instrument_id: InstrumentId
    ts: datetime
    bid: Decimal | None
    ask: Decimal | None
    bid_size: Decimal = Decimal(0)
    ask_size: Decimal = Decimal(0)
    last: Decimal | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.instrument_id, InstrumentId):
            raise ValidationError("instrument_id must be an InstrumentId", code="TYPE")
        object.__setattr__(self, "ts", aware_utc(self.ts, "ts"))
        for name in ("bid", "ask", "last"):
            object.__setattr__(self, name, optional_positive(getattr(self, name), name))
        for name in ("bid_size", "ask_size"):
            object.__setattr__(self, name, non_negative(getattr(self, name), name))
        if self.bid is not None and self.ask is not None and self.bid > self.ask:
            raise ValidationError(
                f"crossed quote for {self.instrument_id}: bid {self.bid} > ask {self.ask}",
                code="CROSSED_QUOTE",
            )

    @property
    def mid(self) -> Decimal | None:
        """``(bid + ask) / 2``, or ``None`` when a side is empty."""
        if self.bid is None or self.ask is None:
            return None
        return DIVISION.divide(DIVISION.add(self.bid, self.ask), 2)

    @property
    def spread(self) -> Decimal | None:
        """``ask - bid``, or ``None`` when a side is empty."""
        if self.bid is None or self.ask is None:
            return None
        return DIVISION.subtract(self.ask, self.bid)
