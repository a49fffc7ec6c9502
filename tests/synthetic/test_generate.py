"""The synthetic export: determinism, contract, realism and the truth kept aside."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

from expansion_propensity.contract import TABLES
from expansion_propensity.errors import InputError
from expansion_propensity.synthetic import generate_export

EXPORT_FILES = [f"{name}.csv" for name in TABLES]


def read_subscriptions(folder: Path) -> pd.DataFrame:
    return pd.read_csv(folder / "subscriptions.csv", parse_dates=["start_date", "end_date"])


def arr_changes(subscriptions: pd.DataFrame) -> pd.DataFrame:
    """Return each account's net ARR change per date, with the ARR before and after it.

    A period is in force from its start date up to, not including, its end date.
    """
    starts = subscriptions[["account_id", "start_date", "arr"]].rename(
        columns={"start_date": "date"}
    )
    ended = subscriptions.dropna(subset=["end_date"])
    ends = ended.assign(arr=-ended["arr"])[["account_id", "end_date", "arr"]].rename(
        columns={"end_date": "date"}
    )
    steps = pd.concat([starts, ends]).groupby(["account_id", "date"], as_index=False)["arr"].sum()
    steps = steps.sort_values(["account_id", "date"]).rename(columns={"arr": "delta"})
    steps["arr_after"] = steps.groupby("account_id")["delta"].cumsum()
    steps["arr_before"] = steps["arr_after"] - steps["delta"]
    steps["first"] = steps.groupby("account_id").cumcount() == 0
    return steps.reset_index(drop=True)


def expansions(folder: Path) -> pd.DataFrame:
    """Return the ARR increases after each account's first period: its expansions."""
    steps = arr_changes(read_subscriptions(folder))
    return steps[~steps["first"] & (steps["delta"] > 0)]


def file_digests(folder) -> dict[str, str]:
    return {name: hashlib.sha256((folder / name).read_bytes()).hexdigest() for name in EXPORT_FILES}


def test_same_seed_gives_identical_files(small_export, small_export_again):
    folder, _ = small_export

    assert file_digests(folder) == file_digests(small_export_again)


def test_same_seed_gives_identical_truth(small_export, small_export_again):
    folder, summary = small_export
    first = pd.read_parquet(folder.parent / "export_truth" / "true_probabilities.parquet")
    second = pd.read_parquet(
        small_export_again.parent / "export_truth" / "true_probabilities.parquet"
    )

    pd.testing.assert_frame_equal(first, second)


def test_other_seed_gives_other_files(small_export, tmp_path):
    folder, _ = small_export
    generate_export(tmp_path / "export", n_accounts=300, months=24, seed=8)
    same, other = file_digests(folder), file_digests(tmp_path / "export")

    for name in EXPORT_FILES:
        assert same[name] != other[name], name


def test_files_use_unix_line_endings(small_export):
    folder, _ = small_export

    for name in EXPORT_FILES:
        assert b"\r" not in (folder / name).read_bytes(), name


def test_truth_kept_outside_export(small_export):
    folder, summary = small_export
    truth_dir = folder.parent / "export_truth"

    assert summary["truth_dir"] == str(truth_dir)
    assert (truth_dir / "true_probabilities.parquet").is_file()
    assert (truth_dir / "manifest.json").is_file()
    assert sorted(p.name for p in folder.iterdir()) == sorted(EXPORT_FILES)


def test_export_has_no_truth_like_column(small_export):
    folder, _ = small_export
    suspicious = ("prob", "hazard", "truth", "p_expand", "latent", "budget", "health")

    for name in EXPORT_FILES:
        columns = pd.read_csv(folder / name, nrows=1).columns
        for column in columns:
            assert not any(word in column.lower() for word in suspicious), (name, column)


@pytest.mark.parametrize("table", list(TABLES), ids=list(TABLES))
def test_schema_matches_contract(small_export, table):
    folder, _ = small_export
    spec = TABLES[table]
    columns = list(pd.read_csv(folder / f"{table}.csv", nrows=1).columns)

    assert set(spec.required_columns) <= set(columns)
    assert set(columns) <= set(spec.column_names)


def test_dates_are_iso_and_inside_window(small_export):
    folder, summary = small_export
    start, end = pd.Timestamp(summary["window_start"]), pd.Timestamp(summary["window_end"])
    usage = pd.read_csv(folder / "usage.csv", usecols=["usage_date"])
    dates = pd.to_datetime(usage["usage_date"], format="%Y-%m-%d")

    assert dates.min() >= start
    assert dates.max() <= end
    assert summary["window_end"] == "2026-10-31"


def test_usage_within_account_lifetime(small_export):
    folder, _ = small_export
    usage = pd.read_csv(folder / "usage.csv", parse_dates=["usage_date"])
    accounts = pd.read_csv(folder / "accounts.csv", parse_dates=["customer_since", "churn_date"])
    joined = usage.merge(accounts, on="account_id", how="left")

    assert joined["customer_since"].notna().all()
    assert (joined["usage_date"] >= joined["customer_since"]).all()
    churned = joined["churn_date"].notna()
    assert (joined.loc[churned, "usage_date"] < joined.loc[churned, "churn_date"]).all()


def test_usage_names_period_in_force(small_export):
    folder, _ = small_export
    usage = pd.read_csv(folder / "usage.csv", parse_dates=["usage_date"])
    periods = read_subscriptions(folder)
    joined = usage.merge(periods, on="subscription_id", how="left", suffixes=("", "_sub"))

    assert (joined["account_id"] == joined["account_id_sub"]).all()
    assert (joined["usage_date"] >= joined["start_date"]).all()
    open_ended = joined["end_date"].isna()
    assert (joined.loc[~open_ended, "usage_date"] < joined.loc[~open_ended, "end_date"]).all()


def test_no_negative_values_and_ordered_dates(small_export):
    folder, _ = small_export
    periods = read_subscriptions(folder)
    usage = pd.read_csv(folder / "usage.csv")
    tickets = pd.read_csv(folder / "tickets.csv", parse_dates=["opened_at", "closed_at"])

    assert (periods["seats"] >= 0).all()
    assert (periods["arr"] > 0).all()
    closed = periods["end_date"].notna()
    assert (periods.loc[closed, "end_date"] >= periods.loc[closed, "start_date"]).all()
    for column in ("usage_count", "duration_secs", "error_count", "active_users"):
        assert (usage[column] >= 0).all(), column
    done = tickets["closed_at"].notna()
    assert (tickets.loc[done, "closed_at"] >= tickets.loc[done, "opened_at"]).all()


def test_churn_closes_every_period(small_export):
    folder, _ = small_export
    accounts = pd.read_csv(folder / "accounts.csv", parse_dates=["churn_date"])
    periods = read_subscriptions(folder).merge(accounts[["account_id", "churn_date"]])
    churned = periods[periods["churn_date"].notna()]

    assert len(churned) > 0
    assert churned["end_date"].notna().all()
    assert (churned["end_date"] <= churned["churn_date"]).all()


def test_every_expansion_clears_threshold(modest_export):
    folder, _ = modest_export
    grown = expansions(folder)

    assert len(grown) > 500
    assert (grown["delta"] >= 0.10 * grown["arr_before"]).all()
    assert (grown["delta"] >= 1000).all()


def test_quarterly_rate_in_saas_range(modest_export):
    _, summary = modest_export

    assert 0.03 <= summary["quarterly_expansion_rate"] <= 0.15


def test_acv_spans_smb_to_enterprise(modest_export):
    _, summary = modest_export
    acv = summary["acv_percentiles"]

    assert 1_500 <= acv["p10"] <= 8_000
    assert 200_000 <= acv["p99"] <= 1_500_000
    assert acv["p10"] < acv["p50"] < acv["p90"] < acv["p99"]


def test_segment_mix_and_products(modest_export):
    folder, _ = modest_export
    accounts = pd.read_csv(folder / "accounts.csv")
    shares = accounts["segment"].value_counts(normalize=True)
    products = set(read_subscriptions(folder)["product"])

    assert shares["SMB"] == pytest.approx(0.6, abs=0.05)
    assert shares["Enterprise"] == pytest.approx(0.1, abs=0.03)
    assert products == {"core", "analytics", "automation", "security"}


def test_truth_covers_active_month_starts(small_export):
    folder, summary = small_export
    truth = pd.read_parquet(folder.parent / "export_truth" / "true_probabilities.parquet")
    accounts = pd.read_csv(folder / "accounts.csv", parse_dates=["customer_since", "churn_date"])
    joined = truth.merge(accounts, on="account_id", how="left")

    assert list(truth.columns) == ["account_id", "snapshot_date", "p_expand"]
    assert (truth["snapshot_date"].dt.day == 1).all()
    assert truth["p_expand"].between(0, 1).all()
    assert (joined["customer_since"] < joined["snapshot_date"]).all()
    churned = joined["churn_date"].notna()
    assert (joined.loc[churned, "churn_date"] > joined.loc[churned, "snapshot_date"]).all()
    assert not truth.duplicated(["account_id", "snapshot_date"]).any()


def test_truth_predicts_realised_expansions(modest_export):
    folder, summary = modest_export
    truth = pd.read_parquet(folder.parent / "export_truth" / "true_probabilities.parquet")
    grown = expansions(folder)[["account_id", "date"]]
    pairs = truth.merge(grown, on="account_id", how="left")
    in_horizon = (pairs["date"] >= pairs["snapshot_date"]) & (
        pairs["date"] < pairs["snapshot_date"] + pd.Timedelta(days=90)
    )
    label = pairs.assign(y=in_horizon).groupby(["account_id", "snapshot_date"])["y"].any()
    scored = truth.set_index(["account_id", "snapshot_date"]).join(label).reset_index()
    # Snapshots whose horizon runs past the window end have incomplete labels.
    last_full = pd.Timestamp(summary["window_end"]) - pd.Timedelta(days=90)
    scored = scored[scored["snapshot_date"] <= last_full]

    auc = roc_auc_score(scored["y"], scored["p_expand"])
    assert 0.72 <= auc <= 0.92
    assert scored["p_expand"].mean() == pytest.approx(scored["y"].mean(), abs=0.03)


def test_manifest_matches_files(small_export):
    folder, summary = small_export
    manifest = json.loads((folder.parent / "export_truth" / "manifest.json").read_text())

    assert manifest["seed"] == 7
    assert manifest["accounts"] == 300
    for name in TABLES:
        rows = len(pd.read_csv(folder / f"{name}.csv"))
        assert manifest["rows"][name] == rows, name
    assert manifest["quarterly_expansion_rate"] == summary["quarterly_expansion_rate"]


def test_usage_shows_premium_and_capacity(modest_export):
    folder, _ = modest_export
    usage = pd.read_csv(
        folder / "usage.csv",
        usecols=["account_id", "usage_date", "active_users", "feature", "is_premium"],
    )
    periods = read_subscriptions(folder)
    core_seats = periods[periods["product"] == "core"].groupby("account_id")["seats"].max()
    users = usage.groupby("account_id")["active_users"].max()
    utilisation = users / core_seats.reindex(users.index)

    assert usage["feature"].nunique() == 20
    assert usage.groupby("feature")["is_premium"].first().sum() == 8
    assert (utilisation > 1.0).any()
    assert np.isfinite(utilisation).all()


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"n_accounts": 5}, "n_accounts=5 is too small"),
        ({"months": 6}, "months=6 is too short"),
    ],
    ids=["few-accounts", "short-window"],
)
def test_rejects_invalid_size(tmp_path, kwargs, message):
    with pytest.raises(InputError, match=message):
        generate_export(tmp_path / "export", **kwargs)


def test_rejects_truth_inside_export(tmp_path):
    out = tmp_path / "export"

    with pytest.raises(InputError, match="inside the export folder"):
        generate_export(out, n_accounts=20, months=12, truth_dir=out / "truth")


def test_rejects_truth_path_that_is_file(tmp_path):
    truth_file = tmp_path / "truth"
    truth_file.write_text("not a folder")

    with pytest.raises(InputError, match="truth folder .* is a file"):
        generate_export(tmp_path / "export", n_accounts=20, months=12, truth_dir=truth_file)
