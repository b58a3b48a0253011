"""What the engine shows the risk governor (:class:`tronlab.risk.MarketView`), as a mixin of
:class:`~tronlab.engine.loop.Engine`: times, session bounds, a float equity estimate for the
per-bar look, positions (and their intraday part), recent bars and reference prices."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tronlab.engine.clock import SimulatedClock
    from tronlab.model import Fill, Order, Portfolio


_ZERO = Decimal(0)


class RiskViewMixin:
    """Implements :class:`tronlab.risk.MarketView` from the engine's state."""

    clock: SimulatedClock
    config: Any
    portfolio: Portfolio
    last_prices: dict[str, float]
    _sessions: Any
    _cash_f: float
    _pos_f: dict[str, float]
    _intraday: dict[str, Decimal]
    _primary: dict[str, Any]

    def now(self) -> datetime:
        return self.clock.now()

    def now_ns(self) -> int:
        return self.clock.now_ns()

    def exchange_tz(self, symbol: str | None = None) -> str:
        return str(self.config.timezone)

    def session_bounds(self, symbol: str, ts_ns: int) -> tuple[datetime, datetime] | None:
        bounds = getattr(self._sessions, "bounds", None)
        if bounds is None:
            return None
        result: tuple[datetime, datetime] | None = bounds(symbol, ts_ns)
        return result

    def equity_estimate(self) -> float:
        equity = self._cash_f
        for sym, q in self._pos_f.items():
            if q:
                equity += q * self.last_prices.get(sym, 0.0)
        return equity

    def positions(self) -> dict[str, Decimal]:
        return {p.instrument_id.symbol: p.quantity for p in self.portfolio.open_positions()}

    def intraday_positions(self) -> dict[str, Decimal]:
        return {s: q for s, q in self._intraday.items() if q != 0}

    def _book_intraday(self, sym: str, fill: Fill, order: Order, position: Decimal) -> None:
        """Track the MIS part of the net position: MIS fills move it, and it never exceeds
        the position itself (a delivery sell can close the shares an MIS buy opened)."""
        intra = self._intraday.get(sym, _ZERO)
        if order.product is not None and order.product.is_intraday:
            intra += fill.signed_quantity
        if position == 0 or intra == 0 or (intra > 0) != (position > 0):
            intra = _ZERO
        elif abs(intra) > abs(position):
            intra = position
        self._intraday[sym] = intra

    def recent(self, symbol: str, n: int) -> tuple[Any, Any]:
        st = self._primary.get(symbol.upper())
        if st is None:
            return (), ()
        lo = max(0, st.row + 1 - n)
        return st.series.end_ns[lo : st.row + 1], st.series.close[lo : st.row + 1]

    def reference(self) -> Mapping[str, float]:
        return self.last_prices
