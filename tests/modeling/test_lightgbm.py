"""LightGBM fitting, calibration, the model frame and cross-process determinism."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from expansion_propensity.errors import ModelError
from expansion_propensity.features import registry
from expansion_propensity.modeling.calibration import (
    PROBABILITY_FLOOR,
    choose_method,
    fit_calibrator,
)
from expansion_propensity.modeling.lgbm import learn_categories, to_model_frame

PREDICT_SCRIPT = """
import json, sys
import numpy as np
import pandas as pd
from expansion_propensity.config import Config
from expansion_propensity.modeling.fit import fit_models, split_periods

table = pd.read_parquet(sys.argv[1])
config = Config.model_validate(json.loads(sys.argv[2]))
models = fit_models(split_periods(table), config)
test = table[table["split"] == "test"]
np.save(sys.argv[3], models.bundle.predict_proba(test))
"""


@pytest.mark.slow
def test_same_predictions_in_two_processes(snapshots, fast_config, tmp_path):
    table_path = tmp_path / "snapshots.parquet"
    snapshots.to_parquet(table_path, index=False)

    outputs = []
    for attempt in range(2):
        target = tmp_path / f"predictions_{attempt}.npy"
        subprocess.run(
            [
                sys.executable,
                "-c",
                PREDICT_SCRIPT,
                str(table_path),
                json.dumps(fast_config.to_dict()),
                str(target),
            ],
            check=True,
            timeout=300,
        )
        outputs.append(np.load(target))

    assert len(outputs[0]) == (snapshots["split"] == "test").sum()
    np.testing.assert_array_equal(outputs[0], outputs[1])


def test_lightgbm_beats_baseline_on_planted_signal(trained):
    periods, models = trained
    labels = periods.labels("test")
    from sklearn.metrics import roc_auc_score

    lightgbm_auc = roc_auc_score(labels, models.bundle.predict_proba(periods.test))
    baseline_auc = roc_auc_score(labels, models.bundle.baseline.predict_proba(periods.test)[:, 1])
    assert lightgbm_auc > 0.7
    assert lightgbm_auc > baseline_auc


def test_contributions_sum_to_raw_score(trained):
    periods, models = trained
    rows = periods.test.head(50)

    contributions = models.bundle.contributions(rows)
    assert list(contributions.columns) == [*registry.feature_names(), "base_value"]
    np.testing.assert_allclose(
        contributions.sum(axis=1), models.bundle.raw_score(rows), rtol=0, atol=1e-9
    )


def test_categories_fixed_from_training_rows(trained):
    periods, models = trained

    assert models.bundle.categories["segment"] == ["Enterprise", "Mid-Market", "SMB"]
    assert set(models.bundle.categorical_columns) == {"segment", "plan_tier", "industry"}


def test_model_frame_casts_and_orders(trained):
    _, models = trained
    bundle = models.bundle
    rows = pd.DataFrame({name: ["1"] for name in reversed(registry.feature_names())})
    rows["segment"] = "Galactic"
    rows["plan_tier"] = "Pro"
    rows["extra"] = "ignored"

    frame = bundle.prepare(rows)
    assert list(frame.columns) == bundle.feature_columns
    assert frame["arr"].dtype == float
    assert frame["arr"].iloc[0] == 1.0
    assert list(frame["plan_tier"].cat.categories) == bundle.categories["plan_tier"]
    assert frame["plan_tier"].iloc[0] == "Pro"
    assert pd.isna(frame["segment"].iloc[0])
    assert bundle.unseen_categories(rows) == {"segment": {"Galactic": 1}, "industry": {"1": 1}}


def test_missing_columns_named_in_error(trained):
    periods, models = trained
    rows = periods.test.drop(columns=["arr", "segment"])

    with pytest.raises(ModelError, match=r"missing feature columns \['segment', 'arr'\]"):
        models.bundle.predict_proba(rows)


def test_formula_columns(trained):
    periods, models = trained

    formula = models.bundle.formula(periods.test.head(10))
    assert list(formula.columns) == [
        "tenure",
        "usage",
        "adoption",
        "health",
        "expansion_score",
        "baseline_probability",
    ]
    assert formula["expansion_score"].between(0, 100).all()


def test_potential_positive_currency(trained):
    periods, models = trained

    potential = models.bundle.predict_potential(periods.test)
    assert potential.shape == (len(periods.test),)
    assert (potential > 0).all()
    assert models.bundle.potential.method_ == "regressor"


def test_learn_categories_sorted_without_missing():
    frame = pd.DataFrame({"segment": ["b", None, "a", "b"]})

    assert learn_categories(frame, ["segment"]) == {"segment": ["a", "b"]}


def test_model_frame_missing_column_raises():
    with pytest.raises(ModelError, match=r"missing feature columns \['b'\]"):
        to_model_frame(pd.DataFrame({"a": [1.0]}), ["a", "b"], {})


@pytest.mark.parametrize(
    "positives, method", [(499, "sigmoid"), (500, "isotonic")], ids=["few", "enough"]
)
def test_calibration_method_by_positives(positives, method):
    chosen, reason = choose_method(positives, 500)

    assert chosen == method
    assert f"{positives} positives" in reason


@pytest.mark.parametrize("minimum", [1_000, 10], ids=["sigmoid", "isotonic"])
def test_calibrator_monotone_in_raw_score(minimum):
    rng = np.random.default_rng(1)
    raw = rng.normal(size=2000)
    labels = (rng.random(2000) < 1 / (1 + np.exp(-raw))).astype(int)

    calibrator = fit_calibrator(raw, labels, minimum)
    grid = np.linspace(-4, 4, 200)
    probabilities = calibrator.predict(grid)
    assert np.all(np.diff(probabilities) >= 0)
    assert probabilities[-1] > probabilities[0]


def test_isotonic_never_returns_zero_or_one():
    raw = np.array([-3.0, -2.0, -1.0, 0.0, 1.0, 2.0, 3.0] * 20)
    labels = np.array([0, 0, 0, 1, 1, 1, 1] * 20)

    calibrator = fit_calibrator(raw, labels, isotonic_min_positives=1)
    probabilities = calibrator.predict(np.array([-10.0, 0.0, 10.0]))

    assert calibrator.method == "isotonic"
    assert probabilities[0] == pytest.approx(PROBABILITY_FLOOR)
    assert probabilities[-1] == pytest.approx(1 - PROBABILITY_FLOOR)


def test_calibrator_single_class_raises():
    with pytest.raises(ModelError, match="0 positives in 3 snapshots"):
        fit_calibrator(np.array([0.1, 0.2, 0.3]), np.array([0, 0, 0]), 500)
