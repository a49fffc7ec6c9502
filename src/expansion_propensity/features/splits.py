"""Time-ordered splits of the snapshot table: train, validation, calibration, test.

Periods are whole snapshot dates, latest last. Between two periods, snapshot
dates whose label window [s, s + horizon) reaches into the next period are
set aside as "gap", so no label of an earlier period is decided by events of
a later one. The ``*_months`` settings count snapshot dates (months at the
default monthly cadence). Unlabelled snapshots are "score".
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from expansion_propensity.config import Config
from expansion_propensity.errors import InputError

TRAIN, VALIDATION, CALIBRATION, TEST = "train", "validation", "calibration", "test"
GAP, SCORE = "gap", "score"
PERIODS = (TRAIN, VALIDATION, CALIBRATION, TEST)
SPLITS = (*PERIODS, GAP, SCORE)


def assign_splits(table: pd.DataFrame, config: Config) -> pd.DataFrame:
    """Return a copy of the snapshot table with its ``split`` column set.

    Raises InputError when the labelled snapshot dates cannot fill every period.
    """
    dates = pd.DatetimeIndex(table["snapshot_date"])
    labelled = pd.DatetimeIndex(np.unique(dates[table["label"].notna().to_numpy()]))
    periods = split_dates(labelled, config)

    split = pd.Series(SCORE, index=table.index, dtype="string")
    split[table["label"].notna().to_numpy()] = GAP
    for name, period in periods.items():
        split[dates.isin(period)] = name

    result = table.copy()
    result["split"] = split
    return result


def split_dates(labelled: pd.DatetimeIndex, config: Config) -> dict[str, pd.DatetimeIndex]:
    """Return the snapshot dates of each period, given the sorted labelled dates."""
    boundaries = _allocate(labelled, config)
    if boundaries is None:
        raise InputError(_too_few_message(labelled, config))

    train_end, spans = boundaries
    periods = {TRAIN: labelled[:train_end]}
    for name, (start, end) in spans.items():
        periods[name] = labelled[start:end]
    return periods


def _allocate(
    labelled: pd.DatetimeIndex, config: Config
) -> tuple[int, dict[str, tuple[int, int]]] | None:
    """Place test, calibration and validation from the end, each followed by its gap.

    Returns the end of train and the (start, end) positions of the other periods,
    or None when fewer than one date is left for training.
    """
    horizon = pd.Timedelta(days=config.labels.horizon_days)
    sizes = {
        TEST: config.splits.test_months,
        CALIBRATION: config.splits.calibration_months,
        VALIDATION: config.splits.validation_months,
    }
    spans: dict[str, tuple[int, int]] = {}
    end = len(labelled)
    for name, size in sizes.items():
        start = end - size
        if start < 1:
            return None
        spans[name] = (start, end)
        # Earlier dates qualify only when their window [d, d + horizon) ends before this start.
        end = int(np.searchsorted(labelled, labelled[start] - horizon, side="right"))
    if end < 1:
        return None
    return end, spans


def _too_few_message(labelled: pd.DatetimeIndex, config: Config) -> str:
    """Say how many labelled snapshot dates the splits need, by placing them on a long calendar."""
    last = labelled[-1] if len(labelled) else pd.Timestamp("2000-01-01")
    long_calendar = pd.date_range(end=last, periods=1000, freq=config.snapshots.cadence)
    train_end, _ = _allocate(long_calendar, config)
    needed = len(long_calendar) - train_end + 1
    found = (
        f"{len(labelled)} ({labelled[0].date()} to {labelled[-1].date()})"
        if len(labelled)
        else "none"
    )
    return (
        f"too few labelled snapshot dates for time splits: found {found}, need at least {needed} "
        f"(splits.test_months={config.splits.test_months}, "
        f"splits.calibration_months={config.splits.calibration_months}, "
        f"splits.validation_months={config.splits.validation_months}, one for training, and "
        f"gaps for labels.horizon_days={config.labels.horizon_days} between periods). Lower "
        "those config values or use an export with a longer history."
    )
