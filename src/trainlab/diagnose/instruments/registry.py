"""The ``instrument`` registry; each family of statistics registers itself in its own module."""

from __future__ import annotations

from trainlab.registry import new_registry

INSTRUMENTS = new_registry("instrument")
