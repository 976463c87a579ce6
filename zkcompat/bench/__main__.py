"""``python -m zkcompat.bench``: the same as ``zkcompat bench``."""

from zkcompat.bench.command import main

if __name__ == "__main__":
    raise SystemExit(main())
