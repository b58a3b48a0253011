"""``tronlab report RUN``: one self-contained HTML report of a stored run (plotly.js embedded,
works offline) and, with ``--png DIR``, PNG images of its main charts.

The run, its orders (for each trade's confidence) and its risk events come from the
database; the candlestick charts read the run's bars from the bar store, resampled to at
most ``--max-candles`` candles per symbol. A symbol without stored bars gets a note instead.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from tronlab.cli.common import console, fail, print_json, state

if TYPE_CHECKING:
    from tronlab.analytics.report import CandleSeries
    from tronlab.data.calendars import TradingCalendar
    from tronlab.data.store import BarStore
    from tronlab.storage import Database

DEFAULT_SESSIONS_PER_YEAR = 252.0


def report(
    ctx: typer.Context,
    run: Annotated[str, typer.Argument(help="Run id (a unique prefix is enough).")],
    out: Annotated[
        Path | None,
        typer.Option("--out", "-o", help="HTML file to write (default: REPORTS/RUN.html)."),
    ] = None,
    png: Annotated[
        Path | None, typer.Option("--png", help="Also write PNGs of the main charts here.")
    ] = None,
    trials: Annotated[
        int,
        typer.Option(
            min=1, help="Configurations tried to find this one (for the deflated Sharpe ratio)."
        ),
    ] = 1,
    sr_variance: Annotated[
        float | None,
        typer.Option(help="Variance of the tried configurations' per-day Sharpe ratios (DSR)."),
    ] = None,
    max_candles: Annotated[
        int, typer.Option(min=100, help="At most this many candles per symbol.")
    ] = 5_000,
    json_out: Annotated[bool, typer.Option("--json", help="Print JSON instead of text.")] = False,
) -> None:
    """Write an HTML report of a stored run (and PNGs of its charts with --png)."""
    from tronlab.analytics.report import build_report_data, write_html, write_pngs
    from tronlab.data.store import BarStore
    from tronlab.storage import Database, migrate
    from tronlab.storage.backtests import load_run
    from tronlab.storage.repositories import RecordNotFound

    settings = state(ctx).settings
    migrate.upgrade(settings.database_url)
    db = Database(settings.database_url)
    try:
        doc = load_run(db, run)
        orders, events = _orders_and_risk_events(db, doc["run_id"])
    except RecordNotFound as exc:
        fail(str(exc), code=1)
    finally:
        db.dispose()
    if sr_variance is not None and sr_variance <= 0:
        fail(f"--sr-variance must be > 0, got {sr_variance}", code=2)
    candles, notes, calendar = load_candles(doc, BarStore(settings.bar_store_dir), max_candles)
    try:
        data = build_report_data(
            doc,
            candles=candles,
            risk_events=events,
            orders=orders,
            notes=notes,
            n_trials=trials,
            sr_variance=sr_variance,
            periods_per_year=sessions_per_year(calendar, doc["summary"].get("last_bar")),
        )
    except ValueError as exc:  # AnalyticsInputError is one too
        fail(f"cannot build the report of run {doc['run_id']}: {exc}", code=1)
    html = write_html(data, out or settings.reports_dir / f"{doc['run_id']}.html")
    pngs = write_pngs(data, png) if png is not None else []
    sig = data.significance or {}
    if json_out:
        print_json(
            {
                "run_id": data.run_id,
                "html": str(html),
                "bytes": html.stat().st_size,
                "pngs": [str(p) for p in pngs],
                "notes": list(data.notes),
                "verdict": sig.get("verdict"),
                "likely_luck": sig.get("likely_luck"),
            }
        )
        return
    console.print(f"report [bold]{html}[/] ({html.stat().st_size / 1e6:.1f} MB)", highlight=False)
    for p in pngs:
        console.print(f"  {p}", highlight=False)
    for note in data.notes:
        console.print(f"[yellow]note[/] {note}", highlight=False)
    if sig.get("verdict"):
        colour = "red" if sig.get("likely_luck") else "green"
        console.print(f"[{colour}]{sig['verdict']}[/]", highlight=False)


def _orders_and_risk_events(
    db: Database, run_id: str
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The run's orders (id, strategy, confidence) and its stored risk-governor decisions."""
    with db.unit_of_work() as uow:
        orders = [
            {
                "client_order_id": str(o.client_order_id),
                "strategy": o.strategy_id,
                "confidence": o.confidence,
            }
            for o in uow.orders.list(run_id=run_id)
        ]
        events = [
            {
                **(e.payload or {}),
                "ts": e.ts,
                "rule": e.rule,
                "decision": e.decision,
                "reason_code": e.reason_code,
                "message": e.message,
                "client_order_id": e.client_order_id,
            }
            for e in uow.risk_events.list(run_id=run_id)
        ]
    return orders, events


def load_candles(
    doc: dict[str, Any], store: BarStore, max_candles: int
) -> tuple[list[CandleSeries], list[str], TradingCalendar | None]:
    """Bars of each of the run's symbols over its period, at most ``max_candles`` per symbol
    (session-aware resampling), notes on the symbols left out, and the first calendar found."""
    import pandas as pd

    from tronlab.analytics.report import CandleSeries, candle_seconds
    from tronlab.data.bars import Timeframe
    from tronlab.data.calendars import get_calendar
    from tronlab.data.resample import resample
    from tronlab.data.store import SeriesNotFound

    config, summary = doc["config"], doc["summary"]
    tf = Timeframe.parse(str(config.get("timeframe") or "1m"))
    first, last = summary.get("first_bar"), summary.get("last_bar")
    out: list[CandleSeries] = []
    notes: list[str] = []
    calendar: TradingCalendar | None = None
    if not first or not last:
        return out, ["the run has no bars: candlestick charts left out"], None
    start = pd.Timestamp(first) - tf.delta  # first/last_bar are bar end times
    for symbol in config.get("symbols") or []:
        try:
            bars = store.read(symbol, tf, start=start, end=pd.Timestamp(last))
            cal_name = store.info(symbol, tf).calendar
        except SeriesNotFound:
            notes.append(f"{symbol}: no {tf} bars in the bar store, candlestick chart left out")
            continue
        if len(bars) == 0:
            notes.append(f"{symbol}: no {tf} bars in the run's period, candlestick chart left out")
            continue
        cal = get_calendar(cal_name or "24x7")
        calendar = calendar or (cal if cal_name else None)
        sessions = len(set(pd.DatetimeIndex(bars["timestamp"]).tz_convert(cal.tz).date))
        seconds = candle_seconds(tf.seconds, len(bars), sessions, max_candles)
        shown = tf
        if seconds != tf.seconds:
            shown = Timeframe(seconds)
            try:
                bars = resample(bars, cal, shown, drop_outside=True, source_timeframe=tf)
            except ValueError as exc:
                notes.append(f"{symbol}: cannot resample its bars to {shown} ({exc})")
                continue
        clipped = max(0, len(bars) - max_candles)
        if clipped:
            bars = bars.iloc[clipped:]
        out.append(CandleSeries(symbol, bars, shown.label, tf.label, clipped))
    return out, notes, calendar


def sessions_per_year(calendar: TradingCalendar | None, last_bar: str | None) -> float:
    """Sessions in the year up to the run's last bar (the annualisation of daily ratios);
    252 without a calendar or outside the calendar's data."""
    import pandas as pd

    if calendar is None or not last_bar:
        return DEFAULT_SESSIONS_PER_YEAR
    end = pd.Timestamp(last_bar).date()
    try:
        n = len(calendar.sessions(end - timedelta(days=364), end))
    except ValueError:
        return DEFAULT_SESSIONS_PER_YEAR
    return float(n) if n > 0 else DEFAULT_SESSIONS_PER_YEAR
