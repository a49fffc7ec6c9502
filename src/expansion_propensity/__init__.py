"""Expansion propensity for SaaS accounts: point-in-time features, models and tiers."""

__version__ = "0.1.0"
