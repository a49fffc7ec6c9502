"""The MLflow pyfunc model around a ModelBundle, and helpers to log and save it."""

from __future__ import annotations

import logging
import shutil
import tempfile
from importlib.metadata import version
from pathlib import Path

import mlflow.pyfunc
import numpy as np
import pandas as pd
from mlflow.models import infer_signature

from expansion_propensity.modeling.bundle import ModelBundle

logger = logging.getLogger(__name__)

OUTPUT_COLUMN = "propensity"


class BundlePythonModel(mlflow.pyfunc.PythonModel):
    """Pyfunc model whose ``predict`` returns calibrated P(expand) as a ``propensity`` column.

    Input is a plain pandas frame: string categoricals, any column order, extra
    columns ignored. A missing feature column raises ModelError naming it.
    """

    def __init__(self, bundle: ModelBundle):
        self.bundle = bundle

    def predict(self, context, model_input: pd.DataFrame, params=None) -> pd.DataFrame:
        probabilities = self.bundle.predict_proba(pd.DataFrame(model_input))
        return pd.DataFrame({OUTPUT_COLUMN: probabilities})


def example_input(bundle: ModelBundle, X: pd.DataFrame, rows: int = 5) -> pd.DataFrame:
    """Return a few rows of plain-typed input: strings for categoricals, floats elsewhere.

    MLflow's schema checks cannot convert a pandas ``category`` column, so the
    logged signature describes plain strings.

    NOTE: MLflow 3.17 rejects an int64 column for a double field, so pyfunc
    callers cast integer features to float; ``ModelBundle`` accepts either.
    """
    sample = X[bundle.feature_columns].head(rows)
    columns = {}
    for column in bundle.feature_columns:
        if column in bundle.categorical_columns:
            columns[column] = sample[column].astype("string").astype(object)
        else:
            columns[column] = pd.to_numeric(sample[column], errors="coerce").astype(float)
    return pd.DataFrame(columns, index=sample.index).reset_index(drop=True)


def pip_requirements() -> list[str]:
    """Return the packages the pyfunc model needs, pinned to the installed versions.

    Stating them skips MLflow's requirement inference, which loads the model in
    a subprocess and adds seconds to every save.
    """
    packages = ["mlflow", "lightgbm", "scikit-learn", "pandas", "numpy", "cloudpickle"]
    return [f"{package}=={version(package)}" for package in packages] + [
        f"expansion-propensity=={version('expansion-propensity')}"
    ]


def _signature(bundle: ModelBundle, example: pd.DataFrame):
    output = pd.DataFrame({OUTPUT_COLUMN: np.asarray(bundle.predict_proba(example))})
    return infer_signature(example, output)


def log_bundle(bundle: ModelBundle, X: pd.DataFrame, registered_model: str | None = None):
    """Log the bundle as a pyfunc model in the active run; register it when a name is given.

    Returns MLflow's ModelInfo (``registered_model_version`` is set when registered).
    """
    example = example_input(bundle, X)
    return mlflow.pyfunc.log_model(
        name="model",
        python_model=BundlePythonModel(bundle),
        signature=_signature(bundle, example),
        input_example=example,
        pip_requirements=pip_requirements(),
        registered_model_name=registered_model,
    )


def save_bundle(bundle: ModelBundle, X: pd.DataFrame, out: Path) -> Path:
    """Save the bundle as a pyfunc model folder at ``out``, replacing any model there.

    The model is written to a temporary sibling folder first and then renamed,
    so a reader never sees a half-written model.
    """
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}-", dir=out.parent))
    example = example_input(bundle, X)
    target = staging / "model"
    mlflow.pyfunc.save_model(
        target,
        python_model=BundlePythonModel(bundle),
        signature=_signature(bundle, example),
        input_example=example,
        pip_requirements=pip_requirements(),
    )

    previous = None
    if out.exists():
        previous = out.parent / f"{staging.name}-previous"
        out.rename(previous)
    target.rename(out)
    shutil.rmtree(staging)
    if previous is not None:
        shutil.rmtree(previous)
    logger.info("Exported the champion model to %s", out)
    return out
