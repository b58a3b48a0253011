"""tronlab: research, backtest, paper and live trading with one engine."""

__version__ = "0.1.0"
