"""Encoding of a canonical export as integer account codes and day numbers.

Every feature module reads these arrays instead of the raw frames: accounts
become codes 0..n-1 in sorted id order, dates become day numbers (see
``timeline``), and the tier of each subscription gets its rank.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import pandas as pd

from expansion_propensity.contract import Export
from expansion_propensity.errors import InputError
from expansion_propensity.features.clean import exclude_contradicting
from expansion_propensity.features.timeline import event_keys, to_days

logger = logging.getLogger(__name__)

# Product key of subscriptions whose product is empty: the core product.
CORE_PRODUCT = ""

URGENT_PRIORITIES = ("high", "urgent")


@dataclass(frozen=True)
class Prepared:
    """The export as arrays keyed by account code, ready for the feature modules."""

    account_ids: pd.Index
    accounts: pd.DataFrame
    subscriptions: pd.DataFrame
    usage: pd.DataFrame
    tickets: pd.DataFrame
    surveys: pd.DataFrame
    churn: pd.DataFrame
    tier_order: list[str]
    feature_catalogue: pd.Index
    excluded: dict[str, int]


def prepare(export: Export) -> Prepared:
    """Encode the export; events of accounts missing from the accounts table are dropped."""
    account_ids = pd.Index(export.accounts["account_id"].astype("string").unique()).sort_values()
    clean = exclude_contradicting(export)
    tier_order = order_tiers(export)
    catalogue = pd.Index(clean.usage["feature"].dropna().unique()).sort_values()

    return Prepared(
        account_ids=account_ids,
        accounts=_accounts(export.accounts, account_ids),
        subscriptions=_subscriptions(export.subscriptions, account_ids, tier_order),
        usage=_usage(clean.usage, account_ids, catalogue),
        tickets=_tickets(clean.tickets, account_ids),
        surveys=_surveys(clean.surveys, account_ids),
        churn=_churn(export, account_ids),
        tier_order=tier_order,
        feature_catalogue=catalogue,
        excluded=clean.excluded,
    )


def order_tiers(export: Export) -> list[str]:
    """Return plan tiers from lowest to highest.

    The export's own ``tier_order`` wins. Without it, tiers are ranked by their
    median ARR per seat over paid subscriptions with seats, so the order comes
    from the data and not from a list written for one source.
    """
    subscriptions = export.subscriptions
    tiers_seen = sorted(subscriptions["plan_tier"].dropna().unique())
    if export.tier_order is not None:
        unknown = [tier for tier in tiers_seen if tier not in export.tier_order]
        if unknown:
            raise InputError(
                f"subscriptions.plan_tier has tier(s) {unknown} that are not in the mapping's "
                f"tier_order {export.tier_order}; add them to tier_order in the mapping"
            )
        return list(export.tier_order)

    # NOTE: the inferred order uses prices from the whole export, so periods
    # after a snapshot can reorder tiers and change plan_tier there for accounts
    # holding two core tiers at once. A tier_order in the mapping avoids it.
    priced = subscriptions[(subscriptions["seats"] > 0) & (subscriptions["arr"] > 0)]
    per_seat = (priced["arr"] / priced["seats"]).groupby(priced["plan_tier"]).median()
    per_seat = per_seat.reindex(tiers_seen)
    # Ties and tiers never sold with seats fall back to the tier name, for a stable order.
    frame = pd.DataFrame({"tier": tiers_seen, "per_seat": per_seat.to_numpy()})
    ordered = frame.sort_values(["per_seat", "tier"], na_position="first")["tier"].tolist()
    logger.info("plan tiers ordered by median ARR per seat: %s", ", ".join(map(str, ordered)))
    return ordered


def _codes(values: pd.Series, index: pd.Index) -> np.ndarray:
    """Return each value's position in ``index``, -1 when absent or missing.

    Factorising first means only the distinct values are looked up, which is
    several times faster than ``get_indexer`` on millions of strings.
    """
    codes, uniques = pd.factorize(values.astype("string"))
    lookup = np.append(index.get_indexer(uniques), -1)
    return lookup[codes]


def _accounts(accounts: pd.DataFrame, account_ids: pd.Index) -> pd.DataFrame:
    frame = accounts.drop_duplicates("account_id").set_index("account_id").reindex(account_ids)
    return pd.DataFrame(
        {
            "segment": frame["segment"].astype("string").to_numpy(),
            "industry": frame["industry"].astype("string").to_numpy(),
            "customer_since": to_days(frame["customer_since"]),
        }
    )


def _subscriptions(
    subscriptions: pd.DataFrame, account_ids: pd.Index, tier_order: list[str]
) -> pd.DataFrame:
    """Paid subscription periods; ARR-free periods (trials, free add-ons) carry no feature."""
    paid = subscriptions[subscriptions["arr"].fillna(0) > 0]
    product = subscriptions["product"].astype("string").fillna(CORE_PRODUCT).loc[paid.index]
    frame = pd.DataFrame(
        {
            "code": _codes(paid["account_id"], account_ids),
            "start": to_days(paid["start_date"]),
            "end": to_days(paid["end_date"]),
            "arr": paid["arr"].to_numpy(dtype=float),
            "seats": paid["seats"].astype("Float64").fillna(0).to_numpy(dtype=float),
            "product": product.to_numpy(),
            "tier_rank": pd.Index(tier_order).get_indexer(paid["plan_tier"].astype("string")),
        }
    )
    frame = frame[(frame["code"] >= 0) & (frame["end"] > frame["start"])]
    frame["product_code"] = pd.factorize(frame["product"], sort=True)[0]
    frame["is_core"] = _core_flags(frame)
    return frame.reset_index(drop=True)


def _core_flags(periods: pd.DataFrame) -> np.ndarray:
    """Flag the periods of each account's core product.

    An empty product is the core product. So is the product of the account's
    first paid period, because customers buy the core first and add-ons on top.
    When several products start that day, the core is an empty product, else
    the one the most accounts had bought by then, then the highest ARR, then
    the first name. Counting buyers only up to that day keeps purchases after
    a snapshot from changing which product is core in it.
    """
    first_start = periods.groupby("code")["start"].transform("min")
    candidates = periods[periods["start"] == first_start]

    # Accounts that had started each product by each candidate's day.
    product_starts = periods.groupby(["product_code", "code"])["start"].min().reset_index()
    keys = np.sort(event_keys(product_starts["product_code"], product_starts["start"]))
    product_code = candidates["product_code"].to_numpy()
    buyers = np.searchsorted(
        keys, event_keys(product_code, candidates["start"]), side="right"
    ) - np.searchsorted(keys, event_keys(product_code, np.zeros(len(candidates))), side="left")

    ranked = candidates.assign(
        named=candidates["product"] != CORE_PRODUCT, buyers=-buyers, order=-candidates["arr"]
    )
    first = ranked.sort_values(
        ["code", "named", "buyers", "order", "product"], kind="stable"
    ).drop_duplicates("code")
    core_product = pd.Series(first["product"].to_numpy(), index=first["code"].to_numpy())
    first_product = periods["product"] == periods["code"].map(core_product)
    return ((periods["product"] == CORE_PRODUCT) | first_product).to_numpy(dtype=bool)


def _usage(usage: pd.DataFrame, account_ids: pd.Index, catalogue: pd.Index) -> pd.DataFrame:
    frame = pd.DataFrame(
        {
            "code": _codes(usage["account_id"], account_ids),
            "day": to_days(usage["usage_date"]),
            "feature_code": _codes(usage["feature"], catalogue),
            "events": usage["usage_count"].astype("Float64").fillna(0).to_numpy(dtype=float),
            "errors": usage["error_count"].astype("Float64").to_numpy(dtype=float, na_value=np.nan),
            "active_users": usage["active_users"]
            .astype("Float64")
            .to_numpy(dtype=float, na_value=np.nan),
            "premium": usage["is_premium"].astype("boolean").to_numpy(dtype=float, na_value=np.nan),
        }
    )
    return frame[(frame["code"] >= 0) & (frame["feature_code"] >= 0)].reset_index(drop=True)


def _tickets(tickets: pd.DataFrame, account_ids: pd.Index) -> pd.DataFrame:
    """Tickets with the day their outcome became known (closed, or opened plus resolution time)."""
    resolved_at = tickets["closed_at"].fillna(
        tickets["opened_at"] + pd.to_timedelta(tickets["resolution_hours"], unit="h")
    )
    priority = tickets["priority"].astype("string").str.strip().str.lower()
    frame = pd.DataFrame(
        {
            "code": _codes(tickets["account_id"], account_ids),
            "day": to_days(tickets["opened_at"]),
            "resolved_day": to_days(resolved_at),
            "urgent": priority.isin(URGENT_PRIORITIES).fillna(False).to_numpy(dtype=float),
            "resolution_hours": tickets["resolution_hours"].to_numpy(dtype=float, na_value=np.nan),
            "satisfaction": tickets["satisfaction"].to_numpy(dtype=float, na_value=np.nan),
            "escalated": tickets["escalated"].astype("boolean").fillna(False).to_numpy(dtype=float),
        }
    )
    return frame[frame["code"] >= 0].reset_index(drop=True)


def _surveys(surveys: pd.DataFrame, account_ids: pd.Index) -> pd.DataFrame:
    """Survey scores on the NPS 0-10 scale; CSAT 1-5 maps linearly (1 -> 0, 5 -> 10)."""
    kind = surveys["survey_type"].astype("string").str.strip().str.lower().fillna("nps")
    score = surveys["score"].to_numpy(dtype=float, na_value=np.nan)
    score = np.where(kind.to_numpy() == "csat", (score - 1.0) * 2.5, score)
    frame = pd.DataFrame(
        {
            "code": _codes(surveys["account_id"], account_ids),
            "day": to_days(surveys["survey_date"]),
            "score": score,
        }
    )
    return frame[(frame["code"] >= 0) & frame["score"].notna()].reset_index(drop=True)


def _churn(export: Export, account_ids: pd.Index) -> pd.DataFrame:
    """Churn dates from the churn events and the accounts' own churn_date, deduplicated."""
    dates = pd.concat(
        [
            export.churn_events[["account_id", "churn_date"]],
            export.accounts[["account_id", "churn_date"]],
        ],
        ignore_index=True,
    ).dropna()
    frame = pd.DataFrame(
        {"code": _codes(dates["account_id"], account_ids), "day": to_days(dates["churn_date"])}
    )
    return frame[frame["code"] >= 0].drop_duplicates().reset_index(drop=True)
