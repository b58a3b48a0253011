"""``tronlab risk events|status|kill|resume|profiles``."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any

import typer
from rich.table import Table

from tronlab.cli.common import console, fail, print_json, state

app = typer.Typer(help="The risk governor: decisions, state and the kill switch.",
                  no_args_is_help=True)  # fmt: skip
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of tables.")]


def _db(ctx: typer.Context) -> Any:
    from tronlab.storage import Database, migrate

    settings = state(ctx).settings
    migrate.upgrade(settings.database_url)
    return Database(settings.database_url)


def _latest_run(db: Any) -> str | None:
    from tronlab.storage.backtests import list_runs

    runs = list_runs(db, limit=1)
    return runs[0].id if runs else None


@app.command("events")
def events(
    ctx: typer.Context,
    run: Annotated[str | None, typer.Option(help="Run id (default: the newest run).")] = None,
    day: Annotated[
        str | None, typer.Option("--date", help="Only this day (YYYY-MM-DD, UTC).")
    ] = None,
    denials: Annotated[bool, typer.Option("--denials", help="Only denials.")] = False,
    limit: Annotated[int, typer.Option(help="At most this many rows in the table.")] = 200,
    json_out: JsonOpt = False,
) -> None:
    """Every risk decision of a run: time, rule, decision, reason, symbol and the values."""
    db = _db(ctx)
    try:
        run_id = run or _latest_run(db)
        if run_id is None:
            fail("no runs yet: run `tronlab backtest` or `tronlab paper` first", code=1)
        since = until = None
        if day is not None:
            try:
                d = date.fromisoformat(day)
            except ValueError:
                fail(f"--date must be YYYY-MM-DD, got {day!r}", code=2)
            since = datetime(d.year, d.month, d.day, tzinfo=UTC)
            until = since + timedelta(days=1)
        with db.unit_of_work() as uow:
            rows = uow.risk_events.list(
                run_id=run_id, decision="deny" if denials else None, since=since, until=until
            )
    finally:
        db.dispose()
    out = [
        {
            "time": r.ts.isoformat(),
            "rule": r.rule,
            "decision": r.decision,
            "reason": r.reason_code,
            "message": r.message,
            "symbol": (r.payload or {}).get("symbol"),
            "client_order_id": r.client_order_id,
            "values": (r.payload or {}).get("values", {}),
        }
        for r in rows
    ]
    if json_out:
        print_json({"run_id": run_id, "events": out})
        return
    table = Table(title=f"risk events of run {run_id} ({len(out)})")
    for col in ("time", "rule", "decision", "reason", "symbol", "message"):
        table.add_column(col)
    for e in out[:limit]:
        style = "red" if e["decision"] == "deny" else None
        table.add_row(e["time"], e["rule"], e["decision"], e["reason"], e["symbol"] or "",
                      e["message"][:60], style=style)  # fmt: skip
    console.print(table)
    if len(out) > limit:
        console.print(f"… {len(out) - limit} more; use --json or --denials")


@app.command("status")
def status(
    ctx: typer.Context,
    run: Annotated[str | None, typer.Option(help="Run id (default: the newest run).")] = None,
    json_out: JsonOpt = False,
) -> None:
    """The kill switch and the governor state of a run (trading state, today's counters)."""
    from tronlab.storage.risk_store import get_kill_switch, run_state

    db = _db(ctx)
    try:
        kill = get_kill_switch(db)
        run_id = run or _latest_run(db)
        st = run_state(db, run_id) if run_id else None
    finally:
        db.dispose()
    doc = {"kill_switch": kill, "run_id": run_id, "state": st}
    if json_out:
        print_json(doc)
        return
    flag = "[bold red]ON[/]" if kill.get("on") else "[green]off[/]"
    console.print(f"kill switch: {flag} {kill.get('reason') or ''}", highlight=False)
    if st is None:
        console.print("no governor state stored for this run")
        return
    table = Table(title=f"governor state of run {run_id}", show_header=False)
    for key in ("trading_state", "day", "start_equity", "realized_pnl", "entries",
                "entries_by_strategy", "consecutive_losses", "locks", "squared_off",
                "orders_today"):  # fmt: skip
        table.add_row(key, str(st.get(key)))
    console.print(table)


@app.command("kill")
def kill(
    ctx: typer.Context,
    reason: Annotated[str, typer.Option(help="Why (kept in the audit log).")] = "manual",
) -> None:
    """Set the kill switch: running sessions flatten everything and halt until `resume`."""
    from tronlab.storage.risk_store import set_kill_switch

    db = _db(ctx)
    try:
        set_kill_switch(db, True, reason)
    finally:
        db.dispose()
    console.print(f"[bold red]kill switch ON[/] ({reason}); clear it with `tronlab risk resume`")


@app.command("resume")
def resume(ctx: typer.Context) -> None:
    """Clear the kill switch."""
    from tronlab.storage.risk_store import set_kill_switch

    db = _db(ctx)
    try:
        set_kill_switch(db, False, "resumed")
    finally:
        db.dispose()
    console.print("[green]kill switch cleared[/]")


@app.command("profiles")
def profiles(json_out: JsonOpt = False) -> None:
    """The built-in risk profiles and their settings."""
    from tronlab.risk.profiles import PROFILES, risk_profile

    docs = {name: risk_profile(name).model_dump(mode="json") for name in PROFILES}
    if json_out:
        print_json(docs)
        return
    for name, doc in docs.items():
        enabled = [k for k, v in doc.items() if isinstance(v, dict) and v.get("enabled")]
        console.print(f"[bold]{name}[/]: capital {doc['capital']}, rules: {', '.join(enabled)}")
