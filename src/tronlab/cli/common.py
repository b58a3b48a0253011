"""What every command shares: global options, settings, logging, console output."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NoReturn

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from tronlab.config import ConfigError, LoadedSettings, Settings, load_settings
from tronlab.observability import configure_logging

console = Console()
err_console = Console(stderr=True)


@dataclass
class AppState:
    """Global options of one invocation; settings load lazily so ``config validate`` can report."""

    home: Path | None = None
    config: Path | None = None
    log_level: str | None = None
    _loaded: LoadedSettings | None = field(default=None, repr=False)
    run_id: str | None = None

    def loaded(self) -> LoadedSettings:
        if self._loaded is None:
            try:
                loaded = load_settings(self.config, home=self.home)
            except ConfigError as exc:
                fail(str(exc), code=2)
            if self.log_level:
                new_logging = loaded.settings.logging.model_copy(update={"level": self.log_level})
                settings = loaded.settings.model_copy(update={"logging": new_logging})
                loaded = LoadedSettings(
                    settings,
                    loaded.warnings,
                    loaded.config_file,
                    loaded.secrets_file,
                    loaded.sources,
                )
            for warning in loaded.warnings:
                err_console.print(f"[yellow]config warning[/] {warning}")
            self._loaded = loaded
            # Commands talk to the user through rich; log lines reach the terminal only from
            # WARNING up unless --log-level asks for more. The JSON log file gets everything.
            self.run_id = configure_logging(
                loaded.settings, console_level=self.log_level or "WARNING"
            )
        return self._loaded

    @property
    def settings(self) -> Settings:
        return self.loaded().settings


def state(ctx: typer.Context) -> AppState:
    root = ctx.find_root()
    if root.obj is None:
        root.obj = AppState()
    obj: AppState = root.obj
    return obj


def print_json(data: Any) -> None:
    """Machine-readable output on stdout (no colour, no wrapping)."""
    sys.stdout.write(json.dumps(data, indent=2, default=str, ensure_ascii=False) + "\n")


@contextmanager
def counted_progress(
    label: str, unit: str, *, disable: bool
) -> Iterator[Callable[[int, int], None]]:
    """A transient "label [bar] done/total unit elapsed" progress bar; yields the
    ``progress(done, total)`` callback long jobs take (hidden with ``disable``, e.g. --json)."""
    with Progress(
        TextColumn(f"[bold]{label}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn(unit),
        TimeElapsedColumn(),
        console=console,
        transient=True,
        disable=disable,
    ) as bar:
        task = bar.add_task(label, total=None)

        def progress(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        yield progress


def fail(message: str, code: int = 1) -> NoReturn:
    err_console.print(f"[bold red]error:[/] {message}", highlight=False)
    raise typer.Exit(code)
