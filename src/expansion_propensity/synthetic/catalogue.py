"""Fixed catalogues of the synthetic world: calendar, segments, prices, products and features.

Every number here is a modelling choice documented in docs/synthetic-data.md;
the generator reads them so that one place states the generative story.
"""

from __future__ import annotations

import numpy as np

# The export window always ends here, so the data never depends on the clock.
WINDOW_END = np.datetime64("2026-10-31", "D")

SEGMENTS = np.array(["SMB", "Mid-Market", "Enterprise"])
SEGMENT_SHARES = np.array([0.60, 0.30, 0.10])
SMB, MID_MARKET, ENTERPRISE = 0, 1, 2

# Purchased seats per segment: lognormal median and log-sd, with a floor.
SEAT_MEDIAN = np.array([9.0, 50.0, 160.0])
SEAT_LOG_SD = np.array([0.55, 0.50, 0.55])
SEAT_FLOOR = np.array([3, 15, 60])

INDUSTRIES = np.array(
    [
        "Software",
        "Financial Services",
        "Healthcare",
        "Retail",
        "Manufacturing",
        "Education",
        "Media",
    ]
)
INDUSTRY_SHARES = np.array([0.24, 0.16, 0.14, 0.14, 0.12, 0.10, 0.10])
# Small shifts of the expansion log-odds: software and finance buy more readily.
INDUSTRY_EXPANSION_SHIFT = np.array([0.25, 0.15, 0.0, -0.1, -0.15, -0.25, 0.0])

REGIONS = np.array(["North America", "EMEA", "APAC", "LATAM"])
REGION_SHARES = np.array([0.45, 0.32, 0.16, 0.07])

# Plan tiers from lowest to highest, with the list price per seat per year.
TIERS = np.array(["Starter", "Professional", "Enterprise"])
PRICE_PER_SEAT = np.array([420.0, 780.0, 1320.0])
# Starting tier probabilities per segment (rows) over TIERS (columns).
TIER_SHARES = np.array(
    [
        [0.62, 0.33, 0.05],
        [0.15, 0.60, 0.25],
        [0.00, 0.30, 0.70],
    ]
)

# Add-ons, sold as their own subscription rows, priced as a share of the core ARR.
ADDONS = np.array(["analytics", "automation", "security"])
ADDON_PRICE_SHARE = np.array([0.22, 0.28, 0.18])
ADDON_MIN_ARR = 1200.0
# Probability that an account starts with each add-on, per segment.
ADDON_START_SHARE = np.array([0.05, 0.15, 0.30])

# Feature catalogue: name, premium flag, what unlocks it (-1 core; 0..2 add-on
# index; 3 the Professional tier or above), popularity (0-1) and events per
# user per month.
FEATURES = np.array(
    [
        "dashboards",
        "reports",
        "search",
        "projects",
        "tasks",
        "comments",
        "file_sharing",
        "calendar",
        "notifications",
        "integrations",
        "mobile_app",
        "templates",
        "forecasting",
        "admin_console",
        "advanced_analytics",
        "custom_reports",
        "workflow_automation",
        "api_access",
        "sso",
        "audit_log",
    ]
)
CORE, PRO_TIER = -1, 3
FEATURE_UNLOCK = np.array([-1] * 12 + [3, 3, 0, 0, 1, 1, 2, 2])
FEATURE_PREMIUM = FEATURE_UNLOCK != CORE
FEATURE_POPULARITY = np.array(
    [1.0, 0.85, 0.8, 0.75, 0.75, 0.6, 0.55, 0.45, 0.7, 0.4, 0.35, 0.3]
    + [0.35, 0.3, 0.6, 0.45, 0.55, 0.35, 0.8, 0.3]
)
FEATURE_EVENTS_PER_USER = np.array(
    [22.0, 6.0, 12.0, 9.0, 18.0, 10.0, 5.0, 4.0, 15.0, 3.0, 8.0, 2.0]
    + [3.0, 1.5, 5.0, 3.0, 6.0, 20.0, 4.0, 1.0]
)
FEATURE_SECONDS_PER_EVENT = np.array(
    [45.0, 120.0, 15.0, 90.0, 60.0, 30.0, 40.0, 25.0, 5.0, 60.0, 35.0, 50.0]
    + [150.0, 80.0, 180.0, 140.0, 70.0, 2.0, 10.0, 60.0]
)

TRAJECTORIES = np.array(["growing", "plateauing", "decaying"])
TRAJECTORY_SHARES = np.array([0.35, 0.42, 0.23])
# Monthly growth of the users who want the product, and the health level each
# trajectory pulls towards.
TRAJECTORY_DEMAND_GROWTH = np.array([0.035, 0.0, -0.03])
TRAJECTORY_HEALTH_TARGET = np.array([0.6, 0.1, -0.8])

TICKET_PRIORITIES = np.array(["low", "medium", "high", "urgent"])
CHURN_REASONS = np.array(["budget", "product_fit", "competitor", "support", "consolidation"])


def month_starts(months: int) -> np.ndarray:
    """Return the first day of each month of the window, oldest first, as datetime64[D]."""
    last = WINDOW_END.astype("datetime64[M]")
    return np.arange(last - (months - 1), last + 1).astype("datetime64[D]")
