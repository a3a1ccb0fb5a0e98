"""Imports every built-in component module so that its registrations run."""

import trainlab.data  # noqa: F401
import trainlab.models  # noqa: F401
import trainlab.nn  # noqa: F401
