"""A small export in the contract's own names, written fresh for each test that changes it."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest


def base_tables() -> dict[str, pd.DataFrame]:
    """Return three accounts with subscriptions, usage, tickets and surveys, all valid."""
    accounts = pd.DataFrame(
        {
            "account_id": ["A1", "A2", "A3"],
            "account_name": ["Acme", "", "Cobalt"],
            "customer_since": ["2022-01-15", "2022-03-01", "2023-06-30"],
            "segment": ["SMB", "Enterprise", "Mid-Market"],
        }
    )
    subscriptions = pd.DataFrame(
        {
            "subscription_id": ["S1", "S2", "S3", "S4"],
            "account_id": ["A1", "A1", "A2", "A3"],
            "start_date": ["2022-01-15", "2023-01-15", "2022-03-01", "2023-06-30"],
            "end_date": ["2023-01-14", "", "", ""],
            "plan_tier": ["Basic", "Pro", "Enterprise", "Basic"],
            "seats": ["5", "10", "50", "3"],
            "arr": ["6000", "15000", "120000", "3600"],
        }
    )
    usage = pd.DataFrame(
        {
            "account_id": ["A1", "A1", "A2", "A2", "A3", "A3"],
            "usage_date": [
                "2023-02-01",
                "2023-02-02",
                "2023-02-01",
                "2023-03-01",
                "2023-07-01",
                "2023-07-02",
            ],
            "feature": ["reports", "api", "reports", "sso", "reports", "api"],
            "usage_count": ["3", "7", "1", "12", "4", "0"],
        }
    )
    tickets = pd.DataFrame(
        {
            "ticket_id": ["T1", "T2", "T3"],
            "account_id": ["A1", "A2", "A3"],
            "opened_at": ["2023-02-10", "2023-03-05", "2023-08-01"],
            "closed_at": ["2023-02-11", "", "2023-08-03"],
            "escalated": ["false", "true", "no"],
        }
    )
    surveys = pd.DataFrame(
        {
            "account_id": ["A1", "A3"],
            "survey_date": ["2023-04-01", "2023-09-01"],
            "score": ["9", "6"],
        }
    )
    return {
        "accounts": accounts,
        "subscriptions": subscriptions,
        "usage": usage,
        "tickets": tickets,
        "surveys": surveys,
    }


def write_tables(folder: Path, tables: dict[str, pd.DataFrame]) -> Path:
    """Write each table as `<name>.csv` with every value as text; return the folder."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, frame in tables.items():
        frame.to_csv(folder / f"{name}.csv", index=False)
    return folder


@pytest.fixture
def tables() -> dict[str, pd.DataFrame]:
    return base_tables()


@pytest.fixture
def export_dir(tmp_path, tables) -> Path:
    return write_tables(tmp_path / "export", tables)


@pytest.fixture
def make_export(tmp_path):
    """Return a function that writes changed tables to a new folder and returns it."""
    counter = iter(range(1000))

    def make(tables: dict[str, pd.DataFrame]) -> Path:
        return write_tables(tmp_path / f"export_{next(counter)}", tables)

    return make
