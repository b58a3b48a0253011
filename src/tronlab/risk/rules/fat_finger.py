"""Fat-finger checks: limit prices far from the market, and quantities above the freeze limit.

Both apply to every order, entries and exits alike (the exchange rejects an exit above the
freeze quantity just the same).

Price band (``LIMIT_PRICE_BAND``)
    An order with a limit price (LIMIT, STOP_LIMIT) is denied when the price is more than
    ``max_limit_deviation_pct`` percent away from the last price of its symbol, on EITHER side:
    an aggressive price that far away is an accident waiting to fill, and a passive one that far
    away is usually a typo (a missing or extra digit). Exactly at the band passes. With no last
    price the band is not checked; the decision is then an APPROVE carrying
    ``values["skipped"] = ["limit_price_band"]`` for the audit.

Freeze quantity (``FREEZE_QTY``, ``FREEZE_QTY_SPLIT``)
    NSE rejects a single F&O order above the contract's freeze quantity (e.g. 1800 units for
    NIFTY). The freeze quantity is the largest quantity one order may carry; it is looked up in
    ``freeze_qty`` by the intent's symbol, then by the instrument's underlying (so
    ``{"NIFTY": 1800}`` covers every NIFTY contract), then ``default_freeze_qty``. Above it:

    * ``on_freeze="deny"`` denies with ``FREEZE_QTY``;
    * ``on_freeze="split"`` RESIZES to the first child (the freeze quantity rounded down to a
      whole lot) with ``FREEZE_QTY_SPLIT``, and lists every child quantity, the first included,
      in ``values["children"]`` (strings, summing to the intent's quantity) so the governor
      can submit the rest. A split that needs more than ``max_children`` orders, or a freeze
      quantity below one lot, is denied with ``FREEZE_QTY``.

Decimals in ``values`` are strings; percentages are floats.
"""

from __future__ import annotations

import math
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Literal

from pydantic import Field, field_validator

from tronlab.risk.decision import RiskAction, RiskDecision
from tronlab.risk.rules._base import RuleConfig

if TYPE_CHECKING:
    from tronlab.execution.intents import OrderIntent
    from tronlab.risk.context import RuleContext

__all__ = ["FatFingerConfig", "FatFingerRule", "split_quantity"]

_HUNDRED = Decimal(100)


class FatFingerConfig(RuleConfig):
    """Config section ``risk.fat_finger``."""

    max_limit_deviation_pct: float | None = Field(
        default=5.0,
        gt=0,
        allow_inf_nan=False,
        description=(
            "Deny a limit price more than this many percent above or below the last price "
            "(either side). None turns the band off."
        ),
    )
    freeze_qty: dict[str, int] = Field(
        default_factory=dict,
        description=(
            "Largest quantity of one order, by symbol or underlying (NSE freeze limits, "
            "e.g. {'NIFTY': 1800}); units for NFO, as the order quantity is."
        ),
    )
    default_freeze_qty: int | None = Field(
        default=None, gt=0, description="Freeze quantity for symbols not in freeze_qty."
    )
    on_freeze: Literal["split", "deny"] = Field(
        default="split",
        description="Above the freeze quantity: split into child orders, or deny.",
    )
    max_children: int = Field(
        default=10,
        gt=0,
        description=(
            "Most child orders one split may produce (Kite's autoslice stops at 10); a larger "
            "quantity is denied as a likely fat finger."
        ),
    )

    @field_validator("freeze_qty")
    @classmethod
    def _positive_freeze(cls, value: dict[str, int]) -> dict[str, int]:
        bad = {k: v for k, v in value.items() if v <= 0 or not k.strip()}
        if bad:
            raise ValueError(
                f"freeze quantities must be > 0 and keyed by a non-empty symbol, got {bad}"
            )
        return value


def split_quantity(qty: Decimal, freeze: int, lot: int) -> list[Decimal]:
    """Split ``qty`` into child quantities of at most ``freeze``, each a whole number of lots.

    Every child but the last is ``freeze`` rounded down to a multiple of ``lot``; the last takes
    the remainder. The children sum to ``qty`` exactly; ``[qty]`` when ``qty <= freeze``.

    Raises
    ------
    ValueError
        When ``qty`` is not positive, ``lot`` < 1, or ``freeze`` is smaller than one lot.
    """
    if not qty.is_finite() or qty <= 0:
        raise ValueError(f"quantity must be positive, got {qty}")
    if lot < 1:
        raise ValueError(f"lot must be >= 1, got {lot}")
    chunk = (freeze // lot) * lot
    if chunk <= 0:
        raise ValueError(f"freeze quantity {freeze} is smaller than one lot of {lot}")
    if qty <= freeze:
        return [qty]
    size = Decimal(chunk)
    full = int(qty // size)
    rest = qty - size * full
    children = [size] * full
    if rest > 0:
        children.append(rest)
    return children


class FatFingerRule:
    """Deny limit prices outside the band; split or deny quantities above the freeze limit."""

    name = "fat_finger"

    def __init__(self, config: FatFingerConfig | None = None) -> None:
        self.config = config or FatFingerConfig()

    def freeze_for(self, symbol: str, underlying: str | None) -> int | None:
        """The freeze quantity that applies to ``symbol`` (or its underlying), if any."""
        table = self.config.freeze_qty
        if symbol in table:
            return table[symbol]
        if underlying is not None and underlying in table:
            return table[underlying]
        return self.config.default_freeze_qty

    def check(self, intent: OrderIntent, ctx: RuleContext) -> RiskDecision | None:
        cfg = self.config
        if not cfg.enabled:
            return None
        skipped: list[str] = []
        values: dict[str, Any] = {"symbol": intent.symbol}

        if intent.limit_price is not None and cfg.max_limit_deviation_pct is not None:
            last = ctx.price
            band = Decimal(str(cfg.max_limit_deviation_pct))
            values["limit_price"] = str(intent.limit_price)
            values["max_limit_deviation_pct"] = cfg.max_limit_deviation_pct
            if last is None or not (math.isfinite(last) and last > 0):
                values["last_price"] = None
                skipped.append("limit_price_band")
            else:
                ref = Decimal(str(last))
                diff = intent.limit_price - ref
                pct = diff * _HUNDRED / ref
                values["last_price"] = str(ref)
                values["deviation_pct"] = float(pct)
                if abs(diff) * _HUNDRED > band * ref:
                    where = "above" if diff > 0 else "below"
                    return RiskDecision.deny(
                        "LIMIT_PRICE_BAND",
                        f"{intent.symbol} limit {intent.limit_price} is {abs(float(pct)):.2f}% "
                        f"{where} the last price {ref} (band {cfg.max_limit_deviation_pct}%)",
                        self.name,
                        values,
                    )

        inst = ctx.instrument
        freeze = self.freeze_for(intent.symbol, inst.underlying)
        if freeze is not None:
            values["freeze_qty"] = freeze
            values["quantity"] = str(intent.quantity)
            if intent.quantity > freeze:
                return self._over_freeze(intent, freeze, inst.lot_size, values)

        if skipped:
            values["skipped"] = skipped
            return RiskDecision(
                RiskAction.APPROVE,
                intent.quantity,
                "OK",
                "no last price: limit price band not checked",
                self.name,
                values,
            )
        return None

    def _over_freeze(
        self, intent: OrderIntent, freeze: int, lot: int, values: dict[str, Any]
    ) -> RiskDecision:
        cfg = self.config
        head = f"{intent.symbol} quantity {intent.quantity} is above the freeze quantity {freeze}"
        if cfg.on_freeze == "deny":
            return RiskDecision.deny("FREEZE_QTY", head, self.name, values)
        if freeze < lot:
            return RiskDecision.deny(
                "FREEZE_QTY", f"{head}, which is less than one lot of {lot}", self.name, values
            )
        children = split_quantity(intent.quantity, freeze, lot)
        values["children"] = [str(c) for c in children]
        if len(children) > cfg.max_children:
            return RiskDecision.deny(
                "FREEZE_QTY",
                f"{head}; a split needs {len(children)} orders, max_children {cfg.max_children}",
                self.name,
                values,
            )
        return RiskDecision.resize(
            children[0],
            "FREEZE_QTY_SPLIT",
            f"{head}: split into {len(children)} orders of at most {children[0]}",
            self.name,
            values,
        )
