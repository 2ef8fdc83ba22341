"""``python -m openkeras``: the command line (see ``openkeras.cli``)."""

import sys

from openkeras.cli import main

sys.exit(main())
