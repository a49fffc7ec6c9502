"""MLflow runs of one training: baseline, LightGBM and potential, each with tags and artifacts."""

from __future__ import annotations

import logging
import tempfile
from pathlib import Path

import mlflow
import numpy as np
import pandas as pd
import yaml

from expansion_propensity.config import Config
from expansion_propensity.modeling import plots
from expansion_propensity.modeling.evaluate import Evaluation, decile_table
from expansion_propensity.modeling.fit import Periods, TrainedModels
from expansion_propensity.modeling.pyfunc import log_bundle

logger = logging.getLogger(__name__)

SHAP_SAMPLE_ROWS = 2000


def _finite(metrics: dict[str, float]) -> dict[str, float]:
    # MLflow rejects NaN only in some stores; leaving undefined metrics out is clearer.
    return {name: float(value) for name, value in metrics.items() if np.isfinite(value)}


def _log_common(config: Config, tags: dict[str, str], model: str, folder: Path) -> None:
    mlflow.set_tags({**tags, "model": model})
    config_file = folder / "config.yaml"
    config_file.write_text(yaml.safe_dump(config.to_dict(), sort_keys=True), encoding="utf-8")
    mlflow.log_artifact(str(config_file))


def comparison_plots(evaluation: Evaluation, folder: Path) -> list[Path]:
    """Write the calibration, cumulative gains and lift plots shared by both classifiers."""
    labels = evaluation.labels
    return [
        plots.plot_calibration(labels, evaluation.probabilities, folder / "calibration.png"),
        plots.plot_cumulative_gains(labels, evaluation.probabilities, folder / "gains.png"),
        plots.plot_lift_by_decile(labels, evaluation.probabilities, folder / "lift_by_decile.png"),
    ]


def _model_metrics(evaluation: Evaluation, model: str) -> dict[str, float]:
    metrics = dict(evaluation.metrics[model])
    gaps = evaluation.auc_gaps()
    if model in gaps:
        metrics["auc_gap_to_oracle"] = gaps[model]
        metrics["oracle_roc_auc"] = evaluation.metrics["oracle"]["roc_auc"]
        metrics["oracle_missing_rows"] = float(evaluation.oracle_missing_rows)
    return _finite(metrics)


def _log_decile_table(evaluation: Evaluation, model: str, folder: Path) -> None:
    path = folder / f"deciles_{model}.csv"
    decile_table(evaluation.labels, evaluation.probabilities[model]).to_csv(path, index=False)
    mlflow.log_artifact(str(path))


def log_baseline_run(
    config: Config, tags: dict[str, str], evaluation: Evaluation, shared_plots: list[Path]
) -> str:
    """Log the weighted-formula baseline's run; return its run id."""
    with mlflow.start_run(run_name="baseline") as run, tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        _log_common(config, tags, "baseline", folder)
        mlflow.log_params({f"weight_{pillar}": w for pillar, w in config.baseline.weights.items()})
        mlflow.log_metrics(_model_metrics(evaluation, "baseline"))
        _log_decile_table(evaluation, "baseline", folder)
        for path in shared_plots:
            mlflow.log_artifact(str(path), artifact_path="plots")
    return run.info.run_id


def _explain_sample(models: TrainedModels, periods: Periods, seed: int) -> pd.DataFrame:
    test = periods.test
    if len(test) > SHAP_SAMPLE_ROWS:
        test = test.sample(SHAP_SAMPLE_ROWS, random_state=seed).sort_index()
    return test


def lightgbm_plots(
    models: TrainedModels, periods: Periods, config: Config, folder: Path
) -> tuple[list[Path], pd.Series]:
    """Write the SHAP summary and pillar-share plots; return them and the pillar shares.

    SHAP values come from a seeded sample of at most 2,000 test rows, because
    exact TreeSHAP costs about a millisecond per row.
    """
    bundle = models.bundle
    sample = _explain_sample(models, periods, config.seed)
    contributions = bundle.contributions(sample)
    shares = plots.pillar_importance(contributions)
    written = [
        plots.plot_shap_summary(contributions, bundle.prepare(sample), folder / "shap_summary.png"),
        plots.plot_pillar_importance(
            shares, dict(config.baseline.weights), folder / "pillar_importance.png"
        ),
    ]
    return written, shares


def log_lightgbm_run(
    models: TrainedModels,
    periods: Periods,
    config: Config,
    tags: dict[str, str],
    evaluation: Evaluation,
    shared_plots: list[Path],
) -> tuple[str, str | None]:
    """Log the LightGBM run, its plots and its pyfunc model, registered under the config's name.

    Returns the run id and the registered model version.
    """
    bundle = models.bundle
    with mlflow.start_run(run_name="lightgbm") as run, tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        _log_common(config, tags, "lightgbm", folder)
        params = {k: v for k, v in models.lightgbm.params.items() if k != "verbose"}
        mlflow.log_params(
            {
                **params,
                "best_iteration": models.lightgbm.best_iteration,
                "calibration_method": bundle.calibration_method,
                "tuned": bool(models.tuned_params),
            }
        )
        mlflow.set_tag("calibration_reason", bundle.calibrator.reason)
        if models.tuning_run_id is not None:
            mlflow.set_tag("tuning_run_id", models.tuning_run_id)
        mlflow.log_metrics(_model_metrics(evaluation, "lightgbm"))
        _log_decile_table(evaluation, "lightgbm", folder)

        logger.info("Computing SHAP contributions for the summary plots")
        written, shares = lightgbm_plots(models, periods, config, folder)
        mlflow.log_metrics({f"pillar_share_{pillar}": share for pillar, share in shares.items()})
        for path in [*shared_plots, *written]:
            mlflow.log_artifact(str(path), artifact_path="plots")

        bundle.metadata.update({"run_id": run.info.run_id, "test_metrics": evaluation.metrics})
        logger.info("Logging and registering the model as %s", config.tracking.registered_model)
        info = log_bundle(bundle, periods.test, config.tracking.registered_model)
        version = info.registered_model_version
        if version is not None:
            mlflow.set_tag("model_version", str(version))
    return run.info.run_id, None if version is None else str(version)


def log_potential_run(
    config: Config, tags: dict[str, str], models: TrainedModels, evaluation: Evaluation
) -> str:
    """Log the expansion potential model's run; return its run id."""
    potential = models.bundle.potential
    with mlflow.start_run(run_name="potential") as run, tempfile.TemporaryDirectory() as tmp:
        _log_common(config, tags, "potential", Path(tmp))
        mlflow.log_params({"method": potential.method_, "ratio_rule": potential.ratio_})
        mlflow.log_metrics(_finite(evaluation.potential_metrics))
    return run.info.run_id
