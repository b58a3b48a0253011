"""Picking contracts (options.select) and building multi-leg orders (execution.combos)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from tronlab.data.fno import fno_universe
from tronlab.execution.combos import ComboError, iron_condor, straddle, strangle, vertical
from tronlab.execution.intents import ComboKind
from tronlab.model import InstrumentKind, OptionRight, Side
from tronlab.options.select import (
    atm_strike,
    live_options,
    nearest_expiry,
    offset_strike,
    option_at,
    otm_strike,
    strikes_of,
)

IST = ZoneInfo("Asia/Kolkata")
ON = date(2025, 12, 29)  # weeklies 30 Dec (monthly, lot 75) and 6 Jan (lot 65)
UNIVERSE = fno_universe(ON, {"NIFTY": 24010.0}, 4, option_expiries=2)
OPTS = [i for i in UNIVERSE if i.kind is InstrumentKind.OPT]
NOW = datetime(2025, 12, 29, 10, 0, tzinfo=IST)
K = [Decimal(k) for k in range(23800, 24250, 50)]
CALL, PUT = OptionRight.CALL, OptionRight.PUT


def test_strikes_and_expiries() -> None:
    assert strikes_of(OPTS, date(2025, 12, 30), CALL) == K
    assert nearest_expiry(OPTS, NOW) == date(2025, 12, 30)
    # on expiry day at 15:10 only 20 minutes are left: with min_left 1h the next one
    late = datetime(2025, 12, 30, 15, 10, tzinfo=IST)
    assert nearest_expiry(OPTS, late) == date(2025, 12, 30)
    assert nearest_expiry(OPTS, late, min_left=timedelta(hours=1)) == date(2026, 1, 6)
    after = datetime(2025, 12, 30, 15, 30, tzinfo=IST)
    assert {i.expiry for i in live_options(OPTS, after)} == {date(2026, 1, 6)}
    assert nearest_expiry(OPTS, NOW, underlying="BANKNIFTY") is None


def test_atm_otm_and_offsets() -> None:
    assert atm_strike(K, 24010) == Decimal(24000)
    assert atm_strike(K, 24025) == Decimal(24000)  # a tie goes to the lower strike
    assert atm_strike(K, 24026) == Decimal(24050)
    assert otm_strike(K, 24010, CALL) == Decimal(24050)
    assert otm_strike(K, 24010, PUT) == Decimal(24000)
    assert otm_strike(K, 24000, PUT, 2) == Decimal(23900)  # the ATM strike is not OTM
    assert offset_strike(K, Decimal(24000), -3) == Decimal(23850)
    with pytest.raises(ValueError, match="fewer than 9"):
        otm_strike(K, 24010, CALL, 9)
    with pytest.raises(ValueError, match="no strike"):
        offset_strike(K, Decimal(24000), 5)
    with pytest.raises(ValueError, match="no 25000 CE"):
        option_at(OPTS, date(2025, 12, 30), Decimal(25000), CALL)


def _legs(combo: object) -> list[tuple[Side, int, str, Decimal]]:
    out = []
    for leg in combo.legs:  # type: ignore[attr-defined]
        inst = next(i for i in OPTS if i.symbol == leg.symbol)
        out.append((leg.side, int(inst.strike or 0), inst.right.kite, leg.quantity))
    return out


def test_straddle_and_strangle() -> None:
    s = straddle(OPTS, 24010, NOW, lots=2, rationale="event")
    assert s.strategy is ComboKind.STRADDLE
    assert _legs(s) == [(Side.BUY, 24000, "CE", 150), (Side.BUY, 24000, "PE", 150)]
    assert s.legs[0].rationale == "straddle long call 24000 CE: event"
    assert (
        straddle(OPTS, 24010, int(NOW.timestamp()) * 1_000_000_000, lots=2, rationale="event") == s
    )
    g = strangle(OPTS, 24010, NOW, offset=2, side=Side.SELL, expiry=date(2026, 1, 6))
    assert _legs(g) == [(Side.SELL, 24100, "CE", 65), (Side.SELL, 23900, "PE", 65)]


def test_verticals() -> None:
    bull = vertical(OPTS, 24010, NOW, kind="bull_call", width=2)
    assert _legs(bull) == [(Side.BUY, 24000, "CE", 75), (Side.SELL, 24100, "CE", 75)]
    bear = vertical(OPTS, 24010, NOW, kind="bear_put")
    assert _legs(bear) == [(Side.BUY, 24000, "PE", 75), (Side.SELL, 23950, "PE", 75)]
    assert bear.rationale == "bear_put"
    with pytest.raises(ComboError, match="bull_call"):
        vertical(OPTS, 24010, NOW, kind="bull_put")  # type: ignore[arg-type]


def test_iron_condor() -> None:
    ic = iron_condor(OPTS, 24010, NOW, short_offset=2, wing=1, strategy_id="s1")
    assert ic.strategy is ComboKind.IRON_CONDOR
    assert _legs(ic) == [
        (Side.BUY, 23850, "PE", 75),
        (Side.SELL, 23900, "PE", 75),
        (Side.SELL, 24100, "CE", 75),
        (Side.BUY, 24150, "CE", 75),
    ]
    assert {leg.strategy_id for leg in ic.legs} == {"s1"}
    long_ic = iron_condor(OPTS, 24010, NOW, side=Side.BUY)
    assert [x[0] for x in _legs(long_ic)] == [Side.SELL, Side.BUY, Side.BUY, Side.SELL]


def test_builders_explain_what_is_missing() -> None:
    with pytest.raises(ComboError, match="no strike"):
        iron_condor(OPTS, 24010, NOW, short_offset=4, wing=2)
    with pytest.raises(ComboError, match="spot"):
        straddle(OPTS, float("nan"), NOW)
    with pytest.raises(ComboError, match="lots"):
        straddle(OPTS, 24010, NOW, lots=0)
    with pytest.raises(ComboError, match="no option expires"):
        straddle(OPTS, 24010, datetime(2026, 2, 1, tzinfo=IST))
    with pytest.raises(ComboError, match="offset"):
        strangle(OPTS, 24010, NOW, offset=0)
