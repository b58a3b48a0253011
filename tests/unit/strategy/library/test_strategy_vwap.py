"""``vwap`` on hand-made 1-minute bars: reversion to the VWAP (target, stop, sigma stops) and
trend pullbacks both ways, plus parameter checks."""

from __future__ import annotations

import math
import re

import pytest
from tests.unit.strategy.library.scenario import (
    backtest,
    decisions,
    exit_reasons,
    flat,
    frame,
    mirror,
    trade_table,
)

from tronlab.strategy import ParamError, get_strategy

# Five quiet bars at 100 (typical price 100, sigma 0), then a jump: the 09:20 bar's typical
# price is 102, so VWAP = 602 / 6 = 100.33 and sigma = sqrt((5 * 1/9 + 25/9) / 6) = 0.745:
# the close 103 is 3.58 sigma above (band 1.5) -> short at 09:21's open; ATR(2) is
# (2 + 3) / 2 = 2.5, stop = 103 + 2 * 2.5 = 108.
SPIKE = [*flat(100, 5), (100, 103, 100, 103)]
REVERSION = {"min_bars": 3, "band_k": 1.5, "atr_period": 2, "stop_atr": 2.0}


def test_reversion_short_exits_at_the_moving_vwap() -> None:
    rows = [
        *SPIKE,
        (102.5, 103, 101.5, 102),  # 09:21 fill; VWAP now 100.60, low 101.5 above it
        (102, 102, 100, 100.5),  # 09:22 VWAP 805 / 8 = 100.625: the low 100 reaches it
        (100.5, 101, 100, 100.5),  # 09:23 exit fill
    ]
    r = backtest("vwap", frame(rows), **REVERSION)
    assert trade_table(r) == [("SHORT", "09:21", 102.5, "09:23", 100.5)]
    assert r.trades[0].entry_reason == (
        "vwap reversion: close 103.0 crossed 3.58 sigma above VWAP 100.33 (band 1.5); "
        "target the VWAP; stop 108.0"
    )
    assert re.fullmatch(r"exit: target VWAP 100\.6[23] reached \(low 100\.0\)", exit_reasons(r)[0])
    z = (103 - 602 / 6) / math.sqrt((5 / 9 + 25 / 9) / 6)
    assert decisions(r)[0][3] == round(0.5 + 0.5 * math.tanh(z - 1.5), 4)


def test_reversion_stop_at_an_atr_multiple() -> None:
    rows = [*SPIKE, (102.5, 104, 102, 104), (104, 109, 104, 108.5), (108.5, 109, 108, 108)]
    r = backtest("vwap", frame(rows), **REVERSION)
    assert trade_table(r) == [("SHORT", "09:21", 102.5, "09:23", 108.5)]
    assert exit_reasons(r) == ["exit: stop 108.0 hit (high 109.0)"]


@pytest.mark.parametrize(("stop_k", "trades"), [(2.5, 0), (4.0, 1)])
def test_reversion_sigma_stop_needs_the_close_inside_the_stop_band(
    stop_k: float, trades: int
) -> None:
    # stop = VWAP + stop_k * sigma: 102.19 with 2.5 (below the close 103: no entry), 103.31
    rows = [*SPIKE, (102.5, 103, 101.5, 102), (102, 102, 100, 100.5), (100.5, 101, 100, 100.5)]
    params = {**REVERSION, "stop_basis": "sigma", "stop_k": stop_k}
    r = backtest("vwap", frame(rows), **params)
    assert len(r.trades) == trades
    if trades:
        assert r.trades[0].entry_reason.endswith("stop 103.31")
        assert exit_reasons(r)[0].startswith("exit: target VWAP")


def test_reversion_needs_a_fresh_cross_of_the_band() -> None:
    # still 1.5+ sigma above after the first short was stopped out: no second short
    rows = [*SPIKE, (102.5, 104, 102, 104), (104, 109, 104, 108.5), *flat(109, 4, 0.5)]
    r = backtest("vwap", frame(rows), **REVERSION)
    assert len(r.trades) == 1


# A session rising bar by bar, then a dip to the VWAP at 09:19: VWAP 102.93 and sigma 2.0
# there, so the low 103 is within 0.5 sigma of it while the close 105 stays above; the VWAP
# rose 1.38 over the last 2 bars. ATR(2) = 2.5: stop 102.5, target 105 + 2 * 2.5 = 110.
TREND = [
    (100, 101, 99, 100),
    (100, 102, 100, 102),
    (102, 104, 102, 104),
    (104, 106, 104, 106),
    (106, 106, 103, 105),  # 09:19 the pullback
    (105.5, 107, 105, 106.5),  # 09:20 fill
    (106.5, 110.5, 106, 110),  # 09:21 high 110.5 >= 110: target
    (110, 111, 109, 110),  # 09:22 exit fill
]
TREND_PARAMS = {
    "mode": "trend",
    "min_bars": 3,
    "slope_bars": 2,
    "pullback_k": 0.5,
    "stop_atr": 1.0,
    "target_r": 2.0,
    "atr_period": 2,
}


def test_trend_pullback_long_and_its_mirror_short() -> None:
    r = backtest("vwap", frame(TREND), **TREND_PARAMS)
    assert trade_table(r) == [("LONG", "09:20", 105.5, "09:22", 110.0)]
    assert exit_reasons(r) == ["exit: target 110.0 hit (high 110.5)"]
    assert r.trades[0].entry_reason == (
        "vwap trend up: VWAP 102.93 moved 1.38 over 2 bars; pullback to within 0.5 sigma "
        "of it, close 105.0; stop 102.5, target 110.0"
    )
    m = backtest("vwap", frame(mirror(TREND)), **TREND_PARAMS)
    assert trade_table(m) == [("SHORT", "09:20", 94.5, "09:22", 90.0)]
    assert exit_reasons(m) == ["exit: target 90.0 hit (low 89.5)"]


def test_trend_mode_needs_a_rising_vwap_for_a_long() -> None:
    # the same dip after a flat session: the VWAP falls to 104.93, the close 105 is above it
    rows = [*flat(105, 4), *TREND[4:]]
    assert backtest("vwap", frame(rows), **TREND_PARAMS).trades == []
    assert len(backtest("vwap", frame(TREND), **TREND_PARAMS).trades) == 1


def test_parameter_errors_name_the_problem() -> None:
    vwap = get_strategy("vwap")
    with pytest.raises(ParamError, match=r"stop_k \(2.0\) must be above band_k \(2.0\)"):
        vwap(stop_basis="sigma", stop_k=2.0)
    with pytest.raises(ParamError, match=r"stop_k \(0.5\) must be above pullback_k \(1.0\)"):
        vwap(mode="trend", stop_basis="sigma", stop_k=0.5, pullback_k=1.0)
    with pytest.raises(ParamError, match="mode='fade': must be one of"):
        vwap(mode="fade")
    vwap(stop_k=1.0)  # the sigma stop is not used with the ATR stop basis
