"""``tronlab ab``: an A/B test of two strategy configurations on the same data.

A CONFIG is either

* a strategy spec ``NAME[:PARAM=VALUE,...]``, e.g. ``sma_cross:fast=5,slow=20`` (a user
  strategy ``pkg.module:Class`` takes its parameters after one more colon:
  ``pkg.module:Class:fast=5``), or
* a path to a YAML or JSON backtest config (``.yaml``, ``.yml`` or ``.json``): a mapping with
  ``strategy`` (required), ``params`` (a mapping) and any :class:`BacktestConfig` field
  (``symbols``, ``timeframe``, ``start``, ``end``, ``initial_cash``, ``costs``,
  ``slippage``, ``market_fill``, ``risk_profile``, ``seed``, ...). Unknown keys are refused.

Both arms run on the same data: ``--symbol``/``--timeframe``/``--start``/``--end`` given on
the command line apply to both; otherwise a file's values are used, and the two arms must
then agree on them. Other settings (costs, slippage, cash, risk profile) may differ between
the files, and the command-line options override them for both.

Bars come from the bar store; when nothing is imported yet (an empty store) the synthetic
market (:func:`tronlab.data.synthetic.generate_market`, seed 7, ``--days`` sessions) is
generated in memory. Both runs are stored through the normal run recorder (each counts as a
trial of its strategy); their daily returns are paired by session date and compared with
:func:`tronlab.analytics.significance.paired_difference_test`; the experiment (both
configurations, both run ids, the statistics and the verdict) is stored in ``experiments``.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, fields
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import pandas as pd
import typer
from rich.table import Table

from tronlab.cli.backtest_cmd import CashOpt, EndOpt, StartOpt, initial_cash
from tronlab.cli.common import console, fail, print_json, state

if TYPE_CHECKING:
    from tronlab.engine.backtest import BacktestConfig

FILE_SUFFIXES = (".yaml", ".yml", ".json")
#: Settings that define the data; both arms must share them.
DATA_FIELDS = ("symbols", "timeframe", "start", "end")
#: Calendar of a run's time zone (runs store their zone, not their calendar).
TZ_CALENDARS = {"Asia/Kolkata": "NSE", "America/New_York": "NYSE"}
SYNTHETIC_DEFAULT_SYMBOL = "SYNTH_RELI"


@dataclass(frozen=True)
class ArmSpec:
    """One side of an A/B test as given: the strategy, its parameters and file settings."""

    source: str
    strategy: str
    params: dict[str, Any]
    settings: dict[str, Any]


def _config_fields() -> tuple[str, ...]:
    from tronlab.engine.backtest import BacktestConfig

    return tuple(f.name for f in fields(BacktestConfig) if f.name != "params")


def parse_arm(text: str) -> ArmSpec:
    """A CONFIG (see the module docstring) as an :class:`ArmSpec`; raises ``ValueError``."""
    text = text.strip()
    if not text:
        raise ValueError("empty CONFIG: give NAME[:PARAM=VALUE,...] or a YAML/JSON file")
    path = Path(text)
    if path.suffix.lower() in FILE_SUFFIXES or path.is_file():
        return _arm_from_file(path)
    head, sep, tail = text.rpartition(":")
    if sep and ("=" in tail or not tail):
        name, assignments = head, [a for a in tail.split(",") if a.strip()]
    else:
        name, assignments = text, []
    from tronlab.strategy import parse_assignments

    return ArmSpec(text, name.strip(), dict(parse_assignments(assignments)), {})


def _arm_from_file(path: Path) -> ArmSpec:
    import yaml

    try:
        raw = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ValueError(f"cannot read config {path}: {exc.strerror or exc}") from None
    try:
        doc = json.loads(raw) if path.suffix.lower() == ".json" else yaml.safe_load(raw)
    except (json.JSONDecodeError, yaml.YAMLError) as exc:
        raise ValueError(f"{path}: not valid {path.suffix.lstrip('.').upper()}: {exc}") from None
    if not isinstance(doc, dict):
        raise ValueError(f"{path}: a backtest config is a mapping with at least 'strategy'")
    allowed = _config_fields()
    unknown = sorted(set(doc) - {"strategy", "params", *allowed})
    if unknown:
        raise ValueError(
            f"{path}: unknown key(s) {', '.join(unknown)} (allowed: strategy, params, "
            f"{', '.join(allowed)})"
        )
    strategy = doc.get("strategy")
    if not isinstance(strategy, str) or not strategy:
        raise ValueError(f"{path}: 'strategy' must name a strategy")
    params = doc.get("params") or {}
    if not isinstance(params, dict):
        raise ValueError(f"{path}: 'params' must be a mapping of NAME: VALUE")
    settings = {k: v for k, v in doc.items() if k not in ("strategy", "params")}
    if isinstance(settings.get("symbols"), str):
        settings["symbols"] = [settings["symbols"]]
    for key in ("start", "end"):  # YAML reads 2025-01-02 as a date
        if isinstance(settings.get(key), date):
            settings[key] = settings[key].isoformat()
    return ArmSpec(str(path), strategy, {str(k): v for k, v in params.items()}, settings)


def build_configs(
    a: ArmSpec, b: ArmSpec, overrides: Mapping[str, Any], *, default_symbols: tuple[str, ...]
) -> tuple[BacktestConfig, BacktestConfig]:
    """The two :class:`BacktestConfig` objects: command-line ``overrides`` (values not
    ``None``) over each file's settings over the defaults; the data settings must agree."""
    from tronlab.engine.backtest import BacktestConfig

    given = {k: v for k, v in overrides.items() if v is not None}
    merged = [{**arm.settings, **given} for arm in (a, b)]
    for m in merged:
        if "symbols" in m:
            m["symbols"] = [str(s).upper() for s in m["symbols"]]
    for key in DATA_FIELDS:
        va, vb = (m.get(key) for m in merged)
        if va != vb:
            raise ValueError(
                f"A and B must run on the same data: {key} is {va!r} in A and {vb!r} in B "
                f"(give --{key.rstrip('s')} to set it for both)"
            )
    out = []
    for arm, m in zip((a, b), merged, strict=True):
        m.setdefault("symbols", list(default_symbols))
        m.setdefault("risk_profile", "tron-default")
        m["symbols"] = tuple(m["symbols"])
        if "initial_cash" in m:
            m["initial_cash"] = _decimal(m["initial_cash"], "initial_cash")
        else:
            m["initial_cash"] = initial_cash(None, str(m["risk_profile"]))
        if m.get("margin_rate") is not None:
            m["margin_rate"] = _decimal(m["margin_rate"], "margin_rate")
        if "extra_timeframes" in m:
            m["extra_timeframes"] = tuple(m["extra_timeframes"])
        out.append(BacktestConfig(**m, params=dict(arm.params)))
    return out[0], out[1]


def _decimal(value: Any, name: str) -> Decimal:
    try:
        return Decimal(str(value))
    except InvalidOperation:
        raise ValueError(f"{name} must be a number, got {value!r}") from None


# ------------------------------------------------------------------------------ data


def synthetic_frames(
    symbols: tuple[str, ...], timeframe: str, days: int, start: str | None, end: str | None
) -> dict[str, pd.DataFrame]:
    """The synthetic market's bars for ``symbols`` (seed 7), cut to ``[start, end)``."""
    from tronlab.data.synthetic import generate_market

    market = generate_market(seed=7, days=days, timeframe=timeframe)
    missing = [s for s in symbols if s not in market.bars]
    if missing:
        raise ValueError(
            f"the bar store is empty and the synthetic market has no {', '.join(missing)} "
            f"(it has {', '.join(market.symbols)}); import bars with `tronlab data import`"
        )
    tz = market.calendar.tz
    out: dict[str, pd.DataFrame] = {}
    for s in symbols:
        df = market.bars[s]
        keep = pd.Series(True, index=df.index)
        if start is not None:
            keep &= df["timestamp"] >= pd.Timestamp(start).tz_localize(tz)
        if end is not None:
            keep &= df["timestamp"] < pd.Timestamp(end).tz_localize(tz)
        out[s] = df[keep].reset_index(drop=True)
        if out[s].empty:
            first, last = market.sessions[0].date, market.sessions[-1].date
            raise ValueError(
                f"no {s} bars between {start} and {end}: the synthetic market covers "
                f"{first}..{last} (--days sets how many sessions)"
            )
    return out


# ------------------------------------------------------------------------------ metrics


def sessions_per_year(tz: str, year: int) -> int:
    """Sessions in ``year`` of the calendar of time zone ``tz`` (NSE for Asia/Kolkata, NYSE
    for America/New_York, 24x7 otherwise); the last fully covered year outside coverage."""
    from tronlab.data.calendars import get_calendar

    cal = get_calendar(TZ_CALENDARS.get(tz, "24x7"))
    last_full = (
        cal.last_date.year
        if (cal.last_date.month, cal.last_date.day) == (12, 31)
        else (cal.last_date.year - 1)
    )
    y = min(max(year, cal.first_date.year + 1), last_full)
    return len(cal.sessions(date(y, 1, 1), date(y, 12, 31)))


def daily_returns(equity: pd.DataFrame | pd.Series, tz: str, initial: float) -> pd.Series:
    """Session returns of an equity curve (``time``/``equity`` frame or a time-indexed
    series), the first measured from the initial cash."""
    from tronlab.analytics import metrics

    return metrics.daily_returns(equity, tz, initial_equity=initial)


def equity_frame(records: list[dict[str, Any]]) -> pd.DataFrame:
    """A stored ``equity_curve`` artifact as a ``time``/``equity`` frame (tz-aware)."""
    frame = pd.DataFrame(records, columns=["time", "equity"])
    frame["time"] = pd.to_datetime(frame["time"], utc=True, format="ISO8601")
    return frame


def run_metrics(
    summary: Mapping[str, Any], equity: pd.DataFrame | pd.Series, tz: str
) -> dict[str, Any]:
    """The headline figures of a run: its stored summary's and the daily ratios (Sharpe,
    Sortino, annualised volatility over session returns; ``None`` where undefined)."""
    from tronlab.analytics import metrics

    keys = ("trades", "win_rate", "net_pnl", "fees", "return_pct", "max_drawdown_pct",
            "final_equity", "first_bar", "last_bar")  # fmt: skip
    out: dict[str, Any] = {k: summary.get(k) for k in keys}
    initial = float(summary.get("initial_cash") or 0.0)
    returns = daily_returns(equity, tz, initial) if initial > 0 and len(equity) else None
    if returns is None or returns.empty:
        out.update(sessions=0, sharpe=None, sortino=None, volatility_ann=None,
                   mean_daily_return=None, periods_per_year=None)  # fmt: skip
        return out
    ppy = sessions_per_year(tz, int(returns.index[-1].year))
    out.update(
        sessions=len(returns),
        periods_per_year=ppy,
        mean_daily_return=_finite(float(returns.mean())),
        sharpe=_finite(metrics.sharpe_ratio(returns, ppy)),
        sortino=_finite(metrics.sortino_ratio(returns, ppy)),
        volatility_ann=_finite(metrics.annualised_volatility(returns, ppy)),
    )
    return out


def _finite(x: float) -> float | None:
    return x if math.isfinite(x) else None


def fmt(value: Any, kind: str = "") -> str:
    """A metric for a table cell (``—`` when missing)."""
    if value is None:
        return "—"
    if kind == "pct":
        return f"{value:.3f}%"
    if kind == "frac":
        return f"{value:.1%}"
    if kind == "money":
        return f"{value:,.2f}"
    if kind == "ratio":
        return f"{value:.3f}"
    if kind == "small":
        return f"{value:.5%}"
    return str(value)


# ------------------------------------------------------------------------------ the command


def arm_config(arm: ArmSpec, result: Any) -> dict[str, Any]:
    """What an experiment stores of one arm: the CONFIG as given, the strategy, its resolved
    parameters and the effective backtest configuration."""
    config = {k: v for k, v in dict(result.config).items() if k != "params"}
    return {"spec": arm.source, "strategy": result.strategy, "params": dict(result.params),
            **config}  # fmt: skip


def ab(
    ctx: typer.Context,
    a: Annotated[str, typer.Option("--a", help="Config A: NAME[:P=V,...] or a YAML/JSON file.")],
    b: Annotated[str, typer.Option("--b", help="Config B: NAME[:P=V,...] or a YAML/JSON file.")],
    symbol: Annotated[
        list[str] | None, typer.Option("--symbol", help="Symbol (repeat for more); both arms.")
    ] = None,
    timeframe: Annotated[
        str | None, typer.Option("--timeframe", "-t", help="Bar timeframe (default 1m).")
    ] = None,
    start: StartOpt = None,
    end: EndOpt = None,
    cash: CashOpt = None,
    profile: Annotated[
        str | None, typer.Option(help="Risk profile for both (default tron-default).")
    ] = None,
    costs: Annotated[str | None, typer.Option(help="Cost model for both.")] = None,
    n_boot: Annotated[int, typer.Option(min=100, help="Bootstrap resamples.")] = 2000,
    seed: Annotated[int, typer.Option(help="Bootstrap seed.")] = 0,
    alpha: Annotated[float, typer.Option(help="Significance level.")] = 0.05,
    block: Annotated[
        float | None, typer.Option(help="Mean block length (stationary bootstrap).")
    ] = None,
    days: Annotated[
        int, typer.Option(min=5, max=2000, help="Sessions of the synthetic market (empty store).")
    ] = 60,
    json_out: Annotated[bool, typer.Option("--json", help="Print the experiment as JSON.")] = False,
) -> None:
    """A/B test two configurations on the same data: store both runs, pair their daily
    returns, bootstrap the difference and store the experiment with its verdict."""
    from tronlab.analytics import AnalyticsInputError, significance
    from tronlab.data.store import BarStore, SeriesNotFound
    from tronlab.engine.backtest import run_backtest
    from tronlab.storage import Database, migrate
    from tronlab.storage.backtests import BacktestRecorder
    from tronlab.storage.experiments import save_experiment
    from tronlab.strategy import ParamError, get_strategy

    settings = state(ctx).settings
    store = BarStore(settings.bar_store_dir)
    synthetic = not store.symbols()
    try:
        arms = parse_arm(a), parse_arm(b)
        for arm in arms:
            get_strategy(arm.strategy)(**arm.params)  # validate early, with clear messages
        overrides = {
            "symbols": [s.upper() for s in symbol] if symbol else None,
            "timeframe": timeframe, "start": start, "end": end, "risk_profile": profile,
            "costs": costs, "initial_cash": cash,
        }  # fmt: skip
        defaults = (SYNTHETIC_DEFAULT_SYMBOL,) if synthetic else ()
        cfg_a, cfg_b = build_configs(*arms, overrides, default_symbols=defaults)
        if not cfg_a.symbols:
            raise ValueError("give --symbol (or symbols in the config files)")
        frames = None
        if synthetic:
            frames = synthetic_frames(cfg_a.symbols, cfg_a.timeframe, days, cfg_a.start, cfg_a.end)
    except (ParamError, ValueError) as exc:
        fail(str(exc), code=2)
    if synthetic and not json_out:
        console.print(
            f"no bars imported: using the synthetic market (seed 7, {days} sessions)",
            highlight=False,
        )
    migrate.upgrade(settings.database_url)
    db = Database(settings.database_url)
    try:
        recorder = BacktestRecorder(db)
        source: dict[str, Any] = {"frames": frames} if frames is not None else {"store": store}
        try:
            results = [
                run_backtest(arm.strategy, cfg, recorder=recorder, **source)
                for arm, cfg in zip(arms, (cfg_a, cfg_b), strict=True)
            ]
        except SeriesNotFound as exc:
            fail(str(exc), code=1)
        except ValueError as exc:
            fail(str(exc), code=2)
        ra, rb = results
        tz = ra.timezone
        returns = [
            daily_returns(r.equity_curve, tz, float(r.summary["initial_cash"])) for r in results
        ]
        ppy = sessions_per_year(tz, int(returns[0].index[-1].year)) if len(returns[0]) else 252
        try:
            test = significance.paired_difference_test(
                returns[0], returns[1], n_boot, seed, alpha=alpha, block=block,
                periods_per_year=ppy,
            )  # fmt: skip
        except AnalyticsInputError as exc:
            fail(f"{exc} (runs {ra.run_id} and {rb.run_id} are stored)", code=2)
        stats = {
            "test": test,
            "a": run_metrics(ra.summary, ra.equity_curve, tz),
            "b": run_metrics(rb.summary, rb.equity_curve, tz),
        }
        record = save_experiment(
            db, "ab", a_config=arm_config(arms[0], ra), b_config=arm_config(arms[1], rb),
            a_run_id=ra.run_id, b_run_id=rb.run_id, stats=stats, verdict=str(test["verdict"]),
        )  # fmt: skip
    finally:
        db.dispose()
    doc = record.to_dict()
    if json_out:
        print_json(doc)
        return
    _print_ab(doc, cfg_a)


def _print_ab(doc: dict[str, Any], cfg: BacktestConfig) -> None:
    from tronlab.cli.backtest_cmd import COMPARE_ROWS

    st = doc["stats"]
    t = st["test"]
    table = Table(title=f"A/B {', '.join(cfg.symbols)} {cfg.timeframe} · {t['n_obs']} sessions")
    table.add_column("")
    table.add_column("A", justify="right")
    table.add_column("B", justify="right")
    table.add_row("config", doc["a"]["config"]["spec"], doc["b"]["config"]["spec"])
    table.add_row("run", str(doc["a"]["run_id"]), str(doc["b"]["run_id"]))
    for label, key, kind in COMPARE_ROWS:
        table.add_row(label, fmt(st["a"].get(key), kind), fmt(st["b"].get(key), kind))
    console.print(table)
    lo, hi = t["mean_diff_ci"]
    slo, shi = t["sharpe_diff_ci"]
    level = f"{1 - t['alpha']:.0%}"
    test = Table(title=f"paired bootstrap B − A ({t['n_boot']} resamples, seed {t['seed']})")
    for col in ("difference", "estimate", f"{level} CI", "p-value"):
        test.add_column(col, justify="left" if col == "difference" else "right")
    test.add_row(
        "mean daily return", fmt(t["mean_diff"], "small"),
        f"{fmt(lo, 'small')} .. {fmt(hi, 'small')}", fmt(t["mean_diff_p"], "ratio"),
    )  # fmt: skip
    test.add_row(
        "Sharpe (per session)", fmt(t["sharpe_diff"], "ratio"),
        f"{fmt(slo, 'ratio')} .. {fmt(shi, 'ratio')}", fmt(t["sharpe_diff_p"], "ratio"),
    )  # fmt: skip
    console.print(test)
    console.print(f"[bold]{doc['verdict']}[/]", highlight=False)
    console.print(f"experiment [bold]{doc['experiment_id']}[/] saved", highlight=False)


__all__ = ["ArmSpec", "ab", "build_configs", "parse_arm", "run_metrics", "sessions_per_year"]
