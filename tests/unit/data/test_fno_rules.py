"""F&O rules: the packaged rules.yaml, schema errors naming the key, lot sizes, freeze, ticks."""

from __future__ import annotations

import copy
from datetime import date
from decimal import Decimal as D
from pathlib import Path
from typing import Any

import pytest
import yaml

from tronlab.data.fno import (
    ExpiryKind,
    FnoRulesError,
    NoRuleError,
    default_rules,
    effective_freeze_quantity,
    load_rules,
    parse_rules,
)

W, M = ExpiryKind.WEEKLY, ExpiryKind.MONTHLY
RULES = default_rules()


def _raw() -> dict[str, Any]:
    text = (Path(__file__).resolve().parents[3] / "src/tronlab/data/fno/rules.yaml").read_text(
        "utf-8"
    )
    data = yaml.safe_load(text)
    assert isinstance(data, dict)
    return data


# ---------------------------------------------------------------------- the packaged file


def test_packaged_rules_load_and_cover_the_five_nse_indices() -> None:
    assert RULES.roots == ("NIFTY", "BANKNIFTY", "FINNIFTY", "MIDCPNIFTY", "NIFTYNXT50")
    assert load_rules() == RULES
    steps = {r: RULES.strike_step(r) for r in RULES.roots}
    assert steps == {
        "NIFTY": D(50),
        "BANKNIFTY": D(100),
        "FINNIFTY": D(50),
        "MIDCPNIFTY": D(25),
        "NIFTYNXT50": D(100),
    }
    assert RULES.option_tick_size == D("0.05")


def test_rules_models_are_frozen() -> None:
    nifty = RULES.underlying("NIFTY")
    with pytest.raises(ValueError, match="frozen"):
        nifty.strike_step = D(100)


def test_unknown_underlying_is_a_no_rule_error() -> None:
    with pytest.raises(NoRuleError, match="SENSEX"):
        RULES.underlying("SENSEX")


# ---------------------------------------------------------------------- schema errors


def _mutated(path: list[str | int], value: object) -> dict[str, Any]:
    data = copy.deepcopy(_raw())
    node: Any = data
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    return data


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        (["underlyings", "NIFTY", "lot_sizes", 2, "size"], 0, r"NIFTY\.lot_sizes\[2\]\.size"),
        (["underlyings", "NIFTY", "lot_sizes", 2, "size"], True, r"lot_sizes\[2\]\.size"),
        (
            ["underlyings", "NIFTY", "lot_sizes", 1, "monthly_from"],
            "2030-01-01",
            r"lot_sizes\[2\]\.monthly_from .* must be after lot_sizes\[1\]",
        ),
        (
            ["underlyings", "BANKNIFTY", "schedule", 0, "monthly"],
            "Wednesday",
            r"BANKNIFTY\.schedule\[0\]\.monthly",
        ),
        (
            ["underlyings", "FINNIFTY", "schedule", 1, "from"],
            "1 Jan 2025",
            r"FINNIFTY\.schedule\[1\]\.from: expected a date",
        ),
        (["underlyings", "MIDCPNIFTY", "strike_step"], -25, r"MIDCPNIFTY\.strike_step"),
        (["underlyings", "NIFTY", "lotsizes"], [], r"NIFTY\.lotsizes: Extra inputs"),
        (["underlyings", "nifty"], {}, r"underlyings: .*upper-case"),
        (["schema_version"], 2, r"schema_version"),
        (
            ["futures_tick_sizes", 1, "bands", 0, "up_to"],
            None,
            r"futures_tick_sizes\[1\]: bands\[0\]: only the last band",
        ),
        (
            ["underlyings", "NIFTY", "lot_sizes", 0, "existing_contracts"],
            {"expiries_from": "2023-01-01", "revised_from": "2023-01-01"},
            r"lot_sizes\[0\]\.existing_contracts",
        ),
        (
            ["underlyings", "NIFTY", "coverage_from"],
            "2022-01-01",
            r"schedule\[0\]\.from 2023-01-01 is after coverage_from",
        ),
    ],
)
def test_bad_rules_name_the_key(path: list[str | int], value: object, message: str) -> None:
    with pytest.raises(FnoRulesError, match=message) as info:
        parse_rules(_mutated(path, value), source="bad.yaml")
    assert str(info.value).startswith("bad.yaml: ")


def test_bad_files_are_reported_with_their_path(tmp_path: Path) -> None:
    broken = tmp_path / "rules.yaml"
    broken.write_text("schema_version: [1\n", "utf-8")
    with pytest.raises(FnoRulesError, match=r"rules\.yaml: not valid YAML"):
        load_rules(broken)
    with pytest.raises(FnoRulesError, match="cannot read"):
        load_rules(tmp_path / "missing.yaml")
    broken.write_text("- 1\n", "utf-8")
    with pytest.raises(FnoRulesError, match="mapping at the top level"):
        load_rules(broken)


def test_a_copy_of_the_packaged_file_loads_from_a_path(tmp_path: Path) -> None:
    path = tmp_path / "copy.yaml"
    path.write_text(yaml.safe_dump(_raw()), "utf-8")
    assert load_rules(path) == RULES


# ---------------------------------------------------------------------- lot sizes


@pytest.mark.parametrize(
    ("root", "expiry", "kind", "size"),
    [
        # NIFTY 75 -> 65 for contracts expiring from January 2026 (interfaces.md 1.11)
        ("NIFTY", date(2025, 12, 23), W, 75),
        ("NIFTY", date(2025, 12, 30), M, 75),
        ("NIFTY", date(2026, 1, 6), W, 65),
        ("NIFTY", date(2026, 1, 27), M, 65),
        # Nov-2024 revision: weeklies from 2 Jan 2025, monthlies from Feb 2025; Jan-2025 monthly
        # still 25 while the weekly of the week before is 75 (angelone table)
        ("NIFTY", date(2024, 12, 19), W, 25),
        ("NIFTY", date(2025, 1, 2), W, 75),
        ("NIFTY", date(2025, 1, 23), W, 75),
        ("NIFTY", date(2025, 1, 30), M, 25),
        ("NIFTY", date(2025, 2, 27), M, 75),
        # Apr-2024 revision 50 -> 25
        ("NIFTY", date(2024, 4, 25), M, 50),
        ("NIFTY", date(2024, 5, 2), W, 25),
        ("NIFTY", date(2023, 6, 28), M, 50),
        # BANKNIFTY 15 -> 30 (Feb-2025) -> 35 (Jul-2025) -> 30 (Jan-2026)
        ("BANKNIFTY", date(2025, 1, 30), M, 15),
        ("BANKNIFTY", date(2025, 2, 27), M, 30),
        ("BANKNIFTY", date(2025, 6, 26), M, 30),
        ("BANKNIFTY", date(2025, 7, 31), M, 35),
        ("BANKNIFTY", date(2025, 12, 30), M, 35),
        ("BANKNIFTY", date(2026, 1, 27), M, 30),
        # FINNIFTY 65 -> 60, MIDCPNIFTY 120 -> 140 -> 120, NIFTYNXT50 25
        ("FINNIFTY", date(2025, 12, 30), M, 65),
        ("FINNIFTY", date(2026, 1, 27), M, 60),
        ("FINNIFTY", date(2024, 7, 30), M, 25),
        ("FINNIFTY", date(2024, 7, 23), W, 40),
        ("FINNIFTY", date(2024, 8, 6), W, 25),
        ("MIDCPNIFTY", date(2025, 6, 26), M, 120),
        ("MIDCPNIFTY", date(2025, 7, 31), M, 140),
        ("MIDCPNIFTY", date(2026, 1, 27), M, 120),
        ("NIFTYNXT50", date(2026, 1, 27), M, 25),
    ],
)
def test_lot_size_follows_the_contract_expiry(
    root: str, expiry: date, kind: ExpiryKind, size: int
) -> None:
    assert RULES.lot_size(root, expiry, kind) == size


def test_lot_size_does_not_depend_on_the_trade_date_for_listed_contracts() -> None:
    # On 2025-11-14 (real chain): Dec-2025 contracts 75, Jan-2026 already 65.
    on = date(2025, 11, 14)
    assert RULES.lot_size("NIFTY", date(2025, 12, 30), M, on=on) == 75
    assert RULES.lot_size("NIFTY", date(2026, 1, 27), M, on=on) == 65


def test_long_dated_contracts_are_revised_in_place_on_their_date() -> None:
    mar26 = date(2026, 3, 31)
    assert RULES.lot_size("NIFTY", mar26, M) == 65
    assert RULES.lot_size("NIFTY", mar26, M, on=date(2025, 11, 14)) == 75
    assert RULES.lot_size("NIFTY", mar26, M, on=date(2025, 12, 30)) == 75
    assert RULES.lot_size("NIFTY", mar26, M, on=date(2025, 12, 31)) == 65
    # BANKNIFTY Mar-2026 quarterly: listed in Mar 2025 with 30, 35 from 25 Apr 2025, 30 in 2026
    assert RULES.lot_size("BANKNIFTY", mar26, M, on=date(2025, 4, 1)) == 30
    assert RULES.lot_size("BANKNIFTY", mar26, M, on=date(2025, 11, 14)) == 35
    assert RULES.lot_size("BANKNIFTY", mar26, M, on=date(2026, 1, 2)) == 30
    # NIFTY Mar-2025 quarterly moved to 75 at the end of 26 Dec 2024
    assert RULES.lot_size("NIFTY", date(2025, 3, 27), M, on=date(2024, 12, 26)) == 25
    assert RULES.lot_size("NIFTY", date(2025, 3, 27), M, on=date(2024, 12, 27)) == 75


def test_lot_size_before_coverage_raises() -> None:
    with pytest.raises(NoRuleError, match="from 2024-03-01"):
        RULES.lot_size("BANKNIFTY", date(2023, 12, 28), M)


# ---------------------------------------------------------------------- freeze, ticks


def test_freeze_limits_by_trade_date_and_lot_multiples() -> None:
    assert RULES.freeze_limit("NIFTY", date(2025, 11, 14)) == 1800
    assert RULES.freeze_limit("NIFTY", date(2023, 1, 2)) is None
    assert RULES.freeze_limit("BANKNIFTY", date(2025, 8, 1)) == 600
    assert RULES.freeze_limit("BANKNIFTY", date(2025, 9, 1)) == 900
    assert RULES.freeze_limit("FINNIFTY", date(2025, 12, 15)) == 1200
    assert RULES.freeze_limit("MIDCPNIFTY", date(2025, 11, 14)) == 2800
    # 1800 with lot 65 allows 27 lots = 1755 units per order
    assert RULES.freeze_quantity("NIFTY", date(2026, 1, 5), 65) == 1755
    assert RULES.freeze_quantity("NIFTY", date(2025, 11, 14), 75) == 1800
    assert RULES.freeze_quantity("MIDCPNIFTY", date(2026, 1, 5), 120) == 2760
    assert effective_freeze_quantity(None, 65) is None
    assert effective_freeze_quantity(60, 65) is None


def test_futures_tick_depends_on_the_index_level_since_april_2025() -> None:
    assert RULES.futures_tick_size(date(2025, 1, 2)) == D("0.05")
    on = date(2025, 11, 14)
    assert RULES.futures_tick_size(on, 13000) == D("0.05")
    assert RULES.futures_tick_size(on, 15000) == D("0.05")
    assert RULES.futures_tick_size(on, 25900.5) == D("0.10")
    assert RULES.futures_tick_size(on, 58000) == D("0.20")
    with pytest.raises(NoRuleError, match="pass the level"):
        RULES.futures_tick_size(on)
    with pytest.raises(NoRuleError):
        RULES.futures_tick_size(date(2020, 1, 1))
