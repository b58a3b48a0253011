"""An options backtest end to end: index + synthetic option and futures series, Zerodha costs.

A small EMA-cross strategy on the synthetic NIFTY buys one lot of the nearest ATM call on a
long signal and closes it on the opposite signal (or lets it expire on its expiry day). Probes
in the strategy make the edge cases certain: an odd-lot order (refused, LOT), a futures lot
held into expiry, an ATM put bought on each expiry day and held into the close (settled at
intrinsic value against the index close), and an order in an expired contract (refused).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pandas as pd
import pytest

from tronlab.data.calendars import get_calendar
from tronlab.data.fno import ExpiryCalendar, fno_universe
from tronlab.data.fno.futures import synthetic_futures
from tronlab.data.synthetic import generate_market
from tronlab.engine.backtest import BacktestConfig, CalendarGate, collect_result
from tronlab.engine.feed import BarSeries, SeriesKey
from tronlab.engine.loop import Engine, EngineConfig
from tronlab.execution.costs import ZerodhaCosts
from tronlab.model import Instrument, InstrumentKind, OptionRight, Product, Venue
from tronlab.options.bars import option_bars
from tronlab.options.surface import FlatVol
from tronlab.options.time import IST, expiry_instant
from tronlab.strategy import Bar, Context, Param, Strategy

INDEX = "SYNTH_NIFTY"
SESSIONS = 7  # 2025-12-22 .. 2025-12-31 (NSE): weekly expiry 23 Dec, monthly 30 Dec
SURFACE = FlatVol(0.15)


def _ns(ts: dt.datetime) -> int:
    return int(ts.timestamp() * 1_000_000_000)


class EmaCrossCalls(Strategy):
    """Long the nearest ATM call while the fast EMA of the index is above the slow one."""

    name = "ema_cross_calls"
    fast = Param(int, 10, low=2, high=200, doc="fast EMA length (index bars)")
    slow = Param(int, 40, low=3, high=500, doc="slow EMA length (index bars)")

    def __init__(self, contracts: dict[str, Instrument], future: Instrument, **params: Any) -> None:
        super().__init__(**params)
        self.contracts = contracts
        self.future = future
        self.calls = [i for i in contracts.values() if i.right is OptionRight.CALL]
        self.puts = [i for i in contracts.values() if i.right is OptionRight.PUT]
        self.fast_ema: float | None = None
        self.slow_ema: float | None = None
        self.held: str | None = None
        self.seen = 0
        self.days: list[dt.date] = []
        self.probed: set[str] = set()

    # ---------------------------------------------------------------- helpers
    @staticmethod
    def _close_ns(inst: Instrument) -> int:
        assert inst.expiry is not None
        return _ns(expiry_instant(inst.expiry))

    def _atm(self, pool: list[Instrument], level: float, now_ns: int) -> Instrument | None:
        live = [i for i in pool if self._close_ns(i) - now_ns > 15 * 60 * 1_000_000_000]
        if not live:
            return None
        nearest = min(i.expiry for i in live if i.expiry is not None)
        same = [i for i in live if i.expiry == nearest]
        return min(same, key=lambda i: (abs(float(i.strike or 0) - level), i.symbol))

    # ---------------------------------------------------------------- hooks
    def on_bar(self, ctx: Context, bar: Bar) -> None:
        if bar.symbol != INDEX:
            return
        now = pd.Timestamp(bar.end_ns, tz="UTC").tz_convert(IST)
        day = now.date()
        self._probes(ctx, bar, now, day)
        if self.held is not None and self._close_ns(self.contracts[self.held]) <= bar.end_ns:
            self.held = None  # expired (settled by the engine)
        a_fast, a_slow = 2 / (self.fast + 1), 2 / (self.slow + 1)
        prev = None
        if self.fast_ema is None or self.slow_ema is None:
            self.fast_ema = self.slow_ema = bar.close
        else:
            prev = self.fast_ema - self.slow_ema
            self.fast_ema += a_fast * (bar.close - self.fast_ema)
            self.slow_ema += a_slow * (bar.close - self.slow_ema)
        self.seen += 1
        if prev is None or self.seen < self.slow:
            return
        diff = self.fast_ema - self.slow_ema
        if prev <= 0 < diff and self.held is None:
            inst = self._atm(self.calls, bar.close, bar.end_ns)
            if inst is not None:
                ctx.buy(inst.symbol, inst.lot_size, rationale="fast EMA crossed above slow")
                self.held = inst.symbol
        elif prev >= 0 > diff and self.held is not None:
            inst = self.contracts[self.held]
            if inst.expiry != day:  # on its expiry day the call is left to expire
                ctx.close(self.held, rationale="fast EMA crossed below slow")
                self.held = None

    def _probes(self, ctx: Context, bar: Bar, now: pd.Timestamp, day: dt.date) -> None:
        if not self.days or self.days[-1] != day:
            self.days.append(day)
        if "start" not in self.probed:  # first bar: an odd lot (refused) and a futures lot
            self.probed.add("start")
            odd = self._atm(self.calls, bar.close, bar.end_ns)
            assert odd is not None
            ctx.buy(odd.symbol, odd.lot_size - 1, rationale="probe: not a whole lot")
            fut = self.future
            ctx.buy(fut.symbol, fut.lot_size, rationale="probe: futures lot held to expiry")
        expiring = [i for i in self.puts if i.expiry == day]
        if expiring and now.time() == dt.time(14, 0) and f"put{day}" not in self.probed:
            self.probed.add(f"put{day}")
            put = min(expiring, key=lambda i: (abs(float(i.strike or 0) - bar.close), i.symbol))
            ctx.buy(put.symbol, put.lot_size, rationale="probe: ATM put held into expiry")
        if len(self.days) >= 3 and "expired" not in self.probed:
            dead = [i for i in self.puts if self._close_ns(i) < bar.start_ns]
            if dead:
                self.probed.add("expired")
                ctx.buy(dead[0].symbol, dead[0].lot_size, rationale="probe: expired contract")


def _build() -> tuple[dict[str, pd.DataFrame], dict[str, Instrument], str]:
    market = generate_market(seed=7, days=SESSIONS)
    index = market.bars[INDEX]
    days = pd.to_datetime(index["timestamp"], utc=True).dt.tz_convert(IST).dt.date
    first, last = days.iloc[0], days.iloc[-1]
    cal = ExpiryCalendar()
    in_range = cal.expiries_between("NIFTY", first, last + dt.timedelta(days=7))
    frames: dict[str, pd.DataFrame] = {INDEX: index}
    instruments: dict[str, Instrument] = {
        INDEX: Instrument.equity(Venue.NSE, INDEX, tick_size=Decimal("0.05"))
    }
    for expiry in in_range[:3]:
        # strikes around the index at the expiry day's open (the last close beyond the data)
        on_day = index.loc[(days == expiry.date).to_numpy(), "open"]
        spot = float(on_day.iloc[0]) if len(on_day) else float(index["close"].iloc[-1])
        universe = fno_universe(
            first, {"NIFTY": spot}, 2, option_expiries=len(in_range[:3]), futures_months=0
        )
        for inst in universe:
            if inst.expiry == expiry.date:
                frames[inst.symbol] = option_bars(index, inst, SURFACE)
                instruments[inst.symbol] = inst
    futures = fno_universe(first, {"NIFTY": float(index["open"].iloc[0])}, 0, futures_months=1)
    [fut] = [i for i in futures if i.kind is InstrumentKind.FUT]
    frames[fut.symbol] = synthetic_futures(index, "NIFTY")[fut.symbol]
    instruments[fut.symbol] = fut
    return frames, instruments, fut.symbol


def _run() -> tuple[Engine, dict[str, pd.DataFrame], dict[str, Instrument]]:
    frames, instruments, fut = _build()
    nse = get_calendar("NSE")
    series = [
        BarSeries(SeriesKey(sym, "1m"), frame.reset_index(drop=True), nse)
        for sym, frame in frames.items()
    ]
    options = {s: i for s, i in instruments.items() if i.kind is InstrumentKind.OPT}
    strategy = EmaCrossCalls(options, instruments[fut], fast=10, slow=40)
    engine = Engine(
        strategy,
        series,
        instruments,
        ZerodhaCosts(),
        config=EngineConfig(
            initial_cash=Decimal(50_000_000),
            product=Product.NRML,
            timezone="Asia/Kolkata",
            underlyings={"NIFTY": INDEX},
        ),
        sessions=CalendarGate(dict.fromkeys(frames, nse)),
    )
    engine.run()
    return engine, frames, instruments


@pytest.fixture(scope="module")
def run() -> tuple[Engine, dict[str, pd.DataFrame], dict[str, Instrument]]:
    return _run()


def _index_closes_on(frames: dict[str, pd.DataFrame], day: dt.date) -> list[Decimal]:
    index = frames[INDEX]
    days = pd.to_datetime(index["timestamp"], utc=True).dt.tz_convert(IST).dt.date
    return [Decimal(repr(float(c))) for c in index.loc[(days == day).to_numpy(), "close"]]


def test_contracts_carry_the_lot_of_their_expiry(run: Any) -> None:
    _, _, instruments = run
    lots = {i.expiry: i.lot_size for i in instruments.values() if i.kind is InstrumentKind.OPT}
    assert lots == {dt.date(2025, 12, 23): 75, dt.date(2025, 12, 30): 75, dt.date(2026, 1, 6): 65}


def test_fills_are_whole_lots_and_pay_fees(run: Any) -> None:
    engine, _, instruments = run
    assert len(engine.fills) >= 4
    option_fills = [f for f in engine.fills if f.instrument_id.symbol in instruments]
    assert any(instruments[f.instrument_id.symbol].kind is InstrumentKind.OPT for f in option_fills)
    for f in engine.fills:
        lot = instruments[f.instrument_id.symbol].lot_size
        assert f.quantity % lot == 0, f
        assert f.fee > 0, f
        if instruments[f.instrument_id.symbol].kind is InstrumentKind.OPT:
            assert f.fee >= Decimal(20), f  # Zerodha F&O brokerage: Rs 20 per executed order
    reasons = [r.reason for r in engine.refusals]
    assert reasons.count("LOT") == 1
    assert reasons.count("INSTRUMENT_EXPIRED") == 1


def test_accounts_reconcile(run: Any) -> None:
    engine, _, _ = run
    engine.check_accounts()
    result = collect_result(engine, BacktestConfig(symbols=(INDEX,)), engine.feed.series, {})
    assert result.summary["settlements"] == len(engine.settlements)
    assert result.summary["fees"] > 0


def test_expiry_settles_at_intrinsic_value_against_the_index(run: Any) -> None:
    engine, frames, instruments = run
    kinds = {instruments[s.symbol].kind for s in engine.settlements}
    assert kinds == {InstrumentKind.OPT, InstrumentKind.FUT}
    puts = 0
    for s in engine.settlements:
        inst = instruments[s.symbol]
        assert inst.expiry is not None
        assert s.ts == expiry_instant(inst.expiry)
        assert s.source == "underlying"  # NIFTY -> SYNTH_NIFTY through EngineConfig.underlyings
        # the index's last price at the expiry close: its 15:29 bar close, or its 15:28 one
        assert s.underlying_price == _index_closes_on(frames, inst.expiry)[-1]
        u = s.underlying_price
        assert u is not None
        if inst.kind is InstrumentKind.FUT:
            assert s.price == u
        elif inst.right is OptionRight.CALL:
            assert s.price == max(u - Decimal(inst.strike), Decimal(0))
        else:
            puts += 1
            assert s.price == max(Decimal(inst.strike) - u, Decimal(0))
        assert engine.is_expired(s.symbol)
        assert engine.position_qty(s.symbol) == 0
    assert puts == 2  # the ATM put bought on each expiry day (23 and 30 Dec)


def test_expiry_settles_against_the_days_closing_index_value(run: Any) -> None:
    engine, frames, instruments = run
    for s in engine.settlements:
        expiry = instruments[s.symbol].expiry
        assert s.underlying_price == _index_closes_on(frames, expiry)[-1]


def test_option_bars_end_at_the_expiry_close(run: Any) -> None:
    _, frames, instruments = run
    for sym, inst in instruments.items():
        if inst.kind is not InstrumentKind.OPT or inst.expiry is None:
            continue
        frame = frames[sym]
        assert (frame["timestamp"] < pd.Timestamp(expiry_instant(inst.expiry))).all()
        assert (frame["low"] >= 0.05).all()
        assert (frame["low"] <= frame[["open", "close"]].min(axis=1)).all()
        assert (frame["high"] >= frame[["open", "close"]].max(axis=1)).all()


def test_the_run_is_deterministic(run: Any) -> None:
    engine, _, _ = run
    again, _, _ = _run()

    def key(e: Engine) -> list[tuple[Any, ...]]:
        return [
            (f.client_order_id, f.instrument_id.symbol, f.side, f.quantity, f.price, f.fee, f.ts)
            for f in e.fills
        ]

    assert key(engine) == key(again)
    assert engine.settlements == again.settlements
    assert engine.portfolio.cash == again.portfolio.cash
