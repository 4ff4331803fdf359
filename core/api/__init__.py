"""The core's HTTP API under ``/api/v1``."""
