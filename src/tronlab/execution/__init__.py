"""Execution services: order handling and the fill and fee models.

Cost models live in :mod:`tronlab.execution.costs` (models, registry) and
:mod:`tronlab.execution.costs_rates` (the dated rate tables they read).
"""

from tronlab.execution.costs import (
    CENT,
    COST_MODEL_SPECS,
    NO_CHARGES,
    AlpacaCosts,
    ChargeBreakdown,
    CostModel,
    PercentCost,
    ZeroCost,
    ZerodhaCosts,
    cost_model_for,
    zerodha_category,
)
from tronlab.execution.costs_rates import (
    AlpacaRates,
    ChargeCategory,
    CostRates,
    CostRatesError,
    NoRatesForDate,
    RateSchedule,
    ZerodhaRates,
    default_cost_rates,
    load_cost_rates,
    parse_cost_rates,
    parse_cost_rates_text,
)

__all__ = [
    "CENT",
    "COST_MODEL_SPECS",
    "NO_CHARGES",
    "AlpacaCosts",
    "AlpacaRates",
    "ChargeBreakdown",
    "ChargeCategory",
    "CostModel",
    "CostRates",
    "CostRatesError",
    "NoRatesForDate",
    "PercentCost",
    "RateSchedule",
    "ZeroCost",
    "ZerodhaCosts",
    "ZerodhaRates",
    "cost_model_for",
    "default_cost_rates",
    "load_cost_rates",
    "parse_cost_rates",
    "parse_cost_rates_text",
    "zerodha_category",
]
