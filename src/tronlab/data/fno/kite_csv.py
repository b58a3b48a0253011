"""Load a Kite instruments dump (CSV) into :class:`~tronlab.model.Instrument` objects.

Columns, in order (interfaces.md §1.7): ``instrument_token, exchange_token, tradingsymbol,
name, last_price, expiry, strike, tick_size, lot_size, instrument_type, segment, exchange``.

Loaded: NFO futures (``FUT``/``NFO-FUT``) and options (``CE``/``PE``/``NFO-OPT``), NSE equities
(``EQ``/``NSE``) and NSE/BSE indices (``EQ``/``INDICES``; the dump gives indices tick and lot 0,
so they get tick 0.05). The broker's references (``instrument_token``, ``exchange_token``)
are kept beside the instruments in :attr:`KiteInstruments.refs`, keyed by instrument id: the
durable key is ``exchange:tradingsymbol``, tokens can change.

Nothing is dropped silently. Rows of exchanges not asked for, and rows of a loaded exchange
whose (segment, instrument_type) has no mapping here, are listed in
:attr:`KiteInstruments.skipped` with their line numbers. Malformed rows (bad numbers or dates,
missing fields, a tradingsymbol that disagrees with its expiry/strike/type, a duplicate
symbol, an instrument the model rejects) are :attr:`KiteInstruments.errors`; with
``strict=True`` (the default) any error raises :class:`KiteCsvError` listing them all.
Line numbers count physical lines from 1 (the header).
"""

from __future__ import annotations

import csv
import datetime as dt
import gzip
import io
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path

from tronlab.data.fno.rules import FnoRules, effective_freeze_quantity
from tronlab.data.fno.symbols import SymbolError, SymbolKind
from tronlab.data.fno.symbols import parse as parse_symbol
from tronlab.model import Instrument, InstrumentId, OptionRight, Venue
from tronlab.model.errors import ValidationError

__all__ = [
    "KITE_COLUMNS",
    "KiteCsvError",
    "KiteInstruments",
    "KiteRef",
    "RowIssue",
    "load_kite_instruments",
    "parse_kite_instruments",
]

KITE_COLUMNS: tuple[str, ...] = (
    "instrument_token",
    "exchange_token",
    "tradingsymbol",
    "name",
    "last_price",
    "expiry",
    "strike",
    "tick_size",
    "lot_size",
    "instrument_type",
    "segment",
    "exchange",
)
_INDEX_TICK = Decimal("0.05")
_MAX_LISTED = 50


@dataclass(frozen=True, slots=True)
class KiteRef:
    """The broker's references for an instrument."""

    instrument_token: int
    exchange_token: int
    exchange: str
    segment: str
    tradingsymbol: str


@dataclass(frozen=True, slots=True)
class RowIssue:
    """A row that was not loaded: its line number, its tradingsymbol (if any) and why."""

    line: int
    reason: str
    tradingsymbol: str = ""

    def __str__(self) -> str:
        what = f" ({self.tradingsymbol})" if self.tradingsymbol else ""
        return f"line {self.line}{what}: {self.reason}"


class KiteCsvError(ValueError):
    """A Kite dump could not be loaded cleanly; ``issues`` lists every bad row."""

    def __init__(self, source: str, issues: Iterable[RowIssue]) -> None:
        self.source = source
        self.issues = tuple(issues)
        shown = [str(i) for i in self.issues[:_MAX_LISTED]]
        more = len(self.issues) - len(shown)
        if more > 0:
            shown.append(f"... and {more} more")
        noun = "row" if len(self.issues) == 1 else "rows"
        super().__init__(f"{source}: {len(self.issues)} bad {noun}:\n  " + "\n  ".join(shown))


@dataclass(frozen=True)
class KiteInstruments:
    """What :func:`parse_kite_instruments` loaded, skipped and rejected."""

    source: str
    instruments: tuple[Instrument, ...]
    refs: Mapping[InstrumentId, KiteRef]
    skipped: tuple[RowIssue, ...] = ()
    errors: tuple[RowIssue, ...] = ()
    _by_token: dict[int, Instrument] = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        by_id = {i.id: i for i in self.instruments}
        for iid, ref in self.refs.items():
            self._by_token[ref.instrument_token] = by_id[iid]

    def get(self, instrument_id: InstrumentId | str) -> Instrument | None:
        """The instrument with this id (``NFO:NIFTY25DEC24000CE``), or ``None``."""
        iid = (
            instrument_id
            if isinstance(instrument_id, InstrumentId)
            else InstrumentId.parse(instrument_id)
        )
        ref = self.refs.get(iid)
        return None if ref is None else self._by_token[ref.instrument_token]

    def by_token(self, instrument_token: int) -> Instrument | None:
        """The instrument whose Kite ``instrument_token`` this is, or ``None``."""
        return self._by_token.get(instrument_token)

    def report(self) -> str:
        """A short text summary with every skipped and rejected line."""
        lines = [
            f"{self.source}: {len(self.instruments)} instruments loaded, "
            f"{len(self.skipped)} rows skipped, {len(self.errors)} rows rejected"
        ]
        lines += [f"  skipped {issue}" for issue in self.skipped]
        lines += [f"  rejected {issue}" for issue in self.errors]
        return "\n".join(lines)


class _RowError(Exception):
    pass


def _int(text: str, column: str, *, minimum: int = 0) -> int:
    try:
        value = int(text)
    except ValueError:
        raise _RowError(f"{column} {text!r} is not an integer") from None
    if value < minimum:
        raise _RowError(f"{column} {value} must be >= {minimum}")
    return value


def _decimal(text: str, column: str) -> Decimal:
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise _RowError(f"{column} {text!r} is not a number") from None
    if not value.is_finite() or value < 0:
        raise _RowError(f"{column} {text!r} must be a finite number >= 0")
    if value == value.to_integral_value():
        return Decimal(int(value))
    return value.normalize()


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise _RowError(f"expiry {text!r} is not a YYYY-MM-DD date") from None


def _check_symbol(
    symbol: str, name: str, expiry: dt.date, strike: Decimal | None, right: OptionRight | None
) -> None:
    try:
        parsed = parse_symbol(symbol, roots=(name,))
    except SymbolError as exc:
        raise _RowError(str(exc)) from None
    if parsed.root != name:
        raise _RowError(f"symbol root {parsed.root!r} differs from name {name!r}")
    if (parsed.year, parsed.month) != (expiry.year, expiry.month):
        month = f"{parsed.year}-{parsed.month:02d}"
        raise _RowError(f"symbol month {month} differs from expiry {expiry}")
    if parsed.expiry is not None and parsed.expiry != expiry:
        raise _RowError(f"symbol date {parsed.expiry} differs from expiry {expiry}")
    if (parsed.kind is SymbolKind.FUT) != (right is None):
        raise _RowError("symbol form (future/option) differs from instrument_type")
    if strike is not None and parsed.strike != strike:
        raise _RowError(f"symbol strike {parsed.strike} differs from strike {strike}")
    if right is not None and parsed.right is not right:
        raise _RowError("symbol right differs from instrument_type")


def _instrument(row: list[str], *, rules: FnoRules | None, on: dt.date | None) -> Instrument:
    symbol, name = row[2].strip(), row[3].strip()
    expiry_text, strike_text = row[5].strip(), row[6].strip()
    tick = _decimal(row[7].strip(), "tick_size")
    lot_text, itype, segment, exchange = (c.strip() for c in row[8:12])
    if not symbol:
        raise _RowError("empty tradingsymbol")
    if segment == "INDICES":
        return Instrument.index(Venue(exchange), symbol, tick_size=tick or _INDEX_TICK)
    lot = _int(lot_text, "lot_size", minimum=1)
    if tick <= 0:
        raise _RowError(f"tick_size {tick} must be > 0")
    if exchange == "NSE":
        return Instrument.equity(Venue.NSE, symbol, tick_size=tick, lot_size=lot)
    if not name:
        raise _RowError("empty name (the underlying) for a derivative")
    if not expiry_text:
        raise _RowError("empty expiry for a derivative")
    expiry = _date(expiry_text)
    freeze = None
    if rules is not None and on is not None and name in rules.underlyings:
        freeze = effective_freeze_quantity(rules.freeze_limit(name, on), lot)
    if itype == "FUT":
        _check_symbol(symbol, name, expiry, None, None)
        return Instrument.future(
            Venue.NFO,
            symbol,
            underlying=name,
            expiry=expiry,
            tick_size=tick,
            lot_size=lot,
            freeze_quantity=freeze,
        )
    strike = _decimal(strike_text, "strike")
    if strike <= 0:
        raise _RowError(f"strike {strike_text!r} must be > 0 for an option")
    right = OptionRight.CALL if itype == "CE" else OptionRight.PUT
    _check_symbol(symbol, name, expiry, strike, right)
    return Instrument.option(
        Venue.NFO,
        symbol,
        underlying=name,
        expiry=expiry,
        strike=strike,
        right=right,
        tick_size=tick,
        lot_size=lot,
        freeze_quantity=freeze,
    )


_SUPPORTED = {
    ("NFO", "NFO-FUT", "FUT"),
    ("NFO", "NFO-OPT", "CE"),
    ("NFO", "NFO-OPT", "PE"),
    ("NSE", "NSE", "EQ"),
    ("NSE", "INDICES", "EQ"),
    ("BSE", "INDICES", "EQ"),
}


def parse_kite_instruments(
    text: str,
    *,
    source: str = "<text>",
    exchanges: Iterable[str] = ("NSE", "NFO"),
    strict: bool = True,
    rules: FnoRules | None = None,
    on: dt.date | None = None,
) -> KiteInstruments:
    """Load Kite dump text (see the module docstring).

    Parameters
    ----------
    exchanges
        The ``exchange`` values to load; rows of other exchanges go to ``skipped``. Supported:
        ``NSE``, ``NFO``, and ``BSE`` for its indices.
    strict
        Raise :class:`KiteCsvError` if any row is rejected (default); otherwise return the
        rejected rows in ``errors``.
    rules, on
        With both, F&O contracts on the rules' underlyings get the freeze quantity in force on
        trade date ``on`` (the dump has none).

    Raises
    ------
    KiteCsvError
        A missing or wrong header (always), or rejected rows when ``strict``.
    """
    wanted = set(exchanges)
    reader = csv.reader(io.StringIO(text.removeprefix("\ufeff")))
    header = next(reader, None)
    if header is None:
        raise KiteCsvError(source, [RowIssue(1, "empty file: no header")])
    if tuple(c.strip() for c in header) != KITE_COLUMNS:
        raise KiteCsvError(
            source,
            [RowIssue(1, f"header must be {','.join(KITE_COLUMNS)}; got {','.join(header)}")],
        )
    instruments: list[Instrument] = []
    refs: dict[InstrumentId, KiteRef] = {}
    seen: dict[InstrumentId, int] = {}
    tokens: dict[int, int] = {}
    skipped: list[RowIssue] = []
    errors: list[RowIssue] = []
    line = reader.line_num
    for row in reader:
        start, line = line + 1, reader.line_num
        if not row or all(not c.strip() for c in row):
            continue  # a blank line holds no instrument
        if len(row) != len(KITE_COLUMNS):
            errors.append(RowIssue(start, f"{len(row)} columns, expected {len(KITE_COLUMNS)}"))
            continue
        symbol = row[2].strip()
        exchange, segment, itype = row[11].strip(), row[10].strip(), row[9].strip()
        if exchange not in wanted:
            skipped.append(RowIssue(start, f"exchange {exchange!r} not loaded", symbol))
            continue
        if (exchange, segment, itype) not in _SUPPORTED:
            skipped.append(
                RowIssue(
                    start,
                    f"unsupported instrument_type {itype!r} / segment {segment!r} on {exchange}",
                    symbol,
                )
            )
            continue
        try:
            token = _int(row[0].strip(), "instrument_token", minimum=1)
            exchange_token = _int(row[1].strip(), "exchange_token")
            instrument = _instrument(row, rules=rules, on=on)
        except _RowError as exc:
            errors.append(RowIssue(start, str(exc), symbol))
            continue
        except ValidationError as exc:
            errors.append(RowIssue(start, f"invalid instrument: {exc.message}", symbol))
            continue
        if instrument.id in seen:
            errors.append(
                RowIssue(start, f"duplicate {instrument.id} (first on line {seen[instrument.id]})")
            )
            continue
        if token in tokens:
            reason = f"duplicate instrument_token {token} (first on line {tokens[token]})"
            errors.append(RowIssue(start, reason, symbol))
            continue
        seen[instrument.id] = start
        tokens[token] = start
        instruments.append(instrument)
        refs[instrument.id] = KiteRef(token, exchange_token, exchange, segment, symbol)
    if strict and errors:
        raise KiteCsvError(source, errors)
    return KiteInstruments(
        source=source,
        instruments=tuple(instruments),
        refs=refs,
        skipped=tuple(skipped),
        errors=tuple(errors),
    )


def load_kite_instruments(
    path: Path | str,
    *,
    exchanges: Iterable[str] = ("NSE", "NFO"),
    strict: bool = True,
    rules: FnoRules | None = None,
    on: dt.date | None = None,
) -> KiteInstruments:
    """Read a Kite dump file (plain, or gzip when the name ends in ``.gz``); see
    :func:`parse_kite_instruments`."""
    p = Path(path)
    try:
        raw = p.read_bytes()
        if p.suffix == ".gz":
            raw = gzip.decompress(raw)
        text = raw.decode("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise KiteCsvError(str(p), [RowIssue(0, f"cannot read: {exc}")]) from None
    return parse_kite_instruments(
        text, source=str(p), exchanges=exchanges, strict=strict, rules=rules, on=on
    )
