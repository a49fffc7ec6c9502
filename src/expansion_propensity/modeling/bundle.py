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


def _registry_champion(config: Config) -> tuple[ModelBundle, dict] | None:
    """Load models:/<registered_model>@champion, or return None when there is none."""
    from mlflow import MlflowClient
    from mlflow.exceptions import MlflowException

    from expansion_propensity.tracking import configure_tracking

    configure_tracking()
    name = config.tracking.registered_model
    try:
        version = MlflowClient().get_model_version_by_alias(name, "champion")
    except MlflowException as err:
        logger.debug("No registry champion for %s: %s", name, err)
        return None

    uri = f"models:/{name}@champion"
    _, bundle = _load_pyfunc(uri)
    return bundle, {"source": uri, "model_version": str(version.version), "run_id": version.run_id}


def load_bundle(
    model: str | Path | None = None, config: Config | None = None
) -> tuple[ModelBundle, dict]:
    """Load a model bundle and describe where it came from.

    With ``model=None``, try the registry's champion alias at the current
    tracking URI, then the exported champion folder. A str or Path is an MLflow
    model URI (``models:/...``, ``runs:/...``) or a model folder.

    Returns the bundle and ``{"source", "model_version", "run_id"}``. Raises
    ModelError telling the user to run `make train` when nothing is found.
    """
    from expansion_propensity.config import Config

    config = config or Config()
    if model is None:
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
