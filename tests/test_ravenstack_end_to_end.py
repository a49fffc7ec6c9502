"""The whole main job on a foreign export through its mapping: train, then score.

Skipped when the shared ravenstack export is absent.
"""

import json

import pandas as pd
import pytest
from typer.testing import CliRunner

from expansion_propensity.cli import app
from expansion_propensity.config import Config
from expansion_propensity.features import build_scoring_frame
from expansion_propensity.ingest import load_export

pytestmark = pytest.mark.slow

MAPPING = "ravenstack"


@pytest.fixture(scope="module")
def ravenstack_run(ravenstack_dir, tmp_path_factory):
    """Train and score the ravenstack export in an isolated project; return its outputs."""
    import mlflow

    root = tmp_path_factory.mktemp("ravenstack_e2e")
    runner = CliRunner()
    with pytest.MonkeyPatch.context() as monkeypatch:
        monkeypatch.setenv("EXPANSION_ROOT", str(root))
        monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{root / 'mlflow.db'}")
        monkeypatch.setenv("MLFLOW_DISABLE_TELEMETRY", "true")
        monkeypatch.chdir(root)

        common = ["--data", str(ravenstack_dir), "--mapping", MAPPING]
        trained = runner.invoke(app, ["train", *common])
        scored = runner.invoke(app, ["score", *common])
        yield root, trained, scored
        mlflow.set_tracking_uri(None)


def test_train_completes_and_says_near_chance(ravenstack_run):
    _, trained, _ = ravenstack_run

    assert trained.exit_code == 0, trained.output
    assert "The models score near chance on this data" in trained.output
    assert "Version 1 is the challenger" in trained.output
    assert "gives every test snapshot the same probability" in trained.output


def test_score_lists_each_active_account_once(ravenstack_run, ravenstack_dir):
    root, _, scored = ravenstack_run
    assert scored.exit_code == 0, scored.output

    export = load_export(ravenstack_dir, _mapping_path())
    folder = root / "data" / "scores" / f"{export.as_of:%Y-%m-%d}"
    scores = pd.read_parquet(folder / "scores.parquet")
    active = build_scoring_frame(export, Config(), export.as_of + pd.Timedelta(days=1))

    assert scores["account_id"].is_unique
    assert set(scores["account_id"]) == set(active["account_id"])
    assert len(scores) == len(active)


def test_score_writes_manifest_and_report(ravenstack_run, ravenstack_dir):
    root, _, scored = ravenstack_run
    folder = next((root / "data" / "scores").iterdir())

    manifest = json.loads((folder / "manifest.json").read_text())
    report = (folder / "report.html").read_text(encoding="utf-8")

    assert manifest["counts"]["accounts_scored"] == len(pd.read_csv(folder / "scores.csv"))
    assert manifest["model"]["source"] == "models:/expansion-propensity/1"
    assert "same probability" in manifest["model"]["not_champion_reason"]
    assert manifest["warnings"][0].startswith("This model is not the champion: ")
    assert 'class="warning">This model is not the champion: ' in report
    assert "This model is not the champion: " in scored.output
    assert "<html" in report.lower()
    assert "data:image/png;base64," in report


def _mapping_path():
    from importlib.resources import files

    return files("expansion_propensity") / "mappings" / f"{MAPPING}.yaml"
