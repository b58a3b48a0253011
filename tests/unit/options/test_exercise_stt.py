"""STT on options exercised at expiry: the dated rate and who pays it."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from tests.unit.execution.rates_text import MINIMAL

from tronlab.execution.costs import PercentCost, ZeroCost, ZerodhaCosts
from tronlab.execution.costs_rates import (
    CostRatesError,
    NoRatesForDate,
    default_cost_rates,
    parse_cost_rates_text,
)
from tronlab.model import Instrument, OptionRight, Venue

IST = ZoneInfo("Asia/Kolkata")
TICK = Decimal("0.05")


def call(expiry: date) -> Instrument:
    return Instrument.option(
        Venue.NFO, f"NIFTY{expiry:%y%m%d}24000CE", underlying="NIFTY", expiry=expiry,
        strike=Decimal(24000), right=OptionRight.CALL, tick_size=TICK, lot_size=65,
    )  # fmt: skip


def at_close(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 15, 30, tzinfo=IST)


def test_the_packaged_rates_date_the_exercise_stt() -> None:
    z = default_cost_rates().zerodha
    assert all(v.stt_options_exercised is not None for v in z.versions)
    assert z.on(date(2020, 7, 1)).stt_options_exercised == Decimal("0.00125")
    assert z.on(date(2026, 3, 31)).stt_options_exercised == Decimal("0.00125")
    assert z.on(date(2026, 4, 1)).stt_options_exercised == Decimal("0.0015")


@pytest.mark.parametrize(
    ("day", "stt"),
    [
        (date(2025, 12, 30), Decimal("14.45")),  # 0.125% x 65 x 177.85 = 14.4503...
        (date(2026, 4, 7), Decimal("17.34")),  # 0.15% x 11,560.25 = 17.340375
    ],
)
def test_a_long_in_the_money_option_pays_stt_on_its_intrinsic_value(
    day: date, stt: Decimal
) -> None:
    c = ZerodhaCosts().exercise_charges(call(day), Decimal(65), Decimal("177.85"), at_close(day))
    assert c.stt == stt
    assert c.total == stt
    assert c.brokerage == c.exchange_txn == c.gst == 0


def test_nothing_is_due_for_worthless_short_or_non_option_positions() -> None:
    z, day = ZerodhaCosts(), date(2025, 12, 30)
    assert z.exercise_charges(call(day), Decimal(65), Decimal(0), at_close(day)).total == 0
    assert z.exercise_charges(call(day), Decimal(-65), Decimal(10), at_close(day)).total == 0
    fut = Instrument.future(
        Venue.NFO, "NIFTY25DECFUT", underlying="NIFTY", expiry=day, tick_size=TICK, lot_size=75
    )
    assert z.exercise_charges(fut, Decimal(75), Decimal(24000), at_close(day)).total == 0
    for model in (ZeroCost(), PercentCost(Decimal("0.0003"))):
        assert model.exercise_charges(call(day), Decimal(65), Decimal(10), at_close(day)).total == 0


def test_a_rates_file_without_the_rate_refuses_to_guess() -> None:
    rates = parse_cost_rates_text(MINIMAL)
    day = date(2025, 12, 30)
    with pytest.raises(NoRatesForDate, match="stt_options_exercised"):
        ZerodhaCosts(rates).exercise_charges(call(day), Decimal(65), Decimal(5), at_close(day))
    with_rate = MINIMAL.replace(
        '    sebi: "0.0001%"', '    sebi: "0.0001%"\n    stt_options_exercised: "0.2%"'
    )
    z = ZerodhaCosts(parse_cost_rates_text(with_rate))
    assert z.exercise_charges(call(day), Decimal(65), Decimal(10), at_close(day)).stt == Decimal(
        "1.30"
    )
    bad = MINIMAL.replace(
        '    sebi: "0.0001%"', '    sebi: "0.0001%"\n    stt_options_exercised: 0.001'
    )
    with pytest.raises(CostRatesError, match=r"zerodha\[0\]\.stt_options_exercised"):
        parse_cost_rates_text(bad)
