"""MLflow integration: runs, the registered pyfunc model, the exported champion and compare."""

from __future__ import annotations

from pathlib import Path

import mlflow
import mlflow.pyfunc
import numpy as np
import pandas as pd
import pytest
from mlflow import MlflowClient
from mlflow.exceptions import MlflowException

from expansion_propensity import paths
from expansion_propensity.errors import InputError, ModelError
from expansion_propensity.features import registry
from expansion_propensity.modeling.bundle import load_bundle
from expansion_propensity.tracking import ensure_experiment, run_compare, runs_table

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def plain_rows(snapshots) -> pd.DataFrame:
    """Plain pandas input as a user passes it: strings and floats, extra columns kept."""
    rows = snapshots[snapshots["split"] == "test"].head(40).reset_index(drop=True)
    return rows.drop(columns=["label", "expansion_amount", "expansion_type", "split"])


def test_runs_logged_with_tags(tracked_project, fast_config):
    root, result = tracked_project
    client = MlflowClient()

    assert set(result.run_ids) == {"baseline", "lightgbm", "potential"}
    for model, run_id in result.run_ids.items():
        run = client.get_run(run_id)
        assert run.data.tags["model"] == model
        assert run.data.tags["data_fingerprint"] == "fixture-export"
        assert run.data.tags["config_hash"] == fast_config.fingerprint()
        assert run.data.tags["git_commit"]
    lightgbm_run = client.get_run(result.run_ids["lightgbm"])
    assert lightgbm_run.data.metrics["pr_auc"] == pytest.approx(
        result.evaluation.metrics["lightgbm"]["pr_auc"]
    )
    assert lightgbm_run.data.params["calibration_method"] == "isotonic"


def test_artifacts_and_store_location(tracked_project, fast_config):
    root, result = tracked_project
    client = MlflowClient()

    experiment = mlflow.get_experiment_by_name(fast_config.tracking.experiment)
    assert experiment.artifact_location == (root / "mlruns").as_uri()
    artifacts = {f.path for f in client.list_artifacts(result.run_ids["lightgbm"], "plots")}
    assert artifacts == {
        "plots/calibration.png",
        "plots/gains.png",
        "plots/lift_by_decile.png",
        "plots/shap_summary.png",
        "plots/pillar_importance.png",
    }
    top_level = {f.path for f in client.list_artifacts(result.run_ids["lightgbm"])}
    assert {"config.yaml", "deciles_lightgbm.csv"} <= top_level


def test_first_model_becomes_champion(tracked_project, fast_config):
    root, result = tracked_project
    name = fast_config.tracking.registered_model

    assert result.decision.promoted
    assert str(MlflowClient().get_model_version_by_alias(name, "champion").version) == "1"
    assert (root / "models" / "champion" / "MLmodel").is_file()


def test_pyfunc_round_trip(tracked_project, plain_rows):
    _, result = tracked_project
    model = mlflow.pyfunc.load_model(str(paths.champion_dir()))
    expected = result.models.bundle.predict_proba(plain_rows)

    predicted = model.predict(plain_rows)
    assert list(predicted.columns) == ["propensity"]
    np.testing.assert_allclose(predicted["propensity"].to_numpy(), expected)

    columns = list(plain_rows.columns)
    np.random.default_rng(5).shuffle(columns)
    shuffled = model.predict(plain_rows[columns])
    np.testing.assert_array_equal(shuffled["propensity"].to_numpy(), predicted["propensity"])


def test_pyfunc_accepts_unseen_and_missing_categories(tracked_project, plain_rows):
    model = mlflow.pyfunc.load_model(str(paths.champion_dir()))
    rows = plain_rows.copy()
    rows["segment"] = rows["segment"].astype(object)
    rows.loc[0, "segment"] = "Galactic"
    rows.loc[1, "segment"] = None

    predicted = model.predict(rows)["propensity"]
    assert predicted.between(0, 1).all()
    assert len(predicted) == len(rows)


def test_pyfunc_missing_column_raises(tracked_project, plain_rows):
    model = mlflow.pyfunc.load_model(str(paths.champion_dir()))

    with pytest.raises(MlflowException, match=r"missing inputs \['arr'\]"):
        model.predict(plain_rows.drop(columns="arr"))


def test_registry_model_unwraps_to_bundle(tracked_project, fast_config):
    name = fast_config.tracking.registered_model
    model = mlflow.pyfunc.load_model(f"models:/{name}@champion")

    bundle = model.unwrap_python_model().bundle
    assert bundle.feature_columns == registry.feature_names()
    assert bundle.metadata["data_fingerprint"] == "fixture-export"


def test_load_bundle_prefers_registry(tracked_project, fast_config):
    _, result = tracked_project

    bundle, info = load_bundle(config=fast_config)
    assert info["source"] == f"models:/{fast_config.tracking.registered_model}@champion"
    assert info["model_version"] == "1"
    assert info["run_id"] == result.run_ids["lightgbm"]


def test_load_bundle_from_exported_folder(tracked_project, plain_rows):
    _, result = tracked_project

    bundle, info = load_bundle(paths.champion_dir())
    assert info["model_version"] == "1"
    assert bundle.metadata["model_version"] == "1"
    np.testing.assert_allclose(
        bundle.predict_proba(plain_rows), result.models.bundle.predict_proba(plain_rows)
    )


def test_load_bundle_from_version_uri(tracked_project, fast_config):
    _, result = tracked_project
    uri = f"models:/{fast_config.tracking.registered_model}/1"

    bundle, info = load_bundle(uri)
    assert info["source"] == uri
    assert info["model_version"] == "1"
    assert info["run_id"] == result.run_ids["lightgbm"]


def test_load_bundle_bad_folder_raises(tmp_path):
    with pytest.raises(ModelError, match="run `make train` first"):
        load_bundle(tmp_path / "nothing-here")


def test_compare_table_sorted_by_metric(tracked_project, fast_config, tmp_path):
    _, result = tracked_project
    out = tmp_path / "compare.csv"

    table = run_compare(fast_config, out=out)
    assert table["model"].tolist()[:2] == ["lightgbm", "baseline"]
    assert set(table["model"]) == {"lightgbm", "baseline", "potential"}
    assert table.loc[0, "pr_auc"] == pytest.approx(result.evaluation.metrics["lightgbm"]["pr_auc"])
    assert (table["data_fingerprint"] == "fixture-export").all()
    assert (table["data_source"] == "unknown").all()
    assert table.loc[table["champion"] == "yes", "run_id"].tolist() == [result.run_ids["lightgbm"]]
    assert pd.read_csv(out)["run_id"].tolist() == table["run_id"].tolist()


def test_compare_filters_by_source(tracked_project, fast_config):
    assert len(runs_table(fast_config, source="unknown")) == 3

    with pytest.raises(
        InputError, match="has no runs trained on export 'acme'; its runs come from unknown"
    ):
        runs_table(fast_config, source="acme")


def test_compare_lower_is_better_sorts_ascending(tracked_project, fast_config):
    table = runs_table(fast_config, metric="brier")

    briers = table["brier"].dropna().tolist()
    assert briers == sorted(briers)


def test_compare_unknown_metric_raises(tracked_project, fast_config):
    with pytest.raises(InputError, match="metric 'accuracy' not found"):
        runs_table(fast_config, metric="accuracy")


def test_compare_without_experiment_raises(tracked_project, fast_config):
    config = fast_config.model_copy(
        update={"tracking": fast_config.tracking.model_copy(update={"experiment": "nope"})}
    )

    with pytest.raises(InputError, match="experiment 'nope' not found"):
        runs_table(config)


def test_compare_empty_experiment_raises(tracked_project, fast_config):
    config = fast_config.model_copy(
        update={"tracking": fast_config.tracking.model_copy(update={"experiment": "empty"})}
    )
    ensure_experiment(config)

    with pytest.raises(InputError, match="has no runs"):
        runs_table(config)


def test_notebook_executes(tracked_project):
    import nbformat
    from nbclient import NotebookClient

    root, _ = tracked_project
    notebook_path = Path(__file__).resolve().parents[2] / "notebooks"
    notebook = nbformat.read(notebook_path / "01-model-comparison.ipynb", as_version=4)

    NotebookClient(
        notebook, kernel_name="python3", timeout=120, resources={"metadata": {"path": str(root)}}
    ).execute()
    outputs = [
        output.get("text", "") for cell in notebook.cells for output in cell.get("outputs", [])
    ]
    assert any("shap_summary.png" in text for text in outputs)
    images = [
        output
        for cell in notebook.cells
        for output in cell.get("outputs", [])
        if "image/png" in output.get("data", {})
    ]
    assert len(images) == 5


def test_load_bundle_bad_uri_raises(tracked_project):
    with pytest.raises(ModelError, match="could not load model models:/missing-model@champion"):
        load_bundle("models:/missing-model@champion")


def test_load_bundle_without_any_model_raises(project, fast_config):
    config = fast_config.model_copy(
        update={"tracking": fast_config.tracking.model_copy(update={"registered_model": "none"})}
    )

    with pytest.raises(ModelError, match="no champion model found.*run `make train` first"):
        load_bundle(config=config)
    mlflow.set_tracking_uri(None)
