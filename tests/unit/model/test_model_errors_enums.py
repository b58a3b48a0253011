"""Error tree and enumerations of tronlab.model."""

from __future__ import annotations

import json
import pickle

import pytest

from tronlab.model import (
    IllegalTransition,
    InstrumentKind,
    InsufficientFunds,
    InvalidOrder,
    InvalidOrderCode,
    InvalidRequest,
    OperationalHalt,
    OperatorAction,
    OptionRight,
    OrderStatus,
    OrderType,
    Product,
    RetryableError,
    Side,
    StrategyError,
    TronlabError,
    ValidationError,
    Venue,
)


@pytest.mark.parametrize(
    ("cls", "code", "action", "retryable"),
    [
        (RetryableError, "RETRYABLE", OperatorAction.RETRY, True),
        (InvalidRequest, "INVALID_REQUEST", OperatorAction.FIX_REQUEST, False),
        (ValidationError, "VALIDATION", OperatorAction.FIX_REQUEST, False),
        (InsufficientFunds, "INSUFFICIENT_FUNDS", OperatorAction.ADD_FUNDS, False),
        (OperationalHalt, "OPERATIONAL_HALT", OperatorAction.HALT, False),
        (StrategyError, "STRATEGY_ERROR", OperatorAction.FIX_STRATEGY, False),
    ],
)
def test_error_classes_carry_code_action_and_message(
    cls: type[TronlabError], code: str, action: OperatorAction, retryable: bool
) -> None:
    err = cls("something broke", details={"x": 1})
    assert isinstance(err, TronlabError)
    assert err.code == code
    assert err.message == "something broke"
    assert err.action is action
    assert err.retryable is retryable
    assert err.details == {"x": 1}
    assert str(err) == f"[{code}] something broke"


def test_explicit_code_overrides_default() -> None:
    assert RetryableError("slow down", code="RATE_LIMITED").code == "RATE_LIMITED"


def test_validation_error_is_a_value_error_and_an_invalid_request() -> None:
    err = ValidationError("bad")
    assert isinstance(err, ValueError)
    assert isinstance(err, InvalidRequest)
    assert not err.retryable


def test_invalid_order_subcode_and_hierarchy() -> None:
    err = InvalidOrder("price off tick", subcode="TICK", details={"price": "1.01"})
    assert err.subcode is InvalidOrderCode.TICK
    assert err.code == "INVALID_ORDER_TICK"
    assert isinstance(err, ValidationError)
    assert isinstance(err, InvalidRequest)
    with pytest.raises(ValueError, match="NOPE"):
        InvalidOrder("x", subcode="NOPE")


def test_illegal_transition_names_both_statuses() -> None:
    err = IllegalTransition("no", from_status=OrderStatus.FILLED, to_status=OrderStatus.WORKING)
    assert (err.from_status, err.to_status) == ("FILLED", "WORKING")
    assert err.code == "ILLEGAL_TRANSITION"
    assert err.action is OperatorAction.RECONCILE
    assert not isinstance(err, InvalidRequest)


@pytest.mark.parametrize(
    "err",
    [
        ValidationError("v", code="NEGATIVE", details={"q": 1}),
        InvalidOrder("o", subcode=InvalidOrderCode.LOT),
        IllegalTransition("t", from_status="FILLED", to_status="WORKING"),
        RetryableError("r"),
    ],
)
def test_errors_survive_pickling(err: TronlabError) -> None:
    back = pickle.loads(pickle.dumps(err))  # noqa: S301 - round trip of our own object
    assert type(back) is type(err)
    assert back.code == err.code
    assert back.message == err.message
    assert back.details == err.details
    assert back.__dict__ == err.__dict__


def test_enums_serialise_as_strings() -> None:
    payload = json.dumps({"venue": Venue.NFO, "side": Side.SELL, "status": OrderStatus.FILLED})
    assert payload == '{"venue": "NFO", "side": "SELL", "status": "FILLED"}'
    assert Venue("MCX") is Venue.MCX
    assert {v.value for v in Venue} == {"NSE", "BSE", "NFO", "BFO", "MCX", "CDS", "US", "CRYPTO"}
    assert {k.value for k in InstrumentKind} == {"EQ", "INDEX", "FUT", "OPT"}


def test_side_sign_and_opposite() -> None:
    assert (Side.BUY.sign, Side.SELL.sign) == (1, -1)
    assert Side.BUY.opposite is Side.SELL
    assert Side.SELL.opposite is Side.BUY


def test_option_right_kite_mapping() -> None:
    assert OptionRight.CALL.kite == "CE"
    assert OptionRight.PUT.kite == "PE"
    for text, right in [("CE", OptionRight.CALL), ("pe", OptionRight.PUT), ("Call", "C")]:
        assert OptionRight.parse(text) == right
    with pytest.raises(ValidationError):
        OptionRight.parse("XX")


def test_order_type_price_requirements() -> None:
    assert [t.needs_limit_price for t in OrderType] == [False, True, False, True]
    assert [t.needs_stop_price for t in OrderType] == [False, False, True, True]


def test_product_aliases() -> None:
    assert Product.parse("intraday") is Product.MIS
    assert Product.parse("DELIVERY") is Product.CNC
    assert Product.parse("carry") is Product.NRML
    assert Product.parse("NRML") is Product.NRML
    assert Product.MIS.is_intraday
    assert not Product.CNC.is_intraday
    with pytest.raises(ValidationError):
        Product.parse("CO")


def test_terminal_statuses() -> None:
    terminal = {s for s in OrderStatus if s.is_terminal}
    assert terminal == {
        OrderStatus.FILLED,
        OrderStatus.CANCELLED,
        OrderStatus.REJECTED,
        OrderStatus.EXPIRED,
    }
    assert not OrderStatus.UNKNOWN.is_terminal
    assert all(s.is_open != s.is_terminal for s in OrderStatus)
    assert len(OrderStatus) == 13


def test_venue_default_currency() -> None:
    assert Venue.NFO.default_currency == "INR"
    assert Venue.US.default_currency == "USD"
