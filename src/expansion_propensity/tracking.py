"""Stage placeholder; replaced by the tracking implementation."""

from expansion_propensity.errors import ExpansionError


def run_compare(*args, **kwargs):
    raise ExpansionError("expansion compare: not implemented yet")
