"""``tronlab options price|iv``: Black-76 price, Greeks and implied volatility of one option.

Volatilities and rates are **decimals**: ``--vol 0.13`` is 13%, ``--rate 0.065`` is 6.5%. A
``--vol`` above 5 (500%) or a ``|--rate|`` above 1 (100%) is refused as a likely percentage.
Time to expiry is ``--days`` calendar days (``T = days / 365``, fractions allowed) or
``--expiry YYYY-MM-DD`` (15:30 IST on that date, from ``--now`` or the current time).
"""

from __future__ import annotations

import math
from datetime import UTC, date, datetime
from typing import Annotated, Any

import typer
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
