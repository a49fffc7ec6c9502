"""The terminal summary of a scoring run: tier counts and the top accounts."""

from __future__ import annotations

import pandas as pd
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from expansion_propensity.scoring.report import tier_summary, top_share_note

TOP_ON_TERMINAL = 10


def tier_table(scores: pd.DataFrame) -> Table:
    table = Table(title=f"{len(scores):,} accounts scored")
    for header in ("tier", "accounts", "potential", "expected value", "effort"):
        table.add_column(header, justify="left" if header in ("tier", "effort") else "right")
    for row in tier_summary(scores).itertuples():
        table.add_row(
            str(row.tier),
            f"{row.accounts:,}",
            f"${row.potential:,.0f}",
            f"${row.expected_value:,.0f}",
            str(row.effort),
        )
    return table


def top_table(scores: pd.DataFrame, n: int = TOP_ON_TERMINAL) -> Table:
    table = Table(title=f"Top {n} accounts by expected value")
    # The table is in expected-value order, so the rank column's header names its propensity order.
    headers = (
        "propensity rank",
        "account",
        "tier",
        "propensity",
        "potential",
        "expected value",
        "play",
    )
    for header in headers:
        justify = "left" if header in ("account", "tier", "play") else "right"
        table.add_column(header, justify=justify)
    for row in scores.nlargest(n, "expected_value", keep="first").itertuples():
        table.add_row(
            str(row.rank),
            str(row.account_name),
            str(row.tier),
            f"{row.propensity:.1%}",
            f"${row.expansion_potential:,.0f}",
            f"${row.expected_value:,.0f}",
            str(row.play),
        )
    return table


def print_summary(scores: pd.DataFrame, manifest: dict, console: Console | None = None) -> None:
    """Print tier counts and potential, the top accounts, the data checks and the warnings.

    The warnings come last, so they stay on screen after the tables scroll past.
    """
    console = console or Console(stderr=True)
    console.print(tier_table(scores))
    note = top_share_note(manifest)
    if note:
        console.print(note, highlight=False)
    console.print(top_table(scores))

    unseen = manifest.get("unseen_categories", {})
    for column, values in unseen.items():
        console.print(
            f"[yellow]{sum(values.values()):,} account(s) with {column} values never seen in "
            f"training:[/] {values}",
            highlight=False,
        )
    for name, count in manifest.get("missing_feature_groups", {}).items():
        if count:
            console.print(
                f"[yellow]{count:,} account(s) with {name.replace('_', ' ')}[/]", highlight=False
            )
    console.print(f"scores written to {manifest.get('output_dir', '')}", highlight=False)
    for warning in manifest.get("warnings", []):
        console.print(f"[bold red]Warning:[/] {escape(warning)}", highlight=False)
