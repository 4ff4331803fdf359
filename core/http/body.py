"""Reading a request's body before its handler runs, within the install's size limit, and handing it
on to the handler as if it had not been read."""

from __future__ import annotations

from typing import Any, cast

from litestar.types import Receive

__all__ = ["BodyTooLarge", "has_body", "read_body", "replay_body"]


class BodyTooLarge(Exception):
    """The body passes the install's ``max_body_bytes``, declared or counted as it arrives."""


def has_body(headers: dict[str, str]) -> bool:
    """Whether the request announces a body (a length, or a chunked transfer)."""
    return headers.get("content-length", "0") != "0" or "transfer-encoding" in headers


async def read_body(receive: Receive, headers: dict[str, str], limit: int) -> bytes | None:
    """The whole request body, or None when the client went away; ``BodyTooLarge`` past ``limit``."""
    declared = headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise BodyTooLarge
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return None
        chunk = cast(bytes, message.get("body", b""))
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


def replay_body(body: bytes, receive: Receive) -> Receive:
    """``receive`` that gives the body already read, then whatever the client sends next."""
    given = False

    async def replay() -> Any:
        nonlocal given
        if given:
            return await receive()
        given = True
        return {"type": "http.request", "body": body, "more_body": False}

    return replay
