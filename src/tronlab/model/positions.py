"""Net positions with average-cost accounting that reconciles exactly.

A :class:`Position` keeps its open **cost basis** (the signed sum of quantity x price of the
units still open, before the multiplier) rather than an average price. Every booked amount is
derived by exact addition, subtraction and multiplication, so for any sequence of trades

    realized_pnl - cost_basis * multiplier == -sum(signed_qty * price) * multiplier

holds exactly in Decimal. The only division, the cost released when part of a position is
closed (``cost_basis * closed / open``), is rounded to 10 decimal places; whatever it rounds
to, the released amount leaves the cost basis and enters realized PnL together, so the books
still balance to the last digit. The average price is a derived, rounded, display value.

Conventions: ``quantity`` is signed (long > 0, short < 0); ``realized_pnl`` is gross of fees
(fees are kept separately in ``fees``); all PnL is in the instrument's currency and includes
the multiplier.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from tronlab.model._values import (
    DIVISION,
    EXACT,
    ONE,
    ZERO,
    as_enum,
    evolve,
    non_negative,
    optional_positive,
    positive,
    ratio,
    to_decimal,
)
from tronlab.model.enums import Side
from tronlab.model.errors import ValidationError
from tronlab.model.fills import Fill
from tronlab.model.identifiers import InstrumentId

#: Released cost is rounded to this quantum (only when the exact quotient is finer).
COST_QUANTUM = Decimal("1e-10")

_mul = EXACT.multiply
_add = EXACT.add
_sub = EXACT.subtract
_set = object.__setattr__
_BUY = Side.BUY  # a module constant: member lookups on the enum class are slow


def _release(cost: Decimal, closed: Decimal, open_qty: Decimal) -> Decimal:
    """Cost basis attributable to ``closed`` of ``open_qty`` units (same sign as ``cost``)."""
    if closed == open_qty:
        return cost
    share = ratio(_mul(cost, closed), open_qty)
    rounded = DIVISION.quantize(share, COST_QUANTUM)
    # Keep the exact representation when it is already on the quantum (no trailing zeros).
    return share if rounded == share else rounded


@dataclass(frozen=True, slots=True)
class Position:
    """A net position in one instrument. Immutable: trades return a new position.

    Parameters
    ----------
    instrument_id
        The instrument.
    multiplier
        Currency value per unit of quantity per unit of price, > 0 (from the instrument).
    quantity
        Signed open quantity (long > 0, short < 0, flat 0).
    cost_basis
        Signed open cost before the multiplier: ``quantity * avg_price``. Zero when flat.
    realized_pnl
        Realised profit or loss so far, gross of fees, in currency.
    fees
        Fees paid on this instrument so far, >= 0.
    last_price
        Latest mark (the last fill price until :meth:`mark` is called), > 0, or ``None``.

    Raises
    ------
    ValidationError
        On non-finite values, a non-zero cost basis while flat, or a cost basis whose sign
        contradicts the quantity.
    """

    instrument_id: InstrumentId
    multiplier: Decimal = ONE
    quantity: Decimal = ZERO
    cost_basis: Decimal = ZERO
    realized_pnl: Decimal = ZERO
    fees: Decimal = ZERO
    last_price: Decimal | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.instrument_id, InstrumentId):
            raise ValidationError("instrument_id must be an InstrumentId", code="TYPE")
        object.__setattr__(self, "multiplier", positive(self.multiplier, "multiplier"))
        object.__setattr__(self, "quantity", to_decimal(self.quantity, "quantity"))
        object.__setattr__(self, "cost_basis", to_decimal(self.cost_basis, "cost_basis"))
        object.__setattr__(self, "realized_pnl", to_decimal(self.realized_pnl, "realized_pnl"))
        object.__setattr__(self, "fees", non_negative(self.fees, "fees"))
        object.__setattr__(self, "last_price", optional_positive(self.last_price, "last_price"))
        if self.quantity == 0 and self.cost_basis != 0:
            raise ValidationError(f"flat position {self.instrument_id} has a cost basis")
        if self.quantity * self.cost_basis < 0:
            raise ValidationError(
                f"position {self.instrument_id}: cost basis {self.cost_basis} contradicts "
                f"quantity {self.quantity}"
            )

    @classmethod
    def flat(cls, instrument_id: InstrumentId, multiplier: Decimal = ONE) -> Position:
        """An empty position."""
        return cls(instrument_id, multiplier)

    # ----------------------------------------------------------------- derived values

    @property
    def is_flat(self) -> bool:
        """Whether nothing is open."""
        return self.quantity == 0

    @property
    def is_long(self) -> bool:
        """Whether the open quantity is positive."""
        return self.quantity > 0

    @property
    def is_short(self) -> bool:
        """Whether the open quantity is negative."""
        return self.quantity < 0

    @property
    def avg_price(self) -> Decimal:
        """Average entry price of the open quantity (40 significant digits); 0 when flat."""
        return ZERO if self.quantity == 0 else ratio(self.cost_basis, self.quantity)

    @property
    def market_value(self) -> Decimal:
        """``quantity * last_price * multiplier`` (the cost basis when never marked)."""
        if self.last_price is None:
            return _mul(self.cost_basis, self.multiplier)
        return _mul(_mul(self.quantity, self.last_price), self.multiplier)

    @property
    def unrealized_pnl(self) -> Decimal:
        """``(quantity * last_price - cost_basis) * multiplier``; 0 when never marked."""
        return _sub(self.market_value, _mul(self.cost_basis, self.multiplier))

    @property
    def total_pnl(self) -> Decimal:
        """Realised plus unrealised PnL, gross of fees."""
        return _add(self.realized_pnl, self.unrealized_pnl)

    def unrealized_pnl_at(self, price: Decimal) -> Decimal:
        """Unrealised PnL if the position were marked at ``price``."""
        p = positive(price, "price")
        return _mul(_sub(_mul(self.quantity, p), self.cost_basis), self.multiplier)

    # ----------------------------------------------------------------- changes

    def mark(self, price: Decimal) -> Position:
        """Return the position marked at ``price`` (> 0)."""
        px = positive(price, "price")
        return _unchecked(
            self.instrument_id,
            self.multiplier,
            self.quantity,
            self.cost_basis,
            self.realized_pnl,
            self.fees,
            px,
        )

    def settle(self, price: Decimal) -> Position:
        """Return the position closed at the settlement ``price`` (>= 0: an option can expire
        worthless), realising ``(quantity * price - cost_basis) * multiplier``."""
        px = non_negative(price, "price")
        realized = _add(
            self.realized_pnl, _mul(_sub(_mul(self.quantity, px), self.cost_basis), self.multiplier)
        )
        return evolve(
            self,
            quantity=ZERO,
            cost_basis=ZERO,
            realized_pnl=realized,
            last_price=px if px > 0 else self.last_price,
        )

    def apply_fill(self, fill: Fill) -> Position:
        """Return the position after ``fill`` (which must be for this instrument)."""
        iid = fill.instrument_id
        if iid is not self.instrument_id and iid != self.instrument_id:
            raise ValidationError(
                f"fill {fill.fill_id} is for {fill.instrument_id}, not {self.instrument_id}",
                code="FILL_MISMATCH",
            )
        # A Fill's side, quantity, price and fee were validated when it was built.
        return self._trade(fill.side is _BUY, fill.quantity, fill.price, fill.fee)

    def apply_trade(
        self, side: Side, quantity: Decimal, price: Decimal, *, fee: Decimal = ZERO
    ) -> Position:
        """Return the position after trading ``quantity`` at ``price``.

        Adding to (or opening) a position adds ``signed_qty * price`` to the cost basis.
        Reducing it releases the pro-rata cost and realises
        ``(price - avg_price) * closed_qty * multiplier`` (sign-adjusted for shorts).
        Crossing zero closes the whole position, realising its PnL, and opens the rest at
        ``price``. The mark moves to ``price``.

        Parameters
        ----------
        side
            BUY or SELL.
        quantity
            Units traded, > 0.
        price
            Trade price, > 0.
        fee
            Fees, >= 0; added to :attr:`fees`, not to realised PnL.
        """
        qty = positive(quantity, "quantity")
        px = positive(price, "price")
        fee = non_negative(fee, "fee")
        return self._trade(as_enum(Side, side, "side") is Side.BUY, qty, px, fee)

    def _trade(self, is_buy: bool, qty: Decimal, px: Decimal, fee: Decimal) -> Position:
        # apply_trade on validated values: qty > 0, px > 0, fee >= 0 (finite Decimals)
        signed = qty if is_buy else -qty
        q, cost, realized, mult = self.quantity, self.cost_basis, self.realized_pnl, self.multiplier

        if q == 0 or (q > 0) == (signed > 0):
            # Open or add: no PnL, the cost basis grows.
            new_q, new_cost = _add(q, signed), _add(cost, _mul(signed, px))
        elif abs(signed) <= abs(q):
            # Reduce or close: release the pro-rata cost, realise against the trade price.
            released = _release(cost, abs(signed), abs(q))
            realized = _add(realized, _mul(_sub(_mul(-signed, px), released), mult))
            new_q, new_cost = _add(q, signed), _sub(cost, released)
        else:
            # Flip: close everything at px, open the remainder at px.
            realized = _add(realized, _mul(_sub(_mul(q, px), cost), mult))
            new_q = _add(q, signed)
            new_cost = _mul(new_q, px)
        # Every field is derived from validated values with exact arithmetic, so the new
        # position skips re-validation (hot path of every fill).
        return _unchecked(
            self.instrument_id, mult, new_q, new_cost, realized, _add(self.fees, fee), px
        )


def _unchecked(
    instrument_id: InstrumentId,
    multiplier: Decimal,
    quantity: Decimal,
    cost_basis: Decimal,
    realized_pnl: Decimal,
    fees: Decimal,
    last_price: Decimal | None,
) -> Position:
    """A :class:`Position` from values that are valid by construction (no checks)."""
    new = object.__new__(Position)
    _set(new, "instrument_id", instrument_id)
    _set(new, "multiplier", multiplier)
    _set(new, "quantity", quantity)
    _set(new, "cost_basis", cost_basis)
    _set(new, "realized_pnl", realized_pnl)
    _set(new, "fees", fees)
    _set(new, "last_price", last_price)
    return new
