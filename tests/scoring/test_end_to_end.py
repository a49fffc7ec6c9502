"""Score a generated export with a champion trained on it, as a user would."""

import json

import pandas as pd
import pytest
from typer.testing import CliRunner

from expansion_propensity.cli import app
from expansion_propensity.config import Config
from expansion_propensity.errors import ModelError
from expansion_propensity.features import build_scoring_frame
from expansion_propensity.ingest import load_export
from expansion_propensity.modeling import run_train
from expansion_propensity.modeling.bundle import load_bundle
from expansion_propensity.scoring import run_score, score_accounts
from expansion_propensity.synthetic import generate_export

pytestmark = pytest.mark.slow

FAST = {
    "lightgbm": {
        "n_estimators": 200,
        "learning_rate": 0.08,
        "min_child_samples": 20,
        "early_stopping_rounds": 20,
    },
    "calibration": {"isotonic_min_positives": 100},
}


@pytest.fixture(scope="module")
def trained_project(tmp_path_factory):
    """A project with a 600-account, 24-month export, a trained champion and one scoring run."""
    import mlflow

    root = tmp_path_factory.mktemp("scoring_e2e")
    with pytest.MonkeyPatch.context() as monkeypatch:
        for sub in ("data/raw", "data/interim", "data/scores", "models"):
            (root / sub).mkdir(parents=True, exist_ok=True)
        monkeypatch.setenv("EXPANSION_ROOT", str(root))
        monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{root / 'mlflow.db'}")
        monkeypatch.setenv("MLFLOW_DISABLE_TELEMETRY", "true")
        monkeypatch.chdir(root)

        config = Config.model_validate(FAST)
        data = root / "data/raw/demo"
        generate_export(data, n_accounts=600, months=24, seed=3, truth_dir=root / "truth")
        run_train(data, None, config, root / "models/champion")
        run_score(data, None, config, root / "data/scores")
        yield root, data, config
        # MLflow keeps the tracking URI in a module global; later tests start clean.
        mlflow.set_tracking_uri(None)


@pytest.fixture(scope="module")
def default_run(trained_project):
    root, data, _ = trained_project
    export = load_export(data, None)
    folder = root / "data/scores" / f"{export.as_of:%Y-%m-%d}"
    return export, folder


def active_accounts(export, as_of: pd.Timestamp) -> set[str]:
    """Accounts with a paid subscription period in force on ``as_of`` and no churn by then."""
    subscriptions = export.subscriptions
    in_force = (subscriptions["start_date"] <= as_of) & (
        subscriptions["end_date"].isna() | (subscriptions["end_date"] > as_of)
    )
    paying = set(subscriptions.loc[in_force & (subscriptions["arr"] > 0), "account_id"])
    churned = set(export.churn_events.loc[export.churn_events["churn_date"] <= as_of, "account_id"])
    accounts = export.accounts
    churned |= set(accounts.loc[accounts["churn_date"] <= as_of, "account_id"])
    return {str(account) for account in paying - churned}


def test_each_active_account_once(default_run):
    export, folder = default_run

    scores = pd.read_parquet(folder / "scores.parquet")

    assert scores["account_id"].is_unique
    assert set(scores["account_id"]) == active_accounts(export, export.as_of.normalize())
    assert len(pd.read_csv(folder / "scores.csv", encoding="utf-8-sig")) == len(scores)


def test_manifest_names_champion(default_run):
    export, folder = default_run

    manifest = json.loads((folder / "manifest.json").read_text())

    assert manifest["model"]["source"] == "models:/expansion-propensity@champion"
    assert manifest["model"]["model_version"] == "1"
    assert len(manifest["model"]["run_id"]) == 32
    assert manifest["inputs"]["fingerprint"] == export.fingerprint
    assert manifest["config_hash"] == Config.model_validate(FAST).fingerprint()
    assert manifest["shap_additivity_max_error"] < 1e-6
    assert manifest["counts"]["top_share_accounts"] == -(
        -manifest["counts"]["accounts_scored"] // 5
    )


def test_real_bundle_additivity(trained_project):
    _, data, config = trained_project
    bundle, _ = load_bundle(None, config)
    export = load_export(data, None)
    features = build_scoring_frame(export, config, export.as_of + pd.Timedelta(days=1))

    contributions = bundle.contributions(features)

    totals = contributions.sum(axis=1).to_numpy()
    assert abs(totals - bundle.raw_score(features)).max() < 1e-6


def test_cli_scores_earlier_date(trained_project):
    root, data, _ = trained_project

    result = CliRunner().invoke(
        app,
        ["score", "--data", str(data), "--out", str(root / "cli_scores"), "--as-of", "2026-06-30"]
        + ["--model", str(root / "models/champion")],
    )

    assert result.exit_code == 0, result.output
    manifest = json.loads((root / "cli_scores/2026-06-30/manifest.json").read_text())
    scores = pd.read_parquet(root / "cli_scores/2026-06-30/scores.parquet")
    assert manifest["model"]["source"] == str(root / "models/champion")
    export = load_export(data, None)
    assert set(scores["account_id"]) == active_accounts(export, pd.Timestamp("2026-06-30"))


def test_cli_rejects_future_as_of(trained_project):
    root, data, _ = trained_project

    result = CliRunner().invoke(app, ["score", "--data", str(data), "--as-of", "2030-01-01"])

    assert result.exit_code == 1
    assert "--as-of 2030-01-01 is after the export's as-of date" in result.output


def test_real_bundle_rejects_missing_feature(trained_project):
    _, data, config = trained_project
    bundle, info = load_bundle(None, config)
    export = load_export(data, None)
    features = build_scoring_frame(export, config, export.as_of + pd.Timedelta(days=1))

    with pytest.raises(ModelError, match=r"lack 1 feature\(s\).*\['usage_trend'\]"):
        score_accounts(bundle, features.drop(columns="usage_trend"), config, export.as_of, info)


def test_real_bundle_counts_unseen(trained_project):
    _, data, config = trained_project
    bundle, info = load_bundle(None, config)
    export = load_export(data, None)
    features = build_scoring_frame(export, config, export.as_of + pd.Timedelta(days=1))
    features.loc[:9, "plan_tier"] = "Platinum"

    result = score_accounts(bundle, features, config, export.as_of, info)

    assert result.unseen_categories == {"plan_tier": {"Platinum": 10}}
    assert len(result.scores) == len(features)
