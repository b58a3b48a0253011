"""The :class:`~tronlab.strategy.Context` protocol and its two implementations agree: the
engine's context and a child's context inside ``auto`` (every member, with the same
signature); and a child of ``auto`` trades multi-leg orders with ``ctx.submit_legs`` into
its own book, judged whole against the day's plan."""

from __future__ import annotations

import inspect
from collections.abc import Mapping
from datetime import date, time
from decimal import Decimal
from typing import Any

import pandas as pd
import pytest

import tronlab.strategy as facade
from tronlab.data.synthetic import generate_market
from tronlab.engine.backtest import BacktestConfig, run_backtest
from tronlab.engine.context import EngineContext
from tronlab.engine.derivatives import derivatives_market
from tronlab.execution import combos
from tronlab.execution.intents import ComboKind, IntentError, MultiLegIntent, OrderIntent
from tronlab.model import Fill, OptionRight, Side
from tronlab.strategy import Bar, Context, Param, Strategy, register
from tronlab.strategy.auto import Auto
from tronlab.strategy.plan import REGIMES, DailyPlan, PlannedStrategy, RegimeTable
from tronlab.strategy.selector import DailySeries
from tronlab.strategy.sleeve import ChildContext

IST = "Asia/Kolkata"
INDEX = "SYNTH_NIFTY"


def _members(cls: type) -> set[str]:
    return {n for n in vars(cls) if not n.startswith("_")}


PROTOCOL = _members(Context)


def test_the_protocol_lists_the_newer_members() -> None:
    assert {"submit_legs", "instrument", "instruments", "last_price", "session_bounds",
            "timezone", "for_strategy", "now", "now_ns"} <= PROTOCOL  # fmt: skip


@pytest.mark.parametrize("cls", [EngineContext, ChildContext])
@pytest.mark.parametrize("name", sorted(PROTOCOL))
def test_every_protocol_member_is_implemented_alike(cls: type, name: str) -> None:
    want = inspect.getattr_static(Context, name)
    got = inspect.getattr_static(cls, name, None)
    assert got is not None, f"{cls.__name__} lacks {name}"
    if isinstance(want, property):
        assert isinstance(got, property), f"{cls.__name__}.{name} must be a property"
        return
    assert callable(got), f"{cls.__name__}.{name} must be a method"
    expected = list(inspect.signature(want).parameters.values())[1:]
    actual = list(inspect.signature(got).parameters.values())[1:]
    assert [(p.name, p.kind, p.default) for p in actual] == [
        (p.name, p.kind, p.default) for p in expected
    ], f"{cls.__name__}.{name} signature differs from the protocol"


def test_a_child_context_offers_everything_the_engine_context_does() -> None:
    """No hidden read-through: what a strategy can call on the engine's context, a child of
    ``auto`` can call on its own."""
    missing = sorted(_members(EngineContext) - _members(ChildContext))
    assert missing == []


def test_the_facade_exports_multi_leg_orders() -> None:
    assert facade.MultiLegIntent is MultiLegIntent
    assert facade.ComboKind is ComboKind
    for name in ("straddle", "strangle", "vertical", "iron_condor", "ComboError"):
        assert getattr(facade, name) is getattr(combos, name)
        assert name in facade.__all__


# ------------------------------------------------------------------ multi-leg children


@register
class LegsChild(Strategy):
    """At 10:00 of each session buys a ``shape`` (straddle, or a put alone) of the nearest
    weekly around the index with ``ctx.submit_legs``; closes every leg at 14:00."""

    name = "t_proto_legs"
    shape = Param(str, "straddle", choices=("straddle", "put"))

    def on_start(self, ctx: Context) -> None:
        self.sent: list[tuple[date, list[str]]] = []
        self.fills: list[Fill] = []
        self.held: dict[date, dict[str, Decimal]] = {}
        self.bounds: list[Any] = []
        self.legs: list[str] = []
        self.legs_on: dict[date, list[str]] = {}

    def on_bar(self, ctx: Context, bar: Bar) -> None:
        if bar.symbol != INDEX:
            return
        local = pd.Timestamp(bar.end_ns, tz="UTC").tz_convert(IST)
        day = local.date()
        if local.time() == time(10, 0):
            self.bounds.append(ctx.session_bounds(INDEX))
            options = ctx.instruments("NIFTY")
            legs = combos.straddle(options, bar.close, ctx.now_ns, rationale="test")
            if self.shape == "put":
                put = next(leg for leg in legs.legs
                           if ctx.instrument(leg.symbol).right is OptionRight.PUT)  # fmt: skip
                legs = MultiLegIntent((put,), rationale="a put alone")
            ids = ctx.submit_legs(legs)
            self.sent.append((day, ids))
            if ids:
                self.legs = sorted(legs.symbols)
                self.legs_on[day] = self.legs
        if local.time() == time(12, 0) and self.legs:
            self.held[day] = {s: ctx.quantity(s) for s in self.legs}
        if local.time() == time(14, 0):
            for sym in self.legs:
                ctx.close(sym, rationale="time")

    def on_fill(self, ctx: Context, fill: Fill) -> None:
        self.fills.append(fill)


class Scripted:
    """Session k gets ``script[k]``: (budgets by child id, direction)."""

    def __init__(
        self, names: Mapping[str, str], script: Mapping[int, tuple[dict[str, float], str]]
    ):
        self.names = dict(names)
        self.script = script
        self.k = 0

    def plan(self, day: date, index: DailySeries, **_: Any) -> DailyPlan:
        budgets, direction = self.script.get(self.k, ({}, "both"))
        self.k += 1
        chosen = tuple(PlannedStrategy(c, self.names[c], {}, b) for c, b in budgets.items())
        regime = "ranging_calm" if budgets else "stand_aside"
        return DailyPlan(day, INDEX, regime, direction, chosen, {}, "scripted")


def _table() -> RegimeTable:
    rules: dict[str, Any] = {r: {"direction": "both", "strategies": []} for r in REGIMES}
    rules["ranging_calm"]["strategies"] = [
        {"name": "t_proto_legs", "id": "straddle", "risk": 0.5, "params": {}},
        {"name": "t_proto_legs", "id": "put", "risk": 0.5, "params": {"shape": "put"}},
    ]
    return RegimeTable.from_dict({"name": "legs", "regimes": rules}, "test")


@pytest.fixture(scope="module")
def legs_run() -> tuple[Any, Auto]:
    index = generate_market(seed=5, days=4).bars[INDEX]
    market = derivatives_market(index, INDEX, "options", strikes_each_side=2)
    table = _table()
    script = {
        0: ({"straddle": 0.5, "put": 0.5}, "both"),  # both trade
        1: ({"put": 0.5}, "long"),  # the straddle child is not chosen; a put is short
        2: ({"straddle": 0.5, "put": 0.5}, "short"),  # a straddle is neutral; a put fits
        3: ({"straddle": 1e-6}, "both"),  # a budget far below one straddle
    }
    names = {cid: a.name for cid, a in table.allocations().items()}
    auto = Auto(planner=Scripted(names, script), regime_table=table, regime_symbol=INDEX)
    result = run_backtest(
        auto,
        BacktestConfig(symbols=tuple(market.frames), costs="zero",
                       initial_cash=Decimal(10_000_000), underlyings=market.underlyings),
        frames=market.frames,
        instruments=market.instruments,
    )  # fmt: skip
    return result, auto


def test_child_multi_leg_fills_land_in_its_own_book(legs_run: tuple[Any, Auto]) -> None:
    result, auto = legs_run
    assert result.summary["strategy_errors"] == 0
    straddle, put = auto.children["straddle"], auto.children["put"]
    assert isinstance(straddle, LegsChild)
    assert isinstance(put, LegsChild)
    (day0, straddle_ids), (_, put_ids) = straddle.sent[0], put.sent[0]
    assert len(straddle_ids) == 2
    assert len(put_ids) == 1
    owner = {str(o.client_order_id): o.strategy_id for o in result.orders}
    assert {owner[i] for i in straddle_ids} == {"straddle"}
    assert {owner[i] for i in put_ids} == {"put"}
    # each child got its own legs' fills (not "outside" fills absorbed by the books)
    assert set(straddle_ids) <= {str(f.client_order_id) for f in straddle.fills}
    assert set(put_ids) <= {str(f.client_order_id) for f in put.fills}
    # both hold the same put: each sees its own lot of it, the account holds both
    call_sym, put_sym = straddle.legs_on[day0]  # ...CE before ...PE
    lot = straddle.held[day0][call_sym]
    assert lot > 0
    assert straddle.held[day0] == {call_sym: lot, put_sym: lot}
    assert put.held[day0] == {put_sym: lot}
    bought = [f for f in result.fills if f.instrument_id.symbol == put_sym and f.side is Side.BUY]
    assert sum((f.quantity for f in bought if _local_day(f.ts) == day0), Decimal(0)) == 2 * lot
    # the 14:00 closes went through each child's book: all flat again
    for sleeve in auto.books.sleeves.values():
        assert all(p.quantity == 0 for p in sleeve.positions.values())
    assert straddle.bounds[0] is not None  # session_bounds reads through to the engine


def test_the_plan_judges_a_combination_whole(legs_run: tuple[Any, Auto]) -> None:
    result, auto = legs_run
    straddle = dict(auto.children["straddle"].sent)
    put = dict(auto.children["put"].sent)
    days = sorted({*straddle, *put})
    assert len(days) == 4
    # day 1: the straddle child is not chosen (and holds nothing: no bars); a long bias
    # refuses a bought put, a short entry
    assert days[1] not in straddle
    assert put[days[1]] == []
    # day 2: a short bias admits the put, and the straddle (legs both ways: neutral)
    assert len(put[days[2]]) == 1
    assert len(straddle[days[2]]) == 2
    # day 3: a budget far below one straddle refuses it whole (never a leg alone)
    assert straddle[days[3]] == []
    reasons = [(r["child"], r["event"], r["reason"]) for r in auto.refusals]
    assert reasons == [
        ("straddle", "plan_refused", "risk budget 0% of equity"),
        ("put", "plan_refused", "today's bias is long: no short entries"),
    ]
    traded = {o.instrument_id.symbol for o in result.orders if o.strategy_id != "risk"}
    assert traded
    assert all(s.endswith(("CE", "PE")) for s in traded)
    assert {o.side for o in result.orders} == {Side.BUY, Side.SELL}


def _local_day(ts: Any) -> date:
    return pd.Timestamp(ts).tz_convert(IST).date()


def test_a_child_refuses_what_is_not_a_multi_leg_order(legs_run: tuple[Any, Auto]) -> None:
    _, auto = legs_run
    child_ctx = auto._contexts["put"]
    with pytest.raises(IntentError, match="submit_legs takes a MultiLegIntent"):
        child_ctx.submit_legs(OrderIntent("X", Side.BUY, Decimal(1)))  # type: ignore[arg-type]
