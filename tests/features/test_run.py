"""The `expansion features` command end to end on a small generated export."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from expansion_propensity.cli import app
from expansion_propensity.config import Config
from expansion_propensity.features import assign_splits, build_snapshots
from expansion_propensity.features.registry import categorical_features, feature_names
from expansion_propensity.features.splits import SPLITS

RAVENSTACK_MAPPING = (
    Path(__file__).resolve().parents[2] / "src/expansion_propensity/mappings/ravenstack.yaml"
)


@pytest.fixture(scope="session")
def demo_export(tmp_path_factory) -> Path:
    from expansion_propensity.synthetic import generate_export

    root = tmp_path_factory.mktemp("features_demo")
    generate_export(root / "demo", n_accounts=300, months=36, seed=7, truth_dir=root / "truth")
    return root / "demo"


@pytest.fixture(scope="session")
def demo_table(demo_export, tmp_path_factory) -> pd.DataFrame:
    out = tmp_path_factory.mktemp("features_out") / "snapshots.parquet"
    runner = CliRunner()
    result = runner.invoke(app, ["features", "--data", str(demo_export), "--out", str(out)])
    assert result.exit_code == 0, result.output
    return pd.read_parquet(out)


def test_columns_in_contract_order(demo_table):
    expected = ["account_id", "snapshot_date", *feature_names()]
    expected += ["label", "expansion_amount", "expansion_type", "split"]
    assert list(demo_table.columns) == expected


def test_dtypes_survive_parquet(demo_table):
    assert demo_table["account_id"].dtype == "string"
    assert demo_table["snapshot_date"].dtype == "datetime64[ns]"
    assert str(demo_table["label"].dtype) == "Int8"
    for name in categorical_features():
        assert demo_table[name].dtype == "string", name
    numeric = [name for name in feature_names() if name not in categorical_features()]
    assert (demo_table[numeric].dtypes == "float64").all()


def test_every_split_present(demo_table):
    assert set(demo_table["split"].unique()) == set(SPLITS)
    labelled = demo_table[demo_table["split"] != "score"]
    assert labelled["label"].notna().all()
    assert 0.01 < labelled["label"].astype(float).mean() < 0.5


def test_expansion_types_valid(demo_table):
    labelled = demo_table[demo_table["label"].notna()]
    positive = labelled["label"] == 1
    assert set(labelled.loc[positive, "expansion_type"]) <= {"seats", "upgrade", "cross_sell"}
    assert (labelled.loc[~positive, "expansion_type"] == "none").all()
    assert (labelled.loc[positive, "expansion_amount"] > 0).all()
    assert (labelled.loc[~positive, "expansion_amount"] == 0).all()


def test_one_row_per_account_and_date(demo_table):
    assert not demo_table.duplicated(["account_id", "snapshot_date"]).any()


def test_same_input_same_table(demo_export, demo_table, project):
    # A second run writes an identical table: the build is deterministic.
    out = project / "again.parquet"
    result = CliRunner().invoke(app, ["features", "--data", str(demo_export), "--out", str(out)])
    assert result.exit_code == 0, result.output
    pd.testing.assert_frame_equal(pd.read_parquet(out), demo_table)
    assert "positive rate" in result.output
    assert "events excluded from features" in result.output


def test_missing_data_folder_fails(project):
    result = CliRunner().invoke(app, ["features", "--data", str(project / "absent")])
    assert result.exit_code == 1
    assert "error:" in result.output


def test_ravenstack_builds(ravenstack_dir):
    if not RAVENSTACK_MAPPING.is_file():
        pytest.skip(f"mapping {RAVENSTACK_MAPPING} not written yet")
    from expansion_propensity.ingest import load_export

    export = load_export(ravenstack_dir, RAVENSTACK_MAPPING)
    result = build_snapshots(export, Config())
    table = assign_splits(result.table, Config())

    assert len(table) > 0
    assert table["label"].notna().any()
    assert set(table["split"]) >= {"train", "test", "score"}
