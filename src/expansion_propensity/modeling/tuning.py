"""Optuna tuning of LightGBM on the time-based validation period (`expansion train --tune`).

Every trial trains on the training period and is scored by average precision
on the later validation period, never on shuffled folds, so no trial is scored
on rows older than its training rows. The search is one MLflow run and each trial a run nested in it.
"""

from __future__ import annotations

import logging

import mlflow
import numpy as np
import optuna
import pandas as pd
from sklearn.metrics import average_precision_score

from expansion_propensity.config import Config
from expansion_propensity.modeling.lgbm import fit_lightgbm

logger = logging.getLogger(__name__)

TUNING_MODEL_TAG = "lightgbm-tuning"


def suggest_params(trial: optuna.Trial) -> dict:
    """Return one point of the search space: tree size, learning rate and regularisation."""
    return {
        "num_leaves": trial.suggest_int("num_leaves", 7, 127, log=True),
        "learning_rate": trial.suggest_float("learning_rate", 0.01, 0.1, log=True),
        "min_child_samples": trial.suggest_int("min_child_samples", 20, 500, log=True),
        "colsample_bytree": trial.suggest_float("colsample_bytree", 0.4, 1.0),
        "reg_lambda": trial.suggest_float("reg_lambda", 1e-3, 10.0, log=True),
    }


def tune_lightgbm(
    X_train: pd.DataFrame,
    y_train: np.ndarray,
    X_valid: pd.DataFrame,
    y_valid: np.ndarray,
    config: Config,
) -> tuple[dict, str]:
    """Search LightGBM parameters with seeded TPE.

    Returns the best trial's parameters and the id of the MLflow run that contains the trials.
    """

    def objective(trial: optuna.Trial) -> float:
        params = suggest_params(trial)
        with mlflow.start_run(run_name=f"trial-{trial.number}", nested=True):
            fit = fit_lightgbm(X_train, y_train, X_valid, y_valid, config, overrides=params)
            score = float(average_precision_score(y_valid, fit.booster.predict(X_valid)))
            mlflow.set_tag("model", "lightgbm-trial")
            mlflow.log_params(params)
            mlflow.log_metrics({"validation_pr_auc": score, "best_iteration": fit.best_iteration})
        return score

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(
        direction="maximize", sampler=optuna.samplers.TPESampler(seed=config.seed)
    )
    with mlflow.start_run(run_name="lightgbm-tuning") as parent:
        mlflow.set_tag("model", TUNING_MODEL_TAG)
        study.optimize(
            objective, n_trials=config.tuning.n_trials, timeout=config.tuning.timeout_seconds
        )
        mlflow.log_params(study.best_params)
        mlflow.log_metric("validation_pr_auc", study.best_value)
    logger.info(
        "Tuning finished after %d trials; best validation PR AUC %.4f with %s",
        len(study.trials),
        study.best_value,
        study.best_params,
    )
    return dict(study.best_params), parent.info.run_id
