"""fast_frozen_init: the same constructor as the dataclass one, only faster."""

from __future__ import annotations

import dataclasses
import inspect
from dataclasses import InitVar, dataclass, field
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from tronlab.adapters.paper.exchange import ExchangeEvent
from tronlab.execution.intents import IntentError, OrderIntent
from tronlab.model import Fill, OrderRequest, Side, ValidationError
from tronlab.model.fastinit import fast_frozen_init
from tronlab.risk import RiskDecision, RuleContext


def _twin(*, slots: bool) -> tuple[type, type]:
    """The same frozen dataclass twice: with the generated __init__ and with the fast one."""

    def make() -> type:
        @dataclass(frozen=True, slots=slots, kw_only=False)
        class Sample:
            a: int
            b: str = "x"
            c: list[int] = field(default_factory=list)
            d: float = field(default=1.5, kw_only=True)
            seen: tuple[int, ...] = field(default=(), kw_only=True)

            def __post_init__(self) -> None:
                if self.a < 0:
                    raise ValueError("a must be >= 0")
                object.__setattr__(self, "seen", (*self.seen, self.a))

        return Sample

    return make(), fast_frozen_init(make())


@pytest.mark.parametrize("slots", [True, False])
def test_same_signature_defaults_factories_and_post_init(slots: bool) -> None:
    plain, fast = _twin(slots=slots)
    assert str(inspect.signature(plain)) == str(inspect.signature(fast))
    for args, kwargs in [((1,), {}), ((2, "y"), {"d": 2.5}), ((3,), {"c": [1], "seen": (9,)})]:
        p, f = plain(*args, **kwargs), fast(*args, **kwargs)
        assert dataclasses.astuple(p) == dataclasses.astuple(f)
    assert fast(1).c == []
    assert fast(1).c is not fast(1).c
    with pytest.raises(ValueError, match="a must be >= 0"):
        fast(-1)
    with pytest.raises(TypeError):
        fast(1, "y", [], 2.0)  # d is keyword-only
    with pytest.raises(TypeError):
        fast()  # a is required
    obj = fast(4)
    with pytest.raises(dataclasses.FrozenInstanceError):
        obj.a = 5  # type: ignore[misc]
    assert dataclasses.replace(obj, b="z") == fast(4, "z", seen=(4,))


def test_refuses_what_it_cannot_copy() -> None:
    @dataclass
    class Mutable:
        a: int

    @dataclass(frozen=True)
    class WithInitVar:
        a: int
        scale: InitVar[int] = 1

    @dataclass(frozen=True)
    class WithInitFalse:
        a: int
        b: int = field(default=0, init=False)

    for cls in (Mutable, WithInitVar, WithInitFalse):
        with pytest.raises(TypeError):
            fast_frozen_init(cls)


def test_the_hot_path_classes_still_validate() -> None:
    now = datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)
    with pytest.raises(IntentError, match="quantity must be positive"):
        OrderIntent(symbol="X", side=Side.BUY, quantity=Decimal(0))
    with pytest.raises(ValidationError):
        Fill(
            fill_id=" bad",
            client_order_id=None,  # type: ignore[arg-type]
            instrument_id=None,  # type: ignore[arg-type]
            side=Side.BUY,
            quantity=Decimal(1),
            price=Decimal(1),
            ts=now,
        )
    with pytest.raises(TypeError):
        OrderRequest(Side.BUY)  # type: ignore[misc]  # keyword-only, as generated
    assert RiskDecision.approve(Decimal(3)).values == {}
    assert RiskDecision.approve(Decimal(3)).values is not RiskDecision.approve(Decimal(3)).values
    assert "recent" in inspect.signature(RuleContext).parameters
    with pytest.raises(dataclasses.FrozenInstanceError):
        ExchangeEvent(None, None).order = None  # type: ignore[arg-type, misc]
