"""The champion gate, unit by unit and across real trainings in one registry."""

from __future__ import annotations

import mlflow
import numpy as np
import pandas as pd
import pytest
from mlflow import MlflowClient

from expansion_propensity import paths
from expansion_propensity.config import Config
from expansion_propensity.errors import InputError
from expansion_propensity.modeling import train
from expansion_propensity.modeling.bundle import load_bundle
from expansion_propensity.modeling.champion import decide
from expansion_propensity.modeling.evaluate import classification_metrics, evaluate_models
from expansion_propensity.modeling.train import train_from_snapshots


def test_gate_promotes_when_beating_both():
    decision = decide("pr_auc", 0.40, 0.20, champion_value=0.35, champion_version="3")

    assert decision.promoted
    assert decision.alias == "champion"
    assert "beats the baseline's 0.2000 and champion version 3's 0.3500" in decision.reason


def test_gate_rejects_model_losing_to_baseline():
    decision = decide("pr_auc", 0.18, 0.20)

    assert not decision.promoted
    assert decision.alias == "challenger"
    assert "does not beat the weighted-formula baseline's 0.2000" in decision.reason


def test_gate_rejects_tie_with_champion():
    decision = decide("pr_auc", 0.35, 0.20, champion_value=0.35, champion_version="2")

    assert not decision.promoted
    assert "does not beat the current champion (version 2)" in decision.reason


def test_gate_rejects_constant_model():
    decision = decide("pr_auc", 0.45, 0.40, constant=True)

    assert not decision.promoted
    assert decision.alias == "challenger"
    assert "gives every test snapshot the same probability" in decision.reason


@pytest.mark.parametrize(
    ("new", "baseline", "champion"),
    [(np.nan, np.nan, None), (np.nan, np.nan, 0.7), (np.nan, 0.6, None)],
    ids=["both-nan", "nan-vs-champion", "nan-vs-baseline"],
)
def test_gate_rejects_nan_metric(new, baseline, champion):
    # A one-class test period gives every model a NaN ROC AUC.
    decision = decide("roc_auc", new, baseline, champion_value=champion, champion_version="1")

    assert not decision.promoted
    assert decision.alias == "challenger"


def test_gate_nan_rival_loses_to_finite_value():
    assert decide("roc_auc", 0.7, np.nan).promoted


def test_constant_calibrated_model_not_exported(trained, fast_config, tmp_path, monkeypatch):
    periods, models = trained
    labels = periods.labels("test")
    base_rate = labels.mean()
    # Isotonic calibration can map every test row to one step. A constant base rate then beats
    # a badly calibrated baseline on Brier score, but it cannot rank accounts.
    evaluation = evaluate_models(
        labels,
        {
            "baseline": np.where(labels == 1, 0.05, 0.6),
            "lightgbm": np.full(len(labels), base_rate),
        },
    )
    config = Config.model_validate(
        {**fast_config.to_dict(), "tracking": {"champion_metric": "brier"}}
    )
    monkeypatch.setattr(train, "rescore_champion", lambda *args: None)
    monkeypatch.setattr(train, "_registry_champion", lambda *args: None)
    assert np.ptp(models.bundle.raw_score(periods.test)) > 0

    out = tmp_path / "champion"
    decision, exported = train.gate_and_export(models, periods, evaluation, None, config, out)
    assert not decision.promoted
    assert "same probability" in decision.reason
    assert exported is None
    assert not (out / "MLmodel").exists()


def test_gate_lower_is_better_metric():
    assert decide("brier", 0.08, 0.10).promoted
    assert not decide("brier", 0.12, 0.10).promoted


def _config(fast_config: Config, **lightgbm) -> Config:
    return fast_config.model_copy(
        update={"lightgbm": fast_config.lightgbm.model_copy(update=lightgbm)}
    )


@pytest.mark.slow
def test_gate_across_trainings(project, snapshots, fast_config):
    weak = _config(fast_config, n_estimators=5, num_leaves=2, learning_rate=0.1)
    name = fast_config.tracking.registered_model

    first = train_from_snapshots(snapshots, weak, paths.champion_dir())
    assert first.decision.promoted
    client = MlflowClient()  # after training, which points MLflow at this project
    exported_at = (paths.champion_dir() / "MLmodel").stat().st_mtime_ns

    better = train_from_snapshots(snapshots, fast_config, paths.champion_dir())
    assert better.decision.promoted
    assert better.decision.champion_version == "1"
    assert str(client.get_model_version_by_alias(name, "champion").version) == "2"
    assert (paths.champion_dir() / "MLmodel").stat().st_mtime_ns > exported_at

    worse = train_from_snapshots(snapshots, weak, paths.champion_dir())
    assert not worse.decision.promoted
    assert worse.exported_to is None
    assert (paths.champion_dir() / "MLmodel").stat().st_mtime_ns > exported_at
    assert "does not beat the current champion (version 2)" in worse.decision.reason
    assert str(client.get_model_version_by_alias(name, "champion").version) == "2"
    challenger = client.get_model_version_by_alias(name, "challenger")
    assert str(challenger.version) == "3"
    assert challenger.tags["gate_reason"] == worse.decision.reason

    # The same data, config and seed log identical metrics, bit for bit.
    for model in ("baseline", "lightgbm", "potential"):
        first_metrics = client.get_run(first.run_ids[model]).data.metrics
        assert first_metrics
        assert client.get_run(worse.run_ids[model]).data.metrics == first_metrics

    # A new export folder receives the current champion, not the challenger.
    other = project / "elsewhere"
    again = train_from_snapshots(snapshots, weak, other)
    assert not again.decision.promoted
    assert again.exported_to == other
    exported_bundle, _ = load_bundle(other)
    assert exported_bundle.metadata["run_id"] == better.run_ids["lightgbm"]
    mlflow.set_tracking_uri(None)


@pytest.mark.slow
def test_tuning_logs_nested_trials(project, snapshots, fast_config):
    result = train_from_snapshots(snapshots, fast_config, paths.champion_dir(), tune=True)

    search = result.models.tuning_run_id
    trials = mlflow.search_runs(filter_string=f"tags.mlflow.parentRunId = '{search}'")
    assert len(trials) == fast_config.tuning.n_trials
    assert (trials["tags.model"] == "lightgbm-trial").all()
    parent = result.run_ids["lightgbm"]
    assert MlflowClient().get_run(parent).data.tags["tuning_run_id"] == search
    assert set(result.models.tuned_params) == {
        "num_leaves",
        "learning_rate",
        "min_child_samples",
        "colsample_bytree",
        "reg_lambda",
    }
    params = MlflowClient().get_run(parent).data.params
    assert params["tuned"] == "True"
    assert params["num_leaves"] == str(result.models.tuned_params["num_leaves"])
    mlflow.set_tracking_uri(None)


def test_unknown_champion_metric_raises(project, snapshots, fast_config):
    config = fast_config.model_copy(
        update={"tracking": fast_config.tracking.model_copy(update={"champion_metric": "f1"})}
    )

    with pytest.raises(InputError, match="champion_metric 'f1' is not a test metric"):
        train_from_snapshots(snapshots, config, paths.champion_dir())


@pytest.mark.slow
def test_scoring_model_follows_data_source(project, snapshots, fast_config):
    # No leaf can hold this many rows, so the model is constant and stays challenger.
    weak = _config(fast_config, min_child_samples=1_000_000)
    name = fast_config.tracking.registered_model

    demo = train_from_snapshots(snapshots, fast_config, paths.champion_dir(), data_source="demo")
    assert demo.decision.promoted
    client = MlflowClient()  # after training, which points MLflow at this project

    # With no model of its own, a new export scores with the champion.
    fallback, fallback_info = load_bundle(config=fast_config, data_source="acme")
    assert fallback_info["data_source"] == "demo"
    assert fallback.metadata["run_id"] == demo.run_ids["lightgbm"]

    # A model of another source is not compared with the demo champion.
    acme = train_from_snapshots(snapshots, weak, paths.champion_dir(), data_source="acme")
    assert acme.decision.champion_version is None
    assert not acme.decision.promoted
    assert client.get_model_version(name, acme.model_version).tags["data_source"] == "acme"

    bundle, info = load_bundle(config=fast_config, data_source="acme")
    assert info["model_version"] == acme.model_version
    assert info["not_champion_reason"] == acme.decision.reason
    assert bundle.metadata["run_id"] == acme.run_ids["lightgbm"]

    champion_bundle, champion_info = load_bundle(config=fast_config, data_source="demo")
    assert champion_info["model_version"] == demo.model_version
    assert champion_bundle.metadata["run_id"] == demo.run_ids["lightgbm"]

    # With no champion and no version of its own, the exported folder scores.
    client.delete_registered_model_alias(name, "champion")
    _, folder_info = load_bundle(config=fast_config, data_source="other")
    assert folder_info["source"] == str(paths.champion_dir())
    mlflow.set_tracking_uri(None)


@pytest.mark.slow
def test_gate_skips_rows_champion_fitted_on(project, snapshots, fast_config):
    first = train_from_snapshots(snapshots, fast_config, paths.champion_dir())
    assert first.decision.promoted

    # Move every period three months earlier, so the new test period starts
    # inside the champion's calibration period.
    month = snapshots["snapshot_date"].dt.to_period("M").astype(int)
    month = month - month.min()
    earlier = snapshots.copy()
    earlier["split"] = np.select(
        [month < 8, month < 11, month < 14, month < 20],
        ["train", "validation", "calibration", "test"],
        default="gap",
    )
    earlier.loc[month == month.max(), "split"] = "score"
    second = train_from_snapshots(earlier, fast_config, paths.champion_dir())

    fitted_through = pd.Timestamp(first.models.bundle.metadata["fitted_through"])
    assert fitted_through == snapshots.loc[month == 16, "snapshot_date"].iloc[0]
    test = earlier[earlier["split"] == "test"].reset_index(drop=True)
    unseen = test["snapshot_date"] > fitted_through
    assert 0 < unseen.sum() < len(test)
    expected = classification_metrics(
        test.loc[unseen, "label"].astype(int).to_numpy(),
        first.models.bundle.predict_proba(test[unseen]),
    )["pr_auc"]
    assert second.decision.champion_value == pytest.approx(expected)
    mlflow.set_tracking_uri(None)
