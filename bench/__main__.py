"""``python -m bench``: measure the API on SQLite and on PostgreSQL and print the table."""

from bench.api import main

raise SystemExit(main())
