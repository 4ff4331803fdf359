"""Invoicing's message catalogs: complete in every language, and in step with the code."""

from __future__ import annotations

import re
from pathlib import Path
from string import Formatter

import pytest
from babel.messages.catalog import Catalog, Message
from babel.messages.frontend import CommandLineInterface
from babel.messages.pofile import read_po

from modules.invoicing.services.languages import CATALOGS, LANGUAGES

ROOT = Path(__file__).resolve().parents[3]
EXTRACT = ["extract", "-F", "babel.cfg", "--add-location=file", "-c", "Translators:"]
"""The options of ``pybabel extract`` that made ``invoicing.pot`` (docs/translating.md)."""

TRANSLATED = [language for language in LANGUAGES if language != "en"]


def _read(path: Path) -> Catalog:
    with path.open("rb") as po:
        return read_po(po)


def _messages(catalog: Catalog) -> dict[object, Message]:
    return {(message.context, message.id): message for message in catalog if message.id}


def _placeholders(text: str) -> set[str]:
    """The ``{name}`` and ``%(name)s`` fields of a text; unbalanced braces fail here."""
    fields = {name for _, name, _, _ in Formatter().parse(text) if name is not None}
    return fields | set(re.findall(r"%\((\w+)\)", text))


def test_invoicing_speaks_at_least_its_five_languages_english_first() -> None:
    assert {"en", "fr", "de", "es", "it"} <= set(LANGUAGES)
    assert LANGUAGES[0] == "en"


def test_the_template_holds_what_pybabel_extract_finds_in_the_code(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(ROOT)
    extracted = tmp_path / "invoicing.pot"
    CommandLineInterface().run(["pybabel", "-q", *EXTRACT, "-o", str(extracted), "modules/invoicing"])

    def content(catalog: Catalog) -> dict[object, object]:
        return {
            key: (message.auto_comments, sorted({path for path, _ in message.locations}), message.flags)
            for key, message in _messages(catalog).items()
        }

    assert content(_read(CATALOGS.template)) == content(_read(extracted)), (
        "invoicing.pot is out of date: extract it again (docs/translating.md)"
    )


@pytest.mark.parametrize("language", TRANSLATED)
def test_every_text_is_translated_with_the_same_placeholders(language: str) -> None:
    template = _messages(_read(CATALOGS.template))
    catalog = _read(CATALOGS.catalog(language))
    messages = _messages(catalog)
    assert messages.keys() == template.keys(), "the catalog is out of step: update it from invoicing.pot"
    for key, message in messages.items():
        assert not message.fuzzy, key
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        if message.pluralizable:
            assert len(strings) == catalog.num_plurals, key
        assert all(strings), f"{language}: {key} is not translated"
        expected = set().union(*(_placeholders(text) for text in ids))
        for text in strings:
            assert _placeholders(text) == expected, f"{language}: {text!r} lacks or adds a placeholder"
    assert not catalog.obsolete, f"{language}: obsolete entries left in the catalog"
