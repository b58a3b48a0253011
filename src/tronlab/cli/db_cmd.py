"""``tronlab db upgrade|current|downgrade|history``: database migrations."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Annotated, Any, TypeVar

import typer
from rich.table import Table

from tronlab.cli.common import console, fail, print_json, state
from tronlab.config import mask_url

app = typer.Typer(
    help="Create and migrate the database (SQLite or PostgreSQL) with Alembic.",
    no_args_is_help=True,
)

T = TypeVar("T")
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON.")]


@contextmanager
def _database_errors(masked: str) -> Iterator[None]:
    """Turn driver and Alembic errors into one-line messages (exit 1, or 2 for bad input)."""
    from alembic.util.exc import CommandError
    from sqlalchemy.exc import SQLAlchemyError

    try:
        yield
    except CommandError as exc:
        fail(str(exc), code=2)
    except SQLAlchemyError as exc:
        detail = str(getattr(exc, "orig", None) or exc).strip().splitlines()
        fail(f"database {masked}: {detail[0] if detail else type(exc).__name__}")


def _with_db(ctx: typer.Context, action: Callable[[str], T]) -> tuple[str, T]:
    url = state(ctx).settings.database_url
    masked = mask_url(url)
    with _database_errors(masked):
        return masked, action(url)


@app.command("upgrade")
def upgrade(
    ctx: typer.Context,
    revision: Annotated[str, typer.Argument(help="Target revision.")] = "head",
    json_out: JsonOption = False,
) -> None:
    """Migrate the database up to REVISION (default: the latest)."""
    from tronlab.storage import migrate

    def run(url: str) -> tuple[str | None, str | None]:
        before = migrate.current(url)
        migrate.upgrade(url, revision)
        return before, migrate.current(url)

    masked, (before, after) = _with_db(ctx, run)
    if json_out:
        print_json({"url": masked, "from": before, "to": after})
        return
    if before == after:
        console.print(f"{masked}: already at {after or 'base'}", highlight=False)
    else:
        console.print(
            f"[green]upgraded[/] {masked}: {before or 'base'} -> {after or 'base'}",
            highlight=False,
        )


@app.command("downgrade")
def downgrade(
    ctx: typer.Context,
    revision: Annotated[
        str, typer.Argument(help="Target revision, '-1' for one step, 'base' to drop everything.")
    ],
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
    json_out: JsonOption = False,
) -> None:
    """Migrate the database down to REVISION; 'base' drops every table (asks first)."""
    from tronlab.storage import migrate

    url = state(ctx).settings.database_url
    masked = mask_url(url)
    if revision == "base" and not yes:
        typer.confirm(f"Drop every tronlab table in {masked}? All data will be lost", abort=True)

    def run(url: str) -> tuple[str | None, str | None]:
        before = migrate.current(url)
        migrate.downgrade(url, revision)
        return before, migrate.current(url)

    masked, (before, after) = _with_db(ctx, run)
    if json_out:
        print_json({"url": masked, "from": before, "to": after})
        return
    console.print(
        f"[yellow]downgraded[/] {masked}: {before or 'base'} -> {after or 'base'}",
        highlight=False,
    )


@app.command("current")
def current(ctx: typer.Context, json_out: JsonOption = False) -> None:
    """Show the database's revision and whether migrations are pending."""
    from tronlab.storage import migrate

    masked, rev = _with_db(ctx, migrate.current)
    heads = migrate.heads()
    data: dict[str, Any] = {
        "url": masked,
        "current": rev,
        "heads": heads,
        "up_to_date": rev in heads,
    }
    if json_out:
        print_json(data)
        return
    table = Table(title="tronlab database")
    table.add_column("database", style="cyan")
    table.add_column("current")
    table.add_column("head")
    table.add_column("state")
    status = "[green]up to date[/]" if data["up_to_date"] else "[yellow]upgrade needed[/]"
    table.add_row(masked, rev or "base (empty)", ", ".join(heads), status)
    console.print(table)


@app.command("history")
def history(ctx: typer.Context, json_out: JsonOption = False) -> None:
    """List the migrations, newest first, marking the one the database is at."""
    from tronlab.storage import migrate

    masked, rev = _with_db(ctx, migrate.current)
    revisions = migrate.history()
    if json_out:
        print_json(
            {
                "url": masked,
                "current": rev,
                "revisions": [
                    {
                        "revision": r.revision,
                        "down_revision": r.down_revision,
                        "message": r.message,
                        "is_head": r.is_head,
                        "is_current": r.revision == rev,
                    }
                    for r in revisions
                ],
            }
        )
        return
    table = Table(title=f"migrations ({masked})")
    table.add_column("revision", style="cyan")
    table.add_column("down")
    table.add_column("message")
    table.add_column("")
    for r in revisions:
        marks = [m for m, on in (("head", r.is_head), ("current", r.revision == rev)) if on]
        table.add_row(r.revision, r.down_revision or "base", r.message, ", ".join(marks))
    console.print(table)
