"""What the API takes to e-mail an issued document."""

from __future__ import annotations

import msgspec

__all__ = ["SendIn"]


class SendIn(msgspec.Struct, forbid_unknown_fields=True):
    to: list[str] | None = None
    """Addresses to send to instead of the customer's."""
    message: str | None = None
    """A few words added to the standard text."""
