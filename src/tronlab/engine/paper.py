"""Paper sessions: the backtest engine on a paced replay, with every order written through.

A paper session replays bars from the store at ``speed`` times real time (``speed=1`` is real
time) against the paper broker (the simulated exchange), writing each order, order event and
fill to the database the moment it happens.

**Resume after a crash (even SIGKILL).** The paper broker, the strategy and the client order
ids are deterministic functions of (bars, strategy, parameters, seed). A restarted session
re-executes the replay *without pacing* up to the last event it had written, checking that
every order it re-creates is already stored under the same client order id with the same
history (a mismatch stops the session: the inputs changed), and never writes or sends those
orders again; from there on it continues paced. It ends with the same open orders,
positions, cash and PnL as an uninterrupted session.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from tronlab.execution.order_manager import OrderJournal
from tronlab.model import Order, OrderEvent


class ResumeMismatch(RuntimeError):
    """A resumed session re-created an order that differs from the stored one."""


@dataclass
class Pacer:
    """Sleeps so that bar ``end_ns`` is handled at ``anchor + (end_ns - first) / speed``.

    Bars that end at or before ``catch_up_until_ns`` are replayed at full speed (resume)."""

    speed: float
    catch_up_until_ns: int = -1
    sleep: Callable[[float], None] = time.sleep
    monotonic: Callable[[], float] = time.monotonic
    _anchor_wall: float | None = None
    _anchor_ns: int = 0

    def __post_init__(self) -> None:
        if not self.speed > 0:
            raise ValueError(f"speed must be > 0, got {self.speed}")

    def __call__(self, end_ns: int) -> None:
        if end_ns <= self.catch_up_until_ns:
            return
        if self._anchor_wall is None:
            self._anchor_wall = self.monotonic()
            self._anchor_ns = end_ns
            return
        due = self._anchor_wall + (end_ns - self._anchor_ns) / 1e9 / self.speed
        wait = due - self.monotonic()
        if wait > 0:
            self.sleep(wait)


class WriteThroughJournal:
    """An :class:`OrderJournal` that saves through a callback as events happen, skipping
    what an earlier life of the session already stored (and checking it matches)."""

    def __init__(
        self,
        save: Callable[[Order], None],
        stored: dict[str, Order] | None = None,
        refused: Callable[[OrderEvent], None] | None = None,
    ) -> None:
        self._save = save
        self._stored = stored or {}
        self._refused = refused
        self.replayed = 0
        self.written = 0

    def _known(self, order: Order) -> bool:
        old = self._stored.get(str(order.client_order_id))
        if old is None:
            return False
        new_seq = order.events[-1].seq if order.events else 0
        old_seq = old.events[-1].seq if old.events else 0
        if new_seq > old_seq:
            return False  # history goes on beyond what was stored: write the rest
        mine = [(e.status, e.fill.fill_id if e.fill else None) for e in order.events]
        theirs = [(e.status, e.fill.fill_id if e.fill else None) for e in old.events[:new_seq]]
        if mine != theirs or old.quantity != order.quantity or old.side is not order.side:
            raise ResumeMismatch(
                f"order {order.client_order_id} differs from the stored one: the bars, "
                "strategy, parameters or seed changed since the session started"
            )
        self.replayed += 1
        return True

    def order_created(self, order: Order) -> None:
        if not self._known(order):
            self._save(order)
            self.written += 1

    def order_event(self, order: Order | None, event: OrderEvent) -> None:
        if order is None:
            if self._refused is not None:
                self._refused(event)
            return
        if not self._known(order):
            self._save(order)
            self.written += 1


def resume_point(stored: dict[str, Order]) -> int:
    """The time (ns) of the last stored event: replay runs unpaced up to it."""
    last = -1
    for order in stored.values():
        for event in order.events:
            last = max(last, int(event.ts.timestamp() * 1_000_000) * 1000)
    return last


__all__ = ["OrderJournal", "Pacer", "ResumeMismatch", "WriteThroughJournal", "resume_point"]
