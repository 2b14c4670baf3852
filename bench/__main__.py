"""`python -m bench`: every benchmark in turn (ViHSD, then performance with the HTTP load).

Arguments go to `bench.perf`, e.g. `python -m bench --skip-100k`.
"""

from __future__ import annotations

import sys

from bench import perf, vihsd


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    return max(vihsd.main([]), perf.main(argv))


if __name__ == "__main__":
    raise SystemExit(main())
