"""Scoring fixtures: hand-made feature frames and a small model bundle trained on them.

``FixtureBundle`` implements the model bundle interface that scoring reads
(prepare, unseen_categories, raw_score, predict_proba, contributions, formula,
predict_potential) over a real LightGBM booster, so explanation code is tested
against the library itself without the training stage.
"""

from __future__ import annotations

import lightgbm as lgb
import numpy as np
import pandas as pd
import pytest

from expansion_propensity.errors import ModelError
from expansion_propensity.features import registry

CATEGORY_VALUES = {
    "segment": ["SMB", "Mid-Market", "Enterprise"],
    "plan_tier": ["Basic", "Pro", "Enterprise"],
    "industry": ["Software", "Retail", "Health", "Finance"],
}


def make_features(n_accounts: int, seed: int = 0) -> pd.DataFrame:
    """Return a frame of account_id plus every registry feature with plausible values."""
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({"account_id": [f"A-{i:05d}" for i in range(n_accounts)]})

    for feature in registry.FEATURES:
        if feature.kind == registry.CATEGORICAL:
            frame[feature.name] = pd.array(
                rng.choice(CATEGORY_VALUES[feature.name], n_accounts), dtype="string"
            )
        elif feature.kind == registry.INDICATOR:
            frame[feature.name] = (rng.random(n_accounts) < 0.1).astype("float64")
        elif feature.unit == "share":
            frame[feature.name] = rng.random(n_accounts)
        else:
            frame[feature.name] = rng.gamma(2.0, 10.0, n_accounts)

    frame["arr"] = np.round(rng.lognormal(9.8, 1.0, n_accounts), 0)
    frame["seats"] = rng.integers(1, 200, n_accounts).astype("float64")
    frame["products"] = rng.integers(1, 4, n_accounts).astype("float64")

    # Some gaps, as in real exports: missing surveys and missing ticket satisfaction.
    frame.loc[rng.random(n_accounts) < 0.2, "nps_latest"] = np.nan
    frame.loc[rng.random(n_accounts) < 0.2, "ticket_satisfaction"] = np.nan
    return frame


class FixtureBundle:
    """The scoring side of the model bundle interface over a real LightGBM booster."""

    def __init__(self, booster: lgb.Booster, categories: dict[str, list[str]]):
        self.feature_columns = registry.feature_names()
        self.categorical_columns = registry.categorical_features()
        self.categories = categories
        self.booster = booster
        self.calibration_method = "sigmoid"
        self.metadata = {"trained_at": "2026-01-01T00:00:00+00:00", "data_fingerprint": "abc"}

    def prepare(self, X: pd.DataFrame) -> pd.DataFrame:
        missing = [column for column in self.feature_columns if column not in X.columns]
        if missing:
            raise ModelError(f"input lacks model feature columns {missing}")
        prepared = X[self.feature_columns].copy()
        for column in self.feature_columns:
            if column in self.categorical_columns:
                # Unseen values become missing first: pandas deprecates passing
                # values outside the categories to the constructor.
                values = prepared[column].astype(object)
                values = values.where(values.isin(self.categories[column]))
                prepared[column] = pd.Categorical(values, categories=self.categories[column])
            else:
                prepared[column] = prepared[column].astype("float64")
        return prepared

    def unseen_categories(self, X: pd.DataFrame) -> dict[str, dict[str, int]]:
        unseen = {}
        for column in self.categorical_columns:
            values = X[column].dropna().astype(str)
            counts = values[~values.isin(self.categories[column])].value_counts()
            unseen[column] = {str(k): int(v) for k, v in counts.items()}
        return unseen

    def raw_score(self, X) -> np.ndarray:
        return self.booster.predict(self.prepare(X), raw_score=True)

    def predict_proba(self, X) -> np.ndarray:
        return 1.0 / (1.0 + np.exp(-self.raw_score(X)))

    def contributions(self, X) -> pd.DataFrame:
        values = self.booster.predict(self.prepare(X), pred_contrib=True)
        return pd.DataFrame(values, columns=[*self.feature_columns, "base_value"])

    def formula(self, X) -> pd.DataFrame:
        prepared = self.prepare(X)
        components = {
            pillar: prepared[[f.name for f in registry.formula_features(pillar)]]
            .rank(pct=True)
            .mean(axis=1)
            .fillna(0.5)
            * 100
            for pillar in registry.FORMULA_PILLARS
        }
        frame = pd.DataFrame(components).reset_index(drop=True)
        frame["expansion_score"] = (
            0.30 * frame["tenure"]
            + 0.25 * frame["usage"]
            + 0.20 * frame["adoption"]
            + 0.25 * frame["health"]
        )
        frame["baseline_probability"] = frame["expansion_score"] / 100 * 0.4
        return frame

    def predict_potential(self, X) -> np.ndarray:
        return self.prepare(X)["arr"].to_numpy() * 0.8 + 2_000.0


def train_fixture_bundle(seed: int = 0) -> FixtureBundle:
    """Train a 60-tree booster on 3,000 generated accounts with a known signal."""
    frame = make_features(3_000, seed)
    rng = np.random.default_rng(seed + 1)
    signal = (
        3.0 * frame["seat_utilisation"]
        + 0.05 * frame["premium_features_90d"]
        - 0.03 * frame["tickets_90d"]
        + (frame["segment"] == "Enterprise").astype(float)
    )
    label = (rng.random(len(frame)) < 1 / (1 + np.exp(-(signal - 2.0)))).astype(int)

    bundle = FixtureBundle(None, {k: list(v) for k, v in CATEGORY_VALUES.items()})
    params = {
        "objective": "binary",
        "num_leaves": 15,
        "learning_rate": 0.1,
        "min_data_in_leaf": 20,
        "verbose": -1,
        "seed": seed,
        "deterministic": True,
        "num_threads": 2,
    }
    dataset = lgb.Dataset(
        bundle.prepare(frame), label, categorical_feature=bundle.categorical_columns
    )
    bundle.booster = lgb.train(params, dataset, num_boost_round=60)
    return bundle


@pytest.fixture(scope="session")
def fixture_bundle() -> FixtureBundle:
    return train_fixture_bundle()


@pytest.fixture
def features() -> pd.DataFrame:
    return make_features(400, seed=7)


@pytest.fixture
def feature_factory():
    """The generator behind ``features``, for tests that need another size or seed."""
    return make_features


def train_constant_bundle(seed: int = 0) -> FixtureBundle:
    """Train a booster that cannot split, so every account gets the same score.

    ``min_data_in_leaf`` above the row count leaves every tree a single leaf, as
    when training finds no signal: all SHAP contributions are then zero.
    """
    frame = make_features(200, seed)
    label = np.random.default_rng(seed).integers(0, 2, len(frame))
    bundle = FixtureBundle(None, {k: list(v) for k, v in CATEGORY_VALUES.items()})
    params = {"objective": "binary", "min_data_in_leaf": 1_000, "verbose": -1, "num_threads": 2}
    dataset = lgb.Dataset(
        bundle.prepare(frame), label, categorical_feature=bundle.categorical_columns
    )
    bundle.booster = lgb.train(params, dataset, num_boost_round=5)
    return bundle


class SteppedBundle(FixtureBundle):
    """A bundle whose calibration rounds the probability to one decimal.

    Like isotonic calibration, the step function is monotone in the raw score
    but maps many raw scores to the same probability, so propensities tie.
    """

    def predict_proba(self, X) -> np.ndarray:
        return np.round(super().predict_proba(X), 1)


@pytest.fixture(scope="session")
def constant_bundle() -> FixtureBundle:
    return train_constant_bundle()


@pytest.fixture(scope="session")
def stepped_bundle(fixture_bundle) -> SteppedBundle:
    return SteppedBundle(fixture_bundle.booster, fixture_bundle.categories)
