"""Dated rate tables for the cost models: value types, the YAML loader and its validation.

The rates live as data in ``execution/data/cost_rates.yaml`` (schema and sources documented at
the top of that file), one complete version per date from which anything changed, so a 2021
backtest is priced with 2021 rates and a 2025 one with 2025 rates. :func:`default_cost_rates`
reads the packaged file once; :func:`load_cost_rates` reads another file;
:func:`parse_cost_rates_text` / :func:`parse_cost_rates` validate text or loaded data. Every
error is a :class:`CostRatesError` naming the source and the offending key.
"""

from __future__ import annotations

import datetime
import functools
import re
from bisect import bisect_right
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from importlib import resources
from itertools import pairwise
from pathlib import Path
from types import MappingProxyType
from typing import Any, Generic, Protocol, TypeVar

import yaml

from tronlab.model.enums import Side, Venue
from tronlab.model.errors import ValidationError

__all__ = [
    "AlpacaRates",
    "BrokerageRule",
    "ChargeCategory",
    "CostRates",
    "CostRatesError",
    "NoRatesForDate",
    "PerCategory",
    "RateSchedule",
    "SegmentTxnRates",
    "SideRates",
    "ZerodhaRates",
    "default_cost_rates",
    "load_cost_rates",
    "parse_cost_rates",
    "parse_cost_rates_text",
]

ZERO = Decimal(0)
_PACKAGED = ("data", "cost_rates.yaml")
_DECIMAL_RE = re.compile(r"^[0-9]+(\.[0-9]+)?$")
_GST_LINES = ("brokerage", "exchange_txn", "sebi")


class CostRatesError(ValidationError):
    """Rate data is unreadable or breaks the schema (the message names source and key)."""

    default_code = "BAD_COST_RATES"


class NoRatesForDate(CostRatesError):
    """No rate version (or no table for a segment) covers the date being priced."""

    default_code = "NO_COST_RATES"


class ChargeCategory(StrEnum):
    """How an Indian fill is charged: by segment and, for equity, by product."""

    EQUITY_DELIVERY = "equity_delivery"
    EQUITY_INTRADAY = "equity_intraday"
    FUTURES = "futures"
    OPTIONS = "options"


T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class PerCategory(Generic[T]):
    """One value per :class:`ChargeCategory`."""

    equity_delivery: T
    equity_intraday: T
    futures: T
    options: T

    def __getitem__(self, category: ChargeCategory) -> T:
        if category is ChargeCategory.EQUITY_DELIVERY:
            return self.equity_delivery
        if category is ChargeCategory.EQUITY_INTRADAY:
            return self.equity_intraday
        if category is ChargeCategory.FUTURES:
            return self.futures
        return self.options


@dataclass(frozen=True, slots=True)
class BrokerageRule:
    """Brokerage per executed order: ``min(rate * turnover, amount)``, or ``amount`` flat.

    ``amount`` is the cap (or the flat fee) for the whole order, however many fills it has.
    """

    rate: Decimal
    amount: Decimal
    flat: bool = False

    def for_fill(self, turnover: Decimal, order_so_far: Decimal) -> Decimal:
        """Brokerage of one fill, given what earlier fills of the order already paid.

        Unrounded; never negative; the order's total never exceeds :attr:`amount`.
        """
        remaining = max(self.amount - order_so_far, ZERO)
        raw = self.amount if self.flat else self.rate * turnover
        return min(raw, remaining)


@dataclass(frozen=True, slots=True)
class SideRates:
    """A rate for buys and one for sells (fractions of turnover)."""

    buy: Decimal
    sell: Decimal

    def for_side(self, side: Side) -> Decimal:
        """The rate for ``side``."""
        return self.buy if side is Side.BUY else self.sell


@dataclass(frozen=True, slots=True)
class SegmentTxnRates:
    """Exchange transaction charges of one exchange segment (fractions of turnover)."""

    equity: Decimal | None = None
    futures: Decimal | None = None
    options: Decimal | None = None
    options_by_underlying: Mapping[str, Decimal] = field(
        default_factory=lambda: MappingProxyType({})
    )


@dataclass(frozen=True, slots=True)
class ZerodhaRates:
    """One complete version of the Zerodha (NSE/BSE/NFO/BFO) charges, from a date on."""

    effective_from: datetime.date
    brokerage: PerCategory[BrokerageRule]
    stt: PerCategory[SideRates]
    exchange_txn: Mapping[Venue, SegmentTxnRates]
    sebi: Decimal
    gst_rate: Decimal
    gst_on: frozenset[str]
    stamp_buy: PerCategory[Decimal]
    stt_options_exercised: Decimal | None = None  # on intrinsic value; None: not known
    note: str = ""
    sources: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class AlpacaRates:
    """One complete version of the US regulatory fees Alpaca passes through, from a date on."""

    effective_from: datetime.date
    sec_fee_rate: Decimal
    taf_per_share: Decimal
    taf_max_per_trade: Decimal
    cat_per_share: Decimal
    note: str = ""
    sources: tuple[str, ...] = ()


class _Dated(Protocol):
    @property
    def effective_from(self) -> datetime.date: ...


R = TypeVar("R", bound=_Dated)


@dataclass(frozen=True, slots=True)
class RateSchedule(Generic[R]):
    """Versions of one broker's rates, oldest first, picked by date."""

    name: str
    versions: tuple[R, ...]

    def __post_init__(self) -> None:
        if not self.versions:
            raise CostRatesError(f"{self.name}: a rate schedule needs at least one version")
        dates = [v.effective_from for v in self.versions]
        if any(a >= b for a, b in pairwise(dates)):
            raise CostRatesError(f"{self.name}: versions must be in strictly increasing date order")

    @property
    def first_date(self) -> datetime.date:
        """The date from which the schedule has rates."""
        return self.versions[0].effective_from

    def on(self, day: datetime.date) -> R:
        """The version in force on ``day``.

        Raises
        ------
        NoRatesForDate
            When ``day`` is before the first version.
        """
        i = bisect_right([v.effective_from for v in self.versions], day)
        if i == 0:
            raise NoRatesForDate(
                f"{self.name} rates start on {self.first_date.isoformat()}; no rate version "
                f"covers {day.isoformat()}",
                details={"schedule": self.name, "date": day.isoformat()},
            )
        return self.versions[i - 1]


@dataclass(frozen=True, slots=True)
class CostRates:
    """All rate schedules of one rates file."""

    zerodha: RateSchedule[ZerodhaRates]
    alpaca: RateSchedule[AlpacaRates]
    source: str = "<rates>"


# --------------------------------------------------------------------------------------------
# Loading
# --------------------------------------------------------------------------------------------


@functools.cache
def default_cost_rates() -> CostRates:
    """The packaged ``execution/data/cost_rates.yaml``, parsed once and cached."""
    ref = resources.files("tronlab.execution").joinpath(*_PACKAGED)
    return parse_cost_rates_text(ref.read_text(encoding="utf-8"), "tronlab:" + "/".join(_PACKAGED))


def load_cost_rates(path: Path | str) -> CostRates:
    """Read and validate a rates file with the packaged file's schema."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as exc:
        raise CostRatesError(f"{p}: cannot read cost rates file: {exc}") from exc
    return parse_cost_rates_text(text, str(p))


class _Loader(yaml.SafeLoader):
    """SafeLoader that leaves dates as strings, so a bad date is reported with its key."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def parse_cost_rates_text(text: str, source: str = "<rates>") -> CostRates:
    """Parse and validate rates YAML ``text``; errors name ``source``."""
    try:
        data = yaml.load(text, Loader=_Loader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as exc:
        raise CostRatesError(f"{source}: invalid YAML: {exc}") from exc
    return parse_cost_rates(data, source)


def parse_cost_rates(data: Any, source: str = "<rates>") -> CostRates:
    """Validate already-loaded rates data (a mapping); errors name ``source`` and the key."""
    p = _Parser(source)
    top = p.mapping(data, "<top level>", required=("schema", "zerodha", "alpaca"))
    if top["schema"] != 1:
        raise p.fail("schema", f"must be 1 (got {top['schema']!r})")
    zerodha = p.versions(top["zerodha"], "zerodha", p.zerodha_version)
    alpaca = p.versions(top["alpaca"], "alpaca", p.alpaca_version)
    return CostRates(
        zerodha=RateSchedule("zerodha", zerodha),
        alpaca=RateSchedule("alpaca", alpaca),
        source=source,
    )


_VERSION_META = ("note", "sources")


class _Parser:
    """Validation helpers; every failure names the source and the dotted key path."""

    def __init__(self, source: str) -> None:
        self.source = source

    def fail(self, where: str, why: str) -> CostRatesError:
        return CostRatesError(f"{self.source}: {where}: {why}", details={"key": where})

    def mapping(
        self,
        value: Any,
        where: str,
        *,
        required: tuple[str, ...],
        optional: tuple[str, ...] = (),
    ) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise self.fail(where, f"expected a mapping with keys {list(required + optional)}")
        keys = {str(k) for k in value}
        unknown = sorted(keys - set(required) - set(optional))
        if unknown:
            raise self.fail(
                f"{where}.{unknown[0]}", f"unknown key (allowed: {sorted(required + optional)})"
            )
        missing = [k for k in required if k not in keys]
        if missing:
            raise self.fail(f"{where}.{missing[0]}", "required key is missing")
        return {str(k): v for k, v in value.items()}

    def versions(self, value: Any, where: str, parse_one: Callable[[Any, str], R]) -> tuple[R, ...]:
        if not isinstance(value, list) or not value:
            raise self.fail(where, "expected a non-empty list of versions, oldest first")
        out: list[R] = []
        for i, item in enumerate(value):
            version = parse_one(item, f"{where}[{i}]")
            if out and version.effective_from <= out[-1].effective_from:
                raise self.fail(
                    f"{where}[{i}].effective_from",
                    f"{version.effective_from.isoformat()} is not after "
                    f"{where}[{i - 1}].effective_from {out[-1].effective_from.isoformat()}; "
                    "list versions oldest first, one per date",
                )
            out.append(version)
        return tuple(out)

    def date(self, value: Any, where: str) -> datetime.date:
        if isinstance(value, str):
            try:
                return datetime.date.fromisoformat(value)
            except ValueError:
                pass
        raise self.fail(where, f"expected a date YYYY-MM-DD, got {value!r}")

    def decimal(self, value: Any, where: str) -> Decimal:
        """A non-negative amount: a quoted decimal string or an int."""
        if isinstance(value, bool | float):
            raise self.fail(where, f"write amounts as quoted strings (got unquoted {value!r})")
        if isinstance(value, int) and value >= 0:
            return Decimal(value)
        if isinstance(value, str) and _DECIMAL_RE.match(value.strip()):
            return Decimal(value.strip())
        raise self.fail(where, f"expected a non-negative decimal string, got {value!r}")

    def rate(self, value: Any, where: str) -> Decimal:
        """A fraction in [0, 1): ``"0.0003"`` or ``"0.03%"``."""
        text = value.strip() if isinstance(value, str) else value
        percent = isinstance(text, str) and text.endswith("%")
        number = self.decimal(text[:-1].strip() if percent else text, where)
        fraction = number.scaleb(-2) if percent else number
        if fraction >= 1:
            raise self.fail(where, f"a rate must be below 100%, got {value!r}")
        return fraction

    def text(self, value: Any, where: str) -> str:
        if not isinstance(value, str):
            raise self.fail(where, "expected a string")
        return value

    def sources(self, value: Any, where: str) -> tuple[str, ...]:
        if not isinstance(value, list) or not all(isinstance(s, str) for s in value):
            raise self.fail(where, "expected a list of strings")
        return tuple(value)

    def meta(self, m: dict[str, Any], where: str) -> tuple[str, tuple[str, ...]]:
        note = self.text(m["note"], f"{where}.note") if "note" in m else ""
        src = self.sources(m["sources"], f"{where}.sources") if "sources" in m else ()
        return note, src

    def per_category(
        self, value: Any, where: str, parse: Callable[[Any, str], T]
    ) -> PerCategory[T]:
        names = tuple(c.value for c in ChargeCategory)
        m = self.mapping(value, where, required=names)
        return PerCategory(*(parse(m[n], f"{where}.{n}") for n in names))

    # ------------------------------------------------------------------------- zerodha

    def brokerage_rule(self, value: Any, where: str) -> BrokerageRule:
        if isinstance(value, dict) and "flat_per_order" in value:
            m = self.mapping(value, where, required=("flat_per_order",))
            return BrokerageRule(
                ZERO, self.decimal(m["flat_per_order"], f"{where}.flat_per_order"), True
            )
        m = self.mapping(value, where, required=("rate", "max_per_order"))
        return BrokerageRule(
            self.rate(m["rate"], f"{where}.rate"),
            self.decimal(m["max_per_order"], f"{where}.max_per_order"),
        )

    def side_rates(self, value: Any, where: str) -> SideRates:
        m = self.mapping(value, where, required=("buy", "sell"))
        return SideRates(self.rate(m["buy"], f"{where}.buy"), self.rate(m["sell"], f"{where}.sell"))

    def segment(self, venue: Venue, value: Any, where: str) -> SegmentTxnRates:
        if venue in (Venue.NSE, Venue.BSE):
            m = self.mapping(value, where, required=("equity",))
            return SegmentTxnRates(equity=self.rate(m["equity"], f"{where}.equity"))
        m = self.mapping(
            value, where, required=("futures", "options"), optional=("options_by_underlying",)
        )
        by_underlying: dict[str, Decimal] = {}
        if "options_by_underlying" in m:
            w = f"{where}.options_by_underlying"
            raw = m["options_by_underlying"]
            if not isinstance(raw, dict):
                raise self.fail(w, "expected a mapping of underlying symbol to rate")
            for sym, r in raw.items():
                by_underlying[str(sym).upper()] = self.rate(r, f"{w}.{sym}")
        return SegmentTxnRates(
            futures=self.rate(m["futures"], f"{where}.futures"),
            options=self.rate(m["options"], f"{where}.options"),
            options_by_underlying=MappingProxyType(by_underlying),
        )

    def exchange_txn(self, value: Any, where: str) -> Mapping[Venue, SegmentTxnRates]:
        m = self.mapping(value, where, required=("NSE", "NFO"), optional=("BSE", "BFO"))
        return MappingProxyType(
            {Venue(k): self.segment(Venue(k), v, f"{where}.{k}") for k, v in m.items()}
        )

    def gst(self, value: Any, where: str) -> tuple[Decimal, frozenset[str]]:
        m = self.mapping(value, where, required=("rate", "applies_to"))
        on = m["applies_to"]
        if not isinstance(on, list) or not on or any(x not in _GST_LINES for x in on):
            raise self.fail(
                f"{where}.applies_to", f"expected a non-empty list drawn from {list(_GST_LINES)}"
            )
        return self.rate(m["rate"], f"{where}.rate"), frozenset(on)

    def zerodha_version(self, value: Any, where: str) -> ZerodhaRates:
        keys = ("effective_from", "brokerage", "stt", "exchange_txn", "sebi", "gst", "stamp")
        optional = (*_VERSION_META, "stt_options_exercised")
        m = self.mapping(value, where, required=keys, optional=optional)
        exercised = m.get("stt_options_exercised")
        note, src = self.meta(m, where)
        gst_rate, gst_on = self.gst(m["gst"], f"{where}.gst")
        return ZerodhaRates(
            effective_from=self.date(m["effective_from"], f"{where}.effective_from"),
            brokerage=self.per_category(m["brokerage"], f"{where}.brokerage", self.brokerage_rule),
            stt=self.per_category(m["stt"], f"{where}.stt", self.side_rates),
            exchange_txn=self.exchange_txn(m["exchange_txn"], f"{where}.exchange_txn"),
            sebi=self.rate(m["sebi"], f"{where}.sebi"),
            gst_rate=gst_rate,
            gst_on=gst_on,
            stamp_buy=self.per_category(m["stamp"], f"{where}.stamp", self.rate),
            stt_options_exercised=None
            if exercised is None
            else self.rate(exercised, f"{where}.stt_options_exercised"),
            note=note,
            sources=src,
        )

    # ------------------------------------------------------------------------- alpaca

    def alpaca_version(self, value: Any, where: str) -> AlpacaRates:
        keys = ("effective_from", "sec_fee_per_million", "finra_taf", "cat_per_share")
        m = self.mapping(value, where, required=keys, optional=_VERSION_META)
        note, src = self.meta(m, where)
        taf = self.mapping(
            m["finra_taf"], f"{where}.finra_taf", required=("per_share", "max_per_trade")
        )
        return AlpacaRates(
            effective_from=self.date(m["effective_from"], f"{where}.effective_from"),
            sec_fee_rate=self.decimal(
                m["sec_fee_per_million"], f"{where}.sec_fee_per_million"
            ).scaleb(-6),
            taf_per_share=self.decimal(taf["per_share"], f"{where}.finra_taf.per_share"),
            taf_max_per_trade=self.decimal(
                taf["max_per_trade"], f"{where}.finra_taf.max_per_trade"
            ),
            cat_per_share=self.decimal(m["cat_per_share"], f"{where}.cat_per_share"),
            note=note,
            sources=src,
        )
