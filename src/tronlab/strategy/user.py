"""User strategies: ``*.py`` files in a directory, imported so their strategies register.

Every file of the directory (``settings.paths.strategies``, default ``<home>/strategies``)
whose name does not start with ``_`` is imported as its own module; each
:class:`~tronlab.strategy.Strategy` subclass defined there with a ``name`` is registered, so
``tronlab backtest -s NAME`` and ``tronlab strategy list`` find it. A file that fails to
import is reported with its error; the others still load. Loading a file twice (same path,
unchanged) reuses the first import.

:func:`describe_strategy` is the one description of a strategy class the CLI prints
(``tronlab strategy list``, ``tronlab strategies``).
"""

from __future__ import annotations

import hashlib
import importlib.util
import inspect
import keyword
import re
import sys
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

from tronlab.strategy.base import Strategy
from tronlab.strategy.params import declared_params
from tronlab.strategy.registry import available_strategies, register

_MODULE_PREFIX = "tronlab_user_strategy"
_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
_loaded: dict[Path, tuple[int, list[type[Strategy]]]] = {}  # path -> (mtime_ns, classes)


class UserStrategyError(Exception):
    """A user strategy file that cannot be used; the message says why (and where)."""


@dataclass
class LoadReport:
    """What loading a directory found."""

    directory: Path
    strategies: list[type[Strategy]] = field(default_factory=list)
    errors: dict[str, str] = field(default_factory=dict)  # file -> message


def load_strategy_file(path: str | Path) -> list[type[Strategy]]:
    """Import one file and register the strategies it defines (in definition order).

    Raises :class:`UserStrategyError` when the file is missing, fails to import, defines no
    strategy, or uses a name another strategy already has."""
    p = Path(path).expanduser().resolve()
    if not p.is_file():
        raise UserStrategyError(f"{path}: no such file")
    if p.suffix != ".py":
        raise UserStrategyError(f"{path}: a strategy file is a .py file")
    mtime = p.stat().st_mtime_ns
    known = _loaded.get(p)
    if known is not None and known[0] == mtime:
        return list(known[1])
    module = _import(p)
    classes = [  # a module's namespace keeps definition order
        obj
        for obj in vars(module).values()
        if isinstance(obj, type)
        and issubclass(obj, Strategy)
        and obj.__module__ == module.__name__
        and obj.name
    ]
    if not classes:
        raise UserStrategyError(
            f"{p}: defines no Strategy subclass with a 'name' (see `tronlab strategy new`)"
        )
    for cls in classes:
        try:
            register(cls)
        except ValueError as exc:  # the name is taken (a built-in or another file)
            raise UserStrategyError(f"{p}: {exc}") from None
    _loaded[p] = (mtime, classes)
    return list(classes)


def _import(path: Path) -> ModuleType:
    digest = hashlib.sha256(str(path).encode()).hexdigest()[:10]
    stem = re.sub(r"\W", "_", path.stem)
    module_name = f"{_MODULE_PREFIX}_{stem}_{digest}"
    spec = importlib.util.spec_from_file_location(module_name, path)
    if spec is None or spec.loader is None:
        raise UserStrategyError(f"{path}: cannot be imported as a Python module")
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    try:
        spec.loader.exec_module(module)
    except Exception as exc:
        del sys.modules[module_name]
        where = _user_frame(exc, path)
        raise UserStrategyError(
            f"{path}{where}: cannot import: {type(exc).__name__}: {exc}"
        ) from exc
    return module


def _user_frame(exc: BaseException, path: Path) -> str:
    """``:LINE`` of the deepest frame in the user's file, if any."""
    if isinstance(exc, SyntaxError) and exc.lineno:
        return f":{exc.lineno}"
    line = ""
    for frame in traceback.extract_tb(exc.__traceback__):
        if Path(frame.filename) == path:
            line = f":{frame.lineno}"
    return line


def load_user_strategies(directory: str | Path | None) -> LoadReport:
    """Import every ``*.py`` file of ``directory`` (sorted by name; ``_*.py`` skipped)."""
    d = Path(directory).expanduser() if directory else Path()
    report = LoadReport(d)
    if not directory or not d.is_dir():
        return report
    for path in sorted(d.glob("*.py")):
        if path.name.startswith("_"):
            continue
        try:
            report.strategies.extend(load_strategy_file(path))
        except UserStrategyError as exc:
            report.errors[str(path)] = str(exc)
    return report


def strategy_source(cls: type[Strategy]) -> tuple[str, str | None]:
    """``("builtin", None)`` or ``("user", file)``."""
    module = sys.modules.get(cls.__module__)
    if cls.__module__.startswith("tronlab."):
        return "builtin", None
    return "user", getattr(module, "__file__", None)


def describe_strategy(cls: type[Strategy]) -> dict[str, Any]:
    """Name, source, first line of the docstring and every parameter (type, default, range)."""
    source, path = strategy_source(cls)
    doc = (inspect.getdoc(cls) or "").strip().splitlines()
    return {
        "name": cls.name,
        "source": source,
        "path": path,
        "doc": doc[0] if doc else "",
        "params": {
            name: {
                "type": p.type.__name__,
                "default": p.default,
                "low": p.low,
                "high": p.high,
                "choices": list(p.choices) if p.choices is not None else None,
                "doc": p.doc,
            }
            for name, p in declared_params(cls).items()
        },
    }


def catalogue() -> list[dict[str, Any]]:
    """:func:`describe_strategy` of every registered strategy, by name."""
    return [describe_strategy(cls) for cls in available_strategies().values()]


def check_new_name(name: str) -> str:
    """A valid name for a new strategy, or :class:`UserStrategyError` saying why not."""
    if not _NAME.match(name) or keyword.iskeyword(name):
        raise UserStrategyError(
            f"{name!r} is not a valid strategy name: lower-case letters, digits and '_', "
            "starting with a letter"
        )
    if name in available_strategies():
        raise UserStrategyError(f"a strategy called {name!r} already exists")
    return name


def class_name(name: str) -> str:
    """``my_breakout`` -> ``MyBreakout``."""
    return "".join(part.capitalize() for part in name.split("_") if part)


TEMPLATE = '''"""``{name}``: the idea in one line here (``tronlab strategy list`` shows it).

Rules (write them down precisely; they are what a backtest checks):

* long when the close crosses above its ``length``-bar SMA and no position is held;
* flat again when the close crosses back below it.

Try it: ``tronlab strategy check {path}``, then
``tronlab backtest -s {name} --symbol SYNTH_NIFTY -p length=30``.
"""

from __future__ import annotations

from tronlab.features import SMA
from tronlab.strategy import Bar, Context, Param, ParamError, Strategy


class {cls}(Strategy):
    """Close versus its SMA, long only (a template: replace the rules with yours)."""

    name = "{name}"  # how backtests and the plan table refer to it
    length = Param(int, 20, low=2, high=500, doc="SMA length in bars")
    quantity = Param(int, 1, low=1, high=1_000_000, doc="units per entry")

    def validate(self) -> None:
        """Check relations between parameters (each one's range is checked already)."""
        if self.length < 5 and self.quantity > 1:
            raise ParamError("{name}: a very short SMA whipsaws; trade 1 unit while testing")

    def on_start(self, ctx: Context) -> None:
        """Register indicators: the engine updates them with every closed bar."""
        self.sma = {{s: ctx.indicator(s, SMA(self.length)) for s in ctx.symbols}}
        self.above: dict[str, bool] = {{}}

    def on_bar(self, ctx: Context, bar: Bar) -> None:
        """Called with each closed bar; decide here. Orders fill on a later bar."""
        sma = self.sma.get(bar.symbol)
        if sma is None or not sma.ready:
            return
        above = bar.close > sma.value
        before = self.above.get(bar.symbol)
        self.above[bar.symbol] = above
        if before is None or above == before:
            return  # no cross on this bar
        held = ctx.quantity(bar.symbol)
        if above and held == 0:
            ctx.buy(
                bar.symbol,
                self.quantity,
                rationale=f"close {{bar.close}} crossed above SMA{{self.length}} {{sma.value:.2f}}",
                confidence=0.6,
            )
        elif not above and held > 0:
            ctx.close(bar.symbol, rationale="close crossed below the SMA", confidence=0.6)
'''


def render_template(name: str, path: str | Path) -> str:
    """The documented template of a new strategy called ``name`` (to be written at ``path``)."""
    return TEMPLATE.format(name=name, cls=class_name(name), path=path)
