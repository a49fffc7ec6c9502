"""Potential model, period splitting, oracle lookup and the training summary."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from rich.console import Console

from expansion_propensity import paths
from expansion_propensity.errors import ModelError
from expansion_propensity.modeling.champion import decide
from expansion_propensity.modeling.evaluate import evaluate_models
from expansion_propensity.modeling.fit import split_periods
from expansion_propensity.modeling.oracle import find_truth, oracle_probabilities
from expansion_propensity.modeling.potential import ExpansionPotentialModel, potential_metrics
from expansion_propensity.modeling.summary import print_summary
from expansion_propensity.modeling.train import TrainResult


def test_potential_ratio_rule_with_few_expansions(snapshots):
    past = snapshots[snapshots["label"] == 1].head(10)
    amounts = past["arr"].to_numpy() * np.array([0.1, 0.2, 0.3, 0.2, 0.2, 0.1, 0.3, 0.2, 0.2, 0.2])

    model = ExpansionPotentialModel(min_expansions=50).fit(past, amounts)
    assert model.method_ == "ratio_rule"
    assert model.ratio_ == pytest.approx(0.2)
    np.testing.assert_allclose(model.predict(past), past["arr"].to_numpy() * 0.2)


def test_potential_skips_all_missing_columns(snapshots):
    past = snapshots[snapshots["label"] == 1].head(80).copy()
    past["seat_utilisation"] = np.nan

    model = ExpansionPotentialModel(min_expansions=50).fit(past, past["expansion_amount"])
    assert model.method_ == "regressor"
    assert "seat_utilisation" not in model.columns_
    assert np.isfinite(model.predict(snapshots.head(5))).all()


def test_potential_without_expansions_raises(snapshots):
    rows = snapshots.head(5)

    with pytest.raises(ModelError, match="no expansion with a positive expansion_amount"):
        ExpansionPotentialModel().fit(rows, np.zeros(5))


def test_potential_metrics_by_hand():
    metrics = potential_metrics(np.array([100.0, 200.0, 400.0]), np.array([110.0, 150.0, 400.0]))

    assert metrics["potential_mae"] == pytest.approx(20.0)
    assert metrics["potential_median_ape"] == pytest.approx(0.1)
    assert metrics["potential_n"] == 3


def test_split_missing_column_raises(snapshots):
    with pytest.raises(ModelError, match=r"lacks columns \['split'\]"):
        split_periods(snapshots.drop(columns="split"))


def test_split_missing_period_raises(snapshots):
    table = snapshots[snapshots["split"] != "calibration"]

    with pytest.raises(ModelError, match="no labelled 'calibration' rows"):
        split_periods(table)


def test_split_keeps_labelled_rows_only(snapshots):
    periods = split_periods(snapshots)

    assert len(periods.test) == ((snapshots["split"] == "test") & snapshots["label"].notna()).sum()
    assert periods.labels("train").dtype == int


def test_truth_found_in_sibling_folder(tmp_path):
    export = tmp_path / "acme"
    export.mkdir()
    assert find_truth(export) is None

    (tmp_path / "acme_truth").mkdir()
    (tmp_path / "acme_truth" / "true_probabilities.parquet").write_bytes(b"")
    assert find_truth(export) == tmp_path / "acme_truth" / "true_probabilities.parquet"


def test_truth_for_demo_in_interim(project):
    paths.demo_dir().mkdir(parents=True)
    paths.truth_dir().mkdir(parents=True)
    truth = paths.truth_dir() / "true_probabilities.parquet"
    truth.write_bytes(b"")

    assert find_truth(paths.demo_dir()) == truth


def test_oracle_joins_on_account_and_date(tmp_path):
    truth = pd.DataFrame(
        {
            "account_id": ["A", "A", "B"],
            "snapshot_date": pd.to_datetime(["2024-01-01", "2024-02-01", "2024-01-01"]),
            "p_expand": [0.1, 0.2, 0.3],
        }
    )
    truth.to_parquet(tmp_path / "true_probabilities.parquet")
    rows = pd.DataFrame(
        {
            "account_id": ["B", "A", "C"],
            "snapshot_date": pd.to_datetime(["2024-01-01", "2024-02-01", "2024-01-01"]),
        }
    )

    oracle = oracle_probabilities(tmp_path / "true_probabilities.parquet", rows)
    assert oracle[:2].tolist() == [0.3, 0.2]
    assert np.isnan(oracle[2])


def _result(lightgbm: np.ndarray, promoted: bool) -> TrainResult:
    labels = np.array([0, 1, 0, 1, 0, 1, 0, 0])
    evaluation = evaluate_models(
        labels, {"baseline": np.full(8, 0.4), "lightgbm": lightgbm}, oracle=labels * 0.8 + 0.1
    )
    decision = decide("pr_auc", 0.6 if promoted else 0.3, 0.5)
    return TrainResult(
        None, evaluation, {}, "4", decision, Path("models/champion"), 12.5, "propensity"
    )


def test_summary_flags_near_chance():
    console = Console(record=True, width=120)
    near_chance = np.array([0.5, 0.4, 0.6, 0.5, 0.4, 0.6, 0.5, 0.5])

    print_summary(_result(near_chance, promoted=False), console)
    text = console.export_text()
    assert "The models score near chance on this data" in text
    assert "Version 4 is the challenger" in text
    assert "No champion was trained on this export" in text
    assert "uses version 4, the latest trained on it" in text
    assert "AUC gap to oracle" in text
    assert "Training took 12.5 s" in text


def test_summary_without_near_chance_warning():
    console = Console(record=True, width=120)
    good = np.array([0.1, 0.9, 0.2, 0.8, 0.1, 0.7, 0.3, 0.2])

    print_summary(_result(good, promoted=True), console)
    text = console.export_text()
    assert "near chance" not in text
    assert "Version 4 is the new champion" in text
