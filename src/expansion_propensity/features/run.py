"""The `expansion features` stage: load, build snapshots, split, write parquet, summarise."""

from __future__ import annotations

import logging
from pathlib import Path

import pandas as pd
from rich.console import Console
from rich.table import Table

from expansion_propensity import paths
from expansion_propensity.atomic import write_atomic
from expansion_propensity.config import Config
from expansion_propensity.features.snapshots import build_snapshots
from expansion_propensity.features.splits import SPLITS, assign_splits

logger = logging.getLogger(__name__)


def run_features(data_dir: Path, mapping: Path | None, config: Config, out: Path) -> None:
    """Build the split snapshot table from an export and write it to ``out`` as parquet."""
    from expansion_propensity.ingest import load_export

    export = load_export(Path(data_dir), mapping, report_dir=paths.interim_dir())
    result = build_snapshots(export, config)
    table = assign_splits(result.table, config)

    write_parquet(table, Path(out))
    logger.info("wrote %d snapshots to %s", len(table), out)
    print_summary(table, result.excluded, Console())


def write_parquet(table: pd.DataFrame, out: Path) -> None:
    """Write the table to ``out`` atomically, so an interrupted run keeps the old file."""
    write_atomic(Path(out), lambda temporary: table.to_parquet(temporary, index=False))


def summarise_splits(table: pd.DataFrame) -> pd.DataFrame:
    """Return rows, accounts, date range and positive rate per split, in split order."""
    grouped = table.groupby(table["split"].astype(str), sort=False)
    summary = pd.DataFrame(
        {
            "snapshots": grouped.size(),
            "accounts": grouped["account_id"].nunique(),
            "first_date": grouped["snapshot_date"].min(),
            "last_date": grouped["snapshot_date"].max(),
            "positive_rate": grouped["label"].mean().astype(float),
        }
    )
    return summary.reindex([split for split in SPLITS if split in summary.index])


def print_summary(table: pd.DataFrame, excluded: dict[str, int], console: Console) -> None:
    """Print the per-split summary and the excluded events per reason."""
    splits = Table(title=f"{len(table):,} snapshots of {table['account_id'].nunique():,} accounts")
    for column in ("split", "snapshots", "accounts", "dates", "positive rate"):
        splits.add_column(column, justify="left" if column in ("split", "dates") else "right")
    for split, row in summarise_splits(table).iterrows():
        rate = "-" if pd.isna(row["positive_rate"]) else f"{row['positive_rate']:.1%}"
        dates = f"{row['first_date'].date()} to {row['last_date'].date()}"
        splits.add_row(split, f"{row['snapshots']:,}", f"{row['accounts']:,}", dates, rate)
    console.print(splits)

    events = Table(title="events excluded from features")
    events.add_column("reason")
    events.add_column("events", justify="right")
    for reason, count in excluded.items():
        events.add_row(reason.replace("_", " "), f"{count:,}")
    console.print(events)
