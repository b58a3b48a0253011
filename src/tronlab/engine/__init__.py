"""The engine: clock, feeds, event loop, backtest runner and the vectorised fast path.

Backtest, paper and live differ only in the feed, the clock and the broker adapter; the
strategy, the risk hop and the portfolio cannot tell which mode they run in.
"""
