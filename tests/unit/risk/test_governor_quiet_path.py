"""on_time's quiet path (only the loss watch can act) decides as the full path does."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from tronlab.model import ClientOrderId, Fill, InstrumentId, Side, Venue
from tronlab.risk import RiskGovernor
from tronlab.risk.profiles import build_governor, risk_profile

MINUTE = 60_000_000_000
T0 = int(datetime(2024, 3, 4, 3, 45, tzinfo=UTC).timestamp()) * 1_000_000_000


@dataclass
class View:
    """The parts of the MarketView the per-bar look reads."""

    now_ns_: int = T0
    equity: float = 100_000.0
    open_positions: int = 0
    mode: str = "backtest"
    last_prices: dict[str, float] = field(default_factory=dict)

    def now(self) -> datetime:
        return datetime.fromtimestamp(self.now_ns_ / 1e9, UTC)

    def now_ns(self) -> int:
        return self.now_ns_

    def exchange_tz(self, symbol: str | None = None) -> str:
        return "Asia/Kolkata"

    def equity_estimate(self) -> float:
        return self.equity

    def positions(self) -> dict[str, Decimal]:
        return {"X": Decimal(1)} if self.open_positions else {}

    def intraday_positions(self) -> dict[str, Decimal]:
        return self.positions()

    def pending_qty(self, symbol: str) -> Decimal:
        return Decimal(0)

    def instrument(self, symbol: str) -> Any:
        from tronlab.model import Instrument

        return Instrument.equity(Venue.NSE, symbol, tick_size=Decimal("0.05"))


def _governor() -> RiskGovernor:
    return build_governor(
        risk_profile("research", {"daily_loss": {"enabled": True, "max_loss": Decimal(500)}})
    )


def _fill(n: int) -> Fill:
    return Fill(
        fill_id=f"F{n}",
        client_order_id=ClientOrderId.from_signal("a", "s", str(n)),
        instrument_id=InstrumentId(Venue.NSE, "X"),
        side=Side.SELL,
        quantity=Decimal(1),
        price=Decimal(10),
        ts=datetime(2024, 3, 4, 4, 0, tzinfo=UTC),
    )


steps = st.lists(
    st.tuples(
        st.integers(1, 400),  # minutes forward (crosses day boundaries too)
        st.floats(99_000, 100_600),  # equity
        st.integers(0, 2),  # open positions
        st.booleans(),  # a fill before the bar
    ),
    min_size=1,
    max_size=60,
)


@settings(max_examples=150, deadline=None)
@given(steps)
def test_quiet_path_matches_the_full_path(plan: list[tuple[int, float, int, bool]]) -> None:
    fast, full = _governor(), _governor()
    view = View()
    for n, (minutes, equity, open_positions, filled) in enumerate(plan):
        view.now_ns_ += minutes * MINUTE
        view.equity, view.open_positions = equity, open_positions
        if filled:
            for gov in (fast, full):
                gov.on_fill(_fill(n), Decimal(-1), True, view)  # type: ignore[arg-type]
        full._quiet_until_ns = -1  # never quiet: always the full path
        out_fast = fast.on_time(view, view.now_ns_)  # type: ignore[arg-type]
        out_full = full.on_time(view, view.now_ns_)  # type: ignore[arg-type]
        assert out_fast == out_full
        assert fast.state.to_dict() == full.state.to_dict()
        assert fast._checked_flat == full._checked_flat
        assert [d["reason_code"] for d in fast.decisions] == [
            d["reason_code"] for d in full.decisions
        ]
