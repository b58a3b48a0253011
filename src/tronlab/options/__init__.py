"""Option pricing, Greeks and implied volatility for NSE index options, vectorised over chains.

Conventions (interfaces.md section 6): European options priced with **Black-76 on the
forward** ``F`` (same-expiry future, or the put-call-parity forward at the ATM strike), ``T``
in calendar years to 15:30 IST on the expiry date, ``r`` a configured continuously
compounded rate; BSM on spot with dividend yield ``q`` is offered too and agrees when
``F = S·e^{(r-q)T}``.

Units: volatilities and rates are decimals (0.13 = 13%); ``T`` in years; delta per 1.0 of the
underlying (Black: dV/dF incl. e^{-rT}); gamma per 1.0²; vega per vol point (0.01); theta per
calendar day (Black holds F fixed, BSM holds S fixed); rho per 1% (Black: -T·V·0.01).

Quick use::

    from tronlab.options import black76, implied_vol_black76, year_fraction
    g = black76(24000.0, 24100.0, 7 / 365, 0.13, 0.065, True)
    g.price, g.delta  # 127.15683322, 0.41165903
    implied_vol_black76(g.price, 24000.0, 24100.0, 7 / 365, 0.065, True).iv  # 0.13

Core-service layer: imports numpy, scipy, ``lets_be_rational`` and :mod:`tronlab.model` only.
"""

from __future__ import annotations

from tronlab.options.bars import option_bars
from tronlab.options.forward import (
    ParityForward,
    forward_from_future,
    parity_forward,
    parity_forwards,
)
from tronlab.options.iv import (
    BRENT_BRACKET,
    NSE_PRICE_FLOOR,
    STATUS_TEXT,
    IVResult,
    IVStatus,
    implied_vol_black76,
    implied_vol_bsm,
)
from tronlab.options.margin import (
    SCENARIOS,
    MarginBreakdown,
    SpanParams,
    scenario_grid,
    span_like_margin,
)
from tronlab.options.portfolio import PortfolioGreeks, portfolio_greeks
from tronlab.options.pricing import (
    DAYS_PER_YEAR,
    UNITS,
    FloatArray,
    Greeks,
    as_is_call,
    black76,
    black76_price,
    bsm,
    bsm_price,
    forward_from_spot,
)
from tronlab.options.time import (
    IST,
    NSE_CLOSE,
    SECONDS_PER_YEAR,
    days_to_years,
    expiry_instant,
    year_fraction,
)

__all__ = [
    "BRENT_BRACKET",
    "DAYS_PER_YEAR",
    "IST",
    "NSE_CLOSE",
    "NSE_PRICE_FLOOR",
    "SCENARIOS",
    "SECONDS_PER_YEAR",
    "STATUS_TEXT",
    "UNITS",
    "FloatArray",
    "Greeks",
    "IVResult",
    "IVStatus",
    "MarginBreakdown",
    "ParityForward",
    "PortfolioGreeks",
    "SpanParams",
    "as_is_call",
    "black76",
    "black76_price",
    "bsm",
    "bsm_price",
    "days_to_years",
    "expiry_instant",
    "forward_from_future",
    "forward_from_spot",
    "implied_vol_black76",
    "implied_vol_bsm",
    "option_bars",
    "parity_forward",
    "parity_forwards",
    "portfolio_greeks",
    "scenario_grid",
    "span_like_margin",
    "year_fraction",
]
