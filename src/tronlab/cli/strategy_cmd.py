"""``tronlab strategy list|new|check``: built-in and user strategies.

User strategies live in ``settings.paths.strategies`` (default ``<home>/strategies``): every
``*.py`` file there is imported by the commands that look strategies up (``backtest``,
``paper``, ``strategy list``), and its strategies register by name.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from tronlab.cli.common import console, err_console, fail, print_json, state
from tronlab.config import Settings

app = typer.Typer(help="Built-in and user strategies: list, new, check.", no_args_is_help=True)

JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of tables.")]


def load_user(settings: Settings) -> None:
    """Import the user strategy directory; a broken file is a warning, not a failure."""
    from tronlab.strategy.user import load_user_strategies

    report = load_user_strategies(settings.strategies_dir)
    for message in report.errors.values():
        err_console.print(f"[yellow]warning[/] user strategy skipped: {message}", highlight=False)


@app.command("list")
def list_cmd(ctx: typer.Context, json_out: JsonOpt = False) -> None:
    """Every strategy: name, source (builtin or user file), first doc line, parameters."""
    from tronlab.strategy.user import catalogue

    load_user(state(ctx).settings)
    entries = catalogue()
    if json_out:
        print_json(entries)
        return
    summary = Table(title="strategies")
    for col in ("name", "source", "parameters", "about"):
        summary.add_column(col)
    for e in entries:
        where = e["source"] if e["path"] is None else f"user: {e['path']}"
        summary.add_row(e["name"], where, str(len(e["params"])), e["doc"])
    console.print(summary)
    for e in entries:
        console.print(params_table(e))


def params_table(entry: dict[str, Any]) -> Table:
    """One strategy's parameters as a table (``strategy list``, ``strategies``)."""
    table = Table(title=f"{entry['name']}: {entry['doc']}")
    for col in ("parameter", "type", "default", "range", "meaning"):
        table.add_column(col)
    for name, p in entry["params"].items():
        rng = f"{p['low']}..{p['high']}" if p["low"] is not None or p["high"] is not None else ""
        if p["choices"]:
            rng = "|".join(map(str, p["choices"]))
        table.add_row(name, p["type"], str(p["default"]), rng, p["doc"])
    return table


@app.command("new")
def new(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Strategy name: lower-case, digits, '_'.")],
    directory: Annotated[
        Path | None,
        typer.Option("--dir", help="Where to write it (default: the user strategy directory)."),
    ] = None,
) -> None:
    """Write a documented template strategy NAME.py into the user strategy directory."""
    from tronlab.strategy.user import UserStrategyError, check_new_name, render_template

    settings = state(ctx).settings
    target_dir = directory or settings.strategies_dir
    path = target_dir / f"{name}.py"
    if path.exists():
        fail(f"{path} exists; not overwritten (pick another name or edit that file)", code=1)
    load_user(settings)
    try:
        check_new_name(name)
    except UserStrategyError as exc:
        fail(str(exc), code=2)
    target_dir.mkdir(parents=True, exist_ok=True)
    path.write_text(render_template(name, path), encoding="utf-8")
    console.print(f"wrote [bold]{path}[/]", highlight=False)
    console.print(
        f"next: edit it, then `tronlab strategy check {path}` and "
        f"`tronlab backtest -s {name} --symbol SYNTH_NIFTY`",
        highlight=False,
    )


@app.command("check")
def check(
    file: Annotated[Path, typer.Argument(help="A strategy .py file.")],
    param: Annotated[
        list[str] | None, typer.Option("--param", "-p", help="Parameter NAME=VALUE.")
    ] = None,
    strategy: Annotated[
        str | None, typer.Option("--name", help="Which strategy of the file (default: all).")
    ] = None,
    symbol: Annotated[
        list[str] | None,
        typer.Option("--symbol", help="Synthetic symbol to run on (default SYNTH_NIFTY)."),
    ] = None,
    days: Annotated[int, typer.Option(min=1, max=60, help="Synthetic sessions to run.")] = 1,
    seed: Annotated[int, typer.Option(help="Seed of the synthetic market.")] = 7,
    json_out: JsonOpt = False,
) -> None:
    """Import FILE, validate its parameters and run it on a small synthetic market.

    Exit status: 0 when it ran without errors, 1 when the file does not import or the
    strategy raised, 2 for bad parameters."""
    from tronlab.strategy import INTERFACE_VERSION, ParamError, parse_assignments
    from tronlab.strategy.user import UserStrategyError, load_strategy_file

    try:
        classes = load_strategy_file(file)
    except UserStrategyError as exc:
        fail(str(exc), code=1)
    if strategy is not None:
        picked = [c for c in classes if c.name == strategy]
        if not picked:
            fail(f"{file} has no strategy {strategy!r} ({', '.join(c.name for c in classes)})", 2)
        classes = picked
    try:
        params = parse_assignments(param or [])
    except ParamError as exc:
        fail(str(exc), code=2)
    if params and len(classes) > 1:
        fail(f"{file} defines {len(classes)} strategies; pick one with --name", code=2)
    reports = []
    for cls in classes:
        if cls.interface_version != INTERFACE_VERSION:
            fail(
                f"{cls.name}: interface_version {cls.interface_version} is not supported "
                f"(this tronlab speaks {INTERFACE_VERSION})",
                code=1,
            )
        try:
            instance = cls(**params)
        except ParamError as exc:
            fail(str(exc), code=2)
        except Exception as exc:  # user code: report, do not crash
            fail(f"{cls.name}: constructing it raised {type(exc).__name__}: {exc}", code=1)
        reports.append(_run_check(instance, symbol or ["SYNTH_NIFTY"], days, seed))
    if json_out:
        print_json({"file": str(file), "ok": all(r["ok"] for r in reports), "checks": reports})
    else:
        for r in reports:
            _show_check(r)
    if not all(r["ok"] for r in reports):
        raise typer.Exit(1)


def _run_check(strategy: Any, symbols: list[str], days: int, seed: int) -> dict[str, Any]:
    from tronlab.data.synthetic import generate_market
    from tronlab.engine.backtest import BacktestConfig, run_backtest

    market = generate_market(seed=seed, days=days)
    wanted = [s.upper() for s in symbols]
    unknown = [s for s in wanted if s not in market.symbols]
    if unknown:
        fail(f"--symbol {unknown}: the synthetic market has {', '.join(market.symbols)}", 2)
    config = BacktestConfig(symbols=tuple(wanted), costs="zerodha")
    frames = {s: market.bars[s] for s in wanted}
    try:
        result = run_backtest(
            strategy, config, frames=frames, calendars=dict.fromkeys(wanted, "NSE")
        )
    except Exception as exc:  # set-up errors from user code
        return {
            "strategy": strategy.name,
            "params": dict(strategy.params),
            "ok": False,
            "errors": [{"hook": "setup", "error": f"{type(exc).__name__}: {exc}"}],
        }
    s = result.summary
    return {
        "strategy": strategy.name,
        "params": dict(strategy.params),
        "ok": not result.errors,
        "symbols": wanted,
        "sessions": days,
        "bars": s["bars"],
        "orders": s["orders"],
        "fills": s["fills"],
        "rejected": s["rejected"],
        "trades": result.trades_records(),
        "net_pnl": s["net_pnl"],
        "errors": [
            {
                "hook": e.hook,
                "at": e.ts.isoformat(),
                "error": f"{e.error_type}: {e.message}",
                "traceback": e.traceback,
            }
            for e in result.errors
        ],
    }


def _show_check(r: dict[str, Any]) -> None:
    params = ", ".join(f"{k}={v}" for k, v in r["params"].items())
    console.print(f"[bold]{r['strategy']}[/] ({params})", highlight=False)
    if "bars" in r:
        console.print(
            f"ran on {', '.join(r['symbols'])}: {r['sessions']} synthetic session(s), "
            f"{r['bars']:,} bars · {r['orders']} orders, {r['fills']} fills, "
            f"{r['rejected']} rejected · {len(r['trades'])} trades · net PnL {r['net_pnl']:,.2f}",
            highlight=False,
        )
    if r.get("trades"):
        trades = Table(title="trades")
        for col in ("symbol", "side", "qty", "entry", "exit", "pnl", "exit reason"):
            trades.add_column(col)
        for t in r["trades"][:20]:
            trades.add_row(
                t["symbol"],
                t["side"],
                f"{t['qty']:g}",
                t["entry_time"],
                t["exit_time"] or "open",
                f"{t['pnl']:,.2f}",
                (t["exit_reason"] or "")[:40],
            )
        console.print(trades)
    for e in r["errors"]:
        console.print(f"[bold red]error[/] in {e['hook']}: {e['error']}", highlight=False)
        if e.get("traceback"):
            console.print(e["traceback"].rstrip(), highlight=False, markup=False)
    verdict = "[green]ok[/]" if r["ok"] else f"[red]failed[/] ({len(r['errors'])} error(s))"
    console.print(verdict)


__all__ = ["app", "load_user", "params_table"]
