"""Round-trip trades from fills: a trade opens when a position leaves zero and closes when it
returns to zero (a fill that flips the position closes one trade and opens the next).

Entry and exit prices are quantity-weighted averages; ``gross_pnl`` is realised PnL before
fees, ``fees`` the fees of the fills (split pro rata on a flip) and ``pnl`` = gross - fees.
The entry and exit reasons are the rationales of the orders that opened and closed it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from tronlab.model import Fill

ZERO = Decimal(0)


@dataclass(frozen=True, slots=True)
class Trade:
    symbol: str
    side: str  # LONG or SHORT
    qty: Decimal  # largest absolute position held during the trade
    entry_time: datetime
    entry_price: Decimal
    exit_time: datetime | None
    exit_price: Decimal | None
    gross_pnl: Decimal
    fees: Decimal
    pnl: Decimal
    entry_reason: str
    exit_reason: str
    entry_order: str
    exit_order: str | None

    @property
    def is_open(self) -> bool:
        return self.exit_time is None


class _Open:
    __slots__ = (
        "cost",
        "entry_order",
        "entry_qty",
        "entry_reason",
        "entry_time",
        "exit_notional",
        "exit_qty",
        "fees",
        "max_qty",
        "qty",
        "realized",
        "sign",
    )

    def __init__(self, sign: int, ts: datetime, reason: str, order: str) -> None:
        self.sign = sign
        self.qty = ZERO  # absolute open quantity
        self.cost = ZERO  # absolute open cost (qty * avg price)
        self.entry_qty = ZERO
        self.exit_qty = ZERO
        self.exit_notional = ZERO
        self.fees = ZERO
        self.realized = ZERO
        self.max_qty = ZERO
        self.entry_time = ts
        self.entry_reason = reason
        self.entry_order = order


def build_trades(
    fills: Iterable[Fill],
    multipliers: Mapping[str, Decimal],
    reasons: Callable[[str], str],
    last_prices: Mapping[str, Decimal] | None = None,
) -> list[Trade]:
    """Round trips from ``fills`` in execution order; open ones are marked at
    ``last_prices`` (``exit_*`` stay ``None`` and ``exit_reason`` is ``"open"``)."""
    state: dict[str, _Open] = {}
    entry_notional: dict[str, Decimal] = {}
    trades: list[Trade] = []

    def close(sym: str, t: _Open, ts: datetime | None, reason: str, order: str | None) -> None:
        mult = multipliers.get(sym, Decimal(1))
        gross = t.realized * mult
        exit_price = (t.exit_notional / t.exit_qty) if t.exit_qty and ts is not None else None
        trades.append(
            Trade(
                symbol=sym,
                side="LONG" if t.sign > 0 else "SHORT",
                qty=t.max_qty,
                entry_time=t.entry_time,
                entry_price=entry_notional[sym] / t.entry_qty,
                exit_time=ts,
                exit_price=exit_price,
                gross_pnl=gross,
                fees=t.fees,
                pnl=gross - t.fees,
                entry_reason=t.entry_reason,
                exit_reason=reason,
                entry_order=t.entry_order,
                exit_order=order,
            )
        )

    for f in fills:
        sym = f.instrument_id.symbol
        coid = str(f.client_order_id)
        sign = 1 if f.signed_quantity > 0 else -1
        left = f.quantity
        t = state.get(sym)
        if t is not None and t.sign != sign:
            closed = min(left, t.qty)
            avg = t.cost / t.qty
            t.realized += (f.price - avg) * closed * t.sign
            t.cost -= avg * closed
            t.qty -= closed
            t.exit_qty += closed
            t.exit_notional += f.price * closed
            t.fees += f.fee * closed / f.quantity
            left -= closed
            if t.qty == 0:
                close(sym, t, f.ts, reasons(coid), coid)
                del state[sym]
                t = None
        if left > 0:
            if t is None:
                t = _Open(sign, f.ts, reasons(coid), coid)
                state[sym] = t
                entry_notional[sym] = ZERO
            t.qty += left
            t.cost += f.price * left
            t.entry_qty += left
            entry_notional[sym] += f.price * left
            t.fees += f.fee * left / f.quantity
            t.max_qty = max(t.max_qty, t.qty)
    for sym, t in state.items():
        last = (last_prices or {}).get(sym)
        if last is not None:
            t.realized += (last - t.cost / t.qty) * t.qty * t.sign
        close(sym, t, None, "open", None)
    return trades
