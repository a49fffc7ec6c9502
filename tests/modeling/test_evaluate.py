"""Evaluation metrics against values computed by hand on tiny arrays."""

from __future__ import annotations

import numpy as np
import pytest

from expansion_propensity.modeling.evaluate import (
    METRIC_NAMES,
    classification_metrics,
    decile_table,
    evaluate_models,
    expected_calibration_error,
    top_share_metrics,
)

# Ten rows sorted by probability; positives at ranks 1, 3 and 8.
LABELS = np.array([1, 0, 1, 0, 0, 0, 0, 1, 0, 0])
PROBABILITIES = np.array([0.95, 0.85, 0.75, 0.65, 0.55, 0.45, 0.35, 0.25, 0.15, 0.05])


def test_top_share_precision_lift_recall():
    top20 = top_share_metrics(LABELS, PROBABILITIES, 0.20)
    top10 = top_share_metrics(LABELS, PROBABILITIES, 0.10)

    # Top 2 rows hold one positive: precision 0.5, base rate 0.3, recall 1/3.
    assert top20["precision"] == pytest.approx(0.5)
    assert top20["lift"] == pytest.approx(0.5 / 0.3)
    assert top20["recall"] == pytest.approx(1 / 3)
    assert top10["precision"] == pytest.approx(1.0)
    assert top10["lift"] == pytest.approx(1 / 0.3)


def test_top_share_ignores_input_order():
    shuffled = np.random.default_rng(0).permutation(10)

    result = top_share_metrics(LABELS[shuffled], PROBABILITIES[shuffled], 0.20)
    assert result["precision"] == pytest.approx(0.5)


def test_expected_calibration_error_by_hand():
    labels = np.array([0, 1, 1, 1])
    probabilities = np.array([0.1, 0.1, 0.9, 1.0])

    # Bin 1: 2 rows, mean label 0.5 vs 0.1. Bin 9 (with 1.0 folded in): 2 rows,
    # mean label 1.0 vs 0.95. ECE = 0.5 * 0.4 + 0.5 * 0.05.
    assert expected_calibration_error(labels, probabilities) == pytest.approx(0.225)


def test_perfect_calibration_has_zero_ece():
    labels = np.array([0, 0, 1, 1])
    probabilities = np.array([0.5, 0.5, 0.5, 0.5])

    assert expected_calibration_error(labels, probabilities) == pytest.approx(0.0)


def test_metric_names_match_metrics():
    assert set(classification_metrics(LABELS, PROBABILITIES)) == set(METRIC_NAMES)


def test_classification_metrics_values():
    metrics = classification_metrics(LABELS, PROBABILITIES)

    # 21 positive-negative pairs; positives at ranks 1, 3, 8 beat 7, 6 and 2 negatives.
    assert metrics["roc_auc"] == pytest.approx(15 / 21)
    assert metrics["pr_auc"] == pytest.approx((1 / 1 + 2 / 3 + 3 / 8) / 3)
    assert metrics["brier"] == pytest.approx(np.mean((PROBABILITIES - LABELS) ** 2))
    assert metrics["lift_top10"] == pytest.approx(1 / 0.3)
    assert metrics["recall_top20"] == pytest.approx(1 / 3)
    assert metrics["n_test"] == 10


def test_decile_table_rows_and_gains():
    table = decile_table(LABELS, PROBABILITIES)

    assert table["decile"].tolist() == list(range(1, 11))
    assert table["rows"].tolist() == [1] * 10
    assert table["positives"].tolist() == LABELS.tolist()
    assert table.loc[0, "lift"] == pytest.approx(1 / 0.3)
    assert table["cumulative_gain"].iloc[-1] == pytest.approx(1.0)
    assert table.loc[2, "cumulative_gain"] == pytest.approx(2 / 3)


def test_oracle_gap_on_same_rows():
    oracle = np.array([0.9, 0.1, 0.8, 0.2, 0.2, 0.1, 0.1, 0.7, 0.1, np.nan])

    evaluation = evaluate_models(LABELS, {"model": PROBABILITIES}, oracle)
    assert evaluation.oracle_rows == 9
    assert evaluation.metrics["oracle"]["roc_auc"] == pytest.approx(1.0)
    assert evaluation.auc_gaps()["model"] == pytest.approx(1.0 - 15 / 21)


def test_no_oracle_means_no_gaps():
    evaluation = evaluate_models(LABELS, {"model": PROBABILITIES})

    assert evaluation.auc_gaps() == {}
