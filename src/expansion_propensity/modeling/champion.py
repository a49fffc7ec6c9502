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


@dataclass
class ChampionScore:
    """The current champion's metric on the test rows it was never fitted on."""

    value: float
    version: str
    rows: np.ndarray  # boolean mask over the test rows the value was computed on


def rescore_champion(
    config: Config, X_test: pd.DataFrame, y_test: np.ndarray, data_source: str | None = None
) -> ChampionScore | None:
    """Score the registry's current champion on these test rows.

    Returns None when there is no champion or, with ``data_source``, when the
    champion was trained on another source. A champion that cannot score the
    rows (trained on other feature columns) is logged and treated as absent,
    because it could not be used to score either. Test rows dated on or before
    the champion's last fitted snapshot are left out, because scoring a model
    on rows it was fitted on would flatter it.
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
    version = str(info["model_version"])

    rows = _unseen_rows(X_test, bundle.metadata.get("fitted_through"))
    if not rows.any():
        logger.warning(
            "Every test row is on or before the last snapshot champion version %s was fitted "
            "on (%s), so the gate cannot compare with it and ignores it",
            version,
            bundle.metadata.get("fitted_through"),
        )
        return None
    if not rows.all():
        logger.info(
            "Comparing with champion version %s on the %d of %d test rows after its last "
            "fitted snapshot (%s)",
            version,
            int(rows.sum()),
            len(rows),
            bundle.metadata.get("fitted_through"),
        )

    try:
        probabilities = bundle.predict_proba(X_test[rows])
    except ModelError as err:
        logger.warning(
            "The current champion (version %s) cannot score this training's test rows, so the "
            "gate ignores it: %s",
            version,
            err,
        )
        return None

    metric = config.tracking.champion_metric
    value = classification_metrics(np.asarray(y_test)[rows], probabilities)[metric]
    logger.info("Re-scored champion version %s on the test rows: %s %.4f", version, metric, value)
    return ChampionScore(value=value, version=version, rows=rows)


def _unseen_rows(X_test: pd.DataFrame, fitted_through: str | None) -> np.ndarray:
    """Return a mask of test rows dated after ``fitted_through`` (all rows when unknown)."""
    if fitted_through is None or "snapshot_date" not in X_test:
        return np.ones(len(X_test), dtype=bool)
    dates = pd.to_datetime(X_test["snapshot_date"])
    return (dates > pd.Timestamp(fitted_through)).to_numpy()


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
