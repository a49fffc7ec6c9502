"""`expansion train`: load, build snapshots, fit, evaluate, log, register, gate and export."""

from __future__ import annotations

import logging
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from expansion_propensity import paths
from expansion_propensity.config import Config
from expansion_propensity.errors import InputError
from expansion_propensity.modeling import runs
from expansion_propensity.modeling.bundle import _registry_champion
from expansion_propensity.modeling.champion import GateDecision, decide, rescore_champion, set_alias
from expansion_propensity.modeling.evaluate import (
    METRIC_NAMES,
    Evaluation,
    classification_metrics,
    evaluate_models,
)
from expansion_propensity.modeling.fit import Periods, TrainedModels, fit_models, split_periods
from expansion_propensity.modeling.oracle import find_truth, oracle_probabilities
from expansion_propensity.modeling.potential import potential_metrics
from expansion_propensity.modeling.pyfunc import save_bundle
from expansion_propensity.modeling.summary import print_summary
from expansion_propensity.tracking import data_source_key, ensure_experiment, git_commit

logger = logging.getLogger(__name__)


@dataclass
class TrainResult:
    """Output of one training: models, test-period results, MLflow ids and the gate decision."""

    models: TrainedModels
    evaluation: Evaluation
    run_ids: dict[str, str]
    model_version: str | None
    decision: GateDecision
    exported_to: Path | None
    elapsed_seconds: float
    registered_model: str = ""


def evaluate_on_test(
    models: TrainedModels, periods: Periods, truth_file: Path | None
) -> Evaluation:
    """Score the test rows with both classifiers, the oracle and the potential model."""
    bundle = models.bundle
    test = periods.test
    probabilities = {
        "baseline": bundle.baseline.predict_proba(test)[:, 1],
        "lightgbm": bundle.predict_proba(test),
    }
    oracle = oracle_probabilities(truth_file, test) if truth_file is not None else None
    evaluation = evaluate_models(periods.labels("test"), probabilities, oracle)

    amounts = pd.to_numeric(test["expansion_amount"], errors="coerce").fillna(0.0)
    expanded = test[(test["label"] == 1) & (amounts > 0)]
    if len(expanded):
        evaluation.potential_metrics = potential_metrics(
            expanded["expansion_amount"].to_numpy(dtype=float),
            bundle.predict_potential(expanded),
        )
    return evaluation


def _check_metric(config: Config) -> None:
    metric = config.tracking.champion_metric
    if metric not in METRIC_NAMES:
        raise InputError(
            f"tracking.champion_metric {metric!r} is not a test metric; choose one of "
            f"{sorted(METRIC_NAMES)}"
        )


def gate_and_export(
    models: TrainedModels,
    periods: Periods,
    evaluation: Evaluation,
    version: str | None,
    config: Config,
    out: Path,
) -> tuple[GateDecision, Path | None]:
    """Apply the champion gate to the new version and export it when it becomes champion."""
    metric = config.tracking.champion_metric
    data_source = models.bundle.metadata.get("data_source")
    labels = periods.labels("test")
    current = rescore_champion(config, periods.test, labels, data_source)
    new_value = evaluation.metrics["lightgbm"][metric]
    baseline_value = evaluation.metrics["baseline"][metric]
    if current is not None and not current.rows.all():
        # The champion was scored on fewer rows, so its rivals are too.
        new_value, baseline_value = (
            classification_metrics(
                labels[current.rows], evaluation.probabilities[name][current.rows]
            )[metric]
            for name in ("lightgbm", "baseline")
        )
    decision = decide(
        metric,
        new_value,
        baseline_value,
        champion_value=None if current is None else current.value,
        champion_version=None if current is None else current.version,
        # The calibrated probabilities are what gets ranked; isotonic calibration
        # can map a varying raw score to one value.
        constant=bool(np.ptp(evaluation.probabilities["lightgbm"]) == 0),
    )
    if version is not None:
        set_alias(config.tracking.registered_model, version, decision, data_source)

    if not decision.promoted:
        logger.warning("Version %s is the challenger: %s", version, decision.reason)
        return decision, export_current_champion(config, periods, out, data_source)

    logger.info("Version %s is the new champion: %s", version, decision.reason)
    models.bundle.metadata["model_version"] = version
    models.bundle.metadata["model_name"] = config.tracking.registered_model
    return decision, save_bundle(models.bundle, periods.test, out)


def export_current_champion(
    config: Config, periods: Periods, out: Path, data_source: str | None = None
) -> Path | None:
    """Export the registry's champion to ``out`` when that folder contains no model yet.

    A training whose model loses the gate leaves an existing export alone, but a
    new ``--out`` folder should still receive the model that scoring will use.
    """
    if (Path(out) / "MLmodel").is_file():
        return None
    found = _registry_champion(config, data_source)
    if found is None:
        return None
    bundle, info = found
    logger.info("Exporting the current champion (version %s) to %s", info["model_version"], out)
    return save_bundle(bundle, periods.test, out)


def train_from_snapshots(
    table: pd.DataFrame,
    config: Config,
    out: Path,
    *,
    data_fingerprint: str = "unknown",
    data_source: str = "unknown",
    truth_file: Path | None = None,
    tune: bool = False,
) -> TrainResult:
    """Train, evaluate, log, register and gate on an already built snapshot table."""
    started = time.perf_counter()
    _check_metric(config)
    ensure_experiment(config)
    tags = {
        "data_fingerprint": data_fingerprint,
        "data_source": data_source,
        "git_commit": git_commit(),
        "config_hash": config.fingerprint(),
    }

    periods = split_periods(table)
    models = fit_models(periods, config, tune=tune, metadata=dict(tags))

    logger.info("Evaluating every model on %d test snapshots", len(periods.test))
    evaluation = evaluate_on_test(models, periods, truth_file)

    logger.info("Logging runs to MLflow")
    with tempfile.TemporaryDirectory() as tmp:
        shared_plots = runs.comparison_plots(evaluation, Path(tmp))
        run_ids = {"baseline": runs.log_baseline_run(config, tags, evaluation, shared_plots)}
        run_ids["lightgbm"], version = runs.log_lightgbm_run(
            models, periods, config, tags, evaluation, shared_plots
        )
    run_ids["potential"] = runs.log_potential_run(config, tags, models, evaluation)

    decision, exported = gate_and_export(models, periods, evaluation, version, config, out)
    return TrainResult(
        models=models,
        evaluation=evaluation,
        run_ids=run_ids,
        model_version=version,
        decision=decision,
        exported_to=exported,
        elapsed_seconds=time.perf_counter() - started,
        registered_model=config.tracking.registered_model,
    )


def build_table(data_dir: Path, mapping: Path | None, config: Config) -> tuple[pd.DataFrame, str]:
    """Load and validate the export, build snapshots, write them; return the table and fingerprint."""
    from expansion_propensity.features import assign_splits, build_snapshots
    from expansion_propensity.features.run import write_parquet
    from expansion_propensity.ingest import load_export

    logger.info("Loading and validating the export in %s", data_dir)
    export = load_export(data_dir, mapping=mapping, report_dir=paths.interim_dir())

    logger.info("Building point-in-time snapshots")
    table = assign_splits(build_snapshots(export, config).table, config)
    target = paths.processed_dir() / "snapshots.parquet"
    write_parquet(table, target)
    logger.info("Wrote %d snapshots to %s", len(table), target)
    return table, export.fingerprint


def run_train(
    data_dir: Path, mapping: Path | None, config: Config, out: Path, tune: bool = False
) -> TrainResult:
    """Run the whole training pipeline on the export at ``data_dir`` and print a summary."""
    started = time.perf_counter()
    table, fingerprint = build_table(Path(data_dir), mapping, config)
    truth_file = find_truth(Path(data_dir))
    if truth_file is not None:
        logger.info("Found true probabilities at %s; the oracle is evaluated too", truth_file)

    result = train_from_snapshots(
        table,
        config,
        Path(out),
        data_fingerprint=fingerprint,
        data_source=data_source_key(data_dir, mapping),
        truth_file=truth_file,
        tune=tune,
    )
    result.elapsed_seconds = time.perf_counter() - started
    print_summary(result)
    return result
