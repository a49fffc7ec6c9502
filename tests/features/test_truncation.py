"""Truncation property: a snapshot's features equal those built from the export cut at its date.

For a random snapshot date s, every table is cut to what was recorded before s.
Subscriptions starting on or after s are dropped, and end dates on or after s
become empty. Usage, tickets, surveys and churns dated on or after s are
dropped. A ticket closed on or after s keeps only its opening, without close
date, resolution time, satisfaction or escalation. The features of s must not
change. Exports come from the synthetic generator with a seeded scramble that
adds the untidy records real exports have.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from expansion_propensity.config import Config
from expansion_propensity.contract import Export
from expansion_propensity.features import build_scoring_frame, build_snapshots
from expansion_propensity.features.registry import feature_names
from expansion_propensity.ingest import load_export
from expansion_propensity.synthetic import generate_export

SEEDS = (3, 11, 29)
DATES_PER_SEED = 3
COLUMNS = ["account_id", "snapshot_date", *feature_names()]


def truncate(export: Export, cutoff: pd.Timestamp) -> Export:
    """Return the export as it would have been recorded up to the day before ``cutoff``."""
    subscriptions = export.subscriptions[export.subscriptions["start_date"] < cutoff].copy()
    subscriptions.loc[subscriptions["end_date"] >= cutoff, "end_date"] = pd.NaT

    accounts = export.accounts.copy()
    accounts.loc[accounts["churn_date"] >= cutoff, "churn_date"] = pd.NaT

    tickets = export.tickets[export.tickets["opened_at"] < cutoff].copy()
    still_open = (tickets["closed_at"] >= cutoff).to_numpy()
    for column in ("closed_at", "resolution_hours", "satisfaction", "escalated"):
        tickets.loc[still_open, column] = None

    return dataclasses.replace(
        export,
        accounts=accounts,
        subscriptions=subscriptions,
        usage=export.usage[export.usage["usage_date"] < cutoff],
        tickets=tickets,
        surveys=export.surveys[export.surveys["survey_date"] < cutoff],
        churn_events=export.churn_events[export.churn_events["churn_date"] < cutoff],
    )


def scramble(export: Export, rng: np.random.Generator) -> Export:
    """Add the untidy records of real exports that the generator does not write.

    Usage is filed under a random subscription of its account, a later one
    included. Some tickets lose their close date, so resolution comes from
    ``resolution_hours``. Some accounts churn and later buy again, and some late
    periods have no product name. Active users and premium flags are reported
    only from a date part-way through.
    """
    subscriptions = export.subscriptions
    usage = export.usage.copy()
    by_account = subscriptions.groupby("account_id")["subscription_id"].agg(list)
    choices = usage["account_id"].map(by_account)
    has_choice = choices.notna().to_numpy()
    picks = [ids[rng.integers(len(ids))] for ids in choices[has_choice]]
    usage.loc[has_choice, "subscription_id"] = pd.array(picks, dtype="string")
    # Active users and premium flags are reported only from part-way through.
    first_reported = usage["usage_date"].quantile(rng.uniform(0.2, 0.6))
    unreported = usage["usage_date"] < first_reported
    usage.loc[unreported, "active_users"] = pd.NA
    usage.loc[unreported, "is_premium"] = pd.NA

    tickets = export.tickets.copy()
    tickets.loc[rng.random(len(tickets)) < 0.3, "closed_at"] = pd.NaT

    # Churn a few paying accounts mid-history, then let half of them buy again.
    churned = subscriptions.sample(n=min(6, len(subscriptions)), random_state=rng)
    churn_dates = churned["start_date"] + pd.to_timedelta(rng.integers(40, 200, len(churned)), "D")
    churn = pd.DataFrame({"account_id": churned["account_id"], "churn_date": churn_dates})
    comeback = churned.iloc[: len(churned) // 2].copy()
    comeback["subscription_id"] = comeback["subscription_id"] + "-again"
    comeback["start_date"] = churn_dates.iloc[: len(comeback)] + pd.Timedelta(days=45)
    comeback["end_date"] = pd.NaT

    # Some later periods leave the product empty, as mixed exports do.
    subscriptions = pd.concat([subscriptions, comeback], ignore_index=True)
    late = subscriptions["start_date"] > subscriptions["start_date"].quantile(0.8)
    subscriptions.loc[late & (rng.random(len(subscriptions)) < 0.5), "product"] = pd.NA

    return dataclasses.replace(
        export,
        subscriptions=subscriptions,
        usage=usage,
        tickets=tickets,
        churn_events=pd.concat([export.churn_events, churn], ignore_index=True),
    )


@pytest.fixture(scope="module")
def exports(tmp_path_factory) -> dict[int, Export]:
    folder = tmp_path_factory.mktemp("truncation")
    loaded = {}
    for seed in SEEDS:
        generate_export(folder / f"export_{seed}", n_accounts=60, months=14, seed=seed)
        export = load_export(folder / f"export_{seed}")
        loaded[seed] = scramble(export, np.random.default_rng(seed))
    return loaded


def _features_at(table: pd.DataFrame, date: pd.Timestamp) -> pd.DataFrame:
    return table.loc[table["snapshot_date"] == date, COLUMNS].reset_index(drop=True)


@pytest.mark.parametrize("seed", SEEDS)
def test_truncated_export_same_features(exports, seed):
    export = exports[seed]
    config = Config()
    table = build_snapshots(export, config).table
    dates = pd.DatetimeIndex(table["snapshot_date"].unique())
    rng = np.random.default_rng(seed)

    for date in rng.choice(dates, size=DATES_PER_SEED, replace=False):
        date = pd.Timestamp(date)
        full = _features_at(table, date)
        truncated = build_scoring_frame(truncate(export, date), config, date)

        assert len(full) > 0, f"no snapshot rows at {date.date()}"
        pd.testing.assert_frame_equal(full, truncated, obj=f"features at {date.date()}")


@pytest.mark.parametrize("seed", SEEDS)
def test_truncation_check_can_fail(exports, seed):
    # The comparison can fail: one extra usage row on the day before the
    # snapshot, added to the truncated export only, changes usage_events_30d.
    export = exports[seed]
    config = Config()
    table = build_snapshots(export, config).table
    date = pd.Timestamp(table["snapshot_date"].iloc[-1])
    truncated = truncate(export, date)
    member = table.loc[table["snapshot_date"] == date, "account_id"].iloc[0]
    extra = truncated.usage[truncated.usage["account_id"] == member].head(1).copy()
    extra["usage_date"] = date - pd.Timedelta(days=1)
    extra["usage_count"] = 10**6
    changed = dataclasses.replace(truncated, usage=pd.concat([truncated.usage, extra]))

    with pytest.raises(AssertionError, match="usage_events_30d"):
        pd.testing.assert_frame_equal(
            _features_at(table, date), build_scoring_frame(changed, config, date)
        )


@pytest.mark.parametrize("seed", SEEDS)
def test_scoring_frame_matches_last_snapshot(exports, seed):
    export = exports[seed]
    config = Config()
    day_after = pd.Timestamp(export.as_of).normalize() + pd.Timedelta(days=1)
    frame = build_scoring_frame(export, config, day_after)

    # Every account paying on the as-of day and not churned appears once.
    assert frame["account_id"].is_unique
    assert (frame["snapshot_date"] == day_after).all()
    assert (frame["arr"] > 0).all()
    # The account set by hand: a paid period in force on the as-of day, and no
    # churn after the latest paid start (a reactivation starts on or after it).
    subscriptions = export.subscriptions
    paid = subscriptions[(subscriptions["arr"] > 0) & (subscriptions["start_date"] <= export.as_of)]
    in_force = paid[~(paid["end_date"] <= export.as_of)]
    churns = pd.concat(
        [
            export.churn_events[["account_id", "churn_date"]],
            export.accounts[["account_id", "churn_date"]],
        ]
    ).dropna()
    last_churn = churns[churns["churn_date"] <= export.as_of].groupby("account_id")["churn_date"]
    last_start = paid.groupby("account_id")["start_date"].max()
    churned = last_churn.max().reindex(last_start.index) > last_start
    expected = sorted(set(in_force["account_id"]) - set(last_start.index[churned.to_numpy()]))
    assert sorted(frame["account_id"]) == expected

    # With the as-of date one day later, the same date is the last snapshot date.
    later = dataclasses.replace(export, as_of=day_after)
    last_month = build_snapshots(later, config).table
    assert last_month["snapshot_date"].max() == day_after
    pd.testing.assert_frame_equal(_features_at(last_month, day_after), frame[COLUMNS])


def test_ravenstack_truncated_same_features(ravenstack_dir):
    mapping = Path(__file__).parents[2] / "src/expansion_propensity/mappings/ravenstack.yaml"
    export = load_export(ravenstack_dir, mapping)
    config = Config()
    table = build_snapshots(export, config).table
    dates = pd.DatetimeIndex(table["snapshot_date"].unique())

    for date in np.random.default_rng(0).choice(dates, size=DATES_PER_SEED, replace=False):
        date = pd.Timestamp(date)
        truncated = build_scoring_frame(truncate(export, date), config, date)
        pd.testing.assert_frame_equal(
            _features_at(table, date), truncated, obj=f"features at {date.date()}"
        )


@pytest.mark.parametrize("seed", SEEDS)
def test_labels_see_only_their_window(exports, seed):
    # Cutting the export at s + horizon leaves every label of s unchanged.
    export = exports[seed]
    config = Config()
    horizon = pd.Timedelta(days=config.labels.horizon_days)
    table = build_snapshots(export, config).table
    labelled = pd.DatetimeIndex(table.loc[table["label"].notna(), "snapshot_date"].unique())
    columns = ["account_id", "label", "expansion_amount", "expansion_type"]
    positives = 0

    rng = np.random.default_rng(seed)
    for date in rng.choice(labelled, size=2 * DATES_PER_SEED, replace=False):
        date = pd.Timestamp(date)
        cut = build_snapshots(truncate(export, date + horizon), config).table
        full_labels = table.loc[table["snapshot_date"] == date, columns].reset_index(drop=True)
        cut_labels = cut.loc[cut["snapshot_date"] == date, columns].reset_index(drop=True)

        pd.testing.assert_frame_equal(full_labels, cut_labels, obj=f"labels at {date.date()}")
        positives += int(full_labels["label"].sum())
    assert positives > 0
