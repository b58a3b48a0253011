"""The generated F&O universe, and Instrument.freeze_quantity (model and stored order spec)."""

from __future__ import annotations

from collections import Counter
from datetime import date
from decimal import Decimal as D

import pytest

from tronlab.data.fno import (
    Expiry,
    ExpiryKind,
    NoRuleError,
    atm_strike,
    default_rules,
    fno_universe,
    option_symbol,
    parse,
)
from tronlab.model import Instrument, InstrumentKind, OptionRight, ValidationError, Venue
from tronlab.storage.repositories.instruments import instrument_from_spec, instrument_spec

ON = date(2025, 11, 14)
SPOT = {"NIFTY": 25910.05, "BANKNIFTY": 58517.55}
ALL_SPOT = {**SPOT, "FINNIFTY": 27310.0, "MIDCPNIFTY": 13452.3, "NIFTYNXT50": 69480.0}


def _by_symbol(items: list[Instrument]) -> dict[str, Instrument]:
    return {i.symbol: i for i in items}


def test_universe_composition_on_2025_11_14() -> None:
    items = fno_universe(ON, ALL_SPOT, strikes_each_side=2)
    futures = [i for i in items if i.kind is InstrumentKind.FUT]
    options = [i for i in items if i.kind is InstrumentKind.OPT]
    # near, mid and far monthly futures for each of the five indices
    assert len(futures) == 15
    assert [i.underlying for i in items if i.kind is InstrumentKind.FUT][::3] == list(ALL_SPOT)
    assert [f.symbol for f in futures if f.underlying == "NIFTY"] == [
        "NIFTY25NOVFUT",
        "NIFTY25DECFUT",
        "NIFTY26JANFUT",
    ]
    # 2 nearest expiries x 5 strikes x CE/PE per index
    assert Counter(o.underlying for o in options) == dict.fromkeys(ALL_SPOT, 20)
    nifty = _by_symbol([o for o in options if o.underlying == "NIFTY"])
    # nearest NIFTY expiries: weekly 18 Nov, monthly 25 Nov; ATM 25900, step 50
    assert sorted(nifty) == sorted(
        [f"NIFTY25N18{k}{r}" for k in (25800, 25850, 25900, 25950, 26000) for r in ("CE", "PE")]
        + [f"NIFTY25NOV{k}{r}" for k in (25800, 25850, 25900, 25950, 26000) for r in ("CE", "PE")]
    )
    bank = {o.symbol for o in options if o.underlying == "BANKNIFTY"}
    assert "BANKNIFTY25NOV58500CE" in bank
    assert "BANKNIFTY25DEC58300PE" in bank
    assert all(i.venue is Venue.NFO and i.currency == "INR" for i in items)
    assert all(i.multiplier == 1 and i.qty_step == 1 for i in items)
    assert fno_universe(ON, ALL_SPOT, strikes_each_side=2) == items  # deterministic
    # the spot's roots make the default universe
    assert {i.underlying for i in fno_universe(ON, SPOT, 1)} == {"NIFTY", "BANKNIFTY"}


def test_each_contract_gets_the_lot_size_of_its_own_expiry() -> None:
    items = _by_symbol(fno_universe(ON, ALL_SPOT, strikes_each_side=0, option_expiries=11))
    # Dec-2025 contracts 75, Jan-2026 contracts 65 (interfaces.md 1.11; real chain of that day)
    assert items["NIFTY25DECFUT"].lot_size == 75
    assert items["NIFTY26JANFUT"].lot_size == 65
    assert items["NIFTY25D2325900CE"].lot_size == 75
    assert items["NIFTY2610625900CE"].lot_size == 65
    assert items["NIFTY26JAN25900PE"].lot_size == 65
    assert items["BANKNIFTY25DECFUT"].lot_size == 35
    assert items["BANKNIFTY26JANFUT"].lot_size == 30
    assert items["FINNIFTY26JANFUT"].lot_size == 60
    assert items["MIDCPNIFTY25DECFUT"].lot_size == 140
    assert items["MIDCPNIFTY26JANFUT"].lot_size == 120
    assert items["NIFTYNXT5026JANFUT"].lot_size == 25


def test_ticks_freeze_and_symbols_agree_with_the_rules() -> None:
    items = fno_universe(ON, ALL_SPOT, strikes_each_side=1)
    rules = default_rules()
    for inst in items:
        assert inst.underlying is not None
        assert inst.expiry is not None
        if inst.kind is InstrumentKind.OPT:
            assert inst.tick_size == D("0.05")
        freeze = inst.freeze_quantity
        assert freeze is not None
        assert freeze % inst.lot_size == 0
        limit = rules.freeze_limit(inst.underlying, ON)
        assert limit is not None
        assert limit - inst.lot_size < freeze <= limit
        parsed = parse(inst.symbol)
        assert parsed.root == inst.underlying
        assert (parsed.year, parsed.month) == (inst.expiry.year, inst.expiry.month)
        assert parsed.strike == inst.strike
        assert parsed.right is inst.right
    by = _by_symbol(items)
    # index-futures tick by level (NSE, from 15 Apr 2025): NIFTY ~25900 -> 0.10
    assert by["NIFTY25NOVFUT"].tick_size == D("0.10")
    assert by["BANKNIFTY25NOVFUT"].tick_size == D("0.20")
    assert by["NIFTY25NOVFUT"].freeze_quantity == 1800
    assert by["BANKNIFTY25NOVFUT"].freeze_quantity == 875  # 900 units, lot 35: 25 lots


def test_futures_need_a_spot_once_the_tick_depends_on_the_level() -> None:
    with pytest.raises(NoRuleError, match=r"NIFTY futures: .*pass the level"):
        fno_universe(ON)
    with pytest.raises(NoRuleError, match="FINNIFTY futures"):
        fno_universe(ON, SPOT, underlyings=["NIFTY", "FINNIFTY"])
    only = fno_universe(ON, SPOT, underlyings=["NIFTY"], option_expiries=0)
    assert [i.symbol for i in only] == ["NIFTY25NOVFUT", "NIFTY25DECFUT", "NIFTY26JANFUT"]
    # before 15 Apr 2025 one tick for all: no spot needed, futures only
    early = fno_universe(date(2025, 1, 6))
    assert {i.kind for i in early} == {InstrumentKind.FUT}
    assert {i.tick_size for i in early} == {D("0.05")}
    assert _by_symbol(early)["NIFTY25JANFUT"].lot_size == 25
    assert _by_symbol(early)["NIFTY25FEBFUT"].lot_size == 75


def test_universe_arguments_are_checked() -> None:
    with pytest.raises(ValueError, match="no F&O rules"):
        fno_universe(ON, {"SENSEX": 80000.0}, underlyings=["NIFTY"])
    with pytest.raises(ValueError, match="positive"):
        fno_universe(ON, {"NIFTY": -1.0}, underlyings=["NIFTY"])
    with pytest.raises(ValueError, match=">= 0"):
        fno_universe(ON, SPOT, strikes_each_side=-1)
    with pytest.raises(NoRuleError, match="SENSEX"):
        fno_universe(ON, underlyings=["SENSEX"])
    # strikes stay positive far below the money
    low = fno_universe(ON, {"NIFTY": 120.0}, 5, underlyings=["NIFTY"], futures_months=0)
    assert min(i.strike for i in low if i.strike is not None) == D(50)


def test_atm_strike_and_option_symbol() -> None:
    assert atm_strike(25910.05, D(50)) == D(25900)
    assert atm_strike(25925, D(50)) == D(25950)
    assert atm_strike(D("12987.4"), D(25)) == D(12975)
    with pytest.raises(ValueError, match="positive"):
        atm_strike(float("nan"), D(50))
    weekly = Expiry(date(2025, 12, 16), ExpiryKind.WEEKLY)
    monthly = Expiry(date(2025, 12, 30), ExpiryKind.MONTHLY)
    assert option_symbol("NIFTY", weekly, D(25100), OptionRight.PUT) == "NIFTY25D1625100PE"
    assert option_symbol("NIFTY", monthly, D(25100), OptionRight.PUT) == "NIFTY25DEC25100PE"


# ---------------------------------------------------------------------- Instrument.freeze_quantity


def _nifty_ce(**kw: object) -> Instrument:
    return Instrument.option(
        Venue.NFO,
        "NIFTY26JAN25900CE",
        underlying="NIFTY",
        expiry=date(2026, 1, 27),
        strike=D(25900),
        right=OptionRight.CALL,
        tick_size=D("0.05"),
        lot_size=65,
        **kw,  # type: ignore[arg-type]
    )


def test_instrument_freeze_quantity_is_a_positive_lot_multiple() -> None:
    assert _nifty_ce().freeze_quantity is None
    assert _nifty_ce(freeze_quantity=1755).freeze_quantity == 1755
    for bad in (0, -65, 1800, True, D(1755), 1755.0):
        with pytest.raises(ValidationError):
            _nifty_ce(freeze_quantity=bad)
    fut = Instrument.future(
        Venue.NFO,
        "NIFTY26JANFUT",
        underlying="NIFTY",
        expiry=date(2026, 1, 27),
        tick_size=D("0.1"),
        lot_size=65,
        freeze_quantity=1755,
    )
    assert fut.freeze_quantity == 1755


def test_freeze_quantity_travels_in_the_order_instrument_spec() -> None:
    inst = _nifty_ce(freeze_quantity=1755)
    spec = instrument_spec(inst)
    assert spec["freeze_quantity"] == 1755
    assert instrument_from_spec(spec) == inst
    old_spec = {k: v for k, v in spec.items() if k != "freeze_quantity"}
    assert instrument_from_spec(old_spec) == _nifty_ce()
