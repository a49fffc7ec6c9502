"""Snapshot dates and the accounts that are paying customers at each one."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from expansion_propensity.config import Config
from expansion_propensity.contract import Export
from expansion_propensity.errors import InputError
from expansion_propensity.features.prepare import Prepared
from expansion_propensity.features.timeline import NEVER, last_before, step_sum, take, to_days

# ARR sums below half a cent are rounding residue from adding and removing periods.
ARR_EPSILON = 0.005


@dataclass(frozen=True)
class Grid:
    """One row per (account, snapshot) in the table, sorted by account code, then day."""

    code: np.ndarray
    day: np.ndarray

    def __len__(self) -> int:
        return len(self.code)


def history_start(export: Export) -> pd.Timestamp:
    """Return the first day of recorded activity (usage, tickets, surveys).

    Subscription starts count only when the export has no activity at all,
    because a long-running subscription can start years before any activity is
    recorded, and snapshots there would have nothing to compute features from.
    """
    activity = [
        export.usage["usage_date"].min(),
        export.tickets["opened_at"].min(),
        export.surveys["survey_date"].min(),
    ]
    activity = [date for date in activity if pd.notna(date)]
    if activity:
        return pd.Timestamp(min(activity))

    first_start = export.subscriptions["start_date"].min()
    if pd.isna(first_start):
        raise InputError(
            "the export has no dated usage, tickets, surveys or subscriptions, so no snapshot "
            "date can be placed; check that the export's date columns are mapped"
        )
    return pd.Timestamp(first_start)


def snapshot_dates(export: Export, config: Config) -> pd.DatetimeIndex:
    """Return the snapshot dates: every cadence date from ``min_history_days`` after the
    history start up to the export's as-of date.

    Raises InputError when the cadence is not a pandas offset alias or no date fits.
    """
    cadence = config.snapshots.cadence
    first = history_start(export).normalize() + pd.Timedelta(days=config.snapshots.min_history_days)
    as_of = pd.Timestamp(export.as_of).normalize()

    try:
        dates = pd.date_range(start=first, end=as_of, freq=cadence)
    except ValueError as err:
        raise InputError(
            f"snapshots.cadence {cadence!r} is not a pandas offset alias ({err}); use for "
            "example 'MS' (month start) or 'W-MON' (weekly on Monday)"
        ) from err

    if len(dates) == 0:
        raise InputError(
            f"no snapshot date fits between {first.date()} (history start plus "
            f"snapshots.min_history_days={config.snapshots.min_history_days}) and the export's "
            f"as-of date {as_of.date()}; lower snapshots.min_history_days or use a longer export"
        )
    return dates.as_unit("ns")


def arr_before(prepared: Prepared, codes: np.ndarray, days: np.ndarray) -> np.ndarray:
    """Return each account's ARR in force on the day before ``days``.

    A period is in force on day t when start <= t < end (or the end is empty),
    so this sums periods with start < day <= end: only events before the day count.
    """
    subscriptions = prepared.subscriptions
    arr = step_sum(
        np.concatenate([subscriptions["code"], subscriptions["code"]]),
        np.concatenate([subscriptions["start"], subscriptions["end"]]),
        np.concatenate([subscriptions["arr"], -subscriptions["arr"]]),
        codes,
        days,
    )
    return np.round(arr, 2)


def churned_out(prepared: Prepared, codes: np.ndarray, days: np.ndarray) -> np.ndarray:
    """Flag accounts whose latest churn before the day has no later subscription start.

    A churn ends the account's membership even when a period in the export
    still looks in force. A subscription starting on or after the churn date
    is a reactivation.
    """
    churn = prepared.churn
    subscriptions = prepared.subscriptions
    last_churn = take(churn["day"], last_before(churn["code"], churn["day"], codes, days), -1)
    start_position = last_before(subscriptions["code"], subscriptions["start"], codes, days)
    last_start = take(subscriptions["start"], start_position, -1)
    return (last_churn >= 0) & (last_churn > last_start)


def member_grid(prepared: Prepared, dates: pd.DatetimeIndex) -> Grid:
    """Return the (account, snapshot) rows where the account is a paying customer.

    Membership is judged on the day before the snapshot, the last day whose
    events the features may see, so a subscription starting on the snapshot
    date neither adds the account nor changes its features.
    """
    n_accounts = len(prepared.account_ids)
    snapshot_days = to_days(dates)
    codes = np.repeat(np.arange(n_accounts, dtype=np.int64), len(snapshot_days))
    days = np.tile(snapshot_days, n_accounts)
    days = np.where(days >= NEVER, NEVER - 1, days)

    paying = arr_before(prepared, codes, days) > ARR_EPSILON
    member = paying & ~churned_out(prepared, codes, days)
    return Grid(code=codes[member], day=days[member])
