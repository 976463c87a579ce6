"""``python -m zkcompat``: the same as the ``zkcompat`` command."""

import sys

from zkcompat.cli import main

sys.exit(main())
