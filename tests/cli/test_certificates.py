"""`stapel keys csr` and `stapel keys certificate import|list`, in-process on the test database."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

from app.certificates.chain import pem_bundle
from app.config import get_settings
from tests.certificates import pki
from tests.certificates.pki import NOW
from tests.test_cli import create_institution, stapel

SLUG = "cli-certificates"


def _csr(tmp_path: Path) -> x509.CertificateSigningRequest:
    path = tmp_path / "request.csr"
    result = stapel("keys", "csr", "--institution", SLUG, "--output", str(path))
    assert result.stdout == ""
    csr = x509.load_pem_x509_csr(path.read_bytes())
    assert csr.is_signature_valid
    return csr


def _chain_file(tmp_path: Path, chain: list[x509.Certificate]) -> str:
    path = tmp_path / "chain.pem"
    path.write_text(pem_bundle(chain))
    return str(path)


def _leaf(
    csr: x509.CertificateSigningRequest, ca: pki.Issued, **kwargs: object
) -> x509.Certificate:
    return pki.certificate(csr.subject, csr.public_key(), ca, ca.key, ca=False, **kwargs)  # type: ignore[arg-type]


def _refusal(tmp_path: Path, chain: list[x509.Certificate]) -> str:
    result = stapel(
        "keys", "certificate", "import", "--institution", SLUG, _chain_file(tmp_path, chain),
        expect=1,
    )  # fmt: skip
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    return lines[0]


@pytest.mark.parametrize(
    ("algorithm", "key_type"),
    [
        ("ES256", ec.EllipticCurvePublicKey),
        ("EdDSA", ed25519.Ed25519PublicKey),
        ("RS256", rsa.RSAPublicKey),
    ],
)
def test_the_csr_is_signed_by_the_active_key_of_each_algorithm(
    database_url: str, tmp_path: Path, algorithm: str, key_type: type
) -> None:
    create_institution(SLUG)
    stapel("keys", "rotate", "--institution", SLUG, "--algorithm", algorithm)
    csr = _csr(tmp_path)
    assert isinstance(csr.public_key(), key_type)
    assert (
        csr.subject.rfc4514_string()
        == "CN=Stichting CLI Hogeschool,O=Stichting CLI Hogeschool,C=NL"
    )
    printed = stapel("keys", "csr", "--institution", SLUG).stdout
    assert printed.startswith("-----BEGIN CERTIFICATE REQUEST-----")


def test_an_imported_chain_is_listed_as_current(database_url: str, tmp_path: Path) -> None:
    create_institution(SLUG)
    root = pki.root()
    issuing = pki.intermediate(root)
    leaf = _leaf(_csr(tmp_path), issuing)
    result = stapel(
        "keys", "certificate", "import", "--institution", SLUG,
        _chain_file(tmp_path, [leaf, issuing.certificate, root.certificate]),
    )  # fmt: skip
    assert result.stdout.startswith("Imported CN=Stichting CLI Hogeschool")
    listed = stapel("keys", "certificate", "list", "--institution", SLUG).stdout.splitlines()
    assert listed[0].split()[:2] == ["KID", "STATE"]
    assert " current " in listed[1]
    assert listed[1].rstrip().endswith("-")  # not a development certificate


def test_import_refuses_each_bad_chain_in_one_line(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    create_institution(SLUG)
    csr = _csr(tmp_path)
    root = pki.root()
    issuing = pki.intermediate(root)

    someone_else = pki.leaf(issuing)
    assert "another public key" in _refusal(
        tmp_path, [someone_else.certificate, issuing.certificate]
    )
    expired = _leaf(csr, issuing, not_after=NOW - timedelta(days=1))
    assert "expired" in _refusal(tmp_path, [expired, issuing.certificate])
    early = _leaf(csr, issuing, not_before=NOW + timedelta(days=1))
    assert "not valid before" in _refusal(tmp_path, [early, issuing.certificate])
    leaf = _leaf(csr, issuing)
    assert "Not a chain" in _refusal(tmp_path, [issuing.certificate, leaf])
    assert "Not a chain" in _refusal(tmp_path, [leaf, pki.intermediate(root).certificate])

    monkeypatch.setattr(
        get_settings(), "trusted_certificates", pem_bundle([pki.root("Trusted").certificate])
    )
    assert "not one of the trusted" in _refusal(tmp_path, [leaf, issuing.certificate])
    listed = stapel("keys", "certificate", "list", "--institution", SLUG).stdout
    assert len(listed.splitlines()) == 1  # the header: nothing was imported


def test_import_of_a_missing_file_or_a_private_key_fails_cleanly(
    database_url: str, tmp_path: Path
) -> None:
    create_institution(SLUG)
    missing = stapel(
        "keys", "certificate", "import", "--institution", SLUG, str(tmp_path / "nope.pem"),
        expect=1,
    )  # fmt: skip
    assert missing.stderr.startswith("error: cannot read")
    key_file = tmp_path / "key.pem"
    key_file.write_text("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n")
    refused = stapel(
        "keys", "certificate", "import", "--institution", SLUG, str(key_file), expect=1
    )
    assert "private key" in refused.stderr
