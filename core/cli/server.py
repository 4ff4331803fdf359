"""``coop serve``: the web pages and the API, served by uvicorn."""

from __future__ import annotations

import click

from core.cli.root import load_registry, load_settings

__all__ = ["serve"]


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, type=int, help="Port to listen on.")
@click.option(
    "--workers", default=1, show_default=True, type=int, help="Server processes (stateless; share the DB)."
)
@click.option("--reload", is_flag=True, help="Restart on code changes (development).")
def serve(host: str, port: int, workers: int, reload: bool) -> None:
    """Serve the web pages and the API."""
    import uvicorn

    load_settings()
    load_registry()
    uvicorn.run(
        "core.app:app_from_env",
        factory=True,
        host=host,
        port=port,
        workers=workers if not reload else None,
        reload=reload,
        proxy_headers=True,
        log_level="info",
        access_log=False,
    )
