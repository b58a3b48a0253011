"""PNG images of the report's main charts, drawn with matplotlib (Agg, no display, no
browser): equity and drawdown, monthly returns, the daily PnL distribution and one
candlestick chart per symbol with the trades on it.

Figures are built with :class:`matplotlib.figure.Figure` directly (not pyplot), so nothing
global changes; the files carry no time stamp or version, so the same data give the same
bytes.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.collections import PolyCollection
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from tronlab.analytics.report.data import CandleSeries, ReportData
from tronlab.analytics.report.figures import BLUE, GREEN, GREY, MONTHS, RED, local, thin

__all__ = ["write_pngs"]

DPI = 110
_METADATA = {"Software": None}  # no version string in the file: same data, same bytes


def write_pngs(data: ReportData, folder: Path | str) -> list[Path]:
    """Write ``equity.png``, ``monthly_returns.png``, ``daily_pnl.png`` and one
    ``candles_SYMBOL.png`` per candlestick series into ``folder``; return the paths."""
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    figs: list[tuple[str, Figure]] = [
        ("equity.png", equity_png(data)),
        ("monthly_returns.png", monthly_png(data.monthly_returns)),
        ("daily_pnl.png", daily_pnl_png(data.daily_pnl)),
    ]
    for series in data.candles:
        name = re.sub(r"[^A-Za-z0-9_.-]", "_", series.symbol)
        figs.append((f"candles_{name}.png", candles_png(series, data.trades)))
    paths = []
    for name, fig in figs:
        path = out / name
        fig.savefig(path, dpi=DPI, metadata=_METADATA)
        paths.append(path)
    return paths


def _empty(ax: Axes, text: str) -> None:
    ax.text(0.5, 0.5, text, ha="center", va="center", color=GREY, fontsize=13,
            transform=ax.transAxes)  # fmt: skip
    ax.set_xticks([])
    ax.set_yticks([])


def _style(ax: Axes) -> None:
    ax.grid(True, color="#e6e6e6", linewidth=0.7)
    ax.set_axisbelow(True)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)


_THOUSANDS = FuncFormatter(lambda v, _: f"{v:,.0f}")


def equity_png(data: ReportData) -> Figure:
    fig = Figure(figsize=(11, 5.5), layout="constrained")
    top, bottom = fig.subplots(2, 1, sharex=True, height_ratios=[2.2, 1])
    fig.suptitle(f"{data.title}: equity and drawdown", fontsize=12)
    if len(data.equity) == 0:
        _empty(top, "no equity curve")
        _empty(bottom, "")
        return fig
    eq = thin(data.equity)
    dd = thin(data.drawdown.astype(float) * 100.0, how="min")
    top.plot(local(eq.index), eq.to_numpy(), color=BLUE, linewidth=1.2)
    top.yaxis.set_major_formatter(_THOUSANDS)
    top.set_ylabel("equity")
    bottom.fill_between(local(dd.index), dd.to_numpy(), 0.0, color=RED, alpha=0.35, linewidth=0)
    bottom.plot(local(dd.index), dd.to_numpy(), color=RED, linewidth=0.8)
    bottom.set_ylabel("drawdown %")
    for ax in (top, bottom):
        _style(ax)
    fig.autofmt_xdate()
    return fig


def monthly_png(monthly: pd.DataFrame) -> Figure:
    fig = Figure(figsize=(11, 1.4 + 0.45 * max(len(monthly), 1)), layout="constrained")
    ax = fig.subplots()
    ax.set_title("Monthly returns (%)", fontsize=12, loc="left")
    if len(monthly) == 0:
        _empty(ax, "no monthly returns")
        return fig
    z = monthly[[*range(1, 13), "year"]].to_numpy(dtype=float) * 100.0
    bound = float(np.nanmax(np.abs(z[:, :12]))) or 1.0
    ax.imshow(z, cmap="RdYlGn", vmin=-bound, vmax=bound, aspect="auto")
    for (r, c), v in np.ndenumerate(z):
        if not np.isnan(v):
            ax.text(c, r, f"{v:+.2f}", ha="center", va="center", fontsize=9)
    ax.set_xticks(range(13), [*MONTHS, "Year"])
    ax.set_yticks(range(len(monthly)), [str(y) for y in monthly.index])
    for side in ("top", "right", "left", "bottom"):
        ax.spines[side].set_visible(False)
    return fig


def daily_pnl_png(daily_pnl: pd.Series) -> Figure:
    fig = Figure(figsize=(8, 4), layout="constrained")
    ax = fig.subplots()
    ax.set_title("Daily PnL distribution", fontsize=12, loc="left")
    if len(daily_pnl) == 0:
        _empty(ax, "no trading days")
        return fig
    values = daily_pnl.to_numpy(dtype=float)
    if values.min() == values.max():
        _empty(ax, f"every day's PnL is {values[0]:,.2f}")
        return fig
    ax.hist(values, bins=min(60, max(10, len(values) // 2)), color=BLUE, edgecolor="white")
    mean = float(values.mean())
    ax.axvline(0.0, color=GREY, linewidth=1)
    ax.axvline(mean, color=GREEN if mean >= 0 else RED, linestyle="--",
               label=f"mean {mean:,.2f}")  # fmt: skip
    ax.legend(frameon=False)
    ax.set_xlabel("PnL per day")
    ax.set_ylabel("days")
    ax.xaxis.set_major_formatter(_THOUSANDS)
    _style(ax)
    return fig


def candles_png(series: CandleSeries, trades: pd.DataFrame) -> Figure:
    fig = Figure(figsize=(11, 4.8), layout="constrained")
    ax = fig.subplots()
    ax.set_title(f"{series.symbol}: {series.note}", fontsize=12, loc="left")
    bars = series.bars
    if len(bars) == 0:
        _empty(ax, "no bars")
        return fig
    o, h, lo, c = (bars[k].to_numpy(dtype=float) for k in ("open", "high", "low", "close"))
    x = np.arange(len(bars))
    colour = np.where(c >= o, GREEN, RED)
    ax.vlines(x, lo, h, colors=colour.tolist(), linewidth=0.6)
    # Bodies as one PolyCollection: thousands of bar() patches are far slower to draw.
    half = 0.35 if len(bars) < 400 else 0.45
    top, bottom = np.maximum(o, c), np.minimum(o, c)
    bottom = np.where(top - bottom < 1e-9, bottom - 1e-4 * top, bottom)  # doji: a thin body
    verts = np.stack(
        [np.c_[x - half, bottom], np.c_[x - half, top], np.c_[x + half, top],
         np.c_[x + half, bottom]], axis=1,
    )  # fmt: skip
    ax.add_collection(PolyCollection(list(verts), facecolors=colour, edgecolors="none"))
    mine = trades[trades["symbol"].astype(str) == series.symbol] if len(trades) else trades
    starts = pd.DatetimeIndex(bars["timestamp"]).as_unit("ns").asi8
    if len(mine) == 0:
        ax.text(0.5, 0.94, "no trades", ha="center", color=GREY, transform=ax.transAxes)
    for which, marker, col, label in (
        ("entry", "^", "#0b5d1e", "entries"),
        ("exit", "x", "#222222", "exits"),
    ):
        rows = mine[mine[f"{which}_time"].notna()] if len(mine) else mine
        if len(rows) == 0:
            continue
        t = pd.DatetimeIndex(rows[f"{which}_time"]).as_unit("ns").asi8
        pos = np.searchsorted(starts, t, side="right") - 1
        keep = pos >= 0
        ax.scatter(pos[keep], rows[f"{which}_price"].to_numpy(dtype=float)[keep], marker=marker,
                   color=col, s=42, zorder=3, label=label)  # fmt: skip
    if len(mine):
        ax.legend(frameon=False, loc="upper left")
    ticks = np.linspace(0, len(bars) - 1, num=min(8, len(bars))).round().astype(int)
    labels = local(bars["timestamp"])
    ax.set_xticks(ticks, [labels[i].strftime("%Y-%m-%d\n%H:%M") for i in ticks], fontsize=8)
    ax.set_xlim(-1, len(bars))
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.2f}"))
    _style(ax)
    return fig
