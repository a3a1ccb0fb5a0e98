"""Where samples come from: the registered datasets (mnist1d, scikit-learn, synthetic, files) and Python data.

``bundle_from_python`` (in ``from_python``) is not imported here: it runs the pipeline of
``trainlab.data.prepare``, which imports ``RawData`` from this package, so importing it here
would make this package wait on itself. ``trainlab.data`` exports it.
"""

# The dataset modules are imported for their registrations in trainlab.registry.DATASETS.
from trainlab.data.sources import arrays, csv_table, mnist1d, scikit_learn, synthetic  # noqa: F401
from trainlab.data.sources.raw import RawData

__all__ = ["RawData"]
