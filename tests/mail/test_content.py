"""The claim-link mail's words: both languages complete, names escaped in the HTML."""

from __future__ import annotations

from datetime import UTC, datetime

from app.mail.content import MESSAGES, claim_mail, language_for


def test_both_languages_have_the_same_messages() -> None:
    assert MESSAGES["nl"].keys() == MESSAGES["en"].keys()


def test_dutch_for_institutions_in_dutch_speaking_countries_else_english() -> None:
    assert [language_for(c) for c in ("NL", "be", "SR", "DE", "FR", None)] == [
        "nl",
        "nl",
        "nl",
        "en",
        "en",
        "en",
    ]


def test_the_mail_says_who_issued_what_until_when_and_escapes_names_in_html() -> None:
    mail = claim_mail(
        "en",
        "Hogeschool <Voorbeeld> & Co",
        "Data <b>Literacy</b>",
        "https://stapel.test/claim/0123456789abcdef-secret",
        datetime(2027, 3, 5, tzinfo=UTC),
    )
    assert mail.subject == "Your credential from Hogeschool <Voorbeeld> & Co: Data <b>Literacy</b>"
    assert "Hogeschool <Voorbeeld> & Co has issued you" in mail.text  # plain text: as it is
    assert "5 March 2027" in mail.text
    assert "https://stapel.test/claim/0123456789abcdef-secret" in mail.text
    assert "Hogeschool &lt;Voorbeeld&gt; &amp; Co" in mail.html
    assert "Data &lt;b&gt;Literacy&lt;/b&gt;" in mail.html
    assert "<b>" not in mail.html
    dutch = claim_mail(
        "nl",
        "Hogeschool Voorbeeld",
        "Data",
        "https://x.test/claim/a",
        datetime(2027, 3, 5, tzinfo=UTC),
    )
    assert "5 maart 2027" in dutch.text
    assert '<html lang="nl">' in dutch.html
