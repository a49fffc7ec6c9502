"""Fit the three models on a snapshot table's periods, without any tracking side effects."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime

import numpy as np
import pandas as pd

from expansion_propensity.config import Config
from expansion_propensity.errors import ModelError
from expansion_propensity.features import registry
from expansion_propensity.modeling.baseline import WeightedFormulaBaseline
from expansion_propensity.modeling.bundle import ModelBundle
from expansion_propensity.modeling.calibration import fit_calibrator
from expansion_propensity.modeling.lgbm import (
    LightGBMFit,
    fit_lightgbm,
    learn_categories,
    to_model_frame,
)
from expansion_propensity.modeling.potential import ExpansionPotentialModel

logger = logging.getLogger(__name__)

PERIODS = ("train", "validation", "calibration", "test")
REQUIRED_COLUMNS = ["account_id", "snapshot_date", "label", "expansion_amount", "split"]


@dataclass
class Periods:
    """Labelled snapshots of each split: features plus ``label`` as int."""

    train: pd.DataFrame
    validation: pd.DataFrame
    calibration: pd.DataFrame
    test: pd.DataFrame

    def labels(self, period: str) -> np.ndarray:
        return getattr(self, period)["label"].to_numpy(dtype=int)


@dataclass
class TrainedModels:
    bundle: ModelBundle
    lightgbm: LightGBMFit
    tuned_params: dict = field(default_factory=dict)
    tuning_run_id: str | None = None


def split_periods(table: pd.DataFrame) -> Periods:
    """Return the labelled rows of each period; raise ModelError when a column or period is missing."""
    missing = [
        column
        for column in [*REQUIRED_COLUMNS, *registry.feature_names()]
        if column not in table.columns
    ]
    if missing:
        raise ModelError(
            f"the snapshot table lacks columns {missing}; rebuild it with `expansion features`"
        )

    labelled = table[table["label"].notna()].copy()
    labelled["label"] = labelled["label"].astype(int)
    frames = {}
    for period in PERIODS:
        rows = labelled[labelled["split"] == period].reset_index(drop=True)
        if rows.empty:
            counts = table["split"].value_counts().to_dict()
            raise ModelError(
                f"the snapshot table has no labelled {period!r} rows (rows per split: {counts}); "
                "use an export with more months of history or shorten the config's splits"
            )
        frames[period] = rows
    logger.info(
        "Labelled snapshots per period: %s",
        {period: len(frame) for period, frame in frames.items()},
    )
    return Periods(**frames)


def fit_baseline(periods: Periods, config: Config) -> WeightedFormulaBaseline:
    """Fit the formula's percentiles on training rows and its calibrator on calibration rows."""
    baseline = WeightedFormulaBaseline(weights=dict(config.baseline.weights))
    return baseline.fit(
        periods.train,
        periods.labels("train"),
        X_calibration=periods.calibration,
        y_calibration=periods.labels("calibration"),
    )


def fit_potential(periods: Periods, config: Config) -> ExpansionPotentialModel:
    """Fit the potential model on every past expansion before the test period."""
    past = pd.concat([periods.train, periods.validation, periods.calibration], ignore_index=True)
    amounts = pd.to_numeric(past["expansion_amount"], errors="coerce").fillna(0.0)
    expanded = past[(past["label"] == 1) & (amounts > 0)]
    logger.info("Fitting expansion potential on %d past expansions", len(expanded))
    model = ExpansionPotentialModel(random_state=config.seed)
    return model.fit(expanded, expanded["expansion_amount"].to_numpy(dtype=float))


def fit_models(
    periods: Periods, config: Config, tune: bool = False, metadata: dict | None = None
) -> TrainedModels:
    """Fit the baseline, LightGBM (with calibration) and potential models into one bundle."""
    feature_columns = registry.feature_names()
    categorical_columns = registry.categorical_features()
    categories = learn_categories(periods.train, categorical_columns)

    logger.info("Fitting the weighted-formula baseline")
    baseline = fit_baseline(periods, config)

    frames = {
        period: to_model_frame(getattr(periods, period), feature_columns, categories)
        for period in PERIODS
    }
    tuned = {}
    tuning_run_id = None
    if tune:
        from expansion_propensity.modeling.tuning import tune_lightgbm

        logger.info("Tuning LightGBM with Optuna (%d trials at most)", config.tuning.n_trials)
        tuned, tuning_run_id = tune_lightgbm(
            frames["train"],
            periods.labels("train"),
            frames["validation"],
            periods.labels("validation"),
            config,
        )

    logger.info("Fitting LightGBM on %d training snapshots", len(frames["train"]))
    lightgbm = fit_lightgbm(
        frames["train"],
        periods.labels("train"),
        frames["validation"],
        periods.labels("validation"),
        config,
        overrides=tuned,
    )
    raw_calibration = lightgbm.booster.predict(frames["calibration"], raw_score=True)
    calibrator = fit_calibrator(
        raw_calibration,
        periods.labels("calibration"),
        config.calibration.isotonic_min_positives,
    )

    potential = fit_potential(periods, config)

    bundle = ModelBundle(
        feature_columns=feature_columns,
        categorical_columns=categorical_columns,
        categories=categories,
        booster=lightgbm.booster,
        calibrator=calibrator,
        calibration_method=calibrator.method,
        baseline=baseline,
        potential=potential,
        metadata={
            "trained_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "best_iteration": lightgbm.best_iteration,
            "calibration_reason": calibrator.reason,
            # The champion gate compares only on later snapshots than this one.
            "fitted_through": _last_fitted_date(periods),
            **(metadata or {}),
        },
    )
    return TrainedModels(
        bundle=bundle, lightgbm=lightgbm, tuned_params=tuned, tuning_run_id=tuning_run_id
    )


def _last_fitted_date(periods: Periods) -> str:
    """Return the latest snapshot date the models were fitted, stopped or calibrated on."""
    fitted = [periods.train, periods.validation, periods.calibration]
    latest = max(pd.Timestamp(frame["snapshot_date"].max()) for frame in fitted)
    return latest.date().isoformat()
