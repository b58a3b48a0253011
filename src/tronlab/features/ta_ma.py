"""Moving averages of close: SMA, EMA, WMA, DEMA, TEMA, KAMA (TA-Lib) and the Hull MA."""

from __future__ import annotations

import math

from tronlab.features.registry import Array, Bars, register_many
from tronlab.features.ta_common import (
    after,
    decay_bars,
    ema,
    ema_alpha,
    sma,
    spec,
)
from tronlab.features.ta_kernels import (
    kama,
    rolling_wma,
)

GROUP = "ma"
CLOSE = ("close",)


def _register_sma(n: int) -> None:
    name = f"sma_{n}"

    def compute(bars: Bars) -> dict[str, Array]:
        return {name: sma(bars.close, n)}

    desc = f"Simple moving average of close over the last {n} bars (current included)."
    register_many([spec(name, GROUP, CLOSE, n, n, desc, reference="talib:SMA")], compute)


def _register_ema(n: int) -> None:
    name = f"ema_{n}"

    def compute(bars: Bars) -> dict[str, Array]:
        return {name: ema(bars.close, n)}

    desc = (
        f"Exponential moving average of close, k = 2/({n}+1), seeded like TA-Lib with the SMA "
        f"of the first {n} closes (first value at bar {n - 1}), then ema += k * (close - ema). "
        "A streamed window seeds at its own start and converges (memory: older weight < 1e-12)."
    )
    memory = n + decay_bars((ema_alpha(n),))
    register_many(
        [spec(name, GROUP, CLOSE, n, n, desc, memory=memory, reference="talib:EMA")], compute
    )


def _register_wma(n: int) -> None:
    name = f"wma_{n}"

    def compute(bars: Bars) -> dict[str, Array]:
        return {name: rolling_wma(bars.close, n)}

    desc = f"Linearly weighted moving average of close over {n} bars, weights 1..{n} (newest {n})."
    register_many([spec(name, GROUP, CLOSE, n, n, desc, reference="talib:WMA")], compute)


def _register_dema(n: int) -> None:
    name = f"dema_{n}"

    def compute(bars: Bars) -> dict[str, Array]:
        e1 = ema(bars.close, n)
        e2 = ema(e1, n, n - 1)
        return {name: 2.0 * e1 - e2}

    warmup = 2 * n - 1
    a = ema_alpha(n)
    desc = (
        f"Double EMA: 2 * EMA{n}(close) - EMA{n}(EMA{n}(close)); each EMA seeded with the SMA of "
        f"the first {n} values of its input (TA-Lib), first value at bar {warmup - 1}."
    )
    memory = warmup + decay_bars((a, a))
    register_many(
        [spec(name, GROUP, CLOSE, n, warmup, desc, memory=memory, reference="talib:DEMA")],
        compute,
    )


def _register_tema(n: int) -> None:
    name = f"tema_{n}"

    def compute(bars: Bars) -> dict[str, Array]:
        e1 = ema(bars.close, n)
        e2 = ema(e1, n, n - 1)
        e3 = ema(e2, n, 2 * n - 2)
        return {name: 3.0 * e1 - 3.0 * e2 + e3}

    warmup = 3 * n - 2
    a = ema_alpha(n)
    desc = (
        f"Triple EMA: 3 * E1 - 3 * E2 + E3 with E1 = EMA{n}(close), E2 = EMA{n}(E1), "
        f"E3 = EMA{n}(E2), each seeded with the SMA of its first {n} inputs (TA-Lib); first "
        f"value at bar {warmup - 1}."
    )
    memory = warmup + decay_bars((a, a, a))
    register_many(
        [spec(name, GROUP, CLOSE, n, warmup, desc, memory=memory, reference="talib:TEMA")],
        compute,
    )


def _register_kama(n: int) -> None:
    name = f"kama_{n}"

    def compute(bars: Bars) -> dict[str, Array]:
        return {name: kama(bars.close, n)}

    slowest = (2.0 / 31.0) ** 2
    desc = (
        f"Kaufman adaptive MA (TA-Lib KAMA, period {n}, fast 2, slow 30): efficiency ratio "
        f"er = |close - close[-{n}]| / sum of the last {n} |changes| (1 when that sum is 0 or "
        "<= the signed change, as in TA-Lib), "
        "sc = (er * (2/3 - 2/31) + 2/31)^2, kama += sc * (close - kama), seeded with the close "
        f"of bar {n - 1}; first value at bar {n}. Memory assumes the slowest constant "
        "(2/31)^2 throughout."
    )
    memory = n + 1 + decay_bars((slowest,))
    register_many(
        [spec(name, GROUP, CLOSE, n, n + 1, desc, memory=memory, reference="talib:KAMA")],
        compute,
    )


def _register_hma(n: int) -> None:
    name = f"hma_{n}"
    half = n // 2
    root = math.isqrt(n)

    def compute(bars: Bars) -> dict[str, Array]:
        raw = 2.0 * rolling_wma(bars.close, half) - rolling_wma(bars.close, n)
        return {name: after(rolling_wma, raw, n - 1, root)}

    warmup = n + root - 1
    desc = (
        f"Hull moving average: WMA{root}(2 * WMA{half}(close) - WMA{n}(close)) (inner windows "
        f"n/2 = {half} and floor(sqrt(n)) = {root}); finite window, first value at bar "
        f"{warmup - 1}. No TA-Lib function."
    )
    register_many([spec(name, GROUP, CLOSE, n, warmup, desc)], compute)


for _n in (5, 10, 20, 50, 100, 200):
    _register_sma(_n)
    _register_ema(_n)
for _n in (10, 20, 50):
    _register_wma(_n)
_register_dema(20)
_register_tema(20)
_register_kama(10)
_register_hma(20)
