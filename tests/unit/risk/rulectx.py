"""Test helpers for the risk rules: a hand-built :class:`RuleContext` on an NSE session day."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from tronlab.execution.intents import OrderIntent
from tronlab.model import Instrument, Portfolio, Product, Side, Venue
from tronlab.risk.context import RiskState, RuleContext

IST = ZoneInfo("Asia/Kolkata")
DAY = date(2026, 3, 10)  # a Tuesday
INFY = Instrument.equity(Venue.NSE, "INFY", tick_size=Decimal("0.05"))
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def ist(hh: int, mm: int, ss: int = 0, us: int = 0, day: date = DAY) -> datetime:
    """An exchange-local (IST) instant on ``day``."""
    return datetime.combine(day, time(hh, mm, ss, us), IST)


SESSION_OPEN = ist(9, 15).astimezone(UTC)
SESSION_CLOSE = ist(15, 30).astimezone(UTC)
NSE_SESSION = (SESSION_OPEN, SESSION_CLOSE)


def to_ns(t: datetime) -> int:
    d = t - _EPOCH
    return (d.days * 86_400 + d.seconds) * 1_000_000_000 + d.microseconds * 1_000


def make_intent(
    side: Side = Side.BUY,
    quantity: str = "10",
    *,
    symbol: str = "INFY",
    strategy_id: str = "s1",
    product: Product | None = Product.MIS,
    reduce_only: bool = False,
) -> OrderIntent:
    return OrderIntent(
        symbol=symbol,
        side=side,
        quantity=Decimal(quantity),
        product=product,
        strategy_id=strategy_id,
        reduce_only=reduce_only,
    )


def make_ctx(
    *,
    now: datetime | None = None,
    is_entry: bool = True,
    state: RiskState | None = None,
    equity: Decimal | str = "100000",
    session: tuple[datetime, datetime] | None = NSE_SESSION,
    last_bar_ns: Mapping[str, int] | None = None,
    mode: str = "paper",
    position_qty: Decimal | str = "0",
    tz: ZoneInfo = IST,
) -> RuleContext:
    """A context at ``now`` (any aware datetime; default 10:00 IST), with a real portfolio.

    ``last_bar_ns`` defaults to a bar of INFY ending at ``now``; ``state`` to a fresh state
    with a start-of-day equity of 100000.
    """
    now = (now or ist(10, 0)).astimezone(UTC)
    if state is None:
        state = RiskState(day=DAY, start_equity=Decimal(100000))
    return RuleContext(
        now=now,
        local_now=now.astimezone(tz),
        session_open=None if session is None else session[0],
        session_close=None if session is None else session[1],
        portfolio=Portfolio("INR", Decimal(100000)),
        equity=Decimal(equity),
        last_prices={"INFY": 1500.0},
        last_bar_ns={"INFY": to_ns(now)} if last_bar_ns is None else last_bar_ns,
        instrument=INFY,
        position_qty=Decimal(position_qty),
        pending_qty=Decimal(0),
        is_entry=is_entry,
        state=state,
        mode=mode,
    )


def minutes(n: float) -> timedelta:
    return timedelta(minutes=n)
