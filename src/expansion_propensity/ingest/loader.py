"""Load an export: read, map, parse and validate every table into a contract.Export."""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path

import pandas as pd

from expansion_propensity.contract import TABLES, Export, TableSpec, empty_table
from expansion_propensity.errors import InputError
from expansion_propensity.ingest import validate
from expansion_propensity.ingest.assemble import parse_columns, select_columns
from expansion_propensity.ingest.mapping import Mapping, load_mapping, resolve_mapping
from expansion_propensity.ingest.readers import find_file, missing_file_message, read_table
from expansion_propensity.ingest.report import Report

logger = logging.getLogger(__name__)

# Event dates that define the export's as-of date when the mapping states none.
AS_OF_COLUMNS = {
    "usage": "usage_date",
    "tickets": "opened_at",
    "surveys": "survey_date",
    "subscriptions": "start_date",
}


class ValidationFailed(InputError):
    """The export cannot be loaded; the message lists every fatal problem found."""


def load_export(
    data_dir: Path, mapping: Path | None = None, report_dir: Path | None = None
) -> Export:
    """Read, map, parse and validate an export into the canonical tables.

    With `report_dir`, validation_report.json and rejects.csv are written there,
    also when validation fails. Raises ValidationFailed for fatal problems,
    an invalid mapping file included.
    """
    data_dir = Path(data_dir)
    report = Report(source=str(data_dir), mapping=str(mapping) if mapping else None)
    try:
        if mapping is not None:
            # The report records the file read, also when a shipped mapping was named.
            mapping = resolve_mapping(mapping).resolve()
            report.mapping = str(mapping)
        spec_map, mapping_bytes = load_mapping(mapping)
        export = _load(data_dir, spec_map, mapping_bytes, report)
    except InputError as err:
        if str(err) not in report.errors:
            report.error(str(err))
        _finish(report, report_dir)
        raise ValidationFailed(_failure_message(data_dir, report.errors)) from err

    _finish(report, report_dir)
    export.report = report.to_dict()
    return export


def _failure_message(data_dir: Path, errors: list[str]) -> str:
    if len(errors) == 1:
        return errors[0]
    listed = "\n".join(f"- {error}" for error in errors)
    return f"the export in {data_dir} has {len(errors)} problems:\n{listed}"


def _finish(report: Report, report_dir: Path | None) -> None:
    if report_dir is None:
        return
    report_path, rejects_path = report.write(Path(report_dir))
    logger.info("wrote %s and %s", report_path, rejects_path)


def _load(data_dir: Path, mapping: Mapping, mapping_bytes: bytes, report: Report) -> Export:
    if not data_dir.is_dir():
        raise InputError(
            f"export folder {data_dir} not found; pass the folder that contains the export's "
            "files with --data"
        )

    parsed, files, contents = _read_all(data_dir, mapping, report)
    tables = _check_rows(parsed, files, report)
    as_of = _as_of(tables, mapping)
    _warn(tables, mapping, as_of, report)
    # The warnings above list row numbers; the contract has no such column.
    tables = {name: frame.drop(columns="_row") for name, frame in tables.items()}
    validate.check_tier_order(tables["subscriptions"], mapping.tier_order, files["subscriptions"])
    for name, spec in TABLES.items():
        validate.check_contract(tables[name], spec)

    fingerprint = _fingerprint(contents, mapping_bytes)
    report.summary = {
        "fingerprint": fingerprint,
        "as_of": str(as_of.date()),
        "as_of_from": "mapping" if mapping.as_of else "latest event date",
        "tier_order": mapping.tier_order,
    }
    for name, frame in tables.items():
        report.tables[name].update(rows_loaded=len(frame), rows_rejected=report.rejected_rows(name))
    return Export(
        **tables,
        as_of=as_of,
        fingerprint=fingerprint,
        source=str(data_dir),
        tier_order=list(mapping.tier_order) if mapping.tier_order else None,
    )


def _read_all(
    data_dir: Path, mapping: Mapping, report: Report
) -> tuple[dict[str, pd.DataFrame], dict[str, str], list[bytes]]:
    """Read and parse every table, collecting all fatal problems before raising."""
    parsed: dict[str, pd.DataFrame] = {}
    files: dict[str, str] = {}
    contents: list[bytes] = []
    for name, spec in TABLES.items():
        try:
            frame, file, content = _read_one(data_dir, spec, mapping, report)
        except InputError as err:
            report.error(str(err))
            continue
        parsed[name] = frame
        files[name] = file
        if content is not None:
            contents.append(content)

    if report.errors:
        raise InputError(report.errors[0])
    return parsed, files, contents


def _read_one(
    data_dir: Path, spec: TableSpec, mapping: Mapping, report: Report
) -> tuple[pd.DataFrame, str, bytes | None]:
    path = find_file(data_dir, spec.name, mapping)
    if path is None:
        if spec.required:
            raise InputError(missing_file_message(data_dir, spec.name))
        report.tables[spec.name] = {"file": None, "rows_read": 0}
        return _with_row(empty_table(spec)), "", None

    raw = read_table(spec.name, path, mapping)
    report.tables[spec.name] = {"file": path.name, "rows_read": len(raw.frame)}
    if raw.frame.empty:
        if spec.required:
            raise InputError(
                f"{path.name} has a header but no data rows, and the {spec.name} table is "
                "required; export it again with its rows"
            )
        report.warn(spec.name, "empty_table", f"{path.name} has no data rows", count=0)

    selected = select_columns(raw, spec, mapping)
    report.tables[spec.name]["absent_columns"] = [
        name for name in spec.column_names if name not in selected
    ]
    frame = parse_columns(selected, spec, mapping, path.name, report)
    if spec.name == "accounts":
        frame = frame.assign(account_name=frame["account_name"].fillna(frame["account_id"]))
    return frame, path.name, raw.content


def _with_row(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.assign(_row=pd.Series(dtype="int64"))


def _check_rows(
    parsed: dict[str, pd.DataFrame], files: dict[str, str], report: Report
) -> dict[str, pd.DataFrame]:
    """Apply the row and reference checks; return the accepted rows in contract columns."""
    validate.check_duplicate_accounts(parsed["accounts"], files["accounts"])
    tables = {
        name: validate.reject_invalid_rows(frame, TABLES[name], files[name], report)
        for name, frame in parsed.items()
    }

    accounts = tables["accounts"]["account_id"]
    parsed_accounts = parsed["accounts"]["account_id"]
    tables["subscriptions"] = validate.reject_unknown_accounts(
        tables["subscriptions"],
        "subscriptions",
        files["subscriptions"],
        accounts,
        parsed_accounts,
        report,
    )
    tables["usage"] = validate.fill_usage_accounts(
        tables["usage"],
        tables["subscriptions"],
        parsed["subscriptions"]["subscription_id"],
        files["usage"],
        report,
    )
    for name in ("usage", "tickets", "surveys", "churn_events"):
        tables[name] = validate.reject_unknown_accounts(
            tables[name], name, files[name], accounts, parsed_accounts, report
        )
    return {name: frame.reset_index(drop=True) for name, frame in tables.items()}


def _as_of(tables: dict[str, pd.DataFrame], mapping: Mapping) -> pd.Timestamp:
    if mapping.as_of is not None:
        return pd.Timestamp(mapping.as_of)
    latest = [tables[name][column].max() for name, column in AS_OF_COLUMNS.items()]
    latest = [value for value in latest if pd.notna(value)]
    if not latest:
        raise InputError(
            "the export has no usage, ticket, survey or subscription start dates, so its as-of "
            "date is unknown; state as_of in the mapping"
        )
    return max(latest)


def _warn(
    tables: dict[str, pd.DataFrame], mapping: Mapping, as_of: pd.Timestamp, report: Report
) -> None:
    validate.warn_date_contradictions(tables, report)
    if mapping.as_of is not None:
        validate.warn_after_as_of(tables, TABLES, as_of, report)
    validate.warn_accounts_without_subscription(tables["accounts"], tables["subscriptions"], report)
    validate.warn_duplicate_usage_ids(tables["usage"], report)
    if report.tables["churn_events"]["file"] is not None:
        absent = report.tables["accounts"]["absent_columns"]
        provided = {name for name in ("churn_date", "churned") if name not in absent}
        validate.warn_churn_contradictions(
            tables["accounts"], tables["churn_events"], provided, report
        )


def _fingerprint(contents: list[bytes], mapping_bytes: bytes) -> str:
    """Hash the input files in contract table order, then the mapping file's bytes."""
    digest = hashlib.sha256()
    for content in contents:
        digest.update(content)
    digest.update(mapping_bytes)
    return digest.hexdigest()[:16]
