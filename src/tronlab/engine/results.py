"""What a backtest returns: orders, fills, round-trip trades, the equity curve and a summary,
with one canonical JSON form (the same inputs give byte-identical JSON)."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd

from tronlab.engine.trades import Trade
from tronlab.model import Fill, Order, OrderEvent


def iso(ts: datetime | pd.Timestamp | None, tz: str) -> str | None:
    """ISO 8601 with the offset of ``tz`` (the exchange's zone)."""
    if ts is None:
        return None
    return pd.Timestamp(ts).tz_convert(tz).isoformat()


def num(value: Decimal | float | None) -> float | None:
    return None if value is None else float(value)


@dataclass(frozen=True)
class BacktestResult:
    """The outcome of one backtest (see :func:`tronlab.engine.backtest.run_backtest`)."""

    strategy: str
    params: Mapping[str, Any]
    config: Mapping[str, Any]
    summary: Mapping[str, Any]
    orders: Sequence[Order]
    fills: Sequence[Fill]
    trades: Sequence[Trade]
    refusals: Sequence[OrderEvent]
    errors: Sequence[Any]
    equity_time_ns: np.ndarray
    equity: np.ndarray
    timezone: str
    fingerprint: str
    code_version: str
    run_id: str | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)

    # ------------------------------------------------------------------ views
    @property
    def equity_curve(self) -> pd.DataFrame:
        return pd.DataFrame(
            {
                "time": pd.to_datetime(self.equity_time_ns, utc=True).tz_convert(self.timezone),
                "equity": self.equity,
            }
        )

    def fills_records(self) -> list[dict[str, Any]]:
        return [
            {
                "time": iso(f.ts, self.timezone),
                "symbol": f.instrument_id.symbol,
                "side": f.side.value,
                "qty": num(f.quantity),
                "price": num(f.price),
                "fee": num(f.fee),
                "client_order_id": str(f.client_order_id),
                "fill_id": f.fill_id,
            }
            for f in self.fills
        ]

    def trades_records(self) -> list[dict[str, Any]]:
        return [
            {
                "symbol": t.symbol,
                "side": t.side,
                "qty": num(t.qty),
                "entry_time": iso(t.entry_time, self.timezone),
                "entry_price": num(t.entry_price),
                "exit_time": iso(t.exit_time, self.timezone),
                "exit_price": num(t.exit_price),
                "pnl": round(float(t.pnl), 2),
                "gross_pnl": round(float(t.gross_pnl), 2),
                "fees": round(float(t.fees), 2),
                "entry_reason": t.entry_reason,
                "exit_reason": t.exit_reason,
                "entry_order": t.entry_order,
                "exit_order": t.exit_order,
            }
            for t in self.trades
        ]

    def orders_records(self) -> list[dict[str, Any]]:
        return [
            {
                "client_order_id": str(o.client_order_id),
                "time": iso(o.created_at, self.timezone),
                "strategy": o.strategy_id,
                "symbol": o.instrument_id.symbol,
                "side": o.side.value,
                "type": o.order_type.value,
                "qty": num(o.quantity),
                "limit_price": num(o.limit_price),
                "stop_price": num(o.stop_price),
                "status": o.status.value,
                "filled_qty": num(o.filled_quantity),
                "avg_fill_price": num(o.avg_fill_price),
                "reject_reason": o.reject_reason,
                "rationale": o.rationale,
                "confidence": o.confidence,
            }
            for o in self.orders
        ]

    def refusals_records(self) -> list[dict[str, Any]]:
        return [
            {
                "time": iso(e.ts, self.timezone),
                "client_order_id": str(e.client_order_id),
                "reason": e.reason,
                "message": e.message,
            }
            for e in self.refusals
        ]

    def equity_records(self) -> list[dict[str, Any]]:
        times = pd.to_datetime(self.equity_time_ns, utc=True).tz_convert(self.timezone)
        return [
            {"time": t.isoformat(), "equity": round(float(e), 2)}
            for t, e in zip(times, self.equity, strict=True)
        ]

    def to_dict(self, *, with_run: bool = True) -> dict[str, Any]:
        """Everything as JSON-native values; ``with_run=False`` leaves out the run id so two
        runs of the same inputs compare byte for byte."""
        out: dict[str, Any] = {}
        if with_run:
            out["run_id"] = self.run_id
        out.update(
            {
                "strategy": self.strategy,
                "params": dict(self.params),
                "config": dict(self.config),
                "fingerprint": self.fingerprint,
                "code_version": self.code_version,
                "summary": dict(self.summary),
                "orders": self.orders_records(),
                "fills": self.fills_records(),
                "trades": self.trades_records(),
                "refusals": self.refusals_records(),
                "strategy_errors": [
                    {
                        "time": iso(e.ts, self.timezone),
                        "hook": e.hook,
                        "error": e.error_type,
                        "message": e.message,
                    }
                    for e in self.errors
                ],
                "equity_curve": self.equity_records(),
            }
        )
        return out

    def to_json(self, *, with_run: bool = True) -> str:
        return json.dumps(self.to_dict(with_run=with_run), sort_keys=True, separators=(",", ":"))


def equity_curve(
    event_end_ns: np.ndarray,
    initial_cash: float,
    flows: Sequence[tuple[int, str, float, float]],
    marks: Mapping[str, tuple[np.ndarray, np.ndarray]],
) -> tuple[np.ndarray, np.ndarray]:
    """Equity after each distinct event time: cash + sum of position * last close.

    ``flows`` are ``(event index, symbol, signed qty * multiplier, cash change)`` per fill;
    ``marks`` maps a symbol to the (bar end ns, close) arrays of its execution series.
    """
    n = len(event_end_ns)
    cash = np.zeros(n)
    pos: dict[str, np.ndarray] = {}
    for k, sym, dq, dc in flows:
        cash[k] += dc
        arr = pos.get(sym)
        if arr is None:
            arr = pos[sym] = np.zeros(n)
        arr[k] += dq
    equity = initial_cash + np.cumsum(cash)
    for sym, arr in pos.items():
        ends, closes = marks[sym]
        idx = np.searchsorted(ends, event_end_ns, side="right") - 1
        price = np.where(idx >= 0, closes[np.clip(idx, 0, None)], 0.0)
        equity = equity + np.cumsum(arr) * price
    # one point per distinct time: the state after the last event at that time
    last = np.r_[event_end_ns[1:] != event_end_ns[:-1], True] if n else np.zeros(0, dtype=bool)
    return event_end_ns[last], equity[last]


def max_drawdown(equity: np.ndarray) -> float:
    if len(equity) == 0:
        return 0.0
    peak = np.maximum.accumulate(equity)
    dd = (equity - peak) / peak
    return float(-dd.min())
