"""``tronlab demo`` (``make run``): the main job, end to end on the synthetic market.

1. **Data.** Generates the deterministic synthetic NSE market (five stocks, the index
   ``SYNTH_NIFTY`` and the volatility index ``SYNTH_VIX``) and sends it through the real
   import path: validating CSV importer, resampling, gap check (:mod:`tronlab.cli.demo_data`).
   A home that already holds that market is reused as it is (the import is idempotent).
2. **Trading.** Runs the selector-driven daily plan (strategy ``auto``: each morning the regime
   selector picks among VWAP, ORB, Scalp and Range Reversal from the index and the VIX) on the
   five stocks for ``--days`` sessions, under the ``tron-default`` risk profile with Zerodha
   intraday (MIS) costs and one tick of slippage. The selector's history comes from the daily
   bars of the ``--warmup`` sessions before the first traded day, so every traded session has
   a real plan. The run, its orders, risk decisions and daily plans are stored.
3. **Report.** Writes the HTML report (``<home>/reports/RUN.html``), prints the summary, the
   results per strategy, the regimes seen and the significance verdict.
"""

from __future__ import annotations

import time
from collections import Counter
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.panel import Panel
from rich.table import Table

from tronlab.cli.common import console, counted_progress, print_json, state
from tronlab.cli.demo_data import prepare_market
from tronlab.config import Settings
from tronlab.observability import get_logger

log = get_logger(__name__)

PROFILE = "tron-default"
#: each child of the plan asks for this many shares; the plan's risk budget (a share of
#: equity per strategy) cuts it down to what the budget allows
CHILD_PARAMS = "quantity=1000"
#: the synthetic index is a random walk whose daily ADX stays under the textbook 25: the demo
#: also calls a day trending when its ADX is in the top 30 % of its own history
ADX_TREND_PERCENTILE = 0.7


def demo(
    ctx: typer.Context,
    seed: Annotated[int, typer.Option(help="Seed of the synthetic market.")] = 7,
    days: Annotated[
        int, typer.Option(min=5, max=500, help="Sessions traded by the daily plan.")
    ] = 60,
    warmup: Annotated[
        int,
        typer.Option(min=0, max=500, help="Sessions before them that only feed the selector."),
    ] = 30,
    report: Annotated[
        bool, typer.Option("--report/--no-report", help="Write the HTML report.")
    ] = True,
    json_out: Annotated[
        bool, typer.Option("--json", help="Print the run ids and the report path as JSON.")
    ] = False,
) -> None:
    """The main job: synthetic market -> daily plan of four strategies under the risk
    governor -> stored run -> HTML report, summary and significance verdict."""
    app_state = state(ctx)
    settings = app_state.settings
    started = time.perf_counter()
    if not json_out:
        console.print(Panel.fit(f"tronlab demo · home [bold]{settings.home}[/]", style="cyan"))
    market = prepare_market(
        settings, seed, days + warmup, app_state.run_id or "", show=not json_out
    )
    first_day = market.sessions[warmup].date
    result, auto = _trade(settings, market, first_day, quiet=json_out)
    run_id = result.run_id or ""
    html, sig = _report(settings, run_id, write=report, quiet=json_out)
    plans = Counter(p.regime for p in auto.plans)
    per_strategy = _per_strategy(result)
    elapsed = time.perf_counter() - started
    log.info("demo.done", run=run_id, seconds=round(elapsed, 2), report=str(html))
    if json_out:
        print_json(
            {
                "run_ids": [run_id],
                "report": None if html is None else str(html),
                "summary": dict(result.summary),
                "per_strategy": per_strategy,
                "regimes": dict(sorted(plans.items())),
                "significance": sig,
                "seconds": round(elapsed, 2),
            }
        )
        return
    console.print(_summary_table(result.summary, days, first_day))
    console.print(_strategy_table(per_strategy, auto))
    console.print(
        "regimes: " + ", ".join(f"{k} {v} sessions" for k, v in sorted(plans.items())),
        highlight=False,
    )
    if sig.get("verdict"):
        colour = "red" if sig.get("likely_luck") else "green"
        console.print(f"[{colour}]significance: {sig['verdict']}[/]", highlight=False)
    if html is not None:
        console.print(f"report [bold]{html}[/]", highlight=False)
    console.print(
        f"[green]done[/] in {elapsed:.1f}s · run [bold]{run_id}[/] · try "
        f"`tronlab runs show {run_id}`, `tronlab plan`, `tronlab strategy list`",
        highlight=False,
    )


def _trade(settings: Settings, market: Any, first_day: Any, *, quiet: bool) -> tuple[Any, Any]:
    """Run ``auto`` on the stocks from ``first_day``; store the run and its plans."""
    from tronlab.cli.backtest_cmd import initial_cash, warmup_history
    from tronlab.data.store import BarStore
    from tronlab.engine.backtest import BacktestConfig, run_backtest
    from tronlab.storage import Database
    from tronlab.storage.backtests import BacktestRecorder
    from tronlab.storage.plans import PlanStore
    from tronlab.strategy.auto import Auto

    store = BarStore(settings.bar_store_dir)
    index, vix = market.index_symbol, market.vix_symbol
    history = warmup_history(store, Auto, (index, vix), "1m", first_day.isoformat())
    auto = Auto(
        history=history,
        regime_symbol=index,
        vix_symbol=vix,
        trade_symbols=",".join(market.stocks),
        child_params=CHILD_PARAMS,
        adx_trend_percentile=ADX_TREND_PERCENTILE,
    )
    config = BacktestConfig(
        symbols=(index, vix, *market.stocks),
        timeframe="1m",
        start=first_day.isoformat(),
        initial_cash=initial_cash(None, PROFILE),
        costs="zerodha",
        product="MIS",
        slippage="ticks:1",
        risk_profile=PROFILE,
        params=dict(auto.params),
    )
    db = Database(settings.database_url)
    try:
        with counted_progress("daily plan", "bars", disable=quiet) as progress:
            result = run_backtest(
                auto,
                config,
                store=store,
                recorder=BacktestRecorder(db),
                progress=progress,
            )
        PlanStore(db).save_run("auto", result.run_id or "", auto.plans)
    finally:
        db.dispose()
    return result, auto


def _report(
    settings: Settings, run_id: str, *, write: bool, quiet: bool
) -> tuple[Path | None, dict[str, Any]]:
    """The HTML report's path (when ``write``) and the run's significance block (PSR, DSR,
    bootstrap CI, verdict on daily returns)."""
    from tronlab.cli.report_cmd import run_report_data, write_run_report

    if not write:
        return None, dict(run_report_data(settings, run_id, max_candles=0).significance or {})
    status = console.status("writing the HTML report", spinner="dots")
    if quiet:
        html, data = write_run_report(settings, run_id)
    else:
        with status:
            html, data = write_run_report(settings, run_id)
    return html, dict(data.significance or {})


def _per_strategy(result: Any) -> dict[str, dict[str, Any]]:
    """Trades, win rate, net PnL and fees per child strategy (by the entry order's id)."""
    owner = {str(o.client_order_id): o.strategy_id for o in result.orders}
    out: dict[str, dict[str, Any]] = {}
    for t in result.trades:
        row = out.setdefault(
            owner.get(str(t.entry_order), "?"),
            {"trades": 0, "wins": 0, "net_pnl": 0.0, "fees": 0.0},
        )
        row["trades"] += 1
        row["wins"] += int(t.pnl > 0)
        row["net_pnl"] = round(row["net_pnl"] + float(t.pnl), 2)
        row["fees"] = round(row["fees"] + float(t.fees), 2)
    return dict(sorted(out.items()))


def _summary_table(s: Any, days: int, first_day: Any) -> Table:
    table = Table(title=f"daily plan · {days} sessions from {first_day} · {PROFILE}")
    table.add_column("metric")
    table.add_column("value", justify="right")
    rows = [
        ("trades", s["trades"]),
        ("win rate", "—" if s["win_rate"] is None else f"{s['win_rate']:.1%}"),
        ("gross PnL", f"{s['gross_pnl']:,.2f}"),
        ("fees", f"{s['fees']:,.2f}"),
        ("net PnL", f"{s['net_pnl']:,.2f}"),
        ("return", f"{s['return_pct']:.3f}%"),
        ("max drawdown", f"{abs(s['max_drawdown_pct']):.3f}%"),
        ("final equity", f"{s['final_equity']:,.2f}"),
        ("risk denials", s.get("risk_denials", 0)),
        ("strategy errors", s["strategy_errors"]),
    ]
    for k, v in rows:
        table.add_row(k, str(v))
    return table


def _strategy_table(per: dict[str, dict[str, Any]], auto: Any) -> Table:
    chosen: Counter[str] = Counter(sid for p in auto.plans for sid in p.strategy_ids)
    table = Table(title="per strategy (days chosen by the plan)")
    for col in ("strategy", "days", "trades", "win rate", "net PnL", "fees"):
        table.add_column(col, justify="left" if col == "strategy" else "right")
    for sid in sorted(set(chosen) | set(per)):
        row = per.get(sid, {"trades": 0, "wins": 0, "net_pnl": 0.0, "fees": 0.0})
        rate = f"{row['wins'] / row['trades']:.0%}" if row["trades"] else "—"
        table.add_row(
            sid,
            str(chosen.get(sid, 0)),
            str(row["trades"]),
            rate,
            f"{row['net_pnl']:,.2f}",
            f"{row['fees']:,.2f}",
        )
    return table


__all__ = ["demo"]
