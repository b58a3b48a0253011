"""Greeks rule: limits on the net delta and the short vega of the F&O book, per underlying.

The book is the view's F&O positions plus working orders (as if filled); the order (or all
legs of a multi-leg order) is added to it and both books are valued with
:func:`~tronlab.options.fno_margin.book_greeks` (Black-76 on the underlying's price, implied
volatilities from the options' last prices). For every underlying the order trades:

``max_abs_delta`` (``MAX_DELTA``)
    ``|net delta|`` in units of the underlying (a future: 1 per unit; an option: its
    Black-76 delta per unit), e.g. 150 = two NIFTY futures lots of 75.
``max_abs_delta_notional`` (``MAX_DELTA_NOTIONAL``)
    ``|net delta| × underlying price``, in currency.
``max_short_vega`` (``MAX_SHORT_VEGA``)
    ``|Σ negative position vegas|``: the gross short-volatility exposure, in currency per vol
    point, before netting against long options.

An order is DENIED when a limit is exceeded after it *and* the order makes that figure worse
(larger than before), so reducing orders always pass, even in a book already over a limit.
``NO_PRICE`` when an underlying has no price. Every limit is off when ``None``; the section
is off by default (``enabled: false``). Equity orders are not looked at.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import pandas as pd
from pydantic import Field

from tronlab.options.fno_margin import UnpricedError, book_greeks
from tronlab.risk.decision import FnoView, MarketView, RiskDecision
from tronlab.risk.rules._base import RuleConfig
from tronlab.risk.rules.margin import fno_orders

if TYPE_CHECKING:
    from tronlab.execution.intents import OrderIntent
    from tronlab.risk.context import RuleContext

__all__ = ["GreeksConfig", "GreeksRule"]

_EPS = 1e-9


class GreeksConfig(RuleConfig):
    """Config section ``risk.greeks``; off by default, every limit off when ``None``."""

    enabled: bool = False
    max_abs_delta: float | None = Field(
        default=None, gt=0, allow_inf_nan=False,
        description="Largest |net delta| per underlying, in units of the underlying.",
    )  # fmt: skip
    max_abs_delta_notional: float | None = Field(
        default=None, gt=0, allow_inf_nan=False,
        description="Largest |net delta| x underlying price per underlying, in currency.",
    )  # fmt: skip
    max_short_vega: float | None = Field(
        default=None, gt=0, allow_inf_nan=False,
        description="Largest |sum of negative vegas| per underlying, currency per vol point.",
    )  # fmt: skip
    r: float = Field(default=0.065, allow_inf_nan=False, description="Rate for Black-76.")
    default_vol: float = Field(
        default=0.15, gt=0, allow_inf_nan=False,
        description="Volatility of an option whose implied volatility cannot be solved.",
    )  # fmt: skip


_LIMITS = (
    ("max_abs_delta", "delta", "MAX_DELTA", "net delta"),
    ("max_abs_delta_notional", "delta_notional", "MAX_DELTA_NOTIONAL", "net delta notional"),
    ("max_short_vega", "short_vega", "MAX_SHORT_VEGA", "short vega"),
)


def _figure(by: pd.DataFrame, underlying: str, column: str) -> float:
    if underlying not in by.index:
        return 0.0
    value: Any = by.loc[underlying, column]
    return abs(float(value))


class GreeksRule:
    """Deny F&O orders that push the book's net delta or short vega past a limit."""

    name = "greeks"

    def __init__(self, config: GreeksConfig | None = None) -> None:
        self.config = config or GreeksConfig()

    def check(self, intent: OrderIntent, ctx: RuleContext) -> RiskDecision | None:
        return None  # judged on the whole book: check_book

    def check_book(
        self, intents: Sequence[OrderIntent], fno: FnoView, view: MarketView
    ) -> RiskDecision | None:
        cfg = self.config
        limits = [(getattr(cfg, f), *rest) for f, *rest in _LIMITS if getattr(cfg, f) is not None]
        if not cfg.enabled or not limits:
            return None
        orders = fno_orders(intents, view)
        if not orders:
            return None
        before = dict(fno.fno_book())
        after = dict(before)
        for inst, side, qty, _price in orders:
            after[inst] = after.get(inst, Decimal(0)) + (qty if side.sign > 0 else -qty)
        now = view.now()
        prices = view.last_prices
        try:
            g0 = book_greeks(before, prices.get, fno.underlying_price, now, cfg.r, cfg.default_vol)
            g1 = book_greeks(after, prices.get, fno.underlying_price, now, cfg.r, cfg.default_vol)
        except UnpricedError as exc:
            return RiskDecision.deny(
                "NO_PRICE", f"Greeks cannot be computed: {exc}", self.name,
                {"underlyings": list(exc.underlyings)},
            )  # fmt: skip
        underlyings = sorted({o[0].underlying or o[0].symbol for o in orders})
        for name in underlyings:
            for limit, column, code, label in limits:
                was = _figure(g0.by_underlying, name, column)
                now_v = _figure(g1.by_underlying, name, column)
                if now_v > limit and now_v > was + _EPS:
                    values: dict[str, Any] = {
                        "underlying": name,
                        "limit": limit,
                        "before": round(was, 6),
                        "after": round(now_v, 6),
                        "symbols": [o[0].symbol for o in orders],
                    }
                    return RiskDecision.deny(
                        code,
                        f"{name} {label} would be {now_v:,.2f} (limit {limit:,.2f}, "
                        f"now {was:,.2f})",
                        self.name,
                        values,
                    )
        return None
