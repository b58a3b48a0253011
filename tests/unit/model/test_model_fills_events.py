"""Fill and event value types."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal as D

import pytest

from tronlab.model import (
    ClientOrderId,
    Event,
    EventSource,
    Fill,
    InstrumentId,
    OrderEvent,
    OrderEventKind,
    OrderStatus,
    Side,
    ValidationError,
    Venue,
)

T0 = datetime(2025, 1, 2, 3, 45, tzinfo=UTC)
IST = timezone(timedelta(hours=5, minutes=30))
COID = ClientOrderId.from_signal("acct", "s", "k")
IID = InstrumentId(Venue.NSE, "INFY")


def make_fill(**kw: object) -> Fill:
    args: dict[str, object] = {
        "fill_id": "T1",
        "client_order_id": COID,
        "instrument_id": IID,
        "side": Side.SELL,
        "quantity": D(7),
        "price": D("1500.35"),
        "ts": T0,
        "fee": D("3.10"),
    }
    args.update(kw)
    return Fill(**args)  # type: ignore[arg-type]


def test_fill_values() -> None:
    f = make_fill(ts=T0.astimezone(IST), side="SELL")
    assert f.side is Side.SELL
    assert f.ts == T0
    assert f.ts.tzinfo is UTC
    assert f.signed_quantity == D(-7)
    assert f.notional == D("10502.45")
    assert make_fill(side=Side.BUY).signed_quantity == D(7)
    assert make_fill(fee=D(0)).fee == 0
    with pytest.raises(dataclasses.FrozenInstanceError):
        f.price = D(1)  # type: ignore[misc]


@pytest.mark.parametrize(
    "kw",
    [
        {"quantity": D(0)},
        {"quantity": D(-7)},
        {"quantity": D("NaN")},
        {"quantity": 7.0},
        {"price": D(0)},
        {"price": D("Infinity")},
        {"fee": D("-0.01")},
        {"fee": D("NaN")},
        {"ts": datetime(2025, 1, 2, 9, 15)},
        {"ts": "2025-01-02T09:15:00Z"},
        {"fill_id": ""},
        {"fill_id": " T1"},
        {"client_order_id": "5THW50Q8ABNGJGP4C3EE"},
        {"instrument_id": "NSE:INFY"},
        {"side": "SHORT"},
        {"broker_order_id": ""},
    ],
)
def test_fill_rejects_bad_values(kw: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        make_fill(**kw)


def test_event_base_normalises_time() -> None:
    e = Event(ts=T0.astimezone(IST))
    assert e.ts == T0
    assert e.ts.tzinfo is UTC
    with pytest.raises(ValidationError):
        Event(ts=datetime(2025, 1, 2))


def make_event(**kw: object) -> OrderEvent:
    args: dict[str, object] = {
        "ts": T0,
        "kind": OrderEventKind.STATUS,
        "client_order_id": COID,
        "status": OrderStatus.WORKING,
        "previous_status": OrderStatus.SUBMITTED,
        "seq": 2,
    }
    args.update(kw)
    return OrderEvent(**args)  # type: ignore[arg-type]


def test_order_event_values() -> None:
    e = make_event(source="STREAM", kind="STATUS")
    assert e.source is EventSource.STREAM
    assert e.kind is OrderEventKind.STATUS
    assert e.fill is None
    assert isinstance(e, Event)
    f = make_event(kind=OrderEventKind.FILL, fill=make_fill(), status="PARTIALLY_FILLED")
    assert f.fill is not None
    assert f.status is OrderStatus.PARTIALLY_FILLED
    assert hash(f) == hash(make_event(kind="FILL", fill=make_fill(), status="PARTIALLY_FILLED"))


@pytest.mark.parametrize(
    "kw",
    [
        {"kind": OrderEventKind.FILL},  # fill missing
        {"fill": make_fill()},  # fill on a STATUS event
        {
            "kind": OrderEventKind.FILL,
            "fill": make_fill(client_order_id=ClientOrderId.from_signal("x", "y", "z")),
        },
        {"seq": 0},
        {"seq": True},
        {"status": "DONE"},
        {"kind": "MODIFY"},
        {"source": "EMAIL"},
        {"client_order_id": "X"},
        {"ts": datetime(2025, 1, 2)},
    ],
)
def test_order_event_rejects_bad_values(kw: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        make_event(**kw)
