"""Rank accounts by propensity and sort the top share into tier bands.

Only the top ``tiers.top_share`` of accounts by propensity are tiered, with ties
in propensity broken by the LightGBM raw score and then by account id. Each of
them is checked against ``tiers.bands`` in config order and takes the first band
whose ACV and potential ranges both contain its values, so when bands overlap
the earlier band wins (with the default bands, ACV $15,000 and potential
$20,000 fit Tier 2 and Tier 3, and the account becomes Tier 2). Band bounds are
inclusive at both ends. Every tiered candidate that fits no band gets a reason
naming its values, never a blank.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from expansion_propensity.config import TierBand, TierConfig

NOT_TIERED = "Not tiered"
NO_EFFORT = "n/a"
FIRST_BAND_STAKEHOLDERS = "original buyer or champion; new department's buyer; economic buyer"
OTHER_BAND_STAKEHOLDERS = "economic buyer; champion"


def format_money(values: pd.Series) -> pd.Series:
    """Format currency amounts as ``$12,345``, with ``unknown`` for missing values."""
    text = values.map(lambda value: f"${value:,.0f}", na_action="ignore")
    return text.astype("string").fillna("unknown")


def rank_by_propensity(
    propensity: pd.Series, account_id: pd.Series, raw_score: pd.Series | None = None
) -> pd.DataFrame:
    """Return rank (1 = highest propensity) and percentile (100 = highest) per row.

    Ties in propensity are broken by ``raw_score`` (higher first) and then by
    account id, so the ranking is deterministic. Calibration is monotone in the
    LightGBM raw score, so the raw score only reorders accounts whose calibrated
    propensities tie, as isotonic calibration makes many of them do.
    """
    if raw_score is None:
        raw_score = pd.Series(0.0, index=propensity.index)
    order = pd.DataFrame(
        {
            "propensity": propensity.to_numpy(),
            "raw_score": np.asarray(raw_score, dtype="float64"),
            "account_id": account_id.astype(str).to_numpy(),
        }
    )
    sorted_index = order.sort_values(
        ["propensity", "raw_score", "account_id"],
        ascending=[False, False, True],
        kind="mergesort",
    ).index
    rank = np.empty(len(order), dtype=np.int64)
    rank[sorted_index.to_numpy()] = np.arange(1, len(order) + 1)

    # Percentile: share of accounts whose propensity is at or below this one's.
    percentile = propensity.rank(method="max", pct=True).to_numpy() * 100.0
    return pd.DataFrame({"rank": rank, "percentile": percentile}, index=propensity.index)


def top_share_count(n_accounts: int, top_share: float) -> int:
    """Return the number of accounts in the top share, rounded up so a small book tiers one."""
    # The small epsilon keeps 5000 x 0.2 at 1000 despite floating-point error.
    return min(n_accounts, math.ceil(n_accounts * top_share - 1e-9))


def _within(values: pd.Series, low: float | None, high: float | None) -> pd.Series:
    fits = values.notna()
    if low is not None:
        fits &= values >= low
    if high is not None:
        fits &= values <= high
    return fits.fillna(False).astype(bool)


def _range_text(low: float | None, high: float | None) -> str:
    if low is not None and high is not None:
        return f"${low:,.0f}-${high:,.0f}"
    if low is not None:
        return f">= ${low:,.0f}"
    if high is not None:
        return f"<= ${high:,.0f}"
    return "any"


def describe_band(band: TierBand) -> str:
    """Return the band's ranges in words, e.g. ``ACV $10,000-$50,000, potential >= $15,000``."""
    acv = _range_text(band.acv_min, band.acv_max)
    potential = _range_text(band.potential_min, band.potential_max)
    return f"ACV {acv}, potential {potential}"


def _band_miss_reason(band: TierBand, arr: pd.Series, potential: pd.Series) -> pd.Series:
    """Return, per row, the first condition of ``band`` that the row fails."""
    reason = pd.Series("", index=arr.index, dtype="string")
    checks = (
        (arr.isna(), "ACV is unknown"),
        (potential.isna(), "potential is unknown"),
        (~_within(arr, band.acv_min, None), f"needs ACV >= ${band.acv_min or 0:,.0f}"),
        (~_within(arr, None, band.acv_max), f"needs ACV <= ${band.acv_max or 0:,.0f}"),
        (
            ~_within(potential, band.potential_min, None),
            f"needs potential >= ${band.potential_min or 0:,.0f}",
        ),
        (
            ~_within(potential, None, band.potential_max),
            f"needs potential <= ${band.potential_max or 0:,.0f}",
        ),
    )

    # Walk the checks from last to first so the first failing one is kept.
    for failed, text in reversed(checks):
        reason = reason.mask(failed, f"{band.name} {text}")
    return reason


def _no_band_reason(
    bands: list[TierBand], arr: pd.Series, potential: pd.Series, share_text: str
) -> pd.Series:
    """Explain why an account in the top share fits none of the bands."""
    acv_text = format_money(arr)
    potential_text = format_money(potential)
    misses = [_band_miss_reason(band, arr, potential) for band in bands]
    detail = misses[0].str.cat(misses[1:], sep="; ") if misses else pd.Series("", index=arr.index)

    reason = (
        f"{share_text} but ACV "
        + acv_text
        + " and potential "
        + potential_text
        + " fit no tier band ("
        + detail
        + ")"
    )

    # The common cases get a short sentence: a value below every band's minimum.
    acv_floor = min((band.acv_min or 0.0) for band in bands) if bands else 0.0
    potential_floor = min((band.potential_min or 0.0) for band in bands) if bands else 0.0
    below_acv = (arr < acv_floor).fillna(False).astype(bool)
    below_potential = (potential < potential_floor).fillna(False).astype(bool)
    reason = reason.mask(
        below_potential,
        f"{share_text} but potential " + potential_text + " is below every tier band",
    )
    reason = reason.mask(
        below_acv, f"{share_text} but ACV " + acv_text + " is below every tier band"
    )
    reason = reason.mask(arr.isna(), f"{share_text} but ACV is unknown, so no tier band applies")
    return reason


def assign_tiers(
    propensity: pd.Series,
    arr: pd.Series,
    potential: pd.Series,
    account_id: pd.Series,
    config: TierConfig,
    raw_score: pd.Series | None = None,
) -> pd.DataFrame:
    """Return rank, percentile, tier, tier_reason, effort and stakeholders per account.

    ``arr`` is the current ACV and ``potential`` the expansion potential, both in
    currency per year. ``raw_score`` breaks ties in propensity (see
    :func:`rank_by_propensity`). Accounts outside the top share are ``Not tiered``, and so
    are those inside it that fit no band, with a reason naming their values.
    """
    arr = arr.astype("float64")
    potential = potential.astype("float64")
    ranking = rank_by_propensity(propensity, account_id, raw_score)
    share_text = f"top {config.top_share:.0%}"
    in_top = ranking["rank"] <= top_share_count(len(propensity), config.top_share)

    tier = pd.Series(NOT_TIERED, index=propensity.index, dtype="string")
    reason = pd.Series(
        f"outside the {share_text} by propensity", index=propensity.index, dtype="string"
    )
    effort = pd.Series(NO_EFFORT, index=propensity.index, dtype="string")
    stakeholders = pd.Series(NO_EFFORT, index=propensity.index, dtype="string")
    unassigned = in_top.copy()

    # First fit wins: each band only takes accounts no earlier band has taken.
    for position, band in enumerate(config.bands):
        fits = unassigned & _within(arr, band.acv_min, band.acv_max)
        fits &= _within(potential, band.potential_min, band.potential_max)
        tier = tier.mask(fits, band.name)
        reason = reason.mask(
            fits,
            f"{share_text} by propensity; ACV "
            + format_money(arr)
            + " and potential "
            + format_money(potential)
            + f" fit {band.name} ({describe_band(band)})",
        )
        effort = effort.mask(fits, band.effort or NO_EFFORT)
        contacts = FIRST_BAND_STAKEHOLDERS if position == 0 else OTHER_BAND_STAKEHOLDERS
        stakeholders = stakeholders.mask(fits, contacts)
        unassigned &= ~fits

    reason = reason.mask(unassigned, _no_band_reason(config.bands, arr, potential, share_text))

    return pd.DataFrame(
        {
            "rank": ranking["rank"],
            "percentile": ranking["percentile"],
            "tier": tier,
            "tier_reason": reason,
            "effort": effort,
            "stakeholders": stakeholders,
        }
    )


def count_top_share(scores: pd.DataFrame, config: TierConfig) -> dict[str, int]:
    """Count the accounts in the top share and those of them that fit no tier band."""
    in_top = scores["rank"] <= top_share_count(len(scores), config.top_share)
    return {
        "top_share_accounts": int(in_top.sum()),
        "top_share_without_band": int((in_top & (scores["tier"] == NOT_TIERED)).sum()),
    }
