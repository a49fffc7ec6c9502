import re
import shutil
import subprocess
from pathlib import Path

import matplotlib.image
import numpy as np
import pandas as pd
import pytest

from expansion_propensity.scoring.report import render_report, tier_summary
from expansion_propensity.scoring.safe_io import write_text_atomic

CHROMIUM = Path("/usr/bin/chromium")


def sample_scores(n: int = 60) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    propensity = np.sort(rng.random(n))[::-1]
    tiers = ["Tier 1"] * 3 + ["Tier 2"] * 5 + ["Tier 3"] * 4 + ["Not tiered"] * (n - 12)
    frame = pd.DataFrame(
        {
            "account_id": [f"A{i}" for i in range(n)],
            "account_name": ["<b>Bold & Co</b>", "=cmd|' /C calc'!A0"]
            + [f"Account {i}" for i in range(n - 2)],
            "rank": np.arange(1, n + 1),
            "arr": rng.uniform(1_000, 90_000, n),
            "propensity": propensity,
            "expansion_potential": rng.uniform(1_000, 150_000, n),
            "tier": tiers,
            "effort": ["3-6 months"] * 3
            + ["1-3 months"] * 5
            + ["under 1 month"] * 4
            + ["n/a"] * (n - 12),
            "play": "add seats",
            "driver_1": "seat utilisation: active users over purchased seats 97% (+0.12)",
            "driver_2": "months as a paying customer 26 (+0.08)",
            "driver_3": pd.NA,
            "negative_driver": "support tickets opened in the last 90 days 7 (-0.25)",
        }
    )
    frame["expected_value"] = frame["propensity"] * frame["expansion_potential"]
    shares = rng.dirichlet(np.ones(5), n)
    for i, pillar in enumerate(["tenure", "usage", "adoption", "health", "context"]):
        frame[f"share_{pillar}"] = shares[:, i]
    return frame


MANIFEST = {
    "as_of": "2024-06-30",
    "created_at": "2024-07-01T08:00:00+00:00",
    "model": {"model_version": "4", "run_id": "abc123"},
    "unseen_categories": {"plan_tier": {"Platinum": 2}},
    "missing_feature_groups": {"no_usage_data": 5, "no_survey_data": 0},
}


def test_report_self_contained():
    page = render_report(sample_scores(), MANIFEST)

    assert page.startswith("<!DOCTYPE html>")
    assert page.count("data:image/png;base64,") == 2
    assert re.search(r"""(src|href)=["']?(https?:)?//""", page) is None
    assert "<link" not in page
    assert "<script" not in page


def test_report_escapes_text():
    page = render_report(sample_scores(), MANIFEST)

    assert "<b>Bold" not in page
    assert "&lt;b&gt;Bold &amp; Co&lt;/b&gt;" in page


def test_report_lists_tiers_and_checks():
    page = render_report(sample_scores(), MANIFEST)

    assert '<td>Tier 1</td><td class="num">3</td>' in page
    assert "Top 25 accounts by expected value" in page
    assert "plan_tier: values never seen in training {&#x27;Platinum&#x27;: 2}" in page
    assert "5 account(s) with no usage data" in page
    assert "model version 4" in page


def test_tier_summary_totals():
    scores = sample_scores()

    summary = tier_summary(scores).set_index("tier")

    assert summary.loc["Tier 2", "accounts"] == 5
    assert summary["accounts"].sum() == len(scores)
    assert summary["potential"].sum() == pytest.approx(scores["expansion_potential"].sum())


@pytest.mark.skipif(not CHROMIUM.exists(), reason="headless check needs /usr/bin/chromium")
def test_report_renders_in_chromium(tmp_path):
    page = tmp_path / "report.html"
    write_text_atomic(page, render_report(sample_scores(), MANIFEST))
    screenshot = tmp_path / "report.png"
    profile = tmp_path / "profile"

    subprocess.run(
        [
            str(CHROMIUM),
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            f"--user-data-dir={profile}",
            f"--screenshot={screenshot}",
            "--window-size=1280,2000",
            page.as_uri(),
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )

    # A blank or failed page is nearly all white; the rendered report is not.
    pixels = matplotlib.image.imread(screenshot)[..., :3]
    assert pixels.shape[:2] == (2000, 1280)
    assert (pixels < 0.9).any(axis=2).mean() > 0.02
    shutil.rmtree(profile, ignore_errors=True)


def test_report_shows_warnings_before_tiers():
    manifest = {**MANIFEST, "warnings": ["This model is not the champion: <near chance>"]}

    page = render_report(sample_scores(), manifest)

    banner = '<p class="warning">This model is not the champion: &lt;near chance&gt;</p>'
    assert banner in page
    assert page.index(banner) < page.index("<h2>Tiers</h2>")


def test_report_without_warnings_has_no_banner():
    page = render_report(sample_scores(), MANIFEST)

    assert 'class="warning"' not in page


def test_top_table_labels_propensity_rank():
    page = render_report(sample_scores(), MANIFEST)

    assert "<th>propensity rank</th>" in page
    assert "<th>rank</th>" not in page


def test_report_with_missing_shares():
    scores = sample_scores()
    for column in [c for c in scores.columns if c.startswith("share_")]:
        scores[column] = np.nan

    page = render_report(scores, MANIFEST)

    assert page.count("data:image/png;base64,") == 2
