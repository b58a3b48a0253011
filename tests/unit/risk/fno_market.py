"""Test helpers for F&O: one session of the synthetic NIFTY (31 Dec 2025) with options of
the 6 Jan 2026 weekly expiry (lot 65) and the January future, and a strategy that runs
scripted actions on given index bars."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from functools import cache
from typing import Any

import pandas as pd

from tronlab.data.calendars import get_calendar
from tronlab.data.fno import fno_universe
from tronlab.data.fno.futures import synthetic_futures
from tronlab.data.synthetic import generate_market
from tronlab.engine.backtest import CalendarGate
from tronlab.engine.feed import BarSeries, SeriesKey
from tronlab.engine.loop import Engine, EngineConfig
from tronlab.execution.costs import ZerodhaCosts
from tronlab.model import Instrument, InstrumentKind, OptionRight, Product, Venue
from tronlab.options.bars import option_bars
from tronlab.options.surface import FlatVol
from tronlab.risk import PreTradeRisk
from tronlab.strategy import Bar, Context, Strategy

INDEX = "SYNTH_NIFTY"
EXPIRY = dt.date(2026, 1, 6)
Action = Callable[[Context, Bar], Any]


@cache
def market() -> tuple[dict[str, pd.DataFrame], dict[str, Instrument]]:
    """Frames and instruments: the index, 9 strikes x CE/PE of the weekly, one future."""
    index = generate_market(seed=7, days=1).bars[INDEX]
    day = dt.date(2025, 12, 31)
    spot = float(index["open"].iloc[0])
    frames: dict[str, pd.DataFrame] = {INDEX: index}
    instruments = {INDEX: Instrument.equity(Venue.NSE, INDEX, tick_size=Decimal("0.05"))}
    for inst in fno_universe(day, {"NIFTY": spot}, 4, option_expiries=1, futures_months=1):
        if inst.kind is InstrumentKind.OPT:
            assert inst.expiry == EXPIRY
            frames[inst.symbol] = option_bars(index, inst, FlatVol(0.15))
        else:
            fut_frames = synthetic_futures(index, "NIFTY")
            if inst.symbol not in fut_frames:
                continue
            frames[inst.symbol] = fut_frames[inst.symbol].drop(columns=["oi"])
        instruments[inst.symbol] = inst
    return frames, instruments


def options(right: OptionRight | None = None) -> list[Instrument]:
    _, insts = market()
    out = [i for i in insts.values() if i.kind is InstrumentKind.OPT]
    return sorted(
        (i for i in out if right is None or i.right is right), key=lambda i: (i.strike, i.symbol)
    )


def future() -> Instrument:
    _, insts = market()
    [fut] = [i for i in insts.values() if i.kind is InstrumentKind.FUT]
    return fut


class Script(Strategy):
    """Runs ``actions[k](ctx, bar)`` on the k-th index bar; keeps what they return."""

    name = "fno_script"

    def __init__(self, actions: dict[int, Action]) -> None:
        super().__init__()
        self.actions = actions
        self.k = -1
        self.results: dict[int, Any] = {}
        self.events: list[Any] = []

    def on_bar(self, ctx: Context, bar: Bar) -> None:
        if bar.symbol != INDEX:
            return
        self.k += 1
        action = self.actions.get(self.k)
        if action is not None:
            self.results[self.k] = action(ctx, bar)

    def on_order_event(self, ctx: Context, event: Any) -> None:
        self.events.append(event)


def build(
    actions: dict[int, Action],
    *,
    cash: Decimal | int = 50_000_000,
    risk: PreTradeRisk | None = None,
    underlyings: dict[str, str] | None = None,
    symbols: set[str] | None = None,
    extra: dict[str, Instrument] | None = None,
) -> tuple[Engine, Script]:
    """An engine over :func:`market` (``symbols`` limits the series; ``extra`` instruments
    have none) running ``actions``."""
    frames, instruments = market()
    if symbols is not None:
        frames = {s: f for s, f in frames.items() if s in symbols}
        instruments = {s: i for s, i in instruments.items() if s in symbols}
    instruments = {**instruments, **(extra or {})}
    nse = get_calendar("NSE")
    series = [
        BarSeries(SeriesKey(s, "1m"), f.reset_index(drop=True), nse) for s, f in frames.items()
    ]
    strategy = Script(actions)
    engine = Engine(
        strategy,
        series,
        instruments,
        ZerodhaCosts(),
        config=EngineConfig(
            initial_cash=Decimal(cash),
            product=Product.NRML,
            timezone="Asia/Kolkata",
            underlyings={"NIFTY": INDEX} if underlyings is None else underlyings,
        ),
        risk=risk,
        sessions=CalendarGate(dict.fromkeys(frames, nse)),
    )
    return engine, strategy


def run(actions: dict[int, Action], **kwargs: Any) -> tuple[Engine, Script]:
    engine, strategy = build(actions, **kwargs)
    engine.run()
    return engine, strategy
