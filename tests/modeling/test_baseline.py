"""The weighted-formula baseline: exact scores, calibration and weight checks."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.exceptions import NotFittedError

from expansion_propensity.errors import ModelError
from expansion_propensity.features import registry
from expansion_propensity.modeling.baseline import WeightedFormulaBaseline, percentile_rank

FORMULA_FEATURES = [
    feature.name
    for pillar in registry.FORMULA_PILLARS
    for feature in registry.formula_features(pillar)
]


def _uniform_table(values) -> pd.DataFrame:
    """A table where every formula feature of row i equals values[i]."""
    return pd.DataFrame({name: np.asarray(values, dtype=float) for name in FORMULA_FEATURES})


@pytest.fixture
def fitted() -> WeightedFormulaBaseline:
    train = _uniform_table([1, 2, 3, 4])
    return WeightedFormulaBaseline().fit(train, np.array([0, 1, 0, 1]))


def test_score_matches_hand_formula(fitted):
    scored = fitted.components(_uniform_table([2]))

    # Value 2 among [1, 2, 3, 4] has mid-rank (1 + 0.5) / 4 = 0.375, or 0.625
    # flipped for lower-is-better features.
    assert scored.loc[0, "tenure"] == pytest.approx(100 * (0.375 + 0.375 + 0.625) / 3)
    assert scored.loc[0, "usage"] == pytest.approx(37.5)
    assert scored.loc[0, "adoption"] == pytest.approx(37.5)
    assert scored.loc[0, "health"] == pytest.approx(100 * (6 * 0.625 + 2 * 0.375) / 8)
    expected = 0.30 * 45.833333 + 0.25 * 37.5 + 0.20 * 37.5 + 0.25 * 56.25
    assert fitted.expansion_score(_uniform_table([2]))[0] == pytest.approx(expected, abs=1e-4)


def test_score_matches_counting_on_random_table():
    rng = np.random.default_rng(3)
    train = pd.DataFrame({name: rng.integers(0, 6, 40).astype(float) for name in FORMULA_FEATURES})
    rows = pd.DataFrame({name: rng.integers(-1, 8, 5).astype(float) for name in FORMULA_FEATURES})
    weights = {"tenure": 0.1, "usage": 0.2, "adoption": 0.3, "health": 0.4}
    model = WeightedFormulaBaseline(weights=weights).fit(train, rng.integers(0, 2, 40))

    expected = np.zeros(len(rows))
    for pillar, weight in weights.items():
        features = registry.formula_features(pillar)
        component = np.zeros(len(rows))
        for feature in features:
            reference = train[feature.name].to_numpy()
            for i, value in enumerate(rows[feature.name]):
                rank = ((reference < value).sum() + 0.5 * (reference == value).sum()) / 40
                component[i] += rank if feature.direction > 0 else 1 - rank
        expected += weight * 100 * component / len(features)

    np.testing.assert_allclose(model.expansion_score(rows), expected)


def test_missing_values_score_neutral(fitted):
    components = fitted.components(_uniform_table([np.nan]))

    assert components.iloc[0].tolist() == [50.0, 50.0, 50.0, 50.0]
    assert fitted.expansion_score(_uniform_table([np.nan]))[0] == pytest.approx(50.0)


def test_percentile_rank_ties_and_empty_reference():
    reference = np.array([1.0, 1.0, 2.0, 3.0])

    ranks = percentile_rank(reference, np.array([1.0, 0.0, 5.0, np.nan]))
    assert ranks.tolist() == [0.25, 0.0, 1.0, 0.5]
    assert percentile_rank(np.array([]), np.array([4.0])).tolist() == [0.5]


def test_probability_monotone_in_score(snapshots):
    train = snapshots[snapshots["split"] == "train"]
    model = WeightedFormulaBaseline().fit(train, train["label"].astype(int))
    test = snapshots[snapshots["split"] == "test"]

    scores = model.expansion_score(test)
    probabilities = model.predict_proba(test)[:, 1]
    order = np.argsort(scores)
    assert np.all(np.diff(probabilities[order]) >= 0)
    assert probabilities.min() >= 0.0
    assert probabilities.max() <= 1.0


def test_calibrator_uses_calibration_rows_only():
    train = _uniform_table([1, 2, 3, 4])
    calibration = _uniform_table([1, 1, 4, 4])
    model = WeightedFormulaBaseline().fit(
        train,
        np.array([1, 1, 0, 0]),
        X_calibration=calibration,
        y_calibration=np.array([0, 0, 1, 1]),
    )

    # Training labels fall with the score but calibration labels rise with it;
    # only the calibration rows may shape the probabilities.
    low, high = model.predict_proba(_uniform_table([1, 4]))[:, 1]
    assert high > low


@pytest.mark.parametrize(
    "weights, message",
    [
        ({"tenure": 0.5, "usage": 0.25, "adoption": 0.20, "health": 0.25}, "must sum to 1"),
        ({"tenure": 0.5, "usage": 0.5}, "expected exactly"),
    ],
    ids=["sum-not-one", "missing-pillars"],
)
def test_invalid_weights_raise(weights, message):
    with pytest.raises(ValueError, match=message):
        WeightedFormulaBaseline(weights=weights).fit(_uniform_table([1, 2]), np.array([0, 1]))


def test_predict_before_fit_raises():
    with pytest.raises(NotFittedError):
        WeightedFormulaBaseline().predict_proba(_uniform_table([1]))


def test_missing_feature_column_raises(fitted):
    rows = _uniform_table([1]).drop(columns="nps_latest")

    with pytest.raises(ModelError, match="'nps_latest'"):
        fitted.expansion_score(rows)


def test_single_class_calibration_raises():
    with pytest.raises(ModelError, match="only label"):
        WeightedFormulaBaseline().fit(_uniform_table([1, 2, 3]), np.array([0, 0, 0]))
