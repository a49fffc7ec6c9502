"""run_score wiring with the upstream stages replaced by fixtures.

The end-to-end tests on a generated export are in test_end_to_end.py. These
tests pin the files, manifest and as-of handling without training a model.
"""

import json
import logging
import os
import re
import stat

import pandas as pd
import pytest

import expansion_propensity.features as features_stage
import expansion_propensity.ingest as ingest_stage
import expansion_propensity.modeling.bundle as bundle_module
from expansion_propensity import contract
from expansion_propensity.config import Config
from expansion_propensity.errors import InputError
from expansion_propensity.scoring import run_score
from expansion_propensity.scoring.run import resolve_as_of
from expansion_propensity.scoring.score import CSV_DECIMALS

EXPORT_AS_OF = pd.Timestamp("2024-06-30")


@pytest.fixture
def staged(project, monkeypatch, fixture_bundle, features):
    """Patch loading so run_score scores ``features`` with the fixture bundle."""
    accounts = contract.empty_table(contract.ACCOUNTS).reindex(range(len(features)))
    accounts["account_id"] = features["account_id"].astype("string")
    accounts["account_name"] = ['=HYPERLINK("x")', "<script>alert(1)</script>"] + [
        f"Account {i}" for i in range(len(features) - 2)
    ]
    export = contract.Export(
        accounts=accounts,
        subscriptions=contract.empty_table(contract.SUBSCRIPTIONS),
        usage=contract.empty_table(contract.USAGE),
        tickets=contract.empty_table(contract.TICKETS),
        surveys=contract.empty_table(contract.SURVEYS),
        churn_events=contract.empty_table(contract.CHURN_EVENTS),
        as_of=EXPORT_AS_OF,
        fingerprint="export-fp-123",
        source=str(project / "data/raw/demo"),
        tier_order=["Basic", "Pro", "Enterprise"],
    )
    calls = {}

    def fake_load_bundle(model, config, data_source=None):
        calls["model"] = model
        return fixture_bundle, {"source": "models/champion", "model_version": "7", "run_id": "r-1"}

    def fake_load_export(data_dir, mapping, report_dir=None):
        calls["report_dir"] = report_dir
        return export

    def fake_scoring_frame(export, config, snapshot_date):
        calls["snapshot_date"] = snapshot_date
        return features

    monkeypatch.setattr(bundle_module, "load_bundle", fake_load_bundle)
    monkeypatch.setattr(ingest_stage, "load_export", fake_load_export)
    monkeypatch.setattr(features_stage, "build_scoring_frame", fake_scoring_frame)
    return project, calls


def test_writes_all_files(staged, features):
    project, calls = staged

    run_score(project / "data/raw/demo", None, Config(), project / "data/scores")

    folder = project / "data/scores/2024-06-30"
    assert sorted(p.name for p in folder.iterdir()) == [
        "manifest.json",
        "report.html",
        "scores.csv",
        "scores.parquet",
    ]
    scores = pd.read_parquet(folder / "scores.parquet")
    assert len(scores) == len(features)
    assert scores["account_id"].is_unique
    assert calls["snapshot_date"] == pd.Timestamp("2024-07-01")
    assert calls["report_dir"] == project / "data/interim"
    assert calls["model"] is None


def test_manifest_contents(staged, features):
    project, _ = staged
    config = Config()

    run_score(project / "data/raw/demo", None, config, project / "data/scores", model="m/x")

    manifest = json.loads((project / "data/scores/2024-06-30/manifest.json").read_text())
    assert manifest["as_of"] == "2024-06-30"
    assert manifest["inputs"]["fingerprint"] == "export-fp-123"
    assert manifest["model"]["model_version"] == "7"
    assert manifest["model"]["run_id"] == "r-1"
    assert manifest["model"]["source"] == "models/champion"
    assert manifest["model"]["trained_at"] == "2026-01-01T00:00:00+00:00"
    assert manifest["config_hash"] == config.fingerprint()
    assert manifest["counts"]["accounts_scored"] == len(features)
    assert sum(t["accounts"] for t in manifest["counts"]["tiers"].values()) == len(features)
    assert manifest["counts"]["tiers"]["Not tiered"]["accounts"] >= len(features) * 0.8
    assert manifest["unseen_category_values"] == 0
    assert "no_usage_data" in manifest["missing_feature_groups"]
    assert manifest["shap_additivity_max_error"] < 1e-6
    assert pd.Timestamp(manifest["created_at"]).tzinfo is not None


def test_csv_neutralised(staged):
    project, _ = staged

    run_score(project / "data/raw/demo", None, Config(), project / "data/scores")

    folder = project / "data/scores/2024-06-30"
    csv = pd.read_csv(folder / "scores.csv", encoding="utf-8-sig")
    parquet = pd.read_parquet(folder / "scores.parquet")
    names = dict(zip(csv["account_id"], csv["account_name"], strict=True))
    assert names["A-00000"] == '\'=HYPERLINK("x")'
    assert csv["propensity"].dtype == "float64"
    assert (csv["share_usage"] >= 0).all()
    assert parquet.set_index("account_id").loc["A-00000", "account_name"] == '=HYPERLINK("x")'


def test_report_escapes_names(staged):
    project, _ = staged

    run_score(project / "data/raw/demo", None, Config(), project / "data/scores")

    page = (project / "data/scores/2024-06-30/report.html").read_text()
    assert "<script>" not in page
    assert "data:image/png;base64," in page


def test_as_of_passed_to_features(staged, monkeypatch):
    from expansion_propensity.features import calendar

    project, calls = staged
    # The staged export has no events, so its history start is set by hand.
    monkeypatch.setattr(calendar, "history_start", lambda export: pd.Timestamp("2023-01-01"))

    run_score(project / "data/raw/demo", None, Config(), project / "out", as_of="2024-03-31")

    assert calls["snapshot_date"] == pd.Timestamp("2024-04-01")
    assert (project / "out/2024-03-31/manifest.json").is_file()


def test_terminal_summary(staged, capsys):
    project, _ = staged

    run_score(project / "data/raw/demo", None, Config(), project / "data/scores")

    terminal = capsys.readouterr().err
    assert "400 accounts scored" in terminal
    assert "Top 10 accounts by expected value" in terminal
    assert "Not tiered" in terminal


def test_terminal_reports_checks(staged, monkeypatch, features, capsys):
    project, _ = staged
    changed = features.copy()
    changed.loc[:2, "plan_tier"] = "Platinum"
    changed["no_usage_data"] = 0.0
    changed.loc[:4, "no_usage_data"] = 1.0
    monkeypatch.setattr(features_stage, "build_scoring_frame", lambda *args: changed)

    run_score(project / "data/raw/demo", None, Config(), project / "data/scores")

    terminal = " ".join(capsys.readouterr().err.split())
    manifest = json.loads((project / "data/scores/2024-06-30/manifest.json").read_text())
    assert "3 account(s) with plan_tier values never seen in training" in terminal
    assert "5 account(s) with no usage data" in terminal
    assert manifest["unseen_categories"] == {"plan_tier": {"Platinum": 3}}
    assert manifest["unseen_category_values"] == 3
    assert manifest["missing_feature_groups"]["no_usage_data"] == 5


def test_manifest_top_share_counts(staged, features):
    project, _ = staged

    run_score(project / "data/raw/demo", None, Config(), project / "data/scores")

    manifest = json.loads((project / "data/scores/2024-06-30/manifest.json").read_text())
    scores = pd.read_parquet(project / "data/scores/2024-06-30/scores.parquet")
    top = scores[scores["rank"] <= 80]
    assert manifest["counts"]["top_share_accounts"] == 80
    assert manifest["counts"]["top_share_without_band"] == int((top["tier"] == "Not tiered").sum())
    assert manifest["top_share"] == 0.2


def test_no_active_accounts(staged, monkeypatch, features):
    project, _ = staged
    monkeypatch.setattr(features_stage, "build_scoring_frame", lambda *args: features.head(0))

    with pytest.raises(InputError, match="no account of the export .* is active on 2024-06-30"):
        run_score(project / "data/raw/demo", None, Config(), project / "data/scores")


@pytest.mark.parametrize(
    ("value", "expected"),
    [(None, "2024-06-30"), ("2024-06-30", "2024-06-30"), ("2023-01-15", "2023-01-15")],
    ids=["default", "same-day", "earlier"],
)
def test_resolve_as_of(value, expected):
    assert resolve_as_of(value, pd.Timestamp("2024-06-30 14:00")) == pd.Timestamp(expected)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("2024-07-01", r"--as-of 2024-07-01 is after the export's as-of date 2024-06-30"),
        ("2024-13-01", r"--as-of '2024-13-01' is not a valid date; use YYYY-MM-DD"),
        ("30/06/2024", r"--as-of '30/06/2024' is not a valid date"),
    ],
    ids=["after-export", "bad-month", "wrong-format"],
)
def test_invalid_as_of(value, message):
    with pytest.raises(InputError, match=message):
        resolve_as_of(value, pd.Timestamp("2024-06-30"))


def test_as_of_before_history_rejected():
    with pytest.raises(
        InputError,
        match=r"--as-of 2020-01-01 is before 2023-04-01, the first date with "
        r"snapshots.min_history_days of export history; pick a date between 2023-04-01 and "
        r"2024-06-30",
    ):
        resolve_as_of("2020-01-01", pd.Timestamp("2024-06-30"), pd.Timestamp("2023-04-01"))


def test_as_of_on_earliest_accepted():
    earliest = pd.Timestamp("2023-04-01")
    assert resolve_as_of("2023-04-01", pd.Timestamp("2024-06-30"), earliest) == earliest


def read_outputs(project):
    folder = project / "data/scores/2024-06-30"
    manifest = json.loads((folder / "manifest.json").read_text())
    page = (folder / "report.html").read_text()
    return folder, manifest, page


def use_bundle(monkeypatch, bundle, **info):
    """Make load_bundle return ``bundle`` with extra model info such as not_champion_reason."""
    model_info = {"source": "models:/m/2", "model_version": "2", "run_id": "r-2", **info}
    monkeypatch.setattr(bundle_module, "load_bundle", lambda *args: (bundle, model_info))


def test_not_champion_warned_everywhere(staged, monkeypatch, fixture_bundle, capsys):
    project, _ = staged
    reason = "no champion is trained on export 'demo'; version 2 scores near chance"
    use_bundle(monkeypatch, fixture_bundle, not_champion_reason=reason)

    run_score(project / "data/raw/demo", None, Config(), project / "data/scores")

    _, manifest, page = read_outputs(project)
    terminal = " ".join(capsys.readouterr().err.split())
    warning = f"This model is not the champion: {reason}"
    assert manifest["warnings"] == [warning]
    assert manifest["model"]["not_champion_reason"] == reason
    assert page.index("This model is not the champion") < page.index("<h2>Tiers</h2>")
    assert terminal.endswith(f"Warning: {warning}")


def test_constant_model_warned_everywhere(staged, monkeypatch, constant_bundle, capsys):
    project, _ = staged
    use_bundle(monkeypatch, constant_bundle)

    run_score(project / "data/raw/demo", None, Config(), project / "data/scores")

    folder, manifest, page = read_outputs(project)
    terminal = " ".join(capsys.readouterr().err.split())
    csv = pd.read_csv(folder / "scores.csv", encoding="utf-8-sig")
    expected = (
        "Every account has the same propensity, so ranks, tiers and drivers carry no "
        "information, and ranks only follow account id."
    )
    assert manifest["constant_propensity"] is True
    assert manifest["warnings"] == [expected]
    assert expected in page
    assert terminal.endswith(f"Warning: {expected}")
    assert csv["share_usage"].isna().all()


def test_trained_model_not_constant(staged):
    project, _ = staged

    run_score(project / "data/raw/demo", None, Config(), project / "data/scores")

    _, manifest, page = read_outputs(project)
    assert manifest["constant_propensity"] is False
    assert manifest["warnings"] == []
    assert 'class="warning"' not in page


def test_model_from_other_export_warned(staged, monkeypatch, fixture_bundle, caplog, capsys):
    project, _ = staged
    monkeypatch.setitem(fixture_bundle.metadata, "data_source", "acme")

    with caplog.at_level(logging.WARNING, logger="expansion_propensity.scoring"):
        run_score(project / "data/raw/demo", None, Config(), project / "data/scores", model="m/x")

    _, manifest, page = read_outputs(project)
    terminal = " ".join(capsys.readouterr().err.split())
    warning = "This model was trained on export 'acme', not on the scored export 'demo'."
    assert "trained on export 'acme' but is scoring export 'demo'" in caplog.text
    assert manifest["data_source_mismatch"] is True
    assert manifest["model"]["data_source"] == "acme"
    assert manifest["inputs"]["data_source"] == "demo"
    assert manifest["warnings"] == [warning]
    assert warning.replace("'", "&#x27;") in page
    assert terminal.endswith(f"Warning: {warning}")


def test_model_from_same_export_not_warned(staged, monkeypatch, fixture_bundle, caplog):
    project, _ = staged
    monkeypatch.setitem(fixture_bundle.metadata, "data_source", "demo")

    with caplog.at_level(logging.WARNING, logger="expansion_propensity.scoring"):
        run_score(project / "data/raw/demo", None, Config(), project / "data/scores", model="m/x")

    _, manifest, _ = read_outputs(project)
    assert "trained on export" not in caplog.text
    assert manifest["data_source_mismatch"] is False
    assert manifest["model"]["data_source"] == "demo"


def test_output_files_follow_umask(staged):
    project, _ = staged
    previous = os.umask(0o022)
    try:
        run_score(project / "data/raw/demo", None, Config(), project / "data/scores")
    finally:
        os.umask(previous)

    folder = project / "data/scores/2024-06-30"
    modes = {path.name: stat.S_IMODE(path.stat().st_mode) for path in folder.iterdir()}
    assert modes == dict.fromkeys(
        ["manifest.json", "report.html", "scores.csv", "scores.parquet"], 0o644
    )


def test_csv_floats_rounded(staged):
    project, _ = staged

    run_score(project / "data/raw/demo", None, Config(), project / "data/scores")

    folder = project / "data/scores/2024-06-30"
    text = pd.read_csv(folder / "scores.csv", encoding="utf-8-sig", dtype=str)
    parquet = pd.read_parquet(folder / "scores.parquet")
    for column, decimals in CSV_DECIMALS.items():
        digits = text[column].dropna().str.extract(r"\.(\d+)$", expand=False).str.len()
        assert digits.max() <= decimals, column
    assert re.search(r"\.\d{5,}", parquet["propensity"].map(repr).str.cat())
