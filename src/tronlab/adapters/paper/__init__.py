"""The paper broker: the backtest's simulated exchange, used as a broker adapter.

Backtests and paper sessions both trade against :class:`SimulatedExchange`; only the feed and
the clock differ, so a strategy cannot tell them apart (interfaces.md 7.4).
"""

from tronlab.adapters.paper.exchange import ExchangeEvent, RejectCode, SimulatedExchange

__all__ = ["ExchangeEvent", "RejectCode", "SimulatedExchange"]
