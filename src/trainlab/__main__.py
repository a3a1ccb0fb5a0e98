"""``python -m trainlab``: the same as the ``trainlab`` command (used by torchrun)."""

import sys

from trainlab.cli import main

sys.exit(main())
