"""The claim-link mail a learner receives: subject, plain text and HTML, in Dutch or English.

The messages live here as two dictionaries with the same keys (a test holds them to it); the
templates in ``templates/`` lay them out. The HTML template is autoescaped, so an institution's
or an achievement's name cannot add markup to the mail.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Final

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from app.pages.i18n import Language, long_date

# Dutch where Dutch is an official language of the institution's country.
_DUTCH_COUNTRIES: Final = frozenset({"NL", "BE", "SR"})

_ENVIRONMENT = Environment(
    loader=FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=True),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=True,
)

_EN: dict[str, str] = {
    "subject": "Your credential from {institution}: {achievement}",
    "greeting": "Hello,",
    "issued": "{institution} has issued you the credential “{achievement}”.",
    "open": "Open it with your personal link:",
    "button": "Open your credential",
    "expiry": "The link works until {date}. There you can download the credential, take it "
    "to a wallet and choose whether to share it.",
    "private": "Keep the link to yourself: whoever has it can see your credential and share "
    "it. If it has expired, ask {institution} for a new one.",
    "footer": "You receive this e-mail because {institution} issued a credential in your name.",
}

_NL: dict[str, str] = {
    "subject": "Je credential van {institution}: {achievement}",
    "greeting": "Hallo,",
    "issued": "{institution} heeft je de credential “{achievement}” uitgereikt.",
    "open": "Open hem met je persoonlijke link:",
    "button": "Open je credential",
    "expiry": "De link werkt tot {date}. Daar kun je de credential downloaden, in een wallet "
    "bewaren en kiezen of je hem deelt.",
    "private": "Houd de link voor jezelf: wie hem heeft, kan je credential zien en delen. Is "
    "hij verlopen, vraag {institution} dan om een nieuwe.",
    "footer": "Je ontvangt deze e-mail omdat {institution} een credential op jouw naam heeft "
    "uitgereikt.",
}

MESSAGES: Final[dict[Language, dict[str, str]]] = {"nl": _NL, "en": _EN}


def language_for(country_code: str | None) -> Language:
    return "nl" if (country_code or "").upper() in _DUTCH_COUNTRIES else "en"


@dataclass(frozen=True, slots=True)
class ClaimMail:
    subject: str
    text: str
    html: str


def claim_mail(
    language: Language, institution: str, achievement: str, url: str, expires_at: datetime
) -> ClaimMail:
    values = {
        "institution": institution,
        "achievement": achievement,
        "date": long_date(expires_at, language),
    }
    messages = {key: text.format(**values) for key, text in MESSAGES[language].items()}
    context = {"m": messages, "url": url, "language": language}
    return ClaimMail(
        subject=messages["subject"],
        text=_ENVIRONMENT.get_template("claim.txt").render(context),
        html=_ENVIRONMENT.get_template("claim.html").render(context),
    )
