"""``scalp`` on hand-made 1-minute bars: the EMA cross with its RSI filter, the tight ATR stop
and target, the time stop, the mirrored short and parameter checks."""

from __future__ import annotations

import math

import pytest
from tests.unit.strategy.library.scenario import (
    Row,
    backtest,
    decisions,
    exit_reasons,
    frame,
    mirror,
    trade_table,
)

from tronlab.strategy import ParamError, get_strategy


def ramp(closes: list[float]) -> list[Row]:
    """Bars opening at the previous close, half a point beyond the body each way."""
    rows: list[Row] = []
    prev = closes[0]
    for c in closes:
        rows.append((prev, max(prev, c) + 0.5, min(prev, c) - 0.5, c))
        prev = c
    return rows


# Closes 110 -> 100 in steps of 2, then 103, 106. EMA2 (k = 2/3) and EMA4 (k = 0.4):
# at 09:21 (close 103) EMA2 102.33 < EMA4 103; at 09:22 (close 106) EMA2 104.78 > EMA4 104.2:
# a cross up. RSI2: gains/losses (1.5, 1) -> (2.25, 0.5): RSI 81.8. The true ranges are
# 3, 3, ..., 4, 4: ATR2 = 3.75. Stop 106 - 0.4 * 3.75 = 104.5, target 106 + 3.75 = 109.75.
CROSS = ramp([110, 108, 106, 104, 102, 100, 103, 106])
PARAMS = {
    "fast": 2,
    "slow": 4,
    "rsi_period": 2,
    "atr_period": 2,
    "stop_atr": 0.4,
    "target_atr": 1.0,
    "max_bars": 3,
    "rsi_max": 90.0,
}
QUIET = [(106, 106.5, 105.5, 106), (106, 106.5, 105.5, 106), (106, 106.5, 105.5, 106.2)]


@pytest.mark.parametrize(
    ("after", "trade", "reason"),
    [
        (  # neither level is touched: out after 3 bars (09:23, 09:24, 09:25)
            [*QUIET, (106.2, 106.5, 106, 106.3)],
            ("LONG", "09:23", 106.0, "09:26", 106.2),
            "exit: time stop after 3 bars (close 106.2)",
        ),
        (
            [(106, 106.5, 104, 105), (105, 105.5, 104.5, 105)],
            ("LONG", "09:23", 106.0, "09:24", 105.0),
            "exit: stop 104.5 hit (low 104.0)",
        ),
        (
            [(106, 110, 105.5, 109.5), (109.5, 110, 109, 109.8)],
            ("LONG", "09:23", 106.0, "09:24", 109.5),
            "exit: target 109.75 hit (high 110.0)",
        ),
    ],
)
def test_cross_up_long_with_each_exit(after: list[Row], trade: tuple[object], reason: str) -> None:
    r = backtest("scalp", frame([*CROSS, *after]), **PARAMS)
    assert trade_table(r) == [trade]
    assert exit_reasons(r) == [reason]
    assert r.trades[0].entry_reason == (
        "scalp: EMA2 104.78 crossed above EMA4 104.2, RSI2 81.8, close 106.0; "
        "stop 104.5, target 109.75"
    )
    # strength: the gap in tenths of an ATR plus the RSI beyond rsi_min, in tens
    ema2 = 101 + (103 - 101) * 2 / 3
    ema2 += (106 - ema2) * 2 / 3
    strength = (ema2 - 104.2) / 0.375 + (100 * 2.25 / 2.75 - 55) / 10
    assert decisions(r)[0][3] == round(0.5 + 0.5 * math.tanh(strength), 4)


def test_mirrored_bars_give_the_short() -> None:
    r = backtest(
        "scalp", frame(mirror([*CROSS, (106, 106.5, 104, 105), (105, 105.5, 104.5, 105)])), **PARAMS
    )
    assert trade_table(r) == [("SHORT", "09:23", 94.0, "09:24", 95.0)]
    assert exit_reasons(r) == ["exit: stop 95.5 hit (high 96.0)"]


def test_rsi_filter_blocks_a_stretched_cross() -> None:
    rows = [*CROSS, *QUIET]
    assert backtest("scalp", frame(rows), **{**PARAMS, "rsi_max": 80.0}).trades == []
    assert backtest("scalp", frame(rows), **{**PARAMS, "rsi_min": 85.0}).trades == []


def test_parameter_errors_name_the_problem() -> None:
    scalp = get_strategy("scalp")
    with pytest.raises(ParamError, match=r"fast \(13\) must be below slow \(13\)"):
        scalp(fast=13)
    with pytest.raises(ParamError, match=r"rsi_min \(70.0\) must be below rsi_max \(60.0\)"):
        scalp(rsi_min=70, rsi_max=60)
    with pytest.raises(ParamError, match=r"stop_atr=0: must be >= 0\.05"):
        scalp(stop_atr=0)
