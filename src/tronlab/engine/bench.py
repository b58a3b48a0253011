"""The peer benchmark workload on the event engine (see ``benchmarks/``).

SMA(fast)/SMA(slow) crossover, long only, fixed quantity, on one instrument of 1-minute bars
with prices on a 0.01 grid; commission as a fraction of notional per fill. The whole event
path runs: merged feed, exchange matching, risk hop, order manager, Decimal accounting and
the accounting check at the end.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Literal

import pandas as pd

from tronlab.engine.feed import BarSeries, SeriesKey
from tronlab.engine.loop import Engine, EngineConfig
from tronlab.execution.costs import PercentCost, ZeroCost
from tronlab.execution.fill_model import FillConfig
from tronlab.model import Instrument, Venue
from tronlab.risk import RiskGovernor
from tronlab.risk.profiles import build_governor, risk_profile
from tronlab.strategy.library.sma_cross import SmaCross


def bench_frame(df: pd.DataFrame) -> pd.DataFrame:
    """The peer data (``ts`` in ns UTC) as a canonical bar frame."""
    out = df.rename(columns={"ts": "timestamp"})
    out["timestamp"] = pd.to_datetime(out["timestamp"], utc=True)
    return out[["timestamp", "open", "high", "low", "close", "volume"]]


def run_sma_cross_event(
    df: pd.DataFrame,
    fast: int = 10,
    slow: int = 50,
    qty: int = 100,
    cash: float = 1_000_000.0,
    commission: float = 0.0,
    fill: Literal["close", "next_open"] = "close",
    risk: bool = False,
) -> tuple[int, float]:
    """Run the workload; returns (number of BUY fills, final equity - initial cash).

    ``risk=True`` runs every rule of the risk governor on the hop with limits that never
    bind on this workload (so the trades stay those of the reference): the cost of the
    governor itself, measured."""
    frame = bench_frame(df) if "ts" in df.columns else df
    series = BarSeries(SeriesKey("BENCH", "1m"), frame, None)
    inst = Instrument.equity(Venue.US, "BENCH", tick_size=Decimal("0.01"))
    fees = PercentCost(Decimal(repr(commission))) if commission else ZeroCost()
    governor = bench_governor() if risk else None
    engine = Engine(
        SmaCross(fast=fast, slow=slow, quantity=qty, tick=0.01),
        [series],
        {"BENCH": inst},
        fees,
        config=EngineConfig(
            initial_cash=Decimal(repr(cash)), currency="USD", fill=FillConfig(market_fill=fill)
        ),
        risk=governor,
    )
    engine.run()
    buys = sum(1 for f in engine.fills if f.side.value == "BUY")
    pnl = float(engine.portfolio.equity - engine.portfolio.initial_cash)
    return buys, pnl


def bench_governor() -> RiskGovernor:
    """Every rule on, with limits this workload never reaches (its bars carry no calendar,
    so trading outside a session is allowed; 24h cutoff and square-off never come)."""
    return build_governor(
        risk_profile(
            "production",
            {
                "daily_loss": {"max_loss": Decimal(10**9)},
                "entries": {"max_per_day": 10**6},
                "entry_window": {"entry_cutoff": None, "allow_outside_session": True},
                "cooldown": {"after_losses": 10**6},
                "limits": {
                    "max_qty_per_symbol": Decimal(10**6),
                    "max_gross_exposure": Decimal(10**9),
                },
                "rate_limit": {"per_second": 10**6, "per_minute": 10**6, "per_day": 10**7},
                "volatility": {"max_move_pct": 50.0},
                "square_off": {"enabled": False},
            },
        )
    )
