"""Suite-wide settings: generated datasets are cached in one temporary directory per session."""

import os
import tempfile

# Set before trainlab reads it, so tests never write to the user's ~/.cache.
os.environ.setdefault("TRAINLAB_CACHE", tempfile.mkdtemp(prefix="trainlab-test-cache-"))
