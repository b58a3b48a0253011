"""Entry point: ``tronlab [--home DIR] [--config FILE] COMMAND ...``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

import tronlab.cli.ab_cmd as ab_cmd
import tronlab.cli.features_cmd as features_cmd
import tronlab.cli.options_cmd as options_cmd
import tronlab.cli.plan_cmd as plan_cmd
import tronlab.cli.report_cmd as report_cmd
import tronlab.cli.strategy_cmd as strategy_cmd
from tronlab import __version__
from tronlab.cli import backtest_cmd, config_cmd, data_cmd, db_cmd, demo_cmd, paper_cmd, risk_cmd
from tronlab.cli.common import AppState

app = typer.Typer(
    name="tronlab",
    help="Self-hosted AI trading platform: market data, backtests, paper and live trading.",
    no_args_is_help=True,
    rich_markup_mode="rich",
    pretty_exceptions_show_locals=False,
)
app.add_typer(config_cmd.app, name="config")
app.add_typer(data_cmd.app, name="data")
app.add_typer(db_cmd.app, name="db")
app.add_typer(backtest_cmd.runs_app, name="runs")
app.add_typer(risk_cmd.app, name="risk")
app.add_typer(features_cmd.app, name="features")
app.add_typer(options_cmd.app, name="options")
app.command("demo")(demo_cmd.demo)
app.command("backtest")(backtest_cmd.backtest)
app.command("strategies")(backtest_cmd.strategies)
app.add_typer(strategy_cmd.app, name="strategy")
app.command("plan")(plan_cmd.plan)
app.command("paper")(paper_cmd.paper)
app.command("report")(report_cmd.report)
app.command("ab")(ab_cmd.ab)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"tronlab {__version__}")
        raise typer.Exit()


@app.callback()
def main_callback(
    ctx: typer.Context,
    home: Annotated[
        Path | None,
        typer.Option(
            "--home", envvar="TRONLAB_HOME", help="Home directory (database, bars, reports, logs)."
        ),
    ] = None,
    config: Annotated[
        Path | None,
        typer.Option("--config", "-c", envvar="TRONLAB_CONFIG", help="YAML config file."),
    ] = None,
    log_level: Annotated[
        str | None, typer.Option("--log-level", help="DEBUG, INFO, WARNING or ERROR.")
    ] = None,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show version.")
    ] = False,
) -> None:
    """tronlab: research, backtest, paper and live trading with one engine."""
    ctx.obj = AppState(home=home, config=config, log_level=log_level)


def main() -> None:
    app()
