"""The rules and the symbol parser against the real option files in ../shared/data/nse_options/.

* ``NIFTY23JUN_OPT_1m_*``: Kite tradingsymbols of the June-2023 NIFTY monthly options.
* ``*_OPTCHAIN_1d_2025-11-14_*``: NSE bhavcopy chains of 14 Nov 2025; ``volume / contracts``
  is the lot size of each expiry that day.

Skipped when the data folder is absent.
"""

from __future__ import annotations

import csv
import os
from collections import defaultdict
from datetime import date
from decimal import Decimal as D
from pathlib import Path

import pytest

from tronlab.data.fno import (
    ExpiryKind,
    SymbolKind,
    default_expiry_calendar,
    default_rules,
    expiries,
    format_option,
    parse,
)
from tronlab.model import OptionRight

pytestmark = pytest.mark.realdata

REPO = Path(__file__).resolve().parents[3]
DATA = Path(os.environ.get("TRONLAB_SHARED_DATA", REPO.parent / "shared" / "data"))
OPTIONS = DATA / "nse_options"
ON = date(2025, 11, 14)


def _rows(pattern: str) -> list[dict[str, str]]:
    files = sorted(OPTIONS.glob(pattern))
    if not files:
        pytest.skip(f"no {pattern} under {OPTIONS}")
    with files[0].open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def test_real_nifty_tradingsymbols_parse() -> None:
    rows = _rows("NIFTY23JUN_OPT_1m_*.csv")
    symbols = {r["tradingsymbol"]: r for r in rows}
    assert len(symbols) == 53  # per the data README
    resolve = default_expiry_calendar().monthly_expiry
    for symbol, row in symbols.items():
        p = parse(symbol, resolver=resolve)
        assert p.root == row["underlying"] == "NIFTY"
        assert p.kind is SymbolKind.OPT_MONTHLY
        assert (p.year, p.month) == (2023, 6)
        assert p.strike == D(row["strike"])
        assert p.right is OptionRight.parse(row["option_type"])
        assert p.strike is not None
        assert p.right is not None
        assert format_option(p.root, date(2023, 6, 28), p.strike, p.right, weekly=False) == symbol
        # The file's expiry column was inferred by the data curator as the last Thursday
        # (29 Jun); 29 Jun 2023 was a holiday (Bakri Id) on the NSE calendar, so the contract
        # expired on Wednesday 28 Jun.
        assert row["expiry"] == "2023-06-29"
        assert p.expiry == date(2023, 6, 28)


@pytest.mark.parametrize(("root", "step"), [("NIFTY", 50), ("BANKNIFTY", 100)])
def test_real_chain_expiries_lots_and_strikes(root: str, step: int) -> None:
    rows = _rows(f"{root}_OPTCHAIN_1d_2025-11-14_*.csv")
    rules = default_rules()
    lots: dict[date, set[D]] = defaultdict(set)
    for r in rows:
        assert r["underlying"] == root
        assert D(r["strike"]) % step == 0
        if int(r["contracts"]):
            lots[date.fromisoformat(r["expiry"])].add(D(r["volume"]) / D(r["contracts"]))
    ours = expiries(root, ON, 3)
    kinds = {e.date: e.kind for e in ours}
    horizon = ours[-1].date
    listed = sorted(lots)
    near = [d for d in listed if d <= horizon]
    # every listed expiry within the horizon is one of ours, and the monthlies are the same
    assert set(near) <= set(kinds)
    assert [d for d in near if kinds[d] is ExpiryKind.MONTHLY] == [
        e.date for e in ours if e.is_monthly
    ]
    # beyond: quarterly and half-yearly contracts, on the last Tuesday of Mar/Jun/Sep/Dec
    for d in listed:
        if d > horizon:
            assert d.month in (3, 6, 9, 12)
            assert d.weekday() == 1
    # lot size of each expiry as of that day (Jan-2026 already revised, quarterlies not yet)
    for d, seen in lots.items():
        kind = kinds.get(d, ExpiryKind.MONTHLY)
        assert seen == {D(rules.lot_size(root, d, kind, on=ON))}, d
