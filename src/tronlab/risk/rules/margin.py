"""Margin rule: F&O orders must fit the account's funds with the SPAN-like margin.

For the futures and options of an order (or of all legs of a multi-leg order together) the
governor asks the view for a margin quote (:class:`~tronlab.options.fno_margin.MarginQuote`,
under this rule's :class:`~tronlab.options.fno_margin.FnoMargin`): ``collateral`` (equity
less the flat requirement of other positions and less the value of long options), ``held``
(F&O margin of the positions and what working orders reserve) and ``needed`` (the margin
the orders add, floored at 0, plus the premium of the long options they buy).

The order is DENIED with ``MARGIN`` when it needs something and
``held + needed > max_utilisation × collateral``; with ``NO_PRICE`` when an underlying of the
book has no price (the margin cannot be computed). Orders that need nothing (exits, hedges)
always pass, so the rule never traps a position. Equity orders are not looked at. The view
must implement :class:`~tronlab.risk.decision.FnoView` (the engine does); without it the rule
approves and notes why.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from pydantic import Field, field_validator

from tronlab.options.fno_margin import FnoMargin, UnpricedError, is_fno
from tronlab.options.margin import SpanParams
from tronlab.risk.decision import FnoOrder, FnoView, MarketView, RiskDecision
from tronlab.risk.rules._base import RuleConfig

if TYPE_CHECKING:
    from tronlab.execution.intents import OrderIntent
    from tronlab.risk.context import RuleContext

__all__ = ["MarginConfig", "MarginRule", "fno_orders"]

_SPAN_FIELDS = (
    "index_price_scan",
    "stock_price_scan",
    "vol_scan",
    "extreme_multiple",
    "extreme_weight",
    "index_short_option_min",
    "stock_short_option_min",
    "index_exposure",
    "stock_exposure",
)


class MarginConfig(RuleConfig):
    """Config section ``risk.margin`` (on by default; it only looks at F&O orders)."""

    max_utilisation: float = Field(
        default=0.9,
        gt=0,
        le=1,
        allow_inf_nan=False,
        description="Largest share of the collateral that F&O margin and premium may use.",
    )
    r: float = Field(default=0.065, allow_inf_nan=False, description="Rate for Black-76.")
    default_vol: float = Field(
        default=0.15,
        gt=0,
        allow_inf_nan=False,
        description="Volatility of an option whose implied volatility cannot be solved.",
    )
    span: dict[str, float] = Field(
        default_factory=dict,
        description="Overrides of the SPAN-like parameters (e.g. index_price_scan: 0.06).",
    )

    @field_validator("span")
    @classmethod
    def _span_known(cls, value: dict[str, float]) -> dict[str, float]:
        unknown = sorted(set(value) - set(_SPAN_FIELDS))
        if unknown:
            raise ValueError(f"unknown span parameter {unknown[0]!r} (known: {list(_SPAN_FIELDS)})")
        SpanParams(**value)  # type: ignore[arg-type]  # range checks
        return value

    def model(self) -> FnoMargin:
        return FnoMargin(SpanParams(**self.span), self.r, self.default_vol)  # type: ignore[arg-type]


def fno_orders(intents: Sequence[OrderIntent], view: MarketView) -> list[FnoOrder]:
    """The futures and options among ``intents``, as margin-quote orders."""
    out: list[FnoOrder] = []
    for intent in intents:
        inst = view.instrument(intent.symbol)
        if is_fno(inst):
            out.append((inst, intent.side, intent.quantity, intent.limit_price))
    return out


class MarginRule:
    """Deny F&O orders whose margin would exceed the usable share of the collateral."""

    name = "margin"

    def __init__(self, config: MarginConfig | None = None) -> None:
        self.config = config or MarginConfig()
        self._model = self.config.model()

    def check(self, intent: OrderIntent, ctx: RuleContext) -> RiskDecision | None:
        return None  # judged on the whole book: check_book

    def check_book(
        self, intents: Sequence[OrderIntent], fno: FnoView, view: MarketView
    ) -> RiskDecision | None:
        if not self.config.enabled:
            return None
        orders = fno_orders(intents, view)
        if not orders:
            return None
        try:
            quote = fno.margin_quote(orders, self._model)
        except UnpricedError as exc:
            return RiskDecision.deny(
                "NO_PRICE", f"F&O margin cannot be computed: {exc}", self.name,
                {"underlyings": list(exc.underlyings)},
            )  # fmt: skip
        if quote.needed <= 0:
            return None
        util = Decimal(repr(self.config.max_utilisation))
        limit = (quote.collateral * util).quantize(Decimal("0.01"))
        values: dict[str, Any] = {
            "symbols": [o[0].symbol for o in orders],
            "collateral": str(quote.collateral),
            "held": str(quote.held),
            "needed": str(quote.needed),
            "premium": str(quote.premium),
            "margin_before": str(quote.margin_before),
            "margin_after": str(quote.margin_after),
            "max_utilisation": self.config.max_utilisation,
            "limit": str(limit),
        }
        if quote.used_after > limit:
            return RiskDecision.deny(
                "MARGIN",
                f"margin and premium after the order {quote.used_after:.2f} would exceed "
                f"{self.config.max_utilisation:.0%} of the collateral {quote.collateral:.2f} "
                f"(limit {limit:.2f}; the order needs {quote.needed:.2f})",
                self.name,
                values,
            )
        return None
