"""Built-in strategies (each registers itself by name)."""

from tronlab.strategy.library.orb import OpeningRangeBreakout
from tronlab.strategy.library.range_reversal import RangeReversal
from tronlab.strategy.library.scalp import MomentumScalp
from tronlab.strategy.library.sma_cross import SmaCross
from tronlab.strategy.library.vwap import VwapStrategy

__all__ = ["MomentumScalp", "OpeningRangeBreakout", "RangeReversal", "SmaCross", "VwapStrategy"]
