"""Fat-finger rule: the limit-price band on both sides, freeze quantities split or denied, and
the pure splitting function."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError
from tests.unit.risk.rulectx_limits import INFY, NIFTY_FUT, ctx, intent

from tronlab.model import OrderType, Side
from tronlab.risk.decision import RiskAction
from tronlab.risk.rules.fat_finger import FatFingerConfig, FatFingerRule, split_quantity

D = Decimal
BUY, SELL = Side.BUY, Side.SELL
NIFTY = "NIFTY25JANFUT"


# ----------------------------------------------------------------- price band (last 1500)


@pytest.mark.parametrize(
    ("side", "limit", "denied"),
    [
        (BUY, "1575.00", False),  # exactly +5%
        (BUY, "1575.05", True),  # aggressive buy beyond the band
        (BUY, "1424.95", True),  # passive buy beyond the band (typo side)
        (BUY, "1425.00", False),  # exactly -5%
        (SELL, "1424.95", True),  # aggressive sell
        (SELL, "1575.05", True),  # passive sell
        (SELL, "1500.00", False),
        (BUY, "150.00", True),  # a missing digit
    ],
)
@pytest.mark.parametrize("is_entry", [True, False])
def test_limit_price_band_both_sides(side: Side, limit: str, denied: bool, is_entry: bool) -> None:
    d = FatFingerRule().check(intent(side, 10, limit=limit), ctx(is_entry=is_entry))
    if not denied:
        assert d is None
        return
    assert d is not None
    assert (d.action, d.reason_code, d.rule) == (RiskAction.DENY, "LIMIT_PRICE_BAND", "fat_finger")
    assert d.values["limit_price"] == limit
    assert d.values["last_price"] == "1500.0"
    assert d.values["max_limit_deviation_pct"] == 5.0
    assert d.values["deviation_pct"] == pytest.approx(
        (float(limit) - 1500.0) / 1500.0 * 100, rel=1e-9
    )
    json.dumps(dict(d.values))


def test_band_applies_to_stop_limit_orders() -> None:
    it = intent(BUY, 10, limit="1700.00", stop="1690.00", order_type=OrderType.STOP_LIMIT)
    d = FatFingerRule().check(it, ctx())
    assert d is not None
    assert d.reason_code == "LIMIT_PRICE_BAND"


def test_market_orders_have_no_band() -> None:
    assert FatFingerRule().check(intent(BUY, 10), ctx(last_prices={"INFY": 1.0})) is None


def test_band_off() -> None:
    rule = FatFingerRule(FatFingerConfig(max_limit_deviation_pct=None))
    assert rule.check(intent(BUY, 10, limit="150.00"), ctx()) is None


def test_custom_band() -> None:
    rule = FatFingerRule(FatFingerConfig(max_limit_deviation_pct=1.5))
    assert rule.check(intent(BUY, 10, limit="1522.50"), ctx()) is None
    d = rule.check(intent(BUY, 10, limit="1522.55"), ctx())
    assert d is not None
    assert d.reason_code == "LIMIT_PRICE_BAND"


def test_no_last_price_skips_the_band_and_says_so() -> None:
    d = FatFingerRule().check(intent(BUY, 10, limit="150.00"), ctx(last_prices={}))
    assert d is not None
    assert d.action is RiskAction.APPROVE
    assert d.quantity == 10
    assert d.values["skipped"] == ["limit_price_band"]
    assert d.values["last_price"] is None


# ----------------------------------------------------------------- freeze quantity


def _freeze(qty: int, *, symbol: str = NIFTY, **cfg: Any) -> Any:
    rule = FatFingerRule(FatFingerConfig(**cfg))
    inst = NIFTY_FUT if symbol == NIFTY else INFY
    return rule.check(intent(BUY, qty, symbol=symbol), ctx(instrument=inst))


def test_at_freeze_quantity_passes() -> None:
    assert _freeze(1800, freeze_qty={"NIFTY": 1800}) is None


def test_split_is_a_resize_with_children() -> None:
    d = _freeze(1875, freeze_qty={"NIFTY": 1800})
    assert d is not None
    assert (d.action, d.reason_code, d.quantity) == (RiskAction.RESIZE, "FREEZE_QTY_SPLIT", 1800)
    assert d.values["children"] == ["1800", "75"]
    assert d.values["freeze_qty"] == 1800
    assert sum(D(c) for c in d.values["children"]) == 1875


def test_split_rounds_the_freeze_down_to_whole_lots() -> None:
    d = _freeze(3000, freeze_qty={"NIFTY": 1000})
    assert d is not None
    assert d.quantity == 975
    assert d.values["children"] == ["975", "975", "975", "75"]


def test_on_freeze_deny() -> None:
    d = _freeze(1875, freeze_qty={"NIFTY": 1800}, on_freeze="deny")
    assert d is not None
    assert (d.action, d.reason_code) == (RiskAction.DENY, "FREEZE_QTY")
    assert "children" not in d.values


def test_symbol_key_wins_over_underlying_and_default() -> None:
    cfg = {"freeze_qty": {NIFTY: 900, "NIFTY": 1800}, "default_freeze_qty": 100}
    d = _freeze(1800, **cfg)
    assert d is not None
    assert d.values["freeze_qty"] == 900
    assert d.quantity == 900


def test_default_freeze_applies_to_unlisted_symbols() -> None:
    d = _freeze(600, symbol="INFY", default_freeze_qty=250)
    assert d is not None
    assert d.values["children"] == ["250", "250", "100"]


def test_freeze_below_one_lot_is_denied() -> None:
    d = _freeze(150, freeze_qty={"NIFTY": 50})
    assert d is not None
    assert (d.action, d.reason_code) == (RiskAction.DENY, "FREEZE_QTY")


def test_too_many_children_is_denied() -> None:
    d = _freeze(75 * 24 * 11, freeze_qty={"NIFTY": 1800})  # 11 children
    assert d is not None
    assert (d.action, d.reason_code) == (RiskAction.DENY, "FREEZE_QTY")
    assert len(d.values["children"]) == 11
    assert _freeze(75 * 24 * 10, freeze_qty={"NIFTY": 1800}).action is RiskAction.RESIZE


def test_freeze_applies_to_exits_too() -> None:
    rule = FatFingerRule(FatFingerConfig(freeze_qty={"NIFTY": 1800}))
    d = rule.check(intent(SELL, 3600, symbol=NIFTY), ctx(instrument=NIFTY_FUT, is_entry=False))
    assert d is not None
    assert d.values["children"] == ["1800", "1800"]


def test_band_is_checked_before_freeze() -> None:
    rule = FatFingerRule(FatFingerConfig(freeze_qty={"INFY": 10}))
    d = rule.check(intent(BUY, 100, limit="2000.00"), ctx())
    assert d is not None
    assert d.reason_code == "LIMIT_PRICE_BAND"


def test_disabled_passes() -> None:
    rule = FatFingerRule(FatFingerConfig(enabled=False, freeze_qty={"INFY": 1}))
    assert rule.check(intent(BUY, 100, limit="150.00"), ctx()) is None


# ----------------------------------------------------------------- split_quantity


@pytest.mark.parametrize(
    ("qty", "freeze", "lot", "expected"),
    [
        ("1800", 1800, 75, ["1800"]),
        ("1875", 1800, 75, ["1800", "75"]),
        ("3600", 1800, 75, ["1800", "1800"]),
        ("1000", 1000, 75, ["1000"]),  # not above the freeze: unchanged
        ("1050", 1000, 75, ["975", "75"]),
        ("7", 3, 1, ["3", "3", "1"]),
    ],
)
def test_split_quantity(qty: str, freeze: int, lot: int, expected: list[str]) -> None:
    assert split_quantity(D(qty), freeze, lot) == [D(x) for x in expected]


@pytest.mark.parametrize(
    ("qty", "freeze", "lot", "message"),
    [("0", 10, 1, "positive"), ("10", 10, 0, "lot"), ("100", 50, 75, "smaller than one lot")],
)
def test_split_quantity_errors(qty: str, freeze: int, lot: int, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        split_quantity(D(qty), freeze, lot)


@settings(max_examples=300, deadline=None, derandomize=True)
@given(
    lots=st.integers(1, 500),
    lot=st.sampled_from([1, 15, 25, 30, 65, 75]),
    freeze=st.integers(1, 5000),
)
def test_split_quantity_properties(lots: int, lot: int, freeze: int) -> None:
    qty = D(lots * lot)
    if freeze < lot:
        with pytest.raises(ValueError, match="smaller than one lot"):
            split_quantity(qty, freeze, lot)
        return
    children = split_quantity(qty, freeze, lot)
    assert sum(children) == qty
    assert all(0 < c <= freeze for c in children)
    assert all(c % lot == 0 for c in children)
    chunk = freeze // lot * lot
    expected_len = 1 if qty <= freeze else -(-int(qty) // chunk)
    assert len(children) == expected_len


# ----------------------------------------------------------------- config


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"max_limit_deviation_pct": 0}, "greater than 0"),
        ({"max_limit_deviation_pct": float("inf")}, "finite"),
        ({"freeze_qty": {"NIFTY": 0}}, "freeze quantities must be > 0"),
        ({"freeze_qty": {"": 10}}, "non-empty symbol"),
        ({"default_freeze_qty": -1}, "greater than 0"),
        ({"on_freeze": "slice"}, "'split' or 'deny'"),
        ({"max_children": 0}, "greater than 0"),
        ({"band": 5}, "Extra inputs are not permitted"),
    ],
)
def test_config_validation(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        FatFingerConfig(**kwargs)


def test_config_defaults() -> None:
    cfg = FatFingerConfig()
    assert cfg.max_limit_deviation_pct == 5.0
    assert cfg.freeze_qty == {}
    assert cfg.default_freeze_qty is None
    assert cfg.on_freeze == "split"
    assert FatFingerConfig.model_validate_json(cfg.model_dump_json()) == cfg
