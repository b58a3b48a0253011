"""Instrument mappers: a strategy decides on its *signal* symbol (NIFTY, a stock); a mapper
chooses what is actually traded for that decision (the symbol itself, its future, an option).

Strategies reason in the signal symbol's prices (stops, targets and time exits are watched on
its bars) and ask the mapper to open and close the traded leg(s):

.. code-block:: python

    leg = self.mapper.open(ctx, "NIFTY", +1, units=self.quantity,
                           rationale="close above the opening range", confidence=0.7)
    ...
    self.mapper.close(ctx, leg, rationale="target hit", confidence=0.8)

The simplest mapper, :class:`UnderlyingMapper`, trades the signal symbol. Mappers to the
index future and to options live beside it (see :func:`make_mapper`).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol

from tronlab.strategy.base import Context


@dataclass(frozen=True)
class Leg:
    """What a mapper opened for one decision: the traded symbol and its signed quantity."""

    signal_symbol: str
    symbol: str
    quantity: Decimal  # signed: > 0 long, < 0 short
    client_order_id: str | None = None


class InstrumentMapper(Protocol):
    """Turns a directional decision on a signal symbol into orders on a traded instrument."""

    name: str

    def open(
        self,
        ctx: Context,
        signal_symbol: str,
        direction: int,
        *,
        units: Decimal,
        rationale: str,
        confidence: float,
    ) -> Leg | None:
        """Open a position for ``direction`` (+1 long, -1 short) on ``signal_symbol``.

        ``units`` is the size the strategy would trade on the signal symbol itself; a mapper
        to derivatives converts it (lots from capital and risk). ``None`` when nothing could
        be traded (no suitable contract, zero size)."""
        ...

    def close(self, ctx: Context, leg: Leg, *, rationale: str, confidence: float) -> str | None:
        """Flatten what ``leg`` opened; the client order id, or ``None`` when already flat."""
        ...


class UnderlyingMapper:
    """Trade the signal symbol itself: buy ``units`` for a long, sell them for a short."""

    name = "underlying"

    def open(
        self,
        ctx: Context,
        signal_symbol: str,
        direction: int,
        *,
        units: Decimal,
        rationale: str,
        confidence: float,
    ) -> Leg | None:
        if direction not in (1, -1):
            raise ValueError(f"direction must be +1 or -1, got {direction}")
        if units <= 0:
            return None
        sym = signal_symbol.upper()
        order = ctx.buy if direction > 0 else ctx.sell
        coid = order(sym, units, rationale=rationale, confidence=confidence)
        return Leg(sym, sym, units * direction, coid)

    def close(self, ctx: Context, leg: Leg, *, rationale: str, confidence: float) -> str | None:
        return ctx.close(leg.symbol, rationale=rationale, confidence=confidence)


def make_mapper(name: str) -> InstrumentMapper:
    """The mapper called ``name``: ``underlying`` (more are added by the F&O mappers)."""
    mappers: dict[str, type] = {"underlying": UnderlyingMapper}
    try:
        return mappers[name]()  # type: ignore[no-any-return]
    except KeyError:
        raise ValueError(
            f"unknown instrument mapper {name!r} (choose from {', '.join(sorted(mappers))})"
        ) from None
