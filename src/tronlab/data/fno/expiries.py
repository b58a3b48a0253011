"""Expiry dates on the NSE trading calendar from the dated F&O rules
(:mod:`tronlab.data.fno.rules`): weekly and monthly expiries by period, with the roll-back to
the previous trading day when an expiry day is a holiday."""

from __future__ import annotations

import datetime as dt
import functools

from tronlab.data.calendars import TradingCalendar, get_calendar
from tronlab.data.fno.rules import (
    Expiry,
    ExpiryKind,
    FnoRules,
    NoRuleError,
    UnderlyingRules,
    default_rules,
)

__all__ = ["ExpiryCalendar", "default_expiry_calendar"]

_MAX_ROLL_BACK_DAYS = 15


def _monday(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def _last_weekday(year: int, month: int, weekday: int) -> dt.date:
    nxt = dt.date(year + month // 12, month % 12 + 1, 1)
    last = nxt - dt.timedelta(days=1)
    return last - dt.timedelta(days=(last.weekday() - weekday) % 7)


def _add_months(year: int, month: int, n: int) -> tuple[int, int]:
    index = year * 12 + (month - 1) + n
    return index // 12, index % 12 + 1


class ExpiryCalendar:
    """Expiry dates of the rules' underlyings on an NSE trading calendar.

    Parameters
    ----------
    rules
        Defaults to :func:`default_rules`.
    calendar
        Defaults to ``get_calendar("NSE")``. A day is an expiry-capable trading day when it is a
        session that is not of kind ``special`` (Muhurat and DR-drill sessions do not count).
    """

    def __init__(
        self, rules: FnoRules | None = None, calendar: TradingCalendar | None = None
    ) -> None:
        self.rules = rules if rules is not None else default_rules()
        self.calendar = calendar if calendar is not None else get_calendar("NSE")
        self._trading: dict[dt.date, bool] = {}

    def __repr__(self) -> str:
        return f"ExpiryCalendar({', '.join(self.rules.roots)}; {self.calendar!r})"

    # ------------------------------------------------------------------ trading days

    def is_trading_day(self, day: dt.date) -> bool:
        """Whether a contract can expire on ``day`` (a regular or early-close session)."""
        known = self._trading.get(day)
        if known is None:
            try:
                session = self.calendar.session(day)
            except ValueError as exc:
                raise NoRuleError(
                    f"cannot tell whether {day} is an NSE trading day: {exc}; extend the "
                    "calendar (get_calendar overrides) to resolve expiries that far"
                ) from None
            known = session is not None and session.kind != "special"
            self._trading[day] = known
        return known

    def roll_back(self, day: dt.date) -> dt.date:
        """``day`` if it is a trading day, else the previous trading day."""
        for back in range(_MAX_ROLL_BACK_DAYS + 1):
            candidate = day - dt.timedelta(days=back)
            if self.is_trading_day(candidate):
                return candidate
        raise NoRuleError(f"no trading day within {_MAX_ROLL_BACK_DAYS} days before {day}")

    # ------------------------------------------------------------------ nominal dates

    def _monthly_nominal(self, rules: UnderlyingRules, year: int, month: int) -> dt.date:
        period = rules.schedule_at(dt.date(year, month, 1))
        return _last_weekday(year, month, period.monthly.number)

    def _weekly_nominal(self, rules: UnderlyingRules, monday: dt.date) -> dt.date | None:
        period = rules.schedule_at(monday)
        if period.weekly is None:
            return None
        nominal = monday + dt.timedelta(days=period.weekly.number)
        # The monthly contract is the expiry of its week: no weekly is listed in that week.
        for year, month in (
            (nominal.year, nominal.month),
            _add_months(nominal.year, nominal.month, -1),
        ):
            if _monday(self._monthly_nominal(rules, year, month)) == monday:
                return None
        return nominal

    # ------------------------------------------------------------------ public API

    def monthly_expiry(self, root: str, year: int, month: int) -> dt.date:
        """The month's (last) expiry of ``root``, rolled back over holidays.

        Has the signature of a :data:`tronlab.data.fno.symbols.MonthlyExpiryResolver`.
        """
        rules = self.rules.underlying(root)
        day = self.roll_back(self._monthly_nominal(rules, year, month))
        if day < rules.coverage_from:
            raise NoRuleError(f"{root}: rules cover expiries from {rules.coverage_from}, not {day}")
        return day

    def expiries_between(self, root: str, start: dt.date, end: dt.date) -> list[Expiry]:
        """Every expiry of ``root`` with ``start <= date <= end``, in date order.

        Raises :class:`NoRuleError` when ``start`` is before the underlying's ``coverage_from``.
        """
        rules = self.rules.underlying(root)
        if start < rules.coverage_from:
            raise NoRuleError(
                f"{root}: rules cover expiries from {rules.coverage_from}, not {start}"
            )
        found: dict[dt.date, ExpiryKind] = {}
        year, month = start.year, start.month
        while (year, month) <= (end.year, end.month):
            day = self.roll_back(self._monthly_nominal(rules, year, month))
            if start <= day <= end:
                found[day] = ExpiryKind.MONTHLY
            year, month = _add_months(year, month, 1)
        monday = _monday(start)
        while monday <= end + dt.timedelta(days=7):
            nominal = self._weekly_nominal(rules, monday)
            if nominal is not None:
                try:
                    day = self.roll_back(nominal)
                except NoRuleError:
                    if nominal <= end:
                        raise
                    # Only a holiday run from `end` to `nominal` would bring this expiry into
                    # range; beyond the calendar's data that run is assumed not to happen.
                    day = nominal
                if start <= day <= end:
                    found.setdefault(day, ExpiryKind.WEEKLY)
            monday += dt.timedelta(days=7)
        return [Expiry(day, kind) for day, kind in sorted(found.items())]

    def upcoming(self, root: str, on: dt.date, horizon_months: int = 3) -> list[Expiry]:
        """Expiries from ``on`` (inclusive) through the ``horizon_months``-th monthly expiry.

        With the default 3 these are the near, mid and far monthly contracts and every weekly
        expiry before the far one. NSE lists fewer weeklies than that (NIFTY: 4), and lists
        quarterly/half-yearly contracts beyond it.
        """
        if horizon_months < 1:
            raise ValueError(f"horizon_months must be >= 1, got {horizon_months}")
        coverage = self.rules.underlying(root).coverage_from
        if on < coverage:
            raise NoRuleError(f"{root}: rules cover expiries from {coverage}, not {on}")
        monthlies: list[dt.date] = []
        year, month = on.year, on.month
        while len(monthlies) < horizon_months:
            day = self.monthly_expiry(root, year, month)
            if day >= on:
                monthlies.append(day)
            year, month = _add_months(year, month, 1)
        return self.expiries_between(root, on, monthlies[-1])

    def kind_of(self, root: str, day: dt.date) -> ExpiryKind | None:
        """Whether ``day`` is a weekly or monthly expiry of ``root`` (``None``: neither)."""
        rules = self.rules.underlying(root)
        start = max(day - dt.timedelta(days=1), rules.coverage_from)
        if day < start:
            return None
        for expiry in self.expiries_between(root, start, day + dt.timedelta(days=1)):
            if expiry.date == day:
                return expiry.kind
        return None


@functools.cache
def default_expiry_calendar() -> ExpiryCalendar:
    """An :class:`ExpiryCalendar` on the packaged rules and the NSE calendar (shared)."""
    return ExpiryCalendar()
