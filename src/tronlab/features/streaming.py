"""Single-input streaming indicators: SMA, EMA, WMA, RSI, Bollinger bands and MACD.

Each one takes ``source`` (see :data:`tronlab.features.base.SOURCES`), is fed one closed bar at
a time with ``update(bar)`` or one raw value with the fast path ``push(x)``, and matches the
TA-Lib function named in its docstring on every bar after warm-up (``ready`` flips on the bar
where TA-Lib's output stops being NaN). Per update they do O(1) work on plain Python floats.
"""

from __future__ import annotations

from collections.abc import Callable
from math import fsum, sqrt
from typing import NamedTuple

from tronlab.features.base import NAN, SingleInput, check_float, check_int


def _sum(values: list[float]) -> float:
    """Correctly rounded sum (``math.fsum``); NaN/inf/overflow fall back to the plain sum."""
    try:
        return fsum(values)
    except (ValueError, OverflowError):  # inf - inf, or an intermediate overflow
        return sum(values)


class SMA(SingleInput):
    """Simple moving average of the last ``period`` values (TA-Lib ``SMA``).

    Parameters
    ----------
    period
        Window length, >= 1. Warm-up: ``period`` values.
    source
        Bar field to average (``close``, ``hlc3``...).
    tick
        Optional price tick (e.g. 0.01). When given, each value is snapped to the nearest tick
        (``round(x / tick)``) and the window sum is kept exactly as an int number of ticks in
        :attr:`sum_ticks`, so comparisons between averages are exact (compare
        ``a.sum_ticks * b.period`` with ``b.sum_ticks * a.period``); :attr:`value` is then the
        correctly rounded ``sum_ticks * tick / period``.

    Notes
    -----
    Without ``tick`` the running float sum is recomputed exactly (``math.fsum``) every
    ``period`` values, so it does not drift over long series; a NaN/inf input makes the value
    NaN exactly while it is in the window. Reference: TA-Lib ``SMA``.
    """

    __slots__ = ("_buf", "_den", "_i", "_sum", "_sum_ticks", "_tick", "_ticks", "period")

    def __init__(self, period: int, source: str = "close", tick: float | None = None) -> None:
        super().__init__(source)
        self.period = check_int("period", period)
        self.warmup = self.period
        self._tick: float | None = None
        self._den: int | None = None
        if tick is not None:
            self._tick = check_float("tick", tick, positive=True)
            inverse = 1.0 / self._tick
            if abs(inverse - round(inverse)) <= 1e-9 * inverse:
                self._den = self.period * round(inverse)  # exact: value = sum_ticks / den
        self.reset()

    def reset(self) -> None:
        """Forget every value fed."""
        self._buf: list[float] = [0.0] * self.period
        self._ticks: list[int] = [0] * self.period if self._tick is not None else []
        self._i = 0
        self._n = 0
        self._sum = 0.0
        self._sum_ticks = 0

    def push(self, x: float) -> None:
        """Feed one raw value."""
        i = self._i
        tick = self._tick
        if tick is not None:  # the hot path of the exact-sum SMAs: one attribute read each
            ticks = self._ticks
            t = round(x / tick)
            self._sum_ticks += t - ticks[i]
            ticks[i] = t
            i += 1
            self._i = 0 if i == self.period else i
            self._n += 1
            return
        buf = self._buf
        self._sum += x - buf[i]
        buf[i] = x
        i += 1
        if i == self.period:
            i = 0
            self._sum = _sum(buf)
        self._i = i
        self._n += 1

    @property
    def sum_ticks(self) -> int:
        """Window sum in ticks (exact int); only with ``tick``."""
        if self._tick is None:
            raise ValueError("sum_ticks needs an SMA built with tick=...")
        return self._sum_ticks

    def compare(self, other: SMA) -> int:
        """Exact sign of ``self.value - other.value`` (-1, 0 or 1) for two tick SMAs.

        Raises
        ------
        ValueError
            When either SMA has no ``tick``, the ticks differ, or either is not ready.
        """
        sign = self.comparator(other)()
        if sign is None:
            raise ValueError("compare needs two ready SMAs")
        return sign

    def comparator(self, other: SMA) -> Callable[[], int | None]:
        """A function giving the exact sign of ``self.value - other.value`` (-1, 0 or 1) now,
        or ``None`` while either SMA is not ready: :meth:`compare` for a per-bar hook, with the
        argument checks done once here rather than on every call.

        Raises
        ------
        ValueError
            When either SMA has no ``tick`` or the ticks differ.
        """
        if self._tick is None or other._tick is None or self._tick != other._tick:
            raise ValueError("compare needs two SMAs built with the same tick=...")
        # fixed at construction (reset keeps them)
        mine, theirs = self.period, other.period
        mine_ready, theirs_ready = self.warmup, other.warmup

        def sign() -> int | None:
            if self._n < mine_ready or other._n < theirs_ready:
                return None
            left = self._sum_ticks * theirs
            right = other._sum_ticks * mine
            return (left > right) - (left < right)

        return sign

    @property
    def value(self) -> float:
        """The average, NaN until ready."""
        if self._n < self.period:
            return NAN
        if self._tick is None:
            total = self._sum
            if total - total != 0:  # NaN/inf went through the running sum: use the window
                total = _sum(self._buf)
            return total / self.period
        if self._den is not None:
            return self._sum_ticks / self._den
        return self._sum_ticks * self._tick / self.period


class EMA(SingleInput):
    """Exponential moving average, ``k = 2 / (period + 1)`` (TA-Lib ``EMA``).

    Seeded like TA-Lib: the first value is the SMA of the first ``period`` values, then
    ``ema = (x - ema) * k + ema``. Warm-up: ``period`` values. Reference: TA-Lib ``EMA``.
    """

    __slots__ = ("_ema", "_k", "_seed", "period")

    def __init__(self, period: int, source: str = "close") -> None:
        super().__init__(source)
        self.period = check_int("period", period)
        self.warmup = self.period
        self._k = 2.0 / (self.period + 1)
        self.reset()

    def reset(self) -> None:
        """Forget every value fed."""
        self._n = 0
        self._seed = 0.0
        self._ema = NAN

    def push(self, x: float) -> None:
        """Feed one raw value."""
        if self._n >= self.period:
            ema = self._ema
            self._ema = (x - ema) * self._k + ema
            return
        self._seed += x
        self._n += 1
        if self._n == self.period:
            self._ema = self._seed / self.period

    @property
    def value(self) -> float:
        """The average, NaN until ready."""
        return self._ema


class WMA(SingleInput):
    """Linearly weighted moving average, weights 1..period, newest heaviest (TA-Lib ``WMA``).

    O(1) per value with a running sum and weighted sum (TA-Lib's recurrence), both recomputed
    exactly every ``period`` values. Warm-up: ``period`` values. Reference: TA-Lib ``WMA``.
    """

    __slots__ = ("_buf", "_divider", "_i", "_sum", "_wsum", "period")

    def __init__(self, period: int, source: str = "close") -> None:
        super().__init__(source)
        self.period = check_int("period", period)
        self.warmup = self.period
        self._divider = self.period * (self.period + 1) / 2.0
        self.reset()

    def reset(self) -> None:
        """Forget every value fed."""
        self._buf = [0.0] * self.period
        self._i = 0
        self._n = 0
        self._sum = 0.0
        self._wsum = 0.0

    def push(self, x: float) -> None:
        """Feed one raw value."""
        buf = self._buf
        i = self._i
        # every weight drops by one (the oldest to 0) and x enters with weight `period`
        self._wsum += self.period * x - self._sum
        self._sum += x - buf[i]
        buf[i] = x
        i += 1
        if i == self.period:
            i = 0  # buf is now oldest..newest: recompute both sums exactly
            self._sum = _sum(buf)
            self._wsum = _sum([w * v for w, v in enumerate(buf, 1)])
        self._i = i
        self._n += 1

    @property
    def value(self) -> float:
        """The average, NaN until ready."""
        if self._n < self.period:
            return NAN
        total = self._wsum
        if total - total != 0:  # NaN/inf went through the running sums: use the window
            i = self._i
            ordered = self._buf[i:] + self._buf[:i]  # oldest..newest
            total = _sum([w * v for w, v in enumerate(ordered, 1)])
        return total / self._divider


class RSI(SingleInput):
    """Wilder's relative strength index (TA-Lib ``RSI``).

    Average gain and loss are seeded with the plain mean of the first ``period`` changes, then
    smoothed as ``avg = (avg * (period - 1) + change) / period``;
    ``rsi = 100 * gain / (gain + loss)``. Warm-up: ``period + 1`` values.

    Notes
    -----
    TA-Lib convention kept for parity: when ``gain + loss`` is exactly 0 (no change over the
    whole seed, or a flat stretch long enough for both averages to underflow) the RSI is 0,
    not 50. Reference: TA-Lib ``RSI``.
    """

    __slots__ = ("_gain", "_loss", "_prev", "_rsi", "period")

    def __init__(self, period: int = 14, source: str = "close") -> None:
        super().__init__(source)
        self.period = check_int("period", period)
        self.warmup = self.period + 1
        self.reset()

    def reset(self) -> None:
        """Forget every value fed."""
        self._n = 0
        self._prev = NAN
        self._gain = 0.0
        self._loss = 0.0
        self._rsi = NAN

    def push(self, x: float) -> None:
        """Feed one raw value."""
        n = self._n
        change = x - self._prev
        self._prev = x
        p = self.period
        if n > p:
            gain = self._gain * (p - 1)
            loss = self._loss * (p - 1)
            if change < 0:
                loss -= change
            else:
                gain += change
            gain /= p
            loss /= p
        else:
            self._n = n + 1
            if n == 0:
                return
            if change < 0:
                self._loss -= change
            else:
                self._gain += change
            if n < p:
                return
            gain = self._gain / p
            loss = self._loss / p
        self._gain = gain
        self._loss = loss
        total = gain + loss
        self._rsi = 100.0 * (gain / total) if total != 0.0 else 0.0

    @property
    def value(self) -> float:
        """The RSI in [0, 100], NaN until ready."""
        return self._rsi


class BollingerValue(NamedTuple):
    """Bollinger bands; ``percent_b`` = (x - lower) / (upper - lower) (NaN when the bands
    coincide), ``width`` = (upper - lower) / middle (NaN when middle is 0)."""

    upper: float
    middle: float
    lower: float
    percent_b: float
    width: float


_BOLLINGER_NAN = BollingerValue(NAN, NAN, NAN, NAN, NAN)


class Bollinger(SingleInput):
    """Bollinger bands: SMA ± ``k`` population standard deviations (TA-Lib ``BBANDS``).

    Parameters
    ----------
    period
        Window length, >= 1. Warm-up: ``period`` values.
    k
        Band width in standard deviations (``nbdevup = nbdevdn = k``), >= 0.
    source
        Bar field (default ``close``).

    Notes
    -----
    The variance is kept from sums of values shifted by a recent value (no catastrophic
    cancellation at price levels of 10^4 and more), recomputed exactly every ``period``
    values and whenever the variance is small next to the rounding residue the running sums
    may carry (after a jump left the window); a window of identical values has a standard
    deviation of exactly 0 (so ``%b`` is NaN there rather than a ratio of rounding noise).
    Reference: TA-Lib ``BBANDS(timeperiod, nbdevup=k, nbdevdn=k, matype=SMA)``.
    """

    __slots__ = ("_buf", "_i", "_last", "_peak", "_ref", "_s1", "_s2", "k", "period")

    def __init__(self, period: int = 20, k: float = 2.0, source: str = "close") -> None:
        super().__init__(source)
        self.period = check_int("period", period)
        self.k = check_float("k", k)
        self.warmup = self.period
        self.reset()

    def reset(self) -> None:
        """Forget every value fed."""
        self._buf = [0.0] * self.period
        self._i = 0
        self._n = 0
        self._ref = 0.0
        self._s1 = 0.0
        self._s2 = 0.0
        self._last = NAN
        self._peak = 0.0

    def push(self, x: float) -> None:
        """Feed one raw value."""
        buf = self._buf
        i = self._i
        ref = self._ref
        d = x - ref
        old = buf[i] - ref
        self._s1 += d - old
        gone = old * old
        self._s2 += d * d - gone
        if gone > self._peak:
            self._peak = gone  # scale of the rounding residue left in the running sums
        buf[i] = x
        self._last = x
        i += 1
        if i == self.period:
            i = 0
            self._recenter()
        self._i = i
        self._n += 1

    def _recenter(self) -> None:
        """Recompute the shifted sums exactly around the latest value."""
        buf = self._buf
        last = self._last
        ref = self._ref = last if last - last == 0 else 0.0
        self._s1 = _sum([v - ref for v in buf])
        self._s2 = _sum([(v - ref) * (v - ref) for v in buf])
        self._peak = 0.0

    @property
    def std(self) -> float:
        """Population standard deviation of the window, NaN until ready."""
        if self._n < self.period:
            return NAN
        p = self.period
        mean = self._s1 / p
        square = self._s2 / p
        var = square - mean * mean
        if not var >= 1e-4 * (self._peak if self._peak > square else square):
            # the variance is small next to what went through the running sums (a jump just
            # left the window, prices drifted far from the shift, or the window is flat), or
            # NaN: recompute exactly around the latest value (a flat window then gives 0)
            self._recenter()
            mean = self._s1 / p
            var = self._s2 / p - mean * mean
        if var > 0.0:
            return sqrt(var)
        return 0.0 if var <= 0.0 else NAN

    @property
    def value(self) -> BollingerValue:
        """Bands, %b and width; all NaN until ready."""
        if self._n < self.period:
            return _BOLLINGER_NAN
        std = self.std
        middle = self._ref + self._s1 / self.period
        dev = std * self.k
        upper = middle + dev
        lower = middle - dev
        span = upper - lower
        percent_b = (self._last - lower) / span if span > 0 else NAN
        width = span / middle if middle != 0 else NAN
        return BollingerValue(upper, middle, lower, percent_b, width)


class MACDValue(NamedTuple):
    """MACD line (fast EMA - slow EMA), its signal EMA and the histogram (macd - signal)."""

    macd: float
    signal: float
    hist: float


_MACD_NAN = MACDValue(NAN, NAN, NAN)


class MACD(SingleInput):
    """Moving average convergence/divergence (TA-Lib ``MACD``).

    Parameters
    ----------
    fast, slow, signal
        EMA periods, >= 1, ``fast <= slow``. Warm-up: ``slow + signal - 1`` values; all three
        outputs are NaN before that, as in TA-Lib.

    Notes
    -----
    TA-Lib quirk replicated: both EMAs start on the same bar. The slow EMA is seeded with the
    SMA of the first ``slow`` values; the fast EMA is *not* seeded from the first ``fast``
    values but with the SMA of the ``fast`` values ending on that same bar (index
    ``slow - 1``). The signal EMA is seeded with the SMA of the first ``signal`` MACD values.
    (TA-Lib swaps ``fast`` and ``slow`` silently when ``fast > slow``; this raises instead.)
    Reference: TA-Lib ``MACD``.
    """

    __slots__ = (
        "_fast",
        "_fast_seed",
        "_kf",
        "_ks",
        "_ksig",
        "_macd",
        "_signal",
        "_signal_seed",
        "_slow",
        "_slow_seed",
        "fast",
        "signal",
        "slow",
    )

    def __init__(
        self, fast: int = 12, slow: int = 26, signal: int = 9, source: str = "close"
    ) -> None:
        super().__init__(source)
        self.fast = check_int("fast", fast)
        self.slow = check_int("slow", slow)
        self.signal = check_int("signal", signal)
        if self.fast > self.slow:
            raise ValueError(f"fast ({self.fast}) must be <= slow ({self.slow})")
        self.warmup = self.slow + self.signal - 1
        self._kf = 2.0 / (self.fast + 1)
        self._ks = 2.0 / (self.slow + 1)
        self._ksig = 2.0 / (self.signal + 1)
        self.reset()

    def reset(self) -> None:
        """Forget every value fed."""
        self._n = 0
        self._fast_seed = 0.0
        self._slow_seed = 0.0
        self._signal_seed = 0.0
        self._fast = NAN
        self._slow = NAN
        self._macd = NAN
        self._signal = NAN

    def push(self, x: float) -> None:
        """Feed one raw value."""
        n = self._n
        slow = self.slow
        if n >= slow:
            f = self._fast
            s = self._slow
            f = self._fast = (x - f) * self._kf + f
            s = self._slow = (x - s) * self._ks + s
            macd = self._macd = f - s
            if n >= self.warmup:
                sig = self._signal
                self._signal = (macd - sig) * self._ksig + sig
                return
        else:
            self._slow_seed += x
            if n >= slow - self.fast:
                self._fast_seed += x
            if n < slow - 1:
                self._n = n + 1
                return
            self._fast = self._fast_seed / self.fast
            self._slow = self._slow_seed / slow
            macd = self._macd = self._fast - self._slow
        self._signal_seed += macd
        self._n = n = n + 1
        if n == self.warmup:
            self._signal = self._signal_seed / self.signal

    @property
    def value(self) -> MACDValue:
        """(macd, signal, hist), all NaN until ready."""
        if self._n < self.warmup:
            return _MACD_NAN
        return MACDValue(self._macd, self._signal, self._macd - self._signal)
