"""NSE F&O contracts: dated rules, expiry calendar, Kite symbols, generated universe, Kite dump.

* :mod:`~tronlab.data.fno.rules` - lot sizes by contract expiry, expiry weekdays by period,
  weeklies, strike steps, freeze limits and tick sizes as dated data (``rules.yaml``), and
  :class:`ExpiryCalendar` (expiry dates with the holiday roll-back on the NSE calendar).
* :mod:`~tronlab.data.fno.symbols` - parse and format Kite trading symbols.
* :mod:`~tronlab.data.fno.universe` - :func:`expiries` and :func:`fno_universe`.
* :mod:`~tronlab.data.fno.kite_csv` - load a Kite instruments dump into Instruments.

Generated contracts serve research, backtests and tests; trading code takes contracts (lot,
tick, expiry, symbol) from the day's instrument master, never from the rules or the formatter.
"""

from tronlab.data.fno.expiries import ExpiryCalendar, default_expiry_calendar
from tronlab.data.fno.kite_csv import (
    KITE_COLUMNS,
    KiteCsvError,
    KiteInstruments,
    KiteRef,
    RowIssue,
    load_kite_instruments,
    parse_kite_instruments,
)
from tronlab.data.fno.rules import (
    Expiry,
    ExpiryKind,
    FnoRules,
    FnoRulesError,
    NoRuleError,
    UnderlyingRules,
    default_rules,
    effective_freeze_quantity,
    load_rules,
    parse_rules,
)
from tronlab.data.fno.symbols import (
    ParsedSymbol,
    SymbolError,
    SymbolKind,
    format_future,
    format_option,
    format_strike,
    parse,
)
from tronlab.data.fno.universe import (
    atm_strike,
    expiries,
    fno_universe,
    future_symbol,
    option_symbol,
)

__all__ = [
    "KITE_COLUMNS",
    "Expiry",
    "ExpiryCalendar",
    "ExpiryKind",
    "FnoRules",
    "FnoRulesError",
    "KiteCsvError",
    "KiteInstruments",
    "KiteRef",
    "NoRuleError",
    "ParsedSymbol",
    "RowIssue",
    "SymbolError",
    "SymbolKind",
    "UnderlyingRules",
    "atm_strike",
    "default_expiry_calendar",
    "default_rules",
    "effective_freeze_quantity",
    "expiries",
    "fno_universe",
    "format_future",
    "format_option",
    "format_strike",
    "future_symbol",
    "load_kite_instruments",
    "load_rules",
    "option_symbol",
    "parse",
    "parse_kite_instruments",
    "parse_rules",
]

from tronlab.data.fno.futures import (
    FutureContract,
    annualised_carry,
    basis,
    continuous_series,
    contract_schedule,
    roll_dates,
    synthetic_futures,
    years_to_expiry,
)

__all__ += [
    "FutureContract",
    "annualised_carry",
    "basis",
    "continuous_series",
    "contract_schedule",
    "roll_dates",
    "synthetic_futures",
    "years_to_expiry",
]
