"""Instrument mappers: a decision on the index traded as its future or as options."""

from __future__ import annotations

import datetime as dt
import math
from decimal import Decimal
from typing import Any

import pytest
from tests.unit.risk.fno_market import EXPIRY, INDEX, future, options, run

from tronlab.model import Instrument, OptionRight, Venue
from tronlab.strategy import Bar, Context
from tronlab.strategy.instruments import (
    FutureMapper,
    Leg,
    OptionMapper,
    UnderlyingMapper,
    make_mapper,
    resolve_underlying,
)

K = 5


def _open(mapper: Any, direction: int, units: int = 1) -> Any:
    def act(ctx: Context, bar: Bar) -> Any:
        equity = ctx.portfolio.equity
        leg = mapper.open(
            ctx, INDEX, direction, units=Decimal(units), rationale="r", confidence=0.6
        )
        premium = None if leg is None else ctx.last_price(leg.symbol)
        return leg, ctx.last_price(INDEX), equity, premium

    return act


def _close(mapper: Any, k: int) -> Any:
    def act(ctx: Context, bar: Bar) -> Any:
        leg = ctx._engine.strategy.results[k][0]  # type: ignore[attr-defined]
        return mapper.close(ctx, leg, rationale="out", confidence=0.5)

    return act


@pytest.mark.parametrize(("units", "lots"), [(1, 1), (10, 1), (97, 1), (98, 2), (200, 3)])
def test_the_future_mapper_trades_whole_lots_of_the_nearest_future(units: int, lots: int) -> None:
    fut = future()
    mapper = FutureMapper()
    engine, strat = run({K: _open(mapper, 1, units), K + 5: _close(mapper, K)})
    leg, *_ = strat.results[K]
    assert leg == Leg(INDEX, fut.symbol, Decimal(65 * lots), leg.client_order_id)
    assert [(f.side.value, f.quantity) for f in engine.fills] == [
        ("BUY", 65 * lots), ("SELL", 65 * lots)
    ]  # fmt: skip
    assert strat.results[K + 5] is not None  # the close order
    assert engine.position_qty(fut.symbol) == 0


def test_a_short_signal_sells_the_future() -> None:
    engine, strat = run({K: _open(FutureMapper(), -1, 65)})
    leg, *_ = strat.results[K]
    assert leg.quantity == -65
    assert engine.position_qty(future().symbol) == -65


def test_the_future_mapper_skips_contracts_too_close_to_expiry() -> None:
    _, strat = run({K: _open(FutureMapper(min_left=dt.timedelta(days=40)), 1)})
    assert strat.results[K][0] is None  # the January future expires within 40 days


@pytest.mark.parametrize(
    ("mapper", "direction", "right"),
    [
        (OptionMapper(0), 1, OptionRight.CALL),
        (OptionMapper(0), -1, OptionRight.PUT),
        (OptionMapper(1), 1, OptionRight.CALL),
        (OptionMapper(1), -1, OptionRight.PUT),
    ],
)
def test_the_option_mapper_buys_a_call_or_a_put_sized_by_risk(
    mapper: OptionMapper, direction: int, right: OptionRight
) -> None:
    engine, strat = run({K: _open(mapper, direction)})
    leg, spot, equity, premium = strat.results[K]
    inst = engine.instrument(leg.symbol)
    assert inst.right is right
    assert inst.expiry == EXPIRY
    strikes = sorted({o.strike for o in options(right)})
    if mapper.otm == 0:
        assert inst.strike == min(strikes, key=lambda k: (abs(float(k) - spot), k))
    elif right is OptionRight.CALL:
        assert inst.strike == min(k for k in strikes if k > Decimal(repr(spot)))
    else:
        assert inst.strike == max(k for k in strikes if k < Decimal(repr(spot)))
    lots = math.floor(float(equity) * 0.01 / (premium * 65))
    assert lots > 1
    assert leg.quantity == 65 * lots
    assert [(f.side.value, f.quantity) for f in engine.fills] == [("BUY", leg.quantity)]


def test_one_lot_when_affordable_none_when_not() -> None:
    mapper = OptionMapper(0)
    _, strat = run({K: _open(mapper, 1)}, cash=30_000)  # 1% = 300: under one lot
    leg, *_ = strat.results[K]
    assert leg is not None
    assert leg.quantity == 65
    _, strat = run({K: _open(mapper, 1)}, cash=5_000)  # one lot's premium is more
    assert strat.results[K][0] is None
    capped = OptionMapper(0, max_lots=2)
    _, strat = run({K: _open(capped, 1)})
    assert strat.results[K][0].quantity == 130


def test_the_option_mapper_wants_time_left_and_a_price() -> None:
    _, strat = run({K: _open(OptionMapper(0, min_left=dt.timedelta(days=7)), 1)})
    assert strat.results[K][0] is None  # the only expiry is 6 days away


def test_the_underlying_is_resolved_or_named() -> None:
    bank = Instrument.future(
        Venue.NFO, "BANKNIFTY26JANFUT", underlying="BANKNIFTY", expiry=dt.date(2026, 1, 27),
        tick_size=Decimal("0.05"), lot_size=30,
    )  # fmt: skip
    seen: dict[str, Any] = {}

    def probe(ctx: Context, bar: Bar) -> None:
        seen["one"] = resolve_underlying(ctx, INDEX)
        seen["named"] = resolve_underlying(ctx, INDEX, "banknifty")
        seen["itself"] = resolve_underlying(ctx, "NIFTY")

    run({K: probe})
    assert seen == {"one": "NIFTY", "named": "BANKNIFTY", "itself": "NIFTY"}
    engine, strat = run({K: _open(FutureMapper(), 1)}, extra={bank.symbol: bank})
    assert not strat.results  # the strategy error is recorded instead
    [err] = engine.errors
    assert "cannot tell which underlying SYNTH_NIFTY stands for" in err.message
    _, strat = run({K: _open(FutureMapper(underlying="NIFTY"), 1)}, extra={bank.symbol: bank})
    assert strat.results[K][0].symbol == future().symbol


def test_make_mapper_names() -> None:
    assert isinstance(make_mapper("underlying"), UnderlyingMapper)
    assert isinstance(make_mapper("future", underlying="NIFTY"), FutureMapper)
    atm, otm = make_mapper("option_atm"), make_mapper("option_otm1")
    assert (atm.name, otm.name) == ("option_atm", "option_otm1")
    assert isinstance(otm, OptionMapper)
    assert otm.otm == 1
    with pytest.raises(ValueError, match="choose from future, option_atm, option_otm1"):
        make_mapper("options")
    with pytest.raises(ValueError, match="risk_fraction"):
        OptionMapper(0, risk_fraction=2)
