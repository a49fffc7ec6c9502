"""Fixtures for the modeling tests: a generated snapshot table with a planted signal.

The table has the columns the feature stage produces, so the models can be
trained without an export. Expansion depends on usage, adoption, health and
segment through a known logistic formula.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from expansion_propensity.config import Config
from expansion_propensity.features import registry

SEGMENTS = ["SMB", "Mid-Market", "Enterprise"]
PLANS = ["Basic", "Pro", "Enterprise"]
INDUSTRIES = ["Retail", "Finance", "Health", "Software"]


def make_snapshots(n_accounts: int = 300, months: int = 24, seed: int = 0) -> pd.DataFrame:
    """Return a snapshot table: every registry feature, label, expansion_amount, type and split."""
    rng = np.random.default_rng(seed)
    n = n_accounts * months
    dates = pd.date_range("2023-01-01", periods=months, freq="MS")
    frame = pd.DataFrame(
        {
            "account_id": np.repeat([f"A{i:04d}" for i in range(n_accounts)], months),
            "snapshot_date": np.tile(dates.to_numpy(), n_accounts),
        }
    )
    for name in registry.feature_names():
        frame[name] = rng.gamma(2.0, 10.0, n)
    frame["no_usage_data"] = (rng.random(n) < 0.05).astype(float)
    frame["no_survey_data"] = (rng.random(n) < 0.2).astype(float)
    frame.loc[frame["no_survey_data"] == 1, "nps_latest"] = np.nan
    frame["segment"] = pd.Series(rng.choice(SEGMENTS, n), dtype=object)
    frame["plan_tier"] = pd.Series(rng.choice(PLANS, n), dtype=object)
    frame["industry"] = pd.Series(rng.choice(INDUSTRIES, n), dtype=object)
    frame["arr"] = rng.lognormal(9.5, 0.8, n)

    def z(column: str) -> np.ndarray:
        values = frame[column].fillna(frame[column].mean())
        return ((values - values.mean()) / values.std()).to_numpy()

    logit = (
        -2.2
        + 0.9 * z("usage_events_30d")
        + 0.7 * z("feature_breadth")
        - 0.6 * z("tickets_90d")
        + 0.8 * (frame["segment"] == "Enterprise").to_numpy()
    )
    labels = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    frame["label"] = pd.array(labels, dtype="Int8")
    frame["expansion_amount"] = np.where(labels == 1, frame["arr"] * rng.lognormal(-1.2, 0.3, n), 0)
    frame["expansion_type"] = np.where(labels == 1, "seats", "none")

    month = frame["snapshot_date"].dt.to_period("M").astype(int)
    month -= month.min()
    split = np.select(
        [month < months - 13, month < months - 10, month < months - 7, month < months - 4],
        ["train", "validation", "calibration", "test"],
        default="gap",
    )
    split = np.where(month == months - 1, "score", split)
    frame["split"] = split
    unlabelled = np.isin(split, ["gap", "score"])
    frame["label"] = frame["label"].mask(unlabelled)
    return frame


@pytest.fixture(scope="session")
def snapshots() -> pd.DataFrame:
    return make_snapshots()


@pytest.fixture(scope="session")
def fast_config() -> Config:
    """Defaults with a small learning budget, so a model trains in a second or two."""
    return Config.model_validate(
        {
            "lightgbm": {
                "n_estimators": 300,
                "learning_rate": 0.08,
                "min_child_samples": 20,
                "early_stopping_rounds": 30,
            },
            "calibration": {"isotonic_min_positives": 100},
            "tuning": {"n_trials": 3, "timeout_seconds": 60},
        }
    )


@pytest.fixture(scope="session")
def trained(snapshots, fast_config):
    """Models fitted on the generated table, without MLflow."""
    from expansion_propensity.modeling.fit import fit_models, split_periods

    periods = split_periods(snapshots)
    return periods, fit_models(periods, fast_config)


def use_project(monkeypatch: pytest.MonkeyPatch, root) -> None:
    """Point the project root, working folder and MLflow store at ``root``."""
    for sub in ("data/raw", "data/interim", "data/processed", "data/scores", "models"):
        (root / sub).mkdir(parents=True, exist_ok=True)
    monkeypatch.setenv("EXPANSION_ROOT", str(root))
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{root / 'mlflow.db'}")
    monkeypatch.setenv("MLFLOW_DISABLE_TELEMETRY", "true")
    monkeypatch.chdir(root)


@pytest.fixture(scope="module")
def tracked_project(tmp_path_factory, snapshots, fast_config):
    """A project where one training ran: MLflow store, registered model and exported champion."""
    import mlflow

    from expansion_propensity import paths
    from expansion_propensity.modeling.train import train_from_snapshots

    root = tmp_path_factory.mktemp("tracked")
    with pytest.MonkeyPatch.context() as monkeypatch:
        use_project(monkeypatch, root)
        result = train_from_snapshots(
            snapshots, fast_config, paths.champion_dir(), data_fingerprint="fixture-export"
        )
        yield root, result
        # MLflow keeps the URI in a module global; clear it so later tests start clean.
        mlflow.set_tracking_uri(None)
