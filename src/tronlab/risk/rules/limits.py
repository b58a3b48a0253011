"""Position and exposure limits: per symbol, per order and for the whole portfolio.

Only entries are checked (``ctx.is_entry``: the intent increases the absolute position); exits
and reduce-only orders always pass, so a limit can never trap a position.

Quantities
    The position after the order is ``ctx.position_qty + ctx.pending_qty + side * quantity``:
    working orders (``pending_qty``, signed, net of side) count as if filled, so a burst of
    orders cannot step over a limit one at a time. When an entry would break a limit it is
    RESIZED down to the largest quantity that keeps every limit and is a whole multiple of the
    instrument's lot size and quantity step (:func:`quantity_quantum`); when that is 0 it is
    DENIED with the code of the limit that binds.

Prices
    The order is valued at its limit price if it has one, else at the last price of its symbol
    (``ctx.price``), else at its stop price; with none of these it is denied with ``NO_PRICE``.
    The whole position in the intent's symbol (existing, working and new) is valued at that
    price. Other positions come from ``ctx.positions`` (signed quantity by symbol; when that is
    empty, from the portfolio's open positions) and are valued at ``ctx.last_prices``, falling
    back to the portfolio's mark of the position; a position with no price at all is left out
    and listed under ``values["unpriced"]``. Exposure is ``|quantity| * price * multiplier``.

Limits (each ``None`` = off; a value must be > 0)
    ``max_qty_per_symbol`` (``MAX_QTY``): ``|position after|`` in units.
    ``max_notional_per_symbol`` (``MAX_NOTIONAL``): ``|position after| * price * multiplier``.
    ``max_gross_exposure`` (``MAX_GROSS_EXPOSURE``): sum of every position's exposure after
    the order. ``max_net_exposure`` (``MAX_NET_EXPOSURE``): ``|sum of signed exposures|`` after
    the order. ``max_order_value`` (``MAX_ORDER_VALUE``): ``quantity * price * multiplier`` of
    this order. ``max_leverage`` (``MAX_LEVERAGE``): gross exposure after the order divided by
    ``ctx.equity`` (any entry is denied when equity is not positive). ``max_open_positions``
    (``MAX_OPEN_POSITIONS``): an entry that opens a position in a symbol with none open or
    working is denied when as many positions as the limit are already open elsewhere (adding
    to an open position never counts as opening one; no resize can help here).

The limits are strict: an approved or resized entry never leaves any limit exceeded, even
where the portfolio was already over it (e.g. a short entry that lowers an excessive net
exposure but not below the limit is denied; a larger one that brings it within is allowed).

Audit values: Decimals are recorded as strings, ratios as floats; ``values["limits"]`` maps
each active limit to its limit, the value at the requested and at the approved quantity, and
the largest quantity it allows.
"""

from __future__ import annotations

import decimal
from collections.abc import Mapping
from decimal import Decimal
from math import lcm
from typing import TYPE_CHECKING, Any

from pydantic import Field

from tronlab.risk.decision import RiskDecision
from tronlab.risk.rules._base import RuleConfig

if TYPE_CHECKING:
    from tronlab.execution.intents import OrderIntent
    from tronlab.model import Instrument
    from tronlab.risk.context import RuleContext

__all__ = [
    "PositionLimitsConfig",
    "PositionLimitsRule",
    "floor_to_quantum",
    "order_price",
    "quantity_quantum",
]

#: Wide enough for any product of prices and quantities seen in practice; exact otherwise.
_CTX = decimal.Context(prec=80, rounding=decimal.ROUND_HALF_EVEN)
_ZERO = Decimal(0)


class PositionLimitsConfig(RuleConfig):
    """Config section ``risk.limits``. Every limit is off when ``None``."""

    max_qty_per_symbol: Decimal | None = Field(
        default=None, gt=0, description="Largest absolute position per symbol, in units."
    )
    max_notional_per_symbol: Decimal | None = Field(
        default=None,
        gt=0,
        description="Largest |position| * price * multiplier per symbol, in currency.",
    )
    max_gross_exposure: Decimal | None = Field(
        default=None,
        gt=0,
        description="Largest sum of |qty * price * multiplier| over all positions after the order.",
    )
    max_net_exposure: Decimal | None = Field(
        default=None,
        gt=0,
        description="Largest |sum of qty * price * multiplier| over all positions after the order.",
    )
    max_open_positions: int | None = Field(
        default=None, gt=0, description="Most symbols with an open or working position."
    )
    max_order_value: Decimal | None = Field(
        default=None, gt=0, description="Largest quantity * price * multiplier of one order."
    )
    max_leverage: float | None = Field(
        default=None,
        gt=0,
        allow_inf_nan=False,
        description="Largest gross exposure after the order divided by equity.",
    )


def quantity_quantum(instrument: Instrument) -> Decimal:
    """The smallest positive quantity that is a valid order size: a multiple of the quantity
    step and, for instruments traded in lots (``lot_size > 1``), of the lot size too."""
    step = instrument.qty_step.normalize()
    if instrument.lot_size <= 1:
        return step
    lot = Decimal(instrument.lot_size)
    exp = step.as_tuple().exponent
    if not isinstance(exp, int):  # not finite; cannot happen for a valid instrument
        return lot
    scale = Decimal(10) ** max(0, -exp)
    return Decimal(lcm(int(lot * scale), int(step * scale))) / scale


def floor_to_quantum(quantity: Decimal, quantum: Decimal) -> Decimal:
    """The largest multiple of ``quantum`` that is <= ``quantity`` (0 for negative input)."""
    if quantity <= 0:
        return _ZERO
    n = _CTX.divide_int(quantity, quantum)
    return _CTX.multiply(n, quantum)


def order_price(intent: OrderIntent, ctx: RuleContext) -> tuple[Decimal | None, str]:
    """The price an order is valued at and where it came from: limit, last or stop."""
    if intent.limit_price is not None:
        return _positive(intent.limit_price), "limit"
    last = ctx.price
    if last is not None:
        price = _from_float(last)
        if price is not None:
            return price, "last"
    if intent.stop_price is not None:
        return _positive(intent.stop_price), "stop"
    return None, "none"


def _positive(value: Decimal) -> Decimal | None:
    return value if value.is_finite() and value > 0 else None


def _from_float(value: float) -> Decimal | None:
    try:
        d = Decimal(str(value))
    except (decimal.InvalidOperation, ValueError):
        return None
    return _positive(d)


class _Limit:
    """``|a + c * q| <= bound`` for the order quantity ``q >= 0`` (``c > 0``); ``offset`` is
    added to the reported value (the exposure of the other positions for gross limits)."""

    __slots__ = ("a", "bound", "c", "code", "field", "limit", "offset")

    def __init__(
        self,
        code: str,
        field: str,
        limit: Decimal | float,
        a: Decimal,
        c: Decimal,
        bound: Decimal,
        offset: Decimal = _ZERO,
    ) -> None:
        self.code = code
        self.field = field
        self.limit = limit
        self.a = a
        self.c = c
        self.bound = bound
        self.offset = offset

    def fits(self, q: Decimal) -> bool:
        x = _CTX.add(self.a, _CTX.multiply(self.c, q))
        return -self.bound <= x <= self.bound

    def max_qty(self) -> Decimal:
        return _CTX.divide(_CTX.subtract(self.bound, self.a), self.c)

    def value(self, q: Decimal) -> Decimal:
        return _CTX.add(abs(_CTX.add(self.a, _CTX.multiply(self.c, q))), self.offset)


class PositionLimitsRule:
    """Resize or deny entries that would break a position or exposure limit."""

    name = "limits"

    def __init__(self, config: PositionLimitsConfig | None = None) -> None:
        self.config = config or PositionLimitsConfig()

    def check(self, intent: OrderIntent, ctx: RuleContext) -> RiskDecision | None:
        cfg = self.config
        if not cfg.enabled or not ctx.is_entry:
            return None
        price, source = order_price(intent, ctx)
        if price is None:
            return RiskDecision.deny(
                "NO_PRICE",
                f"no price to value the {intent.symbol} order (no limit, last or stop price)",
                self.name,
                {"symbol": intent.symbol},
            )
        inst = ctx.instrument
        unit = _CTX.multiply(price, inst.multiplier)
        sign = Decimal(intent.side.sign)
        base = _CTX.add(ctx.position_qty, ctx.pending_qty)
        other_qty = _other_quantities(ctx)
        others, unpriced = _other_exposures(ctx, other_qty)
        others_gross = sum((abs(v) for v in others.values()), _ZERO) if others else _ZERO
        others_net = sum(others.values(), _ZERO) if others else _ZERO
        others_open = sum(1 for q in other_qty.values() if q != 0) if other_qty else 0

        def compared() -> dict[str, Any]:
            # What was compared, for a decision's audit (built only when one is returned).
            values: dict[str, Any] = {
                "symbol": intent.symbol,
                "side": str(intent.side),
                "price": str(price),
                "price_source": source,
                "multiplier": str(inst.multiplier),
                "position_qty": str(ctx.position_qty),
                "pending_qty": str(ctx.pending_qty),
                "requested_qty": str(intent.quantity),
                "other_gross_exposure": str(others_gross),
                "other_net_exposure": str(others_net),
                "equity": str(ctx.equity),
            }
            if unpriced:
                values["unpriced"] = sorted(unpriced)
            if cfg.max_open_positions is not None:
                values["open_positions"] = others_open + (1 if base != 0 else 0)
                values["max_open_positions"] = cfg.max_open_positions
            return values

        max_open = cfg.max_open_positions
        if max_open is not None and base == 0 and others_open + 1 > max_open:
            return RiskDecision.deny(
                "MAX_OPEN_POSITIONS",
                f"{others_open} positions open, max_open_positions "
                f"{max_open}: no new position in {intent.symbol}",
                self.name,
                compared(),
            )

        limits = self._limits(sign, base, unit, others_gross, others_net, ctx.equity)
        if not limits:
            return None
        requested = intent.quantity
        if all(lim.fits(requested) for lim in limits):
            return None

        values = compared()
        quantum = quantity_quantum(inst)
        ceiling = min([requested, *(lim.max_qty() for lim in limits)])
        q = floor_to_quantum(ceiling, quantum)
        # The ceiling is a rounded quotient: confirm with exact products, step down if needed.
        for _ in range(3):
            if q <= 0 or all(lim.fits(q) for lim in limits):
                break
            q = _CTX.subtract(q, quantum)
        q = max(q, _ZERO)
        ok = q > 0 and all(lim.fits(q) for lim in limits)
        approved = q if ok else _ZERO

        values["quantum"] = str(quantum)
        values["approved_qty"] = str(approved)
        values["limits"] = {
            lim.field: {
                "limit": lim.limit if isinstance(lim.limit, float) else str(lim.limit),
                "at_requested": _fmt(lim, requested, ctx.equity),
                "at_approved": _fmt(lim, approved, ctx.equity),
                "max_qty": str(floor_to_quantum(lim.max_qty(), quantum)),
            }
            for lim in limits
        }
        violated = [lim for lim in limits if not lim.fits(requested)]
        binding = min(violated, key=lambda lim: lim.max_qty())
        if not ok:
            failing = [lim for lim in limits if not lim.fits(q)] or [binding]
            binding = min(failing, key=lambda lim: lim.max_qty())
        values["binding"] = binding.field
        message = (
            f"{intent.symbol} {intent.side} {requested}: {binding.field} {binding.limit} "
            f"would be exceeded ({_fmt(binding, requested, ctx.equity)})"
        )
        if not ok:
            return RiskDecision.deny(
                binding.code, message + "; no quantity fits", self.name, values
            )
        return RiskDecision.resize(
            approved, binding.code, f"{message}; resized to {approved}", self.name, values
        )

    def _limits(
        self,
        sign: Decimal,
        base: Decimal,
        unit: Decimal,
        others_gross: Decimal,
        others_net: Decimal,
        equity: Decimal,
    ) -> list[_Limit]:
        cfg = self.config
        out: list[_Limit] = []
        one = Decimal(1)
        pos_value = _CTX.multiply(_CTX.multiply(sign, base), unit)  # sign * base * unit
        if cfg.max_qty_per_symbol is not None:
            lim = cfg.max_qty_per_symbol
            out.append(
                _Limit("MAX_QTY", "max_qty_per_symbol", lim, _CTX.multiply(sign, base), one, lim)
            )
        if cfg.max_notional_per_symbol is not None:
            lim = cfg.max_notional_per_symbol
            out.append(_Limit("MAX_NOTIONAL", "max_notional_per_symbol", lim, pos_value, unit, lim))
        if cfg.max_order_value is not None:
            lim = cfg.max_order_value
            out.append(_Limit("MAX_ORDER_VALUE", "max_order_value", lim, _ZERO, unit, lim))
        if cfg.max_gross_exposure is not None:
            lim = cfg.max_gross_exposure
            out.append(
                _Limit(
                    "MAX_GROSS_EXPOSURE",
                    "max_gross_exposure",
                    lim,
                    pos_value,
                    unit,
                    _CTX.subtract(lim, others_gross),
                    others_gross,
                )
            )
        if cfg.max_net_exposure is not None:
            lim = cfg.max_net_exposure
            a = _CTX.add(_CTX.multiply(sign, others_net), pos_value)
            out.append(_Limit("MAX_NET_EXPOSURE", "max_net_exposure", lim, a, unit, lim))
        if cfg.max_leverage is not None:
            cap = _CTX.multiply(Decimal(str(cfg.max_leverage)), equity)
            out.append(
                _Limit(
                    "MAX_LEVERAGE",
                    "max_leverage",
                    cfg.max_leverage,
                    pos_value,
                    unit,
                    _CTX.subtract(cap, others_gross),
                    others_gross,
                )
            )
        return out


def _fmt(lim: _Limit, q: Decimal, equity: Decimal) -> str | float | None:
    value = lim.value(q)
    if lim.code == "MAX_LEVERAGE":
        return float(value / equity) if equity > 0 else None
    return str(value)


def _other_quantities(ctx: RuleContext) -> Mapping[str, Decimal]:
    """Signed quantities of the positions in symbols other than the intent's."""
    me = ctx.instrument.symbol
    if ctx.positions:
        return {s: q for s, q in ctx.positions.items() if s != me}
    return {
        p.instrument_id.symbol: p.quantity
        for p in ctx.portfolio.open_positions()
        if p.instrument_id.symbol != me
    }


def _other_exposures(
    ctx: RuleContext, quantities: Mapping[str, Decimal]
) -> tuple[dict[str, Decimal], list[str]]:
    """Signed exposure (qty * price * multiplier) of the other positions (``quantities``, from
    :func:`_other_quantities`), and those unpriced."""
    out: dict[str, Decimal] = {}
    unpriced: list[str] = []
    if not any(q != 0 for q in quantities.values()):
        return out, unpriced
    book = {p.instrument_id.symbol: p for p in ctx.portfolio.positions.values()}
    for symbol, qty in quantities.items():
        if qty == 0:
            continue
        pos = book.get(symbol)
        last = ctx.last_prices.get(symbol)
        price = _from_float(last) if last is not None else None
        if price is None and pos is not None:
            price = pos.last_price if pos.last_price is not None else _positive(pos.avg_price)
        if price is None:
            unpriced.append(symbol)
            continue
        mult = pos.multiplier if pos is not None else Decimal(1)
        out[symbol] = _CTX.multiply(_CTX.multiply(qty, price), mult)
    return out, unpriced
