"""Synthetic demo export with known true expansion probabilities."""

from expansion_propensity.synthetic.command import run_generate
from expansion_propensity.synthetic.generate import generate_export

__all__ = ["generate_export", "run_generate"]
