"""Instrument master data: :class:`InstrumentRepository` (``instruments``) and the
conversions between :class:`~tronlab.model.Instrument`, its JSON spec and its row."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from tronlab.model import Instrument, InstrumentId, InstrumentKind, OptionRight, Venue
from tronlab.storage.db import Clock, utc_now
from tronlab.storage.models import InstrumentRow
from tronlab.storage.repositories._common import RecordNotFound

_UPSERT_CHUNK = 500


def instrument_spec(instrument: Instrument) -> dict[str, Any]:
    """A JSON-native description of ``instrument`` (the inverse of :func:`instrument_from_spec`)."""
    return {
        "id": str(instrument.id),
        "kind": instrument.kind.value,
        "currency": instrument.currency,
        "tick_size": str(instrument.tick_size),
        "lot_size": instrument.lot_size,
        "qty_step": str(instrument.qty_step),
        "multiplier": str(instrument.multiplier),
        "underlying": instrument.underlying,
        "expiry": instrument.expiry.isoformat() if instrument.expiry else None,
        "strike": None if instrument.strike is None else str(instrument.strike),
        "right": None if instrument.right is None else instrument.right.value,
        "tradable": instrument.tradable,
        "freeze_quantity": instrument.freeze_quantity,
    }


def instrument_from_spec(spec: Mapping[str, Any]) -> Instrument:
    """Rebuild an :class:`Instrument` from :func:`instrument_spec` output.

    Specs written before ``freeze_quantity`` existed lack the key and load with ``None``.
    """
    strike = spec.get("strike")
    right = spec.get("right")
    expiry = spec.get("expiry")
    freeze = spec.get("freeze_quantity")
    return Instrument(
        id=InstrumentId.parse(spec["id"]),
        kind=InstrumentKind(spec["kind"]),
        currency=spec["currency"],
        tick_size=Decimal(spec["tick_size"]),
        lot_size=int(spec["lot_size"]),
        qty_step=Decimal(spec["qty_step"]),
        multiplier=Decimal(spec["multiplier"]),
        underlying=spec.get("underlying"),
        expiry=date.fromisoformat(expiry) if expiry else None,
        strike=None if strike is None else Decimal(strike),
        right=None if right is None else OptionRight(right),
        tradable=bool(spec["tradable"]),
        freeze_quantity=None if freeze is None else int(freeze),
    )


def _instrument_values(instrument: Instrument, *, active: bool, now: datetime) -> dict[str, Any]:
    return {
        "id": str(instrument.id),
        "venue": instrument.venue.value,
        "symbol": instrument.symbol,
        "kind": instrument.kind.value,
        "currency": instrument.currency,
        "tick_size": instrument.tick_size,
        "lot_size": instrument.lot_size,
        "qty_step": instrument.qty_step,
        "multiplier": instrument.multiplier,
        "underlying": instrument.underlying,
        "expiry": instrument.expiry,
        "strike": instrument.strike,
        "option_right": None if instrument.right is None else instrument.right.value,
        "freeze_quantity": instrument.freeze_quantity,
        "tradable": instrument.tradable,
        "active": active,
        "updated_at": now,
    }


def instrument_from_row(row: InstrumentRow) -> Instrument:
    """The domain :class:`Instrument` of a row."""
    return Instrument(
        id=InstrumentId(Venue(row.venue), row.symbol),
        kind=InstrumentKind(row.kind),
        currency=row.currency,
        tick_size=row.tick_size,
        lot_size=row.lot_size,
        qty_step=row.qty_step,
        multiplier=row.multiplier,
        underlying=row.underlying,
        expiry=row.expiry,
        strike=row.strike,
        right=None if row.option_right is None else OptionRight(row.option_right),
        tradable=row.tradable,
        freeze_quantity=row.freeze_quantity,
    )


class InstrumentRepository:
    """Instrument master data (``instruments``)."""

    def __init__(self, session: Session, clock: Clock = utc_now) -> None:
        self.session = session
        self._clock = clock

    def upsert(self, instruments: Instrument | Iterable[Instrument], *, active: bool = True) -> int:
        """Insert or update instruments by id; return how many were written.

        Uses ``INSERT ... ON CONFLICT DO UPDATE`` (SQLite and PostgreSQL), in chunks, so a
        full broker instrument dump loads in a few statements.
        """
        items = [instruments] if isinstance(instruments, Instrument) else list(instruments)
        if not items:
            return 0
        now = self._clock()
        by_id = {str(i.id): _instrument_values(i, active=active, now=now) for i in items}
        values = list(by_id.values())
        dialect = self.session.get_bind().dialect.name
        if dialect not in ("sqlite", "postgresql"):
            for v in values:
                self.session.merge(InstrumentRow(**v))
            self.session.flush()
            return len(values)
        insert = sqlite.insert if dialect == "sqlite" else postgresql.insert
        for start in range(0, len(values), _UPSERT_CHUNK):
            stmt = insert(InstrumentRow).values(values[start : start + _UPSERT_CHUNK])
            stmt = stmt.on_conflict_do_update(
                index_elements=["id"],
                set_={c: stmt.excluded[c] for c in values[0] if c != "id"},
            )
            self.session.execute(stmt)
        # Rows already in the identity map would otherwise keep their old values.
        for obj in list(self.session.identity_map.values()):
            if isinstance(obj, InstrumentRow) and obj.id in by_id:
                self.session.expire(obj)
        return len(values)

    def ensure(self, instrument: Instrument) -> None:
        """Insert ``instrument`` if its id is unknown (an existing row is left as it is)."""
        if self.session.get(InstrumentRow, str(instrument.id)) is None:
            now = self._clock()
            self.session.add(InstrumentRow(**_instrument_values(instrument, active=True, now=now)))
            self.session.flush()

    def get(self, instrument_id: InstrumentId | str) -> Instrument | None:
        """The instrument with this id, or ``None``."""
        row = self.session.get(InstrumentRow, str(instrument_id))
        return None if row is None else instrument_from_row(row)

    def require(self, instrument_id: InstrumentId | str) -> Instrument:
        """Like :meth:`get`, but raise :class:`RecordNotFound` when missing."""
        found = self.get(instrument_id)
        if found is None:
            raise RecordNotFound(f"instrument {instrument_id} not found")
        return found

    def list(
        self,
        *,
        venue: Venue | str | None = None,
        kind: InstrumentKind | str | None = None,
        underlying: str | None = None,
        expiry: date | None = None,
        active_only: bool = True,
    ) -> list[Instrument]:
        """Instruments matching every given filter, ordered by id."""
        stmt = select(InstrumentRow).order_by(InstrumentRow.id)
        if venue is not None:
            stmt = stmt.where(InstrumentRow.venue == Venue(venue).value)
        if kind is not None:
            stmt = stmt.where(InstrumentRow.kind == InstrumentKind(kind).value)
        if underlying is not None:
            stmt = stmt.where(InstrumentRow.underlying == underlying)
        if expiry is not None:
            stmt = stmt.where(InstrumentRow.expiry == expiry)
        if active_only:
            stmt = stmt.where(InstrumentRow.active.is_(True))
        return [instrument_from_row(r) for r in self.session.scalars(stmt)]

    def set_active(self, instrument_id: InstrumentId | str, active: bool) -> None:
        """Mark an instrument listed (``True``) or delisted/expired (``False``)."""
        row = self.session.get(InstrumentRow, str(instrument_id))
        if row is None:
            raise RecordNotFound(f"instrument {instrument_id} not found")
        row.active = active
        row.updated_at = self._clock()
