"""Test helpers: hand-made bars and a strategy that places scripted orders at given bars."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

import pandas as pd

from tronlab.data.calendars import get_calendar
from tronlab.engine.backtest import CalendarGate
from tronlab.engine.feed import BarSeries, SeriesKey
from tronlab.engine.loop import Engine, EngineConfig
from tronlab.execution.costs import ZeroCost
from tronlab.execution.fill_model import FillConfig
from tronlab.model import Instrument, Product, Side, Venue
from tronlab.strategy import Bar, Context, Strategy

# A Monday session of NSE: 09:15 IST = 03:45 UTC.
SESSION_OPEN = pd.Timestamp("2025-01-06 09:15", tz="Asia/Kolkata")


def bars(
    rows: Sequence[tuple[float, float, float, float] | tuple[float, float, float, float, float]],
    start: pd.Timestamp = SESSION_OPEN,
    freq: str = "1min",
) -> pd.DataFrame:
    """Bars from (open, high, low, close[, volume]) rows, one minute apart from ``start``."""
    data = [r if len(r) == 5 else (*r, 1_000_000.0) for r in rows]
    return pd.DataFrame(
        {
            "timestamp": pd.date_range(start, periods=len(data), freq=freq).tz_convert("UTC"),
            "open": [r[0] for r in data],
            "high": [r[1] for r in data],
            "low": [r[2] for r in data],
            "close": [r[3] for r in data],
            "volume": [r[4] for r in data],
        }
    )


class Scripted(Strategy):
    """Places the orders of ``script`` (bar index -> list of (method, args, kwargs))."""

    name = "scripted"

    def __init__(
        self, script: dict[int, list[tuple[str, tuple[Any, ...], dict[str, Any]]]]
    ) -> None:
        super().__init__()
        self.script = script
        self.ids: dict[int, list[str | None]] = {}
        self.fills: list[Any] = []
        self.events: list[Any] = []
        self.seen: list[int] = []

    def on_bar(self, ctx: Context, bar: Bar) -> None:
        self.seen.append(bar.index)
        for method, args, kwargs in self.script.get(bar.index, []):
            self.ids.setdefault(bar.index, []).append(getattr(ctx, method)(*args, **kwargs))

    def on_fill(self, ctx: Context, fill: Any) -> None:
        self.fills.append(fill)

    def on_order_event(self, ctx: Context, event: Any) -> None:
        self.events.append(event)


def instrument(symbol: str = "TEST", tick: str = "0.05", lot: int = 1) -> Instrument:
    if lot > 1:
        return Instrument.future(
            Venue.NFO,
            symbol,
            underlying="NIFTY",
            expiry=pd.Timestamp("2025-01-30").date(),
            tick_size=Decimal(tick),
            lot_size=lot,
        )
    return Instrument.equity(Venue.NSE, symbol, tick_size=Decimal(tick))


def run(
    rows: Sequence[tuple[float, ...]],
    script: dict[int, list[tuple[str, tuple[Any, ...], dict[str, Any]]]],
    *,
    fill: FillConfig | None = None,
    cash: str = "1000000",
    fees: Any = None,
    inst: Instrument | None = None,
    frame: pd.DataFrame | None = None,
    calendar: bool = True,
    product: Product | None = None,
    risk: Any = None,
) -> tuple[Engine, Scripted]:
    inst = inst or instrument()
    cal = get_calendar("NSE") if calendar else None
    df = frame if frame is not None else bars(rows)  # type: ignore[arg-type]
    series = BarSeries(SeriesKey(inst.symbol, "1m"), df, cal)
    strat = Scripted(script)
    engine = Engine(
        strat,
        [series],
        {inst.symbol: inst},
        fees or ZeroCost(),
        config=EngineConfig(
            initial_cash=Decimal(cash),
            fill=fill or FillConfig(),
            product=product,
            timezone="Asia/Kolkata",
        ),
        sessions=CalendarGate({inst.symbol: cal}),
        risk=risk,
    )
    engine.run()
    return engine, strat


def order(method: str, *args: Any, **kwargs: Any) -> tuple[str, tuple[Any, ...], dict[str, Any]]:
    return (method, args, kwargs)


def fills_table(engine: Engine) -> list[tuple[str, float, float]]:
    """(side, qty, price) of every fill."""
    return [
        ("B" if f.side is Side.BUY else "S", float(f.quantity), float(f.price))
        for f in engine.fills
    ]
