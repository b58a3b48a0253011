"""Built-in strategies (each registers itself by name)."""

from tronlab.strategy.library.sma_cross import SmaCross

__all__ = ["SmaCross"]
