"""Kite F&O trading symbols: parsing, formatting and round trips."""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from tronlab.data.fno import (
    SymbolError,
    SymbolKind,
    default_expiry_calendar,
    format_future,
    format_option,
    format_strike,
    parse,
)
from tronlab.data.fno.symbols import INDEX_ROOTS
from tronlab.model import OptionRight

CE, PE = OptionRight.CALL, OptionRight.PUT
RESOLVE = default_expiry_calendar().monthly_expiry


@pytest.mark.parametrize(
    ("symbol", "root", "kind", "ym", "day", "strike", "right"),
    [
        ("NIFTY24DEC24000CE", "NIFTY", SymbolKind.OPT_MONTHLY, (2024, 12), None, D(24000), CE),
        ("NIFTY25D1625100PE", "NIFTY", SymbolKind.OPT_WEEKLY, (2025, 12), 16, D(25100), PE),
        ("NIFTY25O0724100CE", "NIFTY", SymbolKind.OPT_WEEKLY, (2025, 10), 7, D(24100), CE),
        ("NIFTY2692223350CE", "NIFTY", SymbolKind.OPT_WEEKLY, (2026, 9), 22, D(23350), CE),
        ("NIFTY24DECFUT", "NIFTY", SymbolKind.FUT, (2024, 12), None, None, None),
        (
            "BANKNIFTY18JAN23500CE",
            "BANKNIFTY",
            SymbolKind.OPT_MONTHLY,
            (2018, 1),
            None,
            D(23500),
            CE,
        ),
        (
            "NIFTYNXT5025DEC70000PE",
            "NIFTYNXT50",
            SymbolKind.OPT_MONTHLY,
            (2025, 12),
            None,
            D(70000),
            PE,
        ),
        ("NIFTYNXT5025DECFUT", "NIFTYNXT50", SymbolKind.FUT, (2025, 12), None, None, None),
        (
            "TATAMOTORS24DEC972.5CE",
            "TATAMOTORS",
            SymbolKind.OPT_MONTHLY,
            (2024, 12),
            None,
            D("972.5"),
            CE,
        ),
        (
            "POWERGRID23SEP198.75CE",
            "POWERGRID",
            SymbolKind.OPT_MONTHLY,
            (2023, 9),
            None,
            D("198.75"),
            CE,
        ),
        ("YESBANK25APR18CE", "YESBANK", SymbolKind.OPT_MONTHLY, (2025, 4), None, D(18), CE),
        ("M&M24DECFUT", "M&M", SymbolKind.FUT, (2024, 12), None, None, None),
        (
            "BAJAJ-AUTO24DEC9000PE",
            "BAJAJ-AUTO",
            SymbolKind.OPT_MONTHLY,
            (2024, 12),
            None,
            D(9000),
            PE,
        ),
        ("360ONE25DEC1000CE", "360ONE", SymbolKind.OPT_MONTHLY, (2025, 12), None, D(1000), CE),
    ],
)
def test_parse_known_symbols(
    symbol: str,
    root: str,
    kind: SymbolKind,
    ym: tuple[int, int],
    day: int | None,
    strike: D | None,
    right: OptionRight | None,
) -> None:
    p = parse(symbol)
    assert (p.root, p.kind, (p.year, p.month), p.day, p.strike, p.right) == (
        root,
        kind,
        ym,
        day,
        strike,
        right,
    )
    assert p.symbol == symbol
    assert p.is_option == (kind is not SymbolKind.FUT)
    assert p.is_weekly == (kind is SymbolKind.OPT_WEEKLY)
    if kind is SymbolKind.OPT_WEEKLY:
        assert day is not None
        assert p.expiry == date(ym[0], ym[1], day)
    else:
        assert p.expiry is None  # monthly symbols encode only the month


def test_monthly_expiry_comes_from_the_resolver() -> None:
    assert parse("NIFTY24DEC24000CE", resolver=RESOLVE).expiry == date(2024, 12, 26)
    assert parse("NIFTY25DECFUT", resolver=RESOLVE).expiry == date(2025, 12, 30)
    assert parse("BANKNIFTY24DEC52000PE", resolver=RESOLVE).expiry == date(2024, 12, 24)
    assert parse("NIFTY25D1625100PE", resolver=RESOLVE).expiry == date(2025, 12, 16)
    calls: list[tuple[str, int, int]] = []

    def resolver(root: str, year: int, month: int) -> date:
        calls.append((root, year, month))
        return date(year, month, 1)

    assert parse("SBIN26OCT820.5CE", resolver=resolver).expiry == date(2026, 10, 1)
    assert calls == [("SBIN", 2026, 10)]


def test_roots_hint_resolves_roots_ending_in_digits() -> None:
    # Without the hint a root must end in a non-digit, so this one does not parse.
    with pytest.raises(SymbolError):
        parse("ABC5025DECFUT")
    assert parse("ABC5025DECFUT", roots=["ABC50"]).root == "ABC50"
    # NIFTYNXT50 is always known; a weekly form would otherwise split as NIFTYNXT5 + 2026-01-13
    weekly = parse("NIFTYNXT502611370000PE")
    assert weekly.root == "NIFTYNXT50"
    assert weekly.expiry == date(2026, 1, 13)
    assert weekly.strike == D(70000)
    assert parse("ABC5025DECFUT", roots=["ABC50"]).year == 2025


@pytest.mark.parametrize(
    "symbol",
    [
        "",
        "NIFTY",
        "NIFTY 50",
        "nifty24decfut",
        "NIFTY24DEC24000XE",
        "NIFTY24DE24000CE",
        "NIFTY25D3225100PE",  # 32 December
        "NIFTY25D0025100PE",
        "NIFTY2522925100PE",  # 29 February 2025
        "NIFTY24DEC0CE",
        "NIFTY24DEC024000CE",
        "NIFTY24DECFUTX",
        "24DECFUT",
    ],
)
def test_bad_symbols_raise(symbol: str) -> None:
    with pytest.raises(SymbolError):
        parse(symbol)


def test_formatter_examples() -> None:
    assert format_option("NIFTY", date(2024, 12, 26), D(24000), CE, weekly=False) == (
        "NIFTY24DEC24000CE"
    )
    assert format_option("NIFTY", date(2025, 12, 16), D(25100), "PE", weekly=True) == (
        "NIFTY25D1625100PE"
    )
    assert format_option("NIFTY", date(2025, 10, 7), 24100, "CE", True) == "NIFTY25O0724100CE"
    assert format_option("NIFTY", date(2025, 4, 30), 24100, PE, True) == "NIFTY2543024100PE"
    assert format_option("TATAMOTORS", date(2024, 12, 26), D("972.50"), CE, False) == (
        "TATAMOTORS24DEC972.5CE"
    )
    assert format_future("NIFTY", date(2024, 12, 26)) == "NIFTY24DECFUT"
    assert format_strike(D("24000.00")) == "24000"
    assert format_strike(D("2.4E+4")) == "24000"
    assert format_strike("198.750") == "198.75"


@pytest.mark.parametrize(
    "call",
    [
        lambda: format_option("nifty", date(2024, 12, 26), 1, CE, False),
        lambda: format_option("NIFTY", date(2024, 12, 26), 0, CE, False),
        lambda: format_option("NIFTY", date(2024, 12, 26), D("NaN"), CE, False),
        lambda: format_option("NIFTY", date(2024, 12, 26), 24000.0, CE, False),  # type: ignore[arg-type]
        lambda: format_option("NIFTY", date(2024, 12, 26), 24000, "XX", False),
        lambda: format_option("NIFTY", date(2124, 12, 26), 24000, CE, False),
        lambda: format_future("NIFTY 50", date(2024, 12, 26)),
    ],
)
def test_formatter_rejects_bad_arguments(call: object) -> None:
    with pytest.raises(SymbolError):
        call()  # type: ignore[operator]


# ---------------------------------------------------------------------- round trips

ROOTS = st.one_of(
    st.sampled_from([*INDEX_ROOTS, "M&M", "BAJAJ-AUTO", "360ONE", "TATAMOTORS", "SBIN"]),
    st.from_regex(r"\A[A-Z][A-Z&-]{0,9}[A-Z]\Z"),
)
STRIKES = st.one_of(
    st.integers(min_value=1, max_value=200_000).map(D),
    st.decimals(
        min_value=D("0.05"), max_value=D(99_999), places=2, allow_nan=False, allow_infinity=False
    ),
)
EXPIRIES = st.dates(min_value=date(2000, 1, 1), max_value=date(2099, 12, 31))


@settings(derandomize=True, max_examples=300)
@given(ROOTS, EXPIRIES, STRIKES, st.sampled_from([CE, PE]), st.booleans())
@example("NIFTYNXT50", date(2025, 12, 2), D(70000), CE, True)
@example("NIFTY", date(2025, 10, 7), D(24100), CE, True)
@example("ABC", date(2030, 1, 1), D("0.05"), PE, False)
def test_option_symbols_round_trip(
    root: str, expiry: date, strike: D, right: OptionRight, weekly: bool
) -> None:
    symbol = format_option(root, expiry, strike, right, weekly)
    p = parse(symbol)
    assert (p.root, p.strike, p.right, p.year, p.month) == (
        root,
        strike,
        right,
        expiry.year,
        expiry.month,
    )
    assert p.kind is (SymbolKind.OPT_WEEKLY if weekly else SymbolKind.OPT_MONTHLY)
    if weekly:
        assert p.expiry == expiry
    assert format_option(p.root, expiry, p.strike, p.right, weekly) == symbol  # type: ignore[arg-type]


@settings(derandomize=True, max_examples=200)
@given(ROOTS, EXPIRIES)
def test_future_symbols_round_trip(root: str, expiry: date) -> None:
    symbol = format_future(root, expiry)
    p = parse(symbol)
    assert (p.root, p.kind, p.year, p.month, p.strike, p.right) == (
        root,
        SymbolKind.FUT,
        expiry.year,
        expiry.month,
        None,
        None,
    )
    assert format_future(p.root, expiry) == symbol
