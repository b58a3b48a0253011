"""``tronlab backtest``, ``tronlab runs list|show`` and ``tronlab strategies``."""

from __future__ import annotations

import time
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from tronlab.cli.common import console, fail, print_json, state

JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of tables.")]

# Options that `backtest` and `paper` share (one definition, the same help text).
StrategyOpt = Annotated[
    str, typer.Option("--strategy", "-s", help="Strategy name (see `tronlab strategies`).")
]
SymbolOpt = Annotated[
    list[str], typer.Option("--symbol", help="Symbol in the bar store (repeat for more).")
]
TimeframeOpt = Annotated[str, typer.Option("--timeframe", "-t", help="Bar timeframe.")]
StartOpt = Annotated[str | None, typer.Option(help="First day (YYYY-MM-DD, exchange time).")]
EndOpt = Annotated[str | None, typer.Option(help="Day after the last (exclusive).")]
ParamOpt = Annotated[
    list[str] | None, typer.Option("--param", "-p", help="Strategy parameter NAME=VALUE.")
]
CashOpt = Annotated[
    str | None, typer.Option(help="Initial cash (default: the risk profile's capital).")
]
ProfileOpt = Annotated[
    str, typer.Option(help="Risk profile: tron-default, production or research (no rules).")
]
CostsOpt = Annotated[str, typer.Option(help="Cost model: zerodha, alpaca, zero or percent:RATE.")]
SeedOpt = Annotated[int, typer.Option(help="Seed of client order ids.")]

runs_app = typer.Typer(help="Stored backtest, paper and live runs.", no_args_is_help=True)


def backtest(
    ctx: typer.Context,
    strategy: StrategyOpt,
    symbol: SymbolOpt,
    timeframe: TimeframeOpt = "1m",
    start: StartOpt = None,
    end: EndOpt = None,
    param: ParamOpt = None,
    cash: CashOpt = None,
    profile: ProfileOpt = "tron-default",
    costs: CostsOpt = "zerodha",
    fill: Annotated[
        str, typer.Option(help="Market orders fill at next_open (default) or close.")
    ] = "next_open",
    limit_fill: Annotated[
        str, typer.Option(help="Limit fills need price 'through' the limit or a 'touch'.")
    ] = "through",
    slippage: Annotated[str, typer.Option(help="none, bps:N, ticks:N or impact:N.")] = "none",
    participation: Annotated[
        float | None, typer.Option(help="Max share of a bar's volume per fill (0-1].")
    ] = None,
    latency_bars: Annotated[int, typer.Option(help="Bars before an order can fill.")] = 0,
    latency_ms: Annotated[int, typer.Option(help="Order latency in milliseconds.")] = 0,
    product: Annotated[str | None, typer.Option(help="MIS, CNC or NRML.")] = None,
    seed: SeedOpt = 7,
    save: Annotated[bool, typer.Option("--save/--no-save", help="Store the run.")] = True,
    json_out: JsonOpt = False,
) -> None:
    """Backtest a strategy on bars from the bar store, store the run and print a summary."""
    from tronlab.data.store import BarStore, SeriesNotFound
    from tronlab.engine.backtest import BacktestConfig, run_backtest
    from tronlab.storage import Database, migrate
    from tronlab.storage.backtests import BacktestRecorder
    from tronlab.strategy import ParamError, get_strategy, parse_assignments

    settings = state(ctx).settings
    try:
        params = parse_assignments(param or [])
        get_strategy(strategy)(**params)  # validate early, with clear messages
        initial = initial_cash(cash, profile)
    except (ParamError, ValueError) as exc:
        fail(str(exc), code=2)
    except InvalidOperation:
        fail(f"--cash must be a number, got {cash!r}", code=2)
    try:
        config = BacktestConfig(
            symbols=tuple(s.upper() for s in symbol),
            timeframe=timeframe,
            start=start,
            end=end,
            initial_cash=initial,
            costs=costs,
            market_fill=fill,
            limit_fill=limit_fill,
            slippage=slippage,
            participation=participation,
            latency_bars=latency_bars,
            latency_ms=latency_ms,
            product=product,
            seed=seed,
            params=params,
            risk_profile=profile,
        )
    except ValueError as exc:
        fail(str(exc), code=2)
    store = BarStore(settings.bar_store_dir)
    recorder = None
    db = None
    if save:
        migrate.upgrade(settings.database_url)
        db = Database(settings.database_url)
        recorder = BacktestRecorder(db)
    t0 = time.perf_counter()
    with Progress(
        TextColumn("[bold]backtest"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("bars"),
        TimeElapsedColumn(),
        console=console,
        transient=True,
        disable=json_out,
    ) as bar:
        task = bar.add_task("run", total=None)

        def progress(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        try:
            result = run_backtest(
                strategy, config, store=store, recorder=recorder, progress=progress
            )
        except SeriesNotFound as exc:
            fail(str(exc), code=1)
        except ValueError as exc:
            fail(str(exc), code=2)
        finally:
            if db is not None:
                db.dispose()
    elapsed = time.perf_counter() - t0
    s = result.summary
    if json_out:
        print_json(
            {
                "run_id": result.run_id,
                "strategy": result.strategy,
                "params": dict(result.params),
                "trades": s["trades"],
                "net_pnl": s["net_pnl"],
                "fees": s["fees"],
                "final_equity": s["final_equity"],
                "summary": dict(s),
                "fingerprint": result.fingerprint,
                "code_version": result.code_version,
                "seconds": round(elapsed, 3),
            }
        )
        return
    table = Table(title=f"backtest {result.strategy} {', '.join(config.symbols)} {timeframe}")
    table.add_column("metric")
    table.add_column("value", justify="right")
    rows: list[tuple[str, Any]] = [
        ("bars", f"{s['bars']:,}"),
        ("period", f"{s['first_bar']} .. {s['last_bar']}"),
        ("trades", s["trades"]),
        ("win rate", "—" if s["win_rate"] is None else f"{s['win_rate']:.1%}"),
        ("gross PnL", f"{s['gross_pnl']:,.2f}"),
        ("fees", f"{s['fees']:,.2f}"),
        ("net PnL", f"{s['net_pnl']:,.2f}"),
        ("return", f"{s['return_pct']:.3f}%"),
        ("max drawdown", f"{s['max_drawdown_pct']:.3f}%"),
        ("final equity", f"{s['final_equity']:,.2f}"),
        ("orders / fills / rejected", f"{s['orders']} / {s['fills']} / {s['rejected']}"),
        ("strategy errors", s["strategy_errors"]),
        ("risk profile / denials", f"{profile} / {s.get('risk_denials', 0)}"),
    ]
    for k, v in rows:
        table.add_row(k, str(v))
    console.print(table)
    speed = s["bars"] / elapsed if elapsed > 0 else 0
    if result.run_id:
        console.print(
            f"run [bold]{result.run_id}[/] saved · {elapsed:.2f}s ({speed:,.0f} bars/s) · "
            f"`tronlab runs show {result.run_id}`",
            highlight=False,
        )


@runs_app.command("list")
def runs_list(
    ctx: typer.Context,
    kind: Annotated[str | None, typer.Option(help="backtest, paper or live.")] = None,
    limit: Annotated[int, typer.Option(help="At most this many, newest first.")] = 20,
    json_out: JsonOpt = False,
) -> None:
    """List stored runs, newest first."""
    from tronlab.storage import Database, migrate
    from tronlab.storage.backtests import list_runs

    settings = state(ctx).settings
    migrate.upgrade(settings.database_url)
    db = Database(settings.database_url)
    try:
        runs = list_runs(db, kind=kind, limit=limit)
    finally:
        db.dispose()
    if json_out:
        print_json(
            [
                {
                    "run_id": r.id,
                    "kind": r.kind,
                    "strategy": r.strategy,
                    "status": r.status,
                    "started_at": r.started_at.isoformat(),
                    "symbols": r.config.get("symbols"),
                    "summary": r.metrics,
                }
                for r in runs
            ]
        )
        return
    table = Table(title="runs")
    for col in ("run", "kind", "strategy", "symbols", "status", "trades", "net PnL"):
        table.add_column(col, justify="right" if col in ("trades", "net PnL") else "left")
    for r in runs:
        m = r.metrics or {}
        net = m.get("net_pnl")
        table.add_row(
            r.id,
            r.kind,
            r.strategy,
            ",".join(r.config.get("symbols") or []),
            r.status,
            str(m.get("trades", "")),
            "" if net is None else f"{net:,.2f}",
        )
    console.print(table)


@runs_app.command("show")
def runs_show(
    ctx: typer.Context,
    run: Annotated[str, typer.Argument(help="Run id (a unique prefix is enough).")],
    json_out: JsonOpt = False,
    equity: Annotated[
        bool, typer.Option("--equity/--no-equity", help="Include the equity curve in JSON.")
    ] = True,
) -> None:
    """Show one run: summary, trades and fills (JSON has the equity curve too)."""
    from tronlab.storage import Database, migrate
    from tronlab.storage.backtests import load_run
    from tronlab.storage.repositories import RecordNotFound

    settings = state(ctx).settings
    migrate.upgrade(settings.database_url)
    db = Database(settings.database_url)
    try:
        doc = load_run(db, run, equity=equity)
    except RecordNotFound as exc:
        fail(str(exc), code=1)
    finally:
        db.dispose()
    if json_out:
        print_json(doc)
        return
    s = doc["summary"]
    console.print(
        f"[bold]{doc['run_id']}[/] {doc['kind']} {doc['strategy']} "
        f"{','.join(doc['config'].get('symbols') or [])} · {doc['status']}",
        highlight=False,
    )
    summary = Table(show_header=False)
    for key in ("trades", "net_pnl", "fees", "final_equity", "return_pct", "max_drawdown_pct"):
        summary.add_row(key, str(s.get(key)))
    console.print(summary)
    trades = Table(title=f"trades ({len(doc['trades'])})")
    for col in ("symbol", "side", "qty", "entry", "price", "exit", "price ", "pnl", "exit reason"):
        trades.add_column(col)
    for t in doc["trades"][:50]:
        trades.add_row(
            t["symbol"],
            t["side"],
            f"{t['qty']:g}",
            t["entry_time"],
            f"{t['entry_price']:g}",
            t["exit_time"] or "open",
            "" if t["exit_price"] is None else f"{t['exit_price']:g}",
            f"{t['pnl']:,.2f}",
            (t["exit_reason"] or "")[:40],
        )
    console.print(trades)
    if len(doc["trades"]) > 50:
        console.print(f"… {len(doc['trades']) - 50} more; use --json for all")


def initial_cash(cash: str | None, profile: str) -> Decimal:
    """``--cash``, else the risk profile's capital, else 10,00,000."""
    from tronlab.risk.profiles import risk_profile

    if cash is not None:
        return Decimal(cash)
    capital = risk_profile(profile).capital
    return capital if capital is not None else Decimal(1_000_000)


def strategies(json_out: JsonOpt = False) -> None:
    """List the built-in strategies and their parameters."""
    from tronlab.strategy import available_strategies

    found = available_strategies()
    if json_out:
        print_json(
            {
                name: {
                    p_name: {
                        "type": p.type.__name__,
                        "default": p.default,
                        "low": p.low,
                        "high": p.high,
                        "choices": p.choices,
                        "doc": p.doc,
                    }
                    for p_name, p in cls.parameters().items()
                }
                for name, cls in found.items()
            }
        )
        return
    for name, cls in found.items():
        table = Table(title=f"{name}: {(cls.__doc__ or '').strip().splitlines()[0]}")
        for col in ("parameter", "type", "default", "range", "meaning"):
            table.add_column(col)
        for p_name, p in cls.parameters().items():
            rng = f"{p.low}..{p.high}" if p.low is not None or p.high is not None else ""
            if p.choices:
                rng = "|".join(map(str, p.choices))
            table.add_row(p_name, p.type.__name__, str(p.default), rng, p.doc)
        console.print(table)
