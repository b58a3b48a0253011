"""`tronlab options price|iv`: the interfaces.md section 6 reference numbers end to end."""

import json

import pytest
from typer.testing import CliRunner

from tronlab.cli.app import app

runner = CliRunner()
REF = ["--forward", "24000", "--strike", "24100", "--days", "7", "--rate", "0.065"]
UNIT = ["-t", "call", "-F", "1", "-K", "1", "-r", "0", "--vol", "0.1"]


def _run(*args: str):
    return runner.invoke(app, ["options", *args], env={})


def test_price_json_reference_numbers() -> None:
    out = _run("price", "--type", "call", *REF, "--vol", "0.13", "--json")
    assert out.exit_code == 0, out.output
    doc = json.loads(out.stdout)
    assert round(doc["price"], 8) == 127.15683322
    assert round(doc["delta"], 8) == 0.41165903
    assert round(doc["gamma"], 7) == 8.997e-4
    assert round(doc["vega"], 4) == 12.9207
    assert round(doc["theta"], 4) == -11.9751
    assert doc["t_years"] == 7 / 365
    assert set(doc["units"]) == {"price", "delta", "gamma", "vega", "theta", "rho"}
    put = json.loads(_run("price", "-t", "PE", *REF, "--vol", "0.13", "--json").stdout)
    assert (put["type"], round(put["price"], 8)) == ("put", 227.03225335)
    assert round(put["delta"], 8) == -0.58709517
    assert round(put["theta"], 4) == -11.9573


def test_price_table_and_expiry_date() -> None:
    out = _run("price", "--type", "call", *REF, "--vol", "0.13")
    assert out.exit_code == 0, out.output
    assert "127.1568332" in out.stdout
    assert "per calendar day" in out.stdout
    # 15:30 IST a week before the Tuesday expiry is exactly T = 7/365.
    args = ["--forward", "24000", "--strike", "24100", "--rate", "0.065", "--vol", "0.13"]
    dated = _run("price", "-t", "c", *args, "--expiry", "2026-01-13",
                 "--now", "2026-01-06T15:30:00+05:30", "--json")  # fmt: skip
    assert dated.exit_code == 0, dated.output
    assert round(json.loads(dated.stdout)["price"], 8) == 127.15683322


def test_iv_round_trip_json_and_table() -> None:
    out = _run("iv", "--type", "call", *REF, "--price", "127.15683322", "--json")
    assert out.exit_code == 0, out.output
    doc = json.loads(out.stdout)
    assert doc["iv"] == pytest.approx(0.13, abs=1e-9)
    assert doc["status"] == "OK"
    table = _run("iv", "--type", "put", *REF, "--price", "227.03225335")
    assert table.exit_code == 0, table.output
    assert "0.1300000000" in table.stdout


@pytest.mark.parametrize(
    ("type_", "price", "status"),
    [("call", "30000", "ABOVE_UPPER_BOUND"), ("put", "50", "BELOW_INTRINSIC")],
)
def test_iv_without_a_solution_exits_1_with_the_reason(type_: str, price: str, status: str) -> None:
    out = _run("iv", "--type", type_, *REF, "--price", price, "--json")
    assert out.exit_code == 1
    doc = json.loads(out.stdout)
    assert doc["iv"] is None
    assert doc["status"] == status
    assert doc["reason"]


def test_iv_at_the_price_floor_is_flagged() -> None:
    out = _run("iv", "-t", "CE", "-F", "24000", "-K", "26000", "-d", "7", "-r", "0.065",
               "-p", "0.05", "--json")  # fmt: skip
    assert out.exit_code == 0, out.output
    doc = json.loads(out.stdout)
    assert doc["status"] == "AT_PRICE_FLOOR"
    assert 0.1 < doc["iv"] < 0.5


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["price", "-t", "call", *REF, "--vol", "13"], "did you mean 0.13"),
        (["price", "-t", "call", *REF[:-2], "-r", "6.5", "--vol", "0.13"], "did you mean 0.065"),
        (["price", "-t", "straddle", *REF, "--vol", "0.13"], "call or put"),
        (["price", "-t", "call", *REF, "--vol", "0"], "--vol must be"),
        (["price", "-t", "call", *REF, "--vol", "0.1", "--expiry", "2026-01-13"], "not both"),
        (["price", *UNIT], "--days or"),
        (["price", *UNIT, "--expiry", "2020-01-07", "--now", "2026-01-06T10:00+05:30"], "expired"),
        (["price", *UNIT, "--expiry", "2026-01-13", "--now", "2026-01-06T10:00"], "UTC offset"),
        (["iv", "-t", "call", *REF, "--price", "-1"], "--price must be"),
    ],
)
def test_bad_input_exits_2_with_a_message(args: list[str], message: str) -> None:
    out = _run(*args)
    assert out.exit_code == 2, out.output
    assert message in out.output
