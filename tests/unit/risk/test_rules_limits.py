"""Position and exposure limits: worked cases at and around each limit, resizes to whole lots,
exits untouched, config validation, and a property test against an independent recount."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError
from tests.unit.risk.rulectx_limits import (
    BTC,
    INFY,
    INSTRUMENTS,
    LAST,
    NIFTY_FUT,
    ctx,
    intent,
    portfolio,
)

from tronlab.model import Instrument, OrderType, Side, Venue
from tronlab.risk.decision import RiskAction
from tronlab.risk.rules.limits import (
    PositionLimitsConfig,
    PositionLimitsRule,
    floor_to_quantum,
    quantity_quantum,
)

D = Decimal
BUY, SELL = Side.BUY, Side.SELL
NIFTY = "NIFTY25JANFUT"
NIFTY_LONG_1LOT = {NIFTY: (75, "23500")}  # exposure 1,762,500 at the default last price


@dataclass(frozen=True)
class Case:
    id: str
    config: dict[str, Any]
    side: Side
    qty: int | str
    expect: RiskAction | None  # None: no objection
    qty_after: str | None = None
    code: str | None = None
    instrument: Instrument = INFY
    holdings: dict[str, tuple[int | str, str]] = field(default_factory=dict)
    position_qty: int | str | None = None
    pending_qty: int | str = 0
    limit: str | None = None
    equity: str | None = None
    last_prices: dict[str, float] | None = None


CASES = [
    # per-symbol quantity
    Case("qty exactly at the limit", {"max_qty_per_symbol": 100}, BUY, 100, None),
    Case("qty above: resize", {"max_qty_per_symbol": 100}, BUY, 150, RiskAction.RESIZE, "100",
         "MAX_QTY"),
    Case("qty counts position and working orders", {"max_qty_per_symbol": 100}, BUY, 50,
         RiskAction.RESIZE, "20", "MAX_QTY", position_qty=60, pending_qty=20),
    Case("qty full: deny", {"max_qty_per_symbol": 100}, BUY, 1, RiskAction.DENY, None, "MAX_QTY",
         position_qty=100),
    Case("qty short side", {"max_qty_per_symbol": 100}, SELL, 80, RiskAction.RESIZE, "70",
         "MAX_QTY", position_qty=-30),
    Case("qty flip long to short", {"max_qty_per_symbol": 100}, SELL, 200, RiskAction.RESIZE,
         "150", "MAX_QTY", position_qty=50),
    Case("qty lots: resize to whole lots", {"max_qty_per_symbol": 200}, BUY, 300,
         RiskAction.RESIZE, "150", "MAX_QTY", instrument=NIFTY_FUT),
    Case("qty lots: less than a lot left", {"max_qty_per_symbol": 200}, BUY, 75,
         RiskAction.DENY, None, "MAX_QTY", instrument=NIFTY_FUT, position_qty=150),
    # per-symbol notional
    Case("notional exactly at the limit", {"max_notional_per_symbol": "3525000"}, BUY, 150, None,
         instrument=NIFTY_FUT),
    Case("notional resize to lots", {"max_notional_per_symbol": "5000000"}, BUY, 225,
         RiskAction.RESIZE, "150", "MAX_NOTIONAL", instrument=NIFTY_FUT),
    Case("notional at the limit price", {"max_notional_per_symbol": "150000"}, BUY, 200,
         RiskAction.RESIZE, "125", "MAX_NOTIONAL", limit="1200.00"),
    # order value
    Case("order value at the limit", {"max_order_value": "150000"}, BUY, 100, None,
         limit="1500.00"),
    Case("order value above", {"max_order_value": "150000"}, BUY, 101, RiskAction.RESIZE, "100",
         "MAX_ORDER_VALUE", limit="1500.00"),
    Case("order value ignores the position", {"max_order_value": "150000"}, BUY, 100, None,
         position_qty=1000),
    # gross exposure (NIFTY long one lot = 1,762,500)
    Case("gross resize", {"max_gross_exposure": "2000000"}, BUY, 200, RiskAction.RESIZE, "158",
         "MAX_GROSS_EXPOSURE", holdings=NIFTY_LONG_1LOT),
    Case("gross at the limit", {"max_gross_exposure": "1912500"}, SELL, 100, None,
         holdings=NIFTY_LONG_1LOT),
    Case("gross already full", {"max_gross_exposure": "1000000"}, BUY, 1, RiskAction.DENY, None,
         "MAX_GROSS_EXPOSURE", holdings=NIFTY_LONG_1LOT),
    # net exposure
    Case("net resize", {"max_net_exposure": "1800000"}, BUY, 100, RiskAction.RESIZE, "25",
         "MAX_NET_EXPOSURE", holdings=NIFTY_LONG_1LOT),
    Case("net: a short lowers it", {"max_net_exposure": "1800000"}, SELL, 100, None,
         holdings=NIFTY_LONG_1LOT),
    Case("net over, hedge too small: strict deny", {"max_net_exposure": "1500000"}, SELL, 100,
         RiskAction.DENY, None, "MAX_NET_EXPOSURE", holdings=NIFTY_LONG_1LOT),
    Case("net over, hedge brings it within", {"max_net_exposure": "1500000"}, SELL, 200, None,
         holdings=NIFTY_LONG_1LOT),
    # leverage = gross / equity
    Case("leverage resize", {"max_leverage": 2.0}, BUY, 200, RiskAction.RESIZE, "158",
         "MAX_LEVERAGE", holdings=NIFTY_LONG_1LOT, equity="1000000"),
    Case("leverage exactly at the limit", {"max_leverage": 0.15}, BUY, 100, None,
         equity="1000000"),
    Case("leverage with no equity", {"max_leverage": 5.0}, BUY, 1, RiskAction.DENY, None,
         "MAX_LEVERAGE", equity="0"),
    # open positions
    Case("open positions: would open one too many", {"max_open_positions": 1}, BUY, 10,
         RiskAction.DENY, None, "MAX_OPEN_POSITIONS", holdings=NIFTY_LONG_1LOT),
    Case("open positions: adding to an open one", {"max_open_positions": 1}, BUY, 10, None,
         holdings={NIFTY: (75, "23500"), "INFY": (10, "1500")}),
    Case("open positions: working order counts as open", {"max_open_positions": 1}, BUY, 10,
         None, holdings=NIFTY_LONG_1LOT, pending_qty=5),
    Case("open positions: room left", {"max_open_positions": 2}, BUY, 10, None,
         holdings=NIFTY_LONG_1LOT),
    # several limits: the tightest binds
    Case("tightest binds", {"max_qty_per_symbol": 120, "max_order_value": "150000"}, BUY, 500,
         RiskAction.RESIZE, "100", "MAX_ORDER_VALUE"),
    # fractional quantity step
    Case("fractional step", {"max_notional_per_symbol": "1000"}, BUY, "1", RiskAction.RESIZE,
         "0.0333", "MAX_NOTIONAL", instrument=BTC),
    # prices
    Case("no price at all", {"max_qty_per_symbol": 100}, BUY, 1, RiskAction.DENY, None,
         "NO_PRICE", last_prices={}),
    Case("limit price without a last price", {"max_notional_per_symbol": "15000"}, BUY, 20,
         RiskAction.RESIZE, "10", "MAX_NOTIONAL", limit="1500.00", last_prices={}),
]  # fmt: skip


def _run(case: Case, *, is_entry: bool = True) -> Any:
    rule = PositionLimitsRule(PositionLimitsConfig(**case.config))
    pf = portfolio(case.holdings or None)
    c = ctx(
        instrument=case.instrument,
        pf=pf,
        position_qty=case.position_qty,
        pending_qty=case.pending_qty,
        equity=case.equity,
        last_prices=case.last_prices,
        is_entry=is_entry,
    )
    it = intent(case.side, case.qty, symbol=case.instrument.symbol, limit=case.limit)
    return rule.check(it, c)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_limit_cases(case: Case) -> None:
    decision = _run(case)
    if case.expect is None:
        assert decision is None
        return
    assert decision is not None
    assert decision.action is case.expect
    assert decision.reason_code == case.code
    assert decision.rule == "limits"
    if case.expect is RiskAction.RESIZE:
        assert decision.quantity == D(case.qty_after)
        quantum = quantity_quantum(case.instrument)
        assert decision.quantity % quantum == 0
        assert decision.values["approved_qty"] == case.qty_after
    else:
        assert decision.quantity == 0
    json.dumps(dict(decision.values))  # JSON-friendly audit values


@pytest.mark.parametrize("case", [c for c in CASES if c.expect is not None], ids=lambda c: c.id)
def test_exits_are_never_blocked(case: Case) -> None:
    assert _run(case, is_entry=False) is None


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_disabled_config_passes(case: Case) -> None:
    disabled = Case(**{**case.__dict__, "config": {**case.config, "enabled": False}})
    assert _run(disabled) is None


def test_values_record_what_was_compared() -> None:
    case = Case("v", {"max_qty_per_symbol": 100, "max_order_value": "1000000"}, BUY, 150, None)
    d = _run(case)
    assert d is not None
    v = d.values
    assert v["price"] == "1500.0"
    assert v["price_source"] == "last"
    assert v["requested_qty"] == "150"
    assert v["approved_qty"] == "100"
    assert v["binding"] == "max_qty_per_symbol"
    assert v["limits"]["max_qty_per_symbol"] == {
        "limit": "100",
        "at_requested": "150",
        "at_approved": "100",
        "max_qty": "100",
    }
    assert v["limits"]["max_order_value"]["at_approved"] == "150000.0"
    assert "resized to 100" in d.message


def test_leverage_values_are_ratios() -> None:
    case = Case("lev", {"max_leverage": 2.0}, BUY, 200, None, holdings=NIFTY_LONG_1LOT,
                equity="1000000")  # fmt: skip
    d = _run(case)
    lev = d.values["limits"]["max_leverage"]
    assert lev["limit"] == 2.0
    assert lev["at_requested"] == pytest.approx(2.0625)
    assert lev["at_approved"] <= 2.0


def test_unpriced_other_position_is_reported() -> None:
    rule = PositionLimitsRule(PositionLimitsConfig(max_gross_exposure=D(10**9)))
    c = ctx(positions={"INFY": 0, "XYZ": 5}, last_prices={"INFY": 1500.0})
    d = rule.check(intent(BUY, 10**6), c)
    assert d is not None
    assert d.values["unpriced"] == ["XYZ"]


def test_portfolio_mark_used_when_no_last_price() -> None:
    rule = PositionLimitsRule(PositionLimitsConfig(max_gross_exposure=D(2_000_000)))
    pf = portfolio(NIFTY_LONG_1LOT)
    c = ctx(pf=pf, last_prices={"INFY": 1500.0})  # NIFTY valued at its fill price 23500
    d = rule.check(intent(BUY, 200), c)
    assert d is not None
    assert d.quantity == 158


def test_positions_fall_back_to_the_portfolio() -> None:
    rule = PositionLimitsRule(PositionLimitsConfig(max_gross_exposure=D(2_000_000)))
    c = ctx(pf=portfolio(NIFTY_LONG_1LOT), positions={})
    d = rule.check(intent(BUY, 200), c)
    assert d is not None
    assert d.quantity == 158


def test_stop_price_values_a_stop_order_without_last() -> None:
    rule = PositionLimitsRule(PositionLimitsConfig(max_order_value=D(10_000)))
    it = intent(BUY, 10, order_type=OrderType.STOP, stop="2000.00")
    d = rule.check(it, ctx(last_prices={}))
    assert d is not None
    assert (d.quantity, d.values["price_source"]) == (D(5), "stop")


def test_no_limits_configured_passes() -> None:
    assert PositionLimitsRule().check(intent(BUY, 10**6), ctx()) is None


@pytest.mark.parametrize(
    ("inst", "expected"),
    [
        (INFY, D(1)),
        (NIFTY_FUT, D(75)),
        (BTC, D("0.0001")),
        (Instrument.equity(Venue.US, "X", tick_size=D("0.01"), lot_size=2, qty_step=D("0.5")),
         D(2)),
        (Instrument.equity(Venue.US, "Y", tick_size=D("0.01"), lot_size=3, qty_step=D(2)), D(6)),
    ],
)  # fmt: skip
def test_quantity_quantum(inst: Instrument, expected: Decimal) -> None:
    assert quantity_quantum(inst) == expected


@pytest.mark.parametrize(
    ("q", "quantum", "expected"),
    [("212.77", "75", "150"), ("150", "75", "150"), ("74.9", "75", "0"), ("-3", "1", "0"),
     ("0.03333", "0.0001", "0.0333")],
)  # fmt: skip
def test_floor_to_quantum(q: str, quantum: str, expected: str) -> None:
    assert floor_to_quantum(D(q), D(quantum)) == D(expected)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"max_qty_per_symbol": 0}, "greater than 0"),
        ({"max_notional_per_symbol": "-5"}, "greater than 0"),
        ({"max_gross_exposure": "inf"}, "finite"),
        ({"max_leverage": float("nan")}, "finite"),
        ({"max_open_positions": 0}, "greater than 0"),
        ({"max_order_value": "abc"}, "decimal"),
        ({"max_qty": 5}, "Extra inputs are not permitted"),
    ],
)
def test_config_validation(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        PositionLimitsConfig(**kwargs)


def test_config_is_frozen_and_round_trips() -> None:
    cfg = PositionLimitsConfig(max_qty_per_symbol=D(100), max_leverage=2.5)
    with pytest.raises(ValidationError):
        cfg.max_qty_per_symbol = D(5)  # type: ignore[misc]
    assert PositionLimitsConfig.model_validate_json(cfg.model_dump_json()) == cfg


# ----------------------------------------------------------------- property


def _reference(
    cfg: PositionLimitsConfig,
    inst: Instrument,
    side: Side,
    base: Decimal,
    others: dict[str, Decimal],
    price: Decimal,
    equity: Decimal,
    q: Decimal,
) -> list[str]:
    """The limits broken by an order of ``q`` (recounted from scratch, no shared code)."""
    post = base + side.sign * q
    mine = abs(post) * price * inst.multiplier
    other_values = [qty * D(str(LAST[s])) * INSTRUMENTS[s].multiplier for s, qty in others.items()]
    gross = mine + sum((abs(v) for v in other_values), D(0))
    net = abs(post * price * inst.multiplier + sum(other_values, D(0)))
    broken = []
    if cfg.max_qty_per_symbol is not None and abs(post) > cfg.max_qty_per_symbol:
        broken.append("MAX_QTY")
    if cfg.max_notional_per_symbol is not None and mine > cfg.max_notional_per_symbol:
        broken.append("MAX_NOTIONAL")
    if cfg.max_order_value is not None and q * price * inst.multiplier > cfg.max_order_value:
        broken.append("MAX_ORDER_VALUE")
    if cfg.max_gross_exposure is not None and gross > cfg.max_gross_exposure:
        broken.append("MAX_GROSS_EXPOSURE")
    if cfg.max_net_exposure is not None and net > cfg.max_net_exposure:
        broken.append("MAX_NET_EXPOSURE")
    if cfg.max_leverage is not None and gross > D(str(cfg.max_leverage)) * equity:
        broken.append("MAX_LEVERAGE")
    return broken


def _maybe(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.one_of(st.none(), strategy)


configs = st.builds(
    PositionLimitsConfig,
    max_qty_per_symbol=_maybe(st.integers(1, 3000).map(D)),
    max_notional_per_symbol=_maybe(st.integers(10_000, 50_000_000).map(D)),
    max_gross_exposure=_maybe(st.integers(100_000, 80_000_000).map(D)),
    max_net_exposure=_maybe(st.integers(10_000, 50_000_000).map(D)),
    max_open_positions=_maybe(st.integers(1, 3)),
    max_order_value=_maybe(st.integers(10_000, 20_000_000).map(D)),
    max_leverage=_maybe(st.floats(0.05, 8.0).map(lambda x: round(x, 3))),
)


@settings(max_examples=400, deadline=None, derandomize=True)
@given(
    cfg=configs,
    inst=st.sampled_from([INFY, NIFTY_FUT]),
    side=st.sampled_from([BUY, SELL]),
    lots=st.integers(1, 40),
    own_lots=st.integers(-20, 20),
    pending_lots=st.integers(-5, 5),
    others=st.fixed_dictionaries(
        {"RELIANCE": st.integers(-400, 400), "NIFTY": st.integers(-6, 6),
         "INFY": st.integers(-400, 400)}
    ),
    limit_off=_maybe(st.integers(-200, 200)),
    equity=st.integers(0, 20_000_000),
)  # fmt: skip
def test_approved_or_resized_orders_keep_every_limit(
    cfg: PositionLimitsConfig,
    inst: Instrument,
    side: Side,
    lots: int,
    own_lots: int,
    pending_lots: int,
    others: dict[str, int],
    limit_off: int | None,
    equity: int,
) -> None:
    lot = inst.lot_size
    unit_lots = 10 if inst is INFY else 1  # INFY trades in blocks of 10 here, NIFTY in lots
    q = D(lots * lot * unit_lots)
    own = D(own_lots * lot * unit_lots)
    pending = D(pending_lots * lot * unit_lots)
    holdings: dict[str, tuple[int | str, str]] = {
        "RELIANCE": (others["RELIANCE"], "2500"),
        NIFTY: (others["NIFTY"] * 75, "23500"),
        "INFY": (others["INFY"], "1500"),
    }
    holdings[inst.symbol] = (int(own), str(LAST[inst.symbol]))
    pf = portfolio(holdings)
    last = D(str(LAST[inst.symbol]))
    limit = None if limit_off is None else last + D(limit_off) * inst.tick_size * 10
    base = own + pending
    is_entry = abs(base + side.sign * q) > abs(base)
    c = ctx(instrument=inst, pf=pf, pending_qty=pending, equity=D(equity), is_entry=is_entry)
    it = intent(side, q, symbol=inst.symbol, limit=None if limit is None else str(limit))
    d = PositionLimitsRule(cfg).check(it, c)

    if not is_entry:
        assert d is None
        return
    other_qty = {s: D(x) for s, x in c.positions.items() if s != inst.symbol and x != 0}
    price = limit if limit is not None else last
    args = (cfg, inst, side, base, other_qty, price, D(equity))
    quantum = D(lot)

    if d is not None and d.reason_code == "MAX_OPEN_POSITIONS":
        assert d.action is RiskAction.DENY
        assert base == 0
        assert cfg.max_open_positions is not None
        assert len(other_qty) >= cfg.max_open_positions
        return
    if d is None:
        assert _reference(*args, q) == []
        if cfg.max_open_positions is not None and base == 0:
            assert len(other_qty) < cfg.max_open_positions
        return
    if d.action is RiskAction.RESIZE:
        approved = d.quantity
        assert 0 < approved < q
        assert approved % quantum == 0
        assert _reference(*args, approved) == []
        if approved + quantum <= q:  # the largest fitting quantity was chosen
            assert _reference(*args, approved + quantum) != []
        assert d.reason_code in _reference(*args, q)
        return
    assert d.action is RiskAction.DENY
    # no whole number of lots up to the requested quantity fits
    k = 1
    while k * quantum <= q:
        assert _reference(*args, k * quantum) != []
        k += 1
