"""The `expansion generate` command: generate with a progress bar and print a summary."""

from __future__ import annotations

import logging
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from expansion_propensity import paths
from expansion_propensity.synthetic.generate import default_truth_dir, generate_export

logger = logging.getLogger(__name__)


def run_generate(out: Path, accounts: int, months: int, seed: int) -> None:
    """Generate the export into ``out`` and its truth beside it, then print a summary.

    The truth goes to the project's truth folder when ``out`` is the default demo
    folder, else to the sibling folder ``<out>_truth``.
    """
    out = Path(out)
    is_demo = out.resolve() == paths.demo_dir().resolve()
    truth_dir = paths.truth_dir() if is_demo else default_truth_dir(out)
    console = Console(stderr=True)

    with Progress(
        TextColumn("simulating months"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    ) as bar:
        task = bar.add_task("generate", total=months)
        summary = generate_export(
            out,
            n_accounts=accounts,
            months=months,
            seed=seed,
            truth_dir=truth_dir,
            progress=lambda done, total: bar.update(task, completed=done),
        )

    console.print(summary_table(summary))
    logger.info("export written to %s; true probabilities to %s", out, truth_dir)


def summary_table(summary: dict) -> Table:
    """Return a rich table of the generated export's headline figures."""
    table = Table(title="Synthetic export", show_header=False)
    table.add_column("figure")
    table.add_column("value", justify="right")
    table.add_row("accounts", f"{summary['accounts']:,}")
    table.add_row("window", f"{summary['window_start']} to {summary['window_end']}")
    for name, count in summary["rows"].items():
        table.add_row(f"rows: {name}", f"{count:,}")
    table.add_row("quarterly expansion rate", f"{summary['quarterly_expansion_rate']:.1%}")
    for name, value in summary["acv_percentiles"].items():
        table.add_row(f"ACV {name}", f"${value:,.0f}")
    table.add_row("annual churn rate", f"{summary['annual_churn_rate']:.1%}")
    table.add_row("export folder", summary["export_dir"])
    table.add_row("truth folder", summary["truth_dir"])
    table.add_row("seconds", f"{summary['seconds']:.1f}")
    return table
