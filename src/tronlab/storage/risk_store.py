"""The risk governor's storage side: the kill switch, session state and the audit trail."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any

from tronlab.storage.backtests import risk_event_row
from tronlab.storage.db import Database

KILL_SWITCH = "kill_switch"


def set_kill_switch(db: Database, on: bool, reason: str = "") -> dict[str, Any]:
    doc = {"on": on, "reason": reason}
    with db.unit_of_work() as uow:
        uow.risk_state.put(KILL_SWITCH, doc)
        uow.audit.append("cli", "risk.kill" if on else "risk.resume", "risk", KILL_SWITCH, doc)
    return doc


def get_kill_switch(db: Database) -> dict[str, Any]:
    with db.unit_of_work() as uow:
        return uow.risk_state.get(KILL_SWITCH) or {"on": False, "reason": ""}


def kill_switch_reader(db: Database, every_s: float = 1.0) -> Callable[[], tuple[bool, str]]:
    """Reads the kill switch at most once per ``every_s`` wall seconds (sessions poll it on
    every bar)."""
    cache: dict[str, Any] = {"at": -1e18, "value": (False, "")}

    def read() -> tuple[bool, str]:
        now = time.monotonic()
        if now - cache["at"] >= every_s:
            doc = get_kill_switch(db)
            cache["value"] = (bool(doc.get("on")), str(doc.get("reason", "")))
            cache["at"] = now
        value: tuple[bool, str] = cache["value"]
        return value

    return read


def risk_audit_writer(
    db: Database, run_id: str, skip: int = 0
) -> Callable[[Mapping[str, Any]], None]:
    """Writes each decision as it happens; the first ``skip`` are ones a resumed session
    already stored (its deterministic replay produces them again, in the same order)."""
    left = {"skip": skip}

    def write(rec: Mapping[str, Any]) -> None:
        if left["skip"] > 0:
            left["skip"] -= 1
            return
        with db.unit_of_work() as uow:
            uow.session.add(risk_event_row(run_id, rec))

    return write


class StateWriter:
    """Stores a session's governor state at most once per ``every_s`` wall seconds, and on
    :meth:`flush`. What a crash loses in between, the restarted session's deterministic
    replay recomputes; the stored copy is what ``tronlab risk status`` shows."""

    def __init__(self, db: Database, run_id: str, every_s: float = 1.0) -> None:
        self.db = db
        self.key = f"run:{run_id}"
        self.every_s = every_s
        self._last = -1e18
        self._pending: Any = None

    def __call__(self, state: Any) -> None:
        self._pending = state
        now = time.monotonic()
        if now - self._last >= self.every_s:
            self.flush()
            self._last = now

    def flush(self) -> None:
        if self._pending is None:
            return
        with self.db.unit_of_work() as uow:
            uow.risk_state.put(self.key, self._pending.to_dict())
        self._pending = None


def state_writer(db: Database, run_id: str, every_s: float = 1.0) -> StateWriter:
    return StateWriter(db, run_id, every_s)


def count_risk_events(db: Database, run_id: str) -> int:
    with db.unit_of_work() as uow:
        return len(uow.risk_events.list(run_id=run_id))


def run_state(db: Database, run_id: str) -> dict[str, Any] | None:
    with db.unit_of_work() as uow:
        return uow.risk_state.get(f"run:{run_id}")
