"""A self-contained HTML report of one scoring run.

The page has inline CSS and its charts as base64 PNG images, with no external
URL, so it opens offline and can be attached to an email. Every text value is
HTML-escaped because account names come from the export.
"""

from __future__ import annotations

import base64
import html
import io

import pandas as pd
from matplotlib.figure import Figure

from expansion_propensity.features import registry
from expansion_propensity.scoring.tiers import NOT_TIERED

TOP_ACCOUNTS = 25
PILLAR_COLOURS = {
    "tenure": "#4c72b0",
    "usage": "#55a868",
    "adoption": "#c44e52",
    "health": "#8172b2",
    "context": "#937860",
}

CSS = """
body { font-family: -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; margin: 24px;
       color: #1f2328; max-width: 1220px; }
h1 { font-size: 22px; margin-bottom: 4px; }
h2 { font-size: 17px; margin-top: 28px; border-bottom: 1px solid #d0d7de; padding-bottom: 4px; }
p.meta { color: #59636e; font-size: 13px; margin-top: 0; }
table { border-collapse: collapse; font-size: 12px; width: 100%; }
th, td { border: 1px solid #d0d7de; padding: 4px 6px; text-align: left; vertical-align: top; }
th { background: #f6f8fa; }
td.num { text-align: right; white-space: nowrap; }
.charts { display: flex; gap: 16px; flex-wrap: wrap; }
.charts img { max-width: 600px; border: 1px solid #d0d7de; }
.warning { background: #fff1e5; border: 2px solid #bc4c00; color: #762c00; padding: 8px 12px;
           margin: 12px 0; font-size: 14px; font-weight: 600; }
"""


def _png(figure: Figure) -> str:
    # A bare Figure renders through Agg without pyplot, so no global backend is set.
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=80, bbox_inches="tight")
    encoded = base64.b64encode(buffer.getvalue()).decode("ascii")
    return f'<img alt="chart" src="data:image/png;base64,{encoded}">'


def propensity_histogram(scores: pd.DataFrame) -> str:
    """Return an <img> tag with the histogram of propensities, tiered accounts stacked apart."""
    figure = Figure(figsize=(7, 3.2))
    axes = figure.subplots()
    tiered = scores["tier"] != NOT_TIERED
    axes.hist(
        [scores.loc[~tiered, "propensity"], scores.loc[tiered, "propensity"]],
        bins=40,
        range=(0.0, 1.0),
        stacked=True,
        color=["#9aa5b1", "#2f6f9f"],
        label=["not tiered", "tiered"],
    )
    axes.set_xlabel("propensity (calibrated probability of expansion)")
    axes.set_ylabel("accounts")
    axes.set_title("Propensity distribution")
    axes.legend(frameon=False)
    return _png(figure)


def pillar_share_chart(scores: pd.DataFrame) -> str:
    """Return an <img> tag with the mean pillar shares of the explanation per tier."""
    columns = [f"share_{pillar}" for pillar in registry.PILLARS]
    means = scores.groupby("tier", sort=True)[columns].mean()
    means.loc["All accounts"] = scores[columns].mean()
    # A constant model has no shares at all, and its bars are left empty.
    means = means.fillna(0.0)

    figure = Figure(figsize=(7, 0.6 * len(means) + 1.2))
    axes = figure.subplots()
    left = pd.Series(0.0, index=means.index)
    for pillar, column in zip(registry.PILLARS, columns, strict=True):
        axes.barh(means.index, means[column], left=left, color=PILLAR_COLOURS[pillar], label=pillar)
        left += means[column]
    axes.set_xlim(0, 1)
    axes.invert_yaxis()
    axes.set_xlabel("mean share of |SHAP contributions|")
    axes.set_title("What drives the propensity, by pillar")
    axes.legend(ncols=5, frameon=False, loc="upper center", bbox_to_anchor=(0.5, -0.25))
    return _png(figure)


def _money(value: float) -> str:
    return f"${value:,.0f}"


def tier_summary(scores: pd.DataFrame) -> pd.DataFrame:
    """Return accounts, ACV, potential and expected value per tier, tiers in name order."""
    summary = scores.groupby("tier", sort=True).agg(
        accounts=("account_id", "size"),
        acv=("arr", "sum"),
        potential=("expansion_potential", "sum"),
        expected_value=("expected_value", "sum"),
        effort=("effort", "first"),
    )
    return summary.reset_index()


def _table(headers: list[str], rows: list[list[str]], numeric: set[int]) -> str:
    head = "".join(f"<th>{html.escape(header)}</th>" for header in headers)
    body = []
    for row in rows:
        cells = "".join(
            f'<td class="num">{html.escape(cell)}</td>'
            if index in numeric
            else f"<td>{html.escape(cell)}</td>"
            for index, cell in enumerate(row)
        )
        body.append(f"<tr>{cells}</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def _text(value) -> str:
    return "" if pd.isna(value) else str(value)


def _tier_table(scores: pd.DataFrame) -> str:
    rows = [
        [
            str(row.tier),
            f"{row.accounts:,}",
            _money(row.acv),
            _money(row.potential),
            _money(row.expected_value),
            _text(row.effort),
        ]
        for row in tier_summary(scores).itertuples()
    ]
    headers = ["tier", "accounts", "current ACV", "potential", "expected value", "effort"]
    return _table(headers, rows, numeric={1, 2, 3, 4})


def _top_table(scores: pd.DataFrame) -> str:
    top = scores.nlargest(TOP_ACCOUNTS, "expected_value", keep="first")
    rows = [
        [
            f"{row.rank:,}",
            _text(row.account_name),
            _text(row.tier),
            f"{row.propensity:.1%}",
            _money(row.arr),
            _money(row.expansion_potential),
            _money(row.expected_value),
            _text(row.play),
            "; ".join(_text(d) for d in (row.driver_1, row.driver_2, row.driver_3) if _text(d)),
            _text(row.negative_driver),
        ]
        for row in top.itertuples()
    ]
    # The rows are in expected-value order, so the rank column's header names its propensity order.
    headers = [
        "propensity rank",
        "account",
        "tier",
        "propensity",
        "ACV",
        "potential",
        "expected value",
        "play",
        "top drivers",
        "main negative driver",
    ]
    return _table(headers, rows, numeric={0, 3, 4, 5, 6})


def top_share_note(manifest: dict) -> str:
    """Return a sentence on how many accounts of the top share fit no tier band, or ''."""
    counts = manifest.get("counts", {})
    if "top_share_accounts" not in counts:
        return ""
    share = manifest.get("top_share", 0.0)
    return (
        f"{counts['top_share_without_band']:,} of the {counts['top_share_accounts']:,} accounts in "
        f"the top {share:.0%} by propensity fit no tier band and count as Not tiered; "
        "tier_reason says which ACV or potential bound each one misses."
    )


def _checks(manifest: dict) -> str:
    items = []
    for column, values in manifest.get("unseen_categories", {}).items():
        items.append(f"{column}: values never seen in training {values}")
    for name, count in manifest.get("missing_feature_groups", {}).items():
        if count:
            items.append(f"{count:,} account(s) with {name.replace('_', ' ')}")
    if not items:
        items.append("no unseen categories and no account with a whole feature group missing")
    return "<ul>" + "".join(f"<li>{html.escape(item)}</li>" for item in items) + "</ul>"


def warning_banners(manifest: dict) -> str:
    """Return one banner per warning of the run, or '' when there is none."""
    return "".join(
        f'<p class="warning">{html.escape(warning)}</p>\n'
        for warning in manifest.get("warnings", [])
    )


def render_report(scores: pd.DataFrame, manifest: dict) -> str:
    """Return the report page as one HTML string."""
    model = manifest.get("model", {})
    meta = (
        f"as of {manifest.get('as_of', '')} &middot; {len(scores):,} accounts scored &middot; "
        f"model version {html.escape(str(model.get('model_version') or 'unregistered'))} "
        f"&middot; run {html.escape(str(model.get('run_id') or 'unknown'))} &middot; "
        f"created {html.escape(str(manifest.get('created_at', '')))}"
    )
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Expansion propensity scores as of {html.escape(str(manifest.get("as_of", "")))}</title>
<style>{CSS}</style>
</head>
<body>
<h1>Expansion propensity scores</h1>
<p class="meta">{meta}</p>
{warning_banners(manifest)}<h2>Tiers</h2>
{_tier_table(scores)}
<p class="meta">{html.escape(top_share_note(manifest))}</p>
<h2>Distribution and drivers</h2>
<div class="charts">{propensity_histogram(scores)}{pillar_share_chart(scores)}</div>
<h2>Top {TOP_ACCOUNTS} accounts by expected value</h2>
{_top_table(scores)}
<h2>Data checks</h2>
{_checks(manifest)}
</body>
</html>
"""
