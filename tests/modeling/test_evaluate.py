"""Evaluation metrics against values computed by hand on tiny arrays."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import average_precision_score, brier_score_loss, log_loss, roc_auc_score

from expansion_propensity.modeling.evaluate import (
    METRIC_NAMES,
    classification_metrics,
    decile_table,
    evaluate_models,
    expected_calibration_error,
    top_share_metrics,
)
from expansion_propensity.modeling.plots import cumulative_gains

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
    assert evaluation.oracle_missing_rows == 1
    assert evaluation.metrics["oracle"]["roc_auc"] == pytest.approx(1.0)
    # On the nine rows with a true probability the model ranks 12 of 18 pairs right.
    assert evaluation.auc_gaps()["model"] == pytest.approx(1.0 - 12 / 18)
    assert evaluation.metrics["model"]["roc_auc"] == pytest.approx(15 / 21)


def test_no_oracle_means_no_gaps():
    evaluation = evaluate_models(LABELS, {"model": PROBABILITIES})

    assert evaluation.auc_gaps() == {}


def test_no_oracle_reports_no_missing_rows():
    assert evaluate_models(LABELS, {"model": PROBABILITIES}).oracle_missing_rows == 0


@pytest.fixture(scope="module")
def tied_scores() -> tuple[np.ndarray, np.ndarray]:
    """Labels and step-function probabilities with many ties, as isotonic calibration gives."""
    rng = np.random.default_rng(3)
    probabilities = rng.choice([0.0, 0.05, 0.1, 0.2, 0.35, 0.6, 1.0], size=997)
    labels = (rng.random(997) < probabilities).astype(int)
    labels[:3] = [1, 0, 1]
    probabilities[:3] = [0.0, 1.0, 0.0]
    return labels, probabilities


def test_metrics_match_sklearn(tied_scores):
    labels, probabilities = tied_scores
    metrics = classification_metrics(labels, probabilities)

    assert metrics["roc_auc"] == pytest.approx(roc_auc_score(labels, probabilities))
    assert metrics["pr_auc"] == pytest.approx(average_precision_score(labels, probabilities))
    assert metrics["brier"] == pytest.approx(brier_score_loss(labels, probabilities))
    assert metrics["base_rate"] == pytest.approx(labels.mean())


def test_log_loss_finite_with_certain_misses(tied_scores):
    labels, probabilities = tied_scores
    metrics = classification_metrics(labels, probabilities)

    # Three rows are certain and wrong; each costs -ln(1e-15) instead of infinity.
    clipped = np.clip(probabilities, 1e-15, 1 - 1e-15)
    assert np.isfinite(metrics["log_loss"])
    assert metrics["log_loss"] == pytest.approx(log_loss(labels, clipped))
    assert metrics["log_loss"] > 3 * -np.log(1e-15) / len(labels)


def test_ece_matches_binned_computation(tied_scores):
    labels, probabilities = tied_scores
    rng = np.random.default_rng(4)
    smooth = np.clip(probabilities + rng.uniform(-0.02, 0.02, len(labels)), 0, 1)

    # np.histogram puts 1.0 in the last bin, as the ECE definition does.
    edges = np.linspace(0, 1, 11)
    rows, _ = np.histogram(smooth, edges)
    label_sums, _ = np.histogram(smooth, edges, weights=labels)
    probability_sums, _ = np.histogram(smooth, edges, weights=smooth)
    filled = rows > 0
    expected = np.sum(np.abs(label_sums[filled] - probability_sums[filled]) / len(labels))
    assert expected_calibration_error(labels, smooth) == pytest.approx(expected)


def test_top_share_ties_count_mean_label():
    labels = np.array([1, 1, 0, 0, 0, 0, 0, 0, 0, 0])
    probabilities = np.array([0.9, 0.5, 0.5, 0.5, 0.5, 0.1, 0.1, 0.1, 0.1, 0.1])

    # Top 2 rows: 0.9 (a positive) plus one place among four tied rows holding one positive.
    for order in (np.arange(10), np.array([0, 4, 3, 2, 1, 5, 6, 7, 8, 9])):
        top20 = top_share_metrics(labels[order], probabilities[order], 0.20)
        assert top20["precision"] == pytest.approx((1 + 1 / 4) / 2)
        assert top20["recall"] == pytest.approx((1 + 1 / 4) / 2)
        assert top20["lift"] == pytest.approx((1 + 1 / 4) / 2 / 0.2)


def test_top_share_independent_of_row_order(tied_scores):
    labels, probabilities = tied_scores
    reverse = np.arange(len(labels))[::-1]

    for share in (0.10, 0.20):
        forward = top_share_metrics(labels, probabilities, share)
        backward = top_share_metrics(labels[reverse], probabilities[reverse], share)
        assert forward == pytest.approx(backward)


def test_top_share_matches_ranking_without_ties(tied_scores):
    labels, _ = tied_scores
    probabilities = np.random.default_rng(5).random(len(labels))
    top = np.argsort(-probabilities)[:100]

    result = top_share_metrics(labels, probabilities, 0.10)
    assert result["precision"] == pytest.approx(labels[top].mean())
    assert result["recall"] == pytest.approx(labels[top].sum() / labels.sum())


def test_decile_table_independent_of_row_order(tied_scores):
    labels, probabilities = tied_scores
    reverse = np.arange(len(labels))[::-1]

    forward = decile_table(labels, probabilities)
    backward = decile_table(labels[reverse], probabilities[reverse])
    pd.testing.assert_frame_equal(forward, backward)
    assert forward["rows"].sum() == len(labels)
    # Each tied block lies in one decile, so no probability spans two deciles.
    assert (
        forward["min_probability"].to_numpy()[:-1] > forward["max_probability"].to_numpy()[1:]
    ).all()


def test_decile_table_matches_qcut_without_ties():
    rng = np.random.default_rng(6)
    probabilities = rng.random(1000)
    labels = (rng.random(1000) < probabilities).astype(int)

    deciles = pd.qcut(-probabilities, 10, labels=False) + 1
    expected = pd.Series(labels).groupby(deciles).sum()
    table = decile_table(labels, probabilities)
    assert table["positives"].tolist() == expected.tolist()
    assert table["rows"].tolist() == [100] * 10


def test_cumulative_gains_ties_by_hand():
    labels = np.array([1, 0, 0, 1])
    probabilities = np.array([0.9, 0.5, 0.5, 0.5])

    contacted, gains = cumulative_gains(labels, probabilities)
    np.testing.assert_allclose(contacted, [0.0, 0.25, 1.0])
    np.testing.assert_allclose(gains, [0.0, 0.5, 1.0])


def test_cumulative_gains_independent_of_row_order(tied_scores):
    labels, probabilities = tied_scores
    reverse = np.arange(len(labels))[::-1]

    forward = cumulative_gains(labels, probabilities)
    backward = cumulative_gains(labels[reverse], probabilities[reverse])
    np.testing.assert_array_equal(forward[0], backward[0])
    np.testing.assert_allclose(forward[1], backward[1])
