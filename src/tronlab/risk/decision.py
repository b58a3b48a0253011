"""The mandatory pre-trade hop: every order intent is approved, resized or denied here.

The engine calls :meth:`RiskGovernor.check` for each intent before the order manager sees it,
in every mode (backtest, paper, live). A denial is returned as a decision with a
machine-readable reason code, never raised; the engine turns it into an event for the strategy
and the journal. :class:`PassThroughRisk` approves everything and is the default until the
rules are configured. The rule-based governor is :class:`tronlab.risk.governor.RiskGovernor`.

A multi-leg order (:class:`~tronlab.execution.intents.MultiLegIntent`) gets one
:class:`ComboDecision` from :meth:`PreTradeRisk.check_combo`: all legs accepted, or all
refused with one reason code. Views that hold futures and options also implement
:class:`FnoView`, which the margin and Greeks rules read.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Protocol

from tronlab.model.fastinit import fast_frozen_init

if TYPE_CHECKING:
    from tronlab.execution.intents import OrderIntent
    from tronlab.model import Fill, Instrument, Portfolio, Side
    from tronlab.options.fno_margin import FnoMargin, MarginQuote


class RiskAction(StrEnum):
    APPROVE = "approve"
    RESIZE = "resize"
    DENY = "deny"


_APPROVE, _DENY = RiskAction.APPROVE, RiskAction.DENY  # module constants (faster lookups)


@fast_frozen_init
@dataclass(frozen=True)
class RiskDecision:
    """The governor's answer for one intent."""

    action: RiskAction
    quantity: Decimal
    reason_code: str = "OK"
    message: str = ""
    rule: str = ""
    values: Mapping[str, Any] = field(default_factory=dict)  # what was compared (audit)

    @classmethod
    def approve(cls, quantity: Decimal) -> RiskDecision:
        return cls(_APPROVE, quantity)

    @classmethod
    def deny(
        cls,
        reason_code: str,
        message: str,
        rule: str = "",
        values: Mapping[str, Any] | None = None,
    ) -> RiskDecision:
        return cls(RiskAction.DENY, Decimal(0), reason_code, message, rule, dict(values or {}))

    @classmethod
    def resize(
        cls,
        quantity: Decimal,
        reason_code: str,
        message: str,
        rule: str = "",
        values: Mapping[str, Any] | None = None,
    ) -> RiskDecision:
        """Allow a smaller quantity (0 means deny)."""
        if quantity <= 0:
            return cls.deny(reason_code, message, rule, values)
        return cls(RiskAction.RESIZE, quantity, reason_code, message, rule, dict(values or {}))

    @property
    def allowed(self) -> bool:
        return self.action is not _DENY and self.quantity > 0


@dataclass(frozen=True)
class ComboDecision:
    """The governor's answer for a multi-leg order: every leg at its own quantity, or none."""

    allowed: bool
    reason_code: str = "OK"
    message: str = ""
    rule: str = ""
    values: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def approve(cls, values: Mapping[str, Any] | None = None) -> ComboDecision:
        return cls(True, values=dict(values or {}))

    @classmethod
    def deny(
        cls,
        reason_code: str,
        message: str,
        rule: str = "",
        values: Mapping[str, Any] | None = None,
    ) -> ComboDecision:
        return cls(False, reason_code, message, rule, dict(values or {}))


class MarketView(Protocol):
    """What the engine shows the governor (the engine implements it; read only)."""

    @property
    def mode(self) -> str: ...  # backtest, paper or live

    @property
    def portfolio(self) -> Portfolio: ...

    @property
    def last_prices(self) -> Mapping[str, float]: ...

    @property
    def last_bar_ns(self) -> Mapping[str, int]: ...

    def now(self) -> datetime: ...

    def now_ns(self) -> int: ...

    def exchange_tz(self, symbol: str | None = None) -> str: ...

    def session_bounds(self, symbol: str, ts_ns: int) -> tuple[datetime, datetime] | None: ...

    def equity_estimate(self) -> float: ...

    @property
    def open_positions(self) -> int: ...  # how many symbols have a non-zero position

    def positions(self) -> Mapping[str, Decimal]: ...

    def intraday_positions(self) -> Mapping[str, Decimal]: ...

    def pending_qty(self, symbol: str) -> Decimal: ...

    def instrument(self, symbol: str) -> Instrument: ...

    def recent(self, symbol: str, n: int) -> tuple[Any, Any]: ...

    def reference(self) -> Mapping[str, float]: ...


FnoOrder = tuple["Instrument", "Side", Decimal, Decimal | None]
"""An order as the margin quote sees it: instrument, side, quantity, price (``None``: last)."""


class FnoView(Protocol):
    """What a view that holds futures and options adds (the engine implements it)."""

    def underlying_price(self, underlying: str) -> float | None: ...

    def fno_book(self) -> Mapping[Instrument, Decimal]: ...  # positions + working orders

    def margin_quote(
        self, orders: Sequence[FnoOrder], model: FnoMargin | None = None
    ) -> MarginQuote: ...


def fno_view(view: object) -> FnoView | None:
    """``view`` when it implements :class:`FnoView`, else ``None``."""
    need = ("underlying_price", "fno_book", "margin_quote")
    return view if all(callable(getattr(view, n, None)) for n in need) else None  # type: ignore[return-value]


class PreTradeRisk(Protocol):
    """The engine's mandatory hop: a check per intent (or one per multi-leg order), a look at
    every bar, fills."""

    def check(
        self, intent: OrderIntent, view: MarketView, client_order_id: str | None = None
    ) -> RiskDecision: ...

    def check_combo(
        self, intents: Sequence[OrderIntent], view: MarketView, label: str = ""
    ) -> ComboDecision: ...

    def on_time(self, view: MarketView, now_ns: int) -> list[OrderIntent]: ...

    def entries_left(self, strategy_id: str) -> int | None:
        """Entries ``strategy_id`` may still make today (``None``: no cap)."""
        ...

    def on_fill(
        self, fill: Fill, realized: Decimal, closed_trade: bool, view: MarketView
    ) -> None: ...


class PassThroughRisk:
    """Approves every intent unchanged (no rules): for research runs that want none."""

    def check(
        self, intent: OrderIntent, view: MarketView, client_order_id: str | None = None
    ) -> RiskDecision:
        return RiskDecision.approve(intent.quantity)

    def check_combo(
        self, intents: Sequence[OrderIntent], view: MarketView, label: str = ""
    ) -> ComboDecision:
        return ComboDecision.approve()

    def on_time(self, view: MarketView, now_ns: int) -> list[OrderIntent]:
        return []

    def entries_left(self, strategy_id: str) -> int | None:
        return None

    def on_fill(self, fill: Fill, realized: Decimal, closed_trade: bool, view: MarketView) -> None:
        return None
