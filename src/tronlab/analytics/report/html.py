"""One self-contained HTML page per run: plotly.js embedded once in the page (no CDN, no
network), every chart a plotly figure, every text escaped by Jinja2's autoescaping.

The same :class:`ReportData` gives the same bytes (fixed chart ids, no clock).
"""

from __future__ import annotations

import json
import math
from functools import cache
from pathlib import Path
from typing import Any

import jinja2
import pandas as pd
import plotly.io as pio
import plotly.offline

import tronlab
from tronlab.analytics.report import figures
from tronlab.analytics.report.data import ReportData

__all__ = ["MAX_TABLE_ROWS", "render_html", "write_html"]

MAX_TABLE_ROWS = 5_000
"""The trade and risk-event tables list at most this many rows."""

_PLOT_CONFIG = {"displaylogo": False, "responsive": True, "modeBarButtonsToRemove": ["lasso2d"]}


@cache
def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("tronlab.analytics.report", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
    )


@cache
def _plotly_js() -> str:
    js: str = plotly.offline.get_plotlyjs()
    return js


def write_html(data: ReportData, path: Path | str) -> Path:
    """Render the report of ``data`` to ``path`` (parent folders are created)."""
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(render_html(data), encoding="utf-8")
    return out


def render_html(data: ReportData) -> str:
    """The report of ``data`` as one HTML document."""
    trades = data.trades.head(MAX_TABLE_ROWS)
    events = data.risk_events.head(MAX_TABLE_ROWS)
    return (
        _environment()
        .get_template("report.html.j2")
        .render(
            version=tronlab.__version__,
            data=data,
            plotly_js=_plotly_js(),
            params=", ".join(f"{k}={v}" for k, v in sorted(data.params.items())),
            verdict=_verdict(data.significance),
            cards=summary_cards(data),
            charts=_charts(data),
            trade_rows=[_trade_row(t) for t in trades.itertuples(index=False)],
            trades_total=len(data.trades),
            risk_rows=[_risk_row(e) for e in events.itertuples(index=False)],
            risk_total=len(data.risk_events),
            sig_rows=significance_rows(data.significance),
            sig_notes=[str(n) for n in (data.significance or {}).get("notes") or []],
            detail_rows=_detail_rows(data),
            metric_notes=[str(n) for n in data.summary.get("notes") or []],
            config_json=json.dumps(data.config, indent=2, sort_keys=True, default=str),
        )
    )


# ------------------------------------------------------------------------------- formatting
def _finite(value: Any) -> float | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        f = float(value)
    except (TypeError, ValueError):
        return None
    return f if math.isfinite(f) else None


def fmt_money(value: Any) -> str:
    f = _finite(value)
    return "—" if f is None else f"{f:,.2f}"


def fmt_pct(value: Any, digits: int = 2, signed: bool = False) -> str:
    f = _finite(value)
    if f is None:
        return "—"
    return f"{f * 100:+.{digits}f}%" if signed else f"{f * 100:.{digits}f}%"


def fmt_num(value: Any, digits: int = 2) -> str:
    f = _finite(value)
    return "—" if f is None else f"{f:,.{digits}f}"


def _sign_css(value: Any) -> str:
    f = _finite(value)
    return "" if f is None or f == 0 else ("pos" if f > 0 else "neg")


def _time(value: Any) -> str:
    return "" if value is None or pd.isna(value) else pd.Timestamp(value).strftime("%Y-%m-%d %H:%M")


def _duration(seconds: Any) -> str:
    f = _finite(seconds)
    if f is None:
        return ""
    days = f / 86_400
    return f"{days:.1f} days" if days >= 1 else f"{f / 3600:.1f} hours"


# ------------------------------------------------------------------------------------ parts
def summary_cards(data: ReportData) -> list[dict[str, str]]:
    """The headline numbers (label, value, a line under it, a css class for the sign)."""
    s, st = data.summary, data.trade_stats
    n_trades = int(st.get("n_trades") or 0)
    n_open = int(st.get("n_open_trades") or 0)
    pf = _finite(s.get("profit_factor"))
    if pf is None and n_trades and not st.get("n_losses") and st.get("n_wins"):
        pf_text = "∞"
    else:
        pf_text = fmt_num(pf)
    costs = data.costs
    share = "" if math.isnan(costs.share_of_gross) else f"{costs.share_of_gross:.0%} of |gross|"

    dd_sub = _duration(s.get("max_drawdown_duration"))
    if dd_sub and s.get("max_drawdown_recovered") is False:
        dd_sub += ", not recovered"

    def card(label: str, value: str, sub: str = "", css: str = "") -> dict[str, str]:
        return {"label": label, "value": value, "sub": sub, "css": css}

    return [
        card("Net PnL", fmt_money(s.get("net_pnl")),
             f"final equity {fmt_money(s.get('final_equity'))}", _sign_css(s.get("net_pnl"))),
        card("Return", fmt_pct(s.get("total_return"), signed=True),
             f"initial {fmt_money(s.get('initial_equity'))}", _sign_css(s.get("total_return"))),
        card("CAGR", fmt_pct(s.get("cagr"), signed=True), f"{fmt_num(s.get('years'), 2)} years",
             _sign_css(s.get("cagr"))),
        card("Sharpe", fmt_num(s.get("sharpe")), "daily, annualised", _sign_css(s.get("sharpe"))),
        card("Sortino", fmt_num(s.get("sortino")), "daily, annualised",
             _sign_css(s.get("sortino"))),
        card("Max drawdown", fmt_pct(s.get("max_drawdown")), dd_sub,
             "neg" if _finite(s.get("max_drawdown")) else ""),
        card("Win rate", fmt_pct(st.get("win_rate"), 1),
             f"{st.get('n_wins', 0)} won, {st.get('n_losses', 0)} lost"),
        card("Profit factor", pf_text, f"expectancy {fmt_money(st.get('expectancy'))}"),
        card("Trades", f"{n_trades:,}", f"{n_open} open" if n_open else "closed round trips"),
        card("Fees", fmt_money(costs.total), share, "neg" if costs.total > 0 else ""),
    ]  # fmt: skip


def _verdict(sig: dict[str, Any] | None) -> dict[str, str] | None:
    if not sig or not sig.get("verdict"):
        return None
    text = str(sig["verdict"])
    luck = bool(sig.get("likely_luck")) or "likely luck" in text.lower()
    return {"text": text, "css": "luck" if luck else ("ok" if sig.get("label") == "passes" else "")}


def significance_rows(sig: dict[str, Any] | None) -> list[tuple[str, str]]:
    """Label and formatted value of each significance statistic present in ``sig``."""
    if not sig:
        return []
    rows: list[tuple[str, str]] = []

    def add(label: str, key: str, fmt: Any) -> None:
        if key in sig and sig[key] is not None:
            rows.append((label, fmt(sig[key])))

    add("observations (daily returns)", "n_obs", lambda v: f"{int(v):,}")
    add("Sharpe ratio (annualised)", "sr_ann", fmt_num)
    add("Sharpe ratio (per day)", "sr", lambda v: fmt_num(v, 4))
    add("t-statistic of the mean return", "t_stat", fmt_num)
    add("Probabilistic Sharpe ratio, P(true SR > 0)", "psr", lambda v: fmt_pct(v, 1))
    add("configurations tried", "n_trials", lambda v: f"{int(v):,}")
    add(
        "expected best Sharpe of that many tries by luck (annualised)",
        "expected_max_sr_ann",
        fmt_num,
    )
    add("Deflated Sharpe ratio", "dsr", lambda v: fmt_pct(v, 1))
    ci = sig.get("sharpe_ci_ann") or sig.get("sharpe_ci")
    if isinstance(ci, list | tuple) and len(ci) == 2:
        alpha = _finite(sig.get("alpha"))
        level = "" if alpha is None else f" {1 - alpha:.0%}"
        scale = "annualised" if sig.get("sharpe_ci_ann") else "per day"
        rows.append(
            (f"bootstrap{level} CI of the Sharpe ({scale})", f"{fmt_num(ci[0])} … {fmt_num(ci[1])}")
        )
    add("track record needed for PSR 95%", "min_trl_years", lambda v: f"{fmt_num(v)} years")
    add(
        "skewness / kurtosis of daily returns",
        "skew",
        lambda v: f"{fmt_num(v)} / {fmt_num(sig.get('kurtosis'))}",
    )
    add("probability of backtest overfitting (PBO)", "pbo", lambda v: fmt_pct(v, 1))
    return rows


def _detail_rows(data: ReportData) -> list[tuple[str, str]]:
    s, st = data.summary, data.trade_stats
    rows = [
        ("volatility (annualised)", fmt_pct(s.get("volatility_ann"))),
        ("Calmar", fmt_num(s.get("calmar"))),
        ("best / worst day", f"{fmt_pct(s.get('best_period_return'), signed=True)} / "
                             f"{fmt_pct(s.get('worst_period_return'), signed=True)}"),
        ("positive days", fmt_pct(s.get("positive_periods"), 1)),
        ("exposure (time in market)", fmt_pct(s.get("exposure"), 1)),
        ("turnover (annualised)", fmt_num(s.get("turnover_ann"))),
        ("average win / loss", f"{fmt_money(st.get('avg_win'))} / {fmt_money(st.get('avg_loss'))}"),
        ("largest win / loss", f"{fmt_money(st.get('largest_win'))} / "
                               f"{fmt_money(st.get('largest_loss'))}"),
        ("max consecutive wins / losses", f"{st.get('max_consecutive_wins', 0)} / "
                                          f"{st.get('max_consecutive_losses', 0)}"),
        ("median holding time", _duration(st.get("median_holding_s")) or "—"),
        ("gross PnL", fmt_money(st.get("gross_pnl"))),
    ]  # fmt: skip
    for key, label in (("run_orders", "orders"), ("run_fills", "fills"),
                       ("run_rejected", "rejected orders"), ("run_risk_denials", "risk denials"),
                       ("run_strategy_errors", "strategy errors"),
                       ("run_trading_state", "final trading state")):  # fmt: skip
        if key in s:
            rows.append((label, str(s[key])))
    return rows


def _trade_row(t: Any) -> dict[str, Any]:
    def sort(v: Any) -> str:
        f = _finite(v)
        return "" if f is None else repr(f)

    return {
        "symbol": t.symbol,
        "side": t.side,
        "qty": f"{t.qty:g}" if _finite(t.qty) is not None else "",
        "qty_sort": sort(t.qty),
        "entry_time": _time(t.entry_time),
        "entry_sort": "" if pd.isna(t.entry_time) else t.entry_time.isoformat(),
        "entry_price": fmt_money(t.entry_price),
        "entry_price_sort": sort(t.entry_price),
        "exit_time": _time(t.exit_time) or "open",
        "exit_sort": "~" if pd.isna(t.exit_time) else t.exit_time.isoformat(),
        "exit_price": fmt_money(t.exit_price),
        "exit_price_sort": sort(t.exit_price),
        "pnl": fmt_money(t.pnl),
        "pnl_sort": sort(t.pnl),
        "pnl_css": _sign_css(t.pnl),
        "fees": fmt_money(t.fees),
        "fees_sort": sort(t.fees),
        "confidence": fmt_num(t.confidence) if _finite(t.confidence) is not None else "",
        "confidence_sort": sort(t.confidence),
        "strategy": str(t.strategy or ""),
        "entry_reason": "" if pd.isna(t.entry_reason) else str(t.entry_reason),
        "exit_reason": "" if pd.isna(t.exit_reason) else str(t.exit_reason),
    }


def _risk_row(e: Any) -> dict[str, Any]:
    def text(v: Any) -> str:
        return "" if v is None or (isinstance(v, float) and math.isnan(v)) else str(v)

    return {
        "time": _time(e.time),
        "sort": e.time.isoformat(),
        "kind": e.kind,
        "rule": text(e.rule),
        "reason_code": text(e.reason_code),
        "symbol": text(e.symbol),
        "trading_state": text(e.trading_state),
        "message": text(e.message),
    }


def _div(fig: Any, div_id: str) -> str:
    html: str = pio.to_html(
        fig, full_html=False, include_plotlyjs=False, div_id=div_id, config=_PLOT_CONFIG,
        default_width="100%", default_height=f"{fig.layout.height or 450}px",
    )  # fmt: skip
    return html


def _charts(data: ReportData) -> dict[str, Any]:
    return {
        "equity": _div(figures.equity_figure(data), "chart-equity"),
        "monthly": _div(figures.monthly_heatmap_figure(data.monthly_returns), "chart-monthly"),
        "daily": _div(figures.daily_pnl_figure(data.daily_pnl), "chart-daily"),
        "candles": [
            _div(figures.candles_figure(c, data.trades), f"chart-candles-{i}")
            for i, c in enumerate(data.candles)
        ],
        "risk": _div(figures.risk_timeline_figure(data.risk_events, data.approvals), "chart-risk"),
        "costs": _div(figures.costs_figure(data.costs), "chart-costs"),
    }
