"""Randomised check of the time splits: no label window of a period reaches a later one."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from expansion_propensity.config import Config, LabelConfig, SnapshotConfig, SplitConfig
from expansion_propensity.errors import InputError
from expansion_propensity.features import assign_splits
from expansion_propensity.features.splits import PERIODS

CADENCES = ("MS", "W-MON", "14D", "QS")


def _table(dates: pd.DatetimeIndex, n_unlabelled: int) -> pd.DataFrame:
    labels = np.zeros(len(dates), dtype=object)
    labels[len(dates) - n_unlabelled :] = pd.NA
    return pd.DataFrame(
        {
            "account_id": "acc",
            "snapshot_date": dates,
            "label": pd.array(labels, dtype="Int8"),
        }
    )


@pytest.mark.parametrize("seed", range(5))
def test_random_splits_keep_windows_apart(seed):
    rng = np.random.default_rng(seed)
    checked = 0
    for _ in range(40):
        cadence = CADENCES[rng.integers(len(CADENCES))]
        dates = pd.date_range("2021-01-04", periods=int(rng.integers(5, 80)), freq=cadence)
        horizon = int(rng.integers(7, 200))
        sizes = {name: int(rng.integers(1, 5)) for name in ("test", "calibration", "validation")}
        config = Config(
            snapshots=SnapshotConfig(cadence=cadence),
            labels=LabelConfig(horizon_days=horizon),
            splits=SplitConfig(**{f"{name}_months": size for name, size in sizes.items()}),
        )
        table = _table(dates, n_unlabelled=int(rng.integers(0, 3)))
        try:
            split = assign_splits(table, config)
        except InputError:
            continue
        checked += 1

        periods = {name: split.loc[split["split"] == name, "snapshot_date"] for name in PERIODS}
        for name, size in sizes.items():
            assert len(periods[name]) == size, f"{name} size with {cadence}, horizon {horizon}"
        assert len(periods["train"]) >= 1
        for earlier, later in zip(PERIODS, PERIODS[1:], strict=False):
            window_end = periods[earlier].max() + pd.Timedelta(days=horizon)
            assert window_end <= periods[later].min(), f"{earlier} reaches {later}"
        # A gap date is labelled, in no period, and its window reaches the next period.
        gaps = split.loc[split["split"] == "gap", "snapshot_date"]
        later_starts = pd.DatetimeIndex([periods[name].min() for name in PERIODS[1:]])
        for gap in gaps:
            next_start = later_starts[later_starts > gap].min()
            assert gap + pd.Timedelta(days=horizon) > next_start
        assert (split.loc[split["label"].isna(), "split"] == "score").all()
    assert checked >= 10
