"""Rate tables: the packaged file's dated figures, and the loader's validation errors."""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D
from pathlib import Path

import pytest
from tests.unit.execution.rates_text import MINIMAL

from tronlab.execution.costs import ZerodhaCosts
from tronlab.execution.costs_rates import (
    CostRatesError,
    NoRatesForDate,
    default_cost_rates,
    load_cost_rates,
    parse_cost_rates_text,
)
from tronlab.model import Venue


def test_packaged_rates_parse_and_key_dates() -> None:
    rates = default_cost_rates()
    z = rates.zerodha
    assert z.first_date == date(2020, 7, 1)
    # Options STT 0.0625% -> 0.1% and futures 0.0125% -> 0.02% on 2024-10-01.
    before, after = z.on(date(2024, 9, 30)), z.on(date(2024, 10, 1))
    assert (before.stt.options.sell, after.stt.options.sell) == (D("0.000625"), D("0.001"))
    assert (before.stt.futures.sell, after.stt.futures.sell) == (D("0.000125"), D("0.0002"))
    # NSE flat charges from 2024-10-01: 0.00297% / 0.00173% / 0.03503%.
    assert after.exchange_txn[Venue.NSE].equity == D("0.0000297")
    assert after.exchange_txn[Venue.NFO].futures == D("0.0000173")
    assert after.exchange_txn[Venue.NFO].options == D("0.0003503")
    assert after.sebi == D("0.000001")  # Rs 10 / crore
    assert after.gst_rate == D("0.18")
    assert after.gst_on == {"brokerage", "exchange_txn", "sebi"}
    assert (after.stamp_buy.equity_intraday, after.stamp_buy.equity_delivery) == (
        D("0.00003"),
        D("0.00015"),
    )
    assert after.brokerage.equity_intraday.amount == D(20)
    assert after.brokerage.options.flat
    # Rs 5 / crore during SEBI's 2020-21 relief, Rs 10 after.
    assert z.on(date(2020, 12, 31)).sebi == D("0.0000005")
    assert z.on(date(2021, 4, 1)).sebi == D("0.000001")
    # Every version carries a citation.
    assert all(v.sources for v in z.versions)

    a = rates.alpaca
    assert a.on(date(2023, 2, 26)).sec_fee_rate == D("0.00002290")
    assert a.on(date(2023, 2, 27)).sec_fee_rate == D("0.00000800")
    assert a.on(date(2024, 5, 22)).sec_fee_rate == D("0.00002780")
    assert a.on(date(2025, 5, 14)).sec_fee_rate == 0
    v2024 = a.on(date(2024, 1, 1))
    assert (v2024.taf_per_share, v2024.taf_max_per_trade) == (D("0.000166"), D("8.30"))
    assert all(v.sources for v in a.versions)


def test_minimal_file_and_custom_rates_drive_the_model(tmp_path: Path) -> None:
    path = tmp_path / "rates.yaml"
    path.write_text(MINIMAL, encoding="utf-8")
    rates = load_cost_rates(path)
    assert rates.source == str(path)
    assert rates.zerodha.on(date(2030, 1, 1)).effective_from == date(2024, 10, 1)
    assert Venue.BSE not in rates.zerodha.versions[0].exchange_txn
    assert ZerodhaCosts(rates).rates_on(date(2025, 1, 1)) is rates.zerodha.versions[0]
    with pytest.raises(
        NoRatesForDate, match="start on 2024-10-01; no rate version covers 2024-09-30"
    ):
        rates.zerodha.on(date(2024, 9, 30))


def test_unreadable_file(tmp_path: Path) -> None:
    with pytest.raises(CostRatesError, match="cannot read"):
        load_cost_rates(tmp_path / "missing.yaml")


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ('    sebi: "0.0001%"\n', "", r"zerodha\[0\]\.sebi: required key is missing"),
        ('sebi: "0.0001%"', 'sebi: "0.0001%"\n    sebbi: "1"', r"zerodha\[0\]\.sebbi: unknown key"),
        ('sebi: "0.0001%"', "sebi: 0.000001", r"zerodha\[0\]\.sebi: write amounts as quoted"),
        ('sebi: "0.0001%"', 'sebi: "ten"', r"zerodha\[0\]\.sebi: expected a non-negative"),
        ('sebi: "0.0001%"', 'sebi: "150%"', r"zerodha\[0\]\.sebi: a rate must be below 100%"),
        ("effective_from: 2024-10-01", "effective_from: 2024-13-01",
         r"effective_from: expected a date"),
        ('NSE: {equity: "0.00297%"}', 'NSE: {futures: "0.00297%"}', r"exchange_txn\.NSE\.futures"),
        ('      NSE: {equity: "0.00297%"}\n', "", r"exchange_txn\.NSE: required key is missing"),
        ('futures: {buy: "0%", sell: "0.02%"}', 'futures: {buy: "0%"}', r"stt\.futures\.sell"),
        ("options: {flat_per_order: \"20\"}", "options: {flat_per_order: \"20\", rate: \"1%\"}",
         r"brokerage\.options\.rate: unknown key"),
        ("applies_to: [brokerage, exchange_txn, sebi]", "applies_to: [brokerage, stt]",
         r"gst\.applies_to: expected a non-empty list"),
        ('max_per_trade: "8.30"', 'max_per_trade: "-8.30"', r"finra_taf\.max_per_trade"),
        ("schema: 1", "schema: 2", r"schema: must be 1"),
    ],
)  # fmt: skip
def test_validation_errors_name_the_key(old: str, new: str, message: str) -> None:
    assert old in MINIMAL
    with pytest.raises(CostRatesError, match=message) as ei:
        parse_cost_rates_text(MINIMAL.replace(old, new, 1), "test.yaml")
    assert str(ei.value).startswith("[BAD_COST_RATES] test.yaml: ")
    assert isinstance(ei.value, ValueError)


def test_versions_must_be_sorted() -> None:
    second = MINIMAL.split("zerodha:\n", 1)[1].split("alpaca:", 1)[0]
    older = second.replace("2024-10-01", "2023-04-01")
    text = MINIMAL.replace("alpaca:", older + "alpaca:", 1)
    with pytest.raises(
        CostRatesError, match=r"zerodha\[1\]\.effective_from: 2023-04-01 is not after"
    ):
        parse_cost_rates_text(text, "test.yaml")
    same = MINIMAL.replace("alpaca:", second + "alpaca:", 1)
    with pytest.raises(CostRatesError, match=r"zerodha\[1\]\.effective_from"):
        parse_cost_rates_text(same, "test.yaml")


def test_invalid_yaml_and_top_level() -> None:
    with pytest.raises(CostRatesError, match="invalid YAML"):
        parse_cost_rates_text("schema: [1", "bad.yaml")
    with pytest.raises(CostRatesError, match="<top level>: expected a mapping"):
        parse_cost_rates_text("- 1", "bad.yaml")
    no_alpaca = MINIMAL.split("alpaca:", 1)[0] + "alpaca: []\n"
    with pytest.raises(CostRatesError, match="alpaca: expected a non-empty list of versions"):
        parse_cost_rates_text(no_alpaca, "bad.yaml")
