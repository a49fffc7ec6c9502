"""Usage and adoption pillars, from the usage table.

Windows end the day before the snapshot: the last 30 days of a snapshot at
day s are [s - 30, s). An account with no usage row before the snapshot gets
NaN for every usage-derived feature and ``no_usage_data`` = 1, because no data
is not the same as no use. Ratios are NaN when their denominator is zero.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from expansion_propensity.features.calendar import Grid
from expansion_propensity.features.prepare import Prepared
from expansion_propensity.features.timeline import (
    NEVER,
    EventIndex,
    count_covering,
    explode_windows,
    max_per_day,
    merge_intervals,
    take,
)

RECENT_DAYS = 30
ADOPTION_DAYS = 90


def usage_features(prepared: Prepared, grid: Grid, seats: np.ndarray) -> dict[str, np.ndarray]:
    """Compute the usage and adoption pillars and the usage-based health features."""
    usage = prepared.usage
    index = EventIndex(usage["code"], usage["day"])
    has_usage = index.sum_before(1.0, grid.code, grid.day) > 0

    events_30d = index.window_sum(usage["events"], grid.code, grid.day, RECENT_DAYS)
    events_90d = index.window_sum(usage["events"], grid.code, grid.day, ADOPTION_DAYS)
    # The 60 days before the last 30, as a monthly average.
    earlier_monthly = (events_90d - events_30d) / 2
    active_users = _active_users(usage, grid, has_usage)

    with np.errstate(divide="ignore", invalid="ignore"):
        features = {
            "usage_events_30d": events_30d,
            "usage_events_90d": events_90d,
            "usage_trend": _ratio(events_30d, earlier_monthly),
            "active_users_30d": active_users,
            "seat_utilisation": _ratio(active_users, seats),
            **_adoption(prepared, grid, events_90d),
            "error_rate_30d": _error_rate(usage, index, grid),
            "days_since_last_activity": grid.day
            - take(usage["day"], index.last_before(grid.code, grid.day), np.nan),
        }
    for name, values in features.items():
        features[name] = np.where(has_usage, values, np.nan)
    features["no_usage_data"] = (~has_usage).astype(float)
    return features


def _ratio(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    denominator = np.asarray(denominator, dtype=float)
    safe = np.where(denominator > 0, denominator, 1.0)
    return np.where(denominator > 0, numerator / safe, np.nan)


def _active_users(usage: pd.DataFrame, grid: Grid, has_usage: np.ndarray) -> np.ndarray:
    """Return the largest active-user count reported on any day in the last 30 days.

    Rows are per feature and day, so distinct users across them are unknown and
    the maximum is a lower bound. With usage history but no row in the window
    the value is 0. Before the first day any row of the export reports active
    users the value is NaN, so a column that starts later leaves earlier
    snapshots missing instead of 0.
    """
    reported = usage[usage["active_users"].notna()]
    if reported.empty:
        return np.full(len(grid), np.nan)

    codes, days, daily_peak = max_per_day(
        reported["code"].to_numpy(), reported["day"].to_numpy(), reported["active_users"]
    )
    event_rows, grid_rows = explode_windows(codes, days, RECENT_DAYS, grid.code, grid.day)

    # Counts are non-negative, so a 0 start leaves every reported peak intact.
    result = np.zeros(len(grid))
    np.maximum.at(result, grid_rows, daily_peak[event_rows])
    reporting = grid.day > reported["day"].min()
    return np.where(has_usage & reporting, result, np.nan)


def _adoption(prepared: Prepared, grid: Grid, events_90d: np.ndarray) -> dict[str, np.ndarray]:
    usage = prepared.usage
    feature_code = usage["feature_code"].to_numpy()
    pair = usage["code"].to_numpy() * len(prepared.feature_catalogue) + feature_code

    used = _distinct_in_window(pair, usage["day"], len(prepared.feature_catalogue), grid)
    premium_rows = (usage["premium"] == 1).to_numpy()
    premium = _distinct_in_window(
        pair[premium_rows], usage["day"][premium_rows], len(prepared.feature_catalogue), grid
    )
    # Missing until the first day any row of the export carries a premium flag.
    flagged_days = usage["day"][usage["premium"].notna()]
    first_flagged = flagged_days.min() if len(flagged_days) else NEVER
    premium = np.where(grid.day > first_flagged, premium, np.nan)

    # A feature is new in the window when the account's first use of it falls there.
    first_use = pd.Series(usage["day"].to_numpy()).groupby(pair).min()
    first_pair, first_day = first_use.index.to_numpy(), first_use.to_numpy()
    new = count_covering(
        first_pair // len(prepared.feature_catalogue),
        first_day,
        first_day + ADOPTION_DAYS,
        grid.code,
        grid.day,
    )

    return {
        "feature_breadth": _ratio(used, _catalogue_size(usage, feature_code, grid)),
        "feature_depth": _ratio(events_90d, used),
        "new_features_90d": new,
        "premium_features_90d": premium,
    }


def _distinct_in_window(
    pair: np.ndarray, days: pd.Series, n_features: int, grid: Grid
) -> np.ndarray:
    """Count distinct features per account used in [s - 90, s)."""
    days = np.asarray(days, dtype=np.int64)
    pair, starts, ends = merge_intervals(pair, days, days + ADOPTION_DAYS)
    return count_covering(pair // n_features, starts, ends, grid.code, grid.day)


def _catalogue_size(usage: pd.DataFrame, feature_code: np.ndarray, grid: Grid) -> np.ndarray:
    """Count the features any account used before the snapshot: the catalogue then known."""
    first_days = np.sort(pd.Series(usage["day"].to_numpy()).groupby(feature_code).min().to_numpy())
    return np.searchsorted(first_days, grid.day, side="left").astype(float)


def _error_rate(usage: pd.DataFrame, index: EventIndex, grid: Grid) -> np.ndarray:
    """Errors per event in the last 30 days, over rows that report an error count."""
    reported = usage["errors"].notna().to_numpy()
    errors = index.window_sum(usage["errors"].fillna(0.0), grid.code, grid.day, RECENT_DAYS)
    events = index.window_sum(
        np.where(reported, usage["events"], 0.0), grid.code, grid.day, RECENT_DAYS
    )
    return _ratio(errors, events)
