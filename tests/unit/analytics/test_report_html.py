"""The HTML report: self-contained (plotly.js once, nothing fetched), escaped, deterministic,
with every section, a loud "likely luck" banner and a page that still works with 0 trades."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

import plotly.offline
import pytest
from tests.unit.analytics.report_runs import report_data, result

from tronlab.analytics.report import build_report_data, render_html, write_html

CARDS = ("Net PnL", "Return", "CAGR", "Sharpe", "Sortino", "Max drawdown", "Win rate",
         "Profit factor", "Trades", "Fees")  # fmt: skip


@pytest.fixture(scope="module")
def html() -> str:
    return render_html(report_data())


def test_self_contained_with_one_copy_of_plotly_js(html: str) -> None:
    js = plotly.offline.get_plotlyjs()
    assert html.count(js[:500]) == 1
    assert len(html) > len(js)
    # nothing is loaded from elsewhere: no script/link/img sources, no CDN
    assert not re.search(r"<script[^>]+src=", html)
    assert not re.search(r"<link[^>]+href=", html)
    assert not re.search(r"<img[^>]+src=", html)
    # outside plotly.js itself (whose geo-map default names its CDN) no address at all
    rest = html.replace(js, "")
    assert "cdn." not in rest
    assert not re.search(r"https?://(?!www\.w3\.org)", rest)


def test_every_section_and_chart_is_there(html: str) -> None:
    for section in ("verdict", "summary-cards", "equity", "monthly", "daily", "candles",
                    "trades", "risk", "costs", "significance", "details"):  # fmt: skip
        assert f'id="{section}"' in html, section
    for chart in ("chart-equity", "chart-monthly", "chart-daily", "chart-candles-0",
                  "chart-candles-1", "chart-risk", "chart-costs"):  # fmt: skip
        assert f'<div id="{chart}" class="plotly-graph-div"' in html, chart
    for label in CARDS:
        assert f'<div class="label">{label}</div>' in html
    assert "SYNTH_RELI: 1m bars" in html
    assert "Deflated Sharpe ratio" in html
    assert "Probabilistic Sharpe ratio" in html
    assert "bootstrap 95% CI of the Sharpe (annualised)" in html


def test_trade_table_lists_every_trade_sortably(html: str) -> None:
    n = len(result().trades)
    table = html[html.index('id="trade-table"') : html.index("</table>", html.index("trade-table"))]
    assert table.count("<tr>") == n + 1  # header + one row per trade
    assert 'class="sortable"' in html
    assert "data-sort=" in table
    assert "SMA5 crossed above SMA20" in table


def test_text_is_escaped_everywhere() -> None:
    r = result()
    doc = r.to_dict()
    evil = '<script>alert("x")</script> & <b>bold</b>'
    doc["trades"][0]["entry_reason"] = evil
    doc["strategy"] = "<img src=x onerror=alert(1)>"
    events = [dict(e) for e in r.extra["risk_events"]]
    events[-1]["message"] = evil
    events[-1]["decision"] = "deny"
    page = render_html(build_report_data(doc, risk_events=events))
    assert evil not in page
    assert "<script>alert" not in page
    assert "<img src=x" not in page
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; &lt;b&gt;bold&lt;/b&gt;" in page


def test_same_data_same_bytes(tmp_path: Path) -> None:
    a = write_html(report_data(), tmp_path / "a" / "r.html")
    b = write_html(report_data(), tmp_path / "b" / "r.html")
    assert a.read_bytes() == b.read_bytes()
    assert a.stat().st_size > 4_000_000  # plotly.js is in the file


def test_likely_luck_is_flagged_and_a_pass_is_not() -> None:
    data = report_data()
    luck = {**(data.significance or {}), "verdict": "Likely luck: PSR 0.3 < 0.95.",
            "likely_luck": True, "label": "likely_luck"}  # fmt: skip
    page = render_html(replace(data, significance=luck))
    assert '<div class="verdict luck" id="verdict">Likely luck: PSR 0.3 &lt; 0.95.</div>' in page
    passed = {**luck, "verdict": "Passes the luck checks.", "likely_luck": False,
              "label": "passes"}  # fmt: skip
    page = render_html(replace(data, significance=passed))
    assert '<div class="verdict ok" id="verdict">Passes the luck checks.</div>' in page
    assert 'class="verdict luck"' not in page


def test_zero_trades_page_says_so() -> None:
    page = render_html(report_data(slow=1000, days=2))
    assert "No trades." in page
    assert '"text":"no trades"' in page  # on each candlestick chart
    assert '<div class="value ">0</div>' in page  # the trades card
    assert "no fees" in page
    assert "every day's PnL is 0.00 (no trades)" in page


def test_missing_candles_leave_a_note() -> None:
    r = result()
    note = "SYNTH_TCS: no 1m bars in the bar store, candlestick chart left out"
    page = render_html(build_report_data(r.to_dict(), notes=[note]))
    assert note in page
    assert "No candlestick chart." in page
    assert "chart-candles-0" not in page


def test_a_run_without_bars_still_renders() -> None:
    doc = {"run_id": "r1", "strategy": "s", "config": {"symbols": ["A"]}, "summary": {},
           "equity_curve": []}  # fmt: skip
    page = render_html(build_report_data(doc))
    assert "no equity curve" in page
    assert "No trades." in page
    assert "Not enough data for significance tests." in page
    assert 'id="verdict"' not in page
