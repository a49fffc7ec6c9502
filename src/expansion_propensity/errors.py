"""Exceptions whose message is meant for the user, shown by the CLI without a traceback."""

from __future__ import annotations


class ExpansionError(Exception):
    """Base class: the message names the value, where it came from and what to do next."""


class InputError(ExpansionError, ValueError):
    """An export, mapping or config cannot be used as given."""


class ModelError(ExpansionError, RuntimeError):
    """A model is missing, incompatible with the data, or cannot be loaded."""
