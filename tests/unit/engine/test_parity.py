"""Parity: the vectorised fast path gives the event engine's trades, fills, fees and PnL for
the same signals (market orders at the next open, fixed size, with costs)."""

from __future__ import annotations

from decimal import Decimal
from functools import cache

import numpy as np
import pandas as pd
import pytest

from tronlab.data.synthetic import generate_market
from tronlab.engine.feed import BarSeries, SeriesKey
from tronlab.engine.loop import Engine, EngineConfig
from tronlab.engine.vector import simulate, sma_cross_signals
from tronlab.execution.costs import PercentCost, ZerodhaCosts
from tronlab.execution.fill_model import FillConfig
from tronlab.model import Instrument, Product, Side, Venue
from tronlab.strategy.library.sma_cross import SmaCross

INST = Instrument.equity(Venue.NSE, "SYNTH_HDFC", tick_size=Decimal("0.05"))
FAST, SLOW, QTY, TICK = 5, 20, 10, 0.05


@cache
def frame() -> pd.DataFrame:
    return generate_market(seed=5, days=6).bars["SYNTH_HDFC"]


def _event(costs, fill: str) -> Engine:
    series = BarSeries(SeriesKey("SYNTH_HDFC", "1m"), frame(), None)  # no session gate
    engine = Engine(
        SmaCross(fast=FAST, slow=SLOW, quantity=QTY, tick=TICK),
        [series],
        {"SYNTH_HDFC": INST},
        costs,
        config=EngineConfig(fill=FillConfig(market_fill=fill), product=Product.MIS),  # type: ignore[arg-type]
    )
    engine.run()
    return engine


@pytest.mark.parametrize("fill", ["next_open", "close"])
@pytest.mark.parametrize("costs", ["percent", "zerodha"])
def test_vector_equals_event(fill: str, costs: str) -> None:
    df = frame()
    o, h, lo, c = (df[k].to_numpy() for k in ("open", "high", "low", "close"))
    starts = pd.DatetimeIndex(df["timestamp"]).as_unit("ns")
    model = PercentCost(Decimal("0.0003")) if costs == "percent" else ZerodhaCosts()

    def fees(side, qty, price, bar):
        # the same cost model, fill by fill, at the fill's time (bar start or bar end)
        out = []
        for s, q, p, b in zip(side, qty, price, bar, strict=True):
            ts = starts[b] + (pd.Timedelta(minutes=1) if fill == "close" else pd.Timedelta(0))
            out.append(float(model.fee(INST, Side.BUY if s > 0 else Side.SELL,
                                       Decimal(int(q)), Decimal(repr(float(p))), Product.MIS,
                                       ts.to_pydatetime())))  # fmt: skip
        return np.array(out)

    entries, exits = sma_cross_signals(c, FAST, SLOW, tick=TICK)
    vec = simulate(o, h, lo, c, entries, exits, quantity=QTY, fill=fill, fees=fees)  # type: ignore[arg-type]
    ev = _event(model, fill)

    got = [
        (int(f["bar_index"]), int(f["side"]), float(f["qty"]), float(f["price"]), float(f["fee"]))
        for f in vec.fills
    ]
    index = {t: i for i, t in enumerate(starts.asi8)}
    want = []
    for f in ev.fills:
        ts = pd.Timestamp(f.ts).as_unit("ns").value
        bar = index[ts] if fill == "next_open" else index[ts - 60_000_000_000]
        sign = 1 if f.side is Side.BUY else -1
        want.append((bar, sign, float(f.quantity), float(f.price), float(f.fee)))
    assert len(want) > 20
    assert got == want
    assert vec.trade_count == sum(1 for f in ev.fills if f.side is Side.BUY)
    assert vec.final_equity == pytest.approx(float(ev.portfolio.equity), abs=1e-6)
    assert vec.fees_total == pytest.approx(float(ev.portfolio.fees_paid), abs=1e-6)
