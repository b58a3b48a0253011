"""The data half of ``tronlab demo``: the synthetic market through the real import path.

Generates the deterministic synthetic market, writes it as CSV files, imports them through the
validating importer, resamples to 5m/15m/1h/1d, checks every series against the NSE calendar,
shows how a bad CSV is reported, and prints coverage and a market summary.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
from rich.table import Table

from tronlab.cli.common import console
from tronlab.cli.data_cmd import _coverage_table
from tronlab.config import Settings, mask_url
from tronlab.data.gaps import find_gaps
from tronlab.data.importing import import_csv_files
from tronlab.data.resample import resample
from tronlab.data.store import BarStore
from tronlab.data.synthetic import SyntheticMarket, generate_market
from tronlab.observability import get_logger
from tronlab.storage import Database, migrate

log = get_logger(__name__)

RESAMPLE_TO = ("5m", "15m", "1h", "1d")


def prepare_market(
    settings: Settings, seed: int, days: int, run_id: str, *, show: bool = True
) -> SyntheticMarket:
    """Generate, import, validate, resample and gap-check the synthetic market (steps 0-5 of
    the demo, printed unless ``show`` is false); the market is returned."""
    if not show:
        with console.capture():
            return prepare_market(settings, seed, days, run_id, show=True)
    migrate.upgrade(settings.database_url)
    console.print(
        f"0. database {mask_url(settings.database_url)} at revision "
        f"{migrate.current(settings.database_url)}",
        highlight=False,
    )

    market = generate_market(seed=seed, days=days)
    csv_dir = settings.home / "demo" / f"synthetic-seed{seed}-{days}d"
    for stale in csv_dir.glob("*.csv"):
        stale.unlink()
    files = market.write_csv(csv_dir)
    first, last = market.sessions[0].date, market.sessions[-1].date
    console.print(
        f"1. generated {len(market.symbols)} symbols × {len(market.sessions)} NSE sessions "
        f"({first} → {last}, seed {seed}) as CSV in {csv_dir}",
        highlight=False,
    )

    store = BarStore(settings.bar_store_dir)
    report = import_csv_files(store, files, quarantine_dir=settings.quarantine_dir)
    if not report.ok:
        raise RuntimeError(f"synthetic data failed validation: {report.to_dict()}")
    console.print(
        f"2. imported {report.imported:,} of {report.rows:,} rows through the validating "
        f"importer ({sum(f.inserted for f in report.files):,} new) into {store.root}",
        highlight=False,
    )
    log.info("demo.imported", rows=report.imported, files=len(files))
    _audit(settings.database_url, report.to_dict(max_issues=0)["totals"], seed, days, run_id)

    for sym in market.symbols:
        bars = store.read(sym, "1m")
        for tf in RESAMPLE_TO:
            store.write(
                sym, tf, resample(bars, market.calendar, tf), calendar="NSE", source="resample:1m"
            )
    console.print(f"3. resampled every series 1m → {', '.join(RESAMPLE_TO)} along NSE sessions")

    missing = 0
    for sym in market.symbols:
        gaps = find_gaps(store.read(sym, "1m"), market.calendar, "1m")
        missing += gaps.bars_missing + len(gaps.missing_sessions) + gaps.unexpected
    console.print(
        f"4. gap check against the NSE calendar: {missing} missing or stray bars "
        f"across {len(market.symbols)} series"
    )

    _show_validation(settings.home / "demo", store)

    cov = store.coverage()
    shown = cov[cov["symbol"].isin(market.symbols) & cov["timeframe"].isin(["1m", "1d"])]
    console.print(_coverage_table(shown, "bar store coverage (1m and 1d; see `tronlab data list`)"))
    console.print(_summary(store, market.stocks, market.index_symbol, market.vix_symbol))
    regimes = market.regimes.value_counts().to_dict()
    console.print(
        "regimes: " + ", ".join(f"{k} {v} sessions" for k, v in sorted(regimes.items())),
        highlight=False,
    )
    return market


def _audit(url: str, totals: dict[str, object], seed: int, days: int, run_id: str) -> None:
    """Record the import in the hash-chained audit log and verify the chain."""
    db = Database(url)
    try:
        with db.unit_of_work() as uow:
            entry = uow.audit.append(
                "demo",
                "data.import",
                "bar_store",
                None,
                {"seed": seed, "days": days, "run_id": run_id, **totals},
            )
            check = uow.audit.verify()
    finally:
        db.dispose()
    state_text = "verified" if check.ok else f"[red]BROKEN[/] ({check.problem})"
    console.print(
        f"   audit log entry #{entry.seq} written; hash chain of {check.checked} entries "
        f"{state_text}",
        highlight=False,
    )


def _show_validation(workdir: Path, store: BarStore) -> None:
    """Import a deliberately broken CSV to show how bad rows are reported (nothing is stored)."""
    bad = workdir / "BROKEN_1m_2025-12-01_2025-12-01.csv"
    bad.write_text(
        "timestamp,open,high,low,close,volume\n"
        "2025-12-01T09:15:00+05:30,100,101,99,100.5,1200\n"
        "2025-12-01T09:16:00+05:30,100.5,100.2,99.8,100.1,900\n"
        "2025-12-01T09:16:00+05:30,100.1,100.4,99.9,100.2,800\n"
        "2025-12-01T09:18:00+05:30,100.2,100.6,100.0,abc,700\n"
        "2025-12-01T18:16:00+05:30,100.2,100.2,100.2,100.2,-5\n"
    )
    report = import_csv_files(store, [bad])
    f = report.files[0]
    console.print(
        f"5. validation: a broken CSV is [red]{f.status}[/] ({f.bad_rows} bad rows, "
        "nothing imported):",
        highlight=False,
    )
    for issue in f.issues:
        console.print(
            f"     {bad.name}:{issue.line} {issue.code}: {issue.message}", highlight=False
        )


def _summary(store: BarStore, stocks: tuple[str, ...], index: str, vix: str) -> Table:
    daily = {s: store.read(s, "1d").set_index("timestamp") for s in (*stocks, index, vix)}
    index_ret = np.log(daily[index]["close"]).diff()
    table = Table(title="synthetic market summary (daily bars)")
    for col in (
        "symbol",
        "first close",
        "last close",
        "return",
        "ann. vol",
        "avg volume",
        "corr. to index",
    ):
        table.add_column(col, justify="left" if col == "symbol" else "right")
    for sym in (*stocks, index, vix):
        d = daily[sym]
        ret = np.log(d["close"]).diff()
        ann_vol = float(ret.std() * math.sqrt(252))
        corr = float(ret.corr(index_ret)) if sym != index else 1.0
        table.add_row(
            sym,
            f"{d['close'].iloc[0]:,.2f}",
            f"{d['close'].iloc[-1]:,.2f}",
            f"{d['close'].iloc[-1] / d['close'].iloc[0] - 1:+.1%}",
            f"{ann_vol:.1%}",
            "—" if d["volume"].sum() == 0 else f"{d['volume'].mean():,.0f}",
            f"{corr:+.2f}",
        )
    return table


__all__ = ["prepare_market"]
