"""Exclusion of events whose dates contradict their parent record.

Such events are kept out of every feature and counted by reason, so a run can
report how much of the export was set aside and why.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import pandas as pd

from expansion_propensity.contract import Export

logger = logging.getLogger(__name__)

USAGE_BEFORE_CUSTOMER = "usage_before_customer_since"
USAGE_AFTER_END = "usage_after_subscription_end"
TICKET_BEFORE_CUSTOMER = "ticket_before_customer_since"
SURVEY_BEFORE_CUSTOMER = "survey_before_customer_since"
EXCLUSION_REASONS = (
    USAGE_BEFORE_CUSTOMER,
    USAGE_AFTER_END,
    TICKET_BEFORE_CUSTOMER,
    SURVEY_BEFORE_CUSTOMER,
)


@dataclass(frozen=True)
class CleanEvents:
    """Usage, tickets and surveys with contradicting rows removed, and the counts removed."""

    usage: pd.DataFrame
    tickets: pd.DataFrame
    surveys: pd.DataFrame
    excluded: dict[str, int]


def exclude_contradicting(export: Export) -> CleanEvents:
    """Drop usage before the account became a customer or after its subscription ended,
    and tickets or surveys before the customer start.

    Usage is not checked against its own subscription's start: that start can
    lie after a snapshot (a renewal filed ahead), and dropping earlier usage
    because of it would let a later record change the snapshot's features.
    The account's start is the earlier of ``customer_since`` and its first
    subscription start, so it is already known at any snapshot where the
    account pays. Usage on a subscription's end date is kept: exports often
    record the last day in force as the end date, so only usage after it
    contradicts the record. Usage without a known subscription skips that check.
    """
    usage = export.usage
    since = export.accounts.drop_duplicates("account_id").set_index("account_id")["customer_since"]
    first_start = export.subscriptions.groupby("account_id")["start_date"].min()
    account_start = pd.concat([since, first_start], axis=1).min(axis=1)
    before_customer = _before(usage, "usage_date", account_start).to_numpy(dtype=bool)

    subscription_end = export.subscriptions.set_index("subscription_id")["end_date"]
    end = usage["subscription_id"].map(subscription_end)
    after_end = (usage["usage_date"] > end).fillna(False).to_numpy(dtype=bool)

    ticket_early = _before(export.tickets, "opened_at", since)
    survey_early = _before(export.surveys, "survey_date", since)

    excluded = {
        USAGE_BEFORE_CUSTOMER: int(before_customer.sum()),
        USAGE_AFTER_END: int((after_end & ~before_customer).sum()),
        TICKET_BEFORE_CUSTOMER: int(ticket_early.sum()),
        SURVEY_BEFORE_CUSTOMER: int(survey_early.sum()),
    }
    for reason, count in excluded.items():
        if count:
            logger.info("excluded %d events: %s", count, reason.replace("_", " "))

    return CleanEvents(
        usage=usage.loc[~(before_customer | after_end)],
        tickets=export.tickets.loc[~ticket_early],
        surveys=export.surveys.loc[~survey_early],
        excluded=excluded,
    )


def _before(events: pd.DataFrame, date_column: str, since: pd.Series) -> pd.Series:
    customer_since = events["account_id"].map(since)
    return (events[date_column] < customer_since).fillna(False).astype(bool)
