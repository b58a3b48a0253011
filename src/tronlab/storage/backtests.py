"""Saving and reading backtest runs: the run row (config, fingerprint, code version, summary),
its orders with events and fills, and the result documents (trades, equity curve, refusals,
strategy errors) as run artifacts; a run's daily plans (``auto``) are read back with it
(stored by :meth:`tronlab.storage.plans.PlanStore.save_run`)."""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from tronlab.storage.db import Database
from tronlab.storage.jsonutil import to_jsonable
from tronlab.storage.models import RiskEventRow, RunArtifactRow
from tronlab.storage.plans import run_plan_name
from tronlab.storage.repositories import RecordNotFound, RunRecord
from tronlab.storage.repositories.runs import new_run_id

JSON_GZ = "application/json+gzip"


def _pack(records: Sequence[Any]) -> bytes:
    text = json.dumps(records, separators=(",", ":"), sort_keys=True)
    return gzip.compress(text.encode(), mtime=0)


def _unpack(content: bytes) -> Any:
    return json.loads(gzip.decompress(content).decode())


class BacktestRecorder:
    """Implements :class:`tronlab.engine.backtest.RunRecorder` on a :class:`Database`."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def new_run_id(self) -> str:
        return new_run_id(self.db.clock())

    def save_backtest(self, result: Any, run_id: str) -> str:
        config = {
            **dict(result.config),
            "params": dict(result.params),
            "fingerprint": result.fingerprint,
            "code_version": result.code_version,
            "timezone": result.timezone,
        }
        with self.db.unit_of_work() as uow:
            run = uow.runs.create("backtest", result.strategy, config, run_id=run_id or None)
            uow.orders.add_new(result.orders, run_id=run.id)
            now = self.db.clock()
            artifacts = {
                "trades": result.trades_records(),
                "equity_curve": result.equity_records(),
                "refusals": result.refusals_records(),
                "strategy_errors": [
                    {
                        "time": e.ts.isoformat(),
                        "hook": e.hook,
                        "error": e.error_type,
                        "message": e.message,
                    }
                    for e in result.errors
                ],
            }
            uow.session.add_all(
                RunArtifactRow(
                    run_id=run.id,
                    name=name,
                    media_type=JSON_GZ,
                    rows=len(records),
                    content=_pack(records),
                    created_at=now,
                )
                for name, records in artifacts.items()
            )
            add_risk_events(uow.session, run.id, result.extra.get("risk_events", ()))
            state = result.extra.get("risk_state")
            if state is not None:
                uow.risk_state.put(f"run:{run.id}", state)
            uow.runs.finish(run.id, status="completed", metrics=dict(result.summary))
            return run.id


def risk_event_row(run_id: str | None, rec: Mapping[str, Any]) -> RiskEventRow:
    """A governor audit record (see ``RiskGovernor``) as a ``risk_events`` row."""
    ts = rec["ts"]
    payload = {k: v for k, v in rec.items() if k not in _COLUMNS}
    return RiskEventRow(
        ts=datetime.fromisoformat(ts) if isinstance(ts, str) else ts,
        run_id=run_id,
        rule=str(rec.get("rule") or "governor")[:64],
        decision=str(rec["decision"]),
        reason_code=str(rec.get("reason_code") or "OK")[:64],
        message=str(rec.get("message") or ""),
        client_order_id=rec.get("client_order_id"),
        payload=to_jsonable(payload),
    )


_COLUMNS = {"ts", "rule", "decision", "reason_code", "message", "client_order_id"}


def add_risk_events(session: Session, run_id: str | None, records: Iterable[Any]) -> int:
    rows = [risk_event_row(run_id, rec) for rec in records]
    session.add_all(rows)
    session.flush()
    return len(rows)


def list_runs(db: Database, *, kind: str | None = None, limit: int = 50) -> list[RunRecord]:
    with db.unit_of_work() as uow:
        return uow.runs.list(kind=kind, limit=limit)


def equity_curves(
    db: Database, strategy: str, *, kind: str = "backtest", limit: int | None = None
) -> list[tuple[RunRecord, list[dict[str, Any]]]]:
    """The stored runs of ``strategy`` (newest first, at most ``limit``) with their equity
    curves (``time``/``equity`` records; runs without one are left out): the trials behind
    a result, for the variance of their Sharpe ratios."""
    with db.unit_of_work() as uow:
        runs = uow.runs.list(kind=kind, strategy=strategy, limit=limit)
        if not runs:
            return []
        rows = uow.session.execute(
            select(RunArtifactRow.run_id, RunArtifactRow.content).where(
                RunArtifactRow.run_id.in_([r.id for r in runs]),
                RunArtifactRow.name == "equity_curve",
            )
        ).all()
    curves = {run_id: _unpack(content) for run_id, content in rows}
    return [(r, curves[r.id]) for r in runs if r.id in curves]


def artifact(db: Database, run_id: str, name: str) -> Any:
    with db.unit_of_work() as uow:
        row = uow.session.execute(
            select(RunArtifactRow).where(
                RunArtifactRow.run_id == run_id, RunArtifactRow.name == name
            )
        ).scalar_one_or_none()
        return None if row is None else _unpack(row.content)


def load_run(db: Database, run_id: str, *, equity: bool = True) -> dict[str, Any]:
    """A stored run as a JSON-native document (the shape of ``tronlab runs show --json``)."""
    with db.unit_of_work() as uow:
        run = uow.runs.get(run_id)
        if run is None:
            matches = [r.id for r in uow.runs.list(limit=10_000) if r.id.startswith(run_id)]
            if len(matches) != 1:
                hint = f" (ambiguous: {', '.join(matches[:5])})" if matches else ""
                raise RecordNotFound(f"run {run_id} not found{hint}")
            run = uow.runs.get(matches[0])
            if run is None:  # deleted between the two reads
                raise RecordNotFound(f"run {matches[0]} not found")
        tz = str(run.config.get("timezone") or (run.metrics or {}).get("timezone") or "UTC")
        fills = uow.orders.fills(run_id=run.id)
        rows = uow.session.execute(
            select(RunArtifactRow.name, RunArtifactRow.content).where(
                RunArtifactRow.run_id == run.id
            )
        ).all()
        docs = {name: _unpack(content) for name, content in rows}
        plans = (
            [r.plan for r in uow.daily_plans.list(name=run_plan_name(run.strategy, run.id))]
            if run.strategy
            else []
        )

    def iso(ts: Any) -> str:
        return pd.Timestamp(ts).tz_convert(tz).isoformat()

    out: dict[str, Any] = {
        "run_id": run.id,
        "kind": run.kind,
        "strategy": run.strategy,
        "status": run.status,
        "started_at": iso(run.started_at),
        "ended_at": None if run.ended_at is None else iso(run.ended_at),
        "config": run.config,
        "summary": run.metrics or {},
        "error": run.error,
        "fills": [
            {
                "time": iso(f.ts),
                "symbol": f.instrument_id.symbol,
                "side": f.side.value,
                "qty": float(f.quantity),
                "price": float(f.price),
                "fee": float(f.fee),
                "client_order_id": str(f.client_order_id),
            }
            for f in fills
        ],
        "trades": docs.get("trades", []),
        "refusals": docs.get("refusals", []),
        "strategy_errors": docs.get("strategy_errors", []),
        "plans": plans,
    }
    if equity:
        out["equity_curve"] = docs.get("equity_curve", [])
    return out
