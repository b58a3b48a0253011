"""``tronlab report RUN``: one self-contained HTML report of a stored run (plotly.js embedded,
works offline) and, with ``--png DIR``, PNG images of its main charts.

The deflated Sharpe ratio counts the trials behind the run: ``--trials`` (default: the stored
backtests of the run's strategy) and ``--sr-variance`` (default: estimated from those
backtests' daily Sharpe ratios; a note says why the DSR is missing when it cannot be).

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
    from tronlab.analytics.report import CandleSeries, ReportData
    from tronlab.config import Settings
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
        int | None,
        typer.Option(
            min=1,
            help="Configurations tried to find this one, for the deflated Sharpe ratio "
            "(default: the stored backtests of the run's strategy).",
        ),
    ] = None,
    sr_variance: Annotated[
        float | None,
        typer.Option(
            help="Variance of the tried configurations' per-day Sharpe ratios (DSR; default: "
            "estimated from the stored backtests of the run's strategy)."
        ),
    ] = None,
    max_candles: Annotated[
        int, typer.Option(min=100, help="At most this many candles per symbol.")
    ] = 5_000,
    json_out: Annotated[bool, typer.Option("--json", help="Print JSON instead of text.")] = False,
) -> None:
    """Write an HTML report of a stored run (and PNGs of its charts with --png)."""
    from tronlab.analytics.report import write_pngs
    from tronlab.storage.repositories import RecordNotFound

    if sr_variance is not None and sr_variance <= 0:
        fail(f"--sr-variance must be > 0, got {sr_variance}", code=2)
    settings = state(ctx).settings
    try:
        html, data = write_run_report(
            settings, run, out=out, trials=trials, sr_variance=sr_variance,
            max_candles=max_candles,
        )  # fmt: skip
    except RecordNotFound as exc:
        fail(str(exc), code=1)
    except ValueError as exc:  # AnalyticsInputError is one too
        fail(f"cannot build the report of run {run}: {exc}", code=1)
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
                "n_trials": sig.get("n_trials"),
                "sr_variance": sig.get("sr_variance"),
                "dsr": sig.get("dsr"),
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


def run_report_data(
    settings: Settings,
    run: str,
    *,
    trials: int | None = None,
    sr_variance: float | None = None,
    max_candles: int = 5_000,
) -> ReportData:
    """The report data of stored run ``run`` (a unique prefix is enough).

    ``trials`` defaults to the number of stored backtests of the run's strategy
    (:func:`~tronlab.storage.experiments.count_trials`); with two or more trials and no
    ``sr_variance``, the variance is estimated from the daily Sharpe ratios of the newest
    ``TRIAL_SAMPLE`` of those backtests (:func:`trial_sr_variance`), and a note says where
    the DSR's inputs came from, or why it is missing. ``max_candles`` 0 leaves the
    candlestick charts out (no bars are read). Raises ``RecordNotFound`` for an unknown
    run, ``ValueError`` for data a report cannot be built from.
    """
    from tronlab.analytics.report import build_report_data
    from tronlab.data.store import BarStore
    from tronlab.storage import Database, migrate
    from tronlab.storage.backtests import load_run
    from tronlab.storage.experiments import count_trials

    migrate.upgrade(settings.database_url)
    db = Database(settings.database_url)
    trial_notes: list[str] = []
    try:
        doc = load_run(db, run)
        orders, events = _orders_and_risk_events(db, doc["run_id"])
        strategy = str(doc["strategy"])
        n_trials = trials if trials is not None else max(1, count_trials(db, strategy))
        if sr_variance is None and n_trials > 1:
            sr_variance, note = trial_sr_variance(db, strategy, n_trials)
            trial_notes.append(note)
    finally:
        db.dispose()
    store = BarStore(settings.bar_store_dir)
    if max_candles > 0:
        candles, notes, calendar = load_candles(doc, store, max_candles)
    else:
        candles, notes, calendar = [], [], run_calendar(doc, store)
    return build_report_data(
        doc,
        candles=candles,
        risk_events=events,
        orders=orders,
        notes=[*notes, *trial_notes],
        n_trials=n_trials,
        sr_variance=sr_variance,
        periods_per_year=sessions_per_year(calendar, doc["summary"].get("last_bar")),
    )


def write_run_report(
    settings: Settings,
    run: str,
    *,
    out: Path | None = None,
    trials: int | None = None,
    sr_variance: float | None = None,
    max_candles: int = 5_000,
) -> tuple[Path, ReportData]:
    """Write the HTML report of stored run ``run`` (default ``REPORTS/RUN_ID.html``); the
    file and the report data (see :func:`run_report_data`)."""
    from tronlab.analytics.report import write_html

    data = run_report_data(
        settings, run, trials=trials, sr_variance=sr_variance, max_candles=max_candles
    )
    html = write_html(data, out or settings.reports_dir / f"{data.run_id}.html")
    return html, data


TRIAL_SAMPLE = 200  # at most this many stored backtests estimate the trials' SR variance


def trial_sr_variance(db: Database, strategy: str, n_trials: int) -> tuple[float | None, str]:
    """The variance (``ddof=1``) of the per-day Sharpe ratios of the stored backtests of
    ``strategy`` (the newest ``TRIAL_SAMPLE``; a run whose Sharpe ratio is undefined, with
    fewer than two sessions or a flat equity, is left out), and a note for the report;
    ``None`` (and the note says why) when fewer than two ratios are defined or they are all
    equal."""
    import math

    import numpy as np

    from tronlab.analytics import metrics, significance
    from tronlab.cli.ab_cmd import equity_frame
    from tronlab.storage.backtests import equity_curves

    sharpes: list[float] = []
    runs = equity_curves(db, strategy, limit=TRIAL_SAMPLE)
    for record, curve in runs:
        initial = float((record.metrics or {}).get("initial_cash") or 0.0)
        tz = str(record.config.get("timezone") or (record.metrics or {}).get("timezone") or "UTC")
        if initial <= 0 or not curve:
            continue
        returns = metrics.daily_returns(equity_frame(curve), tz, initial_equity=initial)
        sr = significance.sharpe_stats(returns.to_numpy()).sr
        if math.isfinite(sr):
            sharpes.append(sr)
    head = f"deflated Sharpe ratio over {n_trials} trials (stored backtests of {strategy})"
    if len(sharpes) < 2:
        return None, (
            f"{head} left out: its trials' Sharpe variance needs the daily Sharpe ratios of "
            f"two stored backtests, {len(sharpes)} of {len(runs)} have one (a flat equity or "
            "a single session has none); give --sr-variance"
        )
    variance = float(np.var(sharpes, ddof=1))
    if not variance > 0:
        return None, (
            f"{head} left out: the {len(sharpes)} stored backtests have the same daily Sharpe "
            "ratio, so their variance is 0; give --sr-variance"
        )
    return variance, (
        f"{head}: the trials' Sharpe variance {variance:.4g} comes from the daily Sharpe "
        f"ratios of {len(sharpes)} of them"
    )


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


def run_calendar(doc: dict[str, Any], store: BarStore) -> TradingCalendar | None:
    """The calendar of the run's first symbol with a series in the bar store (no bars read)."""
    from tronlab.data.bars import Timeframe
    from tronlab.data.calendars import get_calendar
    from tronlab.data.store import SeriesNotFound

    tf = Timeframe.parse(str(doc["config"].get("timeframe") or "1m"))
    for symbol in doc["config"].get("symbols") or []:
        try:
            name = store.info(symbol, tf).calendar
        except SeriesNotFound:
            continue
        if name:
            return get_calendar(name)
    return None


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
