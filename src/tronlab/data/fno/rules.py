"""NSE index F&O contract rules as dated data, and the expiry calendar they define.

The rules live in ``rules.yaml`` next to this module (schema and sources documented at its top):
per underlying, expiry weekdays by period, which underlyings list weeklies, lot sizes by the
*contract's expiry* (with in-place revisions of long-dated contracts), strike steps and
quantity-freeze limits by trade date; globally, option and futures tick sizes.
:func:`load_rules` / :func:`parse_rules` validate a file or mapping into frozen pydantic models
and raise :class:`FnoRulesError` naming the file, the key and the reason.

:class:`~tronlab.data.fno.expiries.ExpiryCalendar` turns the rules into dates on the NSE
trading calendar (:func:`tronlab.data.calendars.get_calendar`): weekly expiries on the
period's weekday, the monthly expiry on the last such weekday of the month, rolled back to the
previous trading day when that day is a holiday or only a special session (Muhurat, DR drill).

These rules generate plausible contracts for research, backtests and tests. Trading code must
take lot size, tick size and expiry of a real contract from the broker's instrument master
(:mod:`tronlab.data.fno.kite_csv`), never from here.

Queries the data does not cover (an unknown underlying, a date before ``coverage_from``, a day
beyond the calendar's holiday data) raise :class:`NoRuleError` rather than guess.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    field_validator,
    model_validator,
)
from pydantic import ValidationError as PydanticValidationError

__all__ = [
    "ExistingContracts",
    "Expiry",
    "ExpiryKind",
    "FnoRules",
    "FnoRulesError",
    "FreezeLimit",
    "FuturesTickPeriod",
    "LotSizePeriod",
    "NoRuleError",
    "SchedulePeriod",
    "TickBand",
    "UnderlyingRules",
    "Weekday",
    "default_rules",
    "effective_freeze_quantity",
    "load_rules",
    "parse_rules",
]

_PACKAGED = "rules.yaml"
_ROOT_RE = re.compile(r"^[A-Z0-9][A-Z0-9&-]*$")


class FnoRulesError(ValueError):
    """A rules file is unreadable or breaks the schema (file, key and reason)."""


class NoRuleError(LookupError):
    """The rules (or the trading calendar) do not cover what was asked."""


# --------------------------------------------------------------------------------------------
# Field types
# --------------------------------------------------------------------------------------------


def _as_date(value: object) -> object:
    if isinstance(value, dt.datetime):
        raise ValueError(f"expected a date (YYYY-MM-DD), got the datetime {value}")
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            pass
    raise ValueError(f"expected a date (YYYY-MM-DD), got {value!r}")


def _as_positive_decimal(value: object) -> object:
    if isinstance(value, bool) or not isinstance(value, int | float | str | Decimal):
        raise ValueError(f"expected a positive number, got {value!r}")
    try:
        number = Decimal(repr(value) if isinstance(value, float) else str(value))
    except InvalidOperation:
        raise ValueError(f"expected a positive number, got {value!r}") from None
    if not number.is_finite() or number <= 0:
        raise ValueError(f"expected a positive number, got {value!r}")
    return number


Date = Annotated[dt.date, BeforeValidator(_as_date)]
PositiveDecimal = Annotated[Decimal, BeforeValidator(_as_positive_decimal)]
PositiveInt = Annotated[int, Field(strict=True, gt=0)]

_MODEL = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)


class Weekday(StrEnum):
    """An expiry weekday, written in lower case in the rules file."""

    MONDAY = "monday"
    TUESDAY = "tuesday"
    WEDNESDAY = "wednesday"
    THURSDAY = "thursday"
    FRIDAY = "friday"

    @property
    def number(self) -> int:
        """``datetime.date.weekday()`` of this day (Monday 0)."""
        return list(Weekday).index(self)


class ExpiryKind(StrEnum):
    """Weekly contract, or the month's last (monthly, also quarterly/half-yearly) contract."""

    WEEKLY = "weekly"
    MONTHLY = "monthly"


@dataclass(frozen=True, slots=True, order=True)
class Expiry:
    """An expiry date of an underlying and whether it is the month's (last) expiry."""

    date: dt.date
    kind: ExpiryKind

    @property
    def is_monthly(self) -> bool:
        """Whether this is the month's last expiry (Kite's monthly symbol form)."""
        return self.kind is ExpiryKind.MONTHLY


# --------------------------------------------------------------------------------------------
# Models
# --------------------------------------------------------------------------------------------


class TickBand(BaseModel):
    """Tick for index levels up to ``up_to`` (inclusive); the last band has no bound."""

    model_config = _MODEL

    up_to: PositiveDecimal | None = None
    tick: PositiveDecimal


class FuturesTickPeriod(BaseModel):
    """Index-futures tick bands in force from trade date ``from``."""

    model_config = _MODEL

    from_: Date = Field(alias="from")
    bands: tuple[TickBand, ...] = Field(min_length=1)
    uncertain: StrictBool = False
    note: str = ""

    @model_validator(mode="after")
    def _check_bands(self) -> FuturesTickPeriod:
        *bounded, last = self.bands
        if last.up_to is not None:
            raise ValueError(f"bands[{len(self.bands) - 1}]: the last band must have no up_to")
        previous: Decimal | None = None
        for i, band in enumerate(bounded):
            if band.up_to is None:
                raise ValueError(f"bands[{i}]: only the last band may omit up_to")
            if previous is not None and band.up_to <= previous:
                raise ValueError(f"bands[{i}].up_to {band.up_to} must exceed {previous}")
            previous = band.up_to
        return self

    def tick_for(self, level: Decimal | None) -> Decimal | None:
        """The tick at index ``level``; ``None`` when bands apply and no level is given."""
        if len(self.bands) == 1:
            return self.bands[0].tick
        if level is None:
            return None
        for band in self.bands:
            if band.up_to is None or level <= band.up_to:
                return band.tick
        raise AssertionError("unreachable: the last band is unbounded")  # pragma: no cover


class SchedulePeriod(BaseModel):
    """Expiry weekdays in force from ``from``; ``weekly`` ``None`` means no weekly contracts."""

    model_config = _MODEL

    from_: Date = Field(alias="from")
    weekly: Weekday | None
    monthly: Weekday
    uncertain: StrictBool = False
    note: str = ""


class ExistingContracts(BaseModel):
    """Contracts listed before a lot revision and expiring on/after ``expiries_from`` keep the
    previous lot until trade date ``revised_from`` (quarterly/half-yearly contracts)."""

    model_config = _MODEL

    expiries_from: Date
    revised_from: Date


class LotSizePeriod(BaseModel):
    """A lot size and the first monthly (and weekly) expiries that carry it."""

    model_config = _MODEL

    size: PositiveInt
    monthly_from: Date
    weekly_from: Date | None = None
    existing_contracts: ExistingContracts | None = None
    uncertain: StrictBool = False
    note: str = ""

    @property
    def first_weekly(self) -> dt.date:
        """First weekly expiry with this size (``monthly_from`` when not given)."""
        return self.weekly_from or self.monthly_from


class FreezeLimit(BaseModel):
    """Quantity-freeze limit in units, in force from trade date ``from``."""

    model_config = _MODEL

    from_: Date = Field(alias="from")
    units: PositiveInt
    uncertain: StrictBool = False
    note: str = ""


def _check_increasing(items: tuple[Any, ...], field: str, name: str) -> None:
    for i in range(1, len(items)):
        before, after = getattr(items[i - 1], field), getattr(items[i], field)
        if after <= before:
            shown = "from" if field == "from_" else field
            raise ValueError(
                f"{name}[{i}].{shown} {after} must be after {name}[{i - 1}].{shown} {before}"
            )


class UnderlyingRules(BaseModel):
    """The rules of one underlying (see the schema at the top of ``rules.yaml``)."""

    model_config = _MODEL

    name: str
    coverage_from: Date
    strike_step: PositiveDecimal
    schedule: tuple[SchedulePeriod, ...] = Field(min_length=1)
    lot_sizes: tuple[LotSizePeriod, ...] = Field(min_length=1)
    freeze_limits: tuple[FreezeLimit, ...] = ()

    @model_validator(mode="after")
    def _check_periods(self) -> UnderlyingRules:
        _check_increasing(self.schedule, "from_", "schedule")
        _check_increasing(self.lot_sizes, "monthly_from", "lot_sizes")
        for i in range(1, len(self.lot_sizes)):
            before, after = self.lot_sizes[i - 1].first_weekly, self.lot_sizes[i].first_weekly
            if after < before:
                raise ValueError(
                    f"lot_sizes[{i}].weekly_from {after} is before lot_sizes[{i - 1}]'s {before}"
                )
        if self.lot_sizes[0].existing_contracts is not None:
            raise ValueError("lot_sizes[0].existing_contracts: the first period has no predecessor")
        _check_increasing(self.freeze_limits, "from_", "freeze_limits")
        if self.schedule[0].from_ > self.coverage_from:
            raise ValueError(
                f"schedule[0].from {self.schedule[0].from_} is after coverage_from "
                f"{self.coverage_from}"
            )
        if self.lot_sizes[0].monthly_from > self.coverage_from:
            raise ValueError(
                f"lot_sizes[0].monthly_from {self.lot_sizes[0].monthly_from} is after "
                f"coverage_from {self.coverage_from}"
            )
        return self

    # ------------------------------------------------------------------ lookups

    def schedule_at(self, day: dt.date) -> SchedulePeriod:
        """The schedule period in force on ``day`` (clamped to ``coverage_from``)."""
        key = max(day, self.coverage_from)
        found = self.schedule[0]
        for period in self.schedule:
            if period.from_ <= key:
                found = period
        return found

    def lot_size(self, expiry: dt.date, kind: ExpiryKind, on: dt.date | None = None) -> int:
        """Lot size of the contract expiring on ``expiry`` (see :meth:`FnoRules.lot_size`)."""
        if expiry < self.coverage_from:
            raise NoRuleError(
                f"{self.name}: lot sizes are covered for expiries from {self.coverage_from}, "
                f"not {expiry}"
            )
        index = 0
        for i, period in enumerate(self.lot_sizes):
            start = period.first_weekly if kind is ExpiryKind.WEEKLY else period.monthly_from
            if start <= expiry:
                index = i
        while on is not None and index > 0:
            existing = self.lot_sizes[index].existing_contracts
            if existing is None or expiry < existing.expiries_from or on >= existing.revised_from:
                break
            index -= 1
        return self.lot_sizes[index].size

    def freeze_limit(self, on: dt.date) -> int | None:
        """Freeze limit in units on trade date ``on``; ``None`` before the first known one."""
        found: int | None = None
        for limit in self.freeze_limits:
            if limit.from_ <= on:
                found = limit.units
        return found


class FnoRules(BaseModel):
    """All F&O rules: tick sizes and per-underlying rules (``underlyings`` keyed by root)."""

    model_config = _MODEL

    schema_version: Literal[1]
    option_tick_size: PositiveDecimal
    futures_tick_sizes: tuple[FuturesTickPeriod, ...] = Field(min_length=1)
    underlyings: dict[str, UnderlyingRules] = Field(min_length=1)

    @field_validator("underlyings", mode="before")
    @classmethod
    def _check_roots(cls, value: object) -> object:
        if isinstance(value, Mapping):
            for root in value:
                if not isinstance(root, str) or not _ROOT_RE.match(root):
                    raise ValueError(
                        f"underlying {root!r} must be an upper-case trading symbol root"
                    )
        return value

    @model_validator(mode="after")
    def _check_ticks(self) -> FnoRules:
        _check_increasing(self.futures_tick_sizes, "from_", "futures_tick_sizes")
        return self

    @property
    def roots(self) -> tuple[str, ...]:
        """The underlyings described, in file order."""
        return tuple(self.underlyings)

    def underlying(self, root: str) -> UnderlyingRules:
        """The rules of ``root``; :class:`NoRuleError` when unknown."""
        try:
            return self.underlyings[root]
        except KeyError:
            known = ", ".join(self.underlyings)
            raise NoRuleError(f"no F&O rules for underlying {root!r} (known: {known})") from None

    def strike_step(self, root: str) -> Decimal:
        """Strike interval around the money."""
        return self.underlying(root).strike_step

    def lot_size(
        self, root: str, expiry: dt.date, kind: ExpiryKind, on: dt.date | None = None
    ) -> int:
        """Lot size of ``root``'s contract expiring on ``expiry``.

        The size depends on the contract's expiry and kind (weekly or monthly; futures are
        monthly), not on the trade date, except for contracts listed before a revision and
        revised in place later (``existing_contracts`` in the rules): pass the trade date
        ``on`` to get the size in force that day; without ``on`` the revised size is returned.
        """
        return self.underlying(root).lot_size(expiry, ExpiryKind(kind), on)

    def freeze_limit(self, root: str, on: dt.date) -> int | None:
        """The exchange's quantity-freeze limit (units) on trade date ``on``, if known."""
        return self.underlying(root).freeze_limit(on)

    def freeze_quantity(self, root: str, on: dt.date, lot_size: int) -> int | None:
        """Largest order quantity allowed on ``on``: the freeze limit rounded down to lots."""
        return effective_freeze_quantity(self.freeze_limit(root, on), lot_size)

    def futures_tick_size(self, on: dt.date, level: float | Decimal | None = None) -> Decimal:
        """Index-futures tick on trade date ``on`` at index ``level``.

        Raises :class:`NoRuleError` before the first period, and when level-dependent bands
        apply but no ``level`` is given.
        """
        period: FuturesTickPeriod | None = None
        for candidate in self.futures_tick_sizes:
            if candidate.from_ <= on:
                period = candidate
        if period is None:
            raise NoRuleError(f"no futures tick size rule on {on}")
        value = None if level is None else Decimal(str(level))
        tick = period.tick_for(value)
        if tick is None:
            raise NoRuleError(
                f"the index-futures tick on {on} depends on the index level (bands from "
                f"{period.from_}); pass the level"
            )
        return tick


def effective_freeze_quantity(limit: int | None, lot_size: int) -> int | None:
    """The largest multiple of ``lot_size`` not above ``limit`` (``None`` if none or unknown)."""
    if limit is None or lot_size < 1:
        return None
    lots = limit // lot_size
    return lots * lot_size if lots else None


# --------------------------------------------------------------------------------------------
# Loading
# --------------------------------------------------------------------------------------------


def _loc(parts: tuple[int | str, ...]) -> str:
    out = ""
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "<top level>"


def parse_rules(data: object, source: str = "<data>") -> FnoRules:
    """Validate already-loaded rules data (a mapping as read from YAML).

    Raises
    ------
    FnoRulesError
        Listing every problem as ``source: key.path: reason``.
    """
    if not isinstance(data, Mapping):
        raise FnoRulesError(f"{source}: expected a mapping at the top level")
    try:
        return FnoRules.model_validate(dict(data))
    except PydanticValidationError as exc:
        lines = []
        for err in exc.errors():
            loc = tuple(err["loc"])
            message = str(err["msg"]).removeprefix("Value error, ")
            lines.append(f"{source}: {_loc(loc)}: {message}")
        raise FnoRulesError("\n".join(lines)) from None


def load_rules(path: Path | str | None = None) -> FnoRules:
    """Read and validate a rules YAML file (``None``: the packaged ``rules.yaml``)."""
    if path is None:
        source = f"tronlab/data/fno/{_PACKAGED}"
        text = resources.files("tronlab.data.fno").joinpath(_PACKAGED).read_text("utf-8")
    else:
        source = str(path)
        try:
            text = Path(path).read_text("utf-8")
        except OSError as exc:
            raise FnoRulesError(f"{source}: cannot read: {exc}") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise FnoRulesError(f"{source}: not valid YAML: {exc}") from None
    return parse_rules(data, source)


@functools.cache
def default_rules() -> FnoRules:
    """The packaged rules (loaded once)."""
    return load_rules()


# --------------------------------------------------------------------------------------------
# Expiry calendar
# --------------------------------------------------------------------------------------------
