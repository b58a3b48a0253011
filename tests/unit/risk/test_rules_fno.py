"""The F&O rules (margin, Greeks) and the governor's one decision for a multi-leg order, run
through the engine on one synthetic NIFTY session."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from pydantic import ValidationError
from tests.unit.risk.fno_market import INDEX, future, options, run

from tronlab.execution.combos import iron_condor, straddle
from tronlab.model import OptionRight, Product, Side
from tronlab.risk import PassThroughRisk, RiskGovernor
from tronlab.risk.decision import ComboDecision
from tronlab.risk.profiles import build_governor, risk_profile
from tronlab.risk.rules.greeks import GreeksConfig, GreeksRule
from tronlab.risk.rules.limits import PositionLimitsConfig, PositionLimitsRule
from tronlab.risk.rules.margin import MarginConfig, MarginRule
from tronlab.strategy import Bar, Context

K = 5


def _now(bar: Bar) -> dt.datetime:
    return dt.datetime.fromtimestamp(bar.end_ns / 1e9, dt.UTC)


def _condor(ctx: Context, bar: Bar) -> list[str]:
    return ctx.submit_legs(iron_condor(options(), bar.close, _now(bar)))


def _reasons(engine: Any) -> list[str]:
    return [r.reason for r in engine.refusals]


# ---------------------------------------------------------------------- the combination
def test_a_combination_is_one_decision_and_one_entry() -> None:
    gov = RiskGovernor([])
    engine, _ = run({K: _condor}, risk=gov)
    assert len(engine.fills) == 4
    [rec] = gov.decisions
    assert rec["decision"] == "approve"
    assert rec["values"]["combo"] == "iron_condor"
    assert rec["symbol"] is None
    assert gov.state.entries == 1
    assert gov.state.orders_today == 4


def test_a_leg_that_would_be_resized_refuses_the_combination() -> None:
    limits = PositionLimitsRule(PositionLimitsConfig(max_qty_per_symbol=Decimal(100)))
    gov = RiskGovernor([limits])

    def two_lots(ctx: Context, bar: Bar) -> list[str]:
        return ctx.submit_legs(iron_condor(options(), bar.close, _now(bar), lots=2))

    engine, _ = run({K: two_lots}, risk=gov)
    assert _reasons(engine) == ["RISK_MAX_QTY"] * 4  # 130 per leg would be resized to 65
    [rec] = gov.decisions
    assert "resized to 65: a combination is accepted whole or not" in rec["message"]
    assert gov.state.entries == 0
    assert gov.state.orders_today == 0
    engine, _ = run({K: _condor}, risk=RiskGovernor([limits]))  # one lot fits
    assert len(engine.fills) == 4


def test_pass_through_risk_approves_a_combination() -> None:
    d = PassThroughRisk().check_combo([], None)  # type: ignore[arg-type]
    assert d == ComboDecision.approve()
    assert d.allowed


# ---------------------------------------------------------------------- margin
def test_the_margin_rule_judges_the_combination_against_the_collateral() -> None:
    probe: dict[str, Any] = {}

    def quote(ctx: Context, bar: Bar) -> None:
        eng = ctx._engine  # type: ignore[attr-defined]
        ic = iron_condor(options(), bar.close, _now(bar))
        probe["q"] = eng.margin_quote([(eng.instrument(x.symbol), x.side, x.quantity, None)
                                       for x in ic.legs])  # fmt: skip

    run({K: quote})
    need = probe["q"].needed
    cash = (need / Decimal("0.8")).quantize(Decimal(1))  # the condor uses 80% of it
    tight = RiskGovernor([MarginRule(MarginConfig(max_utilisation=0.75))])
    engine, _ = run({K: _condor}, risk=tight, cash=cash)
    assert _reasons(engine) == ["RISK_MARGIN"] * 4
    [rec] = tight.decisions
    values = rec["values"]["rule_values"]
    assert Decimal(values["needed"]) == need
    assert Decimal(values["collateral"]) == cash
    loose = RiskGovernor([MarginRule(MarginConfig(max_utilisation=0.85))])
    engine, _ = run({K: _condor}, risk=loose, cash=cash)
    assert not engine.refusals
    assert len(engine.fills) == 4


def test_the_margin_rule_passes_exits_and_equity_orders() -> None:
    fut = future()
    gov = RiskGovernor([MarginRule(MarginConfig(max_utilisation=0.5))])
    actions = {
        K: lambda ctx, bar: ctx.buy(fut.symbol, 65),
        K + 10: lambda ctx, bar: ctx.buy(INDEX, 5, product=Product.CNC),  # not F&O: not looked at
        K + 20: lambda ctx, bar: ctx.close(fut.symbol),
    }
    engine, _ = run(actions, risk=gov, cash=400_000)  # 1 lot ~1.25 lakh: under 50% of 4 lakh
    assert not engine.refusals
    assert engine.position_qty(fut.symbol) == 0
    assert engine.position_qty(INDEX) == 5
    assert [d["rule"] for d in gov.decisions] == ["governor"] * 3
    engine, _ = run({K: lambda ctx, bar: ctx.buy(fut.symbol, 130)}, risk=gov, cash=400_000)
    assert _reasons(engine) == ["RISK_MARGIN"]


def test_without_an_underlying_price_the_margin_cannot_be_computed() -> None:
    [call] = [o for o in options(OptionRight.CALL) if o.strike == 24000]
    gov = RiskGovernor([MarginRule()])
    symbols = {INDEX, call.symbol}
    engine, _ = run({K: lambda ctx, bar: ctx.sell(call.symbol, 65)}, risk=gov,
                    underlyings={}, symbols=symbols)  # fmt: skip
    assert _reasons(engine) == ["RISK_NO_PRICE"]
    # with a future of NIFTY in the run, its price stands in for the index
    fut = future()
    gov = RiskGovernor([MarginRule()])
    engine, _ = run({K: lambda ctx, bar: ctx.sell(call.symbol, 65)}, risk=gov,
                    underlyings={}, symbols=symbols | {fut.symbol})  # fmt: skip
    assert not engine.refusals


def test_margin_config_is_checked() -> None:
    with pytest.raises(ValidationError, match="unknown span parameter"):
        MarginConfig(span={"price_scan": 0.05})
    with pytest.raises(ValidationError, match="must be finite and >= 0"):
        MarginConfig(span={"index_price_scan": -0.05})
    with pytest.raises(ValidationError):
        MarginConfig(max_utilisation=1.5)
    assert MarginConfig(span={"index_price_scan": 0.05}).model().params.index_price_scan == 0.05


# ---------------------------------------------------------------------- greeks
def _greeks(**limits: float) -> RiskGovernor:
    return RiskGovernor([GreeksRule(GreeksConfig(enabled=True, **limits))])


def test_max_delta_denies_what_adds_delta_and_passes_what_reduces_it() -> None:
    fut = future()
    actions = {
        K: lambda ctx, bar: ctx.buy(fut.symbol, 65),  # delta 65 > 50: denied
        K + 1: lambda ctx, bar: ctx.sell(fut.symbol, 65),  # delta -65 too
    }
    engine, _ = run(actions, risk=_greeks(max_abs_delta=50))
    assert _reasons(engine) == ["RISK_MAX_DELTA"] * 2
    # from a long lot held (limit 100), a second lot is denied, selling one back passes
    actions = {
        K: lambda ctx, bar: ctx.buy(fut.symbol, 65),
        K + 5: lambda ctx, bar: ctx.buy(fut.symbol, 65),
        K + 6: lambda ctx, bar: ctx.sell(fut.symbol, 65),
    }
    gov = _greeks(max_abs_delta=100)
    engine, _ = run(actions, risk=gov)
    assert _reasons(engine) == ["RISK_MAX_DELTA"]
    assert engine.position_qty(fut.symbol) == 0
    [deny] = [d for d in gov.decisions if d["decision"] == "deny"]
    assert deny["values"]["before"] == pytest.approx(65)
    assert deny["values"]["after"] == pytest.approx(130)


def test_max_delta_notional_is_in_currency() -> None:
    fut = future()
    engine, _ = run({K: lambda ctx, bar: ctx.buy(fut.symbol, 65)},
                    risk=_greeks(max_abs_delta_notional=1_000_000))  # fmt: skip
    assert _reasons(engine) == ["RISK_MAX_DELTA_NOTIONAL"]  # 65 x ~24,000 = 15.6 lakh
    engine, _ = run({K: lambda ctx, bar: ctx.buy(fut.symbol, 65)},
                    risk=_greeks(max_abs_delta_notional=2_000_000))  # fmt: skip
    assert not engine.refusals


def test_max_short_vega_stops_short_straddles_not_long_ones() -> None:
    def sell_straddle(ctx: Context, bar: Bar) -> list[str]:
        return ctx.submit_legs(straddle(options(), bar.close, _now(bar), side=Side.SELL))

    def buy_straddle(ctx: Context, bar: Bar) -> list[str]:
        return ctx.submit_legs(straddle(options(), bar.close, _now(bar), side=Side.BUY))

    gov = _greeks(max_short_vega=500)  # a short ATM straddle: ~2 x 65 x 11 per vol point
    engine, _ = run({K: sell_straddle}, risk=gov)
    assert _reasons(engine) == ["RISK_MAX_SHORT_VEGA"] * 2
    engine, _ = run({K: buy_straddle}, risk=_greeks(max_short_vega=500))
    assert not engine.refusals
    assert len(engine.fills) == 2


# ---------------------------------------------------------------------- profiles
def test_profiles_carry_margin_on_and_greeks_off() -> None:
    cfg = risk_profile("tron-default")
    assert cfg.margin.enabled
    assert not cfg.greeks.enabled
    names = [r.name for r in cfg.rules()]
    assert "margin" in names
    assert "greeks" not in names
    assert "margin" not in [r.name for r in risk_profile("research").rules()]
    on = risk_profile("production", {"greeks": {"enabled": True, "max_abs_delta": 200}})
    assert "greeks" in [r.name for r in on.rules()]
    assert isinstance(build_governor(on), RiskGovernor)
