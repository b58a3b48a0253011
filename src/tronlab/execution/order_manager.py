"""The order manager: client order ids, the order book of a run, and the journal hop.

* Client order ids are 20 characters of ``[0-9A-Z]`` (Kite's tag limit; interfaces.md 7.5):
  a 2-character strategy slot, a time part and a random part from an injected, seeded random
  source, so a backtest gives the same ids every time.
* Submitting is idempotent: an id that is already known returns the existing order and
  never creates a second one.
* Every new order is written to the journal *before* it goes to the broker (write-ahead),
  and every order event after it happens. A backtest keeps the journal in memory and saves it
  with the run; a paper session writes through to the database.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import datetime
from typing import Protocol

from tronlab.model import ClientOrderId, ClientOrderIdGenerator, Order, OrderEvent, strategy_slot


class OrderJournal(Protocol):
    """Where orders and their events are recorded as they happen."""

    def order_created(self, order: Order) -> None:
        """A new order, status PENDING_SUBMIT, before the broker sees it."""

    def order_event(self, order: Order | None, event: OrderEvent) -> None:
        """An event of ``order`` (``None`` for an intent refused before an order existed)."""


class MemoryJournal:
    """Keeps everything in memory (backtests save it with the run at the end)."""

    def __init__(self) -> None:
        self.orders: list[Order] = []
        self.refusals: list[OrderEvent] = []

    def order_created(self, order: Order) -> None:
        self.orders.append(order)

    def order_event(self, order: Order | None, event: OrderEvent) -> None:
        if order is None:
            self.refusals.append(event)


class OrderManager:
    """The orders of one run, by client order id.

    Parameters
    ----------
    journal
        Receives every order and event.
    seed
        Seed of the random part of client order ids (deterministic runs).
    salt
        Mixed into the seed: the run id of a stored run, so that two runs of the same
        inputs never share client order ids in the database (ids are unique for ever),
        while one run (a resumed paper session) always draws the same ids.
    """

    def __init__(self, journal: OrderJournal, seed: int = 0, salt: str = "") -> None:
        self.journal = journal
        # a str seed is hashed with SHA-512 by random.seed: stable across processes
        self._rng = random.Random(f"{seed}|{salt}" if salt else seed)  # noqa: S311 - not secrets
        self._generators: dict[str, ClientOrderIdGenerator] = {}
        self._orders: dict[str, Order] = {}

    def next_id(self, strategy_id: str, now: datetime) -> ClientOrderId:
        gen = self._generators.get(strategy_id)
        if gen is None:
            gen = ClientOrderIdGenerator(strategy_slot(strategy_id or "manual"), self._rng)
            self._generators[strategy_id] = gen
        return gen.next(now)

    def get(self, client_order_id: str) -> Order | None:
        return self._orders.get(client_order_id)

    def add(self, order: Order) -> tuple[Order, bool]:
        """Register a new order; returns ``(order, created)``. A known id returns the existing
        order and ``created=False`` (idempotent resubmit)."""
        key = order.request.client_order_id.value
        existing = self._orders.get(key)
        if existing is not None:
            return existing, False
        self._orders[key] = order
        self.journal.order_created(order)
        return order, True

    def adopt(self, order: Order) -> None:
        """Take over an order restored from storage (a resumed session)."""
        self._orders[str(order.client_order_id)] = order

    def record(self, order: Order | None, event: OrderEvent) -> None:
        self.journal.order_event(order, event)

    def __iter__(self) -> Iterator[Order]:
        return iter(self._orders.values())

    def __len__(self) -> int:
        return len(self._orders)

    def open_orders(self) -> list[Order]:
        return [o for o in self._orders.values() if not o.is_terminal]
