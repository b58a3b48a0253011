"""``tronlab paper``: a paper session on a paced replay, resumable after any crash."""

from __future__ import annotations

import signal
from decimal import InvalidOperation
from typing import Annotated, Any

import typer

from tronlab.cli.backtest_cmd import (
    CashOpt,
    CostsOpt,
    EndOpt,
    ParamOpt,
    ProfileOpt,
    SeedOpt,
    StartOpt,
    StrategyOpt,
    SymbolOpt,
    TimeframeOpt,
    initial_cash,
    warmup_history,
)
from tronlab.cli.common import console, fail, print_json, state


def paper(
    ctx: typer.Context,
    strategy: StrategyOpt,
    symbol: SymbolOpt,
    replay: Annotated[
        bool, typer.Option("--replay", help="Replay stored bars (the only feed until brokers).")
    ] = True,
    speed: Annotated[
        float, typer.Option(help="Replay speed: 1 = real time, 60 = a minute per second.")
    ] = 60.0,
    session: Annotated[
        str | None,
        typer.Option(help="Session name; the same name resumes (default from the inputs)."),
    ] = None,
    timeframe: TimeframeOpt = "1m",
    start: StartOpt = None,
    end: EndOpt = None,
    param: ParamOpt = None,
    cash: CashOpt = None,
    profile: ProfileOpt = "tron-default",
    costs: CostsOpt = "zerodha",
    seed: SeedOpt = 7,
    json_out: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Run a paper session: the backtest engine on a paced replay against the paper broker.

    Every order, event and fill is written when it happens. Ctrl-C stops at the next bar and
    keeps working orders; running the same command again (or after a crash, even `kill -9`)
    resumes where it stopped, with the same orders, positions and cash, and never sends an
    order twice.
    """
    from tronlab.cli.backtest_cmd import plan_exchange
    from tronlab.cli.strategy_cmd import load_user
    from tronlab.data.store import BarStore, SeriesNotFound
    from tronlab.engine.backtest import BacktestConfig, run_backtest
    from tronlab.engine.paper import Pacer, ResumeMismatch, WriteThroughJournal, resume_point
    from tronlab.risk.profiles import build_governor, risk_profile
    from tronlab.storage import Database, migrate
    from tronlab.storage.paper import finish_session, open_session, order_saver
    from tronlab.storage.plans import PlanStore
    from tronlab.storage.risk_store import (
        count_risk_events,
        kill_switch_reader,
        risk_audit_writer,
        state_writer,
    )
    from tronlab.strategy import ParamError, get_strategy, parse_assignments

    if not replay:
        fail("only --replay is available until the broker adapters land", code=2)
    settings = state(ctx).settings
    load_user(settings)  # user strategies from settings.paths.strategies
    store = BarStore(settings.bar_store_dir)
    try:
        params = parse_assignments(param or [])
        cls = get_strategy(strategy)
        cls(**params)
        config = BacktestConfig(
            symbols=tuple(s.upper() for s in symbol), timeframe=timeframe, start=start, end=end,
            initial_cash=initial_cash(cash, profile), costs=costs, seed=seed, params=params,
            risk_profile=profile,
        )  # fmt: skip
        pacer = Pacer(speed)
        # a planning strategy (auto) warms up on the daily bars before --start
        warmup = warmup_history(store, cls, config.symbols, config.timeframe, config.start)
        strat = cls(**params, **({"history": warmup} if warmup else {}))
    except (ParamError, ValueError, InvalidOperation) as exc:
        fail(str(exc), code=2)
    except SeriesNotFound as exc:
        fail(str(exc), code=1)
    name = session or f"{strategy}-{'-'.join(config.symbols)}-{timeframe}-{start}-{end}-s{seed}"
    migrate.upgrade(settings.database_url)
    db = Database(settings.database_url)
    engines: list[Any] = []
    stopped = False

    def on_signal(signum: int, _frame: Any) -> None:
        nonlocal stopped
        stopped = True
        for engine in engines:
            engine.request_stop()

    try:
        try:
            run_id, stored, resumed = open_session(db, name, strategy, config.to_dict())
        except ValueError as exc:
            fail(str(exc), code=2)
        pacer.catch_up_until_ns = resume_point(stored)
        journal = WriteThroughJournal(order_saver(db, run_id), stored)
        persist = state_writer(db, run_id)
        governor = build_governor(
            risk_profile(profile),
            audit=risk_audit_writer(db, run_id, skip=count_risk_events(db, run_id)),
            persist=persist,
            kill_switch=kill_switch_reader(db),
        )
        if not json_out:
            verb = f"resuming ({len(stored)} stored orders)" if resumed else "starting"
            console.print(
                f"paper session [bold]{name}[/] run {run_id}: {verb}; speed {speed:g}x; "
                "Ctrl-C stops and keeps the session resumable",
                highlight=False,
            )
        if hasattr(strat, "on_plan"):  # each day's plan is stored as soon as it is made
            plans = PlanStore(db, plan_exchange(store, config.symbols[0], timeframe))
            strat.on_plan = lambda plan: plans.save_run(strategy, run_id, [plan])
        previous = signal.signal(signal.SIGINT, on_signal)
        previous_term = signal.signal(signal.SIGTERM, on_signal)
        try:
            result = run_backtest(
                strat, config, store=store, journal=journal,
                pacer=pacer, engine_hook=engines.append, run_id=run_id, risk=governor,
            )  # fmt: skip
        except SeriesNotFound as exc:
            fail(str(exc), code=1)
        except ResumeMismatch as exc:
            fail(str(exc), code=3)
        finally:
            signal.signal(signal.SIGINT, previous)
            signal.signal(signal.SIGTERM, previous_term)
        persist(governor.state)
        persist.flush()
        status = "aborted" if stopped else "completed"
        finish_session(db, run_id, status, result.summary)
    finally:
        db.dispose()
    s = result.summary
    out = {
        "run_id": run_id,
        "session": name,
        "status": status,
        "resumed": resumed,
        "orders_replayed": journal.replayed,
        "orders_written": journal.written,
        "trades": s["trades"],
        "net_pnl": s["net_pnl"],
        "fees": s["fees"],
        "final_equity": s["final_equity"],
        "open_orders": len(engines[0].exchange.working_orders()) if engines else 0,
        "trading_state": governor.trading_state.value,
        "risk_denials": s.get("risk_denials", 0),
    }
    if json_out:
        print_json(out)
        return
    console.print(
        f"{status}: {s['trades']} trades, net PnL {s['net_pnl']:,.2f}, fees {s['fees']:,.2f}, "
        f"equity {s['final_equity']:,.2f}; `tronlab runs show {run_id}`",
        highlight=False,
    )
