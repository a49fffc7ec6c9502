"""Fixtures for the features stage: small exports built from dict rows."""

from __future__ import annotations

import pandas as pd
import pytest

from expansion_propensity.config import Config, LabelConfig, SnapshotConfig, SplitConfig
from expansion_propensity.contract import DATE, TABLES, Export, empty_table


def build_export(as_of: str, tier_order: list[str] | None = None, **rows: list[dict]) -> Export:
    """Make a canonical Export from dict rows per table; absent tables are empty.

    Columns a row leaves out are missing values; dates may be given as strings.
    """
    frames = {}
    for name, spec in TABLES.items():
        empty = empty_table(spec)
        given = pd.DataFrame(rows.get(name, []), columns=spec.column_names)
        frame = pd.concat([empty, given], ignore_index=True) if len(given) else empty
        for column in spec.columns:
            dtype = empty[column.name].dtype
            values = frame[column.name]
            frame[column.name] = (
                pd.to_datetime(values) if column.kind == DATE else values.astype(dtype)
            )
        frames[name] = frame.astype({c: empty[c].dtype for c in spec.column_names})
    return Export(
        **frames,
        as_of=pd.Timestamp(as_of),
        fingerprint="test",
        source="test",
        tier_order=tier_order,
    )


@pytest.fixture
def make_export():
    return build_export


def build_config(horizon_days: int = 90, min_history_days: int = 0, **splits: int) -> Config:
    """Config with the label horizon, history and split sizes the tests choose."""
    return Config(
        snapshots=SnapshotConfig(min_history_days=min_history_days),
        labels=LabelConfig(horizon_days=horizon_days),
        splits=SplitConfig(**splits) if splits else SplitConfig(),
    )


@pytest.fixture
def make_config():
    return build_config
