"""Test helpers for the limits, fat-finger, rate-limit and volatility rules: real instruments,
a real portfolio built from fills, real order intents and a hand-built :class:`RuleContext`."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import numpy as np

from tronlab.execution.intents import OrderIntent
from tronlab.model import (
    ClientOrderId,
    Fill,
    Instrument,
    OrderType,
    Portfolio,
    Side,
    Venue,
)
from tronlab.risk.context import RiskState, RuleContext
from tronlab.risk.rules.rate_limit import to_ns

D = Decimal
T0 = datetime(2025, 1, 6, 4, 30, tzinfo=UTC)  # 10:00 IST on a Monday

INFY = Instrument.equity(Venue.NSE, "INFY", tick_size=D("0.05"))
RELIANCE = Instrument.equity(Venue.NSE, "RELIANCE", tick_size=D("0.05"))
NIFTY_FUT = Instrument.future(
    Venue.NFO,
    "NIFTY25JANFUT",
    underlying="NIFTY",
    expiry=date(2025, 1, 30),
    tick_size=D("0.05"),
    lot_size=75,
)
BTC = Instrument.equity(Venue.CRYPTO, "BTCUSD", tick_size=D("0.01"), qty_step=D("0.0001"))
INSTRUMENTS = {i.symbol: i for i in (INFY, RELIANCE, NIFTY_FUT, BTC)}

#: Default last prices (floats, as the engine hands them to the rules).
LAST = {"INFY": 1500.0, "RELIANCE": 2500.0, "NIFTY25JANFUT": 23500.0, "BTCUSD": 30000.0}

_fill_ids = itertools.count(1)
_COID = ClientOrderId.from_signal("acct", "risk-tests", "limits")


def intent(
    side: Side = Side.BUY,
    quantity: str | int | Decimal = 10,
    *,
    symbol: str = "INFY",
    limit: str | Decimal | None = None,
    order_type: OrderType | None = None,
    stop: str | Decimal | None = None,
) -> OrderIntent:
    """A real order intent: MARKET unless a limit price is given."""
    if order_type is None:
        order_type = OrderType.LIMIT if limit is not None else OrderType.MARKET
    return OrderIntent(
        symbol=symbol,
        side=side,
        quantity=D(quantity),
        order_type=order_type,
        limit_price=None if limit is None else D(limit),
        stop_price=None if stop is None else D(stop),
        strategy_id="s1",
    )


def portfolio(
    holdings: Mapping[str, tuple[str | int | Decimal, str | int | Decimal]] | None = None,
    cash: str = "1000000",
) -> Portfolio:
    """A portfolio holding ``{symbol: (signed qty, price)}``, each booked by a real fill."""
    base = "USD" if holdings and "BTCUSD" in holdings else "INR"
    pf = Portfolio(base, D(cash))
    for symbol, (qty, price) in (holdings or {}).items():
        q = D(qty)
        if q == 0:
            continue
        inst = INSTRUMENTS[symbol]
        pf.apply_fill(
            Fill(
                fill_id=f"f{next(_fill_ids)}",
                client_order_id=_COID,
                instrument_id=inst.id,
                side=Side.BUY if q > 0 else Side.SELL,
                quantity=abs(q),
                price=D(price),
                ts=T0 - timedelta(hours=1),
            ),
            inst,
        )
    return pf


def bars_recent(
    series: Mapping[str, tuple[Sequence[int], Sequence[float]]], now: datetime
) -> Callable[[str, int], tuple[np.ndarray, np.ndarray]]:
    """A ``recent(symbol, n)`` over ``{symbol: (end_ns list, close list)}``: the last ``n``
    bars that ended at or before ``now``."""
    now_ns = to_ns(now)

    def recent(symbol: str, n: int) -> tuple[np.ndarray, np.ndarray]:
        ends, closes = series.get(symbol, ([], []))
        e = np.asarray(ends, dtype=np.int64)
        c = np.asarray(closes, dtype=float)
        keep = e <= now_ns
        e, c = e[keep], c[keep]
        return e[-n:] if n > 0 else e[:0], c[-n:] if n > 0 else c[:0]

    return recent


def minute_bars(
    closes: Sequence[float], now: datetime, *, step: timedelta = timedelta(minutes=1)
) -> tuple[list[int], list[float]]:
    """Bars ending ``step`` apart, the last one ending at ``now``."""
    n = len(closes)
    ends = [to_ns(now - step * (n - 1 - i)) for i in range(n)]
    return ends, list(closes)


def ctx(
    *,
    instrument: Instrument = INFY,
    pf: Portfolio | None = None,
    positions: Mapping[str, str | int | Decimal] | None = None,
    position_qty: str | int | Decimal | None = None,
    pending_qty: str | int | Decimal = 0,
    is_entry: bool = True,
    equity: str | int | Decimal | None = None,
    last_prices: Mapping[str, float] | None = None,
    now: datetime = T0,
    state: RiskState | None = None,
    reference: Mapping[str, float] | None = None,
    bars: Mapping[str, tuple[Sequence[int], Sequence[float]]] | None = None,
    mode: str = "paper",
) -> RuleContext:
    """A context for ``instrument`` at ``now``.

    ``positions`` defaults to the portfolio's open positions and ``position_qty`` to the
    intent symbol's entry in it; ``equity`` defaults to the portfolio's equity.
    """
    pf = pf or portfolio()
    if positions is None:
        pos = {p.instrument_id.symbol: p.quantity for p in pf.open_positions()}
    else:
        pos = {s: D(q) for s, q in positions.items()}
    own = pos.get(instrument.symbol, D(0)) if position_qty is None else D(position_qty)
    return RuleContext(
        now=now,
        local_now=now,
        session_open=None,
        session_close=None,
        portfolio=pf,
        equity=pf.equity if equity is None else D(equity),
        last_prices=dict(LAST if last_prices is None else last_prices),
        last_bar_ns={},
        instrument=instrument,
        position_qty=own,
        pending_qty=D(pending_qty),
        is_entry=is_entry,
        state=state if state is not None else RiskState(day=now.date()),
        reference=dict(reference or {}),
        mode=mode,
        positions=pos,
        recent=bars_recent(bars or {}, now),
    )
