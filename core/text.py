"""Free text people type (names, addresses, descriptions, notes): what an e-invoice (XML 1.0) and
PostgreSQL can carry. Tabs and line breaks are text; other control characters, lone surrogates and
the non-characters U+FFFE/U+FFFF are not."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from core.errors import InvalidInput

__all__ = ["carriable", "check_text", "check_texts"]

_UNCARRIABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def check_text(value: str, field: str) -> str:
    """``value``, or ``InvalidInput`` naming ``field`` when it holds a character no document can carry."""
    if _UNCARRIABLE.search(value):
        raise InvalidInput.field(field, "must not contain control characters")
    return value


def check_texts(values: Mapping[str, Any], prefix: str = "") -> None:
    """``check_text`` on every string of ``values`` (fields named ``prefix`` + key)."""
    for key, value in values.items():
        if isinstance(value, str):
            check_text(value, f"{prefix}{key}")


def carriable(value: str) -> str:
    """``value`` without the characters no document can carry (for text stored before they were
    refused)."""
    return _UNCARRIABLE.sub("", value)
