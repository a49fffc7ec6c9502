"""The `expansion` command: thin wiring from options to the pipeline stages.

Stage modules are imported inside each command so that `expansion --help`
stays fast and one stage's heavy imports do not slow the others.
"""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.logging import RichHandler

from expansion_propensity import paths
from expansion_propensity.config import load_config
from expansion_propensity.errors import ExpansionError

app = typer.Typer(
    help="Expansion propensity for SaaS accounts: validate an export, build point-in-time "
    "features, train, score and compare models.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
console = Console(stderr=True)

DataOption = Annotated[
    Path | None,
    typer.Option(
        "--data",
        help="Folder of the export to read. Default: data/raw/demo (the generated demo export).",
        file_okay=False,
    ),
]
MappingOption = Annotated[
    Path | None,
    typer.Option(
        "--mapping",
        help="YAML mapping of a foreign export onto the data contract. Default: none, the "
        "export already uses the contract's file and column names.",
        dir_okay=False,
    ),
]
ConfigOption = Annotated[
    Path | None,
    typer.Option(
        "--config",
        help="YAML run config over the built-in defaults (see docs/configuration.md). "
        "Default: the built-in defaults.",
        dir_okay=False,
    ),
]
VerboseOption = Annotated[
    bool, typer.Option("--verbose", "-v", help="Log debug messages. Default: info level.")
]


def _setup(verbose: bool) -> None:
    os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
    # Rich falls back to 80 columns when output is piped or logged, which wraps
    # the score tables into unreadable cells; rich reads COLUMNS before that.
    if not sys.stderr.isatty():
        os.environ.setdefault("COLUMNS", "140")
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(message)s",
        datefmt="[%X]",
        handlers=[RichHandler(console=console, show_path=False, rich_tracebacks=True)],
        force=True,
    )
    # Third-party libraries are noisy at info level; keep their warnings.
    for name in ("mlflow", "alembic", "urllib3", "matplotlib", "shap", "numba"):
        logging.getLogger(name).setLevel(logging.WARNING)


def _run(action) -> None:
    """Run a stage, turning user-facing errors into a red message and exit code 1."""
    try:
        action()
    except ExpansionError as err:
        console.print(f"[bold red]error:[/] {err}", highlight=False)
        raise typer.Exit(code=1) from err


def _data_or_demo(data: Path | None) -> Path:
    return data if data is not None else paths.demo_dir()


@app.command()
def generate(
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            help="Folder to write the export to. The true probabilities go outside it: to "
            "data/interim/demo_truth for the default folder, else to <out>_truth. "
            "Default: data/raw/demo.",
        ),
    ] = None,
    accounts: Annotated[int, typer.Option("--accounts", min=10, help="Number of accounts.")] = 5000,
    months: Annotated[int, typer.Option("--months", min=12, help="Months of history.")] = 36,
    seed: Annotated[
        int, typer.Option("--seed", help="Random seed; the same seed gives identical files.")
    ] = 42,
    verbose: VerboseOption = False,
) -> None:
    """Generate the synthetic demo export, with its true probabilities kept aside."""
    _setup(verbose)
    from expansion_propensity.synthetic import run_generate

    _run(lambda: run_generate(out or paths.demo_dir(), accounts, months, seed))


@app.command()
def validate(
    data: DataOption = None,
    mapping: MappingOption = None,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            help="Folder for validation_report.json and rejects.csv. Default: data/interim.",
        ),
    ] = None,
    verbose: VerboseOption = False,
) -> None:
    """Validate an export against the data contract and write a report and rejects file."""
    _setup(verbose)
    from expansion_propensity.ingest import run_validate

    _run(lambda: run_validate(_data_or_demo(data), mapping, out or paths.interim_dir()))


@app.command()
def features(
    data: DataOption = None,
    mapping: MappingOption = None,
    config: ConfigOption = None,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out", help="Parquet file to write. Default: data/processed/snapshots.parquet."
        ),
    ] = None,
    verbose: VerboseOption = False,
) -> None:
    """Build point-in-time snapshots with features, labels and splits."""
    _setup(verbose)
    from expansion_propensity.features import run_features

    def action() -> None:
        cfg = load_config(config)
        target = out or paths.processed_dir() / "snapshots.parquet"
        run_features(_data_or_demo(data), mapping, cfg, target)

    _run(action)


@app.command()
def train(
    data: DataOption = None,
    mapping: MappingOption = None,
    config: ConfigOption = None,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            help="Folder the champion model is exported to. Default: models/champion.",
        ),
    ] = None,
    tune: Annotated[
        bool,
        typer.Option("--tune", help="Tune LightGBM with Optuna before training. Default: off."),
    ] = False,
    verbose: VerboseOption = False,
) -> None:
    """Validate, build features, train the baseline, LightGBM and potential models, and register."""
    _setup(verbose)
    from expansion_propensity.modeling import run_train

    def action() -> None:
        cfg = load_config(config)
        run_train(_data_or_demo(data), mapping, cfg, out or paths.champion_dir(), tune=tune)

    _run(action)


@app.command()
def score(
    data: DataOption = None,
    mapping: MappingOption = None,
    config: ConfigOption = None,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out", help="Folder for the scores; a subfolder per as-of date. Default: data/scores."
        ),
    ] = None,
    as_of: Annotated[
        str | None,
        typer.Option(
            "--as-of",
            help="Score date, YYYY-MM-DD. Default: the export's latest event date.",
        ),
    ] = None,
    model: Annotated[
        str | None,
        typer.Option(
            "--model",
            help="MLflow model URI or folder to score with. Default: the registry's champion "
            "when it was trained on this export, else the newest version trained on it, else "
            "models/champion.",
        ),
    ] = None,
    verbose: VerboseOption = False,
) -> None:
    """Score every active account with the champion: propensity, drivers, tier and play."""
    _setup(verbose)
    from expansion_propensity.scoring import run_score

    def action() -> None:
        cfg = load_config(config)
        run_score(
            _data_or_demo(data), mapping, cfg, out or paths.scores_dir(), as_of=as_of, model=model
        )

    _run(action)


@app.command()
def compare(
    config: ConfigOption = None,
    metric: Annotated[
        str | None,
        typer.Option("--metric", help="Metric to sort by. Default: the config's champion metric."),
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option("--out", help="Also write the table to this CSV file. Default: none."),
    ] = None,
    source: Annotated[
        str | None,
        typer.Option(
            "--source",
            help="Only runs trained on this export: its mapping's name, else its folder's name "
            "(for example demo). Default: all runs.",
        ),
    ] = None,
    verbose: VerboseOption = False,
) -> None:
    """Print the experiment's runs side by side, sorted by a metric."""
    _setup(verbose)
    from expansion_propensity.tracking import run_compare

    def action() -> None:
        cfg = load_config(config)
        run_compare(cfg, metric=metric, out=out, source=source)

    _run(action)


if __name__ == "__main__":
    app()
