"""Throughput and latency of the running server, measured over HTTP (``make bench``).

Figures are printed, never asserted: see ``bench/README.md`` for what each one means.
"""
