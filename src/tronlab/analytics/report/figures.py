"""The report's interactive charts as plotly figures (one function per chart).

Each function takes a :class:`ReportData` (or a part of it) and returns a
``plotly.graph_objects.Figure``; an empty input gives a figure that says so ("no trades")
instead of an empty frame. Times are drawn as exchange-local wall-clock times.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from tronlab.analytics.report.data import RISK_KINDS, CandleSeries, Costs, ReportData

__all__ = [
    "MAX_POINTS",
    "candles_figure",
    "costs_figure",
    "daily_pnl_figure",
    "equity_figure",
    "monthly_heatmap_figure",
    "risk_timeline_figure",
    "thin",
]

MAX_POINTS = 5_000
"""Line charts show at most this many points (longer curves are thinned per bucket)."""

TEMPLATE = "plotly_white"
GREEN, RED, BLUE, GREY = "#1a9850", "#d73027", "#2c6fbb", "#8c8c8c"
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_RISK_COLOURS = {"denial": RED, "resize": "#fc8d59", "square-off": BLUE, "state change": "#762a83"}


def local(index: pd.Index | pd.Series) -> pd.DatetimeIndex:
    """Wall-clock times without a zone (plotly.js ignores offsets; this keeps exchange time)."""
    idx = pd.DatetimeIndex(index)
    return idx.tz_localize(None) if idx.tz is not None else idx


def thin(series: pd.Series, how: str = "last", max_points: int = MAX_POINTS) -> pd.Series:
    """At most ``max_points`` points: consecutive buckets of equal size, each shown at its last
    time with its ``last`` value or its ``min`` (a drawdown keeps every bucket's low)."""
    n = len(series)
    if n <= max_points:
        return series
    step = math.ceil(n / max_points)
    groups = np.arange(n) // step
    values = series.groupby(groups).agg(how)
    times = pd.Series(series.index).groupby(groups).last()
    return pd.Series(values.to_numpy(), index=pd.DatetimeIndex(times.to_numpy()), name=series.name)


def _empty(fig: go.Figure, text: str) -> go.Figure:
    fig.add_annotation(
        text=text, showarrow=False, xref="paper", yref="paper", x=0.5, y=0.5,
        font={"size": 16, "color": GREY},
    )  # fmt: skip
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    return fig


def _layout(fig: go.Figure, title: str, height: int) -> go.Figure:
    fig.update_layout(
        template=TEMPLATE,
        title={"text": title, "x": 0.01, "font": {"size": 15}},
        height=height,
        margin={"l": 60, "r": 20, "t": 72, "b": 40},
        legend={"orientation": "h", "y": 1.0, "x": 1, "xanchor": "right", "yanchor": "bottom"},
        hovermode="x unified",
    )
    return fig


def equity_figure(data: ReportData) -> go.Figure:
    """Equity (top) and drawdown from the running peak in % (bottom), one shared time axis."""
    fig = make_subplots(
        rows=2, cols=1, shared_xaxes=True, row_heights=[0.68, 0.32], vertical_spacing=0.04
    )
    if len(data.equity) == 0:
        return _layout(_empty(fig, "no equity curve"), "Equity and drawdown", 520)
    eq = thin(data.equity)
    dd = thin(data.drawdown.astype(float) * 100.0, how="min")
    fig.add_trace(
        go.Scatter(x=local(eq.index), y=eq.to_numpy(), name="equity", mode="lines",
                   line={"color": BLUE, "width": 1.6}),
        row=1, col=1,
    )  # fmt: skip
    fig.add_trace(
        go.Scatter(x=local(dd.index), y=dd.to_numpy(), name="drawdown %", mode="lines",
                   fill="tozeroy", line={"color": RED, "width": 1}),
        row=2, col=1,
    )  # fmt: skip
    fig.update_yaxes(title_text="equity", tickformat=",.0f", row=1, col=1)
    fig.update_yaxes(title_text="drawdown %", ticksuffix="%", row=2, col=1)
    title = "Equity and drawdown"
    if len(eq) < len(data.equity):
        title += f" <span style='font-size:12px;color:{GREY}'>({len(data.equity):,} points "
        title += f"shown as {len(eq):,}; drawdown keeps each bucket's low)</span>"
    return _layout(fig, title, 520)


def monthly_heatmap_figure(monthly: pd.DataFrame) -> go.Figure:
    """Monthly returns in %, years down, months across, plus the compounded year (the table
    of :func:`tronlab.analytics.metrics.monthly_table`)."""
    fig = go.Figure()
    if len(monthly) == 0:
        return _layout(_empty(fig, "no monthly returns"), "Monthly returns", 260)
    z = monthly[[*range(1, 13), "year"]].to_numpy(dtype=float) * 100.0
    text = [["" if np.isnan(v) else f"{v:+.2f}%" for v in row] for row in z]
    bound = float(np.nanmax(np.abs(z[:, :12]))) or 1.0
    fig.add_trace(
        go.Heatmap(
            z=z, x=[*MONTHS, "Year"], y=[str(y) for y in monthly.index], text=text,
            texttemplate="%{text}", colorscale="RdYlGn", zmid=0.0, zmin=-bound, zmax=bound,
            hovertemplate="%{y} %{x}: %{text}<extra></extra>", colorbar={"ticksuffix": "%"},
            xgap=2, ygap=2,
        )
    )  # fmt: skip
    fig.update_yaxes(autorange="reversed", type="category")
    fig = _layout(fig, "Monthly returns", 160 + 46 * len(monthly))
    fig.update_layout(hovermode="closest")
    return fig


def daily_pnl_figure(daily_pnl: pd.Series) -> go.Figure:
    """Histogram of the PnL of each trading day."""
    fig = go.Figure()
    if len(daily_pnl) == 0:
        return _layout(_empty(fig, "no trading days"), "Daily PnL distribution", 360)
    values = daily_pnl.to_numpy(dtype=float)
    if values.min() == values.max():  # a histogram of one value is one meaningless bar
        text = f"every day's PnL is {values[0]:,.2f}" + (" (no trades)" if not values[0] else "")
        return _layout(_empty(fig, text), "Daily PnL distribution", 360)
    fig.add_trace(
        go.Histogram(x=values, nbinsx=min(60, max(10, len(values) // 2)), name="days",
                     marker={"color": BLUE, "line": {"color": "white", "width": 0.5}})
    )  # fmt: skip
    mean = float(values.mean())
    fig.add_vline(x=0.0, line={"color": GREY, "width": 1})
    fig.add_vline(
        x=mean, line={"color": GREEN if mean >= 0 else RED, "dash": "dash"},
        annotation_text=f"mean {mean:,.2f}", annotation_position="top",
    )  # fmt: skip
    up = int((values > 0).sum())
    title = f"Daily PnL distribution ({len(values)} days, {up} up, {int((values < 0).sum())} down)"
    fig.update_xaxes(title_text="PnL per day", tickformat=",.0f")
    fig.update_yaxes(title_text="days")
    fig = _layout(fig, title, 360)
    fig.update_layout(hovermode="closest", bargap=0.05)
    return fig


def _candle_index(series: CandleSeries, times: pd.Series) -> np.ndarray:
    """Position of the candle each time falls in (-1 before the first)."""
    starts = pd.DatetimeIndex(series.bars["timestamp"]).as_unit("ns").asi8
    t = pd.DatetimeIndex(times).as_unit("ns").asi8
    return np.searchsorted(starts, t, side="right") - 1


def candles_figure(series: CandleSeries, trades: pd.DataFrame) -> go.Figure:
    """OHLC candles of one symbol with each trade's entry (triangle) and exit (cross)."""
    fig = go.Figure()
    title = f"{series.symbol}: {series.note}"
    bars = series.bars
    if len(bars) == 0:
        return _layout(_empty(fig, "no bars"), title, 480)
    # A category axis: candles sit side by side without night and weekend gaps.
    labels = local(bars["timestamp"]).strftime("%Y-%m-%d %H:%M").tolist()
    fig.add_trace(
        go.Candlestick(
            x=labels, open=bars["open"], high=bars["high"], low=bars["low"], close=bars["close"],
            name=series.symbol, increasing_line_color=GREEN, decreasing_line_color=RED,
            line={"width": 1},
        )
    )  # fmt: skip
    mine = trades[trades["symbol"].astype(str) == series.symbol] if len(trades) else trades
    if len(mine) == 0:
        fig.add_annotation(
            text="no trades", showarrow=False, xref="paper", yref="paper", x=0.5, y=0.95,
            font={"size": 14, "color": GREY},
        )  # fmt: skip
    else:
        _trade_markers(fig, series, mine, labels)
    fig.update_xaxes(type="category", nticks=12, rangeslider_visible=False, showgrid=False)
    fig.update_yaxes(title_text="price", tickformat=",.2f")
    fig = _layout(fig, title, 480)
    fig.update_layout(hovermode="closest")
    return fig


def _trade_markers(
    fig: go.Figure, series: CandleSeries, trades: pd.DataFrame, labels: list[str]
) -> None:
    for which, symbol_of in (("entry", "triangle-up"), ("exit", "x")):
        rows = trades[trades[f"{which}_time"].notna()]
        if len(rows) == 0:
            continue
        pos = _candle_index(series, rows[f"{which}_time"])
        keep = pos >= 0
        rows, pos = rows[keep], pos[keep]
        long_side = (rows["side"].astype(str).str.upper() == "LONG").to_numpy()
        if which == "entry":
            colour = np.where(long_side, GREEN, RED)
            shape = np.where(long_side, "triangle-up", "triangle-down")
        else:
            colour = np.full(len(rows), "#222222")
            shape = np.full(len(rows), symbol_of)
        hover = [
            f"{which} {side} {qty:g} @ {price:,.2f}<br>{reason}"
            + (f"<br>confidence {conf:.2f}" if which == "entry" and not pd.isna(conf) else "")
            + (f"<br>PnL {pnl:,.2f}" if which == "exit" else "")
            for conf, side, qty, price, reason, pnl in zip(
                rows["confidence"], rows["side"], rows["qty"], rows[f"{which}_price"],
                rows[f"{which}_reason"].fillna("").astype(str).map(_short), rows["pnl"],
                strict=True,
            )
        ]  # fmt: skip
        fig.add_trace(
            go.Scatter(
                x=[labels[p] for p in pos], y=rows[f"{which}_price"].to_numpy(dtype=float),
                mode="markers", name="entries" if which == "entry" else "exits",
                hovertext=hover, hoverinfo="text",
                marker={"symbol": shape.tolist(), "color": colour.tolist(),
                        "size": 11 if which == "entry" else 7,
                        "line": {"width": 1, "color": "white"}},
            )
        )  # fmt: skip


def _short(text: str, n: int = 90) -> str:
    """Hover text is HTML in plotly: escape it and keep it short."""
    text = text if len(text) <= n else text[: n - 1] + "…"
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def risk_timeline_figure(events: pd.DataFrame, approvals: int) -> go.Figure:
    """Denials, resizes, square-offs and trading-state changes over time, one row per kind."""
    fig = go.Figure()
    title = f"Risk events ({len(events):,} notable; {approvals:,} plain approvals not shown)"
    if len(events) == 0:
        return _layout(_empty(fig, "no denials, square-offs or state changes"), title, 260)
    # One row per kind, denials split by reason code (the reason is what a reader acts on).
    reason = events["reason_code"].where(events["reason_code"] != "", events["rule"])
    row_of = events["kind"].where(events["kind"] != "denial", "denial: " + reason)
    order = sorted(set(row_of), key=lambda r: (RISK_KINDS.index(r.split(":")[0]), r))
    for kind in RISK_KINDS:
        rows = events[events["kind"] == kind]
        if len(rows) == 0:
            continue
        hover = [
            _short(f"{code}: {msg}" + (f" ({sym})" if isinstance(sym, str) and sym else ""))
            + (f"<br>state {st}" if isinstance(st, str) and st else "")
            for code, msg, sym, st in zip(
                reason[rows.index], rows["message"], rows["symbol"], rows["trading_state"],
                strict=True,
            )
        ]  # fmt: skip
        fig.add_trace(
            go.Scatter(
                x=local(rows["time"]), y=row_of[rows.index].tolist(), mode="markers", name=kind,
                hovertext=hover, hoverinfo="x+text",
                marker={"color": _RISK_COLOURS[kind], "size": 12, "symbol": "line-ns-open",
                        "line": {"width": 2}},
            )
        )  # fmt: skip
    fig.update_yaxes(
        type="category", categoryorder="array", categoryarray=order[::-1], automargin=True
    )
    height = 170 + 34 * len(order)
    fig = _layout(fig, title, height)
    fig.update_layout(hovermode="closest")
    return fig


def costs_figure(costs: Costs) -> go.Figure:
    """Fees by charge component when known, else by symbol (and by strategy when known)."""
    parts = [("component", costs.by_component)] if costs.by_component else []
    parts.append(("symbol", costs.by_symbol))
    known = {k: v for k, v in costs.by_strategy.items() if k != "unknown"}
    if len(known) > 1:
        parts.append(("strategy", costs.by_strategy))
    fig = make_subplots(
        rows=1,
        cols=len(parts),
        subplot_titles=[f"by {p}" for p, _ in parts],
        horizontal_spacing=0.25,  # room for the category labels of the next panel
    )
    title = f"Costs: fees {costs.total:,.2f}"
    if not math.isnan(costs.share_of_gross):
        title += f" ({costs.share_of_gross:.0%} of |gross PnL| {abs(costs.gross_pnl):,.2f})"
    if costs.total == 0:
        return _layout(_empty(fig, "no fees"), title, 300)
    for col, (_, values) in enumerate(parts, start=1):
        items = sorted(values.items(), key=lambda kv: kv[1])
        fig.add_trace(
            go.Bar(x=[v for _, v in items], y=[k for k, _ in items], orientation="h",
                   marker={"color": BLUE}, showlegend=False,
                   text=[f"{v:,.2f}" for _, v in items], textposition="auto"),
            row=1, col=col,
        )  # fmt: skip
    fig = _layout(fig, title, 300)
    fig.update_layout(hovermode="closest")
    fig.update_yaxes(automargin=True)
    return fig
