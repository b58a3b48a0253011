"""``tronlab backtest``, ``tronlab runs list|show|compare`` and ``tronlab strategies``."""

from __future__ import annotations

import time
from collections import Counter
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

import typer
from rich.table import Table

from tronlab.cli.common import console, counted_progress, fail, print_json, state

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
    derivatives: Annotated[
        str | None,
        typer.Option(help="Add synthetic F&O of the index --symbol: future, options or both."),
    ] = None,
    underlying: Annotated[
        str | None, typer.Option(help="F&O underlying of the index (default: from its name).")
    ] = None,
    strikes: Annotated[
        int, typer.Option(help="Option strikes beyond the index's range, each side.")
    ] = 5,
    vol: Annotated[float, typer.Option(help="Flat volatility of synthetic options.")] = 0.15,
    vix: Annotated[
        str | None, typer.Option(help="VIX-like series in the store driving option volatility.")
    ] = None,
    json_out: JsonOpt = False,
) -> None:
    """Backtest a strategy on bars from the bar store, store the run and print a summary.

    With ``--derivatives`` the run also trades synthetic futures and/or options of the one
    index ``--symbol`` (see ``tronlab.engine.derivatives``), settled at expiry against it.
    A strategy that plans its days (``auto``) gets the store's daily bars before ``--start``
    to warm up on, and the plans of a stored run are saved with it (``tronlab plan``,
    ``tronlab runs show --json``)."""
    from tronlab.cli.strategy_cmd import load_user
    from tronlab.data.store import BarStore, SeriesNotFound
    from tronlab.engine.backtest import BacktestConfig, run_backtest
    from tronlab.storage import Database, migrate
    from tronlab.storage.backtests import BacktestRecorder
    from tronlab.storage.plans import PlanStore
    from tronlab.strategy import ParamError, get_strategy, parse_assignments

    settings = state(ctx).settings
    load_user(settings)  # user strategies from settings.paths.strategies
    try:
        params = parse_assignments(param or [])
        cls = get_strategy(strategy)
        cls(**params)  # validate early, with clear messages
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
    try:
        warmup = warmup_history(store, cls, config.symbols, config.timeframe, config.start)
    except SeriesNotFound as exc:
        fail(str(exc), code=1)
    strat = cls(**params, **({"history": warmup} if warmup else {}))
    exchange = plan_exchange(store, config.symbols[0], config.timeframe)
    inputs: dict[str, Any] = {}
    if derivatives is not None:
        inputs, config = _derivative_inputs(
            store, config, derivatives, underlying, strikes, vol, vix
        )
    recorder = None
    db = None
    if save:
        migrate.upgrade(settings.database_url)
        db = Database(settings.database_url)
        recorder = BacktestRecorder(db)
    t0 = time.perf_counter()
    with counted_progress("backtest", "bars", disable=json_out) as progress:
        try:
            result = run_backtest(
                strat, config, store=store, recorder=recorder, progress=progress, **inputs
            )
            plans = list(getattr(strat, "plans", None) or [])
            if db is not None and result.run_id and plans:
                PlanStore(db, exchange).save_run(result.strategy, result.run_id, plans)
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
                "plans": len(plans),
                "warmup_sessions": {sym: len(frame) for sym, frame in warmup.items()},
                "seconds": round(elapsed, 3),
            }
        )
        return
    shown = ", ".join(config.symbols) if not inputs else f"{config.symbols[0]} + F&O"
    table = Table(title=f"backtest {result.strategy} {shown} {timeframe}")
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
    if plans:
        regimes = Counter(p.regime for p in plans)
        rows.append(("daily plans", ", ".join(f"{r} {n}" for r, n in regimes.most_common())))
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


#: Rows of `runs compare` and `ab`: (label, metric key, format).
COMPARE_ROWS: tuple[tuple[str, str, str], ...] = (
    ("net PnL", "net_pnl", "money"),
    ("return", "return_pct", "pct"),
    ("max drawdown", "max_drawdown_pct", "pct"),
    ("trades", "trades", ""),
    ("win rate", "win_rate", "frac"),
    ("fees", "fees", "money"),
    ("final equity", "final_equity", "money"),
    ("sessions", "sessions", ""),
    ("mean daily return", "mean_daily_return", "small"),
    ("Sharpe (ann.)", "sharpe", "ratio"),
    ("Sortino (ann.)", "sortino", "ratio"),
    ("volatility (ann.)", "volatility_ann", "frac"),
)


@runs_app.command("compare")
def runs_compare(
    ctx: typer.Context,
    runs: Annotated[list[str], typer.Argument(help="Two or more run ids (unique prefixes).")],
    json_out: JsonOpt = False,
) -> None:
    """Compare stored runs side by side: summary metrics and daily Sharpe/Sortino."""
    from tronlab.cli.ab_cmd import equity_frame, fmt, run_metrics
    from tronlab.storage import Database, migrate
    from tronlab.storage.backtests import load_run
    from tronlab.storage.repositories import RecordNotFound

    if len(runs) < 2:
        fail("give at least two runs to compare", code=2)
    settings = state(ctx).settings
    migrate.upgrade(settings.database_url)
    db = Database(settings.database_url)
    try:
        docs = [load_run(db, r) for r in runs]
    except RecordNotFound as exc:
        fail(str(exc), code=1)
    finally:
        db.dispose()
    rows = []
    for doc in docs:
        tz = str(doc["config"].get("timezone") or doc["summary"].get("timezone") or "UTC")
        rows.append(
            {
                "run_id": doc["run_id"],
                "kind": doc["kind"],
                "strategy": doc["strategy"],
                "params": doc["config"].get("params") or {},
                "symbols": doc["config"].get("symbols") or [],
                "timeframe": doc["config"].get("timeframe"),
                "summary": run_metrics(doc["summary"], equity_frame(doc["equity_curve"]), tz),
            }
        )
    if json_out:
        print_json(rows)
        return
    table = Table(title=f"{len(rows)} runs")
    table.add_column("metric")
    for r in rows:
        table.add_column(r["run_id"], justify="right")
    table.add_row("strategy", *(r["strategy"] for r in rows))
    table.add_row("params", *(",".join(f"{k}={v}" for k, v in r["params"].items()) for r in rows))
    table.add_row("data", *(f"{','.join(r['symbols'])} {r['timeframe']}" for r in rows))
    for label, key, kind in COMPARE_ROWS:
        table.add_row(label, *(fmt(r["summary"].get(key), kind) for r in rows))
    console.print(table)


def _derivative_inputs(
    store: Any,
    config: Any,
    kind: str,
    underlying: str | None,
    strikes: int,
    vol: float,
    vix: str | None,
) -> tuple[dict[str, Any], Any]:
    """``run_backtest`` inputs (frames, instruments, calendars) and the config for a run
    with the synthetic F&O of the one index symbol."""
    from dataclasses import replace

    from tronlab.data.store import SeriesNotFound
    from tronlab.engine.derivatives import load_derivatives

    if len(config.symbols) != 1:
        fail("--derivatives needs exactly one --symbol: the index", code=2)
    try:
        market, calendar = load_derivatives(
            store, config.symbols[0], config.timeframe, config.start, config.end, kind,
            underlying=underlying, strikes_each_side=strikes, vol=vol, vix_symbol=vix,
        )  # fmt: skip
    except SeriesNotFound as exc:
        fail(str(exc), code=1)
    except ValueError as exc:
        fail(str(exc), code=2)
    inputs = {
        "frames": market.frames,
        "instruments": market.instruments,
        "calendars": dict.fromkeys(market.frames, calendar),
    }
    return inputs, replace(config, symbols=tuple(market.frames), underlyings=market.underlyings)


WARMUP_DAYS = 500  # calendar days of history read for a planning strategy's warm-up


def warmup_history(
    store: Any, cls: type, symbols: tuple[str, ...], timeframe: str, start: str | None
) -> dict[str, Any]:
    """Daily bars of ``symbols`` from the store before ``start`` (the last ``WARMUP_DAYS``
    calendar days, stamped at local midnight in the exchange's zone), for a strategy whose
    constructor takes a ``history`` (``auto``: its selector warms up on them instead of on
    the run's first sessions). Empty without ``--start`` or for other strategies; a symbol
    without bars before the start is left out."""
    import inspect

    import pandas as pd

    from tronlab.data.bars import Timeframe
    from tronlab.data.calendars import get_calendar
    from tronlab.data.resample import resample

    if start is None or "history" not in inspect.signature(cls).parameters:
        return {}
    tf = Timeframe.parse(timeframe)
    daily = Timeframe.parse("1d")
    first = (pd.Timestamp(start) - pd.Timedelta(days=WARMUP_DAYS)).date().isoformat()
    out: dict[str, Any] = {}
    for symbol in symbols:
        calendar = get_calendar(store.info(symbol, tf).calendar or "NSE")
        bars = store.read(symbol, tf, start=first, end=start)
        if bars.empty:
            continue
        if tf != daily:
            bars = resample(bars, calendar, daily, drop_outside=True, source_timeframe=tf)
        bars["timestamp"] = pd.DatetimeIndex(bars["timestamp"]).tz_convert(calendar.tz)
        out[symbol] = bars.reset_index(drop=True)
    return out


def plan_exchange(store: Any, symbol: str, timeframe: str) -> str:
    """The exchange (calendar name) a run's plans are stored under: its first symbol's."""
    from tronlab.data.store import SeriesNotFound

    try:
        return str(store.info(symbol, timeframe).calendar or "NSE")
    except SeriesNotFound:  # the run itself reports the missing series
        return "NSE"


def initial_cash(cash: str | None, profile: str) -> Decimal:
    """``--cash``, else the risk profile's capital, else 10,00,000."""
    from tronlab.risk.profiles import risk_profile

    if cash is not None:
        return Decimal(cash)
    capital = risk_profile(profile).capital
    return capital if capital is not None else Decimal(1_000_000)


def strategies(json_out: JsonOpt = False) -> None:
    """List the built-in strategies and their parameters (`strategy list` adds user ones)."""
    from tronlab.cli.strategy_cmd import params_table
    from tronlab.strategy.user import catalogue

    found = [e for e in catalogue() if e["source"] == "builtin"]
    if json_out:
        print_json({e["name"]: e["params"] for e in found})
        return
    for entry in found:
        console.print(params_table(entry))
