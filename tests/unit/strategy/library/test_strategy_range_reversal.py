"""``range_reversal`` on hand-made 1-minute bars swinging in a 100-110 range: fades of both
edges to mid-range or the opposite edge, the stop outside the range, the ADX and width
filters, the %B confirmation and parameter checks."""

from __future__ import annotations

import math

import pytest
from tests.unit.strategy.library.scenario import (
    backtest,
    decisions,
    exit_reasons,
    frame,
    trade_table,
)

from tronlab.strategy import ParamError, get_strategy

# One swing of the range: up to the 110 edge, back down to the 100 edge, up to the middle.
SWING = [(105, 110, 104, 109), (109, 110, 105, 106), (106, 107, 100, 101), (101, 106, 100, 105)]
PARAMS = {
    "channel": 5,
    "adx_period": 3,
    "atr_period": 2,
    "adx_max": 50.0,
    "min_width_atr": 1.0,
    "max_width_atr": 10.0,
    "rsi_period": 2,
}
# At 09:23 (close 109, high 110 = the previous bars' Donchian upper): ATR2 6.06, range width
# 10 = 1.6 ATR, ADX3 45.1 < 50, RSI2 78.5 >= 65: short; stop 110 + 0.5 * 6.0625 = 113.03,
# target the middle 105. The ADX of the earlier touches (09:21: 53.0) is above 50.
SHORT_REASON = (
    "range_reversal: touch of the upper edge 110.0 of the 5-bar range 100.0-110.0 "
    "(1.6 ATR, ADX 45.1), RSI 78.5, close 109.0; stop 113.03, target 105.0"
)


def test_fades_both_edges_back_to_mid_range() -> None:
    r = backtest("range_reversal", frame([*SWING * 3, *SWING[:2]]), **PARAMS)
    assert trade_table(r) == [
        ("SHORT", "09:24", 109.0, "09:25", 106.0),
        ("LONG", "09:26", 101.0, "09:27", 105.0),  # re-entered on the bar the exit filled
        ("SHORT", "09:28", 109.0, None, None),  # still open when the bars end
    ]
    assert exit_reasons(r) == [
        "exit: target 105.0 hit (low 105.0)",
        "exit: target 105.0 hit (high 106.0)",
        "open",
    ]
    assert r.trades[0].entry_reason == SHORT_REASON
    assert r.trades[1].entry_reason.startswith("range_reversal: touch of the lower edge 100.0")
    assert r.trades[1].entry_reason.endswith("RSI 18.7, close 101.0; stop 96.87, target 105.0")


def test_opposite_edge_target() -> None:
    r = backtest("range_reversal", frame([*SWING * 3, *SWING[:2]]), exit_at="opposite", **PARAMS)
    assert trade_table(r)[0] == ("SHORT", "09:24", 109.0, "09:26", 101.0)
    assert exit_reasons(r)[0] == "exit: target 100.0 hit (low 100.0)"


def test_stop_outside_the_range() -> None:
    rows = [*SWING * 2, SWING[0], (109, 115, 108, 114), (114, 116, 113, 115)]
    r = backtest("range_reversal", frame(rows), **PARAMS)
    assert trade_table(r) == [("SHORT", "09:24", 109.0, "09:25", 114.0)]
    assert exit_reasons(r) == ["exit: stop 113.03 hit (high 115.0)"]
    # stop confidence: how far past the stop the bar went, in units of the risk
    assert decisions(r)[1][3] == round(0.5 + 0.5 * math.tanh((115 - 113.03125) / 4.03125), 4)


@pytest.mark.parametrize(
    ("params", "first_entry"),
    [
        ({"adx_max": 40.0}, "09:28"),  # the ADX falls below 40 only at the third top (39.3)
        ({"max_width_atr": 1.5}, None),  # the range (1.6 ATR) is too wide
        ({"min_width_atr": 1.7, "touch_atr": 0.5}, None),  # ... or too narrow
        ({"confirm": "percent_b", "bb_period": 4, "pb_edge": 0.2}, "09:24"),  # %B 0.83
        ({"confirm": "percent_b", "bb_period": 4, "pb_edge": 0.1}, None),
    ],
)
def test_filters(params: dict[str, object], first_entry: str | None) -> None:
    r = backtest("range_reversal", frame([*SWING * 3, *SWING[:2]]), **{**PARAMS, **params})
    assert (trade_table(r)[0][1] if r.trades else None) == first_entry


def test_parameter_errors_name_the_problem() -> None:
    rr = get_strategy("range_reversal")
    with pytest.raises(ParamError, match=r"min_width_atr \(8.0\) must be below max_width_atr"):
        rr(min_width_atr=8.0)
    with pytest.raises(ParamError, match=r"touch_atr \(1.0\) must be below 1.0"):
        rr(touch_atr=1.0)
    rr(touch_atr=1.0, exit_at="opposite")  # the whole width is room with the opposite target
    with pytest.raises(ParamError, match="confirm='macd': must be one of"):
        rr(confirm="macd")
