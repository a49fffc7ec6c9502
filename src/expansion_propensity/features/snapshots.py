"""Point-in-time snapshot tables: features for every paying account at each snapshot date.

A snapshot at date s uses only events dated strictly before s, and its label
covers [s, s + horizon). See docs/features.md for every rule.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import pandas as pd

from expansion_propensity.config import Config
from expansion_propensity.contract import Export
from expansion_propensity.features import registry
from expansion_propensity.features.calendar import Grid, member_grid, snapshot_dates
from expansion_propensity.features.context import context_features
from expansion_propensity.features.health import health_features
from expansion_propensity.features.labels import label_grid
from expansion_propensity.features.prepare import Prepared, prepare
from expansion_propensity.features.splits import SCORE
from expansion_propensity.features.tenure import tenure_features
from expansion_propensity.features.timeline import from_days, to_days
from expansion_propensity.features.usage import usage_features

logger = logging.getLogger(__name__)

LABEL_COLUMNS = ["label", "expansion_amount", "expansion_type", "split"]


@dataclass(frozen=True)
class SnapshotResult:
    """The snapshot table, the events excluded from it by reason, and the tier order used."""

    table: pd.DataFrame
    excluded: dict[str, int]
    tier_order: list[str]


def build_snapshots(export: Export, config: Config) -> SnapshotResult:
    """Build features and labels for every paying account at every snapshot date.

    Unlabelled rows (horizon past the as-of date) get split "score"; labelled
    rows keep split <NA> until ``assign_splits`` places them in a period.
    """
    prepared = prepare(export)
    dates = snapshot_dates(export, config)
    grid = member_grid(prepared, dates)
    logger.info(
        "building %d snapshots over %d dates (%s to %s)",
        len(grid),
        len(dates),
        dates[0].date(),
        dates[-1].date(),
    )

    frame = _feature_frame(prepared, grid, config)
    labels = label_grid(prepared, grid, config.labels, int(to_days([export.as_of])[0]))
    frame["label"] = labels.label.array
    frame["expansion_amount"] = labels.expansion_amount
    frame["expansion_type"] = labels.expansion_type.array
    split = pd.Series(pd.NA, index=frame.index, dtype="string")
    split[frame["label"].isna()] = SCORE
    frame["split"] = split

    return SnapshotResult(
        table=_sorted(frame), excluded=prepared.excluded, tier_order=prepared.tier_order
    )


def build_scoring_frame(
    export: Export, config: Config, snapshot_date: pd.Timestamp
) -> pd.DataFrame:
    """Return one feature row for every account paying on the day before ``snapshot_date``.

    Scoring passes the as-of date plus one day, so events on the as-of day count.
    """
    prepared = prepare(export)
    grid = member_grid(prepared, pd.DatetimeIndex([pd.Timestamp(snapshot_date).normalize()]))
    return _sorted(_feature_frame(prepared, grid, config))


def _feature_frame(prepared: Prepared, grid: Grid, config: Config) -> pd.DataFrame:
    """Compute every registry feature for the grid rows, in registry order and dtypes."""
    context = context_features(prepared, grid, config.labels)
    computed = {
        **tenure_features(prepared, grid),
        **usage_features(prepared, grid, context["seats"]),
        **health_features(prepared, grid),
        **context,
    }

    columns: dict[str, object] = {
        "account_id": pd.array(prepared.account_ids[grid.code], dtype="string"),
        "snapshot_date": from_days(grid.day),
    }
    for name in registry.feature_names():
        if name not in computed:
            raise KeyError(f"feature {name!r} is in the registry but no module computes it")
        columns[name] = _typed(name, computed[name])
    return pd.DataFrame(columns)


def _typed(name: str, values) -> pd.api.extensions.ExtensionArray | np.ndarray:
    if registry.get(name).kind == registry.CATEGORICAL:
        return pd.array(np.asarray(values, dtype=object), dtype="string")
    return np.asarray(values, dtype=np.float64)


def _sorted(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.sort_values(["snapshot_date", "account_id"], kind="stable").reset_index(drop=True)
