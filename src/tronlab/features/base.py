"""Protocols, input sources and argument checks shared by the streaming indicators.

Nothing here imports numpy per update: the indicators run on plain Python floats.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any, Protocol, runtime_checkable

NAN = math.nan


class BarLike(Protocol):
    """What a streaming indicator reads from a closed bar.

    Attributes
    ----------
    open, high, low, close, volume
        Prices and traded volume as floats (indices carry volume 0).
    start_ns, end_ns
        Bar start and close time, int nanoseconds since the epoch (UTC).
    session
        Integer id of the trading session (e.g. the day number in the exchange's time zone);
        a change of ``session`` starts a new session.
    """

    @property
    def open(self) -> float: ...

    @property
    def high(self) -> float: ...

    @property
    def low(self) -> float: ...

    @property
    def close(self) -> float: ...

    @property
    def volume(self) -> float: ...

    @property
    def start_ns(self) -> int: ...

    @property
    def end_ns(self) -> int: ...

    @property
    def session(self) -> int: ...


@runtime_checkable
class StreamingIndicator(Protocol):
    """An indicator fed one closed bar at a time.

    ``warmup`` is the number of bars fed before ``ready`` becomes True (TA-Lib's lookback + 1
    for the indicators with a TA-Lib counterpart). ``value`` is a float (NaN until ready) or a
    NamedTuple of floats for multi-output indicators.
    """

    warmup: int

    def update(self, bar: BarLike) -> None: ...

    @property
    def value(self) -> Any: ...

    @property
    def ready(self) -> bool: ...


def _hl2(bar: BarLike) -> float:
    return (bar.high + bar.low) / 2.0


def _hlc3(bar: BarLike) -> float:
    # same operation order as TA-Lib's TYPPRICE
    return (bar.high + bar.low + bar.close) / 3.0


def _ohlc4(bar: BarLike) -> float:
    return (bar.open + bar.high + bar.low + bar.close) / 4.0


#: Source name -> function reading that value from a bar. ``hl2`` = (high+low)/2,
#: ``hlc3`` = (high+low+close)/3 (typical price), ``ohlc4`` = (open+high+low+close)/4.
SOURCES: Mapping[str, Callable[[BarLike], float]] = MappingProxyType(
    {
        "open": operator.attrgetter("open"),
        "high": operator.attrgetter("high"),
        "low": operator.attrgetter("low"),
        "close": operator.attrgetter("close"),
        "volume": operator.attrgetter("volume"),
        "hl2": _hl2,
        "hlc3": _hlc3,
        "ohlc4": _ohlc4,
    }
)


def source_getter(name: str) -> Callable[[BarLike], float]:
    """The function reading source ``name`` (one of :data:`SOURCES`) from a bar.

    Raises
    ------
    ValueError
        On an unknown source name.
    """
    try:
        return SOURCES[name]
    except (KeyError, TypeError):
        raise ValueError(
            f"unknown source {name!r}; expected one of: {', '.join(SOURCES)}"
        ) from None


def source_value(bar: BarLike, name: str) -> float:
    """Value of source ``name`` for ``bar`` (convenience; hot loops should use the getter)."""
    return source_getter(name)(bar)


def check_int(name: str, value: object, minimum: int = 1) -> int:
    """``value`` as an int >= ``minimum``, or ValueError naming the argument."""
    if isinstance(value, (bool, float)):
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")
    try:
        number = operator.index(value)  # type: ignore[arg-type]
    except TypeError:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}") from None
    if number < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {number}")
    return int(number)


def check_float(name: str, value: object, *, positive: bool = False) -> float:
    """``value`` as a finite float (> 0 when ``positive``, else >= 0), or ValueError."""
    what = "a finite number > 0" if positive else "a finite number >= 0"
    if isinstance(value, bool):
        raise ValueError(f"{name} must be {what}, got {value!r}")
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be {what}, got {value!r}") from None
    if not math.isfinite(number) or number < 0 or (positive and number == 0):
        raise ValueError(f"{name} must be {what}, got {value!r}")
    return number


class SingleInput:
    """Base of the single-input indicators: ``update(bar)`` reads ``source`` and calls ``push``.

    Subclasses implement ``push(x)`` (the fast path taking the raw value), ``value`` and
    ``reset``; they count fed values in ``_n`` (saturating at ``warmup`` is allowed).
    """

    __slots__ = ("_get", "_n", "source", "warmup")

    def __init__(self, source: str) -> None:
        self._get = source_getter(source)
        self.source = source
        self.warmup = 1
        self._n = 0

    def push(self, x: float) -> None:  # pragma: no cover - overridden
        raise NotImplementedError

    def update(self, bar: BarLike) -> None:
        """Feed one closed bar (reads ``source`` and calls :meth:`push`)."""
        self.push(self._get(bar))

    @property
    def ready(self) -> bool:
        """True once ``warmup`` values have been fed."""
        return self._n >= self.warmup
