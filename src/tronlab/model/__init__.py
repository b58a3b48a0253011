"""The domain model of tronlab: identifiers, instruments, market data, orders and their state
machine, fills, positions, the portfolio and events.

Pure values and entities with no I/O. Money, prices and quantities are ``Decimal``;
timestamps are tz-aware (held in UTC); time is always passed in, never read from the clock.
"""

from tronlab.model.enums import (
    EventSource,
    InstrumentKind,
    OptionRight,
    OrderEventKind,
    OrderStatus,
    OrderType,
    Product,
    Side,
    TickRounding,
    TimeInForce,
    Venue,
)
from tronlab.model.errors import (
    IllegalTransition,
    InsufficientFunds,
    InvalidOrder,
    InvalidOrderCode,
    InvalidRequest,
    OperationalHalt,
    OperatorAction,
    RetryableError,
    StrategyError,
    TronlabError,
    ValidationError,
)
from tronlab.model.events import Event, OrderEvent
from tronlab.model.fills import Fill
from tronlab.model.identifiers import (
    BASE32_ALPHABET,
    ClientOrderId,
    ClientOrderIdGenerator,
    InstrumentId,
    RandomSource,
    base32_encode,
    strategy_slot,
)
from tronlab.model.instruments import Instrument
from tronlab.model.market import Bar, Quote
from tronlab.model.order_request import OrderRequest
from tronlab.model.order_states import ORDER_TRANSITIONS, can_transition, check_transition
from tronlab.model.orders import Order
from tronlab.model.portfolio import Account, MarginModel, Portfolio
from tronlab.model.positions import COST_QUANTUM, Position

__all__ = [
    "BASE32_ALPHABET",
    "COST_QUANTUM",
    "ORDER_TRANSITIONS",
    "Account",
    "Bar",
    "ClientOrderId",
    "ClientOrderIdGenerator",
    "Event",
    "EventSource",
    "Fill",
    "IllegalTransition",
    "Instrument",
    "InstrumentId",
    "InstrumentKind",
    "InsufficientFunds",
    "InvalidOrder",
    "InvalidOrderCode",
    "InvalidRequest",
    "MarginModel",
    "OperationalHalt",
    "OperatorAction",
    "OptionRight",
    "Order",
    "OrderEvent",
    "OrderEventKind",
    "OrderRequest",
    "OrderStatus",
    "OrderType",
    "Portfolio",
    "Position",
    "Product",
    "Quote",
    "RandomSource",
    "RetryableError",
    "Side",
    "StrategyError",
    "TickRounding",
    "TimeInForce",
    "TronlabError",
    "ValidationError",
    "Venue",
    "base32_encode",
    "can_transition",
    "check_transition",
    "strategy_slot",
]
