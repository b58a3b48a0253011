"""The event loop: rejections with reason codes, the strategy wrapper, order calls,
idempotent order ids and the accounting identity."""

from __future__ import annotations

from decimal import Decimal

import pytest
from tests.unit.engine.scripted import Scripted, bars, instrument, order, run

from tronlab.engine.feed import BarSeries, SeriesKey
from tronlab.engine.loop import Engine
from tronlab.execution.costs import PercentCost, ZeroCost
from tronlab.execution.order_manager import MemoryJournal, OrderManager
from tronlab.model import Order, OrderRequest, OrderStatus, OrderType, Side
from tronlab.strategy import Bar, Context, Strategy

FLAT = (100.0, 100.5, 99.5, 100.0)


def _reasons(engine: Engine) -> list[str | None]:
    out = [e.reason for e in engine.refusals]
    out += [o.events[-1].reason for o in engine.orders if o.status is OrderStatus.REJECTED]
    return out


@pytest.mark.parametrize(
    ("script", "reason"),
    [
        ({0: [order("buy", "NOPE", 1)]}, "UNKNOWN_INSTRUMENT"),
        ({0: [order("buy", "TEST", 1, limit=100.01)]}, "TICK"),
        ({0: [order("buy", "TEST", 20_000)]}, "INSUFFICIENT_FUNDS"),
        ({2: [order("buy", "TEST", 1)]}, "MARKET_CLOSED"),  # decided at the 15:30 close
    ],
)
def test_rejections_carry_reason_codes(script, reason) -> None:
    import pandas as pd
    from tests.unit.engine.scripted import SESSION_OPEN

    # the last bar of the session starts 15:29 and closes 15:30: the market is shut then
    start = SESSION_OPEN + pd.Timedelta(minutes=373)
    engine, strat = run([], script, frame=bars([FLAT, FLAT, FLAT], start=start), cash="1000000")
    assert _reasons(engine) == [reason]
    assert engine.fills == []
    # the strategy heard about it as an event, not as an exception
    assert any(e.status is OrderStatus.REJECTED and e.reason == reason for e in strat.events)


def test_lot_size_is_enforced_for_futures() -> None:
    inst = instrument("NIFTYFUT", lot=75)
    engine, _ = run([FLAT, FLAT], {0: [order("buy", "NIFTYFUT", 50)]}, inst=inst)
    assert _reasons(engine) == ["LOT"]
    engine, _ = run([FLAT, FLAT], {0: [order("buy", "NIFTYFUT", 150)]}, inst=inst)
    assert [float(f.quantity) for f in engine.fills] == [150.0]


class Boom(Strategy):
    name = "boom"

    def on_bar(self, ctx: Context, bar: Bar) -> None:
        if bar.index == 1:
            raise RuntimeError("bug in user code")
        if bar.index == 2:
            ctx.buy(bar.symbol, 1, rationale="still alive", confidence=0.5)


def test_strategy_exception_becomes_an_error_event_and_the_run_goes_on() -> None:
    inst = instrument()
    series = BarSeries(SeriesKey("TEST", "1m"), bars([FLAT] * 5), None)
    engine = Engine(Boom(), [series], {"TEST": inst}, ZeroCost())
    engine.run()
    [err] = engine.errors
    assert (err.hook, err.error_type, err.message) == ("on_bar", "RuntimeError", "bug in user code")
    assert len(engine.fills) == 1  # the strategy kept trading after the error


def test_orders_keep_rationale_and_confidence() -> None:
    engine, _ = run(
        [FLAT, FLAT],
        {0: [order("buy", "TEST", 3, rationale="breakout above range", confidence=0.72)]},
    )
    [o] = list(engine.orders)
    assert (o.rationale, o.confidence) == ("breakout above range", 0.72)


def test_bad_confidence_is_refused_at_the_call() -> None:
    engine, _ = run([FLAT, FLAT], {0: [order("buy", "TEST", 3, confidence=1.5)]})
    [err] = engine.errors  # IntentError raised into on_bar, caught by the wrapper
    assert "confidence" in err.message
    assert list(engine.orders) == []


def test_target_position_and_close() -> None:
    engine, _ = run(
        [FLAT] * 6,
        {
            0: [order("target_position", "TEST", 10)],
            1: [order("target_position", "TEST", 10)],  # already there: nothing to do
            2: [order("target_position", "TEST", -5)],  # sell 15: flip to short 5
            3: [order("close", "TEST")],
        },
    )
    sides = [(f.side.value, float(f.quantity)) for f in engine.fills]
    assert sides == [("BUY", 10.0), ("SELL", 15.0), ("BUY", 5.0)]
    assert engine.position_qty("TEST") == 0


def test_cancel_a_resting_order() -> None:
    engine, strat = run(
        [FLAT, FLAT, FLAT, (100.0, 100.5, 90.0, 95.0)],
        {0: [order("buy", "TEST", 1, limit=95.0)]},
    )
    assert len(engine.fills) == 1
    coid = strat.ids[0][0]
    engine2, _ = run(
        [FLAT, FLAT, FLAT, (100.0, 100.5, 90.0, 95.0)],
        {0: [order("buy", "TEST", 1, limit=95.0)], 1: [order("cancel", coid)]},
    )
    assert engine2.fills == []
    [o] = list(engine2.orders)
    assert o.status is OrderStatus.CANCELLED


def test_accounting_identity_with_fees() -> None:
    engine, _ = run(
        [FLAT, (101.0, 102.0, 100.0, 101.0), (103.0, 104.0, 102.0, 103.0), FLAT],
        {0: [order("buy", "TEST", 7)], 1: [order("sell", "TEST", 3)]},
        fees=PercentCost(Decimal("0.001")),
    )
    p = engine.portfolio
    # buy 7 @ 101 (fee 0.707 -> 0.71), sell 3 @ 103 (fee 0.309 -> 0.31)
    assert p.fees_paid == Decimal("1.02")
    assert p.cash == Decimal("1000000") - 707 + 309 - Decimal("1.02")
    engine.check_accounts()  # also ran at the end of the run


def test_order_manager_ids_are_20_chars_unique_and_resubmit_is_idempotent() -> None:
    from datetime import UTC, datetime

    om = OrderManager(MemoryJournal(), seed=1)
    now = datetime(2025, 1, 6, 4, 0, tzinfo=UTC)
    ids = [om.next_id("sma_cross", now) for _ in range(1000)]
    assert len({str(i) for i in ids}) == 1000
    assert all(len(str(i)) == 20 and str(i).isalnum() and str(i).isupper() for i in ids)
    same = OrderManager(MemoryJournal(), seed=1)
    assert [str(same.next_id("sma_cross", now)) for _ in range(3)] == [str(i) for i in ids[:3]]
    req = OrderRequest(
        client_order_id=ids[0],
        instrument=instrument(),
        side=Side.BUY,
        quantity=Decimal(1),
        order_type=OrderType.MARKET,
        created_at=now,
    )
    first, created = om.add(Order(req))
    again, created_again = om.add(Order(req))
    assert created
    assert not created_again
    assert again is first
    assert len(om) == 1


def test_engine_refuses_symbols_without_instruments() -> None:
    series = BarSeries(SeriesKey("TEST", "1m"), bars([FLAT]), None)
    with pytest.raises(ValueError, match="no instrument definition for TEST"):
        Engine(Scripted({}), [series], {}, ZeroCost())


def test_int_parameters_refuse_fractions() -> None:
    from tronlab.strategy import ParamError
    from tronlab.strategy.library.sma_cross import SmaCross

    assert SmaCross(fast="5.0", slow="2e1").params["slow"] == 20
    with pytest.raises(ParamError, match=r"'2\.5' is not int"):
        SmaCross(fast="2.5")
