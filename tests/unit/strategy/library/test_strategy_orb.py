"""``orb`` on hand-made 1-minute bars: entries, stops, targets, time and end-of-day exits, the
entry cutoff, one trade per direction, the volume filter and parameter checks."""

from __future__ import annotations

import math

import pytest
from tests.unit.strategy.library.scenario import (
    backtest,
    decisions,
    exit_reasons,
    flat,
    frame,
    trade_table,
)

from tronlab.strategy import ParamError, get_strategy

# Opening range 09:15-09:17 (range_minutes=3): high 105, low 95. Every bar's range holds the
# previous close, so the ATR(2) is exact: 10 after bar 2, then (10+6)/2 = 8, (8+5)/2 = 6.5.
RANGE = [(100, 105, 95, 100), (100, 105, 95, 101), (101, 105, 95, 102)]
ROWS = [
    *RANGE,
    (102, 106, 100, 104),  # 09:18 close inside the range: nothing
    (104, 108, 103, 107),  # 09:19 close 107 > 105: long; stop 95, target 107 + 2 * 12 = 131
    (107.5, 110, 106, 109),  # 09:20 entry fill at the open
    (109, 132, 108, 130),  # 09:21 high 132 >= 131: target
    (129, 130, 128, 129),  # 09:22 exit fill at the open
    (129, 130, 120, 121),
    (121, 122, 104, 104),  # 09:24 close inside the range
    (104, 105, 93, 94),  # 09:25 close 94 < 95: short; stop 105, target 94 - 2 * 11 = 72
    (94, 96, 90, 92),  # 09:26 entry fill
    (92, 106, 91, 105),  # 09:27 high 106 >= 105: stop
    (105, 107, 104, 106),  # 09:28 exit fill; close above the range again: long already used
    (106, 108, 105, 107),  # no second long
]
PARAMS = {"range_minutes": 3, "atr_period": 2}


def test_breakouts_both_ways_with_target_and_stop_one_trade_per_direction() -> None:
    r = backtest("orb", frame(ROWS), **PARAMS)
    assert trade_table(r) == [
        ("LONG", "09:20", 107.5, "09:22", 129.0),
        ("SHORT", "09:26", 94.0, "09:28", 105.0),
    ]
    assert exit_reasons(r) == [
        "exit: target 131.0 hit (high 132.0)",
        "exit: stop 105.0 hit (high 106.0)",
    ]
    first = r.trades[0].entry_reason
    assert first.startswith("orb: close 107.0 above the range high 105.0 of the first 3 minutes")
    assert first.endswith("by 0.31 ATR; stop 95.0, target 131.0")
    # confidence from the breakout size in ATRs (2 / 6.5), and the target overshoot in R (1/12)
    conf = [c for *_, c in decisions(r)]
    assert conf[0] == round(0.5 + 0.5 * math.tanh(2 / 6.5), 4)
    assert conf[1] == round(0.5 + 0.5 * math.tanh(1 / 12), 4)
    assert len(set(conf)) == len(conf)


def test_atr_stop_basis_and_time_stop() -> None:
    rows = [*ROWS[:6], (109, 111, 108, 110), (110, 111, 109, 110.5), (110.5, 111, 110, 111)]
    # stop = 107 - 1.0 * 6.5 = 100.5, target = 107 + 2 * 6.5 = 120: neither is reached; the
    # time stop counts the fill bar (09:20) as bar 1 and leaves after bar 2 (09:21)
    r = backtest("orb", frame(rows), stop_basis="atr", max_bars=2, **PARAMS)
    assert trade_table(r) == [("LONG", "09:20", 107.5, "09:22", 110.0)]
    assert exit_reasons(r) == ["exit: time stop after 2 bars (close 110.0)"]
    assert r.trades[0].entry_reason.endswith("stop 100.5, target 120.0")


def test_forced_exit_at_exit_time_with_the_default_times() -> None:
    rows = [*RANGE, (104, 108, 103, 107), *flat(107, 27)]  # 14:45 .. 15:15
    rows[25] = (108, 109, 106, 107)  # the 15:10 bar opens at 108
    r = backtest("orb", frame(rows, start="14:45"), **PARAMS)
    assert trade_table(r) == [("LONG", "14:49", 107.0, "15:10", 108.0)]
    assert exit_reasons(r) == ["exit: end of day (15:10, close 107.0)"]
    assert decisions(r)[1][0] == "15:10"  # decided at the close of the 15:09 bar


@pytest.mark.parametrize(
    ("breakout_at", "expected"),
    [(8, [("LONG", "14:59", 107.0, "15:10", 107.0)]), (9, [])],
)
def test_no_entry_decided_at_or_after_last_entry(breakout_at: int, expected: list[object]) -> None:
    # range 14:50-14:52; the breakout bar starts at 14:50 + breakout_at minutes: the 14:58 bar
    # closes at 14:59 (an entry), the 14:59 bar closes at 15:00 = last_entry (none)
    rows = [*RANGE, *flat(100, breakout_at - 3, 4.0), (104, 108, 103, 107), *flat(107, 15)]
    r = backtest("orb", frame(rows, start="14:50"), **PARAMS)
    assert trade_table(r) == expected


@pytest.mark.parametrize(
    ("volume", "trades"),
    [(150.0, 0), (250.0, 1), (0.0, 0)],
)
def test_volume_filter(volume: float, trades: int) -> None:
    # the range's bars trade 100 each; the 09:19 breakout needs more than 2 x 100 (the later
    # closes above the range, at 100 again, never pass)
    rows = [(*bar, volume if i == 4 else 100.0) for i, bar in enumerate(ROWS[:8])]
    r = backtest("orb", frame(rows), volume_mult=2.0, **PARAMS)
    assert len(r.trades) == trades
    if trades:
        assert r.trades[0].entry_reason.endswith(
            "by 0.31 ATR, volume 2.5x the range average; stop 95.0, target 131.0"
        )


def test_volume_filter_is_skipped_without_volume() -> None:
    rows = [(*bar, 0.0) for bar in ROWS[:8]]  # an index: no volume at all
    r = backtest("orb", frame(rows), volume_mult=2.0, **PARAMS)
    assert trade_table(r) == [("LONG", "09:20", 107.5, "09:22", 129.0)]


def test_parameter_errors_name_the_problem() -> None:
    orb = get_strategy("orb")
    with pytest.raises(ParamError, match=r"last_entry \(15:15\) must not be after exit_time"):
        orb(last_entry="15:15")
    with pytest.raises(ParamError, match="exit_time: expected an exchange-local time as HH:MM"):
        orb(exit_time="3pm")
    with pytest.raises(ParamError, match="unknown instrument mapper 'swap'"):
        orb(instrument="swap")
    with pytest.raises(ParamError, match="the 'underlying' mapper takes no underlying"):
        orb(underlying="NIFTY")
    orb(instrument="future", underlying="NIFTY")
    with pytest.raises(ParamError, match=r"stop_basis='pct': must be one of \['range', 'atr'\]"):
        orb(stop_basis="pct")
    with pytest.raises(ParamError, match="max_entries=3: must be <= 2"):
        orb(max_entries=3)
