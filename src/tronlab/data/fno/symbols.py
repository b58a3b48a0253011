"""Kite (NSE) F&O trading symbols: a parser and a formatter that round-trip.

Forms (interfaces.md §1.7):

* futures ``ROOT + YY + MON + FUT``: ``NIFTY24DECFUT``;
* monthly options ``ROOT + YY + MON + STRIKE + CE|PE``: ``NIFTY24DEC24000CE``;
* weekly options ``ROOT + YY + M + DD + STRIKE + CE|PE``, ``M`` being ``1``-``9`` for
  January-September and ``O``, ``N``, ``D`` for October-December: ``NIFTY25D1625100PE``
  (16 Dec 2025), ``NIFTY25O0724100CE`` (7 Oct 2025).

The month's (monthly) contract uses the monthly form, every other expiry the weekly form, so
which form a contract gets depends on whether its expiry is the month's monthly expiry
(:meth:`tronlab.data.fno.expiries.ExpiryCalendar.kind_of`). That is normally the month's last
expiry; the exception is a next-month weekly rolled back over a holiday (NIFTY's weekly of
30 Apr 2025, 1 May being a holiday, follows the April monthly of 24 Apr and is a weekly).
A monthly symbol encodes only the year and month; :func:`parse` resolves the day through a
resolver when one is given. Strikes are written without trailing zeros and may be fractional
for stock options (``NTPC23JUN182.5CE``). Roots may contain ``&`` and ``-`` (``M&M``,
``BAJAJ-AUTO``) and digits; a root that *ends* in a digit (``NIFTYNXT50``) is only recognised
when listed in ``roots`` or :data:`INDEX_ROOTS`, otherwise the split between root and year
would be ambiguous.

**Trading code looks symbols up in the instrument master (the day's Kite dump, see
:mod:`tronlab.data.fno.kite_csv`) and never builds them by string formatting**: the exchange
decides the listed contracts, strikes added intraday are missing from the dump, and expiries
move with holidays. The formatter exists for the contract generator
(:mod:`tronlab.data.fno.universe`) and for tests.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from enum import StrEnum

from tronlab.model.enums import OptionRight

__all__ = [
    "INDEX_ROOTS",
    "MONTHS",
    "WEEKLY_MONTH_CODES",
    "MonthlyExpiryResolver",
    "ParsedSymbol",
    "SymbolError",
    "SymbolKind",
    "format_future",
    "format_option",
    "format_strike",
    "parse",
]

MONTHS: tuple[str, ...] = (
    "JAN",
    "FEB",
    "MAR",
    "APR",
    "MAY",
    "JUN",
    "JUL",
    "AUG",
    "SEP",
    "OCT",
    "NOV",
    "DEC",
)
#: Month codes of weekly option symbols, index 0 = January.
WEEKLY_MONTH_CODES = "123456789OND"
#: Index roots always recognised by :func:`parse` (needed for roots ending in a digit).
INDEX_ROOTS: tuple[str, ...] = ("NIFTY", "BANKNIFTY", "FINNIFTY", "MIDCPNIFTY", "NIFTYNXT50")

#: ``resolver(root, year, month) -> expiry date`` of the month's (monthly) contract, e.g.
#: :meth:`tronlab.data.fno.expiries.ExpiryCalendar.monthly_expiry`.
MonthlyExpiryResolver = Callable[[str, int, int], dt.date]

_ROOT_CHARS = re.compile(r"^[A-Z0-9][A-Z0-9&-]*$")
_MON = "|".join(MONTHS)
_STRIKE = r"(?:[1-9][0-9]*|0)(?:\.[0-9]+)?"
_FUT_TAIL = rf"(?P<yy>[0-9]{{2}})(?P<mon>{_MON})FUT"
_MONTHLY_TAIL = rf"(?P<yy>[0-9]{{2}})(?P<mon>{_MON})(?P<strike>{_STRIKE})(?P<right>CE|PE)"
_WEEKLY_TAIL = (
    rf"(?P<yy>[0-9]{{2}})(?P<code>[{WEEKLY_MONTH_CODES}])(?P<dd>[0-9]{{2}})"
    rf"(?P<strike>{_STRIKE})(?P<right>CE|PE)"
)
# A root found without a known-roots hint must end in a non-digit (else ``X5025DEC..`` splits
# ambiguously); the lazy quantifier takes the shortest such root.
_GENERIC_ROOT = r"(?P<root>[A-Z0-9&-]*?[A-Z&-])"


class SymbolError(ValueError):
    """A trading symbol (or a formatter argument) does not fit the Kite F&O forms."""


class SymbolKind(StrEnum):
    """Which symbol form."""

    FUT = "FUT"
    OPT_MONTHLY = "OPT_MONTHLY"
    OPT_WEEKLY = "OPT_WEEKLY"


@dataclass(frozen=True, slots=True)
class ParsedSymbol:
    """The parts of an F&O trading symbol.

    ``expiry`` is the expiry date: encoded in weekly symbols; for monthly options and futures
    (which encode only ``year``/``month``) it is the resolver's answer, or ``None`` when
    :func:`parse` got no resolver. ``day`` is the encoded day (weekly only).
    """

    symbol: str
    root: str
    kind: SymbolKind
    year: int
    month: int
    day: int | None
    expiry: dt.date | None
    strike: Decimal | None
    right: OptionRight | None

    @property
    def is_option(self) -> bool:
        """Whether this is an option symbol."""
        return self.kind is not SymbolKind.FUT

    @property
    def is_weekly(self) -> bool:
        """Whether this is a weekly option symbol."""
        return self.kind is SymbolKind.OPT_WEEKLY


_TAILS = (
    (SymbolKind.FUT, re.compile(_FUT_TAIL)),
    (SymbolKind.OPT_MONTHLY, re.compile(_MONTHLY_TAIL)),
    (SymbolKind.OPT_WEEKLY, re.compile(_WEEKLY_TAIL)),
)
_GENERIC = tuple(
    (kind, re.compile(f"{_GENERIC_ROOT}{tail}"))
    for kind, tail in (
        (SymbolKind.FUT, _FUT_TAIL),
        (SymbolKind.OPT_MONTHLY, _MONTHLY_TAIL),
        (SymbolKind.OPT_WEEKLY, _WEEKLY_TAIL),
    )
)


def parse(
    symbol: str,
    *,
    resolver: MonthlyExpiryResolver | None = None,
    roots: Iterable[str] = (),
) -> ParsedSymbol:
    """Split a Kite F&O trading symbol into root, expiry, strike and right.

    Parameters
    ----------
    symbol
        E.g. ``NIFTY24DEC24000CE``, ``NIFTY25D1625100PE``, ``NIFTY24DECFUT``.
    resolver
        Gives the monthly expiry date of ``(root, year, month)``; used for monthly options and
        futures. Its errors propagate.
    roots
        Roots to prefer (longest first) in addition to :data:`INDEX_ROOTS`, e.g. the dump's
        ``name`` column.

    Raises
    ------
    SymbolError
        When ``symbol`` fits none of the forms or encodes an impossible date.
    """
    if not isinstance(symbol, str):
        raise SymbolError(f"trading symbol must be a str, got {symbol!r}")
    for root in sorted({*roots, *INDEX_ROOTS}, key=lambda r: (-len(r), r)):
        if root and symbol.startswith(root):
            for kind, tail in _TAILS:
                match = tail.fullmatch(symbol, len(root))
                if match:
                    return _build(symbol, root, kind, match, resolver)
    for kind, pattern in _GENERIC:
        match = pattern.fullmatch(symbol)
        if match:
            return _build(symbol, match["root"], kind, match, resolver)
    raise SymbolError(
        f"{symbol!r} is not a Kite F&O symbol (ROOT+YY+MON+FUT, ROOT+YY+MON+STRIKE+CE|PE "
        "or ROOT+YY+M+DD+STRIKE+CE|PE)"
    )


def _build(
    symbol: str,
    root: str,
    kind: SymbolKind,
    match: re.Match[str],
    resolver: MonthlyExpiryResolver | None,
) -> ParsedSymbol:
    year = 2000 + int(match["yy"])
    day: int | None = None
    if kind is SymbolKind.OPT_WEEKLY:
        month = WEEKLY_MONTH_CODES.index(match["code"]) + 1
        day = int(match["dd"])
        try:
            expiry: dt.date | None = dt.date(year, month, day)
        except ValueError:
            raise SymbolError(
                f"{symbol!r}: weekly expiry {year}-{month:02d}-{day:02d} is not a date"
            ) from None
    else:
        month = MONTHS.index(match["mon"]) + 1
        expiry = None if resolver is None else resolver(root, year, month)
    strike: Decimal | None = None
    right: OptionRight | None = None
    if kind is not SymbolKind.FUT:
        strike = Decimal(match["strike"])
        if strike <= 0:
            raise SymbolError(f"{symbol!r}: strike must be positive")
        right = OptionRight.CALL if match["right"] == "CE" else OptionRight.PUT
    return ParsedSymbol(
        symbol=symbol,
        root=root,
        kind=kind,
        year=year,
        month=month,
        day=day,
        expiry=expiry,
        strike=strike,
        right=right,
    )


# --------------------------------------------------------------------------------------------
# Formatting (generator and tests only)
# --------------------------------------------------------------------------------------------


def _check_root(root: str) -> str:
    if not isinstance(root, str) or not _ROOT_CHARS.match(root):
        raise SymbolError(f"bad symbol root {root!r} (upper-case letters, digits, & and -)")
    return root


def _check_year(expiry: dt.date) -> None:
    if isinstance(expiry, dt.datetime) or not isinstance(expiry, dt.date):
        raise SymbolError(f"expiry must be a date, got {expiry!r}")
    if not 2000 <= expiry.year <= 2099:
        raise SymbolError(f"expiry year {expiry.year} cannot be written as YY (2000-2099)")


def format_strike(strike: Decimal | int | str) -> str:
    """A strike as Kite writes it: no exponent, no trailing zeros (``24000``, ``972.5``)."""
    if isinstance(strike, bool) or not isinstance(strike, Decimal | int | str):
        raise SymbolError(f"strike must be a Decimal, int or str, got {strike!r}")
    try:
        value = Decimal(strike)
    except InvalidOperation:
        raise SymbolError(f"bad strike {strike!r}") from None
    if not value.is_finite() or value <= 0:
        raise SymbolError(f"strike must be a positive number, got {strike!r}")
    if value == value.to_integral_value():
        return str(int(value))
    return format(value.normalize(), "f")


def format_future(root: str, expiry: dt.date) -> str:
    """``ROOT + YY + MON + FUT`` for the contract expiring in ``expiry``'s month."""
    _check_root(root)
    _check_year(expiry)
    return f"{root}{expiry.year % 100:02d}{MONTHS[expiry.month - 1]}FUT"


def format_option(
    root: str,
    expiry: dt.date,
    strike: Decimal | int | str,
    right: OptionRight | str,
    weekly: bool,
) -> str:
    """An option symbol: weekly form when ``weekly`` (not the month's last expiry), else monthly.

    ``right`` is an :class:`~tronlab.model.OptionRight` or any text it parses (``CE``/``PE``).
    """
    _check_root(root)
    _check_year(expiry)
    try:
        kite_right = (right if isinstance(right, OptionRight) else OptionRight.parse(right)).kite
    except (ValueError, AttributeError):
        raise SymbolError(f"bad option right {right!r}") from None
    yy = f"{expiry.year % 100:02d}"
    if weekly:
        when = f"{yy}{WEEKLY_MONTH_CODES[expiry.month - 1]}{expiry.day:02d}"
    else:
        when = f"{yy}{MONTHS[expiry.month - 1]}"
    return f"{root}{when}{format_strike(strike)}{kite_right}"
