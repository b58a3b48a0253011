"""Scenario tables: hand-made bars, scripted orders, the expected fills (freqtrade style)."""

from __future__ import annotations

import pytest
from tests.unit.engine.scripted import fills_table, order, run

from tronlab.execution.fill_model import FillConfig, FixedBps, FixedTicks, VolumeImpact, path
from tronlab.model import OrderStatus

# bar rows: (open, high, low, close[, volume])
FLAT = (100.0, 100.5, 99.5, 100.0)


def test_path_rule_nearer_extreme_first() -> None:
    # high is nearer the open than the low: open -> high -> low -> close
    assert path(100, 101, 97, 99) == (100, 101, 97, 99)
    # low nearer (or equally near): open -> low -> high -> close
    assert path(100, 103, 99, 102) == (100, 99, 103, 102)
    assert path(100, 101, 99, 100) == (100, 99, 101, 100)


SCENARIOS = [
    # name, bars, script (bar -> orders), fill config, expected fills (side, qty, price)
    (
        "market buy fills at the next bar's open",
        [FLAT, (101.0, 102.0, 100.5, 101.5), FLAT],
        {0: [order("buy", "TEST", 10)]},
        FillConfig(),
        [("B", 10, 101.0)],
    ),
    (
        "market buy with market_fill=close fills at the signal bar's close",
        [(100.0, 100.5, 99.5, 100.25), (101.0, 102.0, 100.5, 101.5)],
        {0: [order("buy", "TEST", 10)]},
        FillConfig(market_fill="close"),
        [("B", 10, 100.25)],
    ),
    (
        "limit buy below the market fills at the limit when traded through",
        [FLAT, (100.0, 100.5, 98.0, 99.0), FLAT],
        {0: [order("buy", "TEST", 5, limit=99.0)]},
        FillConfig(),
        [("B", 5, 99.0)],
    ),
    (
        "limit buy only touched does not fill with limit_fill=through",
        [FLAT, (100.0, 100.5, 99.0, 99.5), FLAT],
        {0: [order("buy", "TEST", 5, limit=99.0)]},
        FillConfig(),
        [],
    ),
    (
        "limit buy touched fills with limit_fill=touch (TradingView parity)",
        [FLAT, (100.0, 100.5, 99.0, 99.5), FLAT],
        {0: [order("buy", "TEST", 5, limit=99.0)]},
        FillConfig(limit_fill="touch"),
        [("B", 5, 99.0)],
    ),
    (
        "limit buy gapped through fills at the better open",
        [FLAT, (97.0, 98.0, 96.5, 97.5), FLAT],
        {0: [order("buy", "TEST", 5, limit=99.0)]},
        FillConfig(),
        [("B", 5, 97.0)],
    ),
    (
        "sell limit above the market fills at the limit",
        [FLAT, (100.0, 102.0, 99.9, 101.0)],
        {0: [order("buy", "TEST", 5, limit=100.0)], 1: [order("sell", "TEST", 5, limit=101.5)]},
        FillConfig(limit_fill="touch"),
        [("B", 5, 100.0)],
    ),
    (
        "buy stop triggers at the stop price",
        [FLAT, (100.0, 102.0, 99.8, 101.0), FLAT],
        {0: [order("buy", "TEST", 3, stop=101.0)]},
        FillConfig(),
        [("B", 3, 101.0)],
    ),
    (
        "buy stop gapped over fills at the open (worse)",
        [FLAT, (103.0, 104.0, 102.5, 103.5)],
        {0: [order("buy", "TEST", 3, stop=101.0)]},
        FillConfig(),
        [("B", 3, 103.0)],
    ),
    (
        "sell stop below the market, path reaches the low second",
        [FLAT, (100.0, 100.5, 97.0, 98.0), FLAT],
        {0: [order("buy", "TEST", 3, limit=100.0)], 1: [order("sell", "TEST", 3, stop=98.5)]},
        FillConfig(),
        [("B", 3, 100.0)],
    ),
    (
        "stop-limit triggered on the way up, fills on the way down in the same bar",
        # path: open 100 -> high 102 (nearer) -> low 97 -> close 98; stop 101, limit 99
        [FLAT, (100.0, 102.0, 97.0, 98.0), FLAT],
        {0: [order("buy", "TEST", 2, stop=101.0, limit=99.0)]},
        FillConfig(),
        [("B", 2, 99.0)],
    ),
    (
        "stop-limit triggered but the limit never reached rests unfilled",
        [FLAT, (100.0, 102.0, 100.0, 101.5), (101.5, 101.8, 101.2, 101.5)],
        {0: [order("buy", "TEST", 2, stop=101.0, limit=100.5)]},
        FillConfig(),
        [],
    ),
    (
        "stop-limit with limit above the stop fills at the stop",
        [FLAT, (100.0, 102.0, 99.8, 101.0)],
        {0: [order("buy", "TEST", 2, stop=101.0, limit=101.5)]},
        FillConfig(),
        [("B", 2, 101.0)],
    ),
    (
        "participation caps each bar's fill; the rest fills on later bars",
        [FLAT, (100.0, 100.5, 99.5, 100.0, 400.0), (100.5, 101.0, 100.0, 100.5, 1000.0)],
        {0: [order("buy", "TEST", 150)]},
        FillConfig(participation=0.25),
        [("B", 100, 100.0), ("B", 50, 100.5)],
    ),
    (
        "fixed bps slippage worsens a market buy, rounded up to the tick",
        [FLAT, (100.0, 100.5, 99.5, 100.0)],
        {0: [order("buy", "TEST", 1)]},
        FillConfig(slippage=FixedBps(12)),
        [("B", 1, 100.15)],
    ),
    (
        "tick slippage worsens a market sell",
        [FLAT, (100.0, 100.5, 99.5, 100.0), (100.0, 100.5, 99.5, 100.0)],
        {0: [order("buy", "TEST", 1)], 1: [order("sell", "TEST", 1)]},
        FillConfig(slippage=FixedTicks(2, 0.05)),
        [("B", 1, 100.10), ("S", 1, 99.90)],
    ),
    (
        "volume impact slippage grows with the order's share of volume",
        [FLAT, (100.0, 100.5, 99.5, 100.0, 10_000.0)],
        {0: [order("buy", "TEST", 100)]},
        FillConfig(slippage=VolumeImpact(coefficient_bps=100)),  # 100bps*sqrt(0.01)=10bps
        [("B", 100, 100.10)],
    ),
    (
        "latency of one bar delays a market order by one bar",
        [FLAT, (101.0, 101.5, 100.5, 101.0), (102.0, 102.5, 101.5, 102.0)],
        {0: [order("buy", "TEST", 1)]},
        FillConfig(latency_bars=1),
        [("B", 1, 102.0)],
    ),
    (
        "latency in milliseconds: the next bar started before the order arrived",
        [FLAT, (101.0, 101.5, 100.5, 101.0), (102.0, 102.5, 101.5, 102.0)],
        {0: [order("buy", "TEST", 1)]},
        FillConfig(latency_ms=250),
        [("B", 1, 102.0)],
    ),
]


@pytest.mark.parametrize(
    ("name", "rows", "script", "fill", "expected"), SCENARIOS, ids=[s[0] for s in SCENARIOS]
)
def test_fill_scenarios(name, rows, script, fill, expected) -> None:
    engine, _ = run(rows, script, fill=fill)
    got = [(s, q, round(p, 4)) for s, q, p in fills_table(engine)]
    assert got == [(s, float(q), p) for s, q, p in expected], name


def test_day_order_expires_at_session_end() -> None:
    day1 = [FLAT] * 3
    import pandas as pd
    from tests.unit.engine.scripted import SESSION_OPEN, bars

    frame = pd.concat(
        [
            bars(day1),
            bars([FLAT, (100.0, 100.5, 90.0, 95.0)], start=SESSION_OPEN + pd.Timedelta(days=1)),
        ],
        ignore_index=True,
    )
    engine, _strat = run([], {0: [order("buy", "TEST", 1, limit=95.0)]}, frame=frame)
    assert engine.fills == []
    [o] = list(engine.orders)
    assert o.status is OrderStatus.EXPIRED
    assert o.events[-1].reason == "DAY_END"


def test_ioc_cancels_the_unfilled_rest() -> None:
    from tronlab.model import TimeInForce

    engine, _ = run(
        [FLAT, (100.0, 100.5, 99.5, 100.0, 400.0), FLAT],
        {0: [order("buy", "TEST", 150, tif=TimeInForce.IOC)]},
        fill=FillConfig(participation=0.25),
    )
    [o] = list(engine.orders)
    assert float(o.filled_quantity) == 100
    assert o.status is OrderStatus.CANCELLED
    assert o.events[-1].reason == "IOC_REMAINDER"


def test_order_event_sequence_is_canonical() -> None:
    engine, strat = run([FLAT, FLAT], {0: [order("buy", "TEST", 1)]})
    [o] = list(engine.orders)
    statuses = [e.status.value for e in o.events]
    assert statuses == ["SUBMITTED", "WORKING", "FILLED"]
    assert [e.status.value for e in strat.events] == statuses
    assert len(strat.fills) == 1
