"""When entries are allowed in the session, and when intraday positions are squared off.

:class:`EntryWindowRule` denies entries (never exits):

- outside the session (``OUTSIDE_SESSION``): no session today (``ctx.session_open is None``) or
  ``ctx.now`` outside ``[session_open, session_close)``, unless ``allow_outside_session``;
- at or after ``entry_cutoff`` (``ENTRY_CUTOFF``), an exchange-local wall time compared with
  ``ctx.local_now`` (default 15:00: the NSE market closes at 15:30, interfaces.md 1.11);
- during the first ``no_entry_after_open_minutes`` minutes after ``ctx.session_open``
  (``OPENING_WINDOW``).

:class:`SquareOffConfig` with :func:`square_off_due`, :func:`square_off_time` and
:func:`square_off_schedule` is pure logic for the governor, which closes intraday positions
itself at these exchange-local times. The defaults are the NSE/Zerodha MIS auto square-off
times of interfaces.md 1.11 (equity 15:20; equity and index F&O 15:25). Zerodha's own RMS
squares off at those times (for a fee per order) and refuses fresh MIS orders after them, so a
deployment may want to configure times a few minutes earlier; other venues set their own.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
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
    "square_off_due",
    "square_off_schedule",
    "square_off_time",
]

ENTRY_CUTOFF = "ENTRY_CUTOFF"
OPENING_WINDOW = "OPENING_WINDOW"
OUTSIDE_SESSION = "OUTSIDE_SESSION"


def _iso(t: datetime | None) -> str | None:
    return None if t is None else t.isoformat()


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
        if v < 0:
            raise ValueError(f"no_entry_after_open_minutes must be >= 0, got {v}")
        return v


class EntryWindowRule:
    """Deny entries outside the session, after the cutoff and in the opening window."""

    name = "entry_window"

    def __init__(self, config: EntryWindowConfig) -> None:
        self.config = config
        self.cutoff: time | None = (
            None if config.entry_cutoff is None else parse_hhmm(config.entry_cutoff)
        )
        self.opening_window = timedelta(minutes=config.no_entry_after_open_minutes)

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
        if self.cutoff is not None and ctx.local_now.time() >= self.cutoff:
            cutoff = self.cutoff.isoformat(timespec="minutes")
            return RiskDecision.deny(
                ENTRY_CUTOFF,
                f"no entries at or after {cutoff} (exchange time "
                f"{ctx.local_now.time().isoformat(timespec='seconds')})",
                rule=self.name,
                values={**_values(ctx), "entry_cutoff": cutoff},
            )
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


class SquareOffConfig(RuleConfig):
    """When the governor closes intraday positions, per instrument kind (exchange-local)."""

    times: dict[str, str] = Field(
        default_factory=lambda: dict(_NSE_SQUARE_OFF),
        description="Instrument kind (EQ, FUT, OPT, INDEX) -> exchange-local HH:MM. Default: "
        "the NSE/Zerodha MIS times, EQ 15:20, FUT and OPT 15:25 (interfaces.md 1.11). "
        "Kinds not listed are never squared off.",
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


def square_off_due(
    config: SquareOffConfig,
    instrument_kind: str | InstrumentKind,
    product: Product | str | None,
    local_now: datetime,
) -> bool:
    """Whether a position of ``instrument_kind`` held as ``product`` must be closed at
    ``local_now`` (exchange-local): at or after the kind's square-off time on that day.

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
    return local_now.time() >= square_off_time(config, key)
