"""Expiry dates from the rules on the NSE calendar: weekdays by period, weeklies, monthly rule,
and the holiday roll-back (dates checked against exchange circulars and broker notices)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from tronlab.data.calendars import get_calendar
from tronlab.data.fno import Expiry, ExpiryCalendar, ExpiryKind, NoRuleError, expiries
from tronlab.data.fno.expiries import default_expiry_calendar
from tronlab.data.fno.rules import Weekday

W, M = ExpiryKind.WEEKLY, ExpiryKind.MONTHLY
CAL = default_expiry_calendar()
NSE = get_calendar("NSE")


def _dates(root: str, start: date, end: date) -> list[tuple[str, str]]:
    return [(e.date.isoformat(), e.kind.value) for e in CAL.expiries_between(root, start, end)]


def test_nifty_moves_from_thursday_to_tuesday_in_september_2025() -> None:
    assert _dates("NIFTY", date(2025, 8, 18), date(2025, 9, 16)) == [
        ("2025-08-21", "weekly"),
        ("2025-08-28", "monthly"),  # the last Thursday expiry
        ("2025-09-02", "weekly"),  # the first Tuesday expiry
        ("2025-09-09", "weekly"),
        ("2025-09-16", "weekly"),
    ]
    assert CAL.kind_of("NIFTY", date(2025, 9, 2)) is W
    assert CAL.kind_of("NIFTY", date(2025, 8, 28)) is M
    assert CAL.kind_of("NIFTY", date(2025, 9, 4)) is None
    assert CAL.kind_of("NIFTY", date(2025, 9, 30)) is M


@pytest.mark.parametrize(
    ("root", "holiday", "expiry", "kind"),
    [
        # Diwali 2025: 21 Oct (Tue) has only the Muhurat session -> Monday 20 Oct
        ("NIFTY", date(2025, 10, 21), date(2025, 10, 20), W),
        # angelone circular table: 10 Apr 2025 and 1 May 2025 holidays -> 9 Apr, 30 Apr
        ("NIFTY", date(2025, 4, 10), date(2025, 4, 9), W),
        ("NIFTY", date(2025, 5, 1), date(2025, 4, 30), W),  # after the Apr monthly (24 Apr)
        ("BANKNIFTY", date(2024, 5, 1), date(2024, 4, 30), W),
        # Christmas 2024 (Wed): BANKNIFTY Dec-2024 monthly on Tue 24 Dec (business-standard)
        ("BANKNIFTY", date(2024, 12, 25), date(2024, 12, 24), M),
        # Bakri Id 29 Jun 2023 (Thu): NIFTY Jun-2023 monthly on Wed 28 Jun
        ("NIFTY", date(2023, 6, 29), date(2023, 6, 28), M),
        # Ram Navami 30 Mar 2023: NIFTY Mar-2023 monthly on 29 Mar
        ("NIFTY", date(2023, 3, 30), date(2023, 3, 29), M),
        # Independence Day 2024 (Thu): NIFTY weekly on 14 Aug
        ("NIFTY", date(2024, 8, 15), date(2024, 8, 14), W),
        # Holi 3 Mar 2026 (Tue): NIFTY weekly on Monday 2 Mar
        ("NIFTY", date(2026, 3, 3), date(2026, 3, 2), W),
    ],
)
def test_expiry_on_a_holiday_moves_to_the_previous_trading_day(
    root: str, holiday: date, expiry: date, kind: ExpiryKind
) -> None:
    assert not CAL.is_trading_day(holiday)
    assert CAL.is_trading_day(expiry)
    found = CAL.expiries_between(root, holiday - timedelta(days=6), holiday + timedelta(days=1))
    assert Expiry(expiry, kind) in found
    assert all(e.date != holiday for e in found)


def test_a_special_session_is_not_an_expiry_day() -> None:
    session = NSE.session(date(2025, 10, 21))
    assert session is not None
    assert session.kind == "special"
    assert not CAL.is_trading_day(date(2025, 10, 21))


@pytest.mark.parametrize(
    ("root", "year", "month", "expiry"),
    [
        # Dec 2024 (the last month of per-index weekdays) and Jan 2025 (all Thursday)
        ("NIFTY", 2024, 12, date(2024, 12, 26)),
        ("BANKNIFTY", 2024, 12, date(2024, 12, 24)),
        ("FINNIFTY", 2024, 12, date(2024, 12, 31)),
        ("MIDCPNIFTY", 2024, 12, date(2024, 12, 30)),
        ("NIFTYNXT50", 2024, 12, date(2024, 12, 27)),
        ("BANKNIFTY", 2025, 1, date(2025, 1, 30)),
        ("FINNIFTY", 2025, 1, date(2025, 1, 30)),
        ("BANKNIFTY", 2024, 3, date(2024, 3, 27)),  # first Wednesday monthly
        ("NIFTY", 2025, 12, date(2025, 12, 30)),
        ("BANKNIFTY", 2026, 1, date(2026, 1, 27)),
        ("NIFTY", 2026, 3, date(2026, 3, 30)),  # 31 Mar 2026 is a holiday on the calendar
    ],
)
def test_monthly_expiries(root: str, year: int, month: int, expiry: date) -> None:
    assert CAL.monthly_expiry(root, year, month) == expiry


def _months(start: date, end: date) -> list[tuple[int, int]]:
    out, y, m = [], start.year, start.month
    while (y, m) <= (end.year, end.month):
        out.append((y, m))
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


@pytest.mark.parametrize("root", ["NIFTY", "BANKNIFTY", "FINNIFTY", "MIDCPNIFTY", "NIFTYNXT50"])
def test_monthly_is_the_last_expiry_weekday_of_the_month(root: str) -> None:
    rules = CAL.rules.underlying(root)
    start = date(rules.coverage_from.year, rules.coverage_from.month, 1)
    for year, month in _months(start, date(2026, 11, 30)):
        monthly = CAL.monthly_expiry(root, year, month)
        weekday = rules.schedule_at(date(year, month, 1)).monthly
        nominal = max(
            date(year, month, d)
            for d in range(22, 32)
            if _valid(year, month, d) and date(year, month, d).weekday() == weekday.number
        )
        # the nominal day, or the last trading day before it
        assert monthly <= nominal
        assert CAL.is_trading_day(monthly)
        assert not any(
            CAL.is_trading_day(monthly + timedelta(days=k))
            for k in range(1, (nominal - monthly).days + 1)
        )
        last_day = max(d for d in range(28, 32) if _valid(year, month, d))
        in_month = CAL.expiries_between(root, date(year, month, 1), date(year, month, last_day))
        # only a next-month weekly rolled back over a holiday may follow the monthly (NIFTY
        # 30 Apr 2025: 1 May holiday), and it stays a weekly contract
        for later in (e for e in in_month if e.date > monthly):
            assert later.kind is W, (year, month)
            assert not CAL.is_trading_day(date(year, month, last_day) + timedelta(days=1))
        assert Expiry(monthly, M) in in_month
        # no weekly in the week of the monthly expiry
        week = nominal - timedelta(days=nominal.weekday())
        assert all(e.kind is M for e in in_month if week <= e.date <= week + timedelta(days=6)), (
            year,
            month,
        )


def _valid(year: int, month: int, day: int) -> bool:
    try:
        date(year, month, day)
    except ValueError:
        return False
    return True


def test_weeklies_by_underlying_and_period() -> None:
    # BANKNIFTY: Wednesday weeklies until 13 Nov 2024, none afterwards (30 Oct is the monthly)
    bank = CAL.expiries_between("BANKNIFTY", date(2024, 10, 21), date(2024, 12, 31))
    assert [(e.date, e.kind) for e in bank] == [
        (date(2024, 10, 23), W),
        (date(2024, 10, 30), M),
        (date(2024, 11, 6), W),
        (date(2024, 11, 13), W),
        (date(2024, 11, 27), M),
        (date(2024, 12, 24), M),
    ]
    # FINNIFTY (Tuesday) and MIDCPNIFTY (Monday) weeklies until 19 and 18 Nov 2024
    fin = CAL.expiries_between("FINNIFTY", date(2024, 11, 1), date(2024, 12, 31))
    assert [e.date for e in fin if e.kind is W][-1] == date(2024, 11, 19)
    mid = CAL.expiries_between("MIDCPNIFTY", date(2024, 11, 1), date(2024, 12, 31))
    assert [e.date for e in mid if e.kind is W][-1] == date(2024, 11, 18)
    assert all(e.date.weekday() == Weekday.MONDAY.number for e in mid if e.kind is W)
    # since 2025 only NIFTY has weeklies on NSE
    for root in ("BANKNIFTY", "FINNIFTY", "MIDCPNIFTY", "NIFTYNXT50"):
        found = CAL.expiries_between(root, date(2025, 1, 1), date(2026, 12, 31))
        assert {e.kind for e in found} == {M}, root
        assert len(found) == 24, root
    nifty = CAL.expiries_between("NIFTY", date(2025, 9, 1), date(2026, 12, 31))
    assert all(e.date.weekday() <= Weekday.TUESDAY.number for e in nifty)
    assert len({e.date.isocalendar()[:2] for e in nifty}) == len(nifty)  # one per week


def test_expiries_from_a_date_with_a_horizon() -> None:
    found = expiries("NIFTY", date(2025, 11, 14))
    assert [e.date for e in found if e.is_monthly] == [
        date(2025, 11, 25),
        date(2025, 12, 30),
        date(2026, 1, 27),
    ]
    assert found[0] == Expiry(date(2025, 11, 18), W)
    assert found[-1] == Expiry(date(2026, 1, 27), M)
    assert found == sorted(found)
    # an expiry day is included; after the monthly expiry the next month becomes near month
    assert expiries("BANKNIFTY", date(2025, 11, 25), 1) == [Expiry(date(2025, 11, 25), M)]
    assert expiries("BANKNIFTY", date(2025, 11, 26), 1) == [Expiry(date(2025, 12, 30), M)]
    assert len(expiries("FINNIFTY", date(2025, 11, 26), 3)) == 3


def test_out_of_coverage_queries_raise() -> None:
    with pytest.raises(NoRuleError, match="cover expiries from 2024-03-01"):
        expiries("BANKNIFTY", date(2024, 1, 10))
    with pytest.raises(NoRuleError, match="calendar"):
        expiries("NIFTY", date(2026, 12, 1), 2)  # Jan 2027 is beyond the NSE holiday data
    with pytest.raises(NoRuleError, match="SENSEX"):
        expiries("SENSEX", date(2025, 11, 14))
    with pytest.raises(ValueError, match="horizon_months"):
        expiries("NIFTY", date(2025, 11, 14), 0)


def test_an_injected_calendar_drives_the_roll_back() -> None:
    cal = ExpiryCalendar(calendar=NSE)
    assert cal.monthly_expiry("NIFTY", 2025, 12) == date(2025, 12, 30)
    assert "NIFTY" in repr(cal)
