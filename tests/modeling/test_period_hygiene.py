"""Each period feeds only its own part of the fit: poisoning the others leaves it unchanged."""

from __future__ import annotations

import numpy as np
import pandas as pd

from expansion_propensity.features import registry
from expansion_propensity.modeling.fit import fit_baseline, fit_models, split_periods


def poison(
    table: pd.DataFrame, splits: list[str], features: bool = True, seed: int = 1
) -> pd.DataFrame:
    """Return a copy whose ``splits`` rows have flipped labels and (with ``features``) junk values."""
    rng = np.random.default_rng(seed)
    poisoned = table.copy()
    rows = poisoned["split"].isin(splits).to_numpy()
    n_rows = int(rows.sum())

    categorical = set(registry.categorical_features())
    for name in registry.feature_names() if features else []:
        if name in categorical:
            poisoned.loc[rows, name] = "Poisoned"
        else:
            poisoned.loc[rows, name] = rng.normal(1e6, 1e5, n_rows)

    # Gap and score rows have no label; giving them one checks that the split, not the label,
    # keeps them out.
    labels = poisoned["label"].astype("Float64")
    poisoned["label"] = (1 - labels.fillna(0)).where(rows, labels).astype("Int8")
    poisoned.loc[rows, "arr"] = 1e9
    poisoned.loc[rows, "expansion_amount"] = 1e8
    return poisoned


def test_fit_never_reads_test_gap_score(snapshots, fast_config, trained):
    periods, reference = trained
    poisoned = fit_models(split_periods(poison(snapshots, ["test", "gap", "score"])), fast_config)
    test = periods.test

    assert poisoned.bundle.categories == reference.bundle.categories
    assert poisoned.bundle.booster.model_to_string() == reference.bundle.booster.model_to_string()
    np.testing.assert_array_equal(
        poisoned.bundle.predict_proba(test), reference.bundle.predict_proba(test)
    )
    np.testing.assert_array_equal(
        poisoned.bundle.baseline.predict_proba(test), reference.bundle.baseline.predict_proba(test)
    )
    np.testing.assert_array_equal(
        poisoned.bundle.predict_potential(test), reference.bundle.predict_potential(test)
    )


def test_calibration_rows_only_feed_calibrators(snapshots, fast_config, trained):
    periods, reference = trained
    table = poison(snapshots, ["calibration"], features=False)
    poisoned = fit_models(split_periods(table), fast_config)
    test = periods.test

    # Early stopping and the trees see training and validation rows only.
    assert poisoned.bundle.booster.model_to_string() == reference.bundle.booster.model_to_string()
    assert poisoned.bundle.categories == reference.bundle.categories
    for name, values in reference.bundle.baseline.reference_.items():
        np.testing.assert_array_equal(poisoned.bundle.baseline.reference_[name], values)

    # Both calibrators are fitted on the calibration rows, so flipping their labels reverses them.
    assert not np.array_equal(
        poisoned.bundle.predict_proba(test), reference.bundle.predict_proba(test)
    )
    assert poisoned.bundle.baseline.calibrator_.coef_[0, 0] < 0
    assert reference.bundle.baseline.calibrator_.coef_[0, 0] > 0


def test_baseline_ignores_validation_rows(snapshots, fast_config, trained):
    periods, reference = trained
    baseline = fit_baseline(split_periods(poison(snapshots, ["validation"])), fast_config)

    np.testing.assert_array_equal(
        baseline.predict_proba(periods.test), reference.bundle.baseline.predict_proba(periods.test)
    )


def test_baseline_percentiles_from_training_rows(snapshots, fast_config, trained):
    periods, reference = trained
    poisoned = split_periods(poison(snapshots, ["validation", "calibration", "test"]))
    baseline = fit_baseline(poisoned, fast_config)

    for name, values in baseline.reference_.items():
        np.testing.assert_array_equal(values, reference.bundle.baseline.reference_[name])
    assert baseline.reference_["usage_events_30d"].max() < 1e5


def test_validation_rows_drive_early_stopping(snapshots, fast_config, trained):
    _, reference = trained
    poisoned = fit_models(split_periods(poison(snapshots, ["validation"])), fast_config)

    assert poisoned.lightgbm.best_iteration != reference.lightgbm.best_iteration
