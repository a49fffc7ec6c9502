"""The `expansion score` stage: load the champion and the export, score, write the files."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
from rich.console import Console

from expansion_propensity import paths
from expansion_propensity.config import Config
from expansion_propensity.errors import InputError
from expansion_propensity.scoring.notices import check_data_source, collect_warnings
from expansion_propensity.scoring.plays import top_plan_tier
from expansion_propensity.scoring.report import render_report, tier_summary
from expansion_propensity.scoring.safe_io import (
    write_csv_safe,
    write_json_atomic,
    write_parquet_atomic,
    write_text_atomic,
)
from expansion_propensity.scoring.score import CSV_DECIMALS, ScoringResult, score_accounts
from expansion_propensity.scoring.terminal import print_summary
from expansion_propensity.scoring.tiers import count_top_share

logger = logging.getLogger(__name__)

MODEL_METADATA_KEYS = ("trained_at", "data_fingerprint", "config_hash", "git_commit", "model_name")


def resolve_as_of(
    as_of: str | None, export_as_of: pd.Timestamp, earliest: pd.Timestamp | None = None
) -> pd.Timestamp:
    """Return the score date: ``as_of`` (YYYY-MM-DD) if given, else the export's as-of date.

    Raises InputError for a malformed date, one after the export's as-of date
    (features after the export's last event would be silently empty), or one
    before ``earliest``, the first date with enough history for features.
    """
    latest = pd.Timestamp(export_as_of).normalize()
    if as_of is None:
        return latest

    try:
        parsed = pd.Timestamp(datetime.strptime(as_of, "%Y-%m-%d"))
    except ValueError:
        raise InputError(
            f"--as-of {as_of!r} is not a valid date; use YYYY-MM-DD, for example {latest:%Y-%m-%d}"
        ) from None
    if parsed > latest:
        raise InputError(
            f"--as-of {as_of} is after the export's as-of date {latest:%Y-%m-%d}; pick a date "
            "on or before it"
        )
    if earliest is not None and parsed < earliest:
        raise InputError(
            f"--as-of {as_of} is before {earliest:%Y-%m-%d}, the first date with "
            "snapshots.min_history_days of export history; pick a date between "
            f"{earliest:%Y-%m-%d} and {latest:%Y-%m-%d}"
        )
    return parsed


def build_manifest(
    result: ScoringResult,
    export,
    config: Config,
    model_info: dict,
    model_metadata: dict,
    as_of: pd.Timestamp,
    output_dir: Path,
    export_source: str | None = None,
    source_mismatch: bool = False,
) -> dict:
    """Return the manifest: inputs, model, config hash, counts, checks and warnings of one run.

    ``export_source`` is the export's ``tracking.data_source_key``, and
    ``source_mismatch`` is True when the model was trained on another export.
    """
    scores = result.scores
    model_source = model_metadata.get("data_source")
    tiers = {
        str(row.tier): {
            "accounts": int(row.accounts),
            "potential": float(row.potential),
            "expected_value": float(row.expected_value),
        }
        for row in tier_summary(scores).itertuples()
    }
    return {
        "as_of": f"{as_of:%Y-%m-%d}",
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "output_dir": str(output_dir),
        "inputs": {
            "source": str(export.source),
            "fingerprint": export.fingerprint,
            "export_as_of": f"{pd.Timestamp(export.as_of):%Y-%m-%d}",
            "accounts_in_export": int(len(export.accounts)),
            "data_source": export_source,
        },
        "model": {
            "source": str(model_info.get("source", "")),
            "model_version": model_info.get("model_version"),
            "run_id": model_info.get("run_id"),
            # Set when no champion was trained on this export and its latest version scored.
            "not_champion_reason": model_info.get("not_champion_reason"),
            "data_source": model_source,
            **{
                key: model_metadata.get(key) for key in MODEL_METADATA_KEYS if key in model_metadata
            },
        },
        "config_hash": config.fingerprint(),
        "top_share": config.tiers.top_share,
        "counts": {
            "accounts_scored": int(len(scores)),
            "tiers": tiers,
            **count_top_share(scores, config.tiers),
            "plays": {
                str(k): int(v) for k, v in scores["play"].value_counts().sort_index().items()
            },
            "total_potential": float(scores["expansion_potential"].sum()),
            "total_expected_value": float(scores["expected_value"].sum()),
            "negative_potential_clipped": result.negative_potential_clipped,
        },
        "unseen_categories": result.unseen_categories,
        "unseen_category_values": int(
            sum(sum(values.values()) for values in result.unseen_categories.values())
        ),
        "missing_feature_groups": result.missing_feature_groups,
        "shap_additivity_max_error": result.additivity_error,
        "data_source_mismatch": source_mismatch,
        "constant_propensity": result.constant_propensity,
        "warnings": collect_warnings(
            model_info,
            result.constant_propensity,
            result.constant_raw_score,
            model_source,
            str(export_source),
            source_mismatch,
        ),
        "files": ["scores.parquet", "scores.csv", "report.html", "manifest.json"],
    }


def write_outputs(output_dir: Path, scores: pd.DataFrame, manifest: dict) -> None:
    """Write the scores, report and manifest, each atomically.

    The manifest goes last, so in a new folder its presence means the other
    files are complete. A rerun for the same date replaces the files one by one.
    """
    write_parquet_atomic(output_dir / "scores.parquet", scores)
    write_csv_safe(output_dir / "scores.csv", scores, CSV_DECIMALS)
    write_text_atomic(output_dir / "report.html", render_report(scores, manifest))
    write_json_atomic(output_dir / "manifest.json", manifest)


def run_score(
    data_dir: Path,
    mapping: Path | None,
    config: Config,
    out: Path,
    as_of: str | None = None,
    model: str | None = None,
) -> None:
    """Score every active account of the export at ``as_of`` and write ``out/<as-of>/``."""
    # Imported here so that this module loads without the training stack.
    from expansion_propensity.features import build_scoring_frame
    from expansion_propensity.features.calendar import history_start
    from expansion_propensity.features.prepare import order_tiers
    from expansion_propensity.ingest import load_export
    from expansion_propensity.modeling.bundle import load_bundle
    from expansion_propensity.tracking import data_source_key

    # The export and the date are checked before the model loads, because a
    # mistyped --as-of should fail in seconds.
    export = load_export(Path(data_dir), mapping, report_dir=paths.interim_dir())
    earliest = None
    if as_of is not None:
        earliest = history_start(export).normalize() + pd.Timedelta(
            days=config.snapshots.min_history_days
        )
    score_date = resolve_as_of(as_of, export.as_of, earliest)
    export_source = data_source_key(data_dir, mapping)
    bundle, model_info = load_bundle(model, config, export_source)
    metadata = getattr(bundle, "metadata", {}) or {}
    source_mismatch = check_data_source(
        metadata.get("data_source"), export_source, str(model_info.get("source", model))
    )

    # Features use events strictly before the snapshot date, so the day after
    # the as-of date lets events on the as-of day count.
    features = build_scoring_frame(export, config, score_date + pd.Timedelta(days=1))
    if features.empty:
        raise InputError(
            f"no account of the export in {data_dir} is active on {score_date:%Y-%m-%d}; "
            "pick a later --as-of date"
        )
    logger.info("scoring %d active accounts as of %s", len(features), f"{score_date:%Y-%m-%d}")

    console = Console(stderr=True)
    result = score_accounts(
        bundle,
        features,
        config,
        score_date,
        model_info,
        accounts=export.accounts,
        top_tier=top_plan_tier(features, order_tiers(export)),
        console=console,
    )

    output_dir = Path(out) / f"{score_date:%Y-%m-%d}"
    manifest = build_manifest(
        result,
        export,
        config,
        model_info,
        metadata,
        score_date,
        output_dir,
        export_source,
        source_mismatch,
    )
    write_outputs(output_dir, result.scores, manifest)
    print_summary(result.scores, manifest, console)
