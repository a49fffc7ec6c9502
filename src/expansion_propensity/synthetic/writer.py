"""Write the export tables, the true probabilities and the manifest; compute the summary."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from expansion_propensity.synthetic import catalogue as cat
from expansion_propensity.synthetic.accounts import Accounts
from expansion_propensity.synthetic.changes import ChangeLog
from expansion_propensity.synthetic.dynamics import State

CSV_OPTIONS = {"index": False, "lineterminator": "\n", "date_format": "%Y-%m-%d"}
TABLE_ORDER = ("accounts", "subscriptions", "usage", "tickets", "surveys", "churn_events")


class UsageWriter:
    """Append usage rows month by month, so the full table never sits in memory."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.rows = 0

    def __enter__(self) -> UsageWriter:
        self._file = self.path.open("w", encoding="utf-8", newline="")
        return self

    def __exit__(self, *exc) -> None:
        self._file.close()

    def write(self, frame: pd.DataFrame) -> None:
        frame.to_csv(self._file, header=self.rows == 0, **CSV_OPTIONS)
        self.rows += len(frame)


def write_export(out_dir: Path, tables: dict[str, pd.DataFrame], usage_rows: int) -> dict:
    """Write every table except usage as CSV and return the row counts."""
    for name, frame in tables.items():
        frame.to_csv(out_dir / f"{name}.csv", encoding="utf-8", **CSV_OPTIONS)
    counts = {name: len(frame) for name, frame in tables.items()}
    counts["usage"] = usage_rows
    return {"rows": {name: counts[name] for name in TABLE_ORDER}}


def write_truth(truth_dir: Path, truth: pd.DataFrame, summary: dict) -> None:
    truth_dir.mkdir(parents=True, exist_ok=True)
    truth.to_parquet(truth_dir / "true_probabilities.parquet", index=False)
    manifest = {key: value for key, value in summary.items() if key != "seconds"}
    (truth_dir / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")


def accounts_frame(accounts: Accounts, state: State) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "account_id": accounts.account_id,
            "account_name": accounts.account_name,
            "customer_since": accounts.customer_since,
            "segment": cat.SEGMENTS[accounts.segment],
            "industry": cat.INDUSTRIES[accounts.industry],
            "region": cat.REGIONS[accounts.region],
            "churn_date": state.churn_date,
        }
    )


def tickets_frame(account_id: np.ndarray, chunks: list[dict[str, np.ndarray]]) -> pd.DataFrame:
    """Return the tickets; those still unresolved at the window end have no close date."""
    data = {key: np.concatenate([chunk[key] for chunk in chunks]) for key in chunks[0]}
    still_open = data["closed_at"] > cat.WINDOW_END
    frame = pd.DataFrame(
        {
            "ticket_id": np.char.add(
                "TCK-", np.char.zfill(np.arange(1, len(still_open) + 1).astype(str), 8)
            ),
            "account_id": account_id[data["account"]],
            "opened_at": data["opened_at"],
            "closed_at": np.where(still_open, np.datetime64("NaT"), data["closed_at"]),
            "priority": cat.TICKET_PRIORITIES[data["priority"]],
            "resolution_hours": np.where(still_open, np.nan, data["resolution_hours"]),
            "satisfaction": pd.array(np.where(still_open, np.nan, data["satisfaction"])).astype(
                "Int64"
            ),
            "escalated": data["escalated"],
        }
    )
    return frame


def surveys_frame(account_id: np.ndarray, chunks: list[dict[str, np.ndarray]]) -> pd.DataFrame:
    data = {key: np.concatenate([chunk[key] for chunk in chunks]) for key in chunks[0]}
    return pd.DataFrame(
        {
            "account_id": account_id[data["account"]],
            "survey_date": data["survey_date"],
            "score": data["score"].astype(np.int64),
            "survey_type": "nps",
        }
    )


def churn_frame(account_id: np.ndarray, chunks: list) -> pd.DataFrame:
    if not chunks:
        return pd.DataFrame({"account_id": [], "churn_date": [], "reason": []})
    idx = np.concatenate([chunk[0] for chunk in chunks])
    return pd.DataFrame(
        {
            "account_id": account_id[idx],
            "churn_date": np.concatenate([chunk[1] for chunk in chunks]),
            "reason": np.concatenate([chunk[2] for chunk in chunks]),
        }
    )


def summarise(
    accounts: Accounts, state: State, log: ChangeLog, starts: np.ndarray, truth: pd.DataFrame
) -> dict:
    """Return the quarterly expansion rate, expansion mix, ACV percentiles and churn rates."""
    changes = log.arrays()
    kind = changes.get("kind", np.array([], dtype=object))
    is_expansion = kind != "downgrade"
    expansion_account = changes["account"][is_expansion]
    expansion_date = changes["date"][is_expansion]

    # ACV: each account's latest total ARR, the one in force at churn for churned accounts.
    acv = state.total_arr[state.started]
    percentiles = dict(
        zip(("p10", "p50", "p90", "p99"), np.percentile(acv, [10, 50, 90, 99]), strict=True)
    )

    since, churn_date = accounts.customer_since, state.churn_date
    active_days = (
        np.where(np.isnat(churn_date), cat.WINDOW_END + 1, churn_date)
        - np.maximum(since, starts[0])
    ).astype(np.int64)
    churned = int((~np.isnat(churn_date)).sum())

    return {
        "quarterly_expansion_rate": quarterly_expansion_rate(
            since, churn_date, starts, expansion_account, expansion_date
        ),
        "expansions": {str(k): int((kind == k).sum()) for k in np.unique(kind)},
        "acv_percentiles": {k: round(float(v), 0) for k, v in percentiles.items()},
        "churned_accounts": churned,
        "annual_churn_rate": round(churned / (np.clip(active_days, 0, None).sum() / 365.25), 4),
        "mean_true_probability": round(float(truth["p_expand"].mean()), 4),
    }


def quarterly_expansion_rate(
    since: np.ndarray,
    churn_date: np.ndarray,
    starts: np.ndarray,
    expansion_account: np.ndarray,
    expansion_date: np.ndarray,
) -> float:
    """Return the share of account-quarters, active at the quarter start, with an expansion.

    Quarters are calendar quarters that lie wholly inside the window.
    """
    quarter_starts = [
        start
        for i, start in enumerate(starts)
        if start.astype("datetime64[M]").astype(np.int64) % 3 == 0 and i + 3 <= len(starts)
    ]
    active_total, expanded_total = 0, 0
    for start in quarter_starts:
        end = (start.astype("datetime64[M]") + 3).astype("datetime64[D]")
        active = (since < start) & (np.isnat(churn_date) | (churn_date > start))
        in_quarter = (expansion_date >= start) & (expansion_date < end)
        expanded = np.zeros(len(since), bool)
        expanded[expansion_account[in_quarter]] = True
        active_total += int(active.sum())
        expanded_total += int((active & expanded).sum())
    return round(expanded_total / max(active_total, 1), 4)
