"""The composite ``auto`` strategy: a plan per session from past bars only, routing to the
chosen children under their own strategy ids, separate books per child, the direction bias
and the risk budget, children that still hold a position, and child errors.

Mechanics run with small strategies defined here and a scripted planner; the last tests run
the real selector and library strategies on the synthetic market."""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import pandas as pd
import pytest

from tronlab.data.synthetic import generate_market
from tronlab.engine.backtest import BacktestConfig, run_backtest
from tronlab.engine.loop import Engine
from tronlab.engine.results import BacktestResult
from tronlab.model import ClientOrderIdGenerator, Fill, Instrument, Side, Venue
from tronlab.strategy import Bar, Context, Param, ParamError, Strategy, register
from tronlab.strategy.auto import Auto, session_date
from tronlab.strategy.plan import (
    REGIMES,
    DailyPlan,
    PlannedStrategy,
    RegimeTable,
)
from tronlab.strategy.selector import DailySeries, RegimeSelector, SelectorConfig
from tronlab.strategy.sleeve import Books, Sleeve, absorb_outside_fill

IST = "Asia/Kolkata"
SYMS = ("SYNTH_NIFTY", "SYNTH_RELI", "SYNTH_VIX")
LIBRARY = ("vwap", "orb", "scalp", "range_reversal")


@register
class EnterHold(Strategy):
    """Enters ``quantity`` at the ``at_bar``-th bar of a session when flat, exits after
    ``hold`` bars held; records what it sees."""

    name = "t_auto_enter_hold"
    side = Param(str, "long", choices=("long", "short"))
    quantity = Param(int, 5, low=1, high=10**9)
    at_bar = Param(int, 1, low=1, high=1000)
    hold = Param(int, 10, low=1, high=100_000)
    symbol = Param(str, "SYNTH_NIFTY")

    def on_start(self, ctx: Context) -> None:
        self.sessions: list[int] = []  # one entry per bar received
        self.own: list[tuple[int, Decimal]] = []  # (bar end, own quantity) per bar
        self.symbols_seen = tuple(ctx.symbols)
        self._n: dict[int, int] = defaultdict(int)
        self._held = 0

    def on_bar(self, ctx: Context, bar: Bar) -> None:
        if bar.symbol != self.symbol:
            return
        self.sessions.append(bar.session)
        self._n[bar.session] += 1
        held = ctx.quantity(bar.symbol)
        self.own.append((bar.end_ns, held))
        if held == 0 and not ctx.open_orders(bar.symbol):
            self._held = 0
            if self._n[bar.session] == self.at_bar:
                send = ctx.buy if self.side == "long" else ctx.sell
                send(bar.symbol, self.quantity, rationale="entry", confidence=0.5)
        elif held != 0:
            self._held += 1
            if self._held >= self.hold and not ctx.open_orders(bar.symbol):
                ctx.close(bar.symbol, rationale="exit", confidence=0.5)


@register
class Boom(Strategy):
    """Raises on every bar."""

    name = "t_auto_boom"

    def on_bar(self, ctx: Context, bar: Bar) -> None:
        raise RuntimeError("boom")


def _table(children: Mapping[str, tuple[str, dict[str, Any]]]) -> RegimeTable:
    """Each child in its own regime (so each may have a budget up to 1)."""
    rules: dict[str, Any] = {r: {"direction": "both", "strategies": []} for r in REGIMES}
    spare = [r for r in REGIMES if r != "stand_aside"]
    for n, (cid, (name, params)) in enumerate(children.items()):
        rules[spare[n]]["strategies"] = [{"name": name, "id": cid, "risk": 1.0, "params": params}]
    return RegimeTable.from_dict({"name": "test", "regimes": rules}, "test")


class ScriptedPlanner:
    """Plan number k (the k-th session) chooses ``script[k]``: (budgets by child, direction)."""

    def __init__(self, table: RegimeTable, script: Mapping[int, tuple[dict[str, float], str]]):
        self.names = {cid: a.name for cid, a in table.allocations().items()}
        self.script = script
        self.calls: list[dict[str, Any]] = []

    def plan(
        self,
        day: date,
        index: DailySeries,
        *,
        vix: DailySeries | None = None,
        today_open: float | None = None,
        sentiment: float | None = None,
        symbol: str = "",
    ) -> DailyPlan:
        k = len(self.calls)
        self.calls.append(
            {"day": day, "index": index, "vix": vix, "open": today_open, "symbol": symbol}
        )
        budgets, direction = self.script.get(k, ({}, "both"))
        return DailyPlan(
            day,
            symbol,
            "ranging_calm" if budgets else "stand_aside",
            direction,
            tuple(PlannedStrategy(c, self.names[c], {}, b) for c, b in budgets.items()),
            {"k": k},
            f"scripted plan {k}",
        )


@pytest.fixture(scope="module")
def market() -> Any:
    return generate_market(seed=3, days=4)


def _run(
    market: Any,
    children: Mapping[str, tuple[str, dict[str, Any]]],
    script: Mapping[int, tuple[dict[str, float], str]],
    **params: Any,
) -> tuple[BacktestResult, Auto, ScriptedPlanner, Engine]:
    table = _table(children)
    planner = ScriptedPlanner(table, script)
    auto = Auto(planner=planner, regime_table=table, **params)
    engines: list[Engine] = []
    result = run_backtest(
        auto,
        BacktestConfig(symbols=SYMS, costs="zero"),
        frames={s: market.bars[s] for s in SYMS},
        engine_hook=engines.append,
    )
    return result, auto, planner, engines[0]


def _day(ts: datetime) -> date:
    return pd.Timestamp(ts).tz_convert(IST).date()


def _orders_by_day(result: BacktestResult) -> dict[date, set[str]]:
    out: dict[date, set[str]] = defaultdict(set)
    for o in result.orders:
        out[_day(o.created_at)].add(o.strategy_id)
    return out


def test_a_plan_per_session_from_past_bars_only(market: Any) -> None:
    long = {"longer": ("t_auto_enter_hold", {})}
    _result, auto, planner, engine = _run(
        market, long, dict.fromkeys(range(4), ({"longer": 0.5}, "both"))
    )
    sessions = [s.date for s in market.sessions]
    assert [p.date for p in auto.plans] == sessions
    nifty = market.bars["SYNTH_NIFTY"]
    local_day = nifty["timestamp"].dt.tz_convert(IST).dt.date
    for k, call in enumerate(planner.calls):
        assert call["day"] == sessions[k]
        assert call["symbol"] == "SYNTH_NIFTY"
        assert call["index"].dates == tuple(sessions[:k])  # only finished sessions
        assert len(call["vix"]) == k  # the VIX symbol was found by name
        first = nifty[local_day == sessions[k]].iloc[0]
        assert call["open"] == first["open"]  # today's open: the first bar, for the gap
        if k:
            prev = nifty[local_day == sessions[k - 1]]
            assert call["index"].close[-1] == prev["close"].iloc[-1]
            assert call["index"].high[-1] == prev["high"].max()
    logged = [e["plan"] for e in engine.strategy_logs if e["event"] == "daily_plan"]
    assert logged == [p.to_dict() for p in auto.plans]
    child = auto.children["longer"]
    assert isinstance(child, EnterHold)
    assert child.symbols_seen == ("SYNTH_NIFTY", "SYNTH_RELI")  # the VIX is not traded


def test_only_chosen_children_trade_under_their_own_ids(market: Any) -> None:
    kids = {
        "longer": ("t_auto_enter_hold", {}),
        "shorter": ("t_auto_enter_hold", {"side": "short"}),
    }
    script = {
        0: ({"longer": 1.0}, "both"),
        1: ({"shorter": 1.0}, "both"),
        2: ({}, "both"),
        3: ({"longer": 0.5, "shorter": 0.5}, "both"),
    }
    result, auto, _, _ = _run(market, kids, script)
    days = [s.date for s in market.sessions]
    by_day = _orders_by_day(result)
    assert by_day[days[0]] == {"longer"}
    assert by_day[days[1]] == {"shorter"}
    assert days[2] not in by_day
    assert by_day[days[3]] == {"longer", "shorter"}
    assert result.summary["strategy_errors"] == 0
    seen = {cid: {session_date(s) for s in c.sessions} for cid, c in auto.children.items()}
    assert seen["longer"] == {days[0], days[3]}  # flat by the end of a day: no more bars
    assert seen["shorter"] == {days[1], days[3]}


def test_the_direction_bias_refuses_entries_against_it(market: Any) -> None:
    kids = {
        "longer": ("t_auto_enter_hold", {}),
        "shorter": ("t_auto_enter_hold", {"side": "short"}),
    }
    result, auto, _, _ = _run(market, kids, {0: ({"longer": 0.5, "shorter": 0.5}, "long")})
    assert {o.strategy_id for o in result.orders} == {"longer"}
    refused = [r for r in auto.refusals if r["child"] == "shorter"]
    assert refused
    assert refused[0]["event"] == "plan_refused"
    assert refused[0]["reason"] == "today's bias is long: no short entries"


@pytest.mark.parametrize("mode", ["cap", "record"])
def test_the_risk_budget_caps_or_records_entries(market: Any, mode: str) -> None:
    kids = {"big": ("t_auto_enter_hold", {"quantity": 1000})}
    result, auto, _, _ = _run(market, kids, {0: ({"big": 0.1}, "both")}, risk_mode=mode)
    entry = result.orders[0]
    nifty = market.bars["SYNTH_NIFTY"]
    decision_close = nifty["close"].iloc[0]  # decided at the close of the session's first bar
    if mode == "cap":
        expected = int(0.1 * 1_000_000 // decision_close)  # whole units within 10% of equity
        assert entry.quantity == expected
        assert auto.refusals[0]["event"] == "plan_resized"
        assert (auto.refusals[0]["asked"], auto.refusals[0]["sent"]) == ("1000", str(expected))
    else:
        assert entry.quantity == 1000
        assert auto.refusals[0]["event"] == "plan_over_budget"
    assert auto.refusals[0]["reason"] == "risk budget 10% of equity"


def test_a_child_that_holds_overnight_still_gets_bars_to_exit(market: Any) -> None:
    kids = {"swing": ("t_auto_enter_hold", {"hold": 400})}  # a session has 375 bars
    result, auto, _, _ = _run(market, kids, {0: ({"swing": 0.5}, "both")})
    days = [s.date for s in market.sessions]
    child = auto.children["swing"]
    assert {session_date(s) for s in child.sessions} == {days[0], days[1]}
    exits = [o for o in result.orders if o.rationale == "exit"]
    assert len(exits) == 1
    assert _day(exits[0].created_at) == days[1]
    assert [o.rationale for o in result.orders] == ["entry", "exit"]  # no entry on day 2
    assert all(q == 0 for _, q in child.own[-1:])


@pytest.mark.parametrize("b_side", ["long", "short"])
def test_children_on_one_symbol_keep_their_own_books(market: Any, b_side: str) -> None:
    kids = {
        "a": ("t_auto_enter_hold", {"quantity": 5, "hold": 20}),
        "b": ("t_auto_enter_hold", {"quantity": 3, "at_bar": 3, "hold": 100, "side": b_side}),
    }
    result, auto, _, _ = _run(market, kids, {0: ({"a": 0.5, "b": 0.5}, "both")})
    by_child: dict[str, list[tuple[str, Decimal]]] = defaultdict(list)
    side = {str(o.client_order_id): o.strategy_id for o in result.orders}
    for f in result.fills:
        by_child[side[str(f.client_order_id)]].append((f.side.value, f.quantity))
    # a's close is all of a's 5, whatever b holds (3 long, or 3 short: the account nets +2)
    assert by_child["a"] == [("BUY", Decimal(5)), ("SELL", Decimal(5))]
    b_open, b_close = ("BUY", "SELL") if b_side == "long" else ("SELL", "BUY")
    assert by_child["b"] == [(b_open, Decimal(3)), (b_close, Decimal(3))]
    # at every bar the two books add up to the account's position (no lag within a bar)
    a, b = auto.children["a"], auto.children["b"]
    assert isinstance(a, EnterHold)
    assert isinstance(b, EnterHold)
    fills = [(int(pd.Timestamp(f.ts).value), f.signed_quantity) for f in result.fills]
    for (end, qa), (end_b, qb) in zip(a.own, b.own, strict=True):
        assert end == end_b
        account = sum((q for ts, q in fills if ts < end), Decimal(0))
        assert qa + qb == account


def test_a_child_error_does_not_stop_the_others(market: Any) -> None:
    kids = {"boom": ("t_auto_boom", {}), "longer": ("t_auto_enter_hold", {})}
    result, _, _, _ = _run(market, kids, {0: ({"boom": 0.5, "longer": 0.5}, "both")})
    assert {o.strategy_id for o in result.orders} == {"longer"}
    assert result.errors
    assert result.errors[0].message == "boom.on_bar: RuntimeError: boom"


def test_a_risk_square_off_reaches_the_child_books(market: Any) -> None:
    """The governor squares off at 15:20 a position a child meant to hold overnight: the
    child's book follows the account, and the child sends no exit of its own."""
    kids = {"swing": ("t_auto_enter_hold", {"hold": 400, "symbol": "SYNTH_RELI"})}
    table = _table(kids)
    auto = Auto(planner=ScriptedPlanner(table, {0: ({"swing": 0.5}, "both")}), regime_table=table)
    engines: list[Engine] = []
    config = BacktestConfig(symbols=SYMS, costs="zero", risk_profile="tron-default", product="MIS")
    result = run_backtest(
        auto, config, frames={s: market.bars[s] for s in SYMS}, engine_hook=engines.append
    )
    mine = [o for o in result.orders if o.strategy_id == "swing"]
    assert [o.rationale for o in mine] == ["entry"]  # no exit: the book was already flat
    squared = [o for o in result.orders if o.strategy_id != "swing"]
    assert len(squared) == 1
    assert pd.Timestamp(squared[0].created_at).tz_convert(IST).strftime("%H:%M") == "15:20"
    assert auto.books.sleeves["swing"].quantity("SYNTH_RELI") == 0
    assert any(e["event"] == "plan_outside_fill" for e in engines[0].strategy_logs)


def test_the_pieces_of_a_freeze_split_belong_to_the_child(market: Any) -> None:
    kids = {"big": ("t_auto_enter_hold", {"quantity": 5, "symbol": "SYNTH_RELI"})}
    table = _table(kids)
    auto = Auto(planner=ScriptedPlanner(table, {0: ({"big": 0.5}, "both")}), regime_table=table)
    engines: list[Engine] = []
    split = {"fat_finger": {"enabled": True, "default_freeze_qty": 2, "on_freeze": "split"}}
    config = BacktestConfig(
        symbols=SYMS, costs="zero", risk_profile="research", risk_overrides=split
    )
    result = run_backtest(
        auto, config, frames={s: market.bars[s] for s in SYMS}, engine_hook=engines.append
    )
    assert [(o.strategy_id, o.rationale, o.quantity) for o in result.orders] == [
        ("big", r, Decimal(q)) for r in ("entry", "exit") for q in (2, 2, 1)
    ]
    child = auto.children["big"]
    assert isinstance(child, EnterHold)
    assert max(q for _, q in child.own) == 5  # every piece counts in the child's book
    assert auto.books.sleeves["big"].quantity("SYNTH_RELI") == 0
    assert not [e for e in engines[0].strategy_logs if e["event"] == "plan_outside_fill"]


def test_books_drop_positions_the_account_no_longer_holds() -> None:
    inst = Instrument.equity(Venue.NSE, "ABC", tick_size=Decimal("0.05"))
    gen = ClientOrderIdGenerator("AB", random.Random(2))
    ts = datetime.fromisoformat("2025-01-06T10:00:00+05:30")
    books = Books(["a", "b"])
    for cid, side in (("a", Side.BUY), ("b", Side.SELL)):
        fill = Fill(fill_id=cid, client_order_id=gen.next(ts), instrument_id=inst.id, side=side,
                    quantity=Decimal(5), price=Decimal(100), ts=ts)  # fmt: skip
        books.sleeves[cid].apply_fill(fill, inst)
    assert books.total("ABC") == 0
    assert books.drop_vanished(lambda sym: Decimal(0)) == []  # +5 and -5 net to a flat account
    books.sleeves["b"].positions.clear()
    assert books.drop_vanished(lambda sym: Decimal(0)) == ["ABC"]  # settled at expiry, say
    assert books.sleeves["a"].quantity("ABC") == 0


def test_fills_nobody_placed_reduce_the_books_in_order() -> None:
    inst = Instrument.equity(Venue.NSE, "ABC", tick_size=Decimal("0.05"))
    gen = ClientOrderIdGenerator("AB", random.Random(1))
    ts = datetime.fromisoformat("2025-01-06T10:00:00+05:30")

    def fill(side: Side, qty: int) -> Fill:
        return Fill(
            fill_id=f"f{qty}{side.value}",
            client_order_id=gen.next(ts),
            instrument_id=inst.id,
            side=side,
            quantity=Decimal(qty),
            price=Decimal(100),
            ts=ts,
        )

    first, second = Sleeve("first"), Sleeve("second")
    first.apply_fill(fill(Side.BUY, 4), inst)
    second.apply_fill(fill(Side.BUY, 6), inst)
    left = absorb_outside_fill(fill(Side.SELL, 7), [first, second])  # a risk square-off
    assert left == 0
    assert (first.quantity("ABC"), second.quantity("ABC")) == (0, 3)
    assert absorb_outside_fill(fill(Side.BUY, 2), [first, second]) == 2  # opens: nobody's
    assert second.quantity("ABC") == 3


def test_bad_configuration_is_a_clear_error(tmp_path: Any) -> None:
    with pytest.raises(ParamError, match="cannot read regime table"):
        Auto(table=str(tmp_path / "missing.yaml"))
    with pytest.raises(ParamError, match="risk_mode"):
        Auto(risk_mode="maybe")
    with pytest.raises(ParamError, match="must not exceed vix_stand_aside"):
        Auto(vix_stand_aside=10.0)
    bad = _table({"x": ("sma_crosss", {})})
    with pytest.raises(ParamError, match="'sma_crosss' is not registered"):
        Auto(regime_table=bad)


def test_a_regime_symbol_not_in_the_run_is_reported(market: Any) -> None:
    result, _, _, _ = _run(market, {"longer": ("t_auto_enter_hold", {})}, {},
                           regime_symbol="NIFTY")  # fmt: skip
    assert result.errors
    assert "regime_symbol 'NIFTY' is not in this run" in result.errors[0].message


# ------------------------------------------------------------------ the real selector and library


def _library_missing() -> list[str]:
    from tronlab.strategy import available_strategies

    return [n for n in LIBRARY if n not in available_strategies()]


def _auto_run(days: int, market: Any) -> tuple[BacktestResult, Auto]:
    frames = {}
    cut = {s.date for s in market.sessions[:days]}
    for s in SYMS:
        df = market.bars[s]
        frames[s] = df[df["timestamp"].dt.tz_convert(IST).dt.date.isin(cut)]
    selector = RegimeSelector(SelectorConfig(adx_period=5, atr_period=5, rv_window=5))
    auto = Auto(planner=selector)
    result = run_backtest(auto, BacktestConfig(symbols=SYMS, costs="zerodha"), frames=frames)
    return result, auto


def test_auto_trades_the_library_by_the_plan_without_look_ahead() -> None:
    missing = _library_missing()
    if missing:
        pytest.skip(f"library strategies not registered yet: {missing}")
    market = generate_market(seed=5, days=18)
    result, auto = _auto_run(18, market)
    assert result.summary["strategy_errors"] == 0
    assert len(auto.plans) == 18
    assert {p.regime for p in auto.plans[:10]} == {"stand_aside"}  # the warm-up
    assert any(p.strategies for p in auto.plans)
    plans = {p.date: p for p in auto.plans}
    entries = [o for o in result.orders if not o.rationale.startswith("exit")]
    assert entries, "the chosen strategies traded"
    for o in entries:
        plan = plans[_day(o.created_at)]
        assert o.strategy_id in plan.strategy_ids  # an entry needs today's plan
        if plan.direction != "both":
            assert o.side is (Side.BUY if plan.direction == "long" else Side.SELL)
    _, shorter = _auto_run(14, market)  # the same market, four sessions fewer
    assert [p.to_dict() for p in shorter.plans] == [p.to_dict() for p in auto.plans[:14]]


def _daily(market: Any, symbol: str) -> pd.DataFrame:
    """Daily OHLC of a synthetic series, stamped at local midnight like the bar store's."""
    df = market.bars[symbol]
    day = df["timestamp"].dt.tz_convert(IST).dt.date
    g = df.groupby(day)
    out = pd.DataFrame(
        {
            "open": g["open"].first(),
            "high": g["high"].max(),
            "low": g["low"].min(),
            "close": g["close"].last(),
        }
    )
    out["timestamp"] = pd.DatetimeIndex(pd.to_datetime(out.index)).tz_localize(IST)
    return out.reset_index(drop=True)


def test_prior_daily_history_replaces_the_warm_up_without_look_ahead() -> None:
    market = generate_market(seed=5, days=16)
    run_days = {s.date for s in market.sessions[12:]}
    frames = {
        s: df[df["timestamp"].dt.tz_convert(IST).dt.date.isin(run_days)]
        for s, df in market.bars.items()
        if s in SYMS
    }
    history = {s: _daily(market, s) for s in ("SYNTH_NIFTY", "SYNTH_VIX")}

    def plans(hist: Mapping[str, pd.DataFrame]) -> list[dict[str, Any]]:
        selector = RegimeSelector(SelectorConfig(adx_period=5, atr_period=5, rv_window=5))
        auto = Auto(planner=selector, history=hist)
        run_backtest(auto, BacktestConfig(symbols=SYMS, costs="zero"), frames=frames)
        return [p.to_dict() for p in auto.plans]

    primed = plans(history)
    assert len(primed) == 4
    assert primed[0]["inputs"]["history_days"] == 12  # the sessions before the run
    assert primed[0]["regime"] != "stand_aside" or "history" not in primed[0]["explanation"]
    # rows dated on or after the run's first day are never used: change them, same plans
    changed = {}
    first = market.sessions[12].date
    for s, df in history.items():
        df = df.copy()
        late = df["timestamp"].dt.date >= first
        df.loc[late, ["open", "high", "low", "close"]] *= 1.5
        changed[s] = df
    assert plans(changed) == primed
    # the bar store hands daily bars back in UTC (the evening before): same dates, same plans
    in_utc = {}
    for s, df in history.items():
        df = df.copy()
        df["timestamp"] = df["timestamp"].dt.tz_convert("UTC")
        in_utc[s] = df
    assert plans(in_utc) == primed
    assert plans({})[0]["inputs"]["history_days"] == 0


def test_child_params_reach_every_child_that_declares_them() -> None:
    auto = Auto(child_params="quantity=7; instrument=future")
    assert {c.params["quantity"] for c in auto.children.values()} == {7}
    assert {c.params["instrument"] for c in auto.children.values()} == {"future"}
    with pytest.raises(ParamError, match="declared by no child"):
        Auto(child_params="qty=7")
    with pytest.raises(ParamError, match="NAME=VALUE"):
        Auto(child_params="quantity")
