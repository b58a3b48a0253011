"""The exception tree of tronlab, organised by what an operator (or the engine) does next.

=====================  ==================  ==================================================
class                  action              meaning
=====================  ==================  ==================================================
``RetryableError``     ``RETRY``           transient; retry at the adapter edge, with backoff
``InvalidRequest``     ``FIX_REQUEST``     the request is wrong; never retry it unchanged
``ValidationError``    ``FIX_REQUEST``     a value failed its construction rules
``InvalidOrder``       ``FIX_REQUEST``     an order broke a venue rule (subcode TICK, LOT, ...)
``IllegalTransition``  ``RECONCILE``       an order event contradicts the order's state
``InsufficientFunds``  ``ADD_FUNDS``       cash or margin does not cover the order
``OperationalHalt``    ``HALT``            stop trading; a human must look (auth, drift, kill)
``StrategyError``      ``FIX_STRATEGY``    user strategy code failed; the engine stays up
=====================  ==================  ==================================================

Every error carries a machine-readable ``code`` (stable, upper snake case, safe to persist and
to match on) and a human ``message``. ``details`` holds structured context such as the
offending value or the broker's raw error.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Any, ClassVar


class OperatorAction(StrEnum):
    """What should happen after an error of a given class."""

    RETRY = "RETRY"
    FIX_REQUEST = "FIX_REQUEST"
    RECONCILE = "RECONCILE"
    ADD_FUNDS = "ADD_FUNDS"
    HALT = "HALT"
    FIX_STRATEGY = "FIX_STRATEGY"


class InvalidOrderCode(StrEnum):
    """Subcodes of :class:`InvalidOrder` (interfaces.md 7.6)."""

    TICK = "TICK"
    LOT = "LOT"
    QTY = "QTY"
    PRICE = "PRICE"
    TYPE = "TYPE"
    UNSUPPORTED_TIF = "UNSUPPORTED_TIF"
    NOT_TRADABLE = "NOT_TRADABLE"
    MARKET_PROTECTION_REQUIRED = "MARKET_PROTECTION_REQUIRED"


def _restore(cls: type[TronlabError], args: tuple[Any, ...], state: dict[str, Any]) -> Any:
    err = cls.__new__(cls, *args)
    err.args = args
    err.__dict__.update(state)
    return err


class TronlabError(Exception):
    """Base of every tronlab error.

    Parameters
    ----------
    message
        Human-readable explanation, shown to the operator.
    code
        Machine-readable reason code; defaults to the class's ``default_code``.
    details
        Structured context (offending values, broker payload fields).

    Attributes
    ----------
    action : OperatorAction
        What to do next (class attribute).
    retryable : bool
        Whether an identical retry may succeed (class attribute).
    """

    default_code: ClassVar[str] = "TRONLAB_ERROR"
    action: ClassVar[OperatorAction] = OperatorAction.HALT
    retryable: ClassVar[bool] = False

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        details: Mapping[str, object] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code or self.default_code
        self.details: dict[str, object] = dict(details or {})

    def __str__(self) -> str:
        return f"[{self.code}] {self.message}"

    def __reduce__(self) -> tuple[Any, ...]:
        # Keyword-only constructors break the default pickling of exceptions; rebuild from
        # the instance dict instead so errors cross process boundaries (Ray, multiprocessing).
        return (_restore, (type(self), self.args, self.__dict__))


class RetryableError(TronlabError):
    """A transient failure (rate limit, broker unavailable); retry at the adapter edge."""

    default_code = "RETRYABLE"
    action = OperatorAction.RETRY
    retryable = True


class InvalidRequest(TronlabError):
    """The request itself is wrong; retrying it unchanged cannot succeed."""

    default_code = "INVALID_REQUEST"
    action = OperatorAction.FIX_REQUEST


class ValidationError(InvalidRequest, ValueError):
    """A value broke its construction rules (NaN, negative quantity, naive datetime, ...).

    Also a :class:`ValueError`, so generic validation code (pydantic validators, argument
    parsing) treats it as one.
    """

    default_code = "VALIDATION"


class InvalidOrder(ValidationError):
    """An order broke a venue or instrument rule.

    Parameters
    ----------
    message
        Human-readable explanation.
    subcode
        Which rule: ``TICK``, ``LOT``, ``QTY``, ``PRICE``, ...; ``code`` becomes
        ``INVALID_ORDER_<SUBCODE>``.
    details
        Structured context.
    """

    default_code = "INVALID_ORDER"

    def __init__(
        self,
        message: str,
        *,
        subcode: InvalidOrderCode | str,
        details: Mapping[str, object] | None = None,
    ) -> None:
        self.subcode = InvalidOrderCode(subcode)
        super().__init__(message, code=f"INVALID_ORDER_{self.subcode}", details=details)


class IllegalTransition(TronlabError):
    """An order was asked to move between two statuses the state machine does not allow.

    Parameters
    ----------
    message
        Human-readable explanation.
    from_status, to_status
        The statuses involved (as strings, so this module needs no import of the enums).
    details
        Structured context.
    """

    default_code = "ILLEGAL_TRANSITION"
    action = OperatorAction.RECONCILE

    def __init__(
        self,
        message: str,
        *,
        from_status: str,
        to_status: str,
        details: Mapping[str, object] | None = None,
    ) -> None:
        self.from_status = str(from_status)
        self.to_status = str(to_status)
        super().__init__(message, details=details)


class InsufficientFunds(TronlabError):
    """Cash, margin or holdings do not cover the request."""

    default_code = "INSUFFICIENT_FUNDS"
    action = OperatorAction.ADD_FUNDS


class OperationalHalt(TronlabError):
    """Trading must stop until a human acts (expired session, position drift, kill switch)."""

    default_code = "OPERATIONAL_HALT"
    action = OperatorAction.HALT


class StrategyError(TronlabError):
    """User strategy code raised or misbehaved; the engine logs it and stays alive."""

    default_code = "STRATEGY_ERROR"
    action = OperatorAction.FIX_STRATEGY
