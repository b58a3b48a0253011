"""Paper sessions in the database: one run per named session, reopened on restart, with
every order saved (write-through) in its own transaction."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from tronlab.model import Order
from tronlab.storage.db import Database
from tronlab.storage.models import RunRow


def open_session(
    db: Database, session: str, strategy: str, config: Mapping[str, Any]
) -> tuple[str, dict[str, Order], bool]:
    """The run of paper session ``session``: ``(run_id, stored orders by id, resumed)``.

    A session that has not completed is reopened (status back to ``running``) with its
    orders; otherwise a new run starts."""
    with db.unit_of_work() as uow:
        for run in uow.runs.list(kind="paper", limit=1000):
            if run.config.get("session") == session and run.status != "completed":
                if dict(run.config) != {**dict(config), "session": session}:
                    raise ValueError(
                        f"paper session {session!r} was started with another configuration; "
                        "use a new --session name"
                    )
                row = uow.session.get(RunRow, run.id)
                if row is not None:
                    row.status, row.ended_at, row.error = "running", None, None
                orders = {str(o.client_order_id): o for o in uow.orders.list(run_id=run.id)}
                return run.id, orders, True
        run = uow.runs.create("paper", strategy, {**dict(config), "session": session})
        return run.id, {}, False


def order_saver(db: Database, run_id: str) -> Callable[[Order], None]:
    """Saves one order's new events and fills, committed at once (write-through)."""

    def save(order: Order) -> None:
        with db.unit_of_work() as uow:
            uow.orders.save(order, run_id=run_id)

    return save


def finish_session(db: Database, run_id: str, status: str, summary: Mapping[str, Any]) -> None:
    with db.unit_of_work() as uow:
        uow.runs.finish(run_id, status=status, metrics=dict(summary))
