"""Chart data with source fallback and a write-through cache.

:class:`ChartDataService` answers "bars of SYMBOL at TIMEFRAME between START and END" by asking
its sources in order: the cache store first (when one is given), then each configured source.
A source that has no data, returns bars that do not cover the request, refuses (for example a
CSV file with bad rows) or raises is recorded in :attr:`ChartBars.attempts` and the next one is
tried. The first source whose bars cover the request serves it; bars that came from a source
other than a bar store are written to the cache store, so the next call is served from there.
When no source covers the request, the widest partial answer is served (``complete=False``);
when no source has any bars, :class:`NoDataError` lists every attempt and why it failed.

Sources implement the small :class:`BarSource` protocol. Built-in: :class:`StoreSource` (a
:class:`~tronlab.data.store.BarStore`) and :class:`CsvDirectorySource` (shared-data CSV files).
Online providers plug in later through :func:`register_source`; there is no network code here.

Ranges are half-open on bar start times: ``start <= timestamp < end``; naive datetimes are
rejected. A request covers ``[start, end)`` when its first bar starts no later than
``start + slack`` and its last bar ends no earlier than ``end - slack``; the slack (default four
days) absorbs weekends and holidays, since a source knows nothing of the exchange calendar.
"""

from __future__ import annotations

import difflib
import glob
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, NamedTuple, Protocol, runtime_checkable

import pandas as pd

from tronlab.data.bars import Timeframe, empty_bars, normalize_bars
from tronlab.data.importing import CsvFormatError, ParsedCsv, read_bar_csv
from tronlab.data.store import BarStore, SeriesNotFound
from tronlab.data.validation import CalendarLike

__all__ = [
    "Attempt",
    "BarSource",
    "ChartBars",
    "ChartDataService",
    "CsvDirectorySource",
    "NoDataError",
    "SourceRefused",
    "SourceUnavailable",
    "StoreSource",
    "available_sources",
    "create_source",
    "register_source",
]

DEFAULT_SLACK = timedelta(days=4)


# --------------------------------------------------------------------------------------------
# errors and results


class SourceUnavailable(Exception):
    """A source cannot serve a request; the message says why (recorded as ``unavailable``)."""

    outcome = "unavailable"


class SourceRefused(SourceUnavailable):
    """A source has data but will not serve it, e.g. a CSV file with invalid rows."""

    outcome = "refused"


class Attempt(NamedTuple):
    """What one source did with a request: ``(source, outcome)``.

    ``outcome`` starts with a code (``served``, ``partial``, ``not_covering``, ``no_data``,
    ``refused``, ``unavailable``, ``error``), followed by ``": "`` and a human reason when there is
    one.
    """

    source: str
    outcome: str

    @property
    def code(self) -> str:
        return self.outcome.split(":", 1)[0]

    @property
    def reason(self) -> str:
        parts = self.outcome.split(": ", 1)
        return parts[1] if len(parts) == 2 else ""


class NoDataError(LookupError):
    """No source had bars for a request; :attr:`attempts` says what each one did."""

    def __init__(
        self,
        symbol: str,
        timeframe: Timeframe,
        start: datetime | None,
        end: datetime | None,
        attempts: Sequence[Attempt],
    ) -> None:
        self.symbol = symbol
        self.timeframe = timeframe
        self.start = start
        self.end = end
        self.attempts = list(attempts)
        lines = "\n".join(f"  - {a.source}: {a.outcome}" for a in self.attempts) or "  (no sources)"
        window = f"{_fmt(start)} .. {_fmt(end)}"
        super().__init__(f"no bars for {symbol} {timeframe} in {window}; tried:\n{lines}")

    def __str__(self) -> str:
        return str(self.args[0])


@dataclass(frozen=True, eq=False)
class ChartBars:
    """Bars for a chart and where they came from.

    Attributes
    ----------
    bars
        Canonical bar frame restricted to the requested range.
    source
        Name of the source that served the bars.
    cached
        ``True`` when the cache store served them.
    attempts
        Every source tried, in order, with its outcome.
    complete
        ``False`` when no source covered the whole range and the widest partial answer was served.
    stored
        ``True`` when the bars were written to the cache store by this call.
    """

    bars: pd.DataFrame
    source: str
    cached: bool
    attempts: list[Attempt] = field(default_factory=list)
    complete: bool = True
    stored: bool = False


# --------------------------------------------------------------------------------------------
# sources


@runtime_checkable
class BarSource(Protocol):
    """Anything that can fetch bars.

    ``fetch`` returns a bar frame (extra rows outside ``[start, end)`` are allowed and trimmed by
    the service), ``None`` or an empty frame when it has nothing, or raises
    :class:`SourceUnavailable` / :class:`SourceRefused` with a reason. Any other exception is
    recorded as an error and the next source is tried.
    """

    name: str

    def fetch(
        self, symbol: str, timeframe: Timeframe, start: datetime | None, end: datetime | None
    ) -> pd.DataFrame | None: ...


class StoreSource:
    """Bars from a :class:`~tronlab.data.store.BarStore`."""

    def __init__(self, store: BarStore, *, name: str = "store") -> None:
        self.store = store
        self.name = name

    def fetch(
        self, symbol: str, timeframe: Timeframe, start: datetime | None, end: datetime | None
    ) -> pd.DataFrame | None:
        try:
            return self.store.read(symbol, timeframe, start=start, end=end)
        except SeriesNotFound:
            return None

    def __repr__(self) -> str:
        return f"StoreSource({self.store!r}, name={self.name!r})"


_FILE_DATES = re.compile(r"_(\d{4}-\d{2}-\d{2})_(\d{4}-\d{2}-\d{2})$")


class CsvDirectorySource:
    """Bars from ``SYMBOL_TIMEFRAME_*.csv`` files in one directory (the shared-data format).

    Each matching file is parsed with :func:`~tronlab.data.importing.read_bar_csv`. A file with
    invalid rows (import errors; warnings such as price jumps do not count) or one that cannot be
    read at all is refused: the request is answered with :class:`SourceRefused` naming the file,
    the number of bad rows and the first few. With ``allow_issues`` the valid rows are used
    instead and unreadable files are skipped. Files whose ``FIRSTDATE_LASTDATE`` suffix lies
    outside the request are skipped without being read. Parsed files are memoised by path, size
    and modification time.
    """

    def __init__(
        self,
        directory: str | Path,
        *,
        allow_issues: bool = False,
        tz: str | None = None,
        calendar: CalendarLike | str | None = None,
        session: str = "regular",
        name: str = "csv",
    ) -> None:
        self.directory = Path(directory)
        self.allow_issues = allow_issues
        self.tz = tz
        self.last_calendar: str | None = None
        self.calendar = calendar
        self.session = session
        self.name = name
        self._parsed: dict[Path, tuple[tuple[int, int], ParsedCsv]] = {}

    def files(self, symbol: str, timeframe: Timeframe) -> list[Path]:
        """The files that may hold ``symbol`` at ``timeframe``, sorted by name."""
        pattern = f"{glob.escape(symbol)}_{timeframe.label}_*.csv"
        return sorted(p for p in self.directory.glob(pattern) if p.is_file())

    def fetch(
        self, symbol: str, timeframe: Timeframe, start: datetime | None, end: datetime | None
    ) -> pd.DataFrame | None:
        if not self.directory.is_dir():
            raise SourceUnavailable(f"directory {self.directory} does not exist")
        paths = [p for p in self.files(symbol, timeframe) if _file_overlaps(p, start, end)]
        if not paths:
            return None
        frames: list[pd.DataFrame] = []
        refused: list[str] = []
        calendars: set[str | None] = set()
        for path in paths:
            try:
                parsed = self._parse(path, timeframe)
            except CsvFormatError as exc:
                if not self.allow_issues:
                    refused.append(f"{path.name} cannot be read: {exc}")
                continue
            errors = parsed.errors
            if errors and not self.allow_issues:
                shown = "; ".join(f"line {i.line}: {i.code} ({i.message})" for i in errors[:3])
                more = "; ..." if len(errors) > 3 else ""
                refused.append(f"{path.name} has {len(errors)} invalid row(s): {shown}{more}")
                continue
            if len(parsed.bars):
                frames.append(parsed.bars)
                calendars.add(parsed.calendar)
        if refused:
            raise SourceRefused(
                " | ".join(refused) + " (set allow_issues=True to use the valid rows)"
            )
        if not frames:
            return None
        # The calendar the files were validated against, so a cached copy keeps it.
        self.last_calendar = calendars.pop() if len(calendars) == 1 else None
        merged = pd.concat([normalize_bars(f) for f in frames], ignore_index=True)
        merged = merged.drop_duplicates("timestamp", keep="last").sort_values("timestamp")
        return merged.reset_index(drop=True)

    def _parse(self, path: Path, timeframe: Timeframe) -> ParsedCsv:
        stat = path.stat()
        key = (stat.st_size, stat.st_mtime_ns)
        hit = self._parsed.get(path)
        if hit is not None and hit[0] == key:
            return hit[1]
        parsed = read_bar_csv(
            path, timeframe=timeframe, tz=self.tz, calendar=self.calendar, session=self.session
        )
        self._parsed[path] = (key, parsed)
        return parsed

    def __repr__(self) -> str:
        return f"CsvDirectorySource({str(self.directory)!r}, name={self.name!r})"


def _file_overlaps(path: Path, start: datetime | None, end: datetime | None) -> bool:
    """Whether a ``..._FIRST_LAST.csv`` file may hold bars in ``[start, end)``.

    File dates are local to the exchange; a day of slack either side absorbs the offset.
    """
    m = _FILE_DATES.search(path.stem)
    if not m:
        return True
    try:
        first, last = date.fromisoformat(m.group(1)), date.fromisoformat(m.group(2))
    except ValueError:
        return True
    if start is not None and last < start.date() - timedelta(days=1):
        return False
    return not (end is not None and first > end.date() + timedelta(days=1))


# --------------------------------------------------------------------------------------------
# registry

SourceFactory = Callable[..., BarSource]
_REGISTRY: dict[str, SourceFactory] = {}


def register_source(name: str, factory: SourceFactory, /, *, replace: bool = False) -> None:
    """Register a factory that builds a :class:`BarSource` from keyword settings.

    Raises ``ValueError`` when ``name`` is taken (unless ``replace``) or empty.
    """
    if not name or not name.strip():
        raise ValueError("source name must not be empty")
    if name in _REGISTRY and not replace:
        raise ValueError(f"bar source {name!r} is already registered")
    _REGISTRY[name] = factory


def available_sources() -> list[str]:
    """Names of the registered source factories, sorted."""
    return sorted(_REGISTRY)


def create_source(name: str, /, **settings: Any) -> BarSource:
    """Build a registered source; unknown names raise ``KeyError`` with a suggestion."""
    try:
        factory = _REGISTRY[name]
    except KeyError:
        close = difflib.get_close_matches(name, _REGISTRY, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise KeyError(
            f"unknown bar source {name!r}{hint} (registered: {', '.join(available_sources())})"
        ) from None
    return factory(**settings)


def _store_factory(root: str | Path, **kwargs: Any) -> BarSource:
    return StoreSource(BarStore(Path(root)), **kwargs)


register_source("store", _store_factory)
register_source("csv", CsvDirectorySource)


# --------------------------------------------------------------------------------------------
# the service


class ChartDataService:
    """Serve chart bars from the first source that covers a request, caching what it fetched.

    Parameters
    ----------
    sources
        Sources to try, in order, after the cache.
    cache
        Store consulted first (as source ``cache_name``) and written with bars fetched from any
        source that is not a :class:`StoreSource`. ``None`` disables caching.
    slack
        Tolerance of the coverage check at each end of the range and for holes inside it
        (weekends, holidays).
    cache_name
        Name the cache store goes by in :attr:`ChartBars.source` and the attempts.
    calendar
        Calendar name recorded with series written to the cache (``"NSE"``, ...).
    """

    def __init__(
        self,
        sources: Sequence[BarSource],
        cache: BarStore | None = None,
        *,
        slack: timedelta = DEFAULT_SLACK,
        cache_name: str = "cache",
        calendar: str | None = None,
    ) -> None:
        self.sources = list(sources)
        self.cache = cache
        self.slack = slack
        self.calendar = calendar
        self._cache_source = StoreSource(cache, name=cache_name) if cache is not None else None

    def get_bars(
        self,
        symbol: str,
        timeframe: str | Timeframe,
        start: datetime | None = None,
        end: datetime | None = None,
    ) -> ChartBars:
        """Bars of ``symbol`` with ``start <= timestamp < end`` (either bound may be ``None``).

        Raises :class:`NoDataError` when no source returns any bar in the range, ``ValueError``
        for naive datetimes or ``start >= end``.
        """
        tf = Timeframe.parse(timeframe)
        start_ts, end_ts = _bound(start, "start"), _bound(end, "end")
        if start_ts is not None and end_ts is not None and start_ts >= end_ts:
            raise ValueError(f"start {start_ts} must be before end {end_ts}")
        chain: list[BarSource] = []
        if self._cache_source is not None:
            chain.append(self._cache_source)
        chain.extend(self.sources)

        attempts: list[Attempt] = []
        best: tuple[BarSource, pd.DataFrame, int] | None = None
        for source in chain:
            name = getattr(source, "name", type(source).__name__)
            try:
                raw = source.fetch(
                    symbol,
                    tf,
                    start_ts.to_pydatetime() if start_ts is not None else None,
                    end_ts.to_pydatetime() if end_ts is not None else None,
                )
                bars = _trim(raw, start_ts, end_ts)
            except SourceUnavailable as exc:
                attempts.append(Attempt(name, f"{exc.outcome}: {exc}"))
                continue
            except Exception as exc:  # a misbehaving source must not break the chart
                attempts.append(Attempt(name, f"error: {type(exc).__name__}: {exc}"))
                continue
            if bars is None or bars.empty:
                attempts.append(Attempt(name, "no_data: no bars in range"))
                continue
            gap = self._missing(bars, tf, start_ts, end_ts)
            if gap is None:
                attempts.append(Attempt(name, f"served: {len(bars)} bars"))
                return self._serve(symbol, tf, source, name, bars, attempts, complete=True)
            attempts.append(Attempt(name, f"not_covering: {gap}"))
            span = int(bars["timestamp"].iloc[-1].value - bars["timestamp"].iloc[0].value)
            if best is None or span > best[2]:
                best = (source, bars, span)

        if best is None:
            raise NoDataError(
                symbol,
                tf,
                start_ts.to_pydatetime() if start_ts is not None else None,
                end_ts.to_pydatetime() if end_ts is not None else None,
                attempts,
            )
        source, bars, _ = best
        name = getattr(source, "name", type(source).__name__)
        attempts.append(Attempt(name, f"partial: served {len(bars)} bars, the widest answer"))
        return self._serve(symbol, tf, source, name, bars, attempts, complete=False)

    def _serve(
        self,
        symbol: str,
        tf: Timeframe,
        source: BarSource,
        name: str,
        bars: pd.DataFrame,
        attempts: list[Attempt],
        *,
        complete: bool,
    ) -> ChartBars:
        from_cache = source is self._cache_source
        stored = False
        if self.cache is not None and not isinstance(source, StoreSource):
            try:
                calendar = self.calendar or getattr(source, "last_calendar", None)
                self.cache.write(symbol, tf, bars, calendar=calendar, source=name)
                stored = True
            except Exception as exc:  # the chart is still good; say why the cache is not
                attempts.append(Attempt(self._cache_name, f"error: cache write failed: {exc}"))
        return ChartBars(
            bars=bars,
            source=name,
            cached=from_cache,
            attempts=attempts,
            complete=complete,
            stored=stored,
        )

    @property
    def _cache_name(self) -> str:
        return self._cache_source.name if self._cache_source is not None else "cache"

    def _missing(
        self,
        bars: pd.DataFrame,
        tf: Timeframe,
        start: pd.Timestamp | None,
        end: pd.Timestamp | None,
    ) -> str | None:
        """Why ``bars`` do not cover ``[start, end)``, or ``None`` when they do."""
        first = bars["timestamp"].iloc[0]
        last_end = bars["timestamp"].iloc[-1] + tf.delta
        problems = []
        if start is not None and first - start > self.slack:
            problems.append(f"first bar {_fmt(first)} is later than start {_fmt(start)}")
        if end is not None and end - last_end > self.slack:
            problems.append(f"last bar ends {_fmt(last_end)}, before end {_fmt(end)}")
        if len(bars) > 1:
            # A hole inside the range (say, two cached windows with a month between them).
            steps = bars["timestamp"].diff().iloc[1:]
            widest = int(steps.to_numpy().argmax()) + 1
            if steps.iloc[widest - 1] - tf.delta > self.slack:
                problems.append(
                    f"no bars between {_fmt(bars['timestamp'].iloc[widest - 1])} "
                    f"and {_fmt(bars['timestamp'].iloc[widest])}"
                )
        return "; ".join(problems) or None


def _bound(value: datetime | pd.Timestamp | None, what: str) -> pd.Timestamp | None:
    if value is None:
        return None
    ts = pd.Timestamp(value)
    if ts.tzinfo is None:
        raise ValueError(f"{what} must be timezone-aware, got {value!r}")
    return ts.tz_convert("UTC")


def _trim(
    raw: pd.DataFrame | None, start: pd.Timestamp | None, end: pd.Timestamp | None
) -> pd.DataFrame | None:
    if raw is None:
        return None
    if raw.empty:
        return empty_bars()
    bars = normalize_bars(raw)
    if not bars["timestamp"].is_monotonic_increasing:
        bars = bars.sort_values("timestamp", kind="stable").reset_index(drop=True)
    mask = pd.Series(True, index=bars.index)
    if start is not None:
        mask &= bars["timestamp"] >= start
    if end is not None:
        mask &= bars["timestamp"] < end
    return bars.loc[mask].reset_index(drop=True)


def _fmt(value: datetime | pd.Timestamp | None) -> str:
    if value is None:
        return "open"
    return pd.Timestamp(value).isoformat()
