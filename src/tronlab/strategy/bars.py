"""Bars as a strategy sees them: one closed bar, and the closed-bar history of a series."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class History:
    """Closed bars of one series up to the current one (read-only numpy views)."""

    start_ns: np.ndarray
    open: np.ndarray
    high: np.ndarray
    low: np.ndarray
    close: np.ndarray
    volume: np.ndarray

    def __len__(self) -> int:
        return len(self.close)


class Bar:
    """A closed bar as handed to a strategy."""

    __slots__ = (
        "close",
        "end_ns",
        "high",
        "index",
        "low",
        "open",
        "session",
        "start_ns",
        "symbol",
        "timeframe",
        "volume",
    )

    def __init__(
        self,
        symbol: str,
        timeframe: str,
        index: int,
        start_ns: int,
        end_ns: int,
        open_: float,
        high: float,
        low: float,
        close: float,
        volume: float,
        session: int,
    ) -> None:
        self.symbol = symbol
        self.timeframe = timeframe
        self.index = index
        self.start_ns = start_ns
        self.end_ns = end_ns
        self.open = open_
        self.high = high
        self.low = low
        self.close = close
        self.volume = volume
        self.session = session

    @property
    def start(self) -> pd.Timestamp:
        return pd.Timestamp(self.start_ns, tz="UTC")

    @property
    def end(self) -> pd.Timestamp:
        return pd.Timestamp(self.end_ns, tz="UTC")

    def __repr__(self) -> str:
        return (
            f"Bar({self.symbol} {self.timeframe} {self.start.isoformat()} "
            f"O={self.open} H={self.high} L={self.low} C={self.close} V={self.volume})"
        )
