"""Imports every built-in component module so that its registrations run."""

import trainlab.data  # noqa: F401
import trainlab.losses  # noqa: F401
import trainlab.metrics  # noqa: F401
import trainlab.models  # noqa: F401
import trainlab.nn  # noqa: F401
import trainlab.optim  # noqa: F401
import trainlab.regularizers  # noqa: F401
import trainlab.schedules  # noqa: F401
