"""Evaluation metrics shared by every model, computed on the same test-period rows.

Top-k metrics and deciles never depend on row order, although calibrated
probabilities (isotonic above all) have many ties. A tied block that straddles
the top-k cut-off counts at its mean label, which is the expected value over
every order of the tied rows. A tied block always falls in one decile.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from sklearn.metrics import average_precision_score, brier_score_loss, log_loss, roc_auc_score

TOP_SHARES = (0.10, 0.20)
LOG_LOSS_EPSILON = 1e-15
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


def top_share_metrics(labels, probabilities, share: float) -> dict[str, float]:
    """Return precision, lift and recall among the top ``share`` of rows by probability.

    The top set has ceil(share x n) rows. Rows strictly above the cut-off
    probability count fully. The rows tied at the cut-off fill the remaining
    places and count at their mean label, so the result does not depend on how
    ties happen to be ordered. Lift is the precision over the base rate.
    """
    labels = np.asarray(labels, dtype=float)
    probabilities = np.asarray(probabilities, dtype=float)
    n_top = max(1, math.ceil(share * len(labels)))
    cutoff = np.sort(probabilities)[::-1][n_top - 1]

    above = probabilities > cutoff
    tied = probabilities == cutoff
    places_left = n_top - int(above.sum())
    top_positives = labels[above].sum() + places_left * labels[tied].mean()

    positives = labels.sum()
    base_rate = positives / len(labels)
    precision = top_positives / n_top
    return {
        "precision": float(precision),
        "lift": float(precision / base_rate) if base_rate > 0 else float("nan"),
        "recall": float(top_positives / positives) if positives > 0 else float("nan"),
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
    probabilities = np.asarray(probabilities, dtype=float)
    # Isotonic calibration can output exactly 0 or 1, so log loss clips to
    # [1e-15, 1 - 1e-15]: a confident miss costs -ln(1e-15) = 34.5, not infinity.
    clipped = np.clip(probabilities, LOG_LOSS_EPSILON, 1 - LOG_LOSS_EPSILON)
    both_classes = len(np.unique(labels)) == 2
    metrics = {
        "roc_auc": float(roc_auc_score(labels, probabilities)) if both_classes else float("nan"),
        "pr_auc": float(average_precision_score(labels, probabilities)),
        "brier": float(brier_score_loss(labels, probabilities)),
        "log_loss": float(log_loss(labels, clipped, labels=[0, 1])),
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
    """Return one row per probability decile (1 = highest): rows, positives, rates, lift, gains.

    A row's decile comes from the average rank of its probability, so tied rows
    share a decile and deciles can differ in size when ties are large.
    """
    probabilities = np.asarray(probabilities, dtype=float)
    average_rank = pd.Series(probabilities).rank(method="average", ascending=False).to_numpy()
    frame = pd.DataFrame(
        {
            "decile": np.floor((average_rank - 1) * 10 / len(probabilities)).astype(int) + 1,
            "label": np.asarray(labels, dtype=float),
            "probability": probabilities,
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
    """Every model's test-period results, on the same rows.

    ``oracle_known`` marks the test rows that have a true probability; the
    oracle's metrics and every AUC gap use only those rows.
    """

    labels: np.ndarray
    probabilities: dict[str, np.ndarray]
    metrics: dict[str, dict[str, float]]
    potential_metrics: dict[str, float] = field(default_factory=dict)
    oracle_rows: int = 0
    oracle_known: np.ndarray | None = None

    @property
    def oracle_missing_rows(self) -> int:
        """Number of test rows without a true probability (0 without an oracle)."""
        return 0 if self.oracle_known is None else int((~self.oracle_known).sum())

    def auc_gaps(self) -> dict[str, float]:
        """Return each model's ROC AUC gap to the oracle (oracle minus model); empty without one.

        Both AUCs come from the same rows: when some test rows have no true
        probability, the model's AUC is recomputed on the rows the oracle scored.
        """
        if "oracle" not in self.metrics:
            return {}
        oracle_auc = self.metrics["oracle"]["roc_auc"]
        known = self.oracle_known
        gaps = {}
        for name, values in self.probabilities.items():
            if known is None or known.all():
                model_auc = self.metrics[name]["roc_auc"]
            else:
                model_auc = classification_metrics(self.labels[known], values[known])["roc_auc"]
            gaps[name] = oracle_auc - model_auc
        return gaps


def evaluate_models(
    labels: np.ndarray,
    probabilities: dict[str, np.ndarray],
    oracle: np.ndarray | None = None,
) -> Evaluation:
    """Compute every model's metrics on the test rows, and the oracle's where it is known.

    The oracle is scored on the rows that have a true probability, and its AUC
    gaps compare each model on those same rows. ``oracle_missing_rows`` reports
    how many test rows the oracle lacks.
    """
    labels = np.asarray(labels, dtype=int)
    probabilities = {
        name: np.asarray(values, dtype=float) for name, values in probabilities.items()
    }
    metrics = {
        name: classification_metrics(labels, values) for name, values in probabilities.items()
    }
    evaluation = Evaluation(labels=labels, probabilities=probabilities, metrics=metrics)

    if oracle is not None:
        oracle = np.asarray(oracle, dtype=float)
        known = ~np.isnan(oracle)
        evaluation.oracle_known = known
        if known.any():
            metrics["oracle"] = classification_metrics(labels[known], oracle[known])
            evaluation.oracle_rows = int(known.sum())
    return evaluation
