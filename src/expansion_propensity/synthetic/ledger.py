"""The subscription ledger: one row per period in force, opened and closed by changes."""

from __future__ import annotations

import numpy as np
import pandas as pd

from expansion_propensity.synthetic import catalogue as cat

CORE_PRODUCT = -1


class SubscriptionLedger:
    """Collect subscription periods as they open and close; ids follow creation order."""

    def __init__(self) -> None:
        self._opened: list[dict[str, np.ndarray]] = []
        self._closed: list[tuple[np.ndarray, np.ndarray]] = []
        self._count = 0

    def open(
        self,
        account: np.ndarray,
        product: np.ndarray | int,
        start: np.ndarray,
        tier: np.ndarray,
        seats: np.ndarray,
        arr: np.ndarray,
    ) -> np.ndarray:
        """Open one period per entry and return the new row ids."""
        n = len(account)
        rows = np.arange(self._count, self._count + n)
        self._count += n
        self._opened.append(
            {
                "row": rows,
                "account": np.asarray(account),
                "product": np.broadcast_to(product, (n,)).copy(),
                "start": np.broadcast_to(np.asarray(start, dtype="datetime64[D]"), (n,)),
                "tier": np.broadcast_to(tier, (n,)).astype(np.int64),
                "seats": np.broadcast_to(seats, (n,)).astype(np.int64),
                "arr": np.broadcast_to(arr, (n,)).astype(float),
            }
        )
        return rows

    def close(self, rows: np.ndarray, end: np.ndarray) -> None:
        """Close the periods ``rows`` on ``end``; negative ids (no row) are skipped."""
        keep = rows >= 0
        self._closed.append((rows[keep], np.asarray(end, dtype="datetime64[D]")[keep]))

    def to_frame(self, account_ids: np.ndarray) -> pd.DataFrame:
        """Return the periods in the contract's subscriptions columns, sorted by account and start."""
        opened = {
            key: np.concatenate([chunk[key] for chunk in self._opened]) for key in self._opened[0]
        }
        end = np.full(self._count, np.datetime64("NaT"), dtype="datetime64[D]")
        for rows, dates in self._closed:
            end[rows] = dates

        row = opened["row"]
        product = opened["product"]
        is_addon = product != CORE_PRODUCT
        frame = pd.DataFrame(
            {
                "subscription_id": subscription_ids(row),
                "account_id": account_ids[opened["account"]],
                "start_date": opened["start"],
                "end_date": end[row],
                "plan_tier": cat.TIERS[opened["tier"]],
                "seats": opened["seats"],
                "arr": opened["arr"],
                "product": np.where(is_addon, cat.ADDONS[np.maximum(product, 0)], "core"),
            }
        )
        return frame.sort_values(
            ["account_id", "start_date", "subscription_id"], kind="stable"
        ).reset_index(drop=True)


def subscription_ids(rows: np.ndarray) -> np.ndarray:
    return np.char.add("SUB-", np.char.zfill((rows + 1).astype(str), 8))
