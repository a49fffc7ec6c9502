"""`expansion train` end to end on a small generated export, as a user runs it."""

from __future__ import annotations

import mlflow
import pandas as pd
import pytest
from typer.testing import CliRunner

from expansion_propensity import paths
from expansion_propensity.cli import app
from expansion_propensity.synthetic import generate_export

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def small_export(tmp_path_factory):
    """A 400-account, 30-month export with its truth in the sibling `<export>_truth` folder."""
    root = tmp_path_factory.mktemp("exports")
    export_dir = root / "small"
    generate_export(export_dir, n_accounts=400, months=30, seed=7)
    return export_dir


def test_cli_train_then_compare(project, small_export):
    runner = CliRunner()

    trained = runner.invoke(app, ["train", "--data", str(small_export)])
    assert trained.exit_code == 0, trained.output
    assert "AUC gap to oracle" in trained.output
    assert "is the new champion" in trained.output
    assert "Training took" in trained.output
    assert (paths.processed_dir() / "snapshots.parquet").is_file()
    assert (paths.interim_dir() / "validation_report.json").is_file()
    assert (project / "models" / "champion" / "MLmodel").is_file()

    compared = runner.invoke(app, ["compare", "--out", str(project / "runs.csv")])
    assert compared.exit_code == 0, compared.output
    table = pd.read_csv(project / "runs.csv")
    assert sorted(table["model"]) == ["baseline", "lightgbm", "potential"]
    classifiers = table[table["model"] != "potential"].set_index("model")
    assert classifiers["auc_gap_to_oracle"].notna().all()
    assert (classifiers["roc_auc"] > 0.5).all()
    assert table["data_fingerprint"].nunique() == 1
    mlflow.set_tracking_uri(None)


def test_cli_compare_without_runs_fails_cleanly(project):
    result = CliRunner().invoke(app, ["compare"])

    assert result.exit_code == 1
    assert "run `make train` first" in result.output
    mlflow.set_tracking_uri(None)
