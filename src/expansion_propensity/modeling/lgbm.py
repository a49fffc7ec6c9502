"""LightGBM on every registry feature, with early stopping on the validation period."""

from __future__ import annotations

import logging
from dataclasses import dataclass

import lightgbm as lgb
import numpy as np
import pandas as pd

from expansion_propensity.config import Config
from expansion_propensity.errors import ModelError

logger = logging.getLogger(__name__)


def learn_categories(frame: pd.DataFrame, columns: list[str]) -> dict[str, list[str]]:
    """Return the sorted distinct non-missing values of each categorical column."""
    categories = {}
    for column in columns:
        values = frame[column].dropna().astype(str).unique()
        categories[column] = sorted(values.tolist())
    return categories


def to_model_frame(
    X: pd.DataFrame,
    feature_columns: list[str],
    categories: dict[str, list[str]],
) -> pd.DataFrame:
    """Select and order the model columns and cast them to the dtypes the model was trained on.

    Categoricals become ``pd.Categorical`` over the training categories, so an
    unseen value is NaN (LightGBM's missing branch) and codes never shift.
    Numerics become float64. Raises ModelError naming any missing column.
    """
    missing = [column for column in feature_columns if column not in X.columns]
    if missing:
        raise ModelError(
            f"input is missing feature columns {missing}; the model needs all of "
            f"{len(feature_columns)} registry features, so rebuild the input with "
            "`expansion features` or pass the missing columns"
        )

    columns = {}
    for column in feature_columns:
        if column in categories:
            columns[column] = to_categorical(X[column], categories[column])
        else:
            columns[column] = pd.to_numeric(X[column], errors="coerce").astype(float)
    return pd.DataFrame(columns, index=X.index)


def to_categorical(values: pd.Series, categories: list[str]) -> pd.Categorical:
    """Return ``values`` as strings over a fixed category list; other values become NaN."""
    strings = values.astype("string")
    known = strings.isin(categories).fillna(False).astype(bool)
    return pd.Categorical(strings.where(known), categories=categories)


def lightgbm_params(config: Config, overrides: dict | None = None) -> dict:
    """Return LGBMClassifier keyword arguments from the config, with optional tuned overrides.

    ``deterministic`` and ``force_row_wise`` fix the histogram construction so
    the same data, config and thread count give identical trees.
    """
    settings = config.lightgbm
    params = {
        "objective": "binary",
        "n_estimators": settings.n_estimators,
        "learning_rate": settings.learning_rate,
        "num_leaves": settings.num_leaves,
        "min_child_samples": settings.min_child_samples,
        "subsample": settings.subsample,
        "subsample_freq": settings.subsample_freq,
        "colsample_bytree": settings.colsample_bytree,
        "reg_lambda": settings.reg_lambda,
        "n_jobs": settings.n_jobs,
        "random_state": config.seed,
        "deterministic": True,
        "force_row_wise": True,
        "verbose": -1,
    }
    params.update(overrides or {})
    return params


@dataclass
class LightGBMFit:
    booster: lgb.Booster
    best_iteration: int
    params: dict
    validation_logloss: float


def fit_lightgbm(
    X_train: pd.DataFrame,
    y_train: np.ndarray,
    X_valid: pd.DataFrame,
    y_valid: np.ndarray,
    config: Config,
    overrides: dict | None = None,
) -> LightGBMFit:
    """Fit LGBMClassifier with early stopping on the validation rows; return the trimmed booster.

    Both frames must already be model frames (see ``to_model_frame``).
    """
    _check_both_labels(y_train, "training")
    _check_both_labels(y_valid, "validation")

    params = lightgbm_params(config, overrides)
    model = lgb.LGBMClassifier(**params)
    model.fit(
        X_train,
        y_train,
        eval_X=(X_valid,),
        eval_y=(y_valid,),
        eval_metric="binary_logloss",
        callbacks=[lgb.early_stopping(config.lightgbm.early_stopping_rounds, verbose=False)],
    )

    best_iteration = int(model.best_iteration_ or model.n_estimators_)
    # Keep only the trees up to the best iteration, so every later predict,
    # raw score and SHAP contribution uses the same model.
    booster = lgb.Booster(model_str=model.booster_.model_to_string(num_iteration=best_iteration))
    valid_logloss = float(model.best_score_["valid_0"]["binary_logloss"])
    logger.info(
        "LightGBM stopped at %d trees (validation log loss %.4f)", best_iteration, valid_logloss
    )
    return LightGBMFit(booster, best_iteration, params, valid_logloss)


def _check_both_labels(labels: np.ndarray, period: str) -> None:
    values = np.unique(np.asarray(labels))
    if len(values) < 2:
        raise ModelError(
            f"the {period} period contains only label {values.tolist()} in {len(labels)} "
            "snapshots; LightGBM needs both outcomes, so use an export with more history or "
            "change the splits in the config"
        )
