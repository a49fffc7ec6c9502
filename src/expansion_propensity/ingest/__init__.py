"""The ingest stage: load an export, map it onto the data contract and validate it."""

from __future__ import annotations

import logging
from pathlib import Path

from expansion_propensity.ingest.loader import ValidationFailed, load_export
from expansion_propensity.ingest.report import REJECTS_NAME, REPORT_NAME
from expansion_propensity.ingest.summary import print_summary

__all__ = ["ValidationFailed", "load_export", "run_validate"]

logger = logging.getLogger(__name__)


def run_validate(data_dir: Path, mapping: Path | None, out: Path) -> None:
    """Validate an export, write the report and rejects file to `out`, and print a summary.

    Raises ValidationFailed after writing the report when the export has fatal problems.
    """
    try:
        export = load_export(data_dir, mapping, report_dir=out)
    except ValidationFailed:
        logger.error(
            "validation failed; details in %s and %s", out / REPORT_NAME, out / REJECTS_NAME
        )
        raise
    print_summary(export.report, Path(out))
