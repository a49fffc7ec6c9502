"""The champion gate: a new model takes the `champion` alias only when it beats both rivals.

Both rivals are scored on this training's test rows: the weighted-formula
baseline, and the current champion re-scored from the registry, so the
comparison never mixes test periods.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import pandas as pd

from expansion_propensity.config import Config
from expansion_propensity.errors import ModelError
from expansion_propensity.modeling.evaluate import classification_metrics
from expansion_propensity.tracking import LOWER_IS_BETTER

logger = logging.getLogger(__name__)

CHAMPION = "champion"
CHALLENGER = "challenger"


@dataclass
class GateDecision:
    promoted: bool
    alias: str
    reason: str
    metric: str
    new_value: float
    baseline_value: float
    champion_value: float | None = None
    champion_version: str | None = None


def _better(new: float, rival: float, metric: str) -> bool:
    # A NaN metric (ROC AUC of a one-class test period) never wins, but a NaN
    # rival loses to any finite value.
    if np.isnan(new):
        return False
    if np.isnan(rival):
        return True
    return new < rival if metric in LOWER_IS_BETTER else new > rival


def decide(
    metric: str,
    new_value: float,
    baseline_value: float,
    champion_value: float | None = None,
    champion_version: str | None = None,
    constant: bool = False,
) -> GateDecision:
    """Return whether the new model becomes champion, and why, from the metric values.

    It must be strictly better than the baseline and, when one exists, than the
    current champion. A tie keeps the current champion. A model that gives every
    test row the same probability (``constant``) cannot rank accounts, so it never
    becomes champion, even where its metric value happens to be higher.
    """
    values = {"new": new_value, "baseline": baseline_value, "champion": champion_value}
    if constant:
        reason = (
            "LightGBM gives every test snapshot the same probability, so it cannot rank "
            "accounts; the training period is probably too small for lightgbm.min_child_samples"
        )
        return GateDecision(False, CHALLENGER, reason, metric, **_values(values, champion_version))
    if not _better(new_value, baseline_value, metric):
        reason = (
            f"{metric} {new_value:.4f} does not beat the weighted-formula baseline's "
            f"{baseline_value:.4f} on the test period"
        )
        return GateDecision(False, CHALLENGER, reason, metric, **_values(values, champion_version))
    if champion_value is not None and not _better(new_value, champion_value, metric):
        reason = (
            f"{metric} {new_value:.4f} does not beat the current champion (version "
            f"{champion_version}) at {champion_value:.4f} on this training's test period"
        )
        return GateDecision(False, CHALLENGER, reason, metric, **_values(values, champion_version))

    rivals = f"the baseline's {baseline_value:.4f}"
    if champion_value is not None:
        rivals += f" and champion version {champion_version}'s {champion_value:.4f}"
    reason = f"{metric} {new_value:.4f} beats {rivals} on the test period"
    return GateDecision(True, CHAMPION, reason, metric, **_values(values, champion_version))


def _values(values: dict, champion_version: str | None) -> dict:
    return {
        "new_value": values["new"],
        "baseline_value": values["baseline"],
        "champion_value": values["champion"],
        "champion_version": champion_version,
    }


def rescore_champion(
    config: Config, X_test: pd.DataFrame, y_test: np.ndarray, data_source: str | None = None
) -> tuple[float, str] | None:
    """Score the registry's current champion on these test rows.

    Returns (metric value, version), or None when there is no champion or,
    with ``data_source``, when the champion was trained on another source. A
    champion that cannot score the rows (trained on other feature columns) is
    logged and treated as absent, because it could not be used to score either.
    """
    from mlflow.exceptions import MlflowException

    from expansion_propensity.modeling.bundle import _registry_champion

    try:
        found = _registry_champion(config, data_source)
    except (MlflowException, OSError, ImportError, AttributeError) as err:
        # The alias exists but its model cannot be loaded (deleted artifacts, an
        # incompatible package version), so it cannot score accounts either.
        logger.warning("The current champion cannot be loaded, so the gate ignores it: %s", err)
        return None
    if found is None:
        return None
    bundle, info = found
    try:
        probabilities = bundle.predict_proba(X_test)
    except ModelError as err:
        logger.warning(
            "The current champion (version %s) cannot score this training's test rows, so the "
            "gate ignores it: %s",
            info["model_version"],
            err,
        )
        return None

    # NOTE: nothing checks that these test rows were outside the champion's own training,
    # validation and calibration periods. They are after a refresh of the same export, but a
    # config with more splits.test_months than the champion's lets it score rows it was fitted
    # on, which flatters the champion.
    metrics = classification_metrics(y_test, probabilities)
    metric = config.tracking.champion_metric
    logger.info(
        "Re-scored champion version %s on the test rows: %s %.4f",
        info["model_version"],
        metric,
        metrics[metric],
    )
    return metrics[metric], str(info["model_version"])


def set_alias(
    registered_model: str, version: str, decision: GateDecision, data_source: str | None = None
) -> None:
    """Point the decision's alias at ``version`` and tag the version with the reason and source."""
    from mlflow import MlflowClient

    client = MlflowClient()
    if data_source is not None:
        client.set_model_version_tag(registered_model, version, "data_source", data_source)
    client.set_registered_model_alias(registered_model, decision.alias, version)
    client.set_model_version_tag(registered_model, version, "gate_decision", decision.alias)
    client.set_model_version_tag(registered_model, version, "gate_reason", decision.reason)
