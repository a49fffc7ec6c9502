"""Evaluation metrics shared by every model, computed on the same test-period rows.

Ranking by probability uses a stable sort on descending probability, so ties
keep row order and the top k rows are reproducible.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from sklearn.metrics import average_precision_score, brier_score_loss, log_loss, roc_auc_score

TOP_SHARES = (0.10, 0.20)
METRIC_NAMES = (
    "roc_auc",
    "pr_auc",
    "brier",
    "log_loss",
    "ece",
    "base_rate",
    "n_test",
    "precision_top10",
    "lift_top10",
    "precision_top20",
    "lift_top20",
    "recall_top20",
)


def _ranked(labels: np.ndarray, probabilities: np.ndarray) -> np.ndarray:
    order = np.argsort(-np.asarray(probabilities, dtype=float), kind="stable")
    return np.asarray(labels, dtype=float)[order]


def top_share_metrics(labels, probabilities, share: float) -> dict[str, float]:
    """Return precision, lift and recall among the top ``share`` of rows by probability.

    The top set has ceil(share x n) rows. Lift is its precision over the base rate.
    """
    ranked = _ranked(labels, probabilities)
    n_top = max(1, math.ceil(share * len(ranked)))
    positives = ranked.sum()
    base_rate = positives / len(ranked)
    precision = ranked[:n_top].mean()
    return {
        "precision": float(precision),
        "lift": float(precision / base_rate) if base_rate > 0 else float("nan"),
        "recall": float(ranked[:n_top].sum() / positives) if positives > 0 else float("nan"),
    }


def expected_calibration_error(labels, probabilities, n_bins: int = 10) -> float:
    """Return the expected calibration error over equal-width probability bins.

    ECE = sum over bins of (rows in bin / n) x |mean label - mean probability|.
    A probability of exactly 1.0 falls in the last bin.
    """
    labels = np.asarray(labels, dtype=float)
    probabilities = np.asarray(probabilities, dtype=float)
    bins = np.minimum((probabilities * n_bins).astype(int), n_bins - 1)
    frame = pd.DataFrame({"bin": bins, "label": labels, "probability": probabilities})
    per_bin = frame.groupby("bin").agg(
        rows=("label", "size"), label=("label", "mean"), probability=("probability", "mean")
    )
    gaps = (per_bin["label"] - per_bin["probability"]).abs()
    return float((per_bin["rows"] / len(frame) * gaps).sum())


def classification_metrics(labels, probabilities) -> dict[str, float]:
    """Return every headline metric for one model's test-period probabilities."""
    labels = np.asarray(labels, dtype=int)
    probabilities = np.clip(np.asarray(probabilities, dtype=float), 1e-15, 1 - 1e-15)
    both_classes = len(np.unique(labels)) == 2
    metrics = {
        "roc_auc": float(roc_auc_score(labels, probabilities)) if both_classes else float("nan"),
        "pr_auc": float(average_precision_score(labels, probabilities)),
        "brier": float(brier_score_loss(labels, probabilities)),
        "log_loss": float(log_loss(labels, probabilities, labels=[0, 1])),
        "ece": expected_calibration_error(labels, probabilities),
        "base_rate": float(labels.mean()),
        "n_test": float(len(labels)),
    }
    for share in TOP_SHARES:
        top = top_share_metrics(labels, probabilities, share)
        percent = round(share * 100)
        metrics[f"precision_top{percent}"] = top["precision"]
        metrics[f"lift_top{percent}"] = top["lift"]
    metrics["recall_top20"] = top_share_metrics(labels, probabilities, 0.20)["recall"]
    return metrics


def decile_table(labels, probabilities) -> pd.DataFrame:
    """Return one row per probability decile (1 = highest): rows, positives, rates, lift, gains."""
    ranked_positions = np.empty(len(labels), dtype=int)
    order = np.argsort(-np.asarray(probabilities, dtype=float), kind="stable")
    ranked_positions[order] = np.arange(len(labels))
    frame = pd.DataFrame(
        {
            "decile": ranked_positions * 10 // len(labels) + 1,
            "label": np.asarray(labels, dtype=float),
            "probability": np.asarray(probabilities, dtype=float),
        }
    )
    table = frame.groupby("decile").agg(
        rows=("label", "size"),
        positives=("label", "sum"),
        mean_probability=("probability", "mean"),
        min_probability=("probability", "min"),
        max_probability=("probability", "max"),
    )
    base_rate = frame["label"].mean()
    table["positive_rate"] = table["positives"] / table["rows"]
    table["lift"] = table["positive_rate"] / base_rate if base_rate > 0 else np.nan
    total_positives = table["positives"].sum()
    table["cumulative_gain"] = (
        table["positives"].cumsum() / total_positives if total_positives > 0 else np.nan
    )
    return table.reset_index()


@dataclass
class Evaluation:
    """Every model's test-period results, on the same rows."""

    labels: np.ndarray
    probabilities: dict[str, np.ndarray]
    metrics: dict[str, dict[str, float]]
    potential_metrics: dict[str, float] = field(default_factory=dict)
    oracle_rows: int = 0

    def auc_gaps(self) -> dict[str, float]:
        """Return each model's ROC AUC gap to the oracle (oracle minus model); empty without one."""
        if "oracle" not in self.metrics:
            return {}
        oracle_auc = self.metrics["oracle"]["roc_auc"]
        return {
            name: oracle_auc - values["roc_auc"]
            for name, values in self.metrics.items()
            if name != "oracle"
        }


def evaluate_models(
    labels: np.ndarray,
    probabilities: dict[str, np.ndarray],
    oracle: np.ndarray | None = None,
) -> Evaluation:
    """Compute every model's metrics on the test rows, and the oracle's where it is known.

    The oracle is scored on the rows that have a true probability. When every
    row has one, all models and the oracle are scored on exactly the same rows.
    """
    labels = np.asarray(labels, dtype=int)
    metrics = {
        name: classification_metrics(labels, values) for name, values in probabilities.items()
    }
    evaluation = Evaluation(labels=labels, probabilities=dict(probabilities), metrics=metrics)

    if oracle is not None:
        known = ~np.isnan(oracle)
        if known.any():
            metrics["oracle"] = classification_metrics(labels[known], oracle[known])
            evaluation.oracle_rows = int(known.sum())
    return evaluation
