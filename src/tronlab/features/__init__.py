"""Streaming (bar-by-bar) technical indicators for strategies.

Every indicator follows :class:`StreamingIndicator`: feed each closed bar with
``update(bar)`` (any object with the :class:`BarLike` fields), read ``value`` once ``ready``.
Single-input indicators also take ``source`` (see :data:`SOURCES`) and offer the fast path
``push(x)``. Results match TA-Lib bar for bar after warm-up (see each class for the function
and the TA-Lib conventions kept). Core-service layer: imports only the standard library.

Inputs are expected to be finite. A NaN/inf makes the window indicators (SMA, WMA,
Bollinger) NaN exactly while it is in their window; the recursive ones (EMA, RSI, MACD, ATR,
ADX) stay NaN for good, as in TA-Lib; an SMA with ``tick`` raises ValueError on it.
"""

from __future__ import annotations

from tronlab.features.base import (
    SOURCES,
    BarLike,
    StreamingIndicator,
    source_getter,
    source_value,
)
from tronlab.features.streaming import (
    EMA,
    MACD,
    RSI,
    SMA,
    WMA,
    Bollinger,
    BollingerValue,
    MACDValue,
)
from tronlab.features.streaming_session import (
    OpeningRange,
    OpeningRangeValue,
    SessionVWAP,
    VWAPValue,
)
from tronlab.features.streaming_trend import (
    ADX,
    ATR,
    ADXValue,
    Donchian,
    DonchianValue,
    RollingHigh,
    RollingLow,
)

#: Names of the ``source`` values the single-input indicators accept.
sources: tuple[str, ...] = tuple(SOURCES)

__all__ = [
    "ADX",
    "ATR",
    "EMA",
    "MACD",
    "RSI",
    "SMA",
    "SOURCES",
    "WMA",
    "ADXValue",
    "BarLike",
    "Bollinger",
    "BollingerValue",
    "Donchian",
    "DonchianValue",
    "MACDValue",
    "OpeningRange",
    "OpeningRangeValue",
    "RollingHigh",
    "RollingLow",
    "SessionVWAP",
    "StreamingIndicator",
    "VWAPValue",
    "source_getter",
    "source_value",
    "sources",
]
