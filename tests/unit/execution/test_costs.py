"""Cost models: hand-computed contract notes, partial-fill brokerage, US regulatory fees,
benchmark models and the registry.

Each expected figure is worked out in the comments from the rates in the packaged
``cost_rates.yaml``; all comparisons are exact Decimal equality. Rounding: every line to the
paisa/cent with ROUND_HALF_UP, GST on the rounded lines; US fees rounded UP to the cent.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal as D

import pytest

from tronlab.execution.costs import (
    AlpacaCosts,
    ChargeBreakdown,
    CostModel,
    PercentCost,
    ZeroCost,
    ZerodhaCosts,
    cost_model_for,
    zerodha_category,
)
from tronlab.execution.costs_rates import ChargeCategory, NoRatesForDate
from tronlab.model import Instrument, OptionRight, Product, Side, ValidationError, Venue

IST = timezone(timedelta(hours=5, minutes=30))
T_2025 = datetime(2025, 3, 3, 10, 0, tzinfo=IST)  # rates effective 2024-10-01
T_2024_SEP = datetime(2024, 9, 2, 10, 0, tzinfo=IST)  # rates effective 2023-04-01
T_2026_JUN = datetime(2026, 6, 1, 10, 0, tzinfo=IST)  # rates effective 2026-04-01

INFY = Instrument.equity(Venue.NSE, "INFY", tick_size=D("0.05"))
NIFTY_FUT = Instrument.future(
    Venue.NFO,
    "NIFTY25MARFUT",
    underlying="NIFTY",
    expiry=date(2025, 3, 27),
    tick_size=D("0.05"),
    lot_size=75,
)
NIFTY_CE = Instrument.option(
    Venue.NFO,
    "NIFTY25MAR22500CE",
    underlying="NIFTY",
    expiry=date(2025, 3, 27),
    strike=D(22500),
    right=OptionRight.CALL,
    tick_size=D("0.05"),
    lot_size=75,
)
AAPL = Instrument.equity(Venue.US, "AAPL", tick_size=D("0.01"))

Z = ZerodhaCosts()
A = AlpacaCosts()


def cb(**kw: str) -> ChargeBreakdown:
    return ChargeBreakdown.of(**{k: D(v) for k, v in kw.items()})


# --------------------------------------------------------------------------------------------
# Zerodha contract notes
# --------------------------------------------------------------------------------------------


def test_equity_intraday_round_trip_2025() -> None:
    # Buy 100 @ 1,000 (MIS): turnover 100,000
    #   brokerage min(0.03% * 100,000 = 30, 20)        = 20.00
    #   STT       buy side nil                          =  0.00
    #   exch txn  0.00297% * 100,000 = 2.97             =  2.97
    #   SEBI      Rs 10/crore: 100,000 * 1e-6 = 0.10    =  0.10
    #   GST       18% * (20 + 2.97 + 0.10) = 4.1526     =  4.15
    #   stamp     0.003% * 100,000 = 3.00               =  3.00
    #   total                                           = 30.22
    buy = Z.charges(INFY, Side.BUY, D(100), D(1000), Product.MIS, T_2025)
    assert buy == cb(brokerage="20.00", exchange_txn="2.97", sebi="0.10", gst="4.15", stamp="3.00")
    assert buy.total == D("30.22")
    # Sell 100 @ 1,010 (MIS): turnover 101,000
    #   brokerage min(30.30, 20)                        = 20.00
    #   STT       0.025% * 101,000 = 25.25              = 25.25
    #   exch txn  0.00297% * 101,000 = 2.9997           =  3.00
    #   SEBI      0.101                                 =  0.10
    #   GST       18% * (20 + 3.00 + 0.10) = 4.158      =  4.16
    #   stamp     sell side nil                         =  0.00
    #   total                                           = 52.51
    sell = Z.charges(INFY, Side.SELL, D(100), D(1010), Product.MIS, T_2025)
    assert sell == cb(brokerage="20.00", stt="25.25", exchange_txn="3.00", sebi="0.10", gst="4.16")
    assert sell.total == D("52.51")
    # Round trip: 30.22 + 52.51 = 82.73 (Zerodha's calculator shows the same 82.73, with STT
    # rounded to 25 on the contract note instead of 25.25 and GST on the summed lines).
    assert (buy + sell).total == D("82.73")
    assert Z.fee(INFY, Side.SELL, D(100), D(1010), Product.MIS, T_2025) == D("52.51")


def test_equity_delivery_round_trip_2025() -> None:
    # Buy 10 @ 2,500 (CNC): turnover 25,000
    #   brokerage 0; STT 0.1% = 25.00; exch 0.00297% = 0.7425 -> 0.74;
    #   SEBI 0.025 -> 0.03 (half up); GST 18% * (0 + 0.74 + 0.03) = 0.1386 -> 0.14;
    #   stamp 0.015% = 3.75; total 29.66
    buy = Z.charges(INFY, Side.BUY, D(10), D(2500), Product.CNC, T_2025)
    assert buy == cb(stt="25.00", exchange_txn="0.74", sebi="0.03", gst="0.14", stamp="3.75")
    assert buy.total == D("29.66")
    # Sell 10 @ 2,600: turnover 26,000
    #   STT 0.1% = 26.00; exch 0.7722 -> 0.77; SEBI 0.026 -> 0.03;
    #   GST 18% * (0.77 + 0.03) = 0.144 -> 0.14; no stamp; total 26.94
    sell = Z.charges(INFY, Side.SELL, D(10), D(2600), Product.CNC, T_2025)
    assert sell == cb(stt="26.00", exchange_txn="0.77", sebi="0.03", gst="0.14")
    assert (buy + sell).total == D("56.60")
    # No product on an equity means delivery.
    assert Z.charges(INFY, Side.SELL, D(10), D(2600), None, T_2025) == sell


def test_nifty_futures_one_lot_2025() -> None:
    # Buy 75 @ 24,000: turnover 1,800,000
    #   brokerage min(540, 20) = 20; exch 0.00173% = 31.14; SEBI 1.80;
    #   GST 18% * (20 + 31.14 + 1.80) = 9.5292 -> 9.53; stamp 0.002% = 36.00; total 98.47
    buy = Z.charges(NIFTY_FUT, Side.BUY, D(75), D(24000), Product.NRML, T_2025)
    assert buy == cb(
        brokerage="20.00", exchange_txn="31.14", sebi="1.80", gst="9.53", stamp="36.00"
    )
    # Sell 75 @ 24,100: turnover 1,807,500
    #   brokerage 20; STT 0.02% = 361.50; exch 31.26975 -> 31.27; SEBI 1.8075 -> 1.81;
    #   GST 18% * (20 + 31.27 + 1.81) = 9.5544 -> 9.55; total 424.13
    sell = Z.charges(NIFTY_FUT, Side.SELL, D(75), D(24100), Product.NRML, T_2025)
    assert sell == cb(
        brokerage="20.00", stt="361.50", exchange_txn="31.27", sebi="1.81", gst="9.55"
    )
    assert (buy + sell).total == D("522.60")
    # NRML, MIS and no product are charged alike on F&O.
    assert Z.charges(NIFTY_FUT, Side.SELL, D(75), D(24100), Product.MIS, T_2025) == sell
    assert Z.charges(NIFTY_FUT, Side.SELL, D(75), D(24100), None, T_2025) == sell


def test_nifty_options_one_lot_after_oct_2024() -> None:
    # Buy 75 @ premium 100: premium turnover 7,500
    #   brokerage flat 20; exch 0.03503% = 2.62725 -> 2.63; SEBI 0.0075 -> 0.01;
    #   GST 18% * (20 + 2.63 + 0.01) = 4.0752 -> 4.08; stamp 0.003% = 0.225 -> 0.23;
    #   total 26.95
    buy = Z.charges(NIFTY_CE, Side.BUY, D(75), D(100), Product.NRML, T_2025)
    assert buy == cb(brokerage="20.00", exchange_txn="2.63", sebi="0.01", gst="4.08", stamp="0.23")
    # Sell 75 @ 110: premium turnover 8,250
    #   brokerage 20; STT 0.1% = 8.25; exch 2.889975 -> 2.89; SEBI 0.00825 -> 0.01;
    #   GST 18% * 22.90 = 4.122 -> 4.12; total 35.27
    sell = Z.charges(NIFTY_CE, Side.SELL, D(75), D(110), Product.NRML, T_2025)
    assert sell == cb(brokerage="20.00", stt="8.25", exchange_txn="2.89", sebi="0.01", gst="4.12")
    assert (buy + sell).total == D("62.22")


def test_nifty_options_one_lot_before_oct_2024() -> None:
    # Rates of 2023-04-01: STT 0.0625% on premium, Zerodha's published NSE options charge
    # 0.0495%.
    # Buy 75 @ 100 (7,500): exch 3.7125 -> 3.71; SEBI 0.01;
    #   GST 18% * (20 + 3.71 + 0.01) = 4.2696 -> 4.27; stamp 0.23; total 28.22
    buy = Z.charges(NIFTY_CE, Side.BUY, D(75), D(100), Product.NRML, T_2024_SEP)
    assert buy == cb(brokerage="20.00", exchange_txn="3.71", sebi="0.01", gst="4.27", stamp="0.23")
    # Sell 75 @ 110 (8,250): STT 0.0625% = 5.15625 -> 5.16; exch 4.08375 -> 4.08; SEBI 0.01;
    #   GST 18% * (20 + 4.08 + 0.01) = 4.3362 -> 4.34; total 33.59
    sell = Z.charges(NIFTY_CE, Side.SELL, D(75), D(110), Product.NRML, T_2024_SEP)
    assert sell == cb(brokerage="20.00", stt="5.16", exchange_txn="4.08", sebi="0.01", gst="4.34")
    assert (buy + sell).total == D("61.81")


def test_rate_version_is_picked_by_ist_date() -> None:
    # 2024-09-30 19:00 UTC is 2024-10-01 00:30 IST: the new 0.1% options STT applies.
    late_utc = datetime(2024, 9, 30, 19, 0, tzinfo=UTC)
    early_utc = datetime(2024, 9, 30, 18, 0, tzinfo=UTC)  # 23:30 IST on 2024-09-30
    assert Z.charges(NIFTY_CE, Side.SELL, D(75), D(110), None, late_utc).stt == D("8.25")
    assert Z.charges(NIFTY_CE, Side.SELL, D(75), D(110), None, early_utc).stt == D("5.16")
    # From 2026-04-01: 0.15% of premium = 12.375 -> 12.38; futures 0.05% of 1,807,500 = 903.75.
    assert Z.charges(NIFTY_CE, Side.SELL, D(75), D(110), None, T_2026_JUN).stt == D("12.38")
    assert Z.charges(NIFTY_FUT, Side.SELL, D(75), D(24100), None, T_2026_JUN).stt == D("903.75")


def test_bse_derivatives_rate_by_underlying() -> None:
    sensex = Instrument.option(
        Venue.BFO,
        "SENSEX25MAR75000CE",
        underlying="SENSEX",
        expiry=date(2025, 3, 4),
        strike=D(75000),
        right=OptionRight.CALL,
        tick_size=D("0.05"),
        lot_size=20,
    )
    # Sell 20 @ 200 (4,000): brokerage 20; STT 0.1% = 4.00; exch 0.0325% = 1.30;
    #   SEBI 0.004 -> 0.00; GST 18% * 21.30 = 3.834 -> 3.83; total 29.13
    sell = Z.charges(sensex, Side.SELL, D(20), D(200), None, T_2025)
    assert sell == cb(brokerage="20.00", stt="4.00", exchange_txn="1.30", gst="3.83")
    stock_opt = dataclasses.replace(sensex, underlying="RELIANCE")
    # Other BSE options: 0.005% of 4,000 = 0.20
    assert Z.charges(stock_opt, Side.SELL, D(20), D(200), None, T_2025).exchange_txn == D("0.20")
    # BSE derivative charges before 2024-10-01 are not in the table: refuse, do not guess.
    with pytest.raises(NoRatesForDate, match="BFO options"):
        Z.charges(sensex, Side.SELL, D(20), D(200), None, T_2024_SEP)


def test_bse_cash_equity() -> None:
    tcs = Instrument.equity(Venue.BSE, "TCS", tick_size=D("0.05"))
    # 0.00375% of 100,000 = 3.75
    assert Z.charges(tcs, Side.BUY, D(100), D(1000), Product.MIS, T_2025).exchange_txn == D("3.75")


# --------------------------------------------------------------------------------------------
# Brokerage per executed order across partial fills
# --------------------------------------------------------------------------------------------


def test_brokerage_cap_across_partial_fills() -> None:
    # One MIS buy order for 200 @ 500 (turnover 100,000) filled as 50 + 150 + 0-remaining.
    # Fill 1: 0.03% * 25,000 = 7.50 (cap not reached)
    f1 = Z.charges(INFY, Side.BUY, D(50), D(500), Product.MIS, T_2025)
    assert f1.brokerage == D("7.50")
    # Fill 2: 0.03% * 75,000 = 22.50, capped at 20 - 7.50 = 12.50
    #   exch 0.00297% * 75,000 = 2.2275 -> 2.23; SEBI 0.075 -> 0.08;
    #   GST 18% * (12.50 + 2.23 + 0.08) = 2.6658 -> 2.67; stamp 0.003% = 2.25; total 19.73
    f2 = Z.charges(
        INFY, Side.BUY, D(150), D(500), Product.MIS, T_2025, order_brokerage_so_far=f1.brokerage
    )
    assert f2 == cb(brokerage="12.50", exchange_txn="2.23", sebi="0.08", gst="2.67", stamp="2.25")
    assert f1.brokerage + f2.brokerage == D("20.00")  # = min(20, 0.03% * 100,000)
    # A further fill of the same order pays no brokerage.
    f3 = Z.charges(INFY, Side.BUY, D(1), D(500), Product.MIS, T_2025, order_brokerage_so_far=D(20))
    assert f3.brokerage == 0
    # Below the cap the parts add up to 0.03% of the order: 3.00 + 9.00 = 12.00.
    g1 = Z.charges(INFY, Side.BUY, D(20), D(500), Product.MIS, T_2025)
    g2 = Z.charges(
        INFY, Side.BUY, D(60), D(500), Product.MIS, T_2025, order_brokerage_so_far=g1.brokerage
    )
    assert (g1.brokerage, g2.brokerage) == (D("3.00"), D("9.00"))


def test_flat_options_brokerage_charged_once_per_order() -> None:
    f1 = Z.charges(NIFTY_CE, Side.BUY, D(75), D(100), None, T_2025)
    f2 = Z.charges(NIFTY_CE, Side.BUY, D(75), D(100), None, T_2025, order_brokerage_so_far=D(20))
    assert (f1.brokerage, f2.brokerage) == (D("20.00"), D("0.00"))
    # The second fill's GST is on exchange charges and SEBI fee only: 18% * 2.64 = 0.4752
    assert f2.gst == D("0.48")


# --------------------------------------------------------------------------------------------
# Alpaca
# --------------------------------------------------------------------------------------------

ET_NOON_UTC = 16  # 12:00 New York in summer


@pytest.mark.parametrize(
    ("day", "sec", "taf"),
    [
        # SEC $8.00/M, TAF $0.000145: 5,000 * 0.000008 = 0.04; 100 * 0.000145 = 0.0145 -> 0.02
        (date(2023, 6, 1), "0.04", "0.02"),
        # SEC $27.80/M, TAF $0.000166: 0.139 -> 0.14 (up); 0.0166 -> 0.02 (up)
        (date(2024, 6, 3), "0.14", "0.02"),
        # SEC $0.00/M from 2025-05-14
        (date(2025, 6, 2), "0.00", "0.02"),
        # SEC $20.60/M, TAF $0.000195: 0.103 -> 0.11; 0.0195 -> 0.02
        (date(2026, 5, 1), "0.11", "0.02"),
    ],
)
def test_alpaca_sell_100_at_50(day: date, sec: str, taf: str) -> None:
    ts = datetime(day.year, day.month, day.day, ET_NOON_UTC, tzinfo=UTC)
    lines = A.regulatory_lines(AAPL, Side.SELL, D(100), D(50), ts)
    assert lines == {"sec_fee": D(sec), "finra_taf": D(taf), "cat_fee": D("0.00")}
    charges = A.charges(AAPL, Side.SELL, D(100), D(50), None, ts)
    assert charges == cb(regulatory=str(D(sec) + D(taf)))
    assert charges.brokerage == 0


def test_alpaca_taf_cap_on_large_sell() -> None:
    ts = datetime(2024, 6, 3, ET_NOON_UTC, tzinfo=UTC)
    # 100,000 shares @ $10: TAF 100,000 * 0.000166 = 16.60, capped at 8.30;
    # SEC 1,000,000 * 27.80 / 1,000,000 = 27.80; regulatory 36.10
    lines = A.regulatory_lines(AAPL, Side.SELL, D(100000), D(10), ts)
    assert lines["finra_taf"] == D("8.30")
    assert lines["sec_fee"] == D("27.80")
    assert A.fee(AAPL, Side.SELL, D(100000), D(10), None, ts) == D("36.10")


def test_alpaca_buy_is_free_and_dates_are_new_york_dates() -> None:
    ts = datetime(2024, 6, 3, ET_NOON_UTC, tzinfo=UTC)
    assert A.charges(AAPL, Side.BUY, D(100), D(50), None, ts).total == 0
    # 2025-05-14 02:00 UTC is still 2025-05-13 in New York: the $27.80 rate applies.
    assert A.regulatory_lines(AAPL, Side.SELL, D(100), D(50), datetime(2025, 5, 14, 2, tzinfo=UTC))[
        "sec_fee"
    ] == D("0.14")
    assert A.regulatory_lines(
        AAPL, Side.SELL, D(100), D(50), datetime(2025, 5, 14, 14, tzinfo=UTC)
    )["sec_fee"] == D("0.00")
    # Fractional shares: 0.5 * 0.000166 = 0.000083 -> rounded up to 0.01.
    assert A.regulatory_lines(AAPL, Side.SELL, D("0.5"), D(50), ts)["finra_taf"] == D("0.01")


# --------------------------------------------------------------------------------------------
# Benchmarks, registry, validation
# --------------------------------------------------------------------------------------------


def test_percent_cost() -> None:
    pc = PercentCost(D("0.0003"))
    # 100 * 1,000.05 = 100,005 * 0.0003 = 30.0015 -> 30.00, both sides, any product
    assert pc.charges(INFY, Side.BUY, D(100), D("1000.05"), None, T_2025) == cb(brokerage="30.00")
    assert pc.fee(INFY, Side.SELL, D(100), D("1000.05"), Product.MIS, T_2025) == D("30.00")
    exact = PercentCost(D("0.0003"), quantum=None)
    assert exact.fee(AAPL, Side.SELL, D(100), D("1000.05"), None, T_2025) == D("30.0015")
    # The multiplier scales the notional: 2 lots * 5,000 * 100 = 1,000,000 -> 300.00
    gold = Instrument.future(
        Venue.MCX, "GOLDM", underlying="GOLD", expiry=date(2025, 4, 4), tick_size=D(1),
        multiplier=D(100),
    )  # fmt: skip
    assert pc.fee(gold, Side.BUY, D(2), D(5000), None, T_2025) == D("300.00")
    with pytest.raises(ValidationError):
        PercentCost(0.0003)  # type: ignore[arg-type]
    with pytest.raises(ValidationError):
        PercentCost(D(1))


def test_zero_cost() -> None:
    assert ZeroCost().charges(AAPL, Side.SELL, D(1), D(1), None, T_2025).total == 0


@pytest.mark.parametrize(
    ("spec", "kind"),
    [
        ("zerodha", ZerodhaCosts),
        (" Alpaca ", AlpacaCosts),
        ("ZERO", ZeroCost),
        ("percent:0.0003", PercentCost),
        ("percent:0.03%", PercentCost),
    ],
)
def test_registry(spec: str, kind: type) -> None:
    model = cost_model_for(spec)
    assert isinstance(model, kind)
    assert isinstance(model, CostModel)


def test_registry_percent_rates() -> None:
    a = cost_model_for("percent:0.0003")
    b = cost_model_for("percent:0.03%")
    assert isinstance(a, PercentCost)
    assert isinstance(b, PercentCost)
    assert a.rate == b.rate == D("0.0003")
    assert a.spec == "percent:0.0003"


@pytest.mark.parametrize(
    "spec", ["ibkr", "", "percent:", "percent:abc", "percent:-0.1", "percent:1.5", "percent:NaN"]
)
def test_registry_rejects_with_the_valid_names(spec: str) -> None:
    with pytest.raises(ValueError, match="valid cost models: 'zerodha', 'alpaca', 'zero'") as ei:
        cost_model_for(spec)
    assert isinstance(ei.value, ValidationError)
    assert ei.value.code == "UNKNOWN_COST_MODEL"


def test_category_mapping_and_unsupported() -> None:
    assert zerodha_category(INFY, Product.MIS) is ChargeCategory.EQUITY_INTRADAY
    assert zerodha_category(INFY, Product.CNC) is ChargeCategory.EQUITY_DELIVERY
    assert zerodha_category(INFY, None) is ChargeCategory.EQUITY_DELIVERY
    assert zerodha_category(NIFTY_FUT, Product.MIS) is ChargeCategory.FUTURES
    assert zerodha_category(NIFTY_CE, Product.NRML) is ChargeCategory.OPTIONS
    with pytest.raises(ValidationError, match="NRML") as e1:
        Z.charges(INFY, Side.BUY, D(1), D(1), Product.NRML, T_2025)
    assert e1.value.code == "BAD_PRODUCT"
    with pytest.raises(ValidationError, match="CNC"):
        Z.charges(NIFTY_FUT, Side.BUY, D(75), D(1), Product.CNC, T_2025)
    index = Instrument.index(Venue.NSE, "NIFTY 50", tick_size=D("0.05"))
    for model, inst in ((Z, index), (Z, AAPL), (A, INFY), (A, NIFTY_CE)):
        with pytest.raises(ValidationError) as e2:
            model.charges(inst, Side.BUY, D(1), D(1), None, T_2025)
        assert e2.value.code == "UNSUPPORTED_INSTRUMENT"


@pytest.mark.parametrize(
    "kw",
    [
        {"quantity": 1.0},
        {"quantity": D(0)},
        {"price": D("-1")},
        {"price": D("NaN")},
        {"ts": datetime(2025, 3, 3, 10, 0)},  # naive
        {"order_brokerage_so_far": D(-1)},
        {"side": "HOLD"},
    ],
)
def test_inputs_are_validated(kw: dict[str, object]) -> None:
    args: dict[str, object] = {
        "instrument": INFY,
        "side": Side.BUY,
        "quantity": D(1),
        "price": D(100),
        "product": None,
        "ts": T_2025,
    }
    args.update(kw)
    for model in (Z, PercentCost(D("0.001")), ZeroCost()):
        with pytest.raises(ValidationError):
            model.charges(**args)  # type: ignore[arg-type]


def test_dates_before_the_first_version_raise() -> None:
    with pytest.raises(NoRatesForDate, match="zerodha rates start on 2020-07-01"):
        Z.charges(INFY, Side.BUY, D(1), D(100), None, datetime(2019, 5, 2, 10, tzinfo=IST))
    with pytest.raises(NoRatesForDate, match="alpaca rates start on 2018-05-22"):
        A.charges(AAPL, Side.SELL, D(1), D(100), None, datetime(2017, 1, 3, 16, tzinfo=UTC))


def test_charge_breakdown() -> None:
    b = cb(brokerage="20", stt="1.5")
    assert b.total == D("21.5")
    assert list(b.as_dict()) == [
        "brokerage", "stt", "exchange_txn", "sebi", "gst", "stamp", "regulatory", "total",
    ]  # fmt: skip
    assert (b + b).as_dict()["total"] == D(43)
    with pytest.raises(ValidationError, match="not the sum"):
        ChargeBreakdown(D(1), D(0), D(0), D(0), D(0), D(0), D(0), D(2))
    with pytest.raises(ValidationError):
        ChargeBreakdown.of(brokerage=D(-1))
    with pytest.raises(dataclasses.FrozenInstanceError):
        b.total = D(0)  # type: ignore[misc]
