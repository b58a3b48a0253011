"""Loading a Kite instruments dump: instruments, broker refs, skipped and bad rows by line."""

from __future__ import annotations

import gzip
from datetime import date
from decimal import Decimal as D
from pathlib import Path

import pytest

from tronlab.data.fno import (
    KITE_COLUMNS,
    KiteCsvError,
    default_rules,
    load_kite_instruments,
    parse_kite_instruments,
)
from tronlab.model import InstrumentId, InstrumentKind, OptionRight, Venue

HEADER = ",".join(KITE_COLUMNS)
# Row shapes as in the dump (interfaces.md 1.7); index rows carry tick and lot 0.
GOOD = [
    "738561,2885,RELIANCE,RELIANCE INDUSTRIES,0,,0,0.05,1,EQ,NSE,NSE",  # line 2
    '256265,1001,NIFTY 50,"NIFTY 50",0,,0,0,0,EQ,INDICES,NSE',  # line 3
    "13238786,51714,NIFTY25DECFUT,NIFTY,0,2025-12-30,0,0.1,75,FUT,NFO-FUT,NFO",  # line 4
    "10967554,42842,NIFTY25D1625100PE,NIFTY,0,2025-12-16,25100.0,0.05,75,PE,NFO-OPT,NFO",  # 5
    "10967555,42843,NIFTY26JAN26000CE,NIFTY,0,2026-01-27,26000.0,0.05,65,CE,NFO-OPT,NFO",  # 6
    "12345678,48225,IDEA25DEC8.5PE,IDEA,0,2025-12-30,8.5,0.01,71475,PE,NFO-OPT,NFO",  # line 7
    "12073986,47164,BANKNIFTY18JAN23500CE,BANKNIFTY,2528.4,2018-01-25,23500.0,0.05,40,CE,NFO-OPT,NFO",
    "128083204,500325,RELIANCE,RELIANCE INDUSTRIES,0,,0,0.05,1,EQ,BSE,BSE",  # line 9: skipped
    "12345,67,SENSEX25DECFUT,SENSEX,0,2025-12-24,0,0.05,20,FUT,BFO-FUT,BFO",  # line 10: skipped
]


def _csv(*rows: str) -> str:
    return "\n".join([HEADER, *rows]) + "\n"


def test_good_rows_become_instruments_with_broker_refs() -> None:
    loaded = parse_kite_instruments(_csv(*GOOD), source="dump.csv")
    ids = [str(i.id) for i in loaded.instruments]
    assert ids == [
        "NSE:RELIANCE",
        "NSE:NIFTY 50",
        "NFO:NIFTY25DECFUT",
        "NFO:NIFTY25D1625100PE",
        "NFO:NIFTY26JAN26000CE",
        "NFO:IDEA25DEC8.5PE",
        "NFO:BANKNIFTY18JAN23500CE",
    ]
    by = {str(i.id): i for i in loaded.instruments}
    reliance = by["NSE:RELIANCE"]
    assert (reliance.kind, reliance.tick_size, reliance.lot_size) == (
        InstrumentKind.EQ,
        D("0.05"),
        1,
    )
    index = by["NSE:NIFTY 50"]
    assert (index.kind, index.tradable, index.tick_size) == (InstrumentKind.INDEX, False, D("0.05"))
    fut = by["NFO:NIFTY25DECFUT"]
    assert (fut.kind, fut.underlying, fut.expiry, fut.lot_size, fut.tick_size) == (
        InstrumentKind.FUT,
        "NIFTY",
        date(2025, 12, 30),
        75,
        D("0.1"),
    )
    weekly = by["NFO:NIFTY25D1625100PE"]
    assert (weekly.strike, weekly.right, weekly.expiry) == (
        D(25100),
        OptionRight.PUT,
        date(2025, 12, 16),
    )
    assert str(weekly.strike) == "25100"  # "25100.0" in the dump is normalised
    assert by["NFO:IDEA25DEC8.5PE"].strike == D("8.5")
    assert all(i.freeze_quantity is None for i in loaded.instruments)
    # broker references beside the instruments
    ref = loaded.refs[InstrumentId(Venue.NFO, "NIFTY25DECFUT")]
    assert (ref.instrument_token, ref.exchange_token, ref.segment) == (13238786, 51714, "NFO-FUT")
    assert loaded.by_token(10967554) is weekly
    assert loaded.get("NFO:NIFTY25D1625100PE") is weekly
    assert loaded.get("NFO:NOPE") is None
    # other exchanges are listed, not dropped silently
    assert [(s.line, s.tradingsymbol) for s in loaded.skipped] == [
        (9, "RELIANCE"),
        (10, "SENSEX25DECFUT"),
    ]
    assert "exchange 'BSE' not loaded" in str(loaded.skipped[0])
    assert loaded.errors == ()
    assert "7 instruments loaded, 2 rows skipped, 0 rows rejected" in loaded.report()


BAD = [
    "x,1,NIFTY25DECFUT,NIFTY,0,2025-12-30,0,0.05,75,FUT,NFO-FUT,NFO",  # 2 token
    "1,1,NIFTY25DECFUT,NIFTY,0,30-12-2025,0,0.05,75,FUT,NFO-FUT,NFO",  # 3 date
    "2,1,NIFTY25DEC25000CE,NIFTY,0,2025-12-30,abc,0.05,75,CE,NFO-OPT,NFO",  # 4 strike
    "3,1,NIFTY25DEC25000CE,NIFTY,0,2025-12-30,25000,0.05,0,CE,NFO-OPT,NFO",  # 5 lot 0
    "4,1,NIFTY25DEC25000CE,NIFTY,0,2025-12-30,25100,0.05,75,CE,NFO-OPT,NFO",  # 6 strike clash
    "5,1,NIFTY25DEC25000CE,NIFTY,0,2026-01-27,25000,0.05,75,CE,NFO-OPT,NFO",  # 7 month clash
    "6,1,NIFTY25D1625000CE,NIFTY,0,2025-12-23,25000,0.05,75,CE,NFO-OPT,NFO",  # 8 date clash
    "7,1,NIFTY25DEC25000PE,NIFTY,0,2025-12-30,25000,0.05,75,CE,NFO-OPT,NFO",  # 9 right clash
    "8,1,NIFTY25DEC25000CE,NIFTY,0,2025-12-30,25000,0.05,75,CE,NFO-OPT",  # 10 11 columns
    "9,1,NIFTY25DEC25000CE,NIFTY,0,2025-12-30,25000,0.05,75,CE,NFO-OPT,NFO",  # 11 good
    "10,1,NIFTY25DEC25000CE,NIFTY,0,2025-12-30,25000,0.05,75,CE,NFO-OPT,NFO",  # 12 duplicate
    "9,1,NIFTY25DEC25100CE,NIFTY,0,2025-12-30,25100,0.05,75,CE,NFO-OPT,NFO",  # 13 dup token
    "11,1,NIFTY25DEC25000CE,NIFTY,0,2025-12-30,25000,0.05,75,XX,NFO-OPT,NFO",  # 14 unknown type
    "12,1,BANKNIFTY25DECFUT,NIFTY,0,2025-12-30,0,0.05,35,FUT,NFO-FUT,NFO",  # 15 name clash
    "13,1,GARBAGE,NIFTY,0,2025-12-30,0,0.05,75,FUT,NFO-FUT,NFO",  # 16 symbol
    "14,1,NIFTY25DECFUT,NIFTY,0,2025-12-30,0,0,75,FUT,NFO-FUT,NFO",  # 17 tick 0
    "15,1,NIFTY25DEC25000CE,NIFTY,0,2025-12-30,0,0.05,75,CE,NFO-OPT,NFO",  # 18 strike 0
    "16,1,NIFTY26JANFUT,,0,2026-01-27,0,0.05,65,FUT,NFO-FUT,NFO",  # 19 no name
    "17,1,RELIANCE,RELIANCE,0,,0,-0.05,1,EQ,NSE,NSE",  # 20 negative tick
]


def test_bad_rows_are_reported_with_line_numbers() -> None:
    with pytest.raises(KiteCsvError) as info:
        parse_kite_instruments(_csv(*BAD), source="bad.csv")
    err = info.value
    lines = [i.line for i in err.issues]
    assert lines == [2, 3, 4, 5, 6, 7, 8, 9, 10, 12, 13, 15, 16, 17, 18, 19, 20]
    text = str(err)
    assert text.startswith("bad.csv: 17 bad rows:")
    for fragment in (
        "line 2 (NIFTY25DECFUT): instrument_token 'x' is not an integer",
        "line 3 (NIFTY25DECFUT): expiry '30-12-2025' is not a YYYY-MM-DD date",
        "line 4 (NIFTY25DEC25000CE): strike 'abc' is not a number",
        "line 5 (NIFTY25DEC25000CE): lot_size 0 must be >= 1",
        "line 6 (NIFTY25DEC25000CE): symbol strike 25000 differs from strike 25100",
        "line 7 (NIFTY25DEC25000CE): symbol month 2025-12 differs from expiry 2026-01-27",
        "line 8 (NIFTY25D1625000CE): symbol date 2025-12-16 differs from expiry 2025-12-23",
        "line 9 (NIFTY25DEC25000PE): symbol right differs",
        "line 10: 11 columns, expected 12",
        "line 12: duplicate NFO:NIFTY25DEC25000CE (first on line 11)",
        "line 13 (NIFTY25DEC25100CE): duplicate instrument_token 9 (first on line 11)",
        "line 15 (BANKNIFTY25DECFUT): symbol root 'BANKNIFTY' differs from name 'NIFTY'",
        "line 16 (GARBAGE): 'GARBAGE' is not a Kite F&O symbol",
        "line 17 (NIFTY25DECFUT): tick_size 0 must be > 0",
        "line 18 (NIFTY25DEC25000CE): strike '0' must be > 0",
        "line 19 (NIFTY26JANFUT): empty name",
        "line 20 (RELIANCE): tick_size '-0.05' must be a finite number >= 0",
    ):
        assert fragment in text, fragment
    # non-strict: the good row loads, bad ones are returned, unknown types are skipped
    loaded = parse_kite_instruments(_csv(*BAD), strict=False)
    assert [str(i.id) for i in loaded.instruments] == ["NFO:NIFTY25DEC25000CE"]
    assert len(loaded.errors) == 17
    assert [(s.line, "unsupported instrument_type 'XX'" in s.reason) for s in loaded.skipped] == [
        (14, True)
    ]
    assert "rejected line 2" in loaded.report()


def test_header_and_quoting_problems() -> None:
    with pytest.raises(KiteCsvError, match="line 1: empty file"):
        parse_kite_instruments("")
    with pytest.raises(KiteCsvError, match="line 1: header must be instrument_token"):
        parse_kite_instruments("tradingsymbol,exchange\nNIFTY,NSE\n")
    # a quoted field spanning two physical lines: later line numbers stay physical
    text = _csv('1,1,"RELI\nANCE",R,0,,0,0.05,1,EQ,NSE,NSE', "2,1,X,X,0,,0,zz,1,EQ,NSE,NSE")
    with pytest.raises(KiteCsvError, match=r"line 4 \(X\): tick_size 'zz'"):
        parse_kite_instruments(text)
    # a byte-order mark and blank lines are tolerated
    loaded = parse_kite_instruments("\ufeff" + _csv(GOOD[0], "", GOOD[2]))
    assert len(loaded.instruments) == 2


def test_freeze_quantity_from_the_rules_for_the_dump_date() -> None:
    loaded = parse_kite_instruments(_csv(*GOOD), rules=default_rules(), on=date(2025, 12, 15))
    by = {i.symbol: i for i in loaded.instruments}
    assert by["NIFTY25DECFUT"].freeze_quantity == 1800  # 1800 units, lot 75
    assert by["NIFTY26JAN26000CE"].freeze_quantity == 1755  # 27 lots of 65
    assert by["IDEA25DEC8.5PE"].freeze_quantity is None  # no rules for stocks
    assert by["RELIANCE"].freeze_quantity is None


def test_load_from_plain_and_gzip_files(tmp_path: Path) -> None:
    plain = tmp_path / "instruments.csv"
    plain.write_text(_csv(*GOOD), "utf-8")
    packed = tmp_path / "instruments.csv.gz"
    packed.write_bytes(gzip.compress(_csv(*GOOD).encode()))
    a = load_kite_instruments(plain, exchanges=["NSE", "NFO", "BSE"])
    b = load_kite_instruments(packed, exchanges=["NSE", "NFO", "BSE"])
    assert a.instruments == b.instruments
    # BSE equities have no mapping here: listed as unsupported, not dropped
    assert [s.line for s in a.skipped] == [9, 10]
    assert "unsupported" in a.skipped[0].reason
    with pytest.raises(KiteCsvError, match="cannot read"):
        load_kite_instruments(tmp_path / "missing.csv")
