"""``python -m trainlab``: the same as the ``trainlab`` command (used by torchrun)."""

import sys

from trainlab._console import main

sys.exit(main())
