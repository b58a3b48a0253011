"""Session-anchored streaming indicators: session VWAP with bands and the opening range.

Both reset when ``bar.session`` changes (the first bar of a new session starts them afresh).
"""

from __future__ import annotations

from math import sqrt
from typing import NamedTuple

from tronlab.features.base import NAN, BarLike, check_float, check_int

_NS_PER_MINUTE = 60_000_000_000


class VWAPValue(NamedTuple):
    """Session VWAP, the weighted standard deviation of typical price around it, and the
    bands ``vwap ± k * std`` for the two multipliers of ``bands`` (inner, outer)."""

    vwap: float
    std: float
    upper1: float
    lower1: float
    upper2: float
    lower2: float


_VWAP_NAN = VWAPValue(NAN, NAN, NAN, NAN, NAN, NAN)


class SessionVWAP:
    """Volume-weighted average of typical price ((high + low + close) / 3) since the session's
    first bar, with standard-deviation bands.

    ``std = sqrt(sum(v * (tp - vwap)**2) / sum(v))`` over the session's bars so far (weighted
    population variance around the current VWAP), updated with West's weighted Welford
    recurrence (no cancellation at large price levels).

    Parameters
    ----------
    bands
        The two band multipliers ``(k1, k2)``, each >= 0; :meth:`band` gives any other.

    Notes
    -----
    Zero volume (indices carry volume 0): while the session has traded no volume at all, every
    bar gets weight 1, i.e. the values are the equal-weighted mean and standard deviation of
    typical price. From the first bar with volume > 0 on, the values are volume-weighted and
    zero-volume bars weigh nothing. Warm-up: 1 bar (``ready`` stays True across sessions, the
    first bar of a session gives vwap = its typical price and std = 0). Reference: the pandas
    group-by-session cumulative computation in the tests.
    """

    __slots__ = (
        "_count",
        "_k1",
        "_k2",
        "_mean_eq",
        "_mean_vol",
        "_session",
        "_ss_eq",
        "_ss_vol",
        "_volume",
        "bands",
        "warmup",
    )

    def __init__(self, bands: tuple[float, float] = (1.0, 2.0)) -> None:
        try:
            k1, k2 = bands
        except (TypeError, ValueError):
            raise ValueError(
                f"bands must be a pair of multipliers (k1, k2), got {bands!r}"
            ) from None
        self._k1 = check_float("bands[0]", k1)
        self._k2 = check_float("bands[1]", k2)
        self.bands = (self._k1, self._k2)
        self.warmup = 1
        self.reset()

    def reset(self) -> None:
        """Forget every bar fed."""
        self._session: int | None = None
        self._start_session()

    def _start_session(self) -> None:
        self._count = 0
        self._mean_eq = 0.0
        self._ss_eq = 0.0
        self._volume = 0.0
        self._mean_vol = 0.0
        self._ss_vol = 0.0

    def update(self, bar: BarLike) -> None:
        """Feed one closed bar."""
        session = bar.session
        if session != self._session:
            self._session = session
            self._start_session()
        tp = (bar.high + bar.low + bar.close) / 3.0
        self._count += 1
        delta = tp - self._mean_eq
        self._mean_eq += delta / self._count
        self._ss_eq += delta * (tp - self._mean_eq)
        volume = bar.volume
        if volume > 0:
            self._volume += volume
            delta = tp - self._mean_vol
            self._mean_vol += delta * (volume / self._volume)
            self._ss_vol += volume * delta * (tp - self._mean_vol)

    @property
    def volume_weighted(self) -> bool:
        """True when the current session has traded volume (values are volume-weighted)."""
        return self._volume > 0

    @property
    def vwap(self) -> float:
        """The session VWAP, NaN before the first bar."""
        if self._count == 0:
            return NAN
        return self._mean_vol if self._volume > 0 else self._mean_eq

    @property
    def std(self) -> float:
        """Weighted standard deviation of typical price around the VWAP, NaN before a bar."""
        if self._count == 0:
            return NAN
        volume = self._volume
        var = self._ss_vol / volume if volume > 0 else self._ss_eq / self._count
        return sqrt(var) if var > 0 else 0.0

    def band(self, k: float) -> tuple[float, float]:
        """``(vwap + k * std, vwap - k * std)`` for any multiplier ``k``."""
        vwap = self.vwap
        dev = k * self.std
        return vwap + dev, vwap - dev

    @property
    def value(self) -> VWAPValue:
        """(vwap, std, upper1, lower1, upper2, lower2), all NaN before the first bar."""
        if self._count == 0:
            return _VWAP_NAN
        vwap = self.vwap
        std = self.std
        dev1 = self._k1 * std
        dev2 = self._k2 * std
        return VWAPValue(vwap, std, vwap + dev1, vwap - dev1, vwap + dev2, vwap - dev2)

    @property
    def ready(self) -> bool:
        """True once a bar has been fed."""
        return self._count > 0


class OpeningRangeValue(NamedTuple):
    """High and low of the session's opening window; ``complete`` once the window is over."""

    high: float
    low: float
    complete: bool


_OR_EMPTY = OpeningRangeValue(NAN, NAN, False)


class OpeningRange:
    """High and low of the bars starting in the first ``minutes`` minutes of each session.

    The window opens at the ``start_ns`` of the session's first bar and covers the bars whose
    ``start_ns`` is before ``open + minutes``. It is complete (``ready``) as soon as a bar
    inside it closes at or after that time (``end_ns >= open + minutes``) or the first bar
    starting at or after it arrives (that bar is not part of the range). Before that,
    :attr:`value` holds the partial range with ``complete=False``. A new session resets it.

    Parameters
    ----------
    minutes
        Window length in minutes, >= 1.

    Notes
    -----
    Warm-up is time-based: ``warmup`` (1) is only a lower bound; use ``ready``, which turns
    False again at each new session until its window completes.
    """

    __slots__ = (
        "_complete",
        "_end_ns",
        "_high",
        "_low",
        "_session",
        "_window_ns",
        "minutes",
        "warmup",
    )

    def __init__(self, minutes: int = 15) -> None:
        self.minutes = check_int("minutes", minutes)
        self._window_ns = self.minutes * _NS_PER_MINUTE
        self.warmup = 1
        self.reset()

    def reset(self) -> None:
        """Forget every bar fed."""
        self._session: int | None = None
        self._end_ns = 0
        self._high = NAN
        self._low = NAN
        self._complete = False

    def update(self, bar: BarLike) -> None:
        """Feed one closed bar."""
        if bar.session != self._session:
            self._session = bar.session
            self._end_ns = bar.start_ns + self._window_ns
            self._high = bar.high
            self._low = bar.low
            self._complete = bar.end_ns >= self._end_ns
            return
        if self._complete:
            return
        if bar.start_ns >= self._end_ns:
            self._complete = True
            return
        if bar.high > self._high:
            self._high = bar.high
        if bar.low < self._low:
            self._low = bar.low
        if bar.end_ns >= self._end_ns:
            self._complete = True

    @property
    def value(self) -> OpeningRangeValue:
        """(high, low, complete); (nan, nan, False) before the first bar."""
        if self._session is None:
            return _OR_EMPTY
        return OpeningRangeValue(self._high, self._low, self._complete)

    @property
    def ready(self) -> bool:
        """True once the current session's opening window is complete."""
        return self._complete
