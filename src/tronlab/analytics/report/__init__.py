"""Run reports: one self-contained HTML page (plotly.js embedded, works offline) and PNGs of
the main charts, from a stored run.

``build_report_data(run_doc, ...)`` gathers what the report shows (:class:`ReportData`);
``write_html(data, path)`` and ``write_pngs(data, folder)`` render it. ``tronlab report RUN``
is the command-line entry point.
"""

from tronlab.analytics.report.data import (
    MAX_CANDLES,
    CandleSeries,
    Costs,
    ReportData,
    build_report_data,
    candle_seconds,
)
from tronlab.analytics.report.html import render_html, write_html
from tronlab.analytics.report.png import write_pngs

__all__ = [
    "MAX_CANDLES",
    "CandleSeries",
    "Costs",
    "ReportData",
    "build_report_data",
    "candle_seconds",
    "render_html",
    "write_html",
    "write_pngs",
]
