"""Range and trend streaming indicators: rolling high/low, Donchian channels, ATR, ADX.

``RollingHigh`` / ``RollingLow`` take a ``source`` and ``push(x)`` like the single-input
indicators; the others read ``high``, ``low`` and ``close`` from each bar, with ``push_hlc`` /
``push_hl`` as the fast paths taking the raw values. Results match TA-Lib bar for bar after
warm-up.
"""

from __future__ import annotations

from collections import deque
from typing import NamedTuple

from tronlab.features.base import NAN, BarLike, SingleInput, check_int


class _RollingExtreme(SingleInput):
    """Rolling max or min of the last ``period`` values with a monotonic deque (O(1) amortised)."""

    __slots__ = ("_dq", "period")

    def __init__(self, period: int, source: str) -> None:
        super().__init__(source)
        self.period = check_int("period", period)
        self.warmup = self.period
        self.reset()

    def reset(self) -> None:
        """Forget every value fed."""
        self._dq: deque[tuple[int, float]] = deque()
        self._n = 0

    @property
    def value(self) -> float:
        """The extreme of the last ``period`` values, NaN until ready."""
        if self._n < self.period:
            return NAN
        return self._dq[0][1]


class RollingHigh(_RollingExtreme):
    """Highest value of the last ``period`` values, current included (TA-Lib ``MAX``).

    Monotonic deque: O(1) amortised per value. Warm-up: ``period`` values. Inputs must not be
    NaN. Reference: TA-Lib ``MAX(high, period)`` for the default ``source="high"``.
    """

    __slots__ = ()

    def __init__(self, period: int, source: str = "high") -> None:
        super().__init__(period, source)

    def push(self, x: float) -> None:
        """Feed one raw value."""
        dq = self._dq
        n = self._n
        while dq and dq[-1][1] <= x:
            dq.pop()
        dq.append((n, x))
        if dq[0][0] <= n - self.period:
            dq.popleft()
        self._n = n + 1


class RollingLow(_RollingExtreme):
    """Lowest value of the last ``period`` values, current included (TA-Lib ``MIN``).

    Monotonic deque: O(1) amortised per value. Warm-up: ``period`` values. Inputs must not be
    NaN. Reference: TA-Lib ``MIN(low, period)`` for the default ``source="low"``.
    """

    __slots__ = ()

    def __init__(self, period: int, source: str = "low") -> None:
        super().__init__(period, source)

    def push(self, x: float) -> None:
        """Feed one raw value."""
        dq = self._dq
        n = self._n
        while dq and dq[-1][1] >= x:
            dq.pop()
        dq.append((n, x))
        if dq[0][0] <= n - self.period:
            dq.popleft()
        self._n = n + 1


def _true_range(high: float, low: float, prev_close: float) -> float:
    """TA-Lib ``TRANGE``: max(high - low, |high - prev_close|, |low - prev_close|)."""
    tr = high - low
    up = abs(high - prev_close)
    if up > tr:
        tr = up
    down = abs(low - prev_close)
    if down > tr:
        tr = down
    return tr


class ATR:
    """Average true range, Wilder smoothing (TA-Lib ``ATR``).

    The true range needs the previous close, so the first bar only primes it. The ATR is
    seeded with the plain mean of the first ``period`` true ranges (bars 2..period+1), then
    ``atr = (atr * (period - 1) + tr) / period``. Warm-up: ``period + 1`` bars.
    Reference: TA-Lib ``ATR`` (and ``TRANGE``).
    """

    __slots__ = ("_atr", "_n", "_prev_close", "_sum", "period", "warmup")

    def __init__(self, period: int = 14) -> None:
        self.period = check_int("period", period)
        self.warmup = self.period + 1
        self.reset()

    def reset(self) -> None:
        """Forget every bar fed."""
        self._n = 0
        self._prev_close = NAN
        self._sum = 0.0
        self._atr = NAN

    def update(self, bar: BarLike) -> None:
        """Feed one closed bar."""
        self.push_hlc(bar.high, bar.low, bar.close)

    def push_hlc(self, high: float, low: float, close: float) -> None:
        """Feed one bar's high, low and close."""
        n = self._n
        prev_close = self._prev_close
        self._prev_close = close
        if n == 0:
            self._n = 1
            return
        tr = _true_range(high, low, prev_close)
        p = self.period
        if n > p:
            atr = self._atr * (p - 1)
            atr += tr
            self._atr = atr / p
            return
        self._sum += tr
        self._n = n + 1
        if n == p:
            self._atr = self._sum / p

    @property
    def value(self) -> float:
        """The ATR, NaN until ready."""
        return self._atr

    @property
    def ready(self) -> bool:
        """True once ``warmup`` bars have been fed."""
        return self._n >= self.warmup


class ADXValue(NamedTuple):
    """ADX and the directional indicators, all in [0, 100]."""

    adx: float
    plus_di: float
    minus_di: float


_ADX_NAN = ADXValue(NAN, NAN, NAN)


class ADX:
    """Wilder's average directional index with +DI and -DI (TA-Lib ``ADX``, ``PLUS_DI``,
    ``MINUS_DI``).

    Directional movement and true range are summed over the first ``period - 1`` changes,
    then Wilder-smoothed (``x -= x / period; x += new``). ``±DI = 100 * ±DM / TR``;
    ``DX = 100 * |+DI - -DI| / (+DI + -DI)``; the ADX is seeded with the mean of the first
    ``period`` DX values, then ``adx = (adx * (period - 1) + dx) / period``.

    Warm-up: ``2 * period`` bars for ``ready`` and ``adx``; ``plus_di`` / ``minus_di`` are
    published from bar ``period + 1`` on (TA-Lib's ``PLUS_DI`` lookback), see
    :attr:`di_ready`.

    Notes
    -----
    TA-Lib conventions kept for parity: with a smoothed TR of exactly 0 (flat bars from the
    start) both DI are 0 and the DX is skipped; a skipped DX (also when ``+DI + -DI`` is 0)
    still counts in the seed's divisor and leaves the ADX unchanged afterwards. Reference:
    TA-Lib ``ADX``, ``PLUS_DI``, ``MINUS_DI``.
    """

    __slots__ = (
        "_adx",
        "_dx_sum",
        "_mdi",
        "_mdm",
        "_n",
        "_pdi",
        "_pdm",
        "_prev_close",
        "_prev_high",
        "_prev_low",
        "_tr",
        "period",
        "warmup",
    )

    def __init__(self, period: int = 14) -> None:
        self.period = check_int("period", period)
        self.warmup = 2 * self.period
        self.reset()

    def reset(self) -> None:
        """Forget every bar fed."""
        self._n = 0
        self._prev_high = self._prev_low = self._prev_close = NAN
        self._pdm = self._mdm = self._tr = 0.0
        self._pdi = self._mdi = NAN
        self._dx_sum = 0.0
        self._adx = NAN

    def update(self, bar: BarLike) -> None:
        """Feed one closed bar."""
        self.push_hlc(bar.high, bar.low, bar.close)

    def push_hlc(self, high: float, low: float, close: float) -> None:
        """Feed one bar's high, low and close."""
        n = self._n
        diff_p = high - self._prev_high
        diff_m = self._prev_low - low
        prev_close = self._prev_close
        self._prev_high = high
        self._prev_low = low
        self._prev_close = close
        if n == 0:
            self._n = 1
            return
        p = self.period
        pdm = self._pdm
        mdm = self._mdm
        tr = self._tr
        if n >= p:  # Wilder smoothing; before that plain sums
            mdm -= mdm / p
            pdm -= pdm / p
        if diff_m > 0 and diff_p < diff_m:
            mdm += diff_m
        elif diff_p > 0 and diff_p > diff_m:
            pdm += diff_p
        true_range = _true_range(high, low, prev_close)
        tr = tr - tr / p + true_range if n >= p else tr + true_range
        self._pdm = pdm
        self._mdm = mdm
        self._tr = tr
        if n < p:
            self._n = n + 1
            return
        dx = NAN
        if tr != 0.0:
            mdi = self._mdi = 100.0 * (mdm / tr)
            pdi = self._pdi = 100.0 * (pdm / tr)
            total = mdi + pdi
            if total != 0.0:
                dx = 100.0 * (abs(mdi - pdi) / total)
        else:
            self._mdi = self._pdi = 0.0
        if n < self.warmup:  # seeding: the ADX starts as the mean of the first DX values
            if dx == dx:  # not NaN
                self._dx_sum += dx
            self._n = n = n + 1
            if n == self.warmup:
                self._adx = self._dx_sum / p
        elif dx == dx:
            self._adx = (self._adx * (p - 1) + dx) / p

    @property
    def value(self) -> ADXValue:
        """(adx, plus_di, minus_di); adx NaN until ready, the DI NaN until :attr:`di_ready`."""
        if self._n <= self.period:
            return _ADX_NAN
        return ADXValue(self._adx, self._pdi, self._mdi)

    @property
    def ready(self) -> bool:
        """True once ``warmup`` (= 2 * period) bars have been fed."""
        return self._n >= self.warmup

    @property
    def di_ready(self) -> bool:
        """True once ``period + 1`` bars have been fed (the DI are published)."""
        return self._n > self.period


class DonchianValue(NamedTuple):
    """Donchian channel: highest high, lowest low and their midpoint."""

    upper: float
    lower: float
    middle: float


_DONCHIAN_NAN = DonchianValue(NAN, NAN, NAN)


class Donchian:
    """Donchian channel over the last ``period`` bars, current bar included.

    ``upper`` = max(high), ``lower`` = min(low), ``middle`` = (upper + lower) / 2; O(1)
    amortised (monotonic deques). Warm-up: ``period`` bars. Reference: TA-Lib
    ``MAX(high, period)`` and ``MIN(low, period)``.
    """

    __slots__ = ("_high", "_low", "period", "warmup")

    def __init__(self, period: int = 20) -> None:
        self.period = check_int("period", period)
        self.warmup = self.period
        self._high = RollingHigh(self.period)
        self._low = RollingLow(self.period)

    def reset(self) -> None:
        """Forget every bar fed."""
        self._high.reset()
        self._low.reset()

    def update(self, bar: BarLike) -> None:
        """Feed one closed bar."""
        self._high.push(bar.high)
        self._low.push(bar.low)

    def push_hl(self, high: float, low: float) -> None:
        """Feed one bar's high and low."""
        self._high.push(high)
        self._low.push(low)

    @property
    def value(self) -> DonchianValue:
        """(upper, lower, middle), all NaN until ready."""
        if not self._high.ready:
            return _DONCHIAN_NAN
        upper = self._high.value
        lower = self._low.value
        return DonchianValue(upper, lower, (upper + lower) / 2.0)

    @property
    def ready(self) -> bool:
        """True once ``period`` bars have been fed."""
        return self._high.ready
