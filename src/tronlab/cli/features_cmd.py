"""``tronlab features list|describe|compute``: the feature registry and the feature store."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from tronlab.cli.common import console, fail, print_json, state

if TYPE_CHECKING:
    import pandas as pd

    from tronlab.data.store import BarStore
    from tronlab.features.registry import Feature
    from tronlab.features.store import FeatureSet

app = typer.Typer(
    help="Features: list and describe the registry, compute and cache feature frames.",
    no_args_is_help=True,
)

JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of tables.")]
OUT_SUFFIXES = (".parquet", ".csv")


def _feature_doc(f: Feature) -> dict[str, Any]:
    from tronlab.features.registry import FEATURE_SETS

    return {
        "name": f.name,
        "group": f.group,
        "inputs": list(f.inputs),
        "window": f.window,
        "warmup": f.warmup,
        "memory": f.memory,
        "description": f.description,
        "reference": f.reference,
        "sets": [name for name, pick in FEATURE_SETS.items() if pick(f)],
    }


# ------------------------------------------------------------------------------------- list


@app.command("list")
def list_(
    group: Annotated[
        str | None, typer.Option("--group", "-g", help="Only this group (e.g. session, ma).")
    ] = None,
    json_out: JsonOpt = False,
) -> None:
    """List the registered features (sorted by group, then name)."""
    from tronlab.features.registry import registry

    reg = registry()
    groups = sorted({f.group for f in reg.values()})
    feats = [f for f in reg.values() if group is None or f.group == group]
    if group is not None and not feats:
        fail(f"no feature group {group!r}; groups: {', '.join(groups)}", code=2)
    if json_out:
        print_json([_feature_doc(f) for f in feats])
        return
    table = Table(title=f"features{f' ({group})' if group else ''}")
    table.add_column("name", no_wrap=True)
    table.add_column("group", no_wrap=True)
    for col in ("window", "warmup", "memory"):
        table.add_column(col, justify="right", no_wrap=True)
    table.add_column("description (in full: `describe NAME`)", ratio=1)
    for f in feats:
        table.add_row(
            f.name,
            f.group,
            str(f.window),
            str(f.warmup),
            str(f.memory),
            escape(_summary(f.description)),
        )
    console.print(table)
    shown = {f.group for f in feats}
    console.print(
        f"{len(feats)} features in {len(shown)} group(s): {', '.join(sorted(shown))}",
        highlight=False,
    )


def _summary(text: str, limit: int = 100) -> str:
    """A description cut to ``limit`` characters at a word boundary."""
    if len(text) <= limit:
        return text
    return text[: limit - 1].rsplit(" ", 1)[0].rstrip(" ,;:") + " …"


# ---------------------------------------------------------------------------------- describe


@app.command("describe")
def describe(
    name: Annotated[str, typer.Argument(help="Feature name, e.g. minutes_since_open.")],
    json_out: JsonOpt = False,
) -> None:
    """Show one feature's definition: group, inputs, window, warm-up, memory, description."""
    from tronlab.features.registry import select

    try:
        (feat,) = select([name])
    except ValueError as exc:
        fail(str(exc), code=2)
    doc = _feature_doc(feat)
    if json_out:
        print_json(doc)
        return
    table = Table(title=feat.name, show_header=False)
    table.add_column("field")
    table.add_column("value", overflow="fold")
    for key, value in doc.items():
        if key == "name":
            continue
        text = ", ".join(value) if isinstance(value, list) else str(value)
        table.add_row(key, escape(text) or "—")
    console.print(table)


# ----------------------------------------------------------------------------------- compute


@app.command("compute")
def compute(
    ctx: typer.Context,
    symbol: Annotated[str, typer.Option("--symbol", "-s", help="Symbol in the bar store.")],
    timeframe: Annotated[str, typer.Option("--timeframe", "-t", help="Bar timeframe.")] = "1m",
    feature_set: Annotated[
        str,
        typer.Option(
            "--set",
            help="all, alpha158, ta, session, or feature names separated by commas.",
        ),
    ] = "all",
    start: Annotated[
        str | None, typer.Option(help="First day (YYYY-MM-DD, exchange time) or timestamp.")
    ] = None,
    end: Annotated[str | None, typer.Option(help="Day after the last (exclusive).")] = None,
    vix: Annotated[
        str | None,
        typer.Option("--vix", help="Symbol of a volatility index series for the vix_* features."),
    ] = None,
    index: Annotated[
        str | None,
        typer.Option("--index", help="Symbol of the index series for rs_index_20."),
    ] = None,
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="Also write the frame to .parquet or .csv.")
    ] = None,
    refresh: Annotated[
        bool, typer.Option("--refresh", help="Recompute even when the cache has the frame.")
    ] = False,
    json_out: JsonOpt = False,
) -> None:
    """Compute features over stored bars, cache them in the feature store and record them.

    Bars before --start warm the features up (as many as the longest feature memory), so the
    values do not depend on where the range begins. Without --vix/--index the cross-asset
    features are NaN. Frames are cached under <home>/features/ by symbol, timeframe, bar
    range, feature set (and its definition version) and code version.
    """
    import pandas as pd

    from tronlab.data.bars import Timeframe
    from tronlab.data.store import BarStore, SeriesNotFound
    from tronlab.features.store import FeatureStore, code_version
    from tronlab.storage import Database, migrate
    from tronlab.storage import feature_store as fs_db

    settings = state(ctx).settings
    if out is not None and out.suffix.lower() not in OUT_SUFFIXES:
        fail(f"--out must end with .parquet or .csv, got {out.name!r}", code=2)
    try:
        tf = Timeframe.parse(timeframe)
        fset = _feature_set(feature_set)
    except ValueError as exc:
        fail(str(exc), code=2)
    if not fset.features:
        fail(f"feature set {feature_set!r} has no features registered", code=1)

    store = BarStore(settings.bar_store_dir)
    try:
        info = store.info(symbol, tf.label)
        bars = store.read(symbol, tf.label, start=start, end=end)
        lookback = max(f.memory for f in fset.features)
        warm = (
            store.read(symbol, tf.label, end=bars["timestamp"].iloc[0]).tail(lookback)
            if start is not None and len(bars)
            else bars.iloc[:0]
        )
    except SeriesNotFound as exc:
        fail(str(exc), code=1)
    except ValueError as exc:
        fail(str(exc), code=2)
    if len(bars) == 0:
        fail(f"no {info.symbol} {info.timeframe} bars in the range", code=1)
    frame = pd.concat([warm, bars], ignore_index=True)
    first, last = bars["timestamp"].iloc[0], bars["timestamp"].iloc[-1]
    for column, extra_symbol in (("vix", vix), ("index", index)):
        if extra_symbol is not None:
            frame[column] = _aligned_close(store, extra_symbol, tf.label, frame)
    tz = _series_tz(info.calendar)

    with Progress(
        TextColumn("[bold]features"),
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("groups"),
        TimeElapsedColumn(),
        console=console,
        transient=True,
        disable=json_out,
    ) as progress:
        task = progress.add_task("", total=None)

        def on_group(group: str, done: int, total: int) -> None:
            progress.update(task, description=group, completed=done, total=total)

        def compute_fn(df: pd.DataFrame, features: Any) -> pd.DataFrame:
            return _compute(df, features, tz, tf.seconds, first, on_group)

        feature_store = FeatureStore(settings.home / "features")
        try:
            result = feature_store.fetch(
                info.symbol,
                info.timeframe,
                frame,
                fset,
                code_version=code_version(fset.features),
                compute_fn=compute_fn,
                start=first,
                end=last,
                refresh=refresh,
            )
        except ValueError as exc:
            fail(str(exc), code=1)

    key = result.key
    migrate.upgrade(settings.database_url)
    db = Database(settings.database_url)
    try:
        fields: dict[str, Any] = {
            "symbol": key.symbol,
            "timeframe": key.timeframe,
            "start": key.start.to_pydatetime(),
            "end": key.end.to_pydatetime(),
            "feature_set": key.feature_set,
            "set_version": key.set_version,
            "code_version": key.code_version,
        }
        if not result.hit or fs_db.find(db, **fields) is None:
            fs_db.record(
                db, **fields, path=str(result.path), rows=result.rows, columns=result.columns
            )
    finally:
        db.dispose()

    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        if out.suffix.lower() == ".csv":
            result.frame.to_csv(out, index=False)
        else:
            result.frame.to_parquet(out, index=False)

    values = result.frame[fset.names].to_numpy(dtype=float)
    nan_share = float(pd.isna(values).mean()) if values.size else 0.0
    summary = {
        "symbol": key.symbol,
        "timeframe": key.timeframe,
        "start": key.start.isoformat(),
        "end": key.end.isoformat(),
        "feature_set": key.feature_set,
        "set_version": key.set_version,
        "code_version": key.code_version,
        "rows": result.rows,
        "features": result.columns,
        "warmup_bars": len(warm),
        "nan_share": round(nan_share, 6),
        "seconds": round(result.seconds, 3),
        "cache_hit": result.hit,
        "path": str(result.path),
        "out": str(out) if out is not None else None,
        "extra": {k: v for k, v in (("vix", vix), ("index", index)) if v is not None},
    }
    if json_out:
        print_json(summary)
        return
    table = Table(title=f"features {key.feature_set} {key.symbol} {key.timeframe}")
    table.add_column("metric")
    table.add_column("value", justify="right", overflow="fold")
    rows: list[tuple[str, str]] = [
        ("rows", f"{result.rows:,}"),
        ("features", f"{result.columns:,}"),
        ("first bar", f"{key.start.tz_convert(tz):%Y-%m-%d %H:%M %Z}"),
        ("last bar", f"{key.end.tz_convert(tz):%Y-%m-%d %H:%M %Z}"),
        ("warm-up bars", f"{len(warm):,}"),
        ("NaN share", f"{nan_share:.2%}"),
        ("seconds", f"{result.seconds:.2f}"),
        ("cache hit", "yes" if result.hit else "no"),
        ("set version", key.set_version),
        ("code version", key.code_version),
    ]
    for k, v in rows:
        table.add_row(k, v)
    console.print(table)
    console.print(f"stored {result.path}", highlight=False)
    for column, option in (("vix", "--vix"), ("index", "--index")):
        unfed = [f.name for f in fset.features if column in f.inputs and column not in frame]
        if unfed:
            console.print(
                f"note: {', '.join(unfed)} are NaN: give {option} SYMBOL for their series",
                highlight=False,
            )
    if out is not None:
        console.print(f"wrote {out}", highlight=False)


def _feature_set(text: str) -> FeatureSet:
    """``--set``: a set name, a feature name, or several of either separated by commas
    (named ``custom``)."""
    from tronlab.features.registry import FEATURE_SETS, select
    from tronlab.features.store import FeatureSet

    items = [t.strip() for t in text.split(",") if t.strip()]
    if not items:
        raise ValueError("--set is empty")
    if len(items) == 1:
        return FeatureSet.resolve(items[0])
    picked: dict[str, Feature] = {}
    names = [t for t in items if t not in FEATURE_SETS]
    chosen = {f.name: f for f in select(names)} if names else {}
    for item in items:
        for f in select(item) if item in FEATURE_SETS else [chosen[item]]:
            picked.setdefault(f.name, f)
    return FeatureSet("custom", tuple(picked.values()))


def _series_tz(calendar: str | None) -> str:
    """The exchange time zone of a series' calendar (UTC when it has none)."""
    from tronlab.data.calendars import get_calendar

    if not calendar:
        return "UTC"
    try:
        return str(get_calendar(calendar).tz)
    except ValueError:
        return "UTC"


def _aligned_close(store: BarStore, symbol: str, timeframe: str, frame: pd.DataFrame) -> Any:
    """``symbol``'s close at each bar of ``frame``: the last close at or before the bar
    (never a later one); NaN before its first bar."""
    import pandas as pd

    from tronlab.data.store import SeriesNotFound

    ts = frame["timestamp"]
    try:
        other = store.read(symbol, timeframe, end=ts.iloc[-1] + pd.Timedelta(microseconds=1))
    except SeriesNotFound as exc:
        fail(str(exc), code=1)
    index = pd.DatetimeIndex(other["timestamp"])
    series = pd.Series(other["close"].to_numpy(), index=index)
    aligned = series.reindex(pd.DatetimeIndex(ts).union(index)).ffill()
    return aligned.reindex(pd.DatetimeIndex(ts)).to_numpy(dtype=float)


def _compute(
    df: pd.DataFrame,
    features: Any,
    tz: str,
    tf_seconds: int,
    first: Any,
    progress: Any,
) -> pd.DataFrame:
    """The features over ``df`` (warm-up bars included), kept from ``first`` on."""
    from tronlab.features.registry import Bars
    from tronlab.features.store import compute_frame

    extra = {k: df[k].to_numpy(dtype=float) for k in ("vix", "index") if k in df.columns}
    bars = Bars.from_frame(df, tz=tz, timeframe_ns=tf_seconds * 1_000_000_000, extra=extra)
    frame = compute_frame(bars, features, df["timestamp"], progress=progress)
    kept: pd.DataFrame = frame[frame["timestamp"] >= first].reset_index(drop=True)
    return kept
