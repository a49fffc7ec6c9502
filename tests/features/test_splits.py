"""Time splits: periods in order, gaps wide enough for the label horizon, clear errors."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from expansion_propensity.errors import InputError
from expansion_propensity.features import assign_splits
from expansion_propensity.features.splits import PERIODS


def _table(n_labelled: int, n_unlabelled: int = 2, accounts: int = 3) -> pd.DataFrame:
    dates = pd.date_range("2022-01-01", periods=n_labelled + n_unlabelled, freq="MS")
    table = pd.DataFrame(
        {
            "account_id": np.tile([f"acc{i}" for i in range(accounts)], len(dates)),
            "snapshot_date": np.repeat(dates, accounts),
        }
    )
    labelled = table["snapshot_date"] < dates[n_labelled]
    table["label"] = pd.array(np.where(labelled, 0, 1), dtype="Int8")
    table.loc[~labelled, "label"] = pd.NA
    return table


def _period_dates(table: pd.DataFrame) -> dict[str, pd.Series]:
    return {
        name: table.loc[table["split"] == name, "snapshot_date"].drop_duplicates()
        for name in PERIODS
    }


@pytest.fixture
def split(make_config) -> pd.DataFrame:
    return assign_splits(_table(30), make_config(horizon_days=90))


def test_period_sizes(split):
    periods = _period_dates(split)
    assert len(periods["test"]) == 3
    assert len(periods["calibration"]) == 3
    assert len(periods["validation"]) == 3
    # 30 labelled months: 9 in periods, 3 gaps of 2 months (a 90-day window
    # from the 1st of the month before a period reaches into it), 15 train.
    assert len(periods["train"]) == 15
    assert (split["split"] == "gap").sum() == 6 * 3


def test_label_windows_end_before_next_period(split):
    periods = _period_dates(split)
    horizon = pd.Timedelta(days=90)
    for earlier, later in zip(PERIODS, PERIODS[1:], strict=False):
        last_window_end = periods[earlier].max() + horizon
        assert last_window_end <= periods[later].min(), f"{earlier} overlaps {later}"


def test_no_training_window_reaches_test(split):
    test_start = split.loc[split["split"] == "test", "snapshot_date"].min()
    fitted = split[split["split"].isin(["train", "validation", "calibration"])]
    assert (fitted["snapshot_date"] + pd.Timedelta(days=90) <= test_start).all()
    test_dates = set(split.loc[split["split"] == "test", "snapshot_date"])
    assert test_dates.isdisjoint(set(fitted["snapshot_date"]))


def test_unlabelled_rows_are_score(split):
    unlabelled = split[split["label"].isna()]
    assert len(unlabelled) == 6
    assert (unlabelled["split"] == "score").all()
    assert split.loc[split["label"].notna(), "split"].ne("score").all()


def test_split_dtype_and_copy(make_config):
    table = _table(30)
    result = assign_splits(table, make_config())
    assert result["split"].dtype == "string"
    assert "split" not in table.columns


def test_short_horizon_needs_no_gap(make_config):
    # A 28-day window from the 1st of a month never reaches the next month's 1st.
    split = assign_splits(_table(12), make_config(horizon_days=28))
    assert (split["split"] == "gap").sum() == 0
    assert len(_period_dates(split)["train"]) == 3


def test_too_few_months_raises(make_config):
    with pytest.raises(InputError, match=r"found 12 .* need at least 17 .*splits.test_months=3"):
        assign_splits(_table(12), make_config(horizon_days=90))


def test_no_labelled_months_raises(make_config):
    with pytest.raises(InputError, match="found none, need at least 16"):
        assign_splits(_table(0, n_unlabelled=3), make_config(horizon_days=90))


def test_smaller_periods_fit(make_config):
    split = assign_splits(
        _table(12),
        make_config(horizon_days=90, test_months=1, calibration_months=1, validation_months=1),
    )
    periods = _period_dates(split)
    assert [len(periods[name]) for name in PERIODS] == [3, 1, 1, 1]
