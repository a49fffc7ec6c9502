"""Stage placeholder; replaced by the stage's implementation."""

from expansion_propensity.errors import ExpansionError


def run_features(*args, **kwargs):
    raise ExpansionError("expansion: this command is not implemented yet")
