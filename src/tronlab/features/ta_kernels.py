"""Numba kernels of the batch technical indicators (:mod:`tronlab.features.ta`).

Every kernel takes float64 arrays and returns arrays of the same length, NaN where the value is
not defined yet; value ``t`` uses inputs ``0..t`` only. The kernels are small and typed by their
first call (``cache=True``: compiled once per machine). Running sums are recomputed exactly
every ``period`` values (and whenever they stop being finite), so they do not drift over long
series and a NaN only spoils the values while it is in the window.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, TypeVar, cast

import numba
import numpy as np

Array = np.ndarray

#: TA-Lib's relative dead zone: a difference ``v`` of operands ``a``, ``b`` is treated as 0
#: when ``|v| <= TA_EPSILON * (|a| + |b|)`` (``TA_IS_ZERO_SCALED``, TA-Lib 0.8).
TA_EPSILON = 1e-14

_F = TypeVar("_F", bound=Callable[..., Any])


def _jit(fn: _F) -> _F:
    """``numba.njit(cache=True)``, keeping the Python signature for the type checker."""
    return cast(_F, numba.njit(cache=True, nogil=True)(fn))


# ---------------------------------------------------------------------------------------------
# window kernels


@_jit
def rolling_sum(x: Array, n: int) -> Array:
    """Sum of the last ``n`` values (NaN for the first ``n - 1``)."""
    size = len(x)
    out = np.full(size, np.nan)
    if size < n:
        return out
    s = 0.0
    zeros = 0  # consecutive exact zeros: a window of them sums to exactly 0
    for i in range(n):
        s += x[i]
        zeros = zeros + 1 if x[i] == 0.0 else 0
    out[n - 1] = s
    k = 0
    for t in range(n, size):
        k += 1
        s += x[t] - x[t - n]
        zeros = zeros + 1 if x[t] == 0.0 else 0
        if zeros >= n:
            s = 0.0
        elif k == n or not np.isfinite(s):
            k = 0
            s = 0.0
            for j in range(t - n + 1, t + 1):
                s += x[j]
        out[t] = s
    return out


@_jit
def rolling_wma(x: Array, n: int) -> Array:
    """Linearly weighted mean of the last ``n`` values, weights 1..n (newest heaviest)."""
    size = len(x)
    out = np.full(size, np.nan)
    if size < n:
        return out
    divider = n * (n + 1) / 2.0
    s = 0.0
    ws = 0.0
    for i in range(n):
        s += x[i]
        ws += (i + 1) * x[i]
    out[n - 1] = ws / divider
    k = 0
    for t in range(n, size):
        k += 1
        ws += n * x[t] - s  # every weight drops by one, x[t] enters with weight n
        s += x[t] - x[t - n]
        if k == n or not np.isfinite(ws):
            k = 0
            s = 0.0
            ws = 0.0
            for j in range(n):
                v = x[t - n + 1 + j]
                s += v
                ws += (j + 1) * v
        out[t] = ws / divider
    return out


@_jit
def rolling_std(x: Array, n: int, ddof: int) -> Array:
    """Standard deviation of the last ``n`` values (``ddof`` 0: population, 1: sample).

    Two passes over each window around its newest value: no cancellation at large levels, and
    a window of identical values gives exactly 0.
    """
    size = len(x)
    out = np.full(size, np.nan)
    if size < n or n - ddof < 1:
        return out
    for t in range(n - 1, size):
        ref = x[t]
        m = 0.0
        for j in range(t - n + 1, t + 1):
            m += x[j] - ref
        m /= n
        ss = 0.0
        for j in range(t - n + 1, t + 1):
            d = x[j] - ref - m
            ss += d * d
        out[t] = math.sqrt(ss / (n - ddof))
    return out


@_jit
def rolling_argext(x: Array, n: int, highest: bool) -> Array:
    """Index of the highest (``highest``) or lowest of the last ``n`` values, the most recent
    one on ties (TA-Lib ``AROON``); -1 before ``n`` values. Monotonic deque, O(1) amortised."""
    size = len(x)
    out = np.full(size, -1, dtype=np.int64)
    dq = np.empty(max(size, 1), dtype=np.int64)
    head = 0
    tail = 0  # dq[head:tail] holds candidate indices, their values strictly decreasing
    for t in range(size):
        v = x[t]
        if highest:
            while tail > head and x[dq[tail - 1]] <= v:
                tail -= 1
        else:
            while tail > head and x[dq[tail - 1]] >= v:
                tail -= 1
        dq[tail] = t
        tail += 1
        if dq[head] <= t - n:
            head += 1
        if t >= n - 1:
            out[t] = dq[head]
    return out


@_jit
def rolling_highest(x: Array, n: int) -> Array:
    """Highest of the last ``n`` values (TA-Lib ``MAX``): van Herk / Gil-Werman block scan,
    prefix and suffix maxima of blocks of ``n``, O(1) per value without branches on data."""
    size = len(x)
    out = np.full(size, np.nan)
    if size < n:
        return out
    prefix = np.empty(size)
    suffix = np.empty(size)
    for start in range(0, size, n):
        stop = min(start + n, size)
        m = x[start]
        for i in range(start, stop):
            m = max(m, x[i])
            prefix[i] = m
        m = x[stop - 1]
        for i in range(stop - 1, start - 1, -1):
            m = max(m, x[i])
            suffix[i] = m
    for t in range(n - 1, size):
        # the block of t - n + 1 ends at or before t: both halves lie inside the window
        out[t] = max(suffix[t - n + 1], prefix[t])
    return out


@_jit
def mean_abs_dev_ratio(tp: Array, n: int) -> Array:
    """TA-Lib ``CCI`` on the typical price: ``(tp - sma) / (0.015 * mean |tp_i - sma|)`` over
    the last ``n`` values; 0 when the numerator or the mean deviation is within
    ``TA_EPSILON * |sma|`` of 0 (TA-Lib's flat-window test)."""
    size = len(tp)
    out = np.full(size, np.nan)
    for t in range(n - 1, size):
        s = 0.0
        for j in range(t - n + 1, t + 1):
            s += tp[j]
        avg = s / n
        dev = 0.0
        for j in range(t - n + 1, t + 1):
            dev += abs(tp[j] - avg)
        dev /= n
        num = tp[t] - avg
        band = TA_EPSILON * abs(avg)
        out[t] = num / (0.015 * dev) if (abs(num) > band and dev > band) else 0.0
    return out


# ---------------------------------------------------------------------------------------------
# recursive kernels


@_jit
def ema_from(x: Array, n: int, first: int) -> Array:
    """TA-Lib ``EMA`` (``k = 2 / (n + 1)``) whose first value, at index ``first``, is the mean of
    ``x[first - n + 1 .. first]``; then ``ema = (x - ema) * k + ema``."""
    size = len(x)
    out = np.full(size, np.nan)
    if first >= size or first < n - 1:
        return out
    k = 2.0 / (n + 1.0)
    s = 0.0
    for j in range(first - n + 1, first + 1):
        s += x[j]
    e = s / n
    out[first] = e
    for t in range(first + 1, size):
        e = (x[t] - e) * k + e
        out[t] = e
    return out


@_jit
def ema_first_value(x: Array, k: float) -> Array:
    """EMA seeded with the first value: ``ema = k * x + (1 - k) * ema`` (TA-Lib ``ADOSC``)."""
    size = len(x)
    out = np.empty(size)
    if size == 0:
        return out
    e = x[0]
    out[0] = e
    one_minus = 1.0 - k
    for t in range(1, size):
        e = k * x[t] + one_minus * e
        out[t] = e
    return out


@_jit
def rsi(x: Array, p: int) -> Array:
    """TA-Lib ``RSI``: Wilder averages of gains and losses seeded with the mean of the first
    ``p`` changes; 0 when both averages are 0."""
    size = len(x)
    out = np.full(size, np.nan)
    if size <= p:
        return out
    gain = 0.0
    loss = 0.0
    for t in range(1, p + 1):
        ch = x[t] - x[t - 1]
        if ch < 0:
            loss -= ch
        else:
            gain += ch
    gain /= p
    loss /= p
    total = gain + loss
    out[p] = 100.0 * (gain / total) if total != 0.0 else 0.0
    for t in range(p + 1, size):
        ch = x[t] - x[t - 1]
        gain *= p - 1
        loss *= p - 1
        if ch < 0:
            loss -= ch
        else:
            gain += ch
        gain /= p
        loss /= p
        total = gain + loss
        out[t] = 100.0 * (gain / total) if total != 0.0 else 0.0
    return out


@_jit
def true_range(high: Array, low: Array, close: Array) -> Array:
    """TA-Lib ``TRANGE``: max(high - low, |high - prev close|, |low - prev close|), NaN at 0."""
    size = len(close)
    out = np.full(size, np.nan)
    for t in range(1, size):
        pc = close[t - 1]
        tr = high[t] - low[t]
        up = abs(high[t] - pc)
        if up > tr:
            tr = up
        down = abs(low[t] - pc)
        if down > tr:
            tr = down
        out[t] = tr
    return out


@_jit
def wilder_mean(x: Array, p: int, first: int) -> Array:
    """Wilder average seeded at ``first`` with the mean of ``x[first - p + 1 .. first]``, then
    ``avg = (avg * (p - 1) + x) / p`` (TA-Lib ``ATR``)."""
    size = len(x)
    out = np.full(size, np.nan)
    if first >= size:
        return out
    s = 0.0
    for j in range(first - p + 1, first + 1):
        s += x[j]
    a = s / p
    out[first] = a
    for t in range(first + 1, size):
        a = a * (p - 1)
        a += x[t]
        a /= p
        out[t] = a
    return out


@_jit
def adx(high: Array, low: Array, close: Array, p: int) -> tuple[Array, Array, Array]:
    """TA-Lib ``ADX``, ``PLUS_DI`` and ``MINUS_DI`` (the conventions of the streaming
    :class:`tronlab.features.ADX`)."""
    size = len(close)
    out_adx = np.full(size, np.nan)
    out_pdi = np.full(size, np.nan)
    out_mdi = np.full(size, np.nan)
    pdm = 0.0
    mdm = 0.0
    tr = 0.0
    dx_sum = 0.0
    avg = np.nan
    pdi = np.nan
    mdi = np.nan
    for t in range(1, size):
        diff_p = high[t] - high[t - 1]
        diff_m = low[t - 1] - low[t]
        pc = close[t - 1]
        if t >= p:  # Wilder smoothing of the sums; plain sums before
            mdm -= mdm / p
            pdm -= pdm / p
        if diff_m > 0 and diff_p < diff_m:
            mdm += diff_m
        elif diff_p > 0 and diff_p > diff_m:
            pdm += diff_p
        rng = high[t] - low[t]
        up = abs(high[t] - pc)
        if up > rng:
            rng = up
        down = abs(low[t] - pc)
        if down > rng:
            rng = down
        tr = tr - tr / p + rng if t >= p else tr + rng
        if t < p:
            continue
        dx = np.nan
        if tr != 0.0:
            mdi = 100.0 * (mdm / tr)
            pdi = 100.0 * (pdm / tr)
            total = mdi + pdi
            if total != 0.0:
                dx = 100.0 * (abs(mdi - pdi) / total)
        else:
            mdi = 0.0
            pdi = 0.0
        out_pdi[t] = pdi
        out_mdi[t] = mdi
        if t < 2 * p - 1:
            if dx == dx:
                dx_sum += dx
        elif t == 2 * p - 1:
            if dx == dx:
                dx_sum += dx
            avg = dx_sum / p
        elif dx == dx:
            avg = (avg * (p - 1) + dx) / p
        if t >= 2 * p - 1:
            out_adx[t] = avg
    return out_adx, out_pdi, out_mdi


@_jit
def kama(x: Array, p: int) -> Array:
    """TA-Lib ``KAMA`` (fast 2, slow 30): ``er = |x - x[-p]| / sum |dx|`` over the last ``p``
    changes (1 when that sum is 0), ``sc = (er * (2/3 - 2/31) + 2/31) ** 2``,
    ``kama = (x - kama) * sc + kama`` seeded with ``x[p - 1]``."""
    size = len(x)
    out = np.full(size, np.nan)
    if size <= p:
        return out
    const_max = 2.0 / (30.0 + 1.0)
    const_diff = 2.0 / (2.0 + 1.0) - const_max
    s = 0.0
    flat = 0  # consecutive zero changes: p of them make the window's sum exactly 0
    for j in range(1, p + 1):
        d = x[j] - x[j - 1]
        s += abs(d)
        flat = flat + 1 if d == 0.0 else 0
    prev = x[p - 1]
    k = 0
    for t in range(p, size):
        if t > p:
            k += 1
            d = x[t] - x[t - 1]
            s += abs(d) - abs(x[t - p] - x[t - p - 1])
            flat = flat + 1 if d == 0.0 else 0
            if flat >= p:
                s = 0.0
            elif k == p or not np.isfinite(s):
                k = 0
                s = 0.0
                for j in range(t - p + 1, t + 1):
                    s += abs(x[j] - x[j - 1])
        roc = x[t] - x[t - p]
        er = 1.0 if (s <= 0.0 or s <= roc) else abs(roc / s)
        sc = er * const_diff + const_max
        sc *= sc
        prev = (x[t] - prev) * sc + prev
        out[t] = prev
    return out


@_jit
def sar(high: Array, low: Array, acceleration: float, maximum: float) -> Array:
    """TA-Lib ``SAR`` (parabolic stop and reverse), value from bar 1 on; the first trend is
    short when bar 1 has a positive -DM(1), long otherwise."""
    size = len(high)
    out = np.full(size, np.nan)
    if size < 2:
        return out
    af = acceleration
    if af > maximum:
        af = maximum
        acceleration = maximum
    diff_m = low[0] - low[1]
    diff_p = high[1] - high[0]
    is_long = not (diff_m > 0 and diff_p < diff_m)
    if is_long:
        ep = high[1]
        s = low[0]
    else:
        ep = low[1]
        s = high[0]
    new_low = low[1]
    new_high = high[1]
    for t in range(1, size):
        prev_low = new_low
        prev_high = new_high
        new_low = low[t]
        new_high = high[t]
        if is_long:
            if new_low <= s:  # reverse to short
                is_long = False
                s = ep
                s = max(s, prev_high, new_high)
                out[t] = s
                af = acceleration
                ep = new_low
                s = s + af * (ep - s)
                s = max(s, prev_high, new_high)
            else:
                out[t] = s
                if new_high > ep:
                    ep = new_high
                    af += acceleration
                    if af > maximum:
                        af = maximum
                s = s + af * (ep - s)
                s = min(s, prev_low, new_low)
        else:
            if new_high >= s:  # reverse to long
                is_long = True
                s = ep
                s = min(s, prev_low, new_low)
                out[t] = s
                af = acceleration
                ep = new_high
                s = s + af * (ep - s)
                s = min(s, prev_low, new_low)
            else:
                out[t] = s
                if new_low < ep:
                    ep = new_low
                    af += acceleration
                    if af > maximum:
                        af = maximum
                s = s + af * (ep - s)
                s = max(s, prev_high, new_high)
    return out


@_jit
def supertrend(mid: Array, atr: Array, close: Array, mult: float) -> tuple[Array, Array]:
    """Supertrend line and direction (+1 up: the line is the lower band; -1 down: the upper
    band), TradingView ``ta.supertrend`` rules, starting down on the first bar with an ATR."""
    size = len(close)
    line = np.full(size, np.nan)
    direction = np.full(size, np.nan)
    upper = np.nan
    lower = np.nan
    up = False
    started = False
    for t in range(size):
        a = atr[t]
        if a != a:
            continue
        bu = mid[t] + mult * a
        bl = mid[t] - mult * a
        if not started:
            started = True
            upper = bu
            lower = bl
        else:
            pc = close[t - 1]
            if bu < upper or pc > upper:
                upper = bu
            if bl > lower or pc < lower:
                lower = bl
        if up and close[t] < lower:
            up = False
        elif not up and close[t] > upper:
            up = True
        line[t] = lower if up else upper
        direction[t] = 1.0 if up else -1.0
    return line, direction


@_jit
def session_vwap(tp: Array, volume: Array, session: Array) -> Array:
    """Volume-weighted mean of ``tp`` since the session's first bar; the equal-weighted mean
    while the session has traded no volume (:class:`tronlab.features.SessionVWAP`)."""
    size = len(tp)
    out = np.empty(size)
    count = 0
    s_eq = 0.0
    s_pv = 0.0
    s_v = 0.0
    for t in range(size):
        if t == 0 or session[t] != session[t - 1]:
            count = 0
            s_eq = 0.0
            s_pv = 0.0
            s_v = 0.0
        count += 1
        s_eq += tp[t]
        v = volume[t]
        if v > 0:
            s_v += v
            s_pv += v * tp[t]
        out[t] = s_pv / s_v if s_v > 0 else s_eq / count
    return out
