"""`python -m conformance run --hosts HOST:PORT[,...]`: see `conformance.runner`."""

import sys

from conformance.runner import main

sys.exit(main())
