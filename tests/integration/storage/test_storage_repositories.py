"""Repository round trips on SQLite and PostgreSQL: domain objects in, equal objects out."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import text, update
from sqlalchemy.exc import IntegrityError

from tronlab.model import (
    ClientOrderId,
    EventSource,
    Fill,
    Instrument,
    InstrumentId,
    OptionRight,
    Order,
    OrderRequest,
    OrderStatus,
    OrderType,
    Position,
    Product,
    Side,
    TimeInForce,
    ValidationError,
    Venue,
)
from tronlab.storage import Database
from tronlab.storage.models import AuditLogRow, OrderRow
from tronlab.storage.repositories import GENESIS_HASH, RecordNotFound

IST = datetime.fromisoformat("2025-01-06T09:15:00+05:30").tzinfo
T0 = datetime(2025, 1, 6, 9, 15, 0, 123456, tzinfo=IST)

RELIANCE = Instrument.equity(Venue.NSE, "RELIANCE", tick_size=Decimal("0.05"))
AAPL = Instrument.equity(Venue.US, "AAPL", tick_size=Decimal("0.01"), qty_step=Decimal("0.000001"))
NIFTY_CE = Instrument.option(
    Venue.NFO,
    "NIFTY25JAN24000CE",
    underlying="NIFTY",
    expiry=date(2025, 1, 30),
    strike=Decimal("24000"),
    right=OptionRight.CALL,
    tick_size=Decimal("0.05"),
    lot_size=75,
)


def order_state(order: Order) -> dict[str, Any]:
    """Everything observable about an order."""
    return {
        "request": order.request,
        "status": order.status,
        "filled_quantity": order.filled_quantity,
        "avg_fill_price": order.avg_fill_price,
        "remaining_quantity": order.remaining_quantity,
        "reject_reason": order.reject_reason,
        "broker_order_id": order.broker_order_id,
        "updated_at": order.updated_at,
        "events": order.events,
    }


def make_order(
    key: str = "sig-1", instrument: Instrument = RELIANCE, qty: str = "10", **kw: Any
) -> Order:
    defaults: dict[str, Any] = {
        "side": Side.BUY,
        "order_type": OrderType.LIMIT,
        "limit_price": Decimal("2501.35"),
        "product": Product.MIS,
        "strategy_id": "orb",
        "rationale": "opening range breakout, volume 2.1x",
        "confidence": 0.73,
    }
    defaults.update(kw)
    return Order(
        OrderRequest(
            client_order_id=ClientOrderId.from_signal("acct", "orb", key),
            instrument=instrument,
            quantity=Decimal(qty),
            created_at=T0,
            **defaults,
        )
    )


def fill(order: Order, fill_id: str, qty: str, price: str, minutes: int, fee: str) -> Fill:
    return Fill(
        fill_id=fill_id,
        client_order_id=order.client_order_id,
        instrument_id=order.instrument_id,
        side=order.side,
        quantity=Decimal(qty),
        price=Decimal(price),
        ts=T0 + timedelta(minutes=minutes),
        fee=Decimal(fee),
        broker_order_id="250106000123",
    )


# --------------------------------------------------------------------------- instruments


def test_instrument_upsert_get_list(db: Database) -> None:
    with db.unit_of_work() as uow:
        assert uow.instruments.upsert([RELIANCE, AAPL, NIFTY_CE]) == 3
    with db.unit_of_work() as uow:
        assert uow.instruments.get(RELIANCE.id) == RELIANCE
        assert uow.instruments.get("NFO:NIFTY25JAN24000CE") == NIFTY_CE
        assert uow.instruments.get("NSE:NOPE") is None
        assert [i.id for i in uow.instruments.list(venue=Venue.NFO)] == [NIFTY_CE.id]
        assert uow.instruments.list(underlying="NIFTY", expiry=date(2025, 1, 30)) == [NIFTY_CE]
        # Lot size revision: an upsert overwrites.
        revised = Instrument.option(
            Venue.NFO,
            "NIFTY25JAN24000CE",
            underlying="NIFTY",
            expiry=date(2025, 1, 30),
            strike=Decimal("24000"),
            right=OptionRight.CALL,
            tick_size=Decimal("0.05"),
            lot_size=65,
        )
        uow.instruments.upsert(revised)
        assert uow.instruments.require(NIFTY_CE.id).lot_size == 65
        uow.instruments.set_active(AAPL.id, False)
        assert AAPL.id not in {i.id for i in uow.instruments.list()}
        assert AAPL in uow.instruments.list(active_only=False)
        with pytest.raises(RecordNotFound):
            uow.instruments.require("NSE:NOPE")


# --------------------------------------------------------------------------- orders


def test_order_with_events_and_fills_round_trips(db: Database) -> None:
    order = make_order()
    with db.unit_of_work() as uow:
        run = uow.runs.create("paper", "orb", {"lookback": 15})
        uow.orders.save(order, run_id=run.id)  # write-ahead: PENDING_SUBMIT, no events
    with db.unit_of_work() as uow:
        loaded = uow.orders.require(order.client_order_id)
        assert order_state(loaded) == order_state(order)

    order.transition(OrderStatus.SUBMITTED, T0 + timedelta(seconds=1))
    order.bind_broker_order_id("250106000123")
    order.transition(OrderStatus.WORKING, T0 + timedelta(seconds=2), source=EventSource.STREAM)
    order.apply_fill(fill(order, "T1", "3", "2501.35", 1, "1.23456789"))
    order.apply_fill(fill(order, "T2", "4", "2500.05", 2, "0.5"))
    with db.unit_of_work() as uow:
        uow.orders.save(order)
        uow.orders.save(order)  # idempotent
    order.apply_fill(fill(order, "T3", "3", "2499.95", 3, "0"))
    with db.unit_of_work() as uow:
        uow.orders.save(order, run_id=run.id)

    with db.unit_of_work() as uow:
        loaded = uow.orders.require(order.client_order_id)
        assert order_state(loaded) == order_state(order)
        assert loaded.status is OrderStatus.FILLED
        assert [e.seq for e in loaded.events] == [1, 2, 3, 4, 5]
        assert loaded.events[-1].fill == order.events[-1].fill
        assert uow.orders.run_id_of(order.client_order_id) == run.id
        assert [f.fill_id for f in uow.orders.fills(run_id=run.id)] == ["T1", "T2", "T3"]
        assert uow.session.scalar(text("SELECT count(*) FROM order_events")) == 5
        assert uow.session.scalar(text("SELECT count(*) FROM fills")) == 3
        # The restored order keeps refusing a replayed fill.
        with pytest.raises(ValidationError, match=r"already applied|overfills"):
            loaded.apply_fill(order.events[-1].fill)  # type: ignore[arg-type]


def test_decimals_are_exact_and_timestamps_tz_aware(db: Database) -> None:
    order = make_order(
        "sig-aapl",
        instrument=AAPL,
        qty="0.123457",
        limit_price=Decimal("187.10"),
        product=None,
        tif=TimeInForce.GTC,
        confidence=None,
    )
    order.transition(OrderStatus.WORKING, T0 + timedelta(seconds=1))
    order.apply_fill(fill(order, "E1", "0.1", "187.0999", 1, "0.0000001"))
    order.apply_fill(fill(order, "E2", "0.000001", "187.03", 2, "0"))
    assert order.avg_fill_price is not None
    assert len(order.avg_fill_price.as_tuple().digits) > 30  # a 40-digit ratio
    with db.unit_of_work() as uow:
        uow.orders.save(order)
    with db.unit_of_work() as uow:
        loaded = uow.orders.require(order.client_order_id)
    assert order_state(loaded) == order_state(order)
    # Exact digits, not merely equal values.
    assert str(loaded.avg_fill_price) == str(order.avg_fill_price)
    assert str(loaded.limit_price) == "187.10"
    assert str(loaded.quantity) == "0.123457"
    fills = [e.fill for e in loaded.events if e.fill is not None]
    assert [str(f.fee) for f in fills] == ["1E-7", "0"]
    for ts in (loaded.created_at, loaded.updated_at, *(e.ts for e in loaded.events)):
        assert ts.tzinfo is UTC
    assert loaded.created_at == T0
    assert loaded.created_at.microsecond == 123456


def test_rejected_and_amended_orders_round_trip(db: Database) -> None:
    rejected = make_order("sig-rej", instrument=NIFTY_CE, qty="150", product=Product.NRML)
    rejected.transition(OrderStatus.SUBMITTED, T0 + timedelta(seconds=1))
    rejected.transition(
        OrderStatus.REJECTED,
        T0 + timedelta(seconds=2),
        reason="MARGIN",
        message="Insufficient funds. Required margin is 95417.84",
        source=EventSource.POSTBACK,
    )
    amended = make_order("sig-amend")
    amended.transition(OrderStatus.WORKING, T0 + timedelta(seconds=1))
    amended.amend(T0 + timedelta(seconds=5), quantity=Decimal(20), limit_price=Decimal("2490"))
    with db.unit_of_work() as uow:
        uow.orders.save(rejected)
        uow.orders.save(amended)
    # A later lot-size revision must not stop old orders from loading.
    with db.unit_of_work() as uow:
        uow.instruments.upsert(
            Instrument.option(
                Venue.NFO,
                "NIFTY25JAN24000CE",
                underlying="NIFTY",
                expiry=date(2025, 1, 30),
                strike=Decimal("24000"),
                right=OptionRight.CALL,
                tick_size=Decimal("0.05"),
                lot_size=65,
            )
        )
    with db.unit_of_work() as uow:
        assert order_state(uow.orders.require(rejected.client_order_id)) == order_state(rejected)
        assert order_state(uow.orders.require(amended.client_order_id)) == order_state(amended)
        assert uow.orders.require(rejected.client_order_id).reject_reason == (
            "Insufficient funds. Required margin is 95417.84"
        )


def test_list_orders_by_run_and_status(db: Database) -> None:
    a, b, c = make_order("a"), make_order("b"), make_order("c")
    b.transition(OrderStatus.WORKING, T0 + timedelta(seconds=1))
    c.transition(OrderStatus.CANCELLED, T0 + timedelta(seconds=1))
    with db.unit_of_work() as uow:
        r1 = uow.runs.create("backtest", "orb", {})
        r2 = uow.runs.create("backtest", "orb", {})
        uow.orders.save(a, run_id=r1.id)
        uow.orders.save(b, run_id=r1.id)
        uow.orders.save(c, run_id=r2.id)
    with db.unit_of_work() as uow:
        ids = {o.client_order_id for o in uow.orders.list(run_id=r1.id)}
        assert ids == {a.client_order_id, b.client_order_id}
        assert [o.client_order_id for o in uow.orders.list(status="WORKING")] == [b.client_order_id]
        assert {o.client_order_id for o in uow.orders.list(open_only=True)} == ids
        terminal = uow.orders.list(status=[OrderStatus.CANCELLED, OrderStatus.FILLED])
        assert [o.client_order_id for o in terminal] == [c.client_order_id]
        assert len(uow.orders.list(instrument_id=RELIANCE.id, limit=2)) == 2
        assert uow.orders.get("0000000000000000000Z") is None
        with pytest.raises(ValueError, match="belongs to run"):
            uow.orders.save(a, run_id=r2.id)
        stale = uow.orders.require(b.client_order_id)
        b.transition(OrderStatus.CANCELLED, T0 + timedelta(seconds=2))
        uow.orders.save(b)
        with pytest.raises(ValueError, match="stale"):
            uow.orders.save(stale)


def test_unit_of_work_rolls_back_on_error(db: Database) -> None:
    order = make_order()

    def save_then_fail() -> None:
        with db.unit_of_work() as uow:
            uow.orders.save(order)
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        save_then_fail()
    with db.unit_of_work() as uow:
        assert uow.orders.get(order.client_order_id) is None
        assert uow.instruments.get(RELIANCE.id) is None


# --------------------------------------------------------------------------- runs, risk, plans


def test_runs_create_finish_list_count(db: Database) -> None:
    with db.unit_of_work() as uow:
        run = uow.runs.create(
            "backtest",
            "orb",
            {"risk": Decimal("0.005"), "symbols": ("RELIANCE",)},
            started_at=T0,
        )
        assert run.status == "running"
        assert run.config == {"risk": "0.005", "symbols": ["RELIANCE"]}
        uow.runs.create("backtest", "vwap", {}, run_id="vwap-1")
        uow.runs.create("live", "orb", {})
    with db.unit_of_work() as uow:
        done = uow.runs.finish(run.id, metrics={"sharpe": 1.25, "pnl": Decimal("1234.50")})
        assert done.status == "completed"
        assert done.ended_at is not None
        assert done.ended_at.tzinfo is UTC
        with pytest.raises(ValueError, match="already finished"):
            uow.runs.finish(run.id)
        with pytest.raises(RecordNotFound):
            uow.runs.finish("nope")
        with pytest.raises(ValueError, match="run kind"):
            uow.runs.create("sim", "orb", {})
    with db.unit_of_work() as uow:
        got = uow.runs.get(run.id)
        assert got == done
        assert got is not None
        assert got.metrics == {"sharpe": 1.25, "pnl": "1234.50"}
        assert got.started_at == T0
        assert uow.runs.count(kind="backtest") == 2
        assert uow.runs.count(strategy="orb") == 2
        assert uow.runs.count(kind="backtest", status="completed") == 1
        assert [r.kind for r in uow.runs.list(strategy="orb")] == ["live", "backtest"]
        assert uow.runs.get("nope") is None


def test_risk_events(db: Database) -> None:
    order = make_order()
    with db.unit_of_work() as uow:
        run = uow.runs.create("paper", "orb", {})
        uow.risk_events.record(
            rule="max_position",
            decision="resize",
            reason_code="POSITION_LIMIT",
            message="resized 20 -> 10",
            run_id=run.id,
            client_order_id=order.client_order_id,
            payload={"requested": Decimal(20), "allowed": Decimal(10)},
            ts=T0,
        )
        uow.risk_events.record(
            rule="daily_loss",
            decision="DENY",
            reason_code="DAILY_LOSS",
            message="daily loss limit reached",
            run_id=run.id,
            ts=T0 + timedelta(minutes=1),
        )
        with pytest.raises(ValueError, match="decision"):
            uow.risk_events.record(rule="x", decision="maybe", reason_code="X")
    with db.unit_of_work() as uow:
        events = uow.risk_events.list(run_id=run.id)
        assert [e.decision for e in events] == ["resize", "deny"]
        assert events[0].payload == {"requested": "20", "allowed": "10"}
        assert events[0].client_order_id == str(order.client_order_id)
        assert events[0].ts == T0
        assert [e.rule for e in uow.risk_events.list(decision="deny")] == ["daily_loss"]
        assert uow.risk_events.list(since=T0 + timedelta(seconds=1))[0].rule == "daily_loss"


def test_daily_plans_one_per_key_and_latest(db: Database) -> None:
    day = date(2025, 1, 6)
    with db.unit_of_work() as uow:
        uow.daily_plans.save(day, "NSE", {"regime": "trend", "max_trades": 3}, created_at=T0)
        uow.daily_plans.save(day, "NSE", {"regime": "range"}, created_at=T0 + timedelta(minutes=30))
        uow.daily_plans.save(day, "US", {"regime": "trend"}, created_at=T0)
        uow.daily_plans.save(day, "NSE", {"regime": "x"}, symbol="NIFTY", created_at=T0)
    with db.unit_of_work() as uow:
        latest = uow.daily_plans.latest(day, "NSE")
        assert latest is not None
        assert latest.plan == {"regime": "range"}  # the same key saved again replaced it
        assert uow.daily_plans.get(day, "NSE", symbol="NIFTY").plan == {"regime": "x"}
        assert uow.daily_plans.latest(date(2025, 1, 7), "NSE") is None
        assert len(uow.daily_plans.list(exchange="NSE")) == 2
        assert len(uow.daily_plans.list(since=day, until=day)) == 3


def test_position_snapshots_round_trip(db: Database) -> None:
    pos = Position(
        instrument_id=RELIANCE.id,
        quantity=Decimal(7),
        cost_basis=Decimal("17509.45"),
        realized_pnl=Decimal("-12.5"),
        fees=Decimal("1.73456789"),
        last_price=Decimal("2510.15"),
    )
    flat = Position.flat(NIFTY_CE.id)
    with db.unit_of_work() as uow:
        uow.instruments.upsert([RELIANCE, NIFTY_CE])
        run = uow.runs.create("backtest", "orb", {})
        assert uow.positions.record(run.id, T0, [pos, flat]) == 2
        uow.positions.record(run.id, T0 + timedelta(minutes=5), [pos.mark(Decimal("2490"))])
    with db.unit_of_work() as uow:
        at_t0 = uow.positions.at(run.id, T0 + timedelta(minutes=1))
        assert at_t0 == {RELIANCE.id: pos, NIFTY_CE.id: flat}
        latest = uow.positions.at(run.id)
        assert latest == {RELIANCE.id: pos.mark(Decimal("2490"))}
        assert uow.positions.at(run.id, T0 - timedelta(days=1)) == {}


# --------------------------------------------------------------------------- audit log


def test_audit_chain_verifies_and_detects_tampering(db: Database) -> None:
    with db.unit_of_work() as uow:
        first = uow.audit.append("alice", "config.change", "risk", "max_loss", {"to": "5000"})
        assert first.seq == 1
        assert first.prev_hash == GENESIS_HASH
        uow.audit.append("engine", "order.submit", "order", "ABC", {"qty": Decimal("10.5")})
        third = uow.audit.append("engine", "run.start", "run", "r1", None, ts=T0)
        assert third.prev_hash != first.hash
    with db.unit_of_work() as uow:
        result = uow.audit.verify()
        assert result.ok
        assert result.checked == 3
        assert result.head_hash == third.hash
        assert uow.audit.verify(expected_head=third.hash).ok
        assert [e.seq for e in uow.audit.entries(entity="order")] == [2]
        head = uow.audit.head()
        assert head is not None
        assert head.hash == third.hash

    with db.unit_of_work() as uow:  # someone edits history behind our back
        uow.session.execute(
            update(AuditLogRow).where(AuditLogRow.seq == 2).values(payload={"qty": "1000"})
        )
    with db.unit_of_work() as uow:
        result = uow.audit.verify()
        assert not result.ok
        assert result.first_bad_seq == 2
        assert result.checked == 1
        assert "altered" in (result.problem or "")


def test_audit_chain_detects_deleted_and_truncated_rows(db: Database) -> None:
    with db.unit_of_work() as uow:
        for i in range(4):
            uow.audit.append("engine", "tick", "run", str(i))
        head = uow.audit.head()
        assert head is not None
    with db.unit_of_work() as uow:
        uow.session.execute(text("DELETE FROM audit_log WHERE seq = 4"))
    with db.unit_of_work() as uow:
        assert uow.audit.verify().ok  # a truncated chain is still a chain...
        truncated = uow.audit.verify(expected_head=head.hash)
        assert not truncated.ok  # ...unless its head is anchored elsewhere
        uow.session.execute(text("DELETE FROM audit_log WHERE seq = 2"))
        gap = uow.audit.verify()
        assert not gap.ok
        assert gap.first_bad_seq == 3


def test_audit_chain_cannot_fork(db: Database) -> None:
    with db.unit_of_work() as uow:
        first = uow.audit.append("engine", "start", "run", "r1")
    fork = AuditLogRow(
        seq=2,
        ts=T0,
        actor="mallory",
        action="fork",
        entity="run",
        prev_hash=GENESIS_HASH,  # reuses the first entry's link
        hash=first.hash[::-1],
    )

    def add_fork() -> None:
        with db.unit_of_work() as uow:
            uow.session.add(fork)

    with pytest.raises(IntegrityError):
        add_fork()


def test_order_rows_store_the_instrument_spec(db: Database) -> None:
    order = make_order("spec", instrument=NIFTY_CE, qty="75", product=Product.NRML)
    with db.unit_of_work() as uow:
        uow.orders.save(order)
    with db.unit_of_work() as uow:
        row = uow.session.get(OrderRow, str(order.client_order_id))
        assert row is not None
        assert row.instrument_spec["lot_size"] == 75
        assert row.instrument_spec["strike"] == "24000"
        assert InstrumentId.parse(row.instrument_id) == NIFTY_CE.id


def test_instrument_freeze_quantity_round_trips(db: Database) -> None:
    import dataclasses

    frozen = dataclasses.replace(NIFTY_CE, freeze_quantity=NIFTY_CE.lot_size * 24)
    with db.unit_of_work() as uow:
        uow.instruments.upsert([frozen])
    with db.unit_of_work() as uow:
        got = uow.instruments.get(frozen.id)
        assert got == frozen
        assert got is not None
        assert got.freeze_quantity == NIFTY_CE.lot_size * 24
