"""``tronlab plan``: the regime selector's plan for a day, from the bar store, stored.

Daily bars of the regime index (``--symbol``; default NIFTY / NIFTY50 / SYNTH_NIFTY, the
first one the store has) and of the volatility index (``--vix``; default INDIAVIX /
SYNTH_VIX) come from the store's ``1d`` series, else are resampled from its shortest
intraday series along the series' calendar. With no bars imported at all (and no
``--symbol``), the deterministic synthetic market of ``tronlab data generate`` stands in and
the output says so. The plan for ``--date`` uses the sessions before it, and that day's open
for the overnight gap when the store already has it; by default ``--date`` is the session
after the last stored one (a plan made before the open).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Annotated, Any

import pandas as pd
import typer
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from tronlab.cli.common import console, err_console, fail, print_json, state

INDEX_CANDIDATES = ("NIFTY", "NIFTY50", "NIFTY 50", "SYNTH_NIFTY")
VIX_CANDIDATES = ("INDIAVIX", "INDIA VIX", "SYNTH_VIX")
SYNTHETIC_DAYS = 120


@dataclass
class _Inputs:
    index: Any  # DailySeries
    vix: Any  # DailySeries | None
    symbol: str
    vix_symbol: str | None
    calendar: Any  # TradingCalendar
    source: str


def plan(
    ctx: typer.Context,
    day: Annotated[
        str | None,
        typer.Option("--date", help="Session to plan (YYYY-MM-DD); default: the next one."),
    ] = None,
    symbol: Annotated[
        str | None, typer.Option(help="Regime index in the bar store (default: NIFTY...).")
    ] = None,
    vix: Annotated[
        str | None,
        typer.Option(help="Volatility index in the bar store, or 'none' (default: INDIAVIX...)."),
    ] = None,
    table: Annotated[
        Path | None, typer.Option(help="Regime table YAML (default: the packaged table).")
    ] = None,
    sentiment: Annotated[
        float | None, typer.Option(help="Sentiment score in [-1, 1] for the day.")
    ] = None,
    setting: Annotated[
        list[str] | None,
        typer.Option("--set", help="Selector threshold NAME=VALUE (e.g. adx_trend=22)."),
    ] = None,
    save: Annotated[bool, typer.Option("--save/--no-save", help="Store the plan.")] = True,
    json_out: Annotated[bool, typer.Option("--json", help="Print the plan as JSON.")] = False,
) -> None:
    """Classify a day's regime before the open and print (and store) its trading plan."""
    from tronlab.strategy import ParamError, parse_assignments
    from tronlab.strategy.plan import PlanError, load_regime_table
    from tronlab.strategy.selector import RegimeSelector, SelectorConfig

    settings = state(ctx).settings
    try:
        regime_table = load_regime_table(table)
        config = SelectorConfig().with_overrides(parse_assignments(setting or []))
    except (PlanError, ParamError, ValueError) as exc:
        fail(str(exc), code=2)
    for problem in regime_table.problems():
        err_console.print(f"[yellow]warning[/] {problem}", highlight=False)
    inputs = _load_inputs(settings.bar_store_dir, symbol, vix)
    target = _target_day(day, inputs)
    try:
        result = RegimeSelector(config, regime_table).plan(
            target,
            inputs.index,
            vix=inputs.vix,
            today_open=_open_of(inputs.index, target),
            sentiment=sentiment,
            symbol=inputs.symbol,
        )
    except ValueError as exc:
        fail(str(exc), code=2)
    if save:
        from tronlab.storage import Database, migrate
        from tronlab.storage.plans import PlanStore

        migrate.upgrade(settings.database_url)
        db = Database(settings.database_url)
        try:
            PlanStore(db, exchange=inputs.calendar.name).save(result)
        finally:
            db.dispose()
    if json_out:
        print_json(result.to_dict())
        return
    _show(result, inputs, saved=save)


# ------------------------------------------------------------------------------ inputs


def _load_inputs(root: Path, symbol: str | None, vix: str | None) -> _Inputs:
    from tronlab.data.calendars import get_calendar
    from tronlab.data.store import BarStore

    store = BarStore(root)
    have = set(store.symbols())
    if not have:
        if symbol is not None:
            fail(
                f"no bars for {symbol} in the bar store ({root}); import some with "
                "`tronlab data import`, or leave out --symbol to plan on the synthetic market",
                code=1,
            )
        return _synthetic_inputs(vix)
    sym = _choose(symbol, INDEX_CANDIDATES, have, "--symbol")
    if sym is None:
        fail(
            f"no regime index in the bar store; give --symbol (stored: {', '.join(sorted(have))})",
            code=2,
        )
    vix_sym = None if (vix or "").lower() == "none" else _choose(vix, VIX_CANDIDATES, have, "--vix")
    info = store.info(sym, _timeframes(store, sym)[0])
    calendar = get_calendar(info.calendar or "NSE")
    index = _daily(store, sym, calendar)
    vix_series = _daily(store, vix_sym, calendar) if vix_sym else None
    return _Inputs(index, vix_series, sym, vix_sym, calendar, "bar store")


def _synthetic_inputs(vix: str | None) -> _Inputs:
    from tronlab.data.resample import resample
    from tronlab.data.synthetic import generate_market
    from tronlab.strategy.selector import DailySeries

    market = generate_market(seed=7, days=SYNTHETIC_DAYS)
    tz = str(market.calendar.tz)
    daily = {
        s: DailySeries.from_frame(resample(market.bars[s], market.calendar, "1d"), tz)
        for s in (market.index_symbol, market.vix_symbol)
    }
    use_vix = (vix or "").lower() != "none"
    if vix is not None and use_vix and vix.upper() != market.vix_symbol:
        fail(f"the synthetic market's volatility index is {market.vix_symbol}, not {vix}", 2)
    return _Inputs(
        daily[market.index_symbol],
        daily[market.vix_symbol] if use_vix else None,
        market.index_symbol,
        market.vix_symbol if use_vix else None,
        market.calendar,
        f"synthetic market (seed 7, {SYNTHETIC_DAYS} sessions: no bars imported)",
    )


def _choose(given: str | None, candidates: tuple[str, ...], have: set[str], opt: str) -> str | None:
    if given is not None:
        key = given.upper()
        if key not in have:
            fail(f"{opt} {given}: not in the bar store (stored: {', '.join(sorted(have))})", 2)
        return key
    return next((c for c in candidates if c in have), None)


def _timeframes(store: Any, symbol: str) -> list[str]:
    from tronlab.data.bars import Timeframe

    return sorted(store.timeframes(symbol), key=lambda tf: Timeframe.parse(tf).seconds)


def _daily(store: Any, symbol: str, calendar: Any) -> Any:
    """Daily bars of ``symbol``: its ``1d`` series, else its shortest series resampled."""
    from tronlab.data.resample import resample
    from tronlab.strategy.selector import DailySeries

    frames = _timeframes(store, symbol)
    if "1d" in frames:
        frame = store.read(symbol, "1d")
    else:
        frame = resample(store.read(symbol, frames[0]), calendar, "1d", drop_outside=True)
    return DailySeries.from_frame(frame, str(calendar.tz))


def _target_day(text: str | None, inputs: _Inputs) -> date:
    if text is not None:
        try:
            return date.fromisoformat(text)
        except ValueError:
            fail(f"--date: not a date (YYYY-MM-DD): {text!r}", code=2)
    if not len(inputs.index):
        fail(f"no daily bars for {inputs.symbol}", code=1)
    last = inputs.index.dates[-1]
    upcoming = inputs.calendar.sessions(last + timedelta(days=1), last + timedelta(days=15))
    nxt: date = upcoming[0].date if upcoming else last + timedelta(days=1)
    return nxt


def _open_of(series: Any, day: date) -> float | None:
    """The day's open when the store already has that session (its gap is then known)."""
    for d, value in zip(series.dates, series.open, strict=True):
        if d == day:
            return float(value)
    return None


# ------------------------------------------------------------------------------ output


def _show(result: Any, inputs: _Inputs, *, saved: bool) -> None:
    last = inputs.index.before(result.date).dates
    console.print(
        f"[bold]{result.date}[/] {result.symbol} · regime [bold]{result.regime}[/] · "
        f"direction [bold]{result.direction}[/] · table {result.name}",
        highlight=False,
    )
    console.print(
        f"data: {inputs.source}; {len(last)} sessions before the day"
        + (f" (last {last[-1]})" if last else "")
        + (f"; volatility index {inputs.vix_symbol}" if inputs.vix_symbol else ""),
        highlight=False,
    )
    chosen = Table(title="strategies")
    for col in ("id", "strategy", "risk budget", "params"):
        chosen.add_column(col, justify="right" if col == "risk budget" else "left")
    for s in result.strategies:
        params = ", ".join(f"{k}={v}" for k, v in s.params.items())
        chosen.add_row(s.id, s.name, f"{s.risk_budget:.0%}", params)
    if not result.strategies:
        chosen.add_row("—", "no new positions", "0%", "")
    console.print(chosen)
    numbers = Table(title="inputs", show_header=False)
    for key, value in result.inputs.items():
        numbers.add_row(key, _fmt(value))
    console.print(numbers)
    console.print(Panel(Text(result.explanation), title="why", expand=False))
    if saved:
        console.print("stored in daily_plans (`--json` prints the plan document)")


def _fmt(value: Any) -> str:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return "—"
    if isinstance(value, float):
        return f"{value:,.4f}".rstrip("0").rstrip(".")
    return str(value)


__all__ = ["plan"]
