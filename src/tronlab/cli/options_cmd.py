"""``tronlab options price|iv|chain``: Black-76 price, Greeks and implied volatility of one
option, and an EOD option chain with IVs, Greeks, ATM IV, put-call ratio and max pain.

Volatilities and rates are **decimals**: ``--vol 0.13`` is 13%, ``--rate 0.065`` is 6.5%. A
``--vol`` above 5 (500%) or a ``|--rate|`` above 1 (100%) is refused as a likely percentage.
Time to expiry is ``--days`` calendar days (``T = days / 365``, fractions allowed) or
``--expiry YYYY-MM-DD`` (15:30 IST on that date, from ``--now`` or the current time).
"""

from __future__ import annotations

import math
import os
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich import box
from rich.table import Table

from tronlab.cli.common import console, fail, print_json

app = typer.Typer(
    help="Options: Black-76 price, Greeks and implied volatility (NSE conventions).",
    no_args_is_help=True,
)

JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]
TypeOpt = Annotated[str, typer.Option("--type", "-t", help="call or put (also CE/PE, C/P).")]
ForwardOpt = Annotated[
    float, typer.Option("--forward", "-F", help="Forward: same-expiry future or parity forward.")
]
StrikeOpt = Annotated[float, typer.Option("--strike", "-K", help="Strike.")]
DaysOpt = Annotated[
    float | None,
    typer.Option("--days", "-d", help="Calendar days to expiry (T = days/365; 0.5 = 12 hours)."),
]
ExpiryOpt = Annotated[
    str | None,
    typer.Option("--expiry", help="Expiry date YYYY-MM-DD (expires 15:30 IST); instead of --days."),
]
NowOpt = Annotated[
    str | None,
    typer.Option("--now", help="With --expiry: valuation time, ISO 8601 with offset."),
]
RateOpt = Annotated[
    float, typer.Option("--rate", "-r", help="Risk-free rate as a decimal (0.065 = 6.5%).")
]

_GREEKS = ("price", "delta", "gamma", "vega", "theta", "rho")


def _right(text: str) -> bool:
    from tronlab.model.enums import OptionRight
    from tronlab.model.errors import ValidationError

    try:
        return OptionRight.parse(text) is OptionRight.CALL
    except ValidationError:
        fail(f"--type must be call or put (or CE/PE, C/P), got {text!r}", code=2)


def _check_positive(name: str, value: float) -> None:
    if not (math.isfinite(value) and value > 0):
        fail(f"{name} must be a finite number > 0, got {value}", code=2)


def _check_rate(rate: float) -> None:
    if not math.isfinite(rate) or abs(rate) > 1:
        fail(f"--rate is a decimal (0.065 = 6.5%), got {rate}: did you mean {rate / 100:g}?",
             code=2)  # fmt: skip


def _years(days: float | None, expiry: str | None, now: str | None) -> tuple[float, float]:
    """(T in years, days) from --days or --expiry/--now."""
    from tronlab.options import DAYS_PER_YEAR, year_fraction

    if days is not None:
        if expiry is not None or now is not None:
            fail("give --days, or --expiry (and optionally --now), not both", code=2)
        _check_positive("--days", days)
        return days / DAYS_PER_YEAR, days
    if expiry is None:
        fail("give --days or --expiry", code=2)
    try:
        exp = date.fromisoformat(expiry)
    except ValueError:
        fail(f"--expiry must be YYYY-MM-DD, got {expiry!r}", code=2)
    if now is None:
        at = datetime.now(UTC)
    else:
        try:
            at = datetime.fromisoformat(now)
        except ValueError:
            fail(f"--now must be an ISO 8601 datetime, got {now!r}", code=2)
        if at.tzinfo is None:
            fail(f"--now needs a UTC offset (e.g. {now}+05:30), got {now!r}", code=2)
    t = float(year_fraction(at, exp))
    if math.isnan(t):
        fail(f"the contract expired at 15:30 IST on {exp.isoformat()}", code=2)
    return t, t * DAYS_PER_YEAR


def _inputs(
    type_: str, forward: float, strike: float, t: float, days: float, rate: float
) -> dict[str, Any]:
    return {
        "model": "black76",
        "type": "call" if _right(type_) else "put",
        "forward": forward,
        "strike": strike,
        "days": days,
        "t_years": t,
        "rate": rate,
    }


def _fmt(x: float) -> str:
    return "NaN" if math.isnan(x) else f"{x:.10g}"


@app.command("price")
def price(
    type_: TypeOpt,
    forward: ForwardOpt,
    strike: StrikeOpt,
    vol: Annotated[
        float, typer.Option("--vol", "-v", help="Volatility as a decimal (0.13 = 13%), <= 5.")
    ],
    rate: RateOpt,
    days: DaysOpt = None,
    expiry: ExpiryOpt = None,
    now: NowOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Black-76 price and Greeks (delta per 1.0 of F, gamma per 1.0², vega per vol point,
    theta per calendar day with F fixed, rho per 1%)."""
    from tronlab.options import UNITS, black76

    call = _right(type_)
    _check_positive("--forward", forward)
    _check_positive("--strike", strike)
    _check_positive("--vol", vol)
    if vol > 5:
        fail(f"--vol is a decimal (0.13 = 13%), got {vol}: did you mean {vol / 100:g}?", code=2)
    _check_rate(rate)
    t, d = _years(days, expiry, now)
    g = black76(forward, strike, t, vol, rate, call)
    doc = _inputs(type_, forward, strike, t, d, rate) | {"vol": vol}
    doc |= {name: float(getattr(g, name)) for name in _GREEKS}
    if json_out:
        print_json(doc | {"units": UNITS})
        return
    title = f"Black-76 {doc['type']} F={forward:g} K={strike:g} T={d:g}d σ={vol:.2%} r={rate:.2%}"
    table = Table(title=title)
    table.add_column("")
    table.add_column("value", justify="right")
    table.add_column("unit")
    for name in _GREEKS:
        table.add_row(name, _fmt(doc[name]), UNITS[name])
    console.print(table)


@app.command("iv")
def iv(
    type_: TypeOpt,
    forward: ForwardOpt,
    strike: StrikeOpt,
    rate: RateOpt,
    premium: Annotated[
        float, typer.Option("--price", "-p", help="Option premium (discounted, currency).")
    ],
    days: DaysOpt = None,
    expiry: ExpiryOpt = None,
    now: NowOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Black-76 implied volatility of a premium. Exits 1 (after printing the reason) when no
    volatility reproduces the price; a premium at the ₹0.05 floor gives its IV, flagged."""
    from tronlab.options import STATUS_TEXT, IVStatus, black76, implied_vol_black76

    call = _right(type_)
    _check_positive("--forward", forward)
    _check_positive("--strike", strike)
    _check_positive("--price", premium)
    _check_rate(rate)
    t, d = _years(days, expiry, now)
    result = implied_vol_black76(premium, forward, strike, t, rate, call)
    sigma = float(result.iv)
    status = IVStatus(int(result.status))
    df = math.exp(-rate * t)
    doc = _inputs(type_, forward, strike, t, d, rate) | {
        "price": premium,
        "iv": None if math.isnan(sigma) else sigma,
        "status": status.name,
        "reason": STATUS_TEXT[status],
        "intrinsic": df * max((forward - strike) if call else (strike - forward), 0.0),
        "upper_bound": df * (forward if call else strike),
    }
    if not math.isnan(sigma):
        doc["vega"] = float(black76(forward, strike, t, sigma, rate, call).vega)
    if json_out:
        print_json(doc)
    else:
        table = Table(title=f"implied volatility, Black-76 {doc['type']} F={forward:g} "
                      f"K={strike:g} T={d:g}d r={rate:.2%} price={premium:g}")  # fmt: skip
        table.add_column("")
        table.add_column("value", justify="right")
        shown = "NaN" if math.isnan(sigma) else f"{sigma:.10f} ({sigma:.4%})"
        table.add_row("iv", shown)
        table.add_row("status", status.name)
        table.add_row("reason", STATUS_TEXT[status])
        table.add_row("intrinsic (discounted)", _fmt(doc["intrinsic"]))
        table.add_row("upper bound (discounted)", _fmt(doc["upper_bound"]))
        if "vega" in doc:
            table.add_row("vega at iv (per vol point)", _fmt(doc["vega"]))
        console.print(table)
    if math.isnan(sigma):
        raise typer.Exit(1)


def _data_dirs() -> list[Path]:
    """Where ``chain`` looks for ``UNDERLYING_OPTCHAIN_1d_*.csv`` files, in order."""
    env = os.environ.get("TRONLAB_SHARED_DATA")
    if env:
        return [Path(env) / "nse_options"]
    repo = Path(__file__).resolve().parents[3]
    dirs = [repo.parent / "shared" / "data" / "nse_options"]
    cwd = Path.cwd().parent / "shared" / "data" / "nse_options"
    if cwd.resolve() != dirs[0].resolve():
        dirs.append(cwd)
    return dirs


def _chain_files(underlying: str, day: date) -> list[Path]:
    """The chain files for ``underlying`` whose name range (``_START_END.csv``) covers ``day``
    (a file without a parsable range is always included)."""
    searched: list[str] = []
    for folder in _data_dirs():
        searched.append(str(folder))
        found = sorted(folder.glob(f"{underlying}_OPTCHAIN_1d_*.csv"))
        if not found:
            continue
        chosen = []
        for path in found:
            parts = path.stem.split("_")
            try:
                start, end = date.fromisoformat(parts[-2]), date.fromisoformat(parts[-1])
            except (ValueError, IndexError):
                chosen.append(path)
                continue
            if start <= day <= end:
                chosen.append(path)
        if not chosen:
            names = ", ".join(p.name for p in found)
            fail(f"no {underlying} chain file covers {day.isoformat()}; available: {names}")
        return chosen
    fail(f"no {underlying}_OPTCHAIN_1d_*.csv under {' or '.join(searched)} "
         "(set TRONLAB_SHARED_DATA or pass --file)")  # fmt: skip


def _compact(v: float) -> str:
    """13808925 -> 13.81M, 336525 -> 336.5k."""
    if abs(v) >= 1e6:
        return f"{v / 1e6:.2f}M"
    if abs(v) >= 1e3:
        return f"{v / 1e3:.1f}k"
    return f"{v:.0f}"


def _num(x: Any) -> float | None:
    v = float(x)
    return None if math.isnan(v) else v


@app.command("chain")
def chain(
    underlying: Annotated[str, typer.Argument(help="Underlying, e.g. NIFTY or BANKNIFTY.")],
    day: Annotated[str, typer.Option("--date", help="Trade date YYYY-MM-DD (IST).")],
    expiry: Annotated[
        str | None,
        typer.Option("--expiry", help="Expiry YYYY-MM-DD (default: the nearest one listed)."),
    ] = None,
    file: Annotated[
        Path | None,
        typer.Option("--file", help="Chain CSV (default: the shared nse_options folder)."),
    ] = None,
    rate: RateOpt = 0.065,
    around: Annotated[
        int, typer.Option("--strikes", "-n", help="Strikes shown each side of ATM (0 = all).")
    ] = 10,
    json_out: JsonOpt = False,
) -> None:
    """An EOD option chain (close prices): Black-76 IV, delta and OI per strike for CE and PE,
    with the parity forward, ATM strike and IV, put-call ratio (OI) and max pain. Exits 1 when
    the date or expiry is not in the file, listing those that are."""
    from tronlab.options.analytics import atm_iv, atm_strike, max_pain, put_call_ratio
    from tronlab.options.chain import OptionChain, load_eod_chains

    name = underlying.strip().upper()
    _check_rate(rate)
    if around < 0:
        fail(f"--strikes must be >= 0, got {around}", code=2)
    try:
        when = date.fromisoformat(day)
        exp = None if expiry is None else date.fromisoformat(expiry)
    except ValueError as exc:
        fail(f"--date/--expiry must be YYYY-MM-DD: {exc}", code=2)
    paths = [file] if file is not None else _chain_files(name, when)
    chains: dict[tuple[date, date], OptionChain] = {}
    for path in paths:
        if not path.is_file():
            fail(f"no such file: {path}")
        try:
            chains |= load_eod_chains(path, r=rate, underlying=name)
        except ValueError as exc:
            fail(str(exc))
    dates = sorted({d for d, _ in chains})
    if when not in dates:
        listed = ", ".join(d.isoformat() for d in dates) or "none"
        fail(f"no {name} chain on {when.isoformat()}; dates available: {listed}")
    expiries = sorted(e for d, e in chains if d == when)
    if exp is None:
        exp = expiries[0]
    if (when, exp) not in chains:
        listed = ", ".join(e.isoformat() for e in expiries)
        fail(f"no {name} chain for expiry {exp.isoformat()} on {when.isoformat()}; "
             f"expiries available: {listed}")  # fmt: skip
    ch = chains[(when, exp)]
    atm = atm_strike(ch)
    strikes = ch.strikes
    if around:
        i = int((abs(strikes - atm)).argmin())
        strikes = strikes[max(0, i - around) : i + around + 1]
    calls, puts = ch.calls(), ch.puts()
    rows = []
    for k in strikes:
        row: dict[str, Any] = {"strike": float(k)}
        for key, side in (("ce", calls), ("pe", puts)):
            if k in side.index:
                q = side.loc[k]
                row[key] = {"price": _num(q["price"]), "iv": _num(q["iv"]),
                            "iv_status": str(q["iv_status"]), "delta": _num(q["delta"]),
                            "oi": _num(q["oi"]), "volume": _num(q["volume"])}  # fmt: skip
            else:
                row[key] = None
        rows.append(row)
    summary = {
        "underlying": name,
        "date": when.isoformat(),
        "expiry": exp.isoformat(),
        "as_of": ch.as_of.isoformat(),
        "t_years": ch.t,
        "rate": ch.r,
        "forward": ch.forward,
        "forward_source": ch.forward_source,
        "atm_strike": atm,
        "atm_iv": _num(atm_iv(ch)),
        "pcr_oi": _num(put_call_ratio(ch, "oi")),
        "pcr_volume": _num(put_call_ratio(ch, "volume")),
        "max_pain": max_pain(ch),
        "expiries_available": [e.isoformat() for e in expiries],
    }
    if json_out:
        print_json(summary | {"rows": rows})
        return

    def cell(side: dict[str, Any] | None, field: str) -> str:
        v = None if side is None else side[field]
        if v is None:
            return "-"
        if field == "iv":
            return f"{v:.2%}" + ("" if side and side["iv_status"] == "OK" else "*")
        if field == "oi":
            return _compact(v)
        return f"{v:.2f}" if field == "price" else f"{v:+.3f}"

    title = (f"{name} {exp.isoformat()} on {when.isoformat()} (close) F={ch.forward:,.2f} "
             f"r={ch.r:.2%}")  # fmt: skip
    table = Table(title=title, box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False)
    fields = ("oi", "delta", "iv", "price")
    heads = {"oi": "OI", "delta": "Δ", "iv": "IV", "price": ""}
    for f in fields:
        table.add_column(f"CE {heads[f]}".strip(), justify="right", no_wrap=True)
    table.add_column("strike", justify="center", style="bold", no_wrap=True)
    for f in reversed(fields):
        table.add_column(f"PE {heads[f]}".strip(), justify="right", no_wrap=True)
    for row in rows:
        style = "reverse" if row["strike"] == atm else None
        table.add_row(*(cell(row["ce"], f) for f in fields), f"{row['strike']:g}",
                      *(cell(row["pe"], f) for f in reversed(fields)), style=style)  # fmt: skip
    console.print(table)
    atm_text = "NaN" if summary["atm_iv"] is None else f"{summary['atm_iv']:.2%}"
    pcr = summary["pcr_oi"]
    console.print(
        f"ATM strike {atm:g}  ATM IV {atm_text}  PCR (OI) "
        f"{'NaN' if pcr is None else f'{pcr:.3f}'}  max pain {summary['max_pain']:g}  "
        f"forward {ch.forward:,.2f} ({ch.forward_source})"
    )
    console.print(f"expiries on {when.isoformat()}: " + ", ".join(e.isoformat() for e in expiries))
    console.print("* IV status not OK (price floor, below intrinsic, ...)", style="dim")
