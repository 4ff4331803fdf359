"""PDF previews of drafts: laid out in a child process that is killed when it overruns, a few per co-op
at a time, and not laid out again while the draft is unchanged.

A draft changes until it is issued, so its preview cannot be stored like an issued document's PDF; yet
a long draft takes seconds to lay out (a thousand lines, about 25 s on a small machine), and the
process's document renderer lays out one PDF at a time. Three defences keep one co-op's drafts from
making every other co-op's PDFs wait:

- **A lane of its own, with a deadline.** Previews are laid out by one child process per server
  process, never by the renderer that makes issued documents' PDFs. A render that passes
  ``Settings.preview_seconds`` is stopped by killing the child (a thread cannot be stopped; a process
  can), which is started again for the next preview. Waiting for the lane is bounded the same way.
- **A few at a time per co-op** (``PREVIEWS_PER_TENANT`` per server process); more answer 429.
- **Not laid out twice.** The last preview of each draft is kept in memory, keyed by the SHA-256 of the
  draft's snapshot (everything the PDF shows, the preview's date included), and bounded in count and
  bytes. In memory rather than in the stored-files table: a preview is disposable, a GET should not
  write, and a new release (with new templates) starts with an empty cache instead of stale PDFs.
"""

from __future__ import annotations

import hashlib
import multiprocessing
import threading
import uuid
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from typing import Any

import anyio
import msgspec

from modules.invoicing.errors import PreviewBusy, PreviewTooSlow
from modules.invoicing.services.snapshots import InvoiceSnapshot, snapshot_to_json

__all__ = ["PREVIEWS_PER_TENANT", "draft_pdf"]

PREVIEWS_PER_TENANT = 2
"""Previews of one co-op laid out (or waiting for the lane) at once in one server process."""
_CACHE_ENTRIES = 256
_CACHE_BYTES = 64 * 1024 * 1024
_START_SECONDS = 60.0
"""How long a new child may take to import WeasyPrint and load its fonts (not counted in a render)."""


class _Cache:
    """The last preview of each draft, least recently used first out."""

    def __init__(self) -> None:
        self._items: OrderedDict[tuple[uuid.UUID, uuid.UUID], tuple[str, bytes]] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def get(self, key: tuple[uuid.UUID, uuid.UUID], digest: str) -> bytes | None:
        with self._lock:
            found = self._items.get(key)
            if found is None or found[0] != digest:
                return None
            self._items.move_to_end(key)
            return found[1]

    def put(self, key: tuple[uuid.UUID, uuid.UUID], digest: str, content: bytes) -> None:
        with self._lock:
            old = self._items.pop(key, None)
            if old is not None:
                self._bytes -= len(old[1])
            self._items[key] = (digest, content)
            self._bytes += len(content)
            while self._items and (len(self._items) > _CACHE_ENTRIES or self._bytes > _CACHE_BYTES):
                _, (_, dropped) = self._items.popitem(last=False)
                self._bytes -= len(dropped)


def _serve(connection: Connection) -> None:
    """The child: lay out each snapshot it is sent, answer ``(True, pdf)`` or ``(False, reason)``."""
    from modules.invoicing.services.pdf import invoice_renderer, render_invoice_pdf
    from modules.invoicing.services.snapshots import snapshot_from_json

    invoice_renderer()  # fonts and stylesheets loaded before the first deadline starts
    connection.send((True, b"ready"))
    while True:
        try:
            data = connection.recv()
        except (EOFError, OSError):
            return
        try:
            connection.send((True, render_invoice_pdf(snapshot_from_json(data), facturx=False)))
        except Exception as exc:  # noqa: BLE001 - reported to the parent, which raises it
            connection.send((False, f"{type(exc).__name__}: {exc}"))


class _Lane:
    """One child process laying out previews one at a time, killed when a render overruns."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._process: BaseProcess | None = None
        self._connection: Connection | None = None

    def render(self, data: dict[str, Any], seconds: float) -> bytes:
        """The PDF of a draft's snapshot; ``PreviewTooSlow`` when the lane is not free within
        ``seconds`` or the render takes longer. Blocking: run it in a worker thread."""
        if not self._lock.acquire(timeout=seconds):
            raise PreviewTooSlow(seconds, waited=True)
        try:
            connection = self._started()
            connection.send(data)
            if not connection.poll(seconds):
                self._stop()
                raise PreviewTooSlow(seconds, waited=False)
            is_pdf, answer = connection.recv()
        except (EOFError, OSError):
            self._stop()
            raise
        finally:
            self._lock.release()
        if not is_pdf:
            raise RuntimeError(f"a draft preview failed: {answer}")
        return bytes(answer)

    def _started(self) -> Connection:
        if self._process is not None and self._process.is_alive() and self._connection is not None:
            return self._connection
        self._stop()
        context = multiprocessing.get_context("spawn")  # no copy of the server's threads and sockets
        mine, theirs = context.Pipe()
        process = context.Process(target=_serve, args=(theirs,), name="coopstack-preview", daemon=True)
        process.start()
        theirs.close()
        self._process, self._connection = process, mine
        if not mine.poll(_START_SECONDS):
            self._stop()
            raise RuntimeError("the preview process did not start")
        mine.recv()
        return mine

    def _stop(self) -> None:
        if self._connection is not None:
            self._connection.close()
        if self._process is not None:
            self._process.kill()
            self._process.join(5)
        self._process, self._connection = None, None


_CACHE = _Cache()
_LANE = _Lane()
_IN_FLIGHT: dict[uuid.UUID, int] = {}
_IN_FLIGHT_LOCK = threading.Lock()


@contextmanager
def _tenant_turn(tenant_id: uuid.UUID, seconds: float) -> Iterator[None]:
    with _IN_FLIGHT_LOCK:
        if _IN_FLIGHT.get(tenant_id, 0) >= PREVIEWS_PER_TENANT:
            raise PreviewBusy(max(1, round(seconds)))
        _IN_FLIGHT[tenant_id] = _IN_FLIGHT.get(tenant_id, 0) + 1
    try:
        yield
    finally:
        with _IN_FLIGHT_LOCK:
            _IN_FLIGHT[tenant_id] -= 1
            if not _IN_FLIGHT[tenant_id]:
                del _IN_FLIGHT[tenant_id]


def _render(data: dict[str, Any], seconds: float) -> bytes:
    return _LANE.render(data, seconds)


async def draft_pdf(
    tenant_id: uuid.UUID, document_id: uuid.UUID, snapshot: InvoiceSnapshot, *, seconds: float
) -> bytes:
    """The marked PDF preview of a draft: the one made last while its snapshot is unchanged, else laid
    out in the preview lane within ``seconds`` (see the module docstring)."""
    data = snapshot_to_json(snapshot)
    digest = hashlib.sha256(msgspec.json.encode(data)).hexdigest()
    key = (tenant_id, document_id)
    cached = _CACHE.get(key, digest)
    if cached is not None:
        return cached
    with _tenant_turn(tenant_id, seconds):
        content = await anyio.to_thread.run_sync(_render, data, seconds)
    _CACHE.put(key, digest, content)
    return content
