"""MLflow setup (tracking URI, experiment, run tags) and the `expansion compare` table.

The default tracking store is ``sqlite:///<project root>/mlflow.db`` with
artifacts under ``<project root>/mlruns``; ``MLFLOW_TRACKING_URI`` overrides
the store. Nothing here runs at import time.
"""

from __future__ import annotations

import logging
import math
import os
import subprocess
from pathlib import Path

import pandas as pd
from rich import box
from rich.console import Console
from rich.table import Table

from expansion_propensity import paths
from expansion_propensity.config import Config
from expansion_propensity.errors import InputError

logger = logging.getLogger(__name__)

# Metrics where a lower value is better. Every other metric sorts descending.
LOWER_IS_BETTER = {"brier", "log_loss", "ece", "potential_mae", "potential_median_ape"}
COMPARE_METRICS = [
    "roc_auc",
    "pr_auc",
    "brier",
    "log_loss",
    "ece",
    "lift_top10",
    "precision_top10",
    "recall_top20",
    "auc_gap_to_oracle",
    "potential_mae",
    "potential_median_ape",
]


def default_tracking_uri() -> str:
    return f"sqlite:///{paths.project_root() / 'mlflow.db'}"


def tracking_uri() -> str:
    """Return $MLFLOW_TRACKING_URI when set, else the project's sqlite store."""
    return os.environ.get("MLFLOW_TRACKING_URI") or default_tracking_uri()


def configure_tracking() -> str:
    """Point MLflow at the tracking URI, with telemetry off; return the URI."""
    import mlflow

    os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
    uri = tracking_uri()
    mlflow.set_tracking_uri(uri)
    mlflow.set_registry_uri(uri)
    return uri


def data_source_key(data_dir: Path | str, mapping: Path | str | None = None) -> str:
    """Return a stable name for an export's source: the mapping's name, else the folder's.

    Model versions are tagged with it, so that scoring an export never picks a
    champion that was trained on a different source (the demo, say).
    """
    if mapping is not None:
        return Path(str(mapping)).stem
    return Path(data_dir).resolve().name


def ensure_experiment(config: Config) -> str:
    """Create the config's experiment (artifacts under <project root>/mlruns) if needed.

    Returns the experiment id and makes it the active experiment.
    """
    import mlflow

    configure_tracking()
    name = config.tracking.experiment
    experiment = mlflow.get_experiment_by_name(name)
    if experiment is None:
        artifacts = paths.project_root() / "mlruns"
        artifacts.mkdir(parents=True, exist_ok=True)
        experiment_id = mlflow.create_experiment(name, artifact_location=artifacts.as_uri())
    else:
        experiment_id = experiment.experiment_id
    mlflow.set_experiment(experiment_id=experiment_id)
    return experiment_id


def git_commit(root: Path | None = None) -> str:
    """Return the current git commit of the project, or "unknown" outside a git checkout."""
    try:
        result = subprocess.run(
            ["git", "rev-parse", "HEAD"],
            cwd=root or paths.project_root(),
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        )
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return result.stdout.strip() or "unknown"


def runs_table(
    config: Config, metric: str | None = None, source: str | None = None
) -> pd.DataFrame:
    """Return the experiment's top-level runs, one row each, sorted best first by ``metric``.

    With ``source``, only runs trained on that export (see ``data_source_key``).
    The ``champion`` column marks the run of the registry's champion version.
    """
    import mlflow

    configure_tracking()
    metric = metric or config.tracking.champion_metric
    experiment = mlflow.get_experiment_by_name(config.tracking.experiment)
    if experiment is None:
        raise InputError(
            f"experiment {config.tracking.experiment!r} not found at {tracking_uri()}; run "
            "`make train` first, and run commands from the project folder (or set "
            "MLFLOW_TRACKING_URI to the store `make train` used)"
        )

    runs = mlflow.search_runs(experiment_ids=[experiment.experiment_id])
    # Tuning searches and their trials are not trained models, so compare leaves them out.
    if "tags.mlflow.parentRunId" in runs.columns:
        runs = runs[runs["tags.mlflow.parentRunId"].isna()]
    if "tags.model" in runs.columns:
        runs = runs[runs["tags.model"] != "lightgbm-tuning"]
    if source is not None:
        sources = sorted(set(_column(runs, "tags.data_source").dropna()))
        runs = runs[_column(runs, "tags.data_source") == source]
        if runs.empty and sources:
            raise InputError(
                f"experiment {config.tracking.experiment!r} has no runs trained on export "
                f"{source!r}; its runs come from {', '.join(sources)}"
            )
    if runs.empty:
        source_clause = f" trained on export {source!r}" if source is not None else ""
        raise InputError(
            f"experiment {config.tracking.experiment!r} has no runs{source_clause}; run `make train` first"
        )

    table = pd.DataFrame(
        {
            "model": _column(runs, "tags.model"),
            "date": pd.to_datetime(runs["start_time"]).dt.strftime("%Y-%m-%d %H:%M"),
            "data_source": _column(runs, "tags.data_source"),
            "data_fingerprint": _column(runs, "tags.data_fingerprint"),
            "model_version": _column(runs, "tags.model_version"),
            "champion": (runs["run_id"] == _champion_run_id(config)).map({True: "yes", False: ""}),
            "run_id": runs["run_id"],
        }
    )
    for name in COMPARE_METRICS:
        table[name] = pd.to_numeric(_column(runs, f"metrics.{name}"), errors="coerce")

    known = set(COMPARE_METRICS) | {
        column.removeprefix("metrics.") for column in runs if column.startswith("metrics.")
    }
    if metric not in known:
        raise InputError(f"metric {metric!r} not found in the runs; choose one of {sorted(known)}")
    if metric not in table:
        table[metric] = pd.to_numeric(runs[f"metrics.{metric}"], errors="coerce")

    ascending = metric in LOWER_IS_BETTER
    return table.sort_values(
        [metric, "date"], ascending=[ascending, False], na_position="last", kind="stable"
    ).reset_index(drop=True)


def _champion_run_id(config: Config) -> str | None:
    """Return the run id of the registry's champion version, or None when there is none."""
    from mlflow import MlflowClient
    from mlflow.exceptions import MlflowException

    try:
        version = MlflowClient().get_model_version_by_alias(
            config.tracking.registered_model, "champion"
        )
    except MlflowException:
        return None
    return version.run_id


def _column(runs: pd.DataFrame, name: str) -> pd.Series:
    if name in runs.columns:
        return runs[name]
    return pd.Series([None] * len(runs), index=runs.index, dtype=object)


# Columns shown on the terminal, with short headers; the CSV keeps every column.
TERMINAL_COLUMNS = {
    "model": "model",
    "date": "date",
    "data_source": "source",
    "data_fingerprint": "data",
    "model_version": "ver",
    "champion": "champion",
    "roc_auc": "ROC AUC",
    "pr_auc": "PR AUC",
    "brier": "Brier",
    "ece": "ECE",
    "lift_top10": "lift@10",
    "auc_gap_to_oracle": "AUC gap",
    "potential_mae": "pot. MAE",
}


def _format(column: str, value) -> str:
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return ""
    if column == "data_fingerprint":
        return str(value)[:6]
    if column == "date":
        return str(value)[5:]
    if column == "potential_mae":
        return f"{value:,.0f}"
    if isinstance(value, float):
        return f"{value:.3f}"
    return str(value)


def print_runs(table: pd.DataFrame, metric: str, console: Console | None = None) -> None:
    """Print the main columns of the runs table with rich, plus the sort metric."""
    headers = dict(TERMINAL_COLUMNS)
    headers.setdefault(metric, metric)
    # Columns no run has (a version before registration, a gap without an oracle) are left out.
    visible_columns = [
        column
        for column in headers
        if column in table.columns and (table[column].notna().any() or column == metric)
    ]
    rich_table = Table(
        title=f"Runs sorted by {metric}",
        box=box.SIMPLE_HEAD,
        collapse_padding=True,
        pad_edge=False,
    )
    for column in visible_columns:
        numeric = column in COMPARE_METRICS or column == metric
        rich_table.add_column(headers[column], justify="right" if numeric else "left")
    for row in table[visible_columns].itertuples(index=False):
        cells = [_format(column, value) for column, value in zip(visible_columns, row, strict=True)]
        rich_table.add_row(*cells)
    (console or Console()).print(rich_table)


def run_compare(
    config: Config, metric: str | None = None, out: Path | None = None, source: str | None = None
) -> pd.DataFrame:
    """Print the experiment's runs sorted by ``metric`` (default: the champion metric).

    With ``source``, only runs trained on that export. Writes the table to
    ``out`` as CSV when given, and returns it.
    """
    metric = metric or config.tracking.champion_metric
    table = runs_table(config, metric, source)
    print_runs(table, metric)
    if out is not None:
        out = Path(out)
        out.parent.mkdir(parents=True, exist_ok=True)
        table.to_csv(out, index=False)
        logger.info("Wrote %d runs to %s", len(table), out)
    return table
