"""A backtest that trades an iron condor and a future with the SPAN-like margin enforced and
exercise STT charged at expiry.

Seven NSE sessions of the synthetic NIFTY (22-31 Dec 2025) with its synthetic futures and
options (:func:`tronlab.engine.derivatives.derivatives_market`). On the first morning the
strategy sells an iron condor on the 23 Dec weekly, buys a lot of the near future and a deep
in-the-money call of the weekly; a 40-lot naked strangle, far beyond the account's margin, is
refused whole. On 29 Dec it buys a deep in-the-money put of the 30 Dec monthly. Everything is
held into expiry and cash-settled against the index close; the long in-the-money options pay
STT on their intrinsic value.
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import pandas as pd
import pytest

from tronlab.data.calendars import get_calendar
from tronlab.data.synthetic import generate_market
from tronlab.engine.backtest import BacktestConfig, CalendarGate, collect_result
from tronlab.engine.derivatives import derivatives_market
from tronlab.engine.feed import BarSeries, SeriesKey
from tronlab.engine.loop import Engine, EngineConfig
from tronlab.execution.combos import iron_condor, strangle
from tronlab.execution.costs import ZerodhaCosts
from tronlab.model import Instrument, InstrumentKind, OptionRight, Product, Side
from tronlab.options.time import IST
from tronlab.risk.profiles import build_governor, risk_profile
from tronlab.strategy import Bar, Context, Strategy

INDEX = "SYNTH_NIFTY"
WEEKLY, MONTHLY = dt.date(2025, 12, 23), dt.date(2025, 12, 30)
CASH = Decimal(1_000_000)


class CondorAndFuture(Strategy):
    name = "condor_and_future"

    def __init__(self, instruments: dict[str, Instrument]) -> None:
        super().__init__()
        self.insts = instruments
        self.ids: dict[str, list[str]] = {}
        self.done: set[str] = set()

    def _options(self, expiry: dt.date, right: OptionRight | None = None) -> list[Instrument]:
        return sorted(
            (i for i in self.insts.values()
             if i.kind is InstrumentKind.OPT and i.expiry == expiry
             and (right is None or i.right is right)),
            key=lambda i: i.strike or 0,
        )  # fmt: skip

    def on_bar(self, ctx: Context, bar: Bar) -> None:
        if bar.symbol != INDEX:
            return
        local = pd.Timestamp(bar.end_ns, tz="UTC").tz_convert(IST)
        now = local.to_pydatetime()
        if local.date() == dt.date(2025, 12, 22) and local.time() == dt.time(10, 0):
            ic = iron_condor(self._options(WEEKLY), bar.close, now, short_offset=2, wing=2,
                             expiry=WEEKLY, rationale="range day")  # fmt: skip
            self.ids["condor"] = ctx.submit_legs(ic)
            fut = min((i for i in self.insts.values() if i.kind is InstrumentKind.FUT),
                      key=lambda i: i.expiry or dt.date.max)  # fmt: skip
            self.ids["future"] = [ctx.buy(fut.symbol, fut.lot_size, rationale="carry") or ""]
            big = strangle(self._options(WEEKLY), bar.close, now, side=Side.SELL, lots=40,
                           expiry=WEEKLY)  # fmt: skip
            self.ids["strangle"] = ctx.submit_legs(big)
            deep = self._options(WEEKLY, OptionRight.CALL)[0]
            self.ids["itm_call"] = [ctx.buy(deep.symbol, deep.lot_size) or ""]
        if local.date() == dt.date(2025, 12, 29) and local.time() == dt.time(11, 0):
            deep = self._options(MONTHLY, OptionRight.PUT)[-1]
            self.ids["itm_put"] = [ctx.buy(deep.symbol, deep.lot_size) or ""]


def _run(span: bool = True, rule: bool = True) -> tuple[Engine, CondorAndFuture]:
    """The run: SPAN-like margin at the exchange (``span``), the governor's margin rule
    (``rule``)."""
    index = generate_market(seed=7, days=7).bars[INDEX]
    market = derivatives_market(index, INDEX, "both", strikes_each_side=3)
    nse = get_calendar("NSE")
    series = [BarSeries(SeriesKey(s, "1m"), f.reset_index(drop=True), nse)
              for s, f in market.frames.items()]  # fmt: skip
    instruments = {INDEX: _index_instrument(), **market.instruments}
    strategy = CondorAndFuture(market.instruments)
    governor = build_governor(risk_profile("research", {"margin": {"enabled": rule}}))
    engine = Engine(
        strategy, series, instruments, ZerodhaCosts(),
        config=EngineConfig(initial_cash=CASH, product=Product.NRML, timezone="Asia/Kolkata",
                            underlyings=market.underlyings),
        risk=governor, sessions=CalendarGate(dict.fromkeys(market.frames, nse)),
    )  # fmt: skip
    if not span:
        engine.use_fno_margin(None)
    engine.run()
    return engine, strategy


def _index_instrument() -> Instrument:
    from tronlab.model import Venue

    return Instrument.equity(Venue.NSE, INDEX, tick_size=Decimal("0.05"))


@pytest.fixture(scope="module")
def run() -> tuple[Engine, CondorAndFuture]:
    return _run()


def _filled(engine: Engine, ids: list[str]) -> set[str]:
    return {str(f.client_order_id) for f in engine.fills} & set(ids)


def test_the_condor_and_the_future_trade_the_oversized_strangle_is_refused(run: Any) -> None:
    engine, strat = run
    assert engine.exchange.fno_margin is not None  # the SPAN-like margin decides funds
    assert len(_filled(engine, strat.ids["condor"])) == 4
    assert len(_filled(engine, strat.ids["future"])) == 1
    refused = {str(r.client_order_id): r.reason for r in engine.refusals}
    assert [refused[i] for i in strat.ids["strangle"]] == ["RISK_MARGIN"] * 2
    reasons = [r.reason for r in engine.refusals]
    assert reasons == ["RISK_MARGIN"] * 2


def test_the_exchange_refuses_the_strangle_whole_without_the_margin_rule() -> None:
    engine, strat = _run(rule=False)
    refused = {str(r.client_order_id): r.reason for r in engine.refusals}
    assert [refused[i] for i in strat.ids["strangle"]] == ["INSUFFICIENT_FUNDS"] * 2
    assert len(_filled(engine, strat.ids["condor"])) == 4


def test_without_span_the_flat_rate_would_have_let_the_strangle_through() -> None:
    engine, strat = _run(span=False, rule=False)
    assert len(_filled(engine, strat.ids["strangle"])) == 2


def test_everything_is_settled_at_expiry_and_long_itm_options_pay_stt(run: Any) -> None:
    engine, strat = run
    insts = engine.instruments
    kinds = {insts[s.symbol].kind for s in engine.settlements}
    assert kinds == {InstrumentKind.OPT, InstrumentKind.FUT}
    paid = []
    for s in engine.settlements:
        inst = insts[s.symbol]
        if inst.kind is InstrumentKind.OPT and s.quantity > 0 and s.price > 0:
            stt = (Decimal("0.00125") * s.quantity * s.price).quantize(
                Decimal("0.01"), ROUND_HALF_UP
            )
            assert s.fee == stt
            paid.append(s.symbol)
        else:
            assert s.fee == 0  # shorts, worthless options and futures pay nothing here
        assert engine.position_qty(s.symbol) == 0
    itm = [engine.orders.get(strat.ids[k][0]) for k in ("itm_call", "itm_put")]
    assert {o.instrument_id.symbol for o in itm if o is not None} <= set(paid)
    assert len(paid) >= 2


def test_accounts_reconcile_with_the_settlement_fees(run: Any) -> None:
    engine, _ = run
    engine.check_accounts()
    p = engine.portfolio
    settled = sum((s.fee for s in engine.settlements), Decimal(0))
    assert settled > 0
    assert p.fees_paid == sum((f.fee for f in engine.fills), Decimal(0)) + settled
    result = collect_result(engine, BacktestConfig(symbols=(INDEX,)), engine.feed.series, {})
    assert result.summary["fees"] == pytest.approx(float(p.fees_paid), abs=0.01)
    exits = [t for t in result.trades if t.exit_reason and "expiry settlement" in t.exit_reason]
    assert exits
