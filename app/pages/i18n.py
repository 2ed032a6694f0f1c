"""The pages' two languages: Dutch and English, chosen by ``?lang=`` or ``Accept-Language``.

Messages live here as two dictionaries with the same keys (a test holds them to it), so a page
never shows a key instead of a sentence. Dates and country names come from Babel's CLDR data.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Final, Literal

from babel import Locale
from babel.dates import format_date

from app.pages.i18n_requests import REQUEST_EN, REQUEST_NL

Language = Literal["nl", "en"]
LANGUAGES: Final[tuple[Language, ...]] = ("nl", "en")
DEFAULT: Final[Language] = "en"


def negotiate(asked: str | None, accept_language: str | None) -> Language:
    """``?lang=`` when it names one of ours, else the first of ours in Accept-Language."""
    if asked in LANGUAGES:
        return asked
    ranked: list[tuple[float, int, str]] = []
    for position, part in enumerate((accept_language or "").split(",")[:20]):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        ranked.append((-quality, position, tag.strip().lower()[:2]))
    for negative_quality, _, primary in sorted(ranked):
        if negative_quality < 0 and primary in LANGUAGES:
            return primary
    return DEFAULT


def country_name(code: str | None, language: Language) -> str | None:
    if not code:
        return None
    return str(Locale(language).territories.get(code.upper(), code))


def long_date(value: date | datetime | None, language: Language) -> str | None:
    if value is None:
        return None
    # British English writes the day first, as Europe does: 1 July 2026.
    return format_date(value, "long", locale="en_GB" if language == "en" else language)


class Translator:
    """``t("key", name=...)``: the message in this language, formatted with the arguments."""

    def __init__(self, language: Language) -> None:
        self.language = language
        self._messages = MESSAGES[language]

    def __call__(self, key: str, **values: object) -> str:
        text = self._messages[key]
        return text.format(**values) if values else text

    def knows(self, key: str) -> bool:
        return key in self._messages

    def term(self, vocabulary: str, value: str | None) -> str | None:
        """A controlled-vocabulary value in words; an unknown one as it is."""
        if value is None:
            return None
        return self._messages.get(f"{vocabulary}.{value}", value)


_EN: dict[str, str] = {
    "site.name": "Stapel",
    "lang.switch": "Language",
    "lang.nl": "Nederlands",
    "lang.en": "English",
    "skip": "Skip to the credential",
    "kind.formal": "Formal micro-credential",
    "kind.formal.explain": "Issued by a recognised institution, with ECTS credits, under the "
    "EU standard elements for micro-credentials.",
    "kind.informal": "Informal badge",
    "kind.informal.explain": "Recognises learning outside a formal programme; it carries no "
    "ECTS credits.",
    "kind.unknown": "Credential",
    "kind.unknown.explain": "A verifiable credential issued through this service.",
    "status.valid": "Valid",
    "status.valid.detail": "Every check passed: the signature is the issuer's and the "
    "credential is neither revoked nor suspended.",
    "status.revoked": "Revoked",
    "status.revoked.detail": "The issuer revoked this credential on {date}. It is no longer valid.",
    "status.suspended": "Suspended",
    "status.suspended.detail": "The issuer suspended this credential on {date}. It is not valid "
    "while suspended.",
    "status.expired": "Expired",
    "status.expired.detail": "This credential expired on {date}.",
    "status.invalid": "Does not verify",
    "status.invalid.detail": "One or more checks failed; see below.",
    "status.checks": "What was checked",
    "check.passed": "passed",
    "check.failed": "failed",
    "check.skipped": "skipped",
    "check.warning": "warning",
    "awarded.to": "Awarded to",
    "issued.by": "Issued by",
    "issued.on": "Issued on",
    "awarded.on": "Awarded on",
    "valid.until": "Valid until",
    "section.about": "About this micro-credential",
    "section.outcomes": "Learning outcomes",
    "section.elements": "EU standard elements",
    "section.quality": "Quality assurance",
    "section.share": "Share",
    "section.consent": "Who can see this page",
    "field.country": "Country of the issuer",
    "field.workload": "Workload",
    "field.workload.value": "{ects} ECTS credits",
    "field.hours": "{hours} hours of study",
    "field.eqf": "EQF level",
    "field.eqf.value": "Level {level} of the European Qualifications Framework",
    "field.qf_ehea": "QF-EHEA cycle",
    "field.assessment": "Type of assessment",
    "field.participation": "Form of participation",
    "field.quality": "Type of quality assurance",
    "field.prerequisites": "Prerequisites",
    "field.supervision": "Supervision and identity verification",
    "field.identity_checked": "The learner's identity was checked at the assessment.",
    "field.grade": "Grade achieved",
    "field.stackability": "Integration and stackability",
    "field.further": "Further information",
    "field.languages": "Language of instruction",
    "field.field_of_study": "Field of study (ISCED-F)",
    "qa.statement": "Quality statement of the institution",
    "qa.framework": "Framework",
    "share.qr": "QR code of the public address of this credential",
    "share.public_url": "Public address",
    "consent.private": "Only you can see this page. Publish it to share it with a public "
    "address; you can unpublish it at any time.",
    "consent.public": "This credential is public at the address above. Anyone with the "
    "address can see it. Unpublish it and the address stops working.",
    "consent.publish": "Publish this credential",
    "consent.unpublish": "Unpublish",
    "consent.revoked": "A revoked credential cannot be published.",
    "consent.claim_link_private": "Keep this link to yourself: whoever has it can publish or "
    "unpublish your credential.",
    "section.downloads": "Download",
    "downloads.explain": "Take this credential with you. Each file holds the issuer's "
    "signature, so anyone can verify it without this page.",
    "downloads.png": "Badge image (PNG)",
    "downloads.png.explain": "with the credential baked in (Open Badges 3.0)",
    "downloads.svg": "Badge image (SVG)",
    "downloads.svg.explain": "with the credential baked in (Open Badges 3.0)",
    "downloads.jwt": "Signed credential (JWT)",
    "downloads.jwt.explain": "what a wallet or a verifier reads",
    "downloads.json": "Credential data (JSON)",
    "downloads.json.explain": "to read; verify the JWT or a badge image",
    "section.linkedin": "LinkedIn",
    "linkedin.add": "Add to LinkedIn profile",
    "linkedin.explain": "Opens LinkedIn's form for a certification, filled in with this "
    "credential and its public address. Unpublishing later breaks that link.",
    "section.wallet": "Wallet app",
    "wallet.explain": "Take this credential into a wallet app on your phone (OpenID4VCI). "
    "A QR code and a code to type in appear here; they work once and for {minutes} minutes.",
    "wallet.offer": "Show a QR code for my wallet",
    "wallet.scan": "Scan this QR code with your wallet app, or open the link on this phone.",
    "wallet.qr": "QR code of the offer for a wallet app",
    "wallet.tx_code": "Code to type into the wallet",
    "wallet.open": "Open in a wallet app on this device",
    "wallet.once": "The QR code and the code work once, for {minutes} minutes; they are not "
    "shown again. Make a new one when you need it.",
    "wallet.unavailable": "A revoked, suspended or expired credential cannot be taken into a "
    "wallet.",
    "formal.mark": "Formal",
    "informal.mark": "Informal",
    "error.404.title": "Not found",
    "error.404.detail": "There is nothing at this address. The link may be mistyped, or the "
    "credential is not shared (any more).",
    "error.410.title": "This link no longer works",
    "error.410.detail": "The link has expired or was replaced by a newer one. Ask the "
    "institution that issued the credential for a new link.",
    "error.409.title": "Not possible now",
    "error.400.title": "The request was not understood",
    "error.413.title": "Too large",
    "error.415.title": "Unsupported file",
    "error.422.title": "The request was not understood",
    "error.back": "Back to the start",
    "footer.about": "Micro-credentials as W3C Verifiable Credentials (Open Badges 3.0).",
    "footer.verify": "Verify a credential",
    "qf_ehea.short": "Short cycle",
    "qf_ehea.first": "First cycle (bachelor)",
    "qf_ehea.second": "Second cycle (master)",
    "qf_ehea.third": "Third cycle (doctorate)",
    "assessment.written_exam": "Written exam",
    "assessment.oral_exam": "Oral exam",
    "assessment.practical_exam": "Practical exam",
    "assessment.project": "Project",
    "assessment.portfolio": "Portfolio",
    "assessment.presentation": "Presentation",
    "assessment.online_test": "Online test",
    "assessment.continuous_assessment": "Continuous assessment",
    "assessment.peer_assessment": "Peer assessment",
    "assessment.self_assessment": "Self-assessment",
    "assessment.attendance_only": "Attendance only",
    "participation.online": "Online",
    "participation.onsite": "On site",
    "participation.blended": "Blended (online and on site)",
    "supervision.none": "No supervision",
    "supervision.supervised_no_verification": "Supervised, without identity verification",
    "supervision.supervised_online_verification": "Supervised online, identity verified",
    "supervision.supervised_onsite_verification": "Supervised on site, identity verified",
    "quality.accredited_programme": "Accredited programme",
    "quality.institutional_accreditation": "Institutional accreditation",
    "quality.internal_quality_assurance": "Internal quality assurance",
    "quality.external_quality_assurance": "External quality assurance",
    "quality.sector_standard": "Sector standard",
    "verify.title": "Verify a credential",
    "verify.intro": "Check a micro-credential or badge from any issuer: whether it is genuine, "
    "unchanged, still valid, and who issued it. Paste it, upload the file or badge image, or "
    "give the address of its public page. Nothing you give here is stored.",
    "verify.problem.title": "This could not be verified",
    "verify.submit": "Verify",
    "verify.paste.title": "Paste a credential",
    "verify.paste.label": "The credential (a JWT, or its JSON)",
    "verify.paste.hint": "A signed credential starts with eyJ; the JSON of an enveloped "
    "credential works too.",
    "verify.upload.title": "Upload a file",
    "verify.upload.label": "A credential file or a baked badge image",
    "verify.upload.hint": "A .jwt or .json file, or a PNG or SVG badge with the credential baked "
    "in (Open Badges 3.0); at most {limit}.",
    "verify.url.title": "Give the address of a public credential page",
    "verify.url.label": "Address of the public page",
    "verify.url.hint": "For example the link a learner shared with you; it may be on another "
    "Stapel service.",
    "verify.verdict.verified": "Verified",
    "verify.verdict.verified.trusted": "The credential is genuine, unchanged and valid, and its "
    "issuer is known to this service.",
    "verify.verdict.verified.unknown_issuer": "The credential is genuine, unchanged and valid: "
    "the signature is its issuer's. This service does not know the issuer, so check who it is "
    "before you rely on it.",
    "verify.verdict.failed": "Not verified",
    "verify.verdict.failed.because": "Do not rely on this credential. The check that failed: "
    "{check}.",
    "verify.verdict.failed.unread": "Do not rely on this credential: it could not be checked.",
    "verify.summary.title": "Achievement",
    "verify.issuer.unnamed": "An issuer without a name",
    "verify.issuer.claimed": "Says it was issued by",
    "verify.summary.unconfirmed": "What follows is what the credential says; as it does not "
    "verify, none of it is confirmed.",
    "verify.issuer.trust": "Issuer known",
    "verify.issuer.recognition": "Recognition",
    "verify.trust.this_instance": "Yes: an institution of this service.",
    "verify.trust.trust_list": "Yes: on this service's list of trusted issuers.",
    "verify.trust.unknown": "No: the issuer is unknown to this service.",
    "verify.recognised.yes": "A recognised institution: it may issue formal micro-credentials.",
    "verify.recognised.no": "Not a recognised institution: it issues informal badges only.",
    "verify.check.reason": "Why",
    "verify.check.parsing": "Format",
    "verify.check.parsing.meaning": "Whether the credential can be read: a signed token in a "
    "supported format.",
    "verify.check.algorithm": "Signature method",
    "verify.check.algorithm.meaning": "Whether it is signed with a method that cannot be forged "
    "from public information.",
    "verify.check.header": "Signing details",
    "verify.check.header.meaning": "Whether the token's header is as its format requires.",
    "verify.check.key": "Issuer's key",
    "verify.check.key.meaning": "Whether the issuer's public key can be found, and belongs to the "
    "issuer named in the credential.",
    "verify.check.signature": "Signature",
    "verify.check.signature.meaning": "Whether the issuer's key signed exactly this content, so "
    "that nothing was changed after signing.",
    "verify.check.claims": "Contents",
    "verify.check.claims.meaning": "Whether the credential has the parts a credential must have, "
    "and they agree with each other.",
    "verify.check.validity": "Validity period",
    "verify.check.validity.meaning": "Whether today falls within the period in which the "
    "credential is valid.",
    "verify.check.schema": "Open Badges 3.0",
    "verify.check.schema.meaning": "Whether the credential follows the Open Badges 3.0 standard.",
    "verify.check.status": "Revocation",
    "verify.check.status.meaning": "Whether the issuer has revoked or suspended it.",
    "verify.check.disclosures": "Disclosed details",
    "verify.check.disclosures.meaning": "Whether each detail the holder chose to show is one the "
    "issuer signed, unchanged.",
    "verify.check.key_binding": "Holder",
    "verify.check.key_binding.meaning": "Whether the person presenting it holds the key it was "
    "issued to, and made this presentation for you just now.",
    "verify.check.trust": "Issuer known",
    "verify.check.trust.meaning": "Whether the issuer is an institution of this service or on its "
    "list of trusted issuers.",
    "verify.error.too_large": "The upload is too large: at most {limit} is accepted.",
    "verify.error.malformed": "The credential could not be read. Check that you copied all of it.",
    "verify.error.unsupported": "This is not a credential this page can verify: only signed "
    "credentials (JWT) are supported.",
    "verify.error.empty_form": "Paste a credential or choose a file first.",
    "verify.error.both": "Give either a text or a file, not both.",
    "verify.error.empty": "The file is empty.",
    "verify.error.not_utf8": "The file is neither a PNG or SVG badge image nor a text file "
    "(UTF-8).",
    "verify.error.png_malformed": "The PNG image is damaged or incomplete.",
    "verify.error.png_too_large": "The PNG image has too many pixels to be read.",
    "verify.error.png_no_credential": "The PNG image holds no credential: it is not a baked badge.",
    "verify.error.svg_malformed": "The SVG image is damaged or not an SVG image.",
    "verify.error.svg_forbidden": "The SVG image contains declarations (a DTD, entities or "
    "external references) that are not read, for safety.",
    "verify.error.svg_no_credential": "The SVG image holds no credential: it is not a baked badge.",
    "verify.error.url_invalid": "That is not a web address (http or https).",
    "verify.error.url_not_credential_page": "That address on this service is not a public "
    "credential page.",
    "verify.error.url_not_found": "No credential is shared at that address (any more).",
    "verify.error.url_refused": "That address may not be fetched: only public https addresses are.",
    "verify.error.url_unreachable": "The server at that address did not answer in time or not "
    "properly. Try again later, or upload the credential instead.",
    "verify.error.url_no_credential": "The page at that address does not offer a credential.",
}

_NL: dict[str, str] = {
    "site.name": "Stapel",
    "lang.switch": "Taal",
    "lang.nl": "Nederlands",
    "lang.en": "English",
    "skip": "Naar het credential",
    "kind.formal": "Formeel microcredential",
    "kind.formal.explain": "Uitgegeven door een erkende instelling, met ECTS-studiepunten, "
    "volgens de Europese standaardelementen voor microcredentials.",
    "kind.informal": "Informele badge",
    "kind.informal.explain": "Erkent leren buiten een formele opleiding; er horen geen "
    "ECTS-studiepunten bij.",
    "kind.unknown": "Credential",
    "kind.unknown.explain": "Een verifieerbaar credential, uitgegeven via deze dienst.",
    "status.valid": "Geldig",
    "status.valid.detail": "Alle controles zijn geslaagd: de handtekening is van de uitgever en "
    "het credential is niet ingetrokken of opgeschort.",
    "status.revoked": "Ingetrokken",
    "status.revoked.detail": "De uitgever heeft dit credential op {date} ingetrokken. Het is "
    "niet meer geldig.",
    "status.suspended": "Opgeschort",
    "status.suspended.detail": "De uitgever heeft dit credential op {date} opgeschort. Zolang "
    "het is opgeschort, is het niet geldig.",
    "status.expired": "Verlopen",
    "status.expired.detail": "Dit credential is verlopen op {date}.",
    "status.invalid": "Niet geverifieerd",
    "status.invalid.detail": "Een of meer controles zijn mislukt; zie hieronder.",
    "status.checks": "Wat is gecontroleerd",
    "check.passed": "geslaagd",
    "check.failed": "mislukt",
    "check.skipped": "overgeslagen",
    "check.warning": "waarschuwing",
    "awarded.to": "Toegekend aan",
    "issued.by": "Uitgegeven door",
    "issued.on": "Uitgegeven op",
    "awarded.on": "Toegekend op",
    "valid.until": "Geldig tot",
    "section.about": "Over dit microcredential",
    "section.outcomes": "Leeruitkomsten",
    "section.elements": "Europese standaardelementen",
    "section.quality": "Kwaliteitszorg",
    "section.share": "Delen",
    "section.consent": "Wie deze pagina kan zien",
    "field.country": "Land van de uitgever",
    "field.workload": "Studielast",
    "field.workload.value": "{ects} ECTS-studiepunten",
    "field.hours": "{hours} studie-uren",
    "field.eqf": "EQF-niveau",
    "field.eqf.value": "Niveau {level} van het Europees kwalificatiekader",
    "field.qf_ehea": "QF-EHEA-cyclus",
    "field.assessment": "Soort toetsing",
    "field.participation": "Vorm van deelname",
    "field.quality": "Soort kwaliteitszorg",
    "field.prerequisites": "Toelatingseisen",
    "field.supervision": "Toezicht en identiteitscontrole",
    "field.identity_checked": "De identiteit van de lerende is bij de toetsing gecontroleerd.",
    "field.grade": "Behaald resultaat",
    "field.stackability": "Stapelbaarheid en inpassing",
    "field.further": "Meer informatie",
    "field.languages": "Onderwijstaal",
    "field.field_of_study": "Studiegebied (ISCED-F)",
    "qa.statement": "Kwaliteitsverklaring van de instelling",
    "qa.framework": "Kader",
    "share.qr": "QR-code van het openbare adres van dit credential",
    "share.public_url": "Openbaar adres",
    "consent.private": "Alleen jij kunt deze pagina zien. Publiceer het credential om het te "
    "delen via een openbaar adres; je kunt het altijd weer afschermen.",
    "consent.public": "Dit credential is openbaar op het adres hierboven. Iedereen met het adres "
    "kan het zien. Scherm het af en het adres werkt niet meer.",
    "consent.publish": "Publiceer dit credential",
    "consent.unpublish": "Afschermen",
    "consent.revoked": "Een ingetrokken credential kan niet worden gepubliceerd.",
    "consent.claim_link_private": "Houd deze link voor jezelf: wie hem heeft, kan je credential "
    "publiceren of afschermen.",
    "section.downloads": "Downloaden",
    "downloads.explain": "Neem dit credential mee. Elk bestand draagt de handtekening van de "
    "uitgever, zodat iedereen het zonder deze pagina kan controleren.",
    "downloads.png": "Badge-afbeelding (PNG)",
    "downloads.png.explain": "met het credential erin gebakken (Open Badges 3.0)",
    "downloads.svg": "Badge-afbeelding (SVG)",
    "downloads.svg.explain": "met het credential erin gebakken (Open Badges 3.0)",
    "downloads.jwt": "Ondertekend credential (JWT)",
    "downloads.jwt.explain": "wat een wallet of controleur leest",
    "downloads.json": "Gegevens van het credential (JSON)",
    "downloads.json.explain": "om te lezen; controleer de JWT of een badge-afbeelding",
    "section.linkedin": "LinkedIn",
    "linkedin.add": "Toevoegen aan LinkedIn-profiel",
    "linkedin.explain": "Opent het formulier van LinkedIn voor een certificering, ingevuld met "
    "dit credential en zijn openbare adres. Scherm je het later af, dan werkt die link niet meer.",
    "section.wallet": "Wallet-app",
    "wallet.explain": "Zet dit credential in een wallet-app op je telefoon (OpenID4VCI). "
    "Hier verschijnen een QR-code en een code om in te typen; ze werken één keer en "
    "{minutes} minuten lang.",
    "wallet.offer": "Toon een QR-code voor mijn wallet",
    "wallet.scan": "Scan deze QR-code met je wallet-app, of open de link op deze telefoon.",
    "wallet.qr": "QR-code van het aanbod voor een wallet-app",
    "wallet.tx_code": "Code om in de wallet te typen",
    "wallet.open": "Openen in een wallet-app op dit apparaat",
    "wallet.once": "De QR-code en de code werken één keer, {minutes} minuten lang; ze worden niet "
    "nog eens getoond. Maak een nieuwe als je die nodig hebt.",
    "wallet.unavailable": "Een ingetrokken, geschorst of verlopen credential kan niet in een "
    "wallet worden gezet.",
    "formal.mark": "Formeel",
    "informal.mark": "Informeel",
    "error.404.title": "Niet gevonden",
    "error.404.detail": "Op dit adres staat niets. De link is misschien verkeerd overgenomen, of "
    "het credential wordt niet (meer) gedeeld.",
    "error.410.title": "Deze link werkt niet meer",
    "error.410.detail": "De link is verlopen of vervangen door een nieuwere. Vraag de instelling "
    "die het credential uitgaf om een nieuwe link.",
    "error.409.title": "Nu niet mogelijk",
    "error.400.title": "Het verzoek is niet begrepen",
    "error.413.title": "Te groot",
    "error.415.title": "Bestand niet ondersteund",
    "error.422.title": "Het verzoek is niet begrepen",
    "error.back": "Terug naar het begin",
    "footer.about": "Microcredentials als W3C Verifiable Credentials (Open Badges 3.0).",
    "footer.verify": "Een credential controleren",
    "qf_ehea.short": "Korte cyclus (associate degree)",
    "qf_ehea.first": "Eerste cyclus (bachelor)",
    "qf_ehea.second": "Tweede cyclus (master)",
    "qf_ehea.third": "Derde cyclus (doctoraat)",
    "assessment.written_exam": "Schriftelijk tentamen",
    "assessment.oral_exam": "Mondeling tentamen",
    "assessment.practical_exam": "Praktijktoets",
    "assessment.project": "Project",
    "assessment.portfolio": "Portfolio",
    "assessment.presentation": "Presentatie",
    "assessment.online_test": "Online toets",
    "assessment.continuous_assessment": "Doorlopende toetsing",
    "assessment.peer_assessment": "Peerbeoordeling",
    "assessment.self_assessment": "Zelfbeoordeling",
    "assessment.attendance_only": "Alleen aanwezigheid",
    "participation.online": "Online",
    "participation.onsite": "Op locatie",
    "participation.blended": "Gemengd (online en op locatie)",
    "supervision.none": "Geen toezicht",
    "supervision.supervised_no_verification": "Onder toezicht, zonder identiteitscontrole",
    "supervision.supervised_online_verification": "Online toezicht, identiteit gecontroleerd",
    "supervision.supervised_onsite_verification": "Toezicht op locatie, identiteit gecontroleerd",
    "quality.accredited_programme": "Geaccrediteerde opleiding",
    "quality.institutional_accreditation": "Instellingsaccreditatie",
    "quality.internal_quality_assurance": "Interne kwaliteitszorg",
    "quality.external_quality_assurance": "Externe kwaliteitszorg",
    "quality.sector_standard": "Sectorstandaard",
    "verify.title": "Een credential controleren",
    "verify.intro": "Controleer een microcredential of badge van elke uitgever: of het echt is, "
    "ongewijzigd en nog geldig, en wie het heeft uitgegeven. Plak het, upload het bestand of de "
    "badge-afbeelding, of geef het adres van de openbare pagina. Niets wat u hier geeft, wordt "
    "bewaard.",
    "verify.problem.title": "Dit kon niet worden gecontroleerd",
    "verify.submit": "Controleren",
    "verify.paste.title": "Een credential plakken",
    "verify.paste.label": "Het credential (een JWT, of de JSON ervan)",
    "verify.paste.hint": "Een ondertekend credential begint met eyJ; de JSON van een "
    "enveloped credential werkt ook.",
    "verify.upload.title": "Een bestand uploaden",
    "verify.upload.label": "Een credential-bestand of een badge-afbeelding met credential",
    "verify.upload.hint": "Een .jwt- of .json-bestand, of een PNG- of SVG-badge waarin het "
    "credential is ingebakken (Open Badges 3.0); hoogstens {limit}.",
    "verify.url.title": "Het adres van een openbare credential-pagina opgeven",
    "verify.url.label": "Adres van de openbare pagina",
    "verify.url.hint": "Bijvoorbeeld de link die een lerende met u deelde; die mag ook op een "
    "andere Stapel-dienst staan.",
    "verify.verdict.verified": "Geverifieerd",
    "verify.verdict.verified.trusted": "Het credential is echt, ongewijzigd en geldig, en de "
    "uitgever is bekend bij deze dienst.",
    "verify.verdict.verified.unknown_issuer": "Het credential is echt, ongewijzigd en geldig: "
    "de handtekening is van de uitgever. Deze dienst kent de uitgever niet; ga dus na wie het "
    "is voordat u erop vertrouwt.",
    "verify.verdict.failed": "Niet geverifieerd",
    "verify.verdict.failed.because": "Vertrouw niet op dit credential. De controle die mislukte: "
    "{check}.",
    "verify.verdict.failed.unread": "Vertrouw niet op dit credential: het kon niet worden "
    "gecontroleerd.",
    "verify.summary.title": "Prestatie",
    "verify.issuer.unnamed": "Een uitgever zonder naam",
    "verify.issuer.claimed": "Zegt uitgegeven te zijn door",
    "verify.summary.unconfirmed": "Wat volgt, is wat het credential zegt; omdat het niet "
    "geverifieerd is, is daarvan niets bevestigd.",
    "verify.issuer.trust": "Uitgever bekend",
    "verify.issuer.recognition": "Erkenning",
    "verify.trust.this_instance": "Ja: een instelling van deze dienst.",
    "verify.trust.trust_list": "Ja: op de lijst van vertrouwde uitgevers van deze dienst.",
    "verify.trust.unknown": "Nee: de uitgever is onbekend bij deze dienst.",
    "verify.recognised.yes": "Een erkende instelling: zij mag formele microcredentials uitgeven.",
    "verify.recognised.no": "Geen erkende instelling: zij geeft alleen informele badges uit.",
    "verify.check.reason": "Waarom",
    "verify.check.parsing": "Formaat",
    "verify.check.parsing.meaning": "Of het credential leesbaar is: een ondertekend token in een "
    "ondersteund formaat.",
    "verify.check.algorithm": "Ondertekeningsmethode",
    "verify.check.algorithm.meaning": "Of het is ondertekend met een methode die niet met openbare "
    "gegevens te vervalsen is.",
    "verify.check.header": "Ondertekeningsgegevens",
    "verify.check.header.meaning": "Of de kop van het token is zoals het formaat voorschrijft.",
    "verify.check.key": "Sleutel van de uitgever",
    "verify.check.key.meaning": "Of de openbare sleutel van de uitgever te vinden is en hoort bij "
    "de uitgever die in het credential staat.",
    "verify.check.signature": "Handtekening",
    "verify.check.signature.meaning": "Of de sleutel van de uitgever precies deze inhoud heeft "
    "ondertekend, zodat er na het ondertekenen niets is veranderd.",
    "verify.check.claims": "Inhoud",
    "verify.check.claims.meaning": "Of het credential de onderdelen heeft die een credential moet "
    "hebben, en of die met elkaar kloppen.",
    "verify.check.validity": "Geldigheidsduur",
    "verify.check.validity.meaning": "Of vandaag binnen de periode valt waarin het credential "
    "geldig is.",
    "verify.check.schema": "Open Badges 3.0",
    "verify.check.schema.meaning": "Of het credential de standaard Open Badges 3.0 volgt.",
    "verify.check.status": "Intrekking",
    "verify.check.status.meaning": "Of de uitgever het heeft ingetrokken of opgeschort.",
    "verify.check.disclosures": "Getoonde gegevens",
    "verify.check.disclosures.meaning": "Of elk gegeven dat de houder koos te tonen er een is dat "
    "de uitgever ondertekende, ongewijzigd.",
    "verify.check.key_binding": "Houder",
    "verify.check.key_binding.meaning": "Of wie het toont de sleutel heeft waarvoor het werd "
    "uitgegeven, en deze presentatie zojuist voor u maakte.",
    "verify.check.trust": "Uitgever bekend",
    "verify.check.trust.meaning": "Of de uitgever een instelling van deze dienst is of op de lijst "
    "van vertrouwde uitgevers staat.",
    "verify.error.too_large": "Het bestand is te groot: hoogstens {limit} wordt aangenomen.",
    "verify.error.malformed": "Het credential kon niet worden gelezen. Controleer of u het "
    "helemaal hebt gekopieerd.",
    "verify.error.unsupported": "Dit is geen credential dat deze pagina kan controleren: alleen "
    "ondertekende credentials (JWT) worden ondersteund.",
    "verify.error.empty_form": "Plak eerst een credential of kies een bestand.",
    "verify.error.both": "Geef een tekst of een bestand, niet allebei.",
    "verify.error.empty": "Het bestand is leeg.",
    "verify.error.not_utf8": "Het bestand is geen PNG- of SVG-badge en ook geen tekstbestand "
    "(UTF-8).",
    "verify.error.png_malformed": "De PNG-afbeelding is beschadigd of onvolledig.",
    "verify.error.png_too_large": "De PNG-afbeelding heeft te veel pixels om te lezen.",
    "verify.error.png_no_credential": "De PNG-afbeelding bevat geen credential: het is geen "
    "ingebakken badge.",
    "verify.error.svg_malformed": "De SVG-afbeelding is beschadigd of geen SVG-afbeelding.",
    "verify.error.svg_forbidden": "De SVG-afbeelding bevat declaraties (een DTD, entities of "
    "externe verwijzingen) die uit veiligheid niet worden gelezen.",
    "verify.error.svg_no_credential": "De SVG-afbeelding bevat geen credential: het is geen "
    "ingebakken badge.",
    "verify.error.url_invalid": "Dat is geen webadres (http of https).",
    "verify.error.url_not_credential_page": "Dat adres op deze dienst is geen openbare "
    "credential-pagina.",
    "verify.error.url_not_found": "Op dat adres wordt geen credential (meer) gedeeld.",
    "verify.error.url_refused": "Dat adres mag niet worden opgehaald: alleen openbare "
    "https-adressen.",
    "verify.error.url_unreachable": "De server op dat adres antwoordde niet op tijd of niet "
    "goed. Probeer het later opnieuw, of upload het credential.",
    "verify.error.url_no_credential": "De pagina op dat adres biedt geen credential aan.",
}

MESSAGES: Final[dict[Language, dict[str, str]]] = {
    "en": {**_EN, **REQUEST_EN},
    "nl": {**_NL, **REQUEST_NL},
}
