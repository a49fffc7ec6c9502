"""The input contract: the canonical tables an export provides after mapping.

Every later stage reads these names and types only; a mapping file translates
a foreign export onto them. Money is in the export's currency units per year
(ARR) unless a column states otherwise; dates are timezone-naive timestamps.
See docs/data-contract.md for the grain and meaning of each column.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

# Column kinds, used by the loader to parse and by the docs to describe.
STRING = "string"
DATE = "date"
INTEGER = "integer"
NUMBER = "number"
BOOLEAN = "boolean"


@dataclass(frozen=True)
class Column:
    name: str
    kind: str
    required: bool
    description: str
    unit: str = ""
    nonnegative: bool = False


@dataclass(frozen=True)
class TableSpec:
    name: str
    grain: str
    columns: tuple[Column, ...]
    required: bool = True
    key: str | None = None

    @property
    def required_columns(self) -> list[str]:
        return [c.name for c in self.columns if c.required]

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    def column(self, name: str) -> Column:
        for col in self.columns:
            if col.name == name:
                return col
        raise KeyError(f"table {self.name!r} has no column {name!r}")


ACCOUNTS = TableSpec(
    name="accounts",
    grain="one row per account",
    key="account_id",
    columns=(
        Column("account_id", STRING, True, "unique account identifier"),
        Column("account_name", STRING, False, "display name; defaults to the id"),
        Column("customer_since", DATE, True, "date the account became a customer (signup)"),
        Column("segment", STRING, False, "SMB, Mid-Market or Enterprise (or company size band)"),
        Column("industry", STRING, False, "industry label"),
        Column("region", STRING, False, "region or country"),
        Column("churn_date", DATE, False, "date the account churned, empty while active"),
        Column("churned", BOOLEAN, False, "account is marked churned (a churn flag)"),
    ),
)

SUBSCRIPTIONS = TableSpec(
    name="subscriptions",
    grain="one row per subscription period (a price, plan and seat count in force)",
    key="subscription_id",
    columns=(
        Column("subscription_id", STRING, True, "unique subscription period identifier"),
        Column("account_id", STRING, True, "owning account"),
        Column("start_date", DATE, True, "first day the period is in force"),
        Column("end_date", DATE, False, "day the period ends; empty while open-ended"),
        Column("plan_tier", STRING, True, "plan tier name, for example Basic, Pro, Enterprise"),
        Column("seats", INTEGER, True, "purchased seats", "seats", True),
        Column(
            "arr", NUMBER, True, "annual recurring revenue of this period", "currency/year", True
        ),
        Column("product", STRING, False, "product or add-on; empty means the core product"),
    ),
)

USAGE = TableSpec(
    name="usage",
    grain="one row per account (or subscription) x date x feature",
    columns=(
        Column("account_id", STRING, True, "account; the loader fills it from subscription_id"),
        Column("subscription_id", STRING, False, "subscription the usage belongs to"),
        Column("usage_date", DATE, True, "day of use"),
        Column("feature", STRING, True, "feature name from the product catalogue"),
        Column("usage_count", INTEGER, True, "times the feature was used", "events", True),
        Column("duration_secs", NUMBER, False, "time spent in the feature", "seconds", True),
        Column("error_count", INTEGER, False, "errors raised while using it", "errors", True),
        Column("active_users", INTEGER, False, "distinct users of the feature", "users", True),
        Column("is_premium", BOOLEAN, False, "feature belongs to a premium tier or add-on"),
        Column("usage_id", STRING, False, "usage row identifier, not required to be unique"),
    ),
)

TICKETS = TableSpec(
    name="tickets",
    grain="one row per support ticket",
    key="ticket_id",
    columns=(
        Column("ticket_id", STRING, True, "unique ticket identifier"),
        Column("account_id", STRING, True, "account that raised the ticket"),
        Column("opened_at", DATE, True, "date the ticket was opened"),
        Column("closed_at", DATE, False, "date the ticket was closed; empty while open"),
        Column("priority", STRING, False, "low, medium, high or urgent"),
        Column("resolution_hours", NUMBER, False, "hours from open to resolution", "hours", True),
        Column("satisfaction", NUMBER, False, "ticket satisfaction score", "1-5"),
        Column("escalated", BOOLEAN, False, "ticket was escalated"),
    ),
)

SURVEYS = TableSpec(
    name="surveys",
    grain="one row per survey response",
    required=False,
    columns=(
        Column("account_id", STRING, True, "responding account"),
        Column("survey_date", DATE, True, "date of the response"),
        Column("score", NUMBER, True, "NPS (0-10) or CSAT (1-5) score"),
        Column("survey_type", STRING, False, "nps or csat; nps when empty"),
    ),
)

CHURN_EVENTS = TableSpec(
    name="churn_events",
    grain="one row per churn event",
    required=False,
    columns=(
        Column("account_id", STRING, True, "churned account"),
        Column("churn_date", DATE, True, "date of the churn"),
        Column("reason", STRING, False, "reason code"),
    ),
)

TABLES: dict[str, TableSpec] = {
    spec.name: spec for spec in (ACCOUNTS, SUBSCRIPTIONS, USAGE, TICKETS, SURVEYS, CHURN_EVENTS)
}


# The pandas dtype each column kind is loaded as.
PANDAS_DTYPES = {
    STRING: "string",
    DATE: "datetime64[ns]",
    INTEGER: "Int64",
    NUMBER: "float64",
    BOOLEAN: "boolean",
}


def empty_table(spec: TableSpec) -> pd.DataFrame:
    """Return an empty frame with the spec's columns and dtypes."""
    return pd.DataFrame({c.name: pd.Series(dtype=PANDAS_DTYPES[c.kind]) for c in spec.columns})


@dataclass
class Export:
    """A loaded, validated export in the canonical contract.

    Frames hold only accepted rows; optional tables that the export lacks are
    empty frames with the canonical columns. ``as_of`` is the export's as-of
    date: the mapping's value when it states one, else the latest event date.
    """

    accounts: pd.DataFrame
    subscriptions: pd.DataFrame
    usage: pd.DataFrame
    tickets: pd.DataFrame
    surveys: pd.DataFrame
    churn_events: pd.DataFrame
    as_of: pd.Timestamp
    fingerprint: str
    source: str
    report: dict = field(default_factory=dict)
    # Plan tiers from lowest to highest when the mapping states them; None lets
    # the label stage order tiers by price per seat instead.
    tier_order: list[str] | None = None
