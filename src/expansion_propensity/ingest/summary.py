"""Terminal summary of a validation report, printed by `expansion validate`."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console
from rich.table import Table


def print_summary(report: dict, report_dir: Path, console: Console | None = None) -> None:
    """Print row counts per table, warnings with counts, and where the files were written."""
    console = console or Console()

    tables = Table(title=f"Export {report['source']} (as of {report.get('as_of', 'unknown')})")
    for header in ("table", "file", "rows read", "loaded", "rejected"):
        tables.add_column(header, justify="left" if header in ("table", "file") else "right")
    for name, info in report["tables"].items():
        tables.add_row(
            name,
            info.get("file") or "absent",
            f"{info.get('rows_read', 0):,}",
            f"{info.get('rows_loaded', 0):,}",
            f"{info.get('rows_rejected', 0):,}",
        )
    console.print(tables)

    if report["warnings"]:
        warnings = Table(title="Warnings (rows kept)")
        warnings.add_column("table")
        warnings.add_column("warning", no_wrap=True)
        warnings.add_column("count", justify="right")
        warnings.add_column("detail")
        for warning in report["warnings"]:
            count = warning.get("count")
            warnings.add_row(
                warning["table"],
                warning["code"],
                "" if count is None else f"{count:,}",
                warning["message"],
            )
        console.print(warnings)

    reasons = report["rejects"]["by_reason"]
    if reasons:
        rejects = Table(title="Rejected rows by reason")
        for header in ("table", "reason", "rows", "accounts"):
            rejects.add_column(
                header, justify="right" if header in ("rows", "accounts") else "left"
            )
        for reason in reasons:
            rejects.add_row(
                reason["table"],
                reason["reason"],
                f"{reason['rows']:,}",
                f"{reason['accounts_affected']:,}",
            )
        console.print(rejects)

    console.print(
        f"Report: {report_dir / 'validation_report.json'}\nRejects: {report_dir / 'rejects.csv'}",
        highlight=False,
    )
