"""Expiry: options settle at intrinsic value against the underlying's close, futures at the
underlying, working orders end, later orders are refused, and the books still reconcile."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pandas as pd
import pytest
from tests.unit.engine.scripted import SESSION_OPEN, Scripted, bars, order

from tronlab.data.calendars import get_calendar
from tronlab.engine.backtest import CalendarGate, collect_result
from tronlab.engine.feed import BarSeries, SeriesKey
from tronlab.engine.loop import Engine, EngineConfig
from tronlab.execution.costs import ZeroCost
from tronlab.model import Instrument, OptionRight, OrderStatus, TimeInForce, Venue

EXPIRY = date(2025, 1, 7)  # the second session of the frame below (Tuesday)


class OnlyOn(Scripted):
    """The scripted orders, on the bars of one symbol only."""

    def __init__(self, symbol: str, script: dict) -> None:  # type: ignore[type-arg]
        super().__init__(script)
        self.only = symbol

    def on_bar(self, ctx, bar):
        if bar.symbol == self.only:
            super().on_bar(ctx, bar)


def _frame(closes: list[float], start: pd.Timestamp) -> pd.DataFrame:
    return bars([(c, c + 1, c - 1, c) for c in closes], start=start)


def _run(
    option: Instrument,
    index_close: float,
    script: dict,
    on: str | None = None,  # type: ignore[type-arg]
) -> Engine:
    day1 = SESSION_OPEN + pd.Timedelta(minutes=370)  # 15:25 IST Monday: 5 bars to the close
    day2 = day1 + pd.Timedelta(days=1)
    day3 = SESSION_OPEN + pd.Timedelta(days=2)  # Wednesday morning: the index trades on
    idx = pd.concat(
        [
            _frame([24000.0] * 5, day1),
            _frame([index_close] * 5, day2),
            _frame([index_close] * 3, day3),
        ]
    )
    opt = pd.concat([_frame([100.0] * 5, day1), _frame([150.0] * 5, day2)])
    nse = get_calendar("NSE")
    series = [
        BarSeries(SeriesKey("NIFTY50", "1m"), idx.reset_index(drop=True), nse),
        BarSeries(SeriesKey(option.symbol, "1m"), opt.reset_index(drop=True), nse),
    ]
    index = Instrument.equity(Venue.NSE, "NIFTY50", tick_size=Decimal("0.05"))
    engine = Engine(
        OnlyOn(on or option.symbol, script),
        series,
        {"NIFTY50": index, option.symbol: option},
        ZeroCost(),
        config=EngineConfig(
            timezone="Asia/Kolkata", underlyings={"NIFTY": "NIFTY50"}, initial_cash=Decimal(10**6)
        ),
        sessions=CalendarGate({"NIFTY50": nse, option.symbol: nse}),
    )
    engine.run()
    return engine


def _option(strike: int, right: OptionRight) -> Instrument:
    return Instrument.option(
        Venue.NFO, f"NIFTY25107{strike}{'CE' if right is OptionRight.CALL else 'PE'}",
        underlying="NIFTY", expiry=EXPIRY, strike=Decimal(strike), right=right,
        tick_size=Decimal("0.05"), lot_size=75,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("strike", "right", "index_close", "price"),
    [
        (24000, OptionRight.CALL, 24130.5, Decimal("130.5")),  # in the money
        (24200, OptionRight.CALL, 24130.5, Decimal(0)),  # expires worthless
        (24200, OptionRight.PUT, 24130.5, Decimal("69.5")),
    ],
)
def test_long_option_settles_at_intrinsic_value(
    strike: int, right: OptionRight, index_close: float, price: Decimal
) -> None:
    opt = _option(strike, right)
    # buy 2 lots on Monday's 15:25 bar (fills at 15:26 open = 100)
    engine = _run(opt, index_close, {0: [order("buy", opt.symbol, 150)]})
    [s] = engine.settlements
    assert (s.symbol, s.quantity, s.price, s.source) == (opt.symbol, 150, price, "underlying")
    pos = engine.portfolio.positions[opt.id]
    assert pos.quantity == 0
    assert pos.realized_pnl == (price - 100) * 150
    assert engine.portfolio.cash == Decimal(10**6) - 150 * 100 + 150 * price
    engine.check_accounts()
    result = collect_result(engine, _cfg(), engine.feed.series, {"x": None})
    [trade] = result.trades
    assert trade.exit_price == price
    assert trade.exit_reason.startswith("expiry settlement")
    assert result.summary["settlements"] == 1


def test_orders_after_expiry_are_refused_and_working_orders_end() -> None:
    opt = _option(24000, OptionRight.CALL)
    script = {
        # (index bars) a GTC limit far below the market rests until the contract expires
        0: [order("buy", opt.symbol, 75, limit=50.0, tif=TimeInForce.GTC)],
        11: [order("buy", opt.symbol, 75)],  # Wednesday, after the expiry: refused
    }
    engine = _run(opt, 24100.0, script, on="NIFTY50")
    [resting] = [o for o in engine.orders if o.order_type.value == "LIMIT"]
    assert resting.status is OrderStatus.EXPIRED
    assert resting.events[-1].reason == "CONTRACT_EXPIRED"
    assert [r.reason for r in engine.refusals] == ["INSTRUMENT_EXPIRED"]
    assert engine.settlements == []  # nothing was held


def _cfg():
    from tronlab.engine.backtest import BacktestConfig

    return BacktestConfig(symbols=("NIFTY50",))
