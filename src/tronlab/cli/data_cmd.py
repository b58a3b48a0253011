"""``tronlab data import|list|show|gaps|resample|generate``."""

from __future__ import annotations

import time
from datetime import date
from pathlib import Path
from typing import Annotated, Any

import pandas as pd
import typer
from rich.table import Table

from tronlab.cli.common import console, counted_progress, fail, print_json, state
from tronlab.config import Settings
from tronlab.data.calendars import TradingCalendar, get_calendar
from tronlab.data.charts import ChartDataService, CsvDirectorySource, NoDataError
from tronlab.data.gaps import find_gaps
from tronlab.data.importing import ImportReport, import_csv_files
from tronlab.data.resample import resample as resample_bars
from tronlab.data.store import BarStore, SeriesNotFound
from tronlab.data.synthetic import generate_market

app = typer.Typer(
    help="Market data: import, inspect, check and generate bars.", no_args_is_help=True
)

JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of tables.")]
TimeframeOpt = Annotated[str, typer.Option("--timeframe", "-t", help="1m, 5m, 15m, 1h or 1d.")]


def _store(settings: Settings) -> BarStore:
    return BarStore(settings.bar_store_dir)


def _calendar(
    settings: Settings,
    name: str | None,
    store: BarStore | None = None,
    symbol: str | None = None,
    timeframe: str | None = None,
) -> TradingCalendar:
    if name is None and store is not None and symbol and timeframe:
        name = store.info(symbol, timeframe).calendar
    overrides = [settings.resolve(p) for p in settings.data.calendar_overrides]
    try:
        return get_calendar(name or settings.data.default_calendar, overrides)
    except ValueError as exc:
        fail(str(exc), code=2)


def _series(
    store: BarStore, symbol: str, timeframe: str, start: str | None = None, end: str | None = None
) -> pd.DataFrame:
    try:
        return store.read(symbol, timeframe, start=start, end=end)
    except SeriesNotFound as exc:
        fail(str(exc), code=1)


# ---------------------------------------------------------------------------------- import


@app.command("import")
def import_(
    ctx: typer.Context,
    paths: Annotated[
        list[Path], typer.Argument(help="CSV files (timestamp,open,high,low,close,volume).")
    ],
    symbol: Annotated[
        str | None,
        typer.Option("--symbol", "-s", help="Default: from the file name SYMBOL_TF_....csv."),
    ] = None,
    timeframe: Annotated[
        str | None, typer.Option("--timeframe", "-t", help="Default: from the file name.")
    ] = None,
    tz: Annotated[
        str | None, typer.Option("--tz", help="Time zone of naive timestamps, e.g. Asia/Kolkata.")
    ] = None,
    calendar: Annotated[
        str | None,
        typer.Option(
            "--calendar", help="NSE, NYSE or 24x7 (default: inferred from the UTC offset)."
        ),
    ] = None,
    session: Annotated[
        str, typer.Option("--session", help="regular, extended (pre/post market) or any.")
    ] = "regular",
    on_error: Annotated[
        str | None,
        typer.Option(
            "--on-error",
            help="reject (default): a file with bad rows imports nothing; skip: import good rows "
            "and list bad ones; quarantine: also write bad rows to a side file.",
        ),
    ] = None,
    json_out: JsonOpt = False,
) -> None:
    """Validate and import bar CSV files; every bad row is reported with its file and line."""
    settings = state(ctx).settings
    policy = on_error or settings.data.on_error
    if policy not in ("reject", "skip", "quarantine"):
        fail(f"--on-error must be reject, skip or quarantine, not {policy!r}", code=2)
    missing = [str(p) for p in paths if not p.is_file()]
    if missing:
        fail(f"no such file: {', '.join(missing)}", code=2)
    started = time.perf_counter()
    with counted_progress("importing", "rows", disable=json_out) as on_progress:
        try:
            report = import_csv_files(
                _store(settings),
                paths,
                symbol=symbol,
                timeframe=timeframe,
                tz=tz,
                calendar=calendar,
                session=session,
                on_error=policy,  # type: ignore[arg-type]
                quarantine_dir=settings.quarantine_dir,
                progress=on_progress,
                calendar_overrides=[settings.resolve(p) for p in settings.data.calendar_overrides],
            )
        except ValueError as exc:
            fail(str(exc), code=2)
    if json_out:
        print_json(report.to_dict(max_issues=1000))
    else:
        _print_import(report, time.perf_counter() - started)
    if not report.ok:
        raise typer.Exit(1)


def _print_import(report: ImportReport, seconds: float) -> None:
    table = Table(title="import")
    for col in ("file", "series", "status", "rows", "imported", "new", "replaced", "bad", "issues"):
        table.add_column(
            col,
            justify="right" if col in {"rows", "imported", "new", "replaced", "bad"} else "left",
        )
    colours = {"ok": "green", "partial": "yellow", "failed": "red"}
    for f in report.files:
        issues = ", ".join(f"{k}×{v}" for k, v in f.issues_by_code().items()) or (f.error or "")
        table.add_row(
            Path(f.path).name,
            f"{f.symbol} {f.timeframe}",
            f"[{colours.get(f.status, 'white')}]{f.status}[/]",
            str(f.rows),
            str(f.imported),
            str(f.inserted),
            str(f.replaced),
            str(f.bad_rows),
            issues,
        )
    console.print(table)
    for f in report.files:
        name = Path(f.path).name
        runs = _issue_runs(f.issues)
        for first, last, count in runs[:12]:
            colour = "red" if str(first.severity) == "error" else "yellow"
            where = f"{first.line}" if count == 1 else f"{first.line}–{last.line}"
            times = "" if count == 1 else f" ×{count} (first: {first.message})"
            text = first.message if count == 1 else ""
            console.print(
                f"  {name}:{where} [{colour}]{first.code}[/]{times} {text}".rstrip(),
                highlight=False,
            )
        if len(runs) > 12:
            hidden = sum(c for _, _, c in runs[12:])
            console.print(f"  … and {hidden} more in {name} (use --json)", highlight=False)
        if f.quarantine_file:
            console.print(f"  bad rows written to {f.quarantine_file}", highlight=False)
    verdict = "[green]done[/]" if report.ok else "[red]some files were rejected[/]"
    console.print(
        f"{verdict}: {report.imported} of {report.rows} rows imported in {seconds:.2f}s",
        highlight=False,
    )
    if not report.ok and report.on_error == "reject":
        console.print(
            "hint: --on-error skip imports the good rows; --on-error quarantine also "
            "keeps the bad ones in a side file",
            highlight=False,
        )


def _issue_runs(issues: list[Any]) -> list[tuple[Any, Any, int]]:
    """Collapse consecutive lines with the same code into (first, last, count) runs."""
    runs: list[tuple[Any, Any, int]] = []
    for issue in issues:
        if runs:
            first, last, count = runs[-1]
            if issue.code == first.code and issue.line == last.line + 1:
                runs[-1] = (first, issue, count + 1)
                continue
        runs.append((issue, issue, 1))
    return runs


# ---------------------------------------------------------------------------------- list/show


@app.command("list")
def list_(
    ctx: typer.Context,
    timeframe: Annotated[
        str | None, typer.Option("--timeframe", "-t", help="Only this timeframe.")
    ] = None,
    json_out: JsonOpt = False,
) -> None:
    """List stored series with their coverage."""
    cov = _store(state(ctx).settings).coverage()
    if timeframe:
        cov = cov[cov["timeframe"] == timeframe]
    if json_out:
        print_json(_records(cov))
        return
    if cov.empty:
        console.print(
            "the bar store is empty: try `tronlab data generate` or `tronlab data import`"
        )
        return
    console.print(_coverage_table(cov))


def _coverage_table(cov: pd.DataFrame, title: str = "bar store coverage") -> Table:
    """Coverage with first/last bar in the series' exchange time zone."""
    table = Table(title=title)
    for col in ("symbol", "timeframe", "calendar", "first (local)", "last (local)", "days", "rows"):
        table.add_column(col, justify="right" if col in {"days", "rows"} else "left")
    row: Any
    for row in cov.itertuples(index=False):
        tz = _tz(row.calendar)
        first = _local(row.first, tz, row.timeframe)
        last = _local(row.last, tz, row.timeframe)
        table.add_row(
            row.symbol,
            row.timeframe,
            row.calendar or "—",
            first,
            last,
            f"{row.days:,}",
            f"{row.rows:,}",
        )
    return table


def _local(value: Any, tz: Any, timeframe: str) -> str:
    """A UTC timestamp as exchange-local text (a date for daily bars)."""
    if value is None or pd.isna(value):
        return "—"
    fmt = "%Y-%m-%d" if timeframe.endswith("d") else "%Y-%m-%d %H:%M"
    return str(pd.Timestamp(value).tz_convert(tz).strftime(fmt))


def _tz(calendar: str | None) -> Any:
    try:
        return get_calendar(calendar).tz if calendar else "UTC"
    except ValueError:
        return "UTC"


@app.command("show")
def show(
    ctx: typer.Context,
    symbol: Annotated[str, typer.Argument(help="Symbol, e.g. NIFTY50.")],
    timeframe: TimeframeOpt = "1m",
    start: Annotated[str | None, typer.Option(help="Start (ISO date or timestamp).")] = None,
    end: Annotated[str | None, typer.Option(help="End, exclusive (ISO date or timestamp).")] = None,
    tail: Annotated[
        int, typer.Option("--tail", "-n", help="How many of the last bars to print.")
    ] = 10,
    json_out: JsonOpt = False,
) -> None:
    """Show a series' metadata and its last bars in the exchange's time zone.

    A series missing from the store is looked up in the configured ``data.csv_dirs`` through
    the chart-data service; what it finds is validated and cached into the store.
    """
    settings = state(ctx).settings
    store = _store(settings)
    served_by = "store"
    try:
        info = store.info(symbol, timeframe)
    except SeriesNotFound as exc:
        if not settings.data.csv_dirs:
            fail(str(exc))
        served_by = _fetch_into_store(settings, store, symbol, timeframe)
        info = store.info(symbol, timeframe)
    bars = _series(store, symbol, timeframe, start, end).tail(tail)
    tz = _tz(info.calendar)
    local = bars.assign(timestamp=bars["timestamp"].dt.tz_convert(tz))
    if json_out:
        print_json(
            {
                "symbol": info.symbol,
                "timeframe": info.timeframe,
                "calendar": info.calendar,
                "rows": info.rows,
                "first": _iso(info.first),
                "last": _iso(info.last),
                "sources": list(info.sources),
                "served_by": served_by,
                "bars": _records(local),
            }
        )
        return
    console.print(
        f"[bold]{info.symbol}[/] {info.timeframe} · calendar {info.calendar or '—'} · "
        f"{info.rows:,} bars · {_local(info.first, tz, info.timeframe)} → "
        f"{_local(info.last, tz, info.timeframe)}",
        highlight=False,
    )
    if info.sources:
        console.print(f"sources: {', '.join(info.sources)}", highlight=False)
    if served_by != "store":
        console.print(f"served by {served_by} and cached into the store", highlight=False)
    table = Table()
    for col in ("timestamp", "open", "high", "low", "close", "volume"):
        table.add_column(col, justify="left" if col == "timestamp" else "right")
    row: Any
    for row in local.itertuples(index=False):
        table.add_row(
            row.timestamp.strftime(
                "%Y-%m-%d" if info.timeframe.endswith("d") else "%Y-%m-%d %H:%M %Z"
            ),
            f"{row.open:,.2f}",
            f"{row.high:,.2f}",
            f"{row.low:,.2f}",
            f"{row.close:,.2f}",
            f"{row.volume:,.0f}",
        )
    console.print(table)


def _fetch_into_store(settings: Settings, store: BarStore, symbol: str, timeframe: str) -> str:
    """Fetch a whole series through the chart-data service (CSV directories), caching it."""
    sources = [
        CsvDirectorySource(settings.resolve(d), name=f"csv:{settings.resolve(d)}")
        for d in settings.data.csv_dirs
    ]
    service = ChartDataService(sources, cache=store, cache_name="store")
    try:
        chart = service.get_bars(symbol, timeframe)
    except NoDataError as exc:
        fail(str(exc))
    return chart.source


# ---------------------------------------------------------------------------------- gaps


@app.command("gaps")
def gaps(
    ctx: typer.Context,
    symbol: Annotated[str, typer.Argument(help="Symbol, e.g. NIFTY50.")],
    timeframe: TimeframeOpt = "1m",
    calendar: Annotated[str | None, typer.Option(help="Calendar (default: the series').")] = None,
    start: Annotated[str | None, typer.Option(help="First session date (YYYY-MM-DD).")] = None,
    end: Annotated[str | None, typer.Option(help="Last session date (YYYY-MM-DD).")] = None,
    limit: Annotated[int, typer.Option(help="Partial sessions to print.")] = 20,
    json_out: JsonOpt = False,
) -> None:
    """List missing sessions and missing bars against the trading calendar."""
    settings = state(ctx).settings
    store = _store(settings)
    bars = _series(store, symbol, timeframe)
    cal = _calendar(settings, calendar, store, symbol, timeframe)
    report = find_gaps(bars, cal, timeframe, _date(start), _date(end))
    if json_out:
        print_json({"symbol": symbol.upper(), **report.to_dict()})
        return
    complete = report.sessions_complete
    console.print(
        f"[bold]{symbol.upper()}[/] {timeframe} on {cal.name}: {report.sessions_expected} sessions "
        f"expected, {complete} complete, {len(report.missing_sessions)} missing, "
        f"{len(report.partial_sessions)} partial; {report.bars_missing:,} of "
        f"{report.bars_expected:,} bars missing; {report.unexpected} outside any session",
        highlight=False,
    )
    if report.missing_sessions:
        console.print(
            "missing sessions: " + ", ".join(d.isoformat() for d in report.missing_sessions),
            highlight=False,
        )
    if report.partial_sessions:
        table = Table(title="partial sessions")
        for col in ("session", "expected", "present", "missing ranges (local time)"):
            table.add_column(col)
        for gap in report.partial_sessions[:limit]:
            ranges = ", ".join(
                f"{s.tz_convert(cal.tz):%H:%M}–{e.tz_convert(cal.tz):%H:%M}"
                for s, e in gap.missing[:6]
            ) + (" …" if len(gap.missing) > 6 else "")
            table.add_row(gap.date.isoformat(), str(gap.expected), str(gap.present), ranges)
        console.print(table)
        if len(report.partial_sessions) > limit:
            console.print(f"… {len(report.partial_sessions) - limit} more (use --limit or --json)")


# ---------------------------------------------------------------------------------- resample


@app.command("resample")
def resample(
    ctx: typer.Context,
    symbol: Annotated[str, typer.Argument(help="Symbol, e.g. NIFTY50.")],
    to: Annotated[
        list[str], typer.Option("--to", help="Target timeframe(s), e.g. --to 5m --to 1d.")
    ],
    source: Annotated[str, typer.Option("--from", help="Source timeframe.")] = "1m",
    calendar: Annotated[str | None, typer.Option(help="Calendar (default: the series').")] = None,
    drop_outside: Annotated[
        bool,
        typer.Option(
            "--drop-outside", help="Exclude bars outside the sessions (counted) instead of failing."
        ),
    ] = False,
    json_out: JsonOpt = False,
) -> None:
    """Resample a stored series along the calendar's sessions and store the result."""
    settings = state(ctx).settings
    store = _store(settings)
    bars = _series(store, symbol, source)
    cal = _calendar(settings, calendar, store, symbol, source)
    results: list[dict[str, Any]] = []
    for target in to:
        try:
            out = resample_bars(
                bars, cal, target, drop_outside=drop_outside, source_timeframe=source
            )
        except ValueError as exc:
            fail(str(exc))
        written = store.write(symbol, target, out, calendar=cal.name, source=f"resample:{source}")
        results.append(
            {
                "symbol": written.symbol,
                "from": source,
                "to": written.timeframe,
                "bars_in": len(bars),
                "bars_out": len(out),
                "inserted": written.inserted,
                "replaced": written.replaced,
                "unchanged": written.unchanged,
            }
        )
    if json_out:
        print_json(results)
        return
    for r in results:
        console.print(
            f"{r['symbol']} {r['from']} → {r['to']}: {r['bars_in']:,} bars → "
            f"{r['bars_out']:,} ({r['inserted']} new, {r['replaced']} replaced)",
            highlight=False,
        )


# ---------------------------------------------------------------------------------- generate


@app.command("generate")
def generate(
    ctx: typer.Context,
    seed: Annotated[
        int, typer.Option(help="Random seed: the same seed gives the same market.")
    ] = 7,
    days: Annotated[int, typer.Option(min=1, max=2000, help="Trading sessions to generate.")] = 60,
    csv_dir: Annotated[
        Path | None, typer.Option("--csv", help="Also write CSV files here.")
    ] = None,
    json_out: JsonOpt = False,
) -> None:
    """Generate the deterministic synthetic NSE market (stocks, an index, a VIX) into the store."""
    settings = state(ctx).settings
    market = generate_market(seed=seed, days=days)
    store = _store(settings)
    out: list[dict[str, Any]] = []
    for sym in market.symbols:
        w = store.write(
            sym,
            market.timeframe,
            market.bars[sym],
            calendar=market.calendar.name,
            source=f"synthetic:seed={seed}",
        )
        out.append({"symbol": sym, "rows": w.rows, "inserted": w.inserted, "replaced": w.replaced})
    files = [str(p) for p in market.write_csv(csv_dir)] if csv_dir else []
    if json_out:
        print_json({"seed": seed, "days": days, "series": out, "csv_files": files})
        return
    console.print(
        f"generated {len(market.symbols)} symbols × {days} sessions (seed {seed}) "
        f"into {store.root}",
        highlight=False,
    )
    for path in files:
        console.print(f"  wrote {path}", highlight=False)


# ---------------------------------------------------------------------------------- helpers


def _date(text: str | None) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        fail(f"not a date (YYYY-MM-DD): {text!r}", code=2)


def _iso(value: Any) -> str | None:
    return None if value is None or pd.isna(value) else pd.Timestamp(value).isoformat()


def _records(df: pd.DataFrame) -> list[dict[str, Any]]:
    out = df.copy()
    for col in out.columns:
        if isinstance(out[col].dtype, pd.DatetimeTZDtype) or out[col].dtype.kind == "M":
            out[col] = out[col].map(lambda v: v.isoformat() if not pd.isna(v) else None)
    return [{str(k): v for k, v in r.items()} for r in out.to_dict(orient="records")]
