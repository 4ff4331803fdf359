"""Free text people type (names, addresses, descriptions, notes): what an e-invoice (XML 1.0) and
PostgreSQL can carry. Control characters, lone surrogates and the non-characters U+FFFE/U+FFFF are
refused everywhere; tabs and line breaks only in text that has lines (notes, a line's description):
a name with a line break would break the mail headers it goes into."""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from typing import Any

from core.errors import InvalidInput

__all__ = ["carriable", "check_text", "check_texts"]

_UNCARRIABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_BREAKS = re.compile("[\t\n\r]")


def check_text(value: str, field: str, *, lines: bool = False) -> str:
    """``value``, or ``InvalidInput`` naming ``field`` when it holds a character no document can carry
    (or, unless ``lines``, a tab or a line break)."""
    if _UNCARRIABLE.search(value):
        raise InvalidInput.field(field, "must not contain control characters")
    if not lines and _BREAKS.search(value):
        raise InvalidInput.field(field, "must be one line (no line breaks or tabs)")
    return value


def check_texts(values: Mapping[str, Any], prefix: str = "", *, lines: Collection[str] = ()) -> None:
    """``check_text`` on every string of ``values`` (fields named ``prefix`` + key; the keys in
    ``lines`` may have several lines)."""
    for key, value in values.items():
        if isinstance(value, str):
            check_text(value, f"{prefix}{key}", lines=key in lines)


def carriable(value: str) -> str:
    """``value`` without the characters no document can carry (for text stored before they were
    refused)."""
    return _UNCARRIABLE.sub("", value)
