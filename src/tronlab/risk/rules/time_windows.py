"""When entries are allowed in the session, and when intraday positions are squared off.

:class:`EntryWindowRule` denies entries (never exits):

- outside the session (``OUTSIDE_SESSION``): no session today (``ctx.session_open is None``) or
  ``ctx.now`` outside ``[session_open, session_close)``, unless ``allow_outside_session``;
- at or after the entry cutoff (``ENTRY_CUTOFF``): ``entry_cutoff``, an exchange-local wall
  time (default 15:00: the NSE market closes at 15:30, interfaces.md 1.11), but never later
  than ``cutoff_before_close_minutes`` (default 30) before the session's close, so a shortened
  session (a special session closing at 12:30: cutoff 12:00) keeps its last half hour free of
  entries too; on a regular 15:30 close both give 15:00;
- during the first ``no_entry_after_open_minutes`` minutes after ``ctx.session_open``
  (``OPENING_WINDOW``).

:class:`SquareOffConfig` with :func:`square_off_due`, :func:`square_off_time`,
:func:`square_off_schedule` and :func:`square_off_offsets` is pure logic for the governor,
which closes intraday positions itself. The defaults are the NSE/Zerodha MIS auto square-off
times of interfaces.md 1.11 (equity 15:20; equity and index F&O 15:25), capped on each day at
``before_close_minutes`` before the session's close (default: equity 10, F&O 5 minutes, the
same offsets from the regular 15:30 close, so regular days keep 15:20 and 15:25 while a
session closing at 12:30 squares off at 12:20 and 12:25). Zerodha's own RMS squares off at
those times (for a fee per order) and refuses fresh MIS orders after them, so a deployment
may want to configure times a few minutes earlier; other venues set their own.

Both deadlines follow :func:`session_deadline`: the configured wall time on the session's
day, capped at ``close - minutes``; when the configured time falls at or before the session's
open (an evening Muhurat session opening at 18:15), only ``close - minutes`` applies.
Without a session (no calendar) the configured times apply as they are.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, tzinfo
from typing import TYPE_CHECKING, Any

from pydantic import Field, field_validator

from tronlab.model import InstrumentKind, Product
from tronlab.risk.decision import RiskDecision
from tronlab.risk.rules._base import RuleConfig, parse_hhmm

if TYPE_CHECKING:
    from tronlab.execution.intents import OrderIntent
    from tronlab.risk.context import RuleContext

__all__ = [
    "ENTRY_CUTOFF",
    "OPENING_WINDOW",
    "OUTSIDE_SESSION",
    "EntryWindowConfig",
    "EntryWindowRule",
    "SquareOffConfig",
    "session_deadline",
    "square_off_due",
    "square_off_offsets",
    "square_off_schedule",
    "square_off_time",
]

ENTRY_CUTOFF = "ENTRY_CUTOFF"
OPENING_WINDOW = "OPENING_WINDOW"
OUTSIDE_SESSION = "OUTSIDE_SESSION"


def _iso(t: datetime | None) -> str | None:
    return None if t is None else t.isoformat()


def session_deadline(
    at: time,
    tz: tzinfo,
    day: date,
    session: tuple[datetime, datetime] | None = None,
    before_close: timedelta | None = None,
) -> datetime:
    """The instant of the exchange-local wall time ``at`` on ``day`` (zone ``tz``), capped at
    ``before_close`` before the ``session``'s close ``(open, close)``.

    When ``at`` on that day is at or before the session's open (an evening session), only
    ``close - before_close`` applies. Without a session or an offset: ``at`` on ``day``.
    """
    fixed = datetime.combine(day, at, tz)
    if session is None or before_close is None:
        return fixed
    open_, close = session
    latest = close - before_close
    if fixed <= open_:
        return latest
    return min(fixed, latest)


def _check_minutes(name: str, value: int) -> int:
    if isinstance(value, bool) or value < 0:
        raise ValueError(f"{name} must be >= 0, got {value!r}")
    return value


class EntryWindowConfig(RuleConfig):
    """Config of the entry window."""

    entry_cutoff: str | None = Field(
        default="15:00",
        description="Exchange-local HH:MM: no entries at or after it. Default 15:00; "
        "null for no cutoff.",
    )
    no_entry_after_open_minutes: int = Field(
        default=0,
        description="No entries during the first N minutes after the session opens (>= 0). "
        "Default 0.",
    )
    cutoff_before_close_minutes: int | None = Field(
        default=30,
        description="No entries in the last N minutes of the session either: the cutoff is "
        "min(entry_cutoff, session close - N) (a 12:30 close: 12:00). Default 30 (15:00 on a "
        "15:30 close, as entry_cutoff); null: entry_cutoff alone.",
    )
    allow_outside_session: bool = Field(
        default=False,
        description="Allow entries when there is no session or it is closed (e.g. 24/7 "
        "crypto). Default false.",
    )

    @field_validator("entry_cutoff")
    @classmethod
    def _check_cutoff(cls, v: str | None) -> str | None:
        if v is not None:
            parse_hhmm(v)  # raises ValueError with the expected format
        return v

    @field_validator("no_entry_after_open_minutes")
    @classmethod
    def _check_minutes(cls, v: int) -> int:
        return _check_minutes("no_entry_after_open_minutes", v)

    @field_validator("cutoff_before_close_minutes")
    @classmethod
    def _check_before_close(cls, v: int | None) -> int | None:
        return None if v is None else _check_minutes("cutoff_before_close_minutes", v)


class EntryWindowRule:
    """Deny entries outside the session, after the cutoff and in the opening window."""

    name = "entry_window"

    def __init__(self, config: EntryWindowConfig) -> None:
        self.config = config
        self.cutoff: time | None = (
            None if config.entry_cutoff is None else parse_hhmm(config.entry_cutoff)
        )
        self.opening_window = timedelta(minutes=config.no_entry_after_open_minutes)
        minutes = config.cutoff_before_close_minutes
        self.before_close: timedelta | None = (
            None if minutes is None else timedelta(minutes=minutes)
        )

    def check(self, intent: OrderIntent, ctx: RuleContext) -> RiskDecision | None:
        if not self.config.enabled or not ctx.is_entry:
            return None
        now, open_, close = ctx.now, ctx.session_open, ctx.session_close
        in_session = open_ is not None and open_ <= now and (close is None or now < close)
        if not in_session and not self.config.allow_outside_session:
            where = "no session today" if open_ is None else "the session is closed"
            return RiskDecision.deny(
                OUTSIDE_SESSION,
                f"no entries outside the trading session ({where} at {now.isoformat()})",
                rule=self.name,
                values=_values(ctx),
            )
        if self.cutoff is not None:
            denial = self._cutoff(self.cutoff, ctx)
            if denial is not None:
                return denial
        if self.opening_window and open_ is not None and open_ <= now < open_ + self.opening_window:
            until = open_ + self.opening_window
            return RiskDecision.deny(
                OPENING_WINDOW,
                f"no entries in the first {self.config.no_entry_after_open_minutes} minutes "
                f"after the open (until {until.isoformat()})",
                rule=self.name,
                values={
                    **_values(ctx),
                    "no_entry_after_open_minutes": self.config.no_entry_after_open_minutes,
                    "allowed_from": until.isoformat(),
                },
            )
        return None

    def _cutoff(self, at: time, ctx: RuleContext) -> RiskDecision | None:
        """``ENTRY_CUTOFF`` at or after today's cutoff ``at`` (see the module docstring)."""
        local = ctx.local_now
        tz = local.tzinfo
        open_, close = ctx.session_open, ctx.session_close
        why = ""
        if tz is None or open_ is None or close is None or self.before_close is None:
            if local.time() < at:  # the configured wall time alone
                return None
            cutoff = at.isoformat(timespec="minutes")
            values = _values(ctx)
        else:
            day = open_.astimezone(tz).date()
            deadline = session_deadline(at, tz, day, (open_, close), self.before_close)
            if local < deadline:
                return None
            cutoff = deadline.astimezone(tz).time().isoformat(timespec="minutes")
            values = _values(ctx)
            if deadline != datetime.combine(day, at, tz):  # the close came first
                minutes = self.config.cutoff_before_close_minutes
                closes = close.astimezone(tz).time().isoformat(timespec="minutes")
                why = f": {minutes} minutes before the session closes at {closes}"
                values = {
                    **values,
                    "configured_cutoff": self.config.entry_cutoff,
                    "cutoff_before_close_minutes": minutes,
                }
        return RiskDecision.deny(
            ENTRY_CUTOFF,
            f"no entries at or after {cutoff}{why} "
            f"(exchange time {local.time().isoformat(timespec='seconds')})",
            rule=self.name,
            values={**values, "entry_cutoff": cutoff},
        )


def _values(ctx: RuleContext) -> dict[str, Any]:
    """The times a denial reports (built only when denying: every entry passes here)."""
    return {
        "now": ctx.now.isoformat(),
        "local_now": ctx.local_now.isoformat(),
        "session_open": _iso(ctx.session_open),
        "session_close": _iso(ctx.session_close),
    }


# ---------------------------------------------------------------------------- square-off

_NSE_SQUARE_OFF = {"EQ": "15:20", "FUT": "15:25", "OPT": "15:25"}
_NSE_BEFORE_CLOSE = {"EQ": 10, "FUT": 5, "OPT": 5}  # the same times, from the 15:30 close


class SquareOffConfig(RuleConfig):
    """When the governor closes intraday positions, per instrument kind (exchange-local)."""

    times: dict[str, str] = Field(
        default_factory=lambda: dict(_NSE_SQUARE_OFF),
        description="Instrument kind (EQ, FUT, OPT, INDEX) -> exchange-local HH:MM. Default: "
        "the NSE/Zerodha MIS times, EQ 15:20, FUT and OPT 15:25 (interfaces.md 1.11). "
        "Kinds not listed are never squared off.",
    )
    before_close_minutes: int | dict[str, int] | None = Field(
        default_factory=lambda: dict(_NSE_BEFORE_CLOSE),
        description="Square off no later than N minutes before the session's close: due at "
        "min(time, close - N), so sessions that close early (special sessions, Muhurat) are "
        "squared off too. One number for every kind or kind -> minutes (kinds not listed: "
        "the time alone). Default EQ 10, FUT and OPT 5 (15:20 / 15:25 on a 15:30 close); "
        "null: the times alone.",
    )
    products: tuple[str, ...] = Field(
        default=("MIS",),
        description="Products squared off (Kite codes or INTRADAY/DELIVERY/CARRY). Default: MIS.",
    )

    @field_validator("times")
    @classmethod
    def _check_times(cls, v: dict[str, str]) -> dict[str, str]:
        kinds = {k.value for k in InstrumentKind}
        out: dict[str, str] = {}
        for kind, hhmm in v.items():
            key = kind.strip().upper()
            if key not in kinds:
                raise ValueError(
                    f"square-off times: unknown instrument kind {kind!r}; "
                    f"expected one of {sorted(kinds)}"
                )
            parse_hhmm(hhmm)
            out[key] = hhmm
        return out

    @field_validator("before_close_minutes")
    @classmethod
    def _check_before_close(cls, v: int | dict[str, int] | None) -> int | dict[str, int] | None:
        if v is None or isinstance(v, int):
            return None if v is None else _check_minutes("before_close_minutes", v)
        kinds = {k.value for k in InstrumentKind}
        out: dict[str, int] = {}
        for kind, minutes in v.items():
            key = kind.strip().upper()
            if key not in kinds:
                raise ValueError(
                    f"before_close_minutes: unknown instrument kind {kind!r}; "
                    f"expected one of {sorted(kinds)}"
                )
            out[key] = _check_minutes(f"before_close_minutes[{key}]", minutes)
        return out

    @field_validator("products")
    @classmethod
    def _check_products(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(Product.parse(p).value for p in v)  # ValueError names the bad product


def square_off_time(config: SquareOffConfig, kind: str | InstrumentKind) -> time:
    """The exchange-local square-off time of instrument ``kind``.

    Raises ``KeyError`` when no time is configured for that kind.
    """
    key = str(kind).upper()
    try:
        return parse_hhmm(config.times[key])
    except KeyError:
        raise KeyError(
            f"no square-off time for kind {key!r} (configured: {sorted(config.times)})"
        ) from None


def square_off_schedule(config: SquareOffConfig) -> dict[str, time]:
    """``kind -> local time`` for every configured kind (empty when disabled): the mapping
    :class:`~tronlab.risk.governor.RiskGovernor` takes as ``square_off``."""
    if not config.enabled:
        return {}
    return {kind: parse_hhmm(hhmm) for kind, hhmm in config.times.items()}


def square_off_offsets(config: SquareOffConfig) -> dict[str, timedelta]:
    """``kind -> offset before the close`` for every configured kind that has one (empty when
    disabled or ``before_close_minutes`` is null): what
    :class:`~tronlab.risk.governor.RiskGovernor` takes as ``square_off_before_close``."""
    minutes = config.before_close_minutes
    if not config.enabled or minutes is None:
        return {}
    if isinstance(minutes, int):
        return {kind: timedelta(minutes=minutes) for kind in config.times}
    return {k: timedelta(minutes=m) for k, m in minutes.items() if k in config.times}


def square_off_due(
    config: SquareOffConfig,
    instrument_kind: str | InstrumentKind,
    product: Product | str | None,
    local_now: datetime,
    session: tuple[datetime, datetime] | None = None,
) -> bool:
    """Whether a position of ``instrument_kind`` held as ``product`` must be closed at
    ``local_now`` (exchange-local): at or after the kind's square-off time on that day, capped
    at ``before_close_minutes`` before the close of ``session`` (``(open, close)``, aware;
    ``None``: the time alone); see :func:`session_deadline`.

    ``False`` when disabled, for products not listed (``None``: no product, e.g. Alpaca) and
    for kinds without a configured time.
    """
    if not config.enabled or product is None:
        return False
    code = product.value if isinstance(product, Product) else Product.parse(product).value
    if code not in config.products:
        return False
    key = str(instrument_kind).upper()
    if key not in config.times:
        return False
    at = square_off_time(config, key)
    tz = local_now.tzinfo
    if session is None or tz is None:
        return local_now.time() >= at
    day = session[0].astimezone(tz).date()
    before = square_off_offsets(config).get(key)
    return local_now >= session_deadline(at, tz, day, session, before)
