"""The strategy base class and the context protocol a strategy talks to.

A strategy declares parameters (:class:`~tronlab.strategy.params.Param`) and overrides the
hooks it needs. The engine calls them through a wrapper: an exception in user code becomes a
logged ``StrategyError`` event and the run goes on.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

from tronlab.model import Instrument, Order, OrderEvent, Portfolio, Position, Product, TimeInForce
from tronlab.strategy.bars import Bar, History
from tronlab.strategy.params import declared_params, resolve_params

if TYPE_CHECKING:
    from tronlab.execution.intents import MultiLegIntent
    from tronlab.model import Fill

INTERFACE_VERSION = 1


class Indicator(Protocol):
    """A streaming indicator fed once per closed bar (see ``tronlab.features``)."""

    @property
    def value(self) -> Any: ...

    @property
    def ready(self) -> bool: ...


class Context(Protocol):
    """What a strategy sees and can do. Implemented by the engine, the same in every mode."""

    @property
    def symbols(self) -> Sequence[str]: ...

    @property
    def now_ns(self) -> int: ...

    @property
    def now(self) -> datetime:
        """The current time (UTC, timezone-aware): the close of the bar being handled."""
        ...

    @property
    def timezone(self) -> str:
        """The exchange's time zone (IANA name): session-local clock times derive from it."""
        ...

    @property
    def portfolio(self) -> Portfolio: ...

    def position(self, symbol: str) -> Position: ...

    def quantity(self, symbol: str) -> Decimal: ...

    def open_orders(self, symbol: str | None = None) -> list[Order]: ...

    def history(self, symbol: str, timeframe: str | None = None) -> History: ...

    def last_price(self, symbol: str) -> float | None: ...

    def session_bounds(self, symbol: str) -> tuple[datetime, datetime] | None:
        """Open and close (UTC) of ``symbol``'s session in progress now; ``None`` when there
        is none or no calendar (half days and special sessions close early)."""
        ...

    def entries_left(self) -> int | None:
        """Entries the risk governor still allows this strategy today (0 when trading is
        not active; ``None``: no cap). Skipping a signal when it is 0 avoids a denial."""
        ...

    def instrument(self, symbol: str) -> Instrument: ...

    def instruments(self, underlying: str | None = None) -> list[Instrument]: ...

    def for_strategy(self, strategy_id: str) -> Context: ...

    def indicator(
        self,
        symbol: str,
        indicator: Any,
        *,
        timeframe: str | None = None,
        inputs: str = "close",
    ) -> Any: ...

    def buy(
        self,
        symbol: str,
        quantity: int | Decimal,
        *,
        limit: float | Decimal | None = None,
        stop: float | Decimal | None = None,
        tif: TimeInForce = TimeInForce.DAY,
        product: Product | None = None,
        rationale: str = "",
        confidence: float | None = None,
    ) -> str | None: ...

    def sell(
        self,
        symbol: str,
        quantity: int | Decimal,
        *,
        limit: float | Decimal | None = None,
        stop: float | Decimal | None = None,
        tif: TimeInForce = TimeInForce.DAY,
        product: Product | None = None,
        rationale: str = "",
        confidence: float | None = None,
    ) -> str | None: ...

    def target_position(
        self,
        symbol: str,
        quantity: int | Decimal,
        *,
        rationale: str = "",
        confidence: float | None = None,
    ) -> str | None: ...

    def close(
        self, symbol: str, *, rationale: str = "", confidence: float | None = None
    ) -> str | None: ...

    def submit_legs(self, intent: MultiLegIntent) -> list[str]:
        """A multi-leg order: all legs accepted by risk or none; the legs' client order ids."""
        ...

    def cancel(self, client_order_id: str) -> None: ...

    def log(self, event: str, **fields: Any) -> None: ...


class Strategy:
    """Base class of every strategy.

    Subclasses set ``name`` and declare parameters as class attributes; the resolved values
    are available as attributes of the instance (``self.fast``).
    """

    name: ClassVar[str] = ""
    interface_version: ClassVar[int] = INTERFACE_VERSION
    timeframes: ClassVar[tuple[str, ...]] = ()  # extra timeframes the strategy wants

    def __init__(self, **params: Any) -> None:
        self.params: Mapping[str, Any] = resolve_params(type(self), params)
        for key, value in self.params.items():
            object.__setattr__(self, key, value)
        self.validate()

    @classmethod
    def parameters(cls) -> dict[str, Any]:
        return dict(declared_params(cls))

    def validate(self) -> None:
        """Check relations between parameters; raise ``ParamError`` with a clear message."""

    # hooks -------------------------------------------------------------------------------
    def on_start(self, ctx: Context) -> None:
        """Before the first bar: register indicators here."""

    def on_bar(self, ctx: Context, bar: Bar) -> None:
        """Each closed bar of every subscribed series, in event order."""

    def on_fill(self, ctx: Context, fill: Fill) -> None:
        """Each fill of one of this strategy's orders."""

    def on_order_event(self, ctx: Context, event: OrderEvent) -> None:
        """Each status change (accepted, rejected, cancelled, risk denial...)."""

    def on_stop(self, ctx: Context) -> None:
        """After the last bar."""

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.params.items())
        return f"{type(self).__name__}({args})"
