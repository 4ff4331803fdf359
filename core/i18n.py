"""A module's translated texts, from the gettext message catalogs it ships.

A module keeps its catalogs beside its code, one per language: ``locale/<language>/LC_MESSAGES/
<domain>.po``, made from the template ``locale/<domain>.pot`` that ``pybabel extract`` writes (see
``docs/translating.md``). Message ids are the English source texts, so English needs no catalog, and a
language without one reads English. Babel reads a catalog and compiles it in memory the first time it is
asked for, once per process: there is no build step and no ``.mo`` file to keep in step with the ``.po``.
Adding a language is adding its ``.po`` file.
"""

from __future__ import annotations

import gettext
import io
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

__all__ = ["SOURCE_LANGUAGE", "MessageCatalogs", "language_tag"]

SOURCE_LANGUAGE = "en"
"""The language of the message ids: what a language without a catalog reads."""


def language_tag(language: str | None) -> str:
    """A language tag as catalogs are named (``fr``, ``fr_BE``): ``fr-be`` and ``fr_BE`` alike."""
    base, _, region = (language or "").strip().replace("-", "_").partition("_")
    return f"{base.lower()}_{region.upper()}" if region else base.lower()


@dataclass(frozen=True, slots=True)
class MessageCatalogs:
    """The catalogs of one gettext domain in one ``locale/`` directory (a module's)."""

    directory: Path
    domain: str

    @property
    def template(self) -> Path:
        """The ``.pot`` file every catalog is made from."""
        return self.directory / f"{self.domain}.pot"

    def catalog(self, language: str) -> Path:
        """Where the catalog of ``language`` (a tag as ``language_tag`` writes it) lives."""
        return self.directory / language / "LC_MESSAGES" / f"{self.domain}.po"

    def languages(self) -> tuple[str, ...]:
        """The source language, then every language with a catalog, alphabetically."""
        found = sorted(
            path.parent.parent.name for path in self.directory.glob(f"*/LC_MESSAGES/{self.domain}.po")
        )
        return (SOURCE_LANGUAGE, *(language for language in found if language != SOURCE_LANGUAGE))

    def translations(self, language: str | None) -> gettext.NullTranslations:
        """The texts in ``language``: its own catalog (``fr_BE``), else its base language's (``fr``),
        else the English source texts."""
        tag = language_tag(language)
        for candidate in (tag, tag.partition("_")[0]):
            path = self.catalog(candidate)
            if candidate and path.is_file():
                return _compiled(path)
        return gettext.NullTranslations()


@cache
def _compiled(path: Path) -> gettext.GNUTranslations:
    """One ``.po`` file compiled in memory; untranslated and fuzzy entries read as the source text."""
    with path.open("rb") as po:
        catalog = read_po(po, domain=path.stem)
    mo = io.BytesIO()
    write_mo(mo, catalog)
    mo.seek(0)
    return gettext.GNUTranslations(mo)
