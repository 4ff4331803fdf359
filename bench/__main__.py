"""``python -m bench``: measure the API, invoicing and invoice PDFs, and print each part's table.

``BENCH_ONLY`` picks parts by name, comma-separated (``BENCH_ONLY=pdf``, ``BENCH_ONLY=api,pdf``);
by default every part runs, in the order below.
"""

import importlib
import os
import sys

PARTS = {"pdf": "bench.pdf", "api": "bench.api", "invoicing": "bench.invoicing"}

wanted = [part.strip().lower() for part in os.environ.get("BENCH_ONLY", "").split(",") if part.strip()]
unknown = [part for part in wanted if part not in PARTS]
if unknown:
    print(
        f"BENCH_ONLY: unknown part(s) {', '.join(unknown)}; choose from {', '.join(PARTS)}", file=sys.stderr
    )
    raise SystemExit(2)

status = 0
for index, part in enumerate(wanted or PARTS):
    if index:
        print()
    status |= importlib.import_module(PARTS[part]).main()
raise SystemExit(status)
