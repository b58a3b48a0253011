"""Python helpers shared by the batch technical indicators (:mod:`tronlab.features.ta`):
kernel wrappers, TA-Lib's dead zone, the memory of recursive features, feature specs."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from functools import cache
from typing import Any

import numpy as np

from tronlab.features.registry import Array, Bars
from tronlab.features.ta_kernels import TA_EPSILON, ema_from, rolling_highest, rolling_sum

NAN = math.nan

#: Weight of the bars left out of a streamed window that a recursive feature may carry.
DECAY_TOL = 1e-12


def after(fn: Callable[..., Array], x: Array, start: int, *args: Any) -> Array:
    """``fn(x[start:], *args)`` placed back at ``start`` (NaN before): runs a kernel on a series
    whose first ``start`` values are NaN (the output of another indicator)."""
    if start == 0:
        first: Array = fn(x, *args)
        return first
    out: Array = np.full(len(x), NAN)
    if start < len(x):
        out[start:] = fn(np.ascontiguousarray(x[start:]), *args)
    return out


def sma(x: Array, n: int, start: int = 0) -> Array:
    """Simple moving average (TA-Lib ``SMA``) of ``x[start:]``."""
    out = after(rolling_sum, x, start, n)
    out /= n
    return out


def ema(x: Array, n: int, start: int = 0) -> Array:
    """TA-Lib ``EMA`` of ``x[start:]`` (seeded with the mean of its first ``n`` values)."""
    return ema_from(x, n, start + n - 1)


def rolling_max(x: Array, n: int) -> Array:
    """Highest of the last ``n`` values (TA-Lib ``MAX``)."""
    return rolling_highest(x, n)


def rolling_min(x: Array, n: int) -> Array:
    """Lowest of the last ``n`` values (TA-Lib ``MIN``)."""
    out = rolling_highest(-x, n)
    np.negative(out, out=out)
    return out


def diff(x: Array, lag: int = 1) -> Array:
    """``x[t] - x[t - lag]`` (NaN for the first ``lag``)."""
    out = np.full(len(x), NAN)
    out[lag:] = x[lag:] - x[:-lag]
    return out


def is_tie(a: Array, b: Array) -> Array:
    """``a - b`` is 0 within TA-Lib's relative dead zone (``TA_IS_ZERO_SCALED``)."""
    out: Array = np.abs(a - b) <= TA_EPSILON * (np.abs(a) + np.abs(b))
    return out


def ratio(num: Array, den: Array, zero: float = NAN) -> Array:
    """``num / den``, ``zero`` where ``den`` is 0 (NaN stays NaN)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        out = num / den
    return np.where(den == 0, zero, out)


def typical_price(bars: Bars) -> Array:
    """``(high + low + close) / 3`` (TA-Lib ``TYPPRICE``)."""
    out: Array = (bars.high + bars.low + bars.close) / 3.0
    return out


@cache
def decay_bars(alphas: tuple[float, ...], tol: float = DECAY_TOL) -> int:
    """Bars after which a unit error in the state of a cascade of exponential smoothers
    ``y = y + a * (x - y)`` (one per ``alphas``, each fed by the previous) is below ``tol``.

    For one smoother this is ``ceil(ln(tol) / ln(1 - a))``; a cascade decays more slowly
    (polynomial factor), which the simulation accounts for.
    """
    if len(alphas) == 1:
        return math.ceil(math.log(tol) / math.log(1.0 - alphas[0]))
    state = [1.0] * len(alphas)
    t = 0
    while max(abs(s) for s in state) >= tol:
        t += 1
        prev = 0.0
        for i, a in enumerate(alphas):
            state[i] = (1.0 - a) * state[i] + a * prev
            prev = state[i]
    return t


def ema_alpha(n: int) -> float:
    """``2 / (n + 1)``."""
    return 2.0 / (n + 1.0)


def spec(
    name: str,
    group: str,
    inputs: Sequence[str],
    window: int,
    warmup: int,
    description: str,
    *,
    memory: int | None = None,
    reference: str = "",
) -> dict[str, Any]:
    """One :func:`tronlab.features.registry.register_many` spec."""
    return {
        "name": name,
        "group": group,
        "inputs": tuple(inputs),
        "window": window,
        "warmup": warmup,
        "memory": warmup if memory is None else memory,
        "description": description,
        "reference": reference,
    }
