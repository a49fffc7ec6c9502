"""The model bundle: everything scoring needs, in one object pickled inside an MLflow model.

Scoring and explanation code against this class only: it prepares plain pandas
input, scores it with the calibrated LightGBM model, explains it with exact
TreeSHAP contributions, reproduces the weighted formula and estimates the
expansion potential.
"""

from __future__ import annotations

import logging
import pickle
import re
from pathlib import Path
from typing import TYPE_CHECKING

import lightgbm as lgb
import numpy as np
import pandas as pd

from expansion_propensity import paths
from expansion_propensity.errors import ModelError
from expansion_propensity.modeling.lgbm import to_model_frame

if TYPE_CHECKING:
    from expansion_propensity.config import Config

logger = logging.getLogger(__name__)


class ModelBundle:
    """The trained models and the column contract they were trained with.

    ``feature_columns`` is the model column order (the registry's at training
    time); ``categories`` fixes each categorical's category list, so codes seen
    by the booster never shift.
    """

    def __init__(
        self,
        feature_columns: list[str],
        categorical_columns: list[str],
        categories: dict[str, list[str]],
        booster: lgb.Booster,
        calibrator,
        calibration_method: str,
        baseline,
        potential,
        metadata: dict | None = None,
    ):
        self.feature_columns = list(feature_columns)
        self.categorical_columns = list(categorical_columns)
        self.categories = {column: list(values) for column, values in categories.items()}
        self.booster = booster
        self.calibrator = calibrator
        self.calibration_method = calibration_method
        self.baseline = baseline
        self.potential = potential
        self.metadata = dict(metadata or {})

    def prepare(self, X: pd.DataFrame) -> pd.DataFrame:
        """Return the model frame: columns in model order, categoricals cast, numerics as float.

        Raises ModelError naming the missing columns when any feature column is absent.
        """
        return to_model_frame(X, self.feature_columns, self.categories)

    def unseen_categories(self, X: pd.DataFrame) -> dict[str, dict[str, int]]:
        """Return, per categorical column, the values absent from training and their counts."""
        unseen = {}
        for column in self.categorical_columns:
            if column not in X.columns:
                continue
            values = X[column].dropna().astype(str)
            novel = values[~values.isin(self.categories[column])]
            if len(novel):
                unseen[column] = {str(k): int(v) for k, v in novel.value_counts().items()}
        return unseen

    def raw_score(self, X: pd.DataFrame) -> np.ndarray:
        """Return LightGBM's raw margin (log-odds) for each row."""
        return np.asarray(self.booster.predict(self.prepare(X), raw_score=True), dtype=float)

    def predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        """Return calibrated P(expand) for each row, shape (n,)."""
        return self.calibrator.predict(self.raw_score(X))

    def contributions(self, X: pd.DataFrame) -> pd.DataFrame:
        """Return exact TreeSHAP contributions in log-odds: one column per feature + base_value.

        Each row sums to ``raw_score`` of that row.
        """
        prepared = self.prepare(X)
        values = self.booster.predict(prepared, pred_contrib=True)
        return pd.DataFrame(
            values, columns=[*self.feature_columns, "base_value"], index=prepared.index
        )

    def formula(self, X: pd.DataFrame) -> pd.DataFrame:
        """Return the pillar components, the Expansion Score (0-100) and the baseline probability."""
        frame = self.baseline.components(X)
        frame["expansion_score"] = self.baseline.expansion_score(X)
        frame["baseline_probability"] = self.baseline.predict_proba(X)[:, 1]
        return frame

    def predict_potential(self, X: pd.DataFrame) -> np.ndarray:
        """Return the expected ARR increase if the account expands, in currency per year."""
        return self.potential.predict(X)


def _load_pyfunc(uri: str):
    import mlflow.pyfunc

    model = mlflow.pyfunc.load_model(uri)
    return model, model.unwrap_python_model().bundle


def _version_source(version) -> str | None:
    return (version.tags or {}).get("data_source")


def _champion_version(config: Config):
    """Return the registry's champion ModelVersion, or None when there is none."""
    from mlflow import MlflowClient
    from mlflow.exceptions import MlflowException

    from expansion_propensity.tracking import configure_tracking

    configure_tracking()
    name = config.tracking.registered_model
    try:
        return MlflowClient().get_model_version_by_alias(name, "champion")
    except MlflowException as err:
        logger.debug("No registry champion for %s: %s", name, err)
        return None


def _latest_version_for_source(config: Config, data_source: str):
    """Return the newest registered version trained on ``data_source``, or None."""
    from mlflow import MlflowClient
    from mlflow.exceptions import MlflowException

    name = config.tracking.registered_model
    try:
        versions = MlflowClient().search_model_versions(f"name='{name}'")
    except MlflowException as err:
        logger.debug("Cannot list versions of %s: %s", name, err)
        return None
    matching = [v for v in versions if _version_source(v) == data_source]
    return max(matching, key=lambda v: int(v.version), default=None)


def _load_version(config: Config, version, uri: str) -> tuple[ModelBundle, dict]:
    _, bundle = _load_pyfunc(uri)
    info = {
        "source": uri,
        "model_version": str(version.version),
        "run_id": version.run_id,
        "data_source": _version_source(version),
    }
    return bundle, info


def _registry_champion(
    config: Config, data_source: str | None = None
) -> tuple[ModelBundle, dict] | None:
    """Load the registry's champion; with ``data_source``, only one trained on that source."""
    version = _champion_version(config)
    if version is None:
        return None
    source = _version_source(version)
    if data_source is not None and source is not None and source != data_source:
        logger.debug("The champion was trained on %r, not %r", source, data_source)
        return None
    uri = f"models:/{config.tracking.registered_model}@champion"
    return _load_version(config, version, uri)


def _registry_model_for_source(config: Config, data_source: str) -> tuple[ModelBundle, dict]:
    """Load the champion when it was trained on ``data_source``, else that source's latest version.

    The champion alias is one per registered model. When it belongs to another
    source, the newest version trained on this one scores instead, with a
    warning that repeats why it did not become champion. With no version trained
    on this source, the champion scores, with a warning.
    """
    found = _registry_champion(config, data_source)
    if found is not None:
        return found

    name = config.tracking.registered_model
    champion = _champion_version(config)
    latest = _latest_version_for_source(config, data_source)
    if latest is None:
        # load_bundle calls this only when a champion or a version of this source
        # exists. A refreshed export in a new folder is the usual case: the champion
        # still fits it, and scoring warns that it was trained on another export.
        logger.warning(
            "No model was trained on export %r, so scoring uses the champion (version %s), "
            "trained on %r; run `make train` with the same DATA and MAPPING to train on this one",
            data_source,
            champion.version,
            _version_source(champion),
        )
        return _load_version(config, champion, f"models:/{name}@champion")

    reason = (latest.tags or {}).get("gate_reason", "it did not pass the champion gate")
    logger.warning(
        "No champion was trained on export %r, so scoring uses version %s, the latest trained "
        "on it, which is not the champion: %s",
        data_source,
        latest.version,
        reason,
    )
    bundle, info = _load_version(config, latest, f"models:/{name}/{latest.version}")
    info["not_champion_reason"] = reason
    return bundle, info


def load_bundle(
    model: str | Path | None = None, config: Config | None = None, data_source: str | None = None
) -> tuple[ModelBundle, dict]:
    """Load a model bundle and describe where it came from.

    With ``model=None``, try the registry's champion alias at the current
    tracking URI, then the exported champion folder. With ``data_source`` too
    (see ``tracking.data_source_key``), the registry lookup takes only a model
    trained on that source: the champion when it is one, else the latest. A str or Path is an MLflow
    model URI (``models:/...``, ``runs:/...``) or a model folder.

    Returns the bundle and ``{"source", "model_version", "run_id"}``. Raises
    ModelError telling the user to run `make train` when nothing is found.
    """
    from expansion_propensity.config import Config

    config = config or Config()
    if model is None:
        if data_source is not None and _champion_or_source_registered(config, data_source):
            return _registry_model_for_source(config, data_source)
        found = _registry_champion(config)
        if found is not None:
            return found
        model = paths.champion_dir()
        if not (Path(model) / "MLmodel").is_file():
            raise ModelError(
                f"no champion model found: the registry has no {config.tracking.registered_model!r}"
                f"@champion and {model} contains no model; run `make train` first"
            )

    uri = str(model)
    is_uri = "://" in uri or uri.startswith(("models:/", "runs:/"))
    if not is_uri and not (Path(uri) / "MLmodel").is_file():
        raise ModelError(
            f"model {uri} is neither an MLflow model URI nor a folder with an MLmodel file; "
            "pass models:/<name>@champion or a model folder, or run `make train` first"
        )

    from mlflow.exceptions import MlflowException

    try:
        pyfunc_model, bundle = _load_pyfunc(uri)
    except (MlflowException, OSError, ImportError, AttributeError, pickle.UnpicklingError) as err:
        # A bad URI raises MlflowException or OSError. A model from another project
        # or package version fails to unpickle or has no bundle attribute.
        raise ModelError(
            f"could not load model {uri}: {err}; pass a model trained by `expansion train`, "
            "or run `make train` first"
        ) from err

    metadata = bundle.metadata
    info = {
        "source": uri,
        "model_version": metadata.get("model_version"),
        "run_id": metadata.get("run_id") or pyfunc_model.metadata.run_id,
    }
    info.update(_registry_version(uri))
    return bundle, info


def _champion_or_source_registered(config: Config, data_source: str) -> bool:
    """Return whether the registry has a champion or any version trained on ``data_source``."""
    if _champion_version(config) is not None:
        return True
    return _latest_version_for_source(config, data_source) is not None


def _registry_version(uri: str) -> dict:
    """Return the version and run id a ``models:/name/<version>`` or ``@alias`` URI points at."""
    from mlflow import MlflowClient

    match = re.fullmatch(r"models:/(?P<name>[^/@]+)(?:/(?P<version>\d+)|@(?P<alias>[\w-]+))", uri)
    if match is None:
        return {}
    client = MlflowClient()
    if match["version"] is not None:
        version = client.get_model_version(match["name"], match["version"])
    else:
        version = client.get_model_version_by_alias(match["name"], match["alias"])
    return {"model_version": str(version.version), "run_id": version.run_id}
