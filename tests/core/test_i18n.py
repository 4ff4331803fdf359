"""A module's message catalogs: read from its .po files, English where a language has none."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.i18n import SOURCE_LANGUAGE, MessageCatalogs, language_tag

FRENCH = """\
msgid ""
msgstr ""
"Language: fr\\n"
"Plural-Forms: nplurals=2; plural=(n > 1);\\n"
"Content-Type: text/plain; charset=utf-8\\n"

msgid "Invoice"
msgstr "Facture"

msgctxt "page number of pages"
msgid "of"
msgstr "sur"

msgid "{days} day ago"
msgid_plural "{days} days ago"
msgstr[0] "il y a {days} jour"
msgstr[1] "il y a {days} jours"

msgid "Not translated yet"
msgstr ""

#, fuzzy
msgid "Paid"
msgstr "Payé, peut-être"
"""

BELGIAN = """\
msgid ""
msgstr ""
"Language: fr_BE\\n"
"Content-Type: text/plain; charset=utf-8\\n"

msgid "Invoice"
msgstr "Facture (BE)"
"""


def _write(directory: Path, language: str, text: str) -> None:
    path = directory / language / "LC_MESSAGES" / "billing.po"
    path.parent.mkdir(parents=True)
    path.write_text(text, encoding="utf-8")


@pytest.fixture
def catalogs(tmp_path: Path) -> MessageCatalogs:
    _write(tmp_path, "fr", FRENCH)
    _write(tmp_path, "fr_BE", BELGIAN)
    return MessageCatalogs(tmp_path, "billing")


def test_a_language_with_a_catalog_reads_its_words_plurals_and_contexts(catalogs: MessageCatalogs) -> None:
    french = catalogs.translations("fr")
    assert french.gettext("Invoice") == "Facture"
    assert french.pgettext("page number of pages", "of") == "sur"
    assert french.pgettext("invoice number of its date", "of") == "of"
    assert french.ngettext("{days} day ago", "{days} days ago", 1) == "il y a {days} jour"
    assert french.ngettext("{days} day ago", "{days} days ago", 2) == "il y a {days} jours"


def test_untranslated_and_fuzzy_entries_read_as_the_source_text(catalogs: MessageCatalogs) -> None:
    french = catalogs.translations("fr")
    assert french.gettext("Not translated yet") == "Not translated yet"
    assert french.gettext("Paid") == "Paid"


def test_a_region_reads_its_own_catalog_else_its_language(catalogs: MessageCatalogs) -> None:
    assert catalogs.translations("fr-be").gettext("Invoice") == "Facture (BE)"
    assert catalogs.translations("fr_CA").gettext("Invoice") == "Facture"


@pytest.mark.parametrize("language", [None, "", "en", "de", "nl-NL"])
def test_a_language_without_a_catalog_reads_english(catalogs: MessageCatalogs, language: str | None) -> None:
    texts = catalogs.translations(language)
    assert texts.gettext("Invoice") == "Invoice"
    assert texts.ngettext("{days} day ago", "{days} days ago", 3) == "{days} days ago"


def test_the_languages_are_english_then_every_catalog(catalogs: MessageCatalogs, tmp_path: Path) -> None:
    assert catalogs.languages() == (SOURCE_LANGUAGE, "fr", "fr_BE")
    assert MessageCatalogs(tmp_path / "nothing", "billing").languages() == (SOURCE_LANGUAGE,)


def test_a_catalog_is_compiled_once_per_process(catalogs: MessageCatalogs) -> None:
    assert catalogs.translations("fr") is catalogs.translations("fr-FR")


@pytest.mark.parametrize(
    ("given", "tag"), [("fr", "fr"), ("FR", "fr"), ("fr-be", "fr_BE"), ("de_AT", "de_AT"), (None, "")]
)
def test_language_tags_are_written_as_catalogs_are_named(given: str | None, tag: str) -> None:
    assert language_tag(given) == tag
