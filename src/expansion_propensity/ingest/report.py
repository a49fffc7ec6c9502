"""The validation report: fatal errors, warnings and rejected rows, written as JSON and CSV."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from expansion_propensity.atomic import write_bytes_atomic

REPORT_NAME = "validation_report.json"
REJECTS_NAME = "rejects.csv"
REJECT_COLUMNS = ["table", "file", "row", "account_id", "column", "value", "reason"]

# Row numbers and account ids listed per warning; the counts always cover every row.
SAMPLE_SIZE = 20


def sample(values: pd.Series | list, size: int = SAMPLE_SIZE) -> list:
    """Return the first values as plain Python objects for JSON."""
    items = list(values)[:size]
    return [item.item() if hasattr(item, "item") else item for item in items]


def utc_now() -> str:
    """Return the current UTC time in ISO 8601 to the second, such as 2024-05-01T09:30:00+00:00."""
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


@dataclass
class Report:
    """Collects what validation found; `to_dict` is the JSON report's content."""

    source: str
    mapping: str | None
    # Every command that loads an export rewrites the report, so the time shows which run wrote it.
    created_at: str = field(default_factory=lambda: utc_now())
    tables: dict[str, dict] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    warnings: list[dict] = field(default_factory=list)
    reject_frames: list[pd.DataFrame] = field(default_factory=list)
    summary: dict = field(default_factory=dict)

    def error(self, message: str) -> None:
        self.errors.append(message)

    def warn(
        self,
        table: str,
        code: str,
        message: str,
        rows: pd.Series | None = None,
        accounts: pd.Series | None = None,
        count: int | None = None,
    ) -> None:
        """Record a warning; `rows` are data row numbers and `accounts` the ids affected."""
        entry: dict = {"table": table, "code": code, "message": message}
        if rows is not None:
            entry["count"] = int(len(rows))
            entry["rows"] = sample(rows)
        if count is not None:
            entry["count"] = int(count)
        if accounts is not None:
            unique = pd.Series(accounts).dropna().drop_duplicates().sort_values()
            entry["accounts_affected"] = int(len(unique))
            entry["accounts"] = sample(unique)
        self.warnings.append(entry)

    def reject(
        self,
        table: str,
        file: str,
        frame: pd.DataFrame,
        mask: pd.Series,
        column: str,
        reason: str,
    ) -> None:
        """Record the rows of `frame` under `mask` as rejected, with the value of `column`."""
        hit = frame.loc[mask]
        if hit.empty:
            return
        account = hit["account_id"] if "account_id" in hit else pd.Series(pd.NA, index=hit.index)
        value = pd.Series(pd.NA, index=hit.index, dtype="string")
        if column in hit and pd.api.types.is_datetime64_any_dtype(hit[column]):
            value = hit[column].dt.strftime("%Y-%m-%d").astype("string")
        elif column in hit:
            value = hit[column].astype("string")
        rejects = pd.DataFrame(
            {
                "table": table,
                "file": file,
                "row": hit["_row"].to_numpy(),
                "account_id": account.astype("string").to_numpy(),
                "column": column,
                "value": value.to_numpy(),
                "reason": reason,
            }
        )
        self.reject_frames.append(rejects)

    def rejects(self) -> pd.DataFrame:
        """Return every rejected row and reason, ordered by table, row and reason."""
        if not self.reject_frames:
            return pd.DataFrame({name: pd.Series(dtype="string") for name in REJECT_COLUMNS})
        frame = pd.concat(self.reject_frames, ignore_index=True)
        return frame.sort_values(["table", "row", "reason"], kind="stable", ignore_index=True)

    def rejected_rows(self, table: str) -> int:
        rejects = self.rejects()
        return int(rejects.loc[rejects["table"] == table, "row"].nunique())

    def to_dict(self) -> dict:
        rejects = self.rejects()
        by_reason = [
            {
                "table": table,
                "reason": reason,
                "rows": int(group["row"].nunique()),
                "accounts_affected": int(group["account_id"].nunique()),
                "first_rows": sample(group["row"].drop_duplicates()),
                # The rejected values name the unknown ids, also where account_id is empty.
                "values": sample(group["value"].dropna().drop_duplicates()),
            }
            for (table, reason), group in rejects.groupby(["table", "reason"], sort=True)
        ]
        return {
            "status": "failed" if self.errors else "ok",
            "source": self.source,
            "mapping": self.mapping,
            "created_at": self.created_at,
            **self.summary,
            "tables": self.tables,
            "errors": self.errors,
            "warnings": self.warnings,
            "rejects": {
                "rows": int(rejects[["table", "row"]].drop_duplicates().shape[0]),
                "accounts_affected": int(rejects["account_id"].nunique()),
                "by_reason": by_reason,
            },
        }

    def write(self, report_dir: Path) -> tuple[Path, Path]:
        """Write the JSON report and the rejects CSV atomically; return both paths."""
        report_dir.mkdir(parents=True, exist_ok=True)
        report_path = report_dir / REPORT_NAME
        rejects_path = report_dir / REJECTS_NAME
        text = json.dumps(self.to_dict(), indent=2, default=str) + "\n"
        write_bytes_atomic(report_path, text.encode("utf-8"))
        write_bytes_atomic(rejects_path, self.rejects().to_csv(index=False).encode("utf-8"))
        return report_path, rejects_path
