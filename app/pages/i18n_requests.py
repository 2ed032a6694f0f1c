"""The words of the learner's request form (``app/pages/requests.py``), in both languages.

Kept apart from ``i18n.py`` to keep that file readable; ``MESSAGES`` there merges them, and the
test that holds the languages to the same keys covers these too.
"""

from __future__ import annotations

from typing import Final

REQUEST_EN: Final[dict[str, str]] = {
    "request.link": "Request a micro-credential",
    "request.link.explain": "Ask this institution for another of its micro-credentials, with "
    "evidence of what you did: a description, a link, or a credential from elsewhere.",
    "request.title": "Request a micro-credential",
    "request.intro": "Ask {institution} for one of its micro-credentials. Staff look at your "
    "evidence and decide; when they approve, the credential is issued to you as this one was.",
    "request.achievement": "Micro-credential",
    "request.achievement.none": "This institution offers no micro-credentials to ask for now.",
    "request.identifier": "Your student number or e-mail address",
    "request.identifier.hint": "As the institution knows it: it must be the one this credential "
    "was issued to. It is not shown to anyone.",
    "request.identifier.optional": "Optional: your credential already names you by your wallet.",
    "request.evidence_text": "What did you do?",
    "request.evidence_text.hint": "For the staff who decide; it is not put in the credential.",
    "request.evidence_url": "A link to your work (optional)",
    "request.evidence_url.hint": "An https address. It is stored, not opened by this service.",
    "request.external": "A credential from elsewhere (optional)",
    "request.external.hint": "Paste the credential (a JWT), or choose a badge image (PNG or SVG) "
    "that carries one, at most {limit}. It counts only when it verifies, its issuer is "
    "recognised by this institution, and it was issued to you.",
    "request.external.paste": "Paste the credential",
    "request.external.file": "Or choose a file",
    "request.submit": "Send the request",
    "request.back": "Back to your credential",
    "request.problem.title": "The request was not sent",
    "request.sent.title": "Your request was sent",
    "request.sent.body": "{institution} received your request for “{achievement}”. Staff will "
    "decide on it; when they approve it, the credential is issued to you the way the institution "
    "issues its credentials (by e-mail when it sends them).",
    "request.sent.external": "Your credential “{name}” from {issuer} was verified and accepted "
    "as evidence.",
    "request.error.achievement_required": "Choose the micro-credential you ask for.",
    "request.error.not_found": "That micro-credential is not offered by this institution.",
    "request.error.achievement_not_published": "That micro-credential is not offered any more.",
    "request.error.identifier_required": "Give your student number or e-mail address.",
    "request.error.not_this_learner": "That is not the student number or e-mail address this "
    "credential was issued to.",
    "request.error.no_learner_name": "This credential names no learner, so nothing can be "
    "asked for with it.",
    "request.error.no_evidence": "Give some evidence: a description, a link or a credential.",
    "request.error.url_invalid": "The link must be an https address.",
    "request.error.text_too_long": "The description is too long.",
    "request.error.external_credential_unverified": "The credential you gave does not verify: "
    "it may be altered, revoked, expired or not a credential at all.",
    "request.error.issuer_not_recognised": "This institution does not recognise the issuer of "
    "the credential you gave (for this achievement).",
    "request.error.identity_mismatch": "The credential you gave was not issued to you, as far "
    "as it shows: it names someone else, or no identifier of yours.",
}

REQUEST_NL: Final[dict[str, str]] = {
    "request.link": "Een microcredential aanvragen",
    "request.link.explain": "Vraag deze instelling om een ander van haar microcredentials, met "
    "bewijs van wat je deed: een beschrijving, een link of een credential van elders.",
    "request.title": "Een microcredential aanvragen",
    "request.intro": "Vraag {institution} om een van haar microcredentials. Medewerkers bekijken "
    "je bewijs en beslissen; keuren ze het goed, dan krijg je het credential zoals je dit kreeg.",
    "request.achievement": "Microcredential",
    "request.achievement.none": "Deze instelling biedt nu geen microcredentials aan om te vragen.",
    "request.identifier": "Je studentnummer of e-mailadres",
    "request.identifier.hint": "Zoals de instelling het kent: het moet het nummer of adres zijn "
    "waarop dit credential is uitgegeven. Niemand krijgt het te zien.",
    "request.identifier.optional": "Niet verplicht: je credential noemt je al bij je wallet.",
    "request.evidence_text": "Wat heb je gedaan?",
    "request.evidence_text.hint": "Voor de medewerkers die beslissen; het komt niet in het "
    "credential.",
    "request.evidence_url": "Een link naar je werk (niet verplicht)",
    "request.evidence_url.hint": "Een https-adres. Het wordt bewaard, niet geopend door deze "
    "dienst.",
    "request.external": "Een credential van elders (niet verplicht)",
    "request.external.hint": "Plak het credential (een JWT), of kies een badge-afbeelding (PNG of "
    "SVG) waarin er een zit, hoogstens {limit}. Het telt alleen als het klopt, de uitgever door "
    "deze instelling erkend is, en het aan jou is uitgegeven.",
    "request.external.paste": "Plak het credential",
    "request.external.file": "Of kies een bestand",
    "request.submit": "Verstuur de aanvraag",
    "request.back": "Terug naar je credential",
    "request.problem.title": "De aanvraag is niet verstuurd",
    "request.sent.title": "Je aanvraag is verstuurd",
    "request.sent.body": "{institution} heeft je aanvraag voor “{achievement}” ontvangen. "
    "Medewerkers beslissen erover; keuren ze hem goed, dan krijg je het credential zoals de "
    "instelling haar credentials uitgeeft (per e-mail als ze die verstuurt).",
    "request.sent.external": "Je credential “{name}” van {issuer} is gecontroleerd en als bewijs "
    "aangenomen.",
    "request.error.achievement_required": "Kies het microcredential dat je aanvraagt.",
    "request.error.not_found": "Dat microcredential biedt deze instelling niet aan.",
    "request.error.achievement_not_published": "Dat microcredential wordt niet meer aangeboden.",
    "request.error.identifier_required": "Geef je studentnummer of e-mailadres.",
    "request.error.not_this_learner": "Dat is niet het studentnummer of e-mailadres waarop dit "
    "credential is uitgegeven.",
    "request.error.no_learner_name": "Dit credential noemt geen lerende; er kan niets mee "
    "worden aangevraagd.",
    "request.error.no_evidence": "Geef bewijs: een beschrijving, een link of een credential.",
    "request.error.url_invalid": "De link moet een https-adres zijn.",
    "request.error.text_too_long": "De beschrijving is te lang.",
    "request.error.external_credential_unverified": "Het credential dat je gaf klopt niet: het "
    "is misschien gewijzigd, ingetrokken, verlopen of geen credential.",
    "request.error.issuer_not_recognised": "Deze instelling erkent de uitgever van het "
    "credential dat je gaf niet (voor deze prestatie).",
    "request.error.identity_mismatch": "Het credential dat je gaf is, voor zover het laat zien, "
    "niet aan jou uitgegeven: het noemt iemand anders, of geen gegeven van jou.",
}
