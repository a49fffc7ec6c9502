"""Run configuration: one YAML file over documented defaults, validated on load.

Every section has defaults here, so a config file only lists what it changes.
Unknown keys are rejected, because a misspelt key that silently does nothing
is worse than an error.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import typing
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from expansion_propensity.errors import InputError


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SnapshotConfig(_Section):
    cadence: str = Field(
        "MS", description="pandas offset alias for snapshot dates; MS = month start"
    )
    min_history_days: int = Field(
        90, ge=0, description="days of export history before the first snapshot"
    )


class LabelConfig(_Section):
    horizon_days: int = Field(
        90, gt=0, description="days after a snapshot in which expansion counts"
    )
    min_increase_pct: float = Field(
        0.10, ge=0, description="minimum ARR increase as a share of ARR at the snapshot"
    )
    min_increase_amount: float = Field(
        1000.0, ge=0, description="minimum ARR increase in currency units"
    )


class SplitConfig(_Section):
    validation_months: int = Field(3, gt=0, description="months of snapshots for early stopping")
    calibration_months: int = Field(3, gt=0, description="months of snapshots for calibration")
    test_months: int = Field(3, gt=0, description="months of snapshots held out for evaluation")


class BaselineConfig(_Section):
    weights: dict[str, float] = Field(
        default_factory=lambda: {"tenure": 0.30, "usage": 0.25, "adoption": 0.20, "health": 0.25},
        description="pillar weights of the Expansion Score; they must sum to 1",
    )

    @model_validator(mode="after")
    def _check_weights(self) -> BaselineConfig:
        expected = {"tenure", "usage", "adoption", "health"}
        if set(self.weights) != expected:
            raise ValueError(
                f"baseline.weights has pillars {sorted(self.weights)}; expected exactly "
                f"{sorted(expected)}"
            )
        total = sum(self.weights.values())
        if abs(total - 1.0) > 1e-9:
            raise ValueError(
                f"baseline.weights sum to {total:.4f}; they must sum to 1 (got {self.weights})"
            )
        return self


class LightGBMConfig(_Section):
    n_estimators: int = Field(2000, gt=0, description="upper bound; early stopping picks the count")
    learning_rate: float = Field(0.03, gt=0)
    num_leaves: int = Field(31, gt=1)
    min_child_samples: int = Field(100, gt=0)
    subsample: float = Field(0.8, gt=0, le=1)
    subsample_freq: int = Field(1, ge=0)
    colsample_bytree: float = Field(0.8, gt=0, le=1)
    reg_lambda: float = Field(1.0, ge=0)
    early_stopping_rounds: int = Field(100, gt=0)
    n_jobs: int = Field(2, gt=0, description="threads; fixed so results do not depend on the host")


class CalibrationConfig(_Section):
    isotonic_min_positives: int = Field(
        500,
        gt=0,
        description="isotonic calibration when the calibration period has at least this many "
        "positives, sigmoid otherwise",
    )


class TuningConfig(_Section):
    n_trials: int = Field(20, gt=0, description="Optuna trials for --tune")
    timeout_seconds: int = Field(600, gt=0, description="stop tuning after this many seconds")


class TrackingConfig(_Section):
    experiment: str = "expansion-propensity"
    registered_model: str = "expansion-propensity"
    champion_metric: str = Field("pr_auc", description="metric the champion gate compares")


class TierBand(_Section):
    name: str
    acv_min: float | None = None
    acv_max: float | None = None
    potential_min: float | None = None
    potential_max: float | None = None
    effort: str = ""


def _default_bands() -> list[TierBand]:
    return [
        TierBand(name="Tier 1", acv_min=50_000, potential_min=100_000, effort="3-6 months"),
        TierBand(
            name="Tier 2",
            acv_min=10_000,
            acv_max=50_000,
            potential_min=15_000,
            potential_max=75_000,
            effort="1-3 months",
        ),
        TierBand(
            name="Tier 3",
            acv_min=5_000,
            acv_max=20_000,
            potential_min=10_000,
            potential_max=30_000,
            effort="under 1 month",
        ),
    ]


class TierConfig(_Section):
    top_share: float = Field(0.20, gt=0, le=1, description="share of accounts by propensity tiered")
    bands: list[TierBand] = Field(
        default_factory=_default_bands,
        description="checked in order; the first band that fits wins",
    )


class Config(_Section):
    seed: int = 42
    snapshots: SnapshotConfig = SnapshotConfig()
    labels: LabelConfig = LabelConfig()
    splits: SplitConfig = SplitConfig()
    baseline: BaselineConfig = BaselineConfig()
    lightgbm: LightGBMConfig = LightGBMConfig()
    calibration: CalibrationConfig = CalibrationConfig()
    tuning: TuningConfig = TuningConfig()
    tracking: TrackingConfig = TrackingConfig()
    tiers: TierConfig = TierConfig()

    def to_dict(self) -> dict:
        return self.model_dump(mode="json")

    def fingerprint(self) -> str:
        """Return a short SHA-256 of the resolved config, for run tags."""
        payload = json.dumps(self.to_dict(), sort_keys=True).encode()
        return hashlib.sha256(payload).hexdigest()[:12]


class ConfigError(InputError):
    """The config file is missing, unreadable or has invalid values."""


def load_config(path: Path | str | None = None) -> Config:
    """Load a YAML config over the defaults; with no path, return the defaults."""
    if path is None:
        return Config()

    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"config file {path} not found; pass an existing YAML file to --config")

    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as err:
        raise ConfigError(f"config file {path} is not valid YAML: {err}") from err
    if not isinstance(raw, dict):
        raise ConfigError(f"config file {path} must contain a mapping of sections, got {raw!r}")

    try:
        return Config.model_validate(raw)
    except ValidationError as err:
        problems = "\n".join(f"- {_describe(error)}" for error in err.errors())
        raise ConfigError(
            f"config file {path} has {err.error_count()} problem(s):\n{problems}\n"
            "See docs/configuration.md for every key and its default."
        ) from err


def _describe(error: dict) -> str:
    """Return one pydantic error as a line naming the key, the value and what is allowed."""
    key = ".".join(str(part) for part in error["loc"])
    if error["type"] == "extra_forbidden":
        return f"{key}: {unknown_key_message(Config, error['loc'])}"
    return f"{key}: {error['msg']} (got {error.get('input')!r})"


def unknown_key_message(root: type[BaseModel], location: tuple) -> str:
    """Return "unknown key" with the closest valid key and the keys allowed at ``location``."""
    section = _section_model(root, [str(part) for part in location[:-1]])
    valid = sorted(section.model_fields) if section is not None else []
    if not valid:
        return "unknown key"
    close = difflib.get_close_matches(str(location[-1]), valid, n=1)
    hint = f"; did you mean {close[0]!r}?" if close else ";"
    return f"unknown key{hint} Valid keys here: {', '.join(valid)}"


def _section_model(root: type[BaseModel], location: list[str]) -> type[BaseModel] | None:
    """Return the pydantic model whose keys sit at ``location``, or None when none does."""
    model = root
    parts = list(location)
    while parts:
        field = model.model_fields.get(parts.pop(0))
        if field is None:
            return None
        annotation = field.annotation
        if typing.get_origin(annotation) is dict:
            # A mapping of names to sections: the next part is the name.
            if parts:
                parts.pop(0)
            annotation = typing.get_args(annotation)[1]
        if not (isinstance(annotation, type) and issubclass(annotation, BaseModel)):
            return None
        model = annotation
    return model
