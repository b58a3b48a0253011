"""``tronlab config show|validate``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from tronlab.cli.common import console, err_console, print_json, state
from tronlab.config import ConfigError, load_settings, masked_dict

app = typer.Typer(help="Show and validate configuration.", no_args_is_help=True)


def _flatten(data: dict[str, Any], prefix: str = "") -> list[tuple[str, Any]]:
    rows: list[tuple[str, Any]] = []
    for key, value in data.items():
        if isinstance(value, dict):
            rows.extend(_flatten(value, f"{prefix}{key}."))
        else:
            rows.append((f"{prefix}{key}", value))
    return rows


@app.command("show")
def show(
    ctx: typer.Context,
    json_out: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Print the effective configuration (secrets masked) and where each value came from."""
    loaded = state(ctx).loaded()
    data = masked_dict(loaded.settings)
    if json_out:
        print_json(
            {
                "settings": data,
                "config_file": str(loaded.config_file) if loaded.config_file else None,
                "secrets_file": str(loaded.secrets_file) if loaded.secrets_file else None,
                "sources": loaded.sources,
                "warnings": [str(w) for w in loaded.warnings],
            }
        )
        return
    table = Table(title=f"tronlab configuration ({loaded.settings.env.value})")
    table.add_column("key", style="cyan")
    table.add_column("value")
    table.add_column("source", style="dim")
    for key, value in _flatten(data):
        shown = "—" if value is None else ", ".join(value) if isinstance(value, list) else value
        table.add_row(key, str(shown), loaded.sources.get(key, "default"))
    console.print(table)
    console.print(f"config file: {loaded.config_file or 'none'}", highlight=False)


@app.command("validate")
def validate(
    ctx: typer.Context,
    file: Annotated[
        Path | None, typer.Argument(help="Config file (default: the one in use).")
    ] = None,
    json_out: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Check a config file: errors (exit 2) are separated from warnings (exit 0)."""
    st = state(ctx)
    errors: list[str] = []
    warnings: list[str] = []
    try:
        loaded = load_settings(file or st.config, home=st.home)
        warnings = [str(w) for w in loaded.warnings]
    except ConfigError as exc:
        errors = [str(e) for e in exc.errors]
        warnings = [str(w) for w in exc.warnings]
    if json_out:
        print_json({"valid": not errors, "errors": errors, "warnings": warnings})
    else:
        for line in errors:
            err_console.print(f"[bold red]error[/] {line}", highlight=False)
        for line in warnings:
            err_console.print(f"[yellow]warning[/] {line}", highlight=False)
        if not errors:
            console.print(
                f"[green]configuration is valid[/] ({len(warnings)} warning(s))", highlight=False
            )
    if errors:
        raise typer.Exit(2)
