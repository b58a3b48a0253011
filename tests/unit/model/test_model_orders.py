"""OrderRequest validation, the order state machine, fills and amendments."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal as D
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tronlab.model import (
    ORDER_TRANSITIONS,
    ClientOrderId,
    EventSource,
    Fill,
    IllegalTransition,
    Instrument,
    InvalidOrder,
    InvalidOrderCode,
    OptionRight,
    Order,
    OrderEventKind,
    OrderRequest,
    OrderStatus,
    OrderType,
    Product,
    Side,
    TimeInForce,
    ValidationError,
    Venue,
    can_transition,
)

S = OrderStatus
T0 = datetime(2025, 1, 2, 3, 45, tzinfo=UTC)
COID = ClientOrderId.from_signal("acct", "orb", "sig-1")
OPT = Instrument.option(
    Venue.NFO,
    "NIFTY25DEC24000CE",
    underlying="NIFTY",
    expiry=date(2025, 12, 30),
    strike=D(24000),
    right=OptionRight.CALL,
    tick_size=D("0.05"),
    lot_size=65,
)
_fill_seq = itertools.count(1)


def request(**kw: object) -> OrderRequest:
    args: dict[str, object] = {
        "client_order_id": COID,
        "instrument": OPT,
        "side": Side.BUY,
        "quantity": D(130),
        "order_type": OrderType.LIMIT,
        "limit_price": D("101.05"),
        "created_at": T0,
        "product": Product.NRML,
        "strategy_id": "orb",
        "rationale": "opening range breakout above 24010",
        "confidence": 0.7,
    }
    args.update(kw)
    return OrderRequest(**args)  # type: ignore[arg-type]


def fill(qty: int | D, price: str = "101.05", **kw: object) -> Fill:
    args: dict[str, object] = {
        "fill_id": f"T{next(_fill_seq)}",
        "client_order_id": COID,
        "instrument_id": OPT.id,
        "side": Side.BUY,
        "quantity": D(qty),
        "price": D(price),
        "ts": T0 + timedelta(seconds=1),
        "fee": D("10.50"),
    }
    args.update(kw)
    return Fill(**args)  # type: ignore[arg-type]


# ---------------------------------------------------------------------- OrderRequest


def test_valid_request_keeps_its_fields() -> None:
    req = request()
    assert req.quantity == D(130)
    assert req.limit_price == D("101.05")
    assert req.stop_price is None
    assert req.tif is TimeInForce.DAY
    assert req.instrument_id == OPT.id
    assert req.rationale.startswith("opening range")
    assert req.confidence == 0.7


@pytest.mark.parametrize(
    ("kw", "subcode"),
    [
        ({"quantity": D(100)}, InvalidOrderCode.LOT),
        ({"quantity": D(-65)}, InvalidOrderCode.QTY),
        ({"quantity": D(0)}, InvalidOrderCode.QTY),
        ({"quantity": D("NaN")}, InvalidOrderCode.QTY),
        ({"limit_price": D("101.03")}, InvalidOrderCode.TICK),
        ({"limit_price": D("NaN")}, InvalidOrderCode.PRICE),
        ({"limit_price": D("-5")}, InvalidOrderCode.PRICE),
        ({"limit_price": None}, InvalidOrderCode.PRICE),
        ({"order_type": OrderType.MARKET}, InvalidOrderCode.PRICE),
        ({"order_type": OrderType.MARKET, "limit_price": None, "stop_price": D(1)}, "PRICE"),
        ({"order_type": OrderType.STOP}, InvalidOrderCode.PRICE),
        ({"order_type": OrderType.STOP, "limit_price": None}, InvalidOrderCode.PRICE),
        ({"order_type": OrderType.STOP_LIMIT}, InvalidOrderCode.PRICE),
        ({"order_type": OrderType.STOP_LIMIT, "stop_price": D("99.99")}, InvalidOrderCode.TICK),
        ({"stop_price": D(100)}, InvalidOrderCode.PRICE),
        ({"product": Product.MIS, "tif": TimeInForce.GTC}, InvalidOrderCode.UNSUPPORTED_TIF),
        (
            {"instrument": Instrument.index(Venue.NSE, "NIFTY 50", tick_size=D("0.05"))},
            InvalidOrderCode.NOT_TRADABLE,
        ),
    ],
)
def test_invalid_requests_raise_invalid_order(kw: dict[str, object], subcode: str) -> None:
    with pytest.raises(InvalidOrder) as exc:
        request(**kw)
    assert exc.value.subcode == subcode


@pytest.mark.parametrize(
    "kw",
    [
        {"created_at": datetime(2025, 1, 2, 9, 15)},
        {"confidence": 1.5},
        {"confidence": -0.1},
        {"confidence": float("nan")},
        {"confidence": True},
        {"side": "HOLD"},
        {"client_order_id": "5THW50Q8ABNGJGP4C3EE"},
        {"signal_id": ""},
        {"rationale": None},
    ],
)
def test_invalid_request_values_raise_validation_error(kw: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        request(**kw)


def test_order_types_with_their_prices() -> None:
    assert request(order_type=OrderType.MARKET, limit_price=None).limit_price is None
    stop = request(order_type=OrderType.STOP, limit_price=None, stop_price=D("99.95"))
    assert stop.stop_price == D("99.95")
    sl = request(order_type=OrderType.STOP_LIMIT, stop_price=D("100.00"))
    assert (sl.stop_price, sl.limit_price) == (D("100.00"), D("101.05"))
    assert request(confidence=None).confidence is None
    assert request(confidence=1).confidence == 1


# ---------------------------------------------------------------------- the state machine

_PARTIAL = D(65)


def order_at(status: OrderStatus, filled: D = D(0)) -> Order:
    if status is S.PENDING_SUBMIT:
        return Order(request())
    return Order.restore(
        request(),
        status=status,
        filled_quantity=filled,
        avg_fill_price=D("101.05") if filled else None,
    )


def _start_fill(status: OrderStatus) -> D:
    return _PARTIAL if status is S.PARTIALLY_FILLED else D(0)


LEGAL = sorted(((a, b) for a, targets in ORDER_TRANSITIONS.items() for b in targets), key=str)
ILLEGAL = sorted(((a, b) for a in S for b in S if b not in ORDER_TRANSITIONS[a]), key=str)


def test_table_covers_every_status_and_terminals_are_dead_ends() -> None:
    assert set(ORDER_TRANSITIONS) == set(S)
    for status in S:
        assert (not ORDER_TRANSITIONS[status]) == status.is_terminal
        assert status not in ORDER_TRANSITIONS[status]
        assert S.PENDING_SUBMIT not in ORDER_TRANSITIONS[status]
    assert len(LEGAL) + len(ILLEGAL) == 13 * 13


@pytest.mark.parametrize(("src", "dst"), LEGAL)
def test_every_legal_transition_is_accepted(src: OrderStatus, dst: OrderStatus) -> None:
    order = order_at(src, _start_fill(src))
    if dst is S.FILLED:
        event = order.apply_fill(fill(order.quantity - order.filled_quantity))
        assert event.kind is OrderEventKind.FILL
    elif dst is S.PARTIALLY_FILLED:
        event = order.apply_fill(fill(_PARTIAL))
        assert event.kind is OrderEventKind.FILL
    else:
        event = order.transition(dst, T0 + timedelta(seconds=2), reason="R", message="m")
        expected_kind = {S.REJECTED: OrderEventKind.REJECT, S.CANCELLED: OrderEventKind.CANCEL}
        assert event.kind is expected_kind.get(dst, OrderEventKind.STATUS)
        assert (event.reason, event.message) == ("R", "m")
    assert order.status is dst
    assert event.previous_status is src
    assert event.status is dst
    assert order.events[-1] == event


# A readable table of transitions that must never happen, with why.
NAMED_ILLEGAL = [
    (S.FILLED, S.WORKING),  # terminal
    (S.FILLED, S.CANCELLED),  # terminal
    (S.CANCELLED, S.FILLED),  # terminal (late fills are reconciled, not applied)
    (S.CANCELLED, S.WORKING),
    (S.REJECTED, S.WORKING),
    (S.REJECTED, S.SUBMITTED),
    (S.EXPIRED, S.CANCELLED),
    (S.EXPIRED, S.UNKNOWN),
    (S.WORKING, S.SUBMITTED),  # backwards
    (S.WORKING, S.ACCEPTED),
    (S.WORKING, S.PENDING_SUBMIT),
    (S.ACCEPTED, S.SUBMITTED),
    (S.TRIGGER_PENDING, S.ACCEPTED),
    (S.PARTIALLY_FILLED, S.WORKING),  # fills cannot be undone
    (S.PARTIALLY_FILLED, S.REJECTED),
    (S.PARTIALLY_FILLED, S.SUBMITTED),
    (S.PENDING_CANCEL, S.SUBMITTED),
    (S.PENDING_CANCEL, S.PENDING_REPLACE),
    (S.PENDING_SUBMIT, S.EXPIRED),
    (S.PENDING_SUBMIT, S.PENDING_CANCEL),
    (S.UNKNOWN, S.PENDING_SUBMIT),
    (S.WORKING, S.WORKING),  # duplicates belong to deduplication
    (S.WORKING, S.REJECTED),
]


@pytest.mark.parametrize(("src", "dst"), NAMED_ILLEGAL)
def test_named_illegal_transitions_are_rejected(src: OrderStatus, dst: OrderStatus) -> None:
    assert not can_transition(src, dst)
    _assert_rejected(src, dst)


@pytest.mark.parametrize(("src", "dst"), ILLEGAL)
def test_every_transition_outside_the_table_is_rejected(src: OrderStatus, dst: OrderStatus) -> None:
    _assert_rejected(src, dst)


def _assert_rejected(src: OrderStatus, dst: OrderStatus) -> None:
    filled = OPT_QTY if src is S.FILLED else _start_fill(src)
    order = order_at(src, filled)
    before = (order.status, order.events, order.filled_quantity, order.updated_at)
    with pytest.raises(IllegalTransition) as exc:
        order.transition(dst, T0 + timedelta(seconds=3))
    assert (exc.value.from_status, exc.value.to_status) == (src.value, dst.value)
    assert (order.status, order.events, order.filled_quantity, order.updated_at) == before


OPT_QTY = D(130)


def test_fills_on_a_terminal_order_are_illegal() -> None:
    for status in (S.CANCELLED, S.REJECTED, S.EXPIRED):
        order = order_at(status)
        with pytest.raises(IllegalTransition):
            order.apply_fill(fill(65))
        assert order.filled_quantity == 0
        assert order.avg_fill_price is None


def test_status_must_agree_with_fills() -> None:
    order = order_at(S.WORKING)
    with pytest.raises(IllegalTransition, match="FILLED needs filled == quantity"):
        order.transition(S.FILLED, T0)
    with pytest.raises(IllegalTransition, match="PARTIALLY_FILLED needs filled > 0"):
        order.transition(S.PARTIALLY_FILLED, T0)
    # A refused cancel on a partly filled order returns to PARTIALLY_FILLED, not WORKING.
    pc = order_at(S.PENDING_CANCEL, D(65))
    with pytest.raises(IllegalTransition, match="nothing filled"):
        pc.transition(S.WORKING, T0)
    assert pc.transition(S.PARTIALLY_FILLED, T0).status is S.PARTIALLY_FILLED
    # Cancelling a partly filled order is fine.
    assert pc.transition(S.CANCELLED, T0).status is S.CANCELLED
    assert pc.remaining_quantity == 0
    assert pc.filled_quantity == D(65)


# ---------------------------------------------------------------------- life of an order


def test_full_lifecycle_with_partial_fills() -> None:
    order = Order(request())
    assert order.status.value == "PENDING_SUBMIT"
    assert order.remaining_quantity == D(130)
    order.transition(S.SUBMITTED, T0, source=EventSource.LOCAL)
    order.bind_broker_order_id("250102000000123")
    order.transition(S.WORKING, T0 + timedelta(seconds=1), source=EventSource.STREAM)
    e1 = order.apply_fill(fill(65, "101.00"), source=EventSource.STREAM)
    assert order.status is S.PARTIALLY_FILLED
    assert (order.filled_quantity, order.remaining_quantity) == (D(65), D(65))
    assert order.avg_fill_price == D("101.00")
    assert e1.fill is not None
    assert e1.fill.price == D("101.00")
    e2 = order.apply_fill(fill(65, "101.10"))
    assert e2.status is S.FILLED
    assert order.status.value == "FILLED"
    assert order.is_terminal
    assert order.avg_fill_price == D("101.05")
    assert order.remaining_quantity == 0
    assert [e.seq for e in order.events] == [1, 2, 3, 4]
    assert [e.kind for e in order.events] == [
        OrderEventKind.STATUS,
        OrderEventKind.STATUS,
        OrderEventKind.FILL,
        OrderEventKind.FILL,
    ]
    assert e2.previous_status is S.PARTIALLY_FILLED
    assert order.updated_at == e2.ts
    assert order.broker_order_id == "250102000000123"


def test_second_partial_fill_keeps_status_and_records_event() -> None:
    order = Order(request(quantity=D(195)))
    order.apply_fill(fill(65))
    event = order.apply_fill(fill(65))
    assert event.previous_status is event.status is S.PARTIALLY_FILLED
    assert order.filled_quantity == D(130)


def test_average_fill_price_with_inexact_division() -> None:
    order = Order(request(quantity=D(195)))
    for price in ("100.05", "100.05", "100.10"):
        order.apply_fill(fill(65, price))
    # (100.05 + 100.05 + 100.10) / 3 = 100.0666..., to 40 significant digits, half-even.
    assert order.avg_fill_price == D("100.0666666666666666666666666666666666667")


def test_overfill_is_rejected_and_leaves_the_order_unchanged() -> None:
    order = Order(request())
    order.apply_fill(fill(65))
    with pytest.raises(ValidationError) as exc:
        order.apply_fill(fill(130))
    assert exc.value.code == "OVERFILL"
    assert order.filled_quantity == D(65)
    assert order.status is S.PARTIALLY_FILLED
    assert len(order.events) == 1


def test_duplicate_and_mismatched_fills_are_rejected() -> None:
    order = Order(request())
    first = fill(65)
    order.apply_fill(first)
    with pytest.raises(ValidationError) as dup:
        order.apply_fill(first)
    assert dup.value.code == "DUPLICATE_FILL"
    other = ClientOrderId.from_signal("acct", "orb", "sig-2")
    for bad in (
        fill(65, side=Side.SELL),
        fill(65, client_order_id=other),
        fill(65, instrument_id=Instrument.equity(Venue.NSE, "X", tick_size=D("0.05")).id),
    ):
        with pytest.raises(ValidationError) as exc:
            order.apply_fill(bad)
        assert exc.value.code == "FILL_MISMATCH"
    assert order.filled_quantity == D(65)


def test_reject_records_reason() -> None:
    order = Order(request())
    order.transition(S.SUBMITTED, T0)
    event = order.transition(
        S.REJECTED, T0, reason="MARGIN", message="Insufficient funds", source=EventSource.POSTBACK
    )
    assert event.kind is OrderEventKind.REJECT
    assert event.source is EventSource.POSTBACK
    assert order.reject_reason == "Insufficient funds"
    assert order.remaining_quantity == 0


def test_transition_rejects_naive_timestamps_without_changing_state() -> None:
    order = Order(request())
    with pytest.raises(ValidationError):
        order.transition(S.SUBMITTED, datetime(2025, 1, 2, 9, 15))
    assert order.status is S.PENDING_SUBMIT
    assert order.events == ()


def test_amend_changes_price_and_quantity() -> None:
    order = Order(request())
    order.transition(S.WORKING, T0)
    order.apply_fill(fill(65))
    event = order.amend(T0 + timedelta(seconds=5), limit_price=D("102.00"), quantity=D(195))
    assert event.kind is OrderEventKind.REPLACE
    assert order.limit_price == D("102.00")
    assert order.quantity == D(195)
    assert order.remaining_quantity == D(130)
    assert order.status is S.PARTIALLY_FILLED
    with pytest.raises(InvalidOrder) as tick:
        order.amend(T0, limit_price=D("102.01"))
    assert tick.value.subcode is InvalidOrderCode.TICK
    with pytest.raises(InvalidOrder) as qty:
        order.amend(T0, quantity=D(65))
    assert qty.value.subcode is InvalidOrderCode.QTY
    assert order.limit_price == D("102.00")
    order.apply_fill(fill(130))
    with pytest.raises(IllegalTransition):
        order.amend(T0, limit_price=D("103.00"))


def test_bind_broker_order_id_is_idempotent_but_not_rebindable() -> None:
    order = Order(request())
    order.bind_broker_order_id("A1")
    order.bind_broker_order_id("A1")
    with pytest.raises(ValidationError):
        order.bind_broker_order_id("B2")


def test_restore_round_trips_and_validates() -> None:
    live = Order(request())
    live.transition(S.WORKING, T0)
    f = fill(65, "101.10")
    live.apply_fill(f)
    back = Order.restore(
        live.request,
        status=live.status,
        filled_quantity=live.filled_quantity,
        avg_fill_price=live.avg_fill_price,
        events=live.events,
    )
    assert back.status is S.PARTIALLY_FILLED
    assert back.updated_at == live.updated_at
    with pytest.raises(ValidationError):
        back.apply_fill(f)  # fill ids survive the restore
    assert back.apply_fill(fill(65, "101.00")).seq == 3
    assert back.avg_fill_price == D("101.05")

    for kw in (
        {"status": S.FILLED, "filled_quantity": D(65), "avg_fill_price": D(1)},
        {"status": S.WORKING, "filled_quantity": D(65), "avg_fill_price": D(1)},
        {"status": S.PARTIALLY_FILLED, "filled_quantity": D(65)},
        {"status": S.WORKING, "avg_fill_price": D(1)},
        {"status": S.CANCELLED, "filled_quantity": D(130), "avg_fill_price": D(1)},
        {"status": S.PENDING_SUBMIT, "filled_quantity": D(65), "avg_fill_price": D(1)},
        {"status": S.WORKING, "filled_quantity": D(195), "avg_fill_price": D(1)},
    ):
        with pytest.raises(ValidationError):
            Order.restore(request(), **kw)  # type: ignore[arg-type]


@given(
    lots=st.integers(1, 40),
    chunks=st.lists(st.tuples(st.integers(1, 10), st.integers(1, 40000)), max_size=30),
)
def test_fills_never_exceed_quantity_and_average_is_exact(
    lots: int, chunks: list[tuple[int, int]]
) -> None:
    order = Order(request(quantity=D(65 * lots)))
    exact_notional, exact_qty = Fraction(0), Fraction(0)
    for n, ticks in chunks:
        qty, price = D(65 * n), D(ticks) * D("0.05")
        if order.filled_quantity + qty > order.quantity:
            with pytest.raises(ValidationError):
                order.apply_fill(fill(qty, str(price)))
            continue
        order.apply_fill(fill(qty, str(price)))
        exact_notional += Fraction(qty) * Fraction(price)
        exact_qty += Fraction(qty)
    assert order.filled_quantity == D(int(exact_qty))
    assert order.filled_quantity <= order.quantity
    if exact_qty:
        assert order.avg_fill_price is not None
        assert abs(Fraction(order.avg_fill_price) - exact_notional / exact_qty) < Fraction(
            1, 10**30
        )
        expected = S.FILLED if order.filled_quantity == order.quantity else S.PARTIALLY_FILLED
        assert order.status is expected
    else:
        assert order.status is S.PENDING_SUBMIT
