"""The short terminal summary printed at the end of `expansion train`."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from rich.console import Console
from rich.table import Table

if TYPE_CHECKING:
    from expansion_propensity.modeling.train import TrainResult

SUMMARY_METRICS = [
    "roc_auc",
    "pr_auc",
    "brier",
    "log_loss",
    "ece",
    "lift_top10",
    "precision_top10",
    "lift_top20",
    "recall_top20",
]
# Below this test ROC AUC the ranking is too close to random to act on.
NEAR_CHANCE_AUC = 0.6


def _cell(value: float | None) -> str:
    if value is None or math.isnan(value):
        return "-"
    return f"{value:.4f}"


def metrics_table(result: TrainResult) -> Table:
    """Return the test metrics of every model side by side, with AUC gaps to the oracle."""
    evaluation = result.evaluation
    models = list(evaluation.metrics)
    table = Table(title=f"Test period: {int(evaluation.metrics['lightgbm']['n_test'])} snapshots")
    table.add_column("metric")
    for model in models:
        table.add_column(model, justify="right")
    for metric in SUMMARY_METRICS:
        table.add_row(metric, *(_cell(evaluation.metrics[m].get(metric)) for m in models))

    gaps = evaluation.auc_gaps()
    if gaps:
        table.add_row("AUC gap to oracle", *(_cell(gaps.get(m)) for m in models))
    return table


def print_summary(result: TrainResult, console: Console | None = None) -> None:
    """Print metrics, potential error, the champion decision and the elapsed time."""
    console = console or Console()
    console.print(metrics_table(result))

    potential = result.evaluation.potential_metrics
    if potential:
        console.print(
            f"Expansion potential on {int(potential['potential_n'])} test expansions: "
            f"MAE {potential['potential_mae']:,.0f}, "
            f"median absolute percentage error {potential['potential_median_ape']:.1%}"
        )

    missing = result.evaluation.oracle_missing_rows
    if missing:
        console.print(
            f"[bold yellow]{missing} test snapshots have no true probability[/]: the oracle column "
            "and the AUC gaps use only the other rows."
        )

    auc = result.evaluation.metrics["lightgbm"]["roc_auc"]
    if not math.isnan(auc) and auc < NEAR_CHANCE_AUC:
        console.print(
            f"[bold yellow]The models score near chance on this data[/] (LightGBM test ROC AUC "
            f"{auc:.3f}, below {NEAR_CHANCE_AUC}): treat the rankings as unreliable."
        )

    decision = result.decision
    version = result.model_version or "unregistered"
    if decision.promoted:
        console.print(
            f"[bold green]Version {version} is the new champion[/]: {decision.reason}. "
            f"Exported to {result.exported_to}."
        )
    else:
        console.print(
            f"[bold yellow]Version {version} is the challenger, the champion is unchanged[/]: "
            f"{decision.reason}."
        )
        if result.exported_to is not None:
            console.print(f"Exported the current champion to {result.exported_to}.")
        if decision.champion_version is None:
            console.print(
                "No champion was trained on this export, so `expansion score` on it uses "
                f"version {version}, the latest trained on it, and warns that it is not the "
                "champion."
            )
    console.print(f"Training took {result.elapsed_seconds:.1f} s.")
