"""Injected time. Nothing in the engine, risk or strategy code calls ``datetime.now()``.

A backtest advances a :class:`SimulatedClock` to each event's time; a paper or live session
uses :class:`RealClock` (paced replay uses a simulated clock advanced by the pacer).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Protocol

import pandas as pd


class Clock(Protocol):
    """Source of "now" for everything downstream of the feed."""

    def now(self) -> datetime: ...

    def now_ns(self) -> int: ...


class SimulatedClock:
    """A clock that only moves when the event loop sets it (never backwards)."""

    __slots__ = ("_dt", "_dt_ns", "_ns")

    def __init__(self, start_ns: int = 0) -> None:
        self._ns = int(start_ns)
        self._dt_ns = -1
        self._dt = _EPOCH

    def set_ns(self, ns: int) -> None:
        if ns < self._ns:
            raise ValueError(
                f"the simulated clock cannot go back from {self.now()} to {_to_dt(ns)}"
            )
        self._ns = ns

    def now_ns(self) -> int:
        return self._ns

    def now(self) -> datetime:
        ns = self._ns
        if ns != self._dt_ns:  # many reads per event: convert once
            self._dt = _to_dt(ns)
            self._dt_ns = ns
        return self._dt


class RealClock:
    """Wall-clock time in UTC."""

    def now(self) -> datetime:
        return datetime.now(UTC)

    def now_ns(self) -> int:
        return pd.Timestamp(self.now()).value


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _to_dt(ns: int) -> datetime:
    seconds, rem = divmod(ns, 1_000_000_000)
    return _EPOCH + timedelta(0, seconds, rem // 1000)  # (days, seconds, microseconds)
