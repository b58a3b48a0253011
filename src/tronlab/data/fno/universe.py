"""Generate the NSE index F&O contracts the rules say exist on a date.

For research, backtests, paper trading and tests: :func:`expiries` lists an underlying's
expiries and :func:`fno_universe` builds :class:`~tronlab.model.Instrument` objects for index
futures (near, mid and far month) and options around the money. Each contract's lot size is
the one of *its* expiry (plus in-place revisions of long-dated contracts as of ``on``), its
freeze quantity the limit in force on ``on`` rounded down to whole lots; quantities are in
units (multiplier 1).

These are generated, plausible contracts. NSE lists fewer weeklies (NIFTY: 4) plus
quarterly/half-yearly contracts, uses wider strike steps far from the money, and may move an
expiry when it declares a holiday late. Live trading reads contracts from the instrument
master (:mod:`tronlab.data.fno.kite_csv`) and never builds symbols.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Mapping
from decimal import ROUND_HALF_UP, Decimal

from tronlab.data.calendars import TradingCalendar
from tronlab.data.fno.expiries import ExpiryCalendar, default_expiry_calendar
from tronlab.data.fno.rules import (
    Expiry,
    ExpiryKind,
    FnoRules,
    NoRuleError,
)
from tronlab.data.fno.symbols import format_future, format_option
from tronlab.model import Instrument, OptionRight, Venue

__all__ = [
    "atm_strike",
    "expiries",
    "fno_universe",
    "future_symbol",
    "option_symbol",
]


def _expiry_calendar(rules: FnoRules | None, calendar: TradingCalendar | None) -> ExpiryCalendar:
    if rules is None and calendar is None:
        return default_expiry_calendar()
    return ExpiryCalendar(rules, calendar)


def expiries(
    underlying: str,
    on: dt.date,
    horizon_months: int = 3,
    *,
    rules: FnoRules | None = None,
    calendar: TradingCalendar | None = None,
) -> list[Expiry]:
    """Expiries of ``underlying`` from ``on`` (inclusive) through its ``horizon_months``-th
    monthly expiry: weekly ones where the rules list weeklies, and the monthly ones.

    Raises
    ------
    NoRuleError
        Unknown underlying, ``on`` before the rules' coverage, or dates beyond the calendar.
    """
    return _expiry_calendar(rules, calendar).upcoming(underlying, on, horizon_months)


def atm_strike(spot: float | Decimal, step: Decimal) -> Decimal:
    """The strike nearest ``spot`` on a grid of ``step`` (halves round up)."""
    value = Decimal(str(spot))
    if not value.is_finite() or value <= 0:
        raise ValueError(f"spot must be a positive finite number, got {spot!r}")
    return (value / step).quantize(Decimal(1), rounding=ROUND_HALF_UP) * step


def future_symbol(underlying: str, expiry: dt.date) -> str:
    """Kite symbol of the future expiring on ``expiry`` (generator use only)."""
    return format_future(underlying, expiry)


def option_symbol(underlying: str, expiry: Expiry, strike: Decimal, right: OptionRight) -> str:
    """Kite symbol of an option (weekly form unless ``expiry`` is the monthly one)."""
    return format_option(underlying, expiry.date, strike, right, weekly=not expiry.is_monthly)


def _check_spot(spot: Mapping[str, float] | None, rules: FnoRules) -> dict[str, Decimal]:
    if spot is None:
        return {}
    out: dict[str, Decimal] = {}
    for root, value in spot.items():
        if root not in rules.underlyings:
            raise ValueError(f"spot given for {root!r}, which has no F&O rules")
        if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
            raise ValueError(f"spot of {root} must be a number, got {value!r}")
        if not math.isfinite(float(value)) or value <= 0:
            raise ValueError(f"spot of {root} must be positive and finite, got {value!r}")
        out[root] = Decimal(str(value))
    return out


def fno_universe(
    on: dt.date,
    spot: Mapping[str, float] | None = None,
    strikes_each_side: int = 20,
    *,
    underlyings: Iterable[str] | None = None,
    option_expiries: int = 2,
    futures_months: int = 3,
    rules: FnoRules | None = None,
    calendar: TradingCalendar | None = None,
) -> list[Instrument]:
    """Index futures and options (Venue NFO) that trade on ``on``, per the rules.

    Parameters
    ----------
    on
        Trade date.
    spot
        Index level per underlying root. Options are built only for underlyings with a spot:
        ``2 * strikes_each_side + 1`` strikes centred on the at-the-money strike, CE and PE, for
        the ``option_expiries`` nearest expiries. Since 15 Apr 2025 the index-futures tick
        depends on the index level, so futures then need a spot too (else
        :class:`NoRuleError`).
    strikes_each_side
        Strikes below and above the money (strikes must stay positive).
    underlyings
        Roots to include. Default: the roots in ``spot`` when it is given, else every root of
        the rules covering ``on``.
    option_expiries
        How many of the nearest expiries (weekly or monthly) get options.
    futures_months
        Monthly futures: near, mid and far by default.

    Returns
    -------
    list[Instrument]
        Ordered by underlying (rules order), then futures by expiry, then options by expiry,
        strike and right (CE first).

    Raises
    ------
    NoRuleError
        An unknown underlying, a date the rules or the calendar do not cover, or a futures tick
        that needs a spot that was not given.
    ValueError
        Bad arguments (negative counts, a bad spot, a spot for a root the rules lack).
    """
    if strikes_each_side < 0 or option_expiries < 0 or futures_months < 0:
        raise ValueError("strikes_each_side, option_expiries and futures_months must be >= 0")
    cal = _expiry_calendar(rules, calendar)
    book = cal.rules
    levels = _check_spot(spot, book)
    if underlyings is not None:
        roots = list(dict.fromkeys(underlyings))
        for root in roots:
            book.underlying(root)
    elif spot is not None:
        roots = [r for r in book.roots if r in levels]
    else:
        roots = [r for r in book.roots if book.underlying(r).coverage_from <= on]
    option_tick = book.option_tick_size
    out: list[Instrument] = []
    for root in roots:
        level = levels.get(root)
        if futures_months:
            try:
                tick = book.futures_tick_size(on, level)
            except NoRuleError as exc:
                raise NoRuleError(f"{root} futures: {exc}") from None
            for expiry in cal.upcoming(root, on, futures_months):
                if not expiry.is_monthly:
                    continue
                lot = book.lot_size(root, expiry.date, ExpiryKind.MONTHLY, on=on)
                out.append(
                    Instrument.future(
                        Venue.NFO,
                        future_symbol(root, expiry.date),
                        underlying=root,
                        expiry=expiry.date,
                        tick_size=tick,
                        lot_size=lot,
                        freeze_quantity=book.freeze_quantity(root, on, lot),
                    )
                )
        if level is None or option_expiries == 0:
            continue
        nearest = _nearest_expiries(cal, root, on, option_expiries)
        step = book.strike_step(root)
        atm = atm_strike(level, step)
        strikes = [atm + i * step for i in range(-strikes_each_side, strikes_each_side + 1)]
        for expiry in nearest:
            lot = book.lot_size(root, expiry.date, expiry.kind, on=on)
            freeze = book.freeze_quantity(root, on, lot)
            for strike in strikes:
                if strike <= 0:
                    continue
                for right in (OptionRight.CALL, OptionRight.PUT):
                    out.append(
                        Instrument.option(
                            Venue.NFO,
                            option_symbol(root, expiry, strike, right),
                            underlying=root,
                            expiry=expiry.date,
                            strike=strike,
                            right=right,
                            tick_size=option_tick,
                            lot_size=lot,
                            freeze_quantity=freeze,
                        )
                    )
    return out


def _nearest_expiries(cal: ExpiryCalendar, root: str, on: dt.date, count: int) -> list[Expiry]:
    horizon = 1
    while True:
        found = cal.upcoming(root, on, horizon)
        if len(found) >= count:
            return found[:count]
        horizon += 1
