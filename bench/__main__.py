"""``python -m bench``: measure the API, invoicing, invoice PDFs and the floor under create+issue,
and print each part's table.

``BENCH_ONLY`` picks parts by name, comma-separated (``BENCH_ONLY=pdf``, ``BENCH_ONLY=api,pdf``);
by default every part runs, in the order below.
"""

import importlib
import os
import sys
import time

PARTS = {"pdf": "bench.pdf", "api": "bench.api", "invoicing": "bench.invoicing", "floor": "bench.floor"}

wanted = [part.strip().lower() for part in os.environ.get("BENCH_ONLY", "").split(",") if part.strip()]
unknown = [part for part in wanted if part not in PARTS]
if unknown:
    print(
        f"BENCH_ONLY: unknown part(s) {', '.join(unknown)}; choose from {', '.join(PARTS)}", file=sys.stderr
    )
    raise SystemExit(2)


def _probe() -> float:
    """Milliseconds of CPU for a fixed pure-Python loop: this machine's speed at the start of the run,
    to tell a slower machine (or a slower hour of a shared one) from a slower Coopstack."""
    started = time.process_time()
    total = 0
    for number in range(2_000_000):
        total += number * number
    return (time.process_time() - started) * 1000


print(f"Machine probe: a fixed Python loop took {min(_probe() for _ in range(3)):.0f} ms of CPU")
status = 0
for index, part in enumerate(wanted or PARTS):
    if index:
        print()
    status |= importlib.import_module(PARTS[part]).main()
raise SystemExit(status)
