"""The mapping file: how a foreign export's files and columns map onto the contract.

A mapping is optional. Without one, the loader expects the contract's own file
and column names and ISO dates. See docs/data-contract.md for the format.
"""

from __future__ import annotations

import datetime as dt
import difflib
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from expansion_propensity.config import unknown_key_message
from expansion_propensity.contract import NUMBER, TABLES
from expansion_propensity.errors import InputError

SHIPPED_DIR = Path(__file__).resolve().parents[1] / "mappings"

DEFAULT_TRUE = ("true", "t", "yes", "y", "1")
DEFAULT_FALSE = ("false", "f", "no", "n", "0")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class BooleanFormat(_Strict):
    true_values: list[str] = Field(default_factory=lambda: list(DEFAULT_TRUE))
    false_values: list[str] = Field(default_factory=lambda: list(DEFAULT_FALSE))

    @field_validator("true_values", "false_values", mode="before")
    @classmethod
    def _lower(cls, values: list) -> list[str]:
        # YAML reads unquoted True/yes/on as booleans, so their spelling is lost. The
        # loader compares spellings in lower case, which makes both forms match.
        return [str(value).strip().lower() for value in values]

    @model_validator(mode="after")
    def _check_disjoint(self) -> BooleanFormat:
        both = sorted(set(self.true_values) & set(self.false_values))
        if both:
            raise ValueError(f"spellings {both} are listed as both true and false")
        return self


class MoneyFormat(_Strict):
    symbols: list[str] = Field(default_factory=lambda: ["$", "€", "£"])
    thousands: str = ","
    decimal: str = "."
    parentheses_negative: bool = True
    dash_is_zero: bool = True

    @model_validator(mode="after")
    def _check_marks(self) -> MoneyFormat:
        if self.thousands == self.decimal:
            raise ValueError(
                f"thousands separator and decimal mark are both {self.decimal!r}; they must differ"
            )
        if len(self.decimal) != 1:
            raise ValueError(f"decimal mark {self.decimal!r} must be one character")
        return self


class TableMapping(_Strict):
    file: str | None = None
    encoding: str | None = None
    delimiter: str = ","
    columns: dict[str, str] = Field(default_factory=dict)
    constants: dict[str, str | int | float | bool] = Field(default_factory=dict)
    multiply: dict[str, float] = Field(default_factory=dict)
    date_formats: dict[str, str] = Field(default_factory=dict)


class Mapping(_Strict):
    as_of: dt.date | None = None
    tier_order: list[str] | None = None
    encoding: str | None = None
    date_format: str | None = None
    booleans: BooleanFormat = Field(default_factory=BooleanFormat)
    money: MoneyFormat = Field(default_factory=MoneyFormat)
    tables: dict[str, TableMapping] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _check_tables(self) -> Mapping:
        for table, spec in self.tables.items():
            if table not in TABLES:
                raise ValueError(
                    f"tables: unknown table {table!r}{_suggest(table, TABLES)}; expected one of "
                    f"{', '.join(TABLES)}"
                )
            known = TABLES[table].column_names
            options = ("columns", "constants", "multiply", "date_formats")
            for option in options:
                for column in getattr(spec, option):
                    if column not in known:
                        raise ValueError(
                            f"tables.{table}.{option}: unknown column {column!r}"
                            f"{_suggest(column, known)}; the contract's {table} columns are "
                            f"{', '.join(known)}"
                        )
            for column in spec.multiply:
                if TABLES[table].column(column).kind != NUMBER:
                    raise ValueError(
                        f"tables.{table}.multiply: column {column!r} is not a number column"
                    )
        if self.tier_order is not None and len(set(self.tier_order)) != len(self.tier_order):
            raise ValueError(f"tier_order {self.tier_order} lists a tier twice")
        return self

    def table(self, name: str) -> TableMapping:
        """Return the table's mapping, or the contract defaults when the mapping omits it."""
        return self.tables.get(name, TableMapping())

    def encoding_for(self, name: str) -> str | None:
        return self.table(name).encoding or self.encoding

    def date_format_for(self, table: str, column: str) -> str | None:
        return self.table(table).date_formats.get(column, self.date_format)


def _suggest(name: str, valid) -> str:
    close = difflib.get_close_matches(name, list(valid), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _describe(err: ValidationError) -> str:
    lines = []
    for item in err.errors():
        message = item["msg"].removeprefix("Value error, ")
        location = ".".join(str(part) for part in item["loc"])
        # Table checks run on the whole mapping and name their own key in the message.
        if not location:
            lines.append(f"  {message}")
            continue
        if item["type"] == "extra_forbidden":
            message = unknown_key_message(Mapping, item["loc"])
        lines.append(f"  {location}: {message}")
    return "\n".join(lines)


def shipped_mappings() -> list[str]:
    """Return the names of the mappings shipped with the package."""
    return sorted(path.stem for path in SHIPPED_DIR.glob("*.yaml"))


def resolve_mapping(path: Path) -> Path:
    """Return the mapping file's path; a bare name that is not a file selects a shipped mapping.

    Raises InputError listing the shipped mappings when a bare name matches none.
    """
    path = Path(path)
    if path.exists() or path.suffix or len(path.parts) != 1:
        return path
    shipped = SHIPPED_DIR / f"{path.name}.yaml"
    if shipped.is_file():
        return shipped
    raise InputError(
        f"mapping file {path} not found, and no shipped mapping has that name; shipped "
        f"mappings: {', '.join(shipped_mappings()) or 'none'}"
    )


def load_mapping(path: Path | None) -> tuple[Mapping, bytes]:
    """Read and validate a mapping file; return it with its bytes for the fingerprint.

    No path gives the default mapping (contract names, ISO dates) and empty bytes. A bare
    name without a suffix that is not an existing file selects a shipped mapping.
    Raises InputError naming the file and every invalid key.
    """
    if path is None:
        return Mapping(), b""

    path = resolve_mapping(path)
    try:
        raw = path.read_bytes()
    except OSError as err:
        raise InputError(f"mapping file {path} cannot be read: {err.strerror}") from err

    try:
        document = yaml.safe_load(raw) or {}
    except yaml.YAMLError as err:
        raise InputError(f"mapping file {path} is not valid YAML: {err}") from err
    if not isinstance(document, dict):
        raise InputError(
            f"mapping file {path} must be a YAML mapping of keys, got {type(document).__name__}"
        )

    try:
        mapping = Mapping.model_validate(document)
    except ValidationError as err:
        raise InputError(
            f"mapping file {path} is invalid:\n{_describe(err)}\n"
            "See docs/data-contract.md for the mapping format."
        ) from err
    return mapping, raw
