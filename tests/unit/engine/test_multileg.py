"""Multi-leg orders through the engine: all legs or none, buys first, one risk decision, and
the SPAN-like margin of the combination at the exchange."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from tests.unit.risk.fno_market import INDEX, build, future, options, run

from tronlab.execution.combos import iron_condor
from tronlab.execution.intents import ComboKind, IntentError, MultiLegIntent, OrderIntent
from tronlab.model import OptionRight, Side
from tronlab.options.fno_margin import FnoMargin
from tronlab.risk import RiskDecision, RiskGovernor
from tronlab.strategy import Bar, Context

K = 5  # the index bar the actions run on (09:20 IST, the index near 24,000)


def _now(bar: Bar) -> dt.datetime:
    return dt.datetime.fromtimestamp(bar.end_ns / 1e9, dt.UTC)


def condor(ctx: Context, bar: Bar, lots: int = 1) -> MultiLegIntent:
    return iron_condor(
        options(), bar.close, _now(bar), short_offset=1, wing=1, lots=lots, rationale="range"
    )


def test_an_iron_condor_fills_all_legs_with_buys_sent_first() -> None:
    engine, strat = run({K: lambda ctx, bar: ctx.submit_legs(condor(ctx, bar))})
    ids = strat.results[K]
    assert len(ids) == 4
    assert not engine.refusals
    orders = {str(o.client_order_id): o for o in engine.orders}
    legs = [orders[i] for i in ids]
    sides = [o.side for o in legs]
    assert sides == [Side.BUY, Side.SELL, Side.SELL, Side.BUY]  # put wing, put, call, call wing
    created = sorted(legs, key=lambda o: str(o.client_order_id))
    assert [o.side for o in created] == [Side.BUY, Side.BUY, Side.SELL, Side.SELL]
    assert {f.instrument_id.symbol for f in engine.fills} == {o.instrument_id.symbol for o in legs}
    assert all(f.quantity == 65 for f in engine.fills)
    assert all(o.strategy_id == "fno_script" for o in legs)
    assert legs[0].rationale.startswith("iron_condor long put wing")
    engine.check_accounts()


def test_a_risk_denial_refuses_every_leg() -> None:
    class NoCalls:
        name = "no_calls"

        def check(self, intent: OrderIntent, rctx: Any) -> RiskDecision | None:
            if intent.symbol.endswith("CE"):
                return RiskDecision.deny("NO_CALLS", "calls are off", rule=self.name)
            return None

    gov = RiskGovernor([NoCalls()])
    engine, strat = run({K: lambda ctx, bar: ctx.submit_legs(condor(ctx, bar))}, risk=gov)
    assert len(strat.results[K]) == 4
    assert [r.reason for r in engine.refusals] == ["RISK_NO_CALLS"] * 4
    assert not engine.fills
    assert not list(engine.orders)
    [rec] = [d for d in gov.decisions if d["values"].get("combo") == "iron_condor"]
    assert rec["decision"] == "deny"
    assert rec["reason_code"] == "NO_CALLS"
    assert len(rec["values"]["legs"]) == 4
    assert sum(1 for e in strat.events if e.reason == "RISK_NO_CALLS") == 4


def test_an_unknown_or_expired_leg_refuses_the_combination() -> None:
    [put] = [o for o in options(OptionRight.PUT) if o.strike == 24000]

    def act(ctx: Context, bar: Bar) -> list[str]:
        legs = (
            OrderIntent(put.symbol, Side.BUY, Decimal(65)),
            OrderIntent("NIFTY26JAN99999CE", Side.SELL, Decimal(65)),
        )
        return ctx.submit_legs(MultiLegIntent(legs))

    engine, _ = run({K: act})
    assert [r.reason for r in engine.refusals] == ["UNKNOWN_INSTRUMENT"] * 2
    assert not engine.fills


def _quotes() -> dict[str, Any]:
    """Margin quotes at bar K on an empty book: the condor, its short legs together, and
    each leg alone."""
    out: dict[str, Any] = {}

    def probe(ctx: Context, bar: Bar) -> None:
        eng = ctx._engine  # type: ignore[attr-defined]

        def quote(legs: Any) -> Any:
            return eng.margin_quote([(eng.instrument(x.symbol), x.side, x.quantity, None)
                                     for x in legs])  # fmt: skip

        ic = condor(ctx, bar)
        out["condor"] = quote(ic.legs)
        out["shorts"] = quote([leg for leg in ic.legs if leg.side is Side.SELL])
        out["alone"] = [quote([leg]) for leg in ic.legs]

    run({K: probe})
    return out


def test_a_hedged_condor_needs_less_margin_than_its_legs_alone() -> None:
    q = _quotes()
    alone = sum(x.margin_after for x in q["alone"])
    assert q["condor"].margin_after < alone
    assert q["condor"].margin_after <= q["shorts"].margin_after
    assert [x.margin_after for x in q["alone"]][::3] == [0, 0]  # the wings: premium only
    assert q["condor"].premium == sum(x.premium for x in q["alone"]) > 0
    assert q["condor"].needed == q["condor"].margin_after + q["condor"].premium


def test_the_exchange_funds_the_combination_all_or_none() -> None:
    need = _quotes()["condor"].needed
    short = (need - 1000).quantize(Decimal(1))
    engine, _ = run({K: lambda ctx, bar: ctx.submit_legs(condor(ctx, bar))}, cash=short)
    assert [r.reason for r in engine.refusals] == ["INSUFFICIENT_FUNDS"] * 4
    assert not list(engine.orders)
    assert not engine.fills

    def one_by_one(ctx: Context, bar: Bar) -> None:
        for leg in condor(ctx, bar).submission_order():
            (ctx.buy if leg.side is Side.BUY else ctx.sell)(leg.symbol, leg.quantity)

    engine, strat = run({K: one_by_one}, cash=short)  # not as a combination: a partial condor
    rejected = [e for e in strat.events if e.status.value == "REJECTED"]
    assert [e.reason for e in rejected] == ["INSUFFICIENT_FUNDS"]
    assert len(engine.fills) == 3
    engine, _ = run({K: lambda ctx, bar: ctx.submit_legs(condor(ctx, bar))}, cash=need + 1000)
    assert not engine.refusals
    assert len(engine.fills) == 4


def test_span_margin_decides_a_single_short_option_order() -> None:
    [call] = [o for o in options(OptionRight.CALL) if o.strike == 24000]
    sell = {K: lambda ctx, bar: ctx.sell(call.symbol, 65)}
    engine, strat = run(sell, cash=60_000)  # a short ATM call needs ~1 lakh of margin
    assert [e.reason for e in strat.events if e.status.value == "REJECTED"] == [
        "INSUFFICIENT_FUNDS"
    ]
    assert not engine.fills
    flat, _ = build(sell, cash=60_000)
    flat.use_fno_margin(None)  # the flat rate (1 x premium value) lets it through
    flat.run()
    assert len(flat.fills) == 1


def test_a_long_option_needs_only_its_premium() -> None:
    [call] = [o for o in options(OptionRight.CALL) if o.strike == 24000]

    def probe(ctx: Context, bar: Bar) -> Any:
        eng = ctx._engine  # type: ignore[attr-defined]
        return eng.margin_quote([(call, Side.BUY, Decimal(65), None)]), ctx.last_price(call.symbol)

    _, strat = run({K: probe})
    quote, last = strat.results[K]
    assert quote.needed == quote.premium == Decimal(65) * Decimal(repr(last))
    assert quote.margin_after == quote.margin_before == 0


def test_a_future_is_margined_with_span() -> None:
    fut = future()

    def probe(ctx: Context, bar: Bar) -> Any:
        eng = ctx._engine  # type: ignore[attr-defined]
        return eng.margin_quote([(fut, Side.BUY, Decimal(65), None)]), ctx.last_price(INDEX)

    _, strat = run({K: probe})
    quote, spot = strat.results[K]
    # 6% scan + 2% exposure of the notional at the index level (the forward of the book)
    assert float(quote.needed) == pytest.approx(0.08 * 65 * spot, abs=0.01)
    assert isinstance(FnoMargin(), FnoMargin)


def test_multi_leg_intents_validate() -> None:
    leg = OrderIntent("A", Side.BUY, Decimal(1))
    with pytest.raises(IntentError, match="each symbol once"):
        MultiLegIntent((leg, leg))
    with pytest.raises(IntentError, match="at least one leg"):
        MultiLegIntent(())
    with pytest.raises(IntentError, match="confidence"):
        MultiLegIntent((leg,), confidence=1.5)
    combo = MultiLegIntent([leg, OrderIntent("B", Side.SELL, Decimal(1))], "vertical")
    assert combo.strategy is ComboKind.VERTICAL
    assert combo.for_strategy("s").legs[1].strategy_id == "s"
    assert [x.symbol for x in combo.submission_order()] == ["A", "B"]
