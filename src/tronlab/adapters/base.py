"""The broker interface every adapter implements (interfaces.md 7.3), and the canonical
errors they raise (7.6).

One ``asyncio`` interface for every broker: the paper broker (here), Zerodha and Alpaca (later
issues). ``place_order`` returns once the broker acknowledged the order and never waits for a
fill; fills and status changes arrive on :meth:`Broker.order_events`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from tronlab.model import (
    Account,
    Fill,
    Instrument,
    InstrumentId,
    InvalidRequest,
    Order,
    OrderEvent,
    OrderRequest,
    OrderType,
    Position,
    Product,
    TimeInForce,
    TronlabError,
)


class BrokerError(TronlabError):
    """Base of the canonical adapter errors; carries the broker's context."""

    default_code = "BROKER_ERROR"

    def __init__(
        self,
        message: str,
        *,
        broker: str = "",
        client_order_id: str | None = None,
        broker_code: str | None = None,
        http_status: int | None = None,
        code: str | None = None,
    ) -> None:
        super().__init__(message, code=code)
        self.broker = broker
        self.client_order_id = client_order_id
        self.broker_code = broker_code
        self.http_status = http_status


class DuplicateClientOrderId(BrokerError, InvalidRequest):
    """The client order id was used before (never retry; fetch the existing order)."""

    default_code = "DUPLICATE_CLIENT_ORDER_ID"

    def __init__(self, message: str, *, existing: Order | None = None, **kw: Any) -> None:
        super().__init__(message, **kw)
        self.existing = existing


class OrderNotFound(BrokerError, InvalidRequest):
    """No order with that id at the broker."""

    default_code = "NOT_FOUND"


class InstrumentNotFound(BrokerError, InvalidRequest):
    """The broker does not list the instrument."""

    default_code = "INSTRUMENT_NOT_FOUND"


@dataclass(frozen=True)
class Capabilities:
    """What a broker supports; the order path checks requests against it before sending."""

    order_types: frozenset[OrderType]
    tifs: frozenset[TimeInForce]
    products: frozenset[Product | None]
    fractional_qty: bool = False
    shorting: bool = True
    options: bool = False
    modify_in_place: bool = False
    max_client_order_id_length: int = 20
    extra: dict[str, Any] = field(default_factory=dict)


class Broker(Protocol):
    """The interface of interfaces.md 7.3 (the subset the paper broker implements so far)."""

    name: str
    capabilities: Capabilities

    async def start(self) -> None: ...

    async def stop(self) -> None: ...

    async def instruments(self) -> list[Instrument]: ...

    async def resolve(self, instrument_id: InstrumentId) -> Instrument: ...

    async def place_order(self, request: OrderRequest) -> Order: ...

    async def cancel_order(self, client_order_id: str) -> Order: ...

    async def cancel_all(self, instrument_id: InstrumentId | None = None) -> list[Order]: ...

    async def get_order(self, client_order_id: str) -> Order: ...

    async def list_orders(
        self, *, open_only: bool = False, since: datetime | None = None
    ) -> list[Order]: ...

    async def list_fills(self, *, since: datetime | None = None) -> list[Fill]: ...

    async def positions(self) -> list[Position]: ...

    async def account(self) -> Account: ...

    def order_events(self) -> AsyncIterator[OrderEvent]: ...
