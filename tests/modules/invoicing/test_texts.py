"""What a customer reads in mails and reminders, word for word, in every language of invoicing.

The texts come from the message catalogs; these tests pin the words as they were written, so a
catalog edit that changes what customers read is a visible, deliberate change.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from modules.invoicing.models import Document
from modules.invoicing.services.languages import category_name, labels_for, unit_label
from modules.invoicing.services.reminder_wording import reminder_message
from modules.invoicing.services.sending import mail_text

TODAY = date(2026, 5, 20)  # 37 days after the due date
SELLER = "Coop SCOP"


def document(language: str, kind: str = "invoice") -> Document:
    return Document(
        language=language,
        kind=kind,
        number="F-2026-00042",
        issue_date=date(2026, 3, 14),
        due_date=date(2026, 4, 13) if kind == "invoice" else None,
        currency="EUR",
        total_gross=Decimal("1234.56"),
        amount_due=Decimal("1234.56"),
        amount_settled=Decimal("234.56"),
    )


def plain(text: str) -> str:
    """Babel's no-break spaces (in amounts, before French colons) read as spaces."""
    return text.replace("\N{NO-BREAK SPACE}", " ").replace("\N{NARROW NO-BREAK SPACE}", " ")


def reminder(language: str, level: int, *, today: date = TODAY, iban: str | None = None) -> tuple[str, str]:
    subject, text = reminder_message(
        document(language),
        level=level,
        customer="Green Grocers",
        seller=SELLER,
        iban=iban,
        today=today,
        attached=iban is not None,
    )
    return plain(subject), plain(text)


MAILS = {
    "en": (
        "Invoice F-2026-00042 from Coop SCOP",
        [
            "Hello,",
            (
                "Please find attached invoice F-2026-00042 of 14 March 2026 for €1,234.56. It is due on "
                "13 April 2026."
            ),
            "Kind regards,\nCoop SCOP",
        ],
    ),
    "fr": (
        "Facture F-2026-00042 de Coop SCOP",
        [
            "Bonjour,",
            (
                "Veuillez trouver ci-joint la facture F-2026-00042 du 14 mars 2026 d'un montant de 1 "
                "234,56 €. Elle est payable au plus tard le 13 avril 2026."
            ),
            "Cordialement,\nCoop SCOP",
        ],
    ),
    "de": (
        "Rechnung F-2026-00042 von Coop SCOP",
        [
            "Guten Tag,",
            (
                "anbei erhalten Sie die Rechnung F-2026-00042 vom 14. März 2026 über 1.234,56 €. Sie ist "
                "fällig am 13. April 2026."
            ),
            "Mit freundlichen Grüßen\nCoop SCOP",
        ],
    ),
    "es": (
        "Factura F-2026-00042 de Coop SCOP",
        [
            "Buenos días:",
            (
                "Adjuntamos la factura F-2026-00042 del 14 de marzo de 2026 por un importe de 1.234,56 €."
                " Vence el 13 de abril de 2026."
            ),
            "Atentamente,\nCoop SCOP",
        ],
    ),
    "it": (
        "Fattura F-2026-00042 da Coop SCOP",
        [
            "Gentile cliente,",
            (
                "in allegato trova la fattura F-2026-00042 del 14 marzo 2026 per un importo di 1.234,56 "
                "€. La scadenza è il 13 aprile 2026."
            ),
            "Cordiali saluti,\nCoop SCOP",
        ],
    ),
}
CREDIT_NOTE_MAILS = {
    "en": (
        "Credit note F-2026-00042 from Coop SCOP",
        "Please find attached credit note F-2026-00042 of 14 March 2026 for €1,234.56.",
    ),
    "fr": (
        "Avoir F-2026-00042 de Coop SCOP",
        "Veuillez trouver ci-joint l'avoir F-2026-00042 du 14 mars 2026 d'un montant de 1 234,56 €.",
    ),
    "de": (
        "Gutschrift F-2026-00042 von Coop SCOP",
        "anbei erhalten Sie die Gutschrift F-2026-00042 vom 14. März 2026 über 1.234,56 €.",
    ),
    "es": (
        "Factura rectificativa F-2026-00042 de Coop SCOP",
        (
            "Adjuntamos la factura rectificativa F-2026-00042 del 14 de marzo de 2026 por un importe "
            "de 1.234,56 €."
        ),
    ),
    "it": (
        "Nota di credito F-2026-00042 da Coop SCOP",
        ("in allegato trova la nota di credito F-2026-00042 del 14 marzo 2026 per un importo di 1.234,56 €."),
    ),
}
SECOND_REMINDERS = {
    "en": (
        "Reminder 2: invoice F-2026-00042",
        [
            "Dear Green Grocers,",
            (
                "Invoice F-2026-00042 of March 14, 2026 was due on April 13, 2026, 37 days ago, and "
                "despite our previous reminder the open amount of €1,000.00 has not reached us. Please "
                "pay it within the next few days."
            ),
            "Please transfer it to IBAN FR76 3000, quoting F-2026-00042.",
            "The invoice is attached.",
            "If you have paid in the meantime, please disregard this message.",
            "Kind regards,\nCoop SCOP",
        ],
    ),
    "fr": (
        "Relance 2 : facture F-2026-00042",
        [
            "Bonjour Green Grocers,",
            (
                "La facture F-2026-00042 du 14 mars 2026 est échue depuis le 13 avril 2026, soit 37 "
                "jours, et malgré notre précédente relance, le montant de 1 000,00 € ne nous est pas "
                "parvenu. Merci de le régler dans les prochains jours."
            ),
            "Merci d'effectuer le virement sur l'IBAN FR76 3000 en indiquant F-2026-00042.",
            "La facture est jointe à ce message.",
            "Si vous avez réglé entre-temps, merci de ne pas tenir compte de ce message.",
            "Cordialement,\nCoop SCOP",
        ],
    ),
    "de": (
        "Mahnung 2: Rechnung F-2026-00042",
        [
            "Guten Tag Green Grocers,",
            (
                "die Rechnung F-2026-00042 vom 14. März 2026 war am 13. April 2026 fällig, vor 37 Tagen, "
                "und trotz unserer Erinnerung ist der offene Betrag von 1.000,00 € nicht bei uns "
                "eingegangen. Bitte begleichen Sie ihn in den nächsten Tagen."
            ),
            "Bitte überweisen Sie auf die IBAN FR76 3000 mit dem Verwendungszweck F-2026-00042.",
            "Die Rechnung liegt bei.",
            ("Falls Sie inzwischen bezahlt haben, betrachten Sie diese Nachricht bitte als gegenstandslos."),
            "Mit freundlichen Grüßen\nCoop SCOP",
        ],
    ),
    "es": (
        "Recordatorio 2: factura F-2026-00042",
        [
            "Estimado/a Green Grocers:",
            (
                "La factura F-2026-00042 del 14 de marzo de 2026 venció el 13 de abril de 2026, hace 37 "
                "días, y pese a nuestro recordatorio anterior no hemos recibido el importe pendiente de "
                "1.000,00 €. Le rogamos que lo abone en los próximos días."
            ),
            "Realice la transferencia al IBAN FR76 3000 indicando F-2026-00042.",
            "Adjuntamos la factura.",
            "Si ya ha realizado el pago, ignore este mensaje.",
            "Atentamente,\nCoop SCOP",
        ],
    ),
    "it": (
        "Sollecito 2: fattura F-2026-00042",
        [
            "Gentile Green Grocers,",
            (
                "la fattura F-2026-00042 del 14 marzo 2026 è scaduta il 13 aprile 2026, 37 giorni fa, e "
                "nonostante il nostro precedente sollecito l'importo residuo di 1.000,00 € non ci è "
                "pervenuto. La preghiamo di saldarlo nei prossimi giorni."
            ),
            "Effettui il bonifico sull'IBAN FR76 3000 indicando F-2026-00042.",
            "In allegato la fattura.",
            "Se nel frattempo ha già pagato, non tenga conto di questo messaggio.",
            "Cordiali saluti,\nCoop SCOP",
        ],
    ),
}
FIRST_AND_FINAL_REMINDERS = {
    "en": (
        (
            "According to our records, invoice F-2026-00042 of March 14, 2026 was due on April 13, "
            "2026 and has not been paid in full yet. It may simply have slipped through; we would be "
            "grateful if you could pay the open amount of €1,000.00."
        ),
        (
            "Despite our reminders, invoice F-2026-00042 of March 14, 2026, due on April 13, 2026, is"
            " still unpaid. This is our final reminder: please pay the open amount of €1,000.00 "
            "without delay, or contact us if something is wrong with the invoice."
        ),
    ),
    "fr": (
        (
            "Sauf erreur de notre part, la facture F-2026-00042 du 14 mars 2026, échue le 13 avril "
            "2026, n'a pas encore été réglée en totalité. Il s'agit sans doute d'un oubli ; nous vous"
            " remercions de bien vouloir régler le montant restant dû de 1 000,00 €."
        ),
        (
            "Malgré nos relances, la facture F-2026-00042 du 14 mars 2026, échue le 13 avril 2026, "
            "reste impayée. Ceci est notre dernière relance : merci de régler sans délai le montant "
            "de 1 000,00 €, ou de nous contacter si la facture pose un problème."
        ),
    ),
    "de": (
        (
            "nach unseren Unterlagen war die Rechnung F-2026-00042 vom 14. März 2026 am 13. April "
            "2026 fällig und ist noch nicht vollständig bezahlt. Sicher ist sie nur untergegangen; "
            "bitte überweisen Sie den offenen Betrag von 1.000,00 €."
        ),
        (
            "trotz unserer Erinnerungen ist die Rechnung F-2026-00042 vom 14. März 2026, fällig am "
            "13. April 2026, noch immer unbezahlt. Dies ist unsere letzte Mahnung: Bitte zahlen Sie "
            "den offenen Betrag von 1.000,00 € umgehend, oder melden Sie sich, falls mit der Rechnung"
            " etwas nicht stimmt."
        ),
    ),
    "es": (
        (
            "Según nuestros registros, la factura F-2026-00042 del 14 de marzo de 2026 venció el 13 "
            "de abril de 2026 y aún no se ha pagado por completo. Quizá se haya pasado por alto; le "
            "agradeceríamos que abonara el importe pendiente de 1.000,00 €."
        ),
        (
            "Pese a nuestros recordatorios, la factura F-2026-00042 del 14 de marzo de 2026, vencida "
            "el 13 de abril de 2026, sigue sin pagarse. Este es nuestro último recordatorio: abone "
            "sin demora el importe pendiente de 1.000,00 € o póngase en contacto con nosotros si hay "
            "algún problema con la factura."
        ),
    ),
    "it": (
        (
            "dai nostri registri risulta che la fattura F-2026-00042 del 14 marzo 2026, scaduta il 13"
            " aprile 2026, non è ancora stata pagata per intero. Forse si tratta di una svista; le "
            "saremmo grati se volesse saldare l'importo residuo di 1.000,00 €."
        ),
        (
            "nonostante i nostri solleciti, la fattura F-2026-00042 del 14 marzo 2026, scaduta il 13 "
            "aprile 2026, risulta ancora non pagata. Questo è il nostro ultimo sollecito: la "
            "preghiamo di saldare senza indugio l'importo di 1.000,00 €, o di contattarci se la "
            "fattura presenta un problema."
        ),
    ),
}


@pytest.mark.parametrize("language", list(MAILS))
def test_an_invoice_mail_reads_as_written(language: str) -> None:
    subject, paragraphs = MAILS[language]
    assert tuple(map(plain, mail_text(document(language), seller=SELLER, message=None))) == (
        subject,
        "\n\n".join(paragraphs) + "\n",
    )


@pytest.mark.parametrize("language", list(CREDIT_NOTE_MAILS))
def test_a_credit_note_mail_says_credit_note_and_no_due_date(language: str) -> None:
    subject, body = CREDIT_NOTE_MAILS[language]
    sent_subject, text = mail_text(document(language, "credit_note"), seller=SELLER, message=" Thanks! ")
    assert plain(sent_subject) == subject
    assert plain(text).split("\n\n")[1:3] == [body, "Thanks!"]


@pytest.mark.parametrize("language", list(SECOND_REMINDERS))
def test_a_second_reminder_reads_as_written(language: str) -> None:
    subject, paragraphs = SECOND_REMINDERS[language]
    assert reminder(language, 2, iban="FR76 3000") == (subject, "\n\n".join(paragraphs) + "\n")


@pytest.mark.parametrize("language", list(FIRST_AND_FINAL_REMINDERS))
def test_the_first_and_the_final_reminder_say_their_own_words(language: str) -> None:
    first, final = FIRST_AND_FINAL_REMINDERS[language]
    assert reminder(language, 1)[1].split("\n")[2] == first
    assert reminder(language, 3)[1].split("\n")[2] == final
    assert reminder(language, 4)[1] == reminder(language, 3)[1]  # past the third, the final words again


@pytest.mark.parametrize(
    ("language", "one_day"),
    [
        ("en", "April 13, 2026, 1 day ago,"),
        ("fr", "13 avril 2026, soit 1 jour,"),
        ("de", "13. April 2026 fällig, vor 1 Tag,"),
        ("es", "13 de abril de 2026, hace 1 día,"),
        ("it", "13 aprile 2026, 1 giorno fa,"),
    ],
)
def test_a_second_reminder_one_day_late_says_one_day(language: str, one_day: str) -> None:
    assert one_day in reminder(language, 2, today=date(2026, 4, 14))[1]


def test_labels_that_share_an_english_word_keep_their_own_translations() -> None:
    german, french = labels_for("de"), labels_for("fr")
    assert (german["discount"], german["allowance"]) == ("Rabatt", "Nachlass")
    assert (german["vat_rate"], german["vat_total"]) == ("USt.", "Umsatzsteuer")
    assert (french["of_date"], french["page_of"]) == ("du", "sur")
    assert (unit_label("C62", "fr"), unit_label("H87", "fr")) == ("u.", "pce")
    assert (unit_label("KWH", "it"), unit_label("XYZ", "it")) == ("kWh", "XYZ")
    assert category_name("AE", "de-AT") == "Steuerschuldnerschaft des Leistungsempfängers"
    assert category_name("L", "fr") == "L"
    assert labels_for("nl")["amount_due"] == "Amount due"
