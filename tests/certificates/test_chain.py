"""Certificate chains: what validate_chain accepts and refuses, x5c, PEM bundles, anchors."""

from __future__ import annotations

import base64
from datetime import timedelta
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519

from app.certificates.chain import (
    CertificateChainError,
    load_pem_bundle,
    pem_bundle,
    trust_anchors,
    validate_chain,
    x5c,
)
from app.config import get_settings
from tests.certificates import pki
from tests.certificates.pki import NOW


def _reason(chain: list[x509.Certificate], anchors: list[x509.Certificate]) -> str:
    with pytest.raises(CertificateChainError) as refused:
        validate_chain(chain, anchors, NOW)
    assert refused.value.status_code == 422
    assert refused.value.code == "certificate_chain_invalid"
    assert "\n" not in refused.value.detail
    return refused.value.reason


def test_a_three_certificate_chain_to_its_root_is_valid_and_returns_the_leaf() -> None:
    root = pki.root()
    issuing = pki.intermediate(root)
    leaf = pki.leaf(issuing)
    chain = [leaf.certificate, issuing.certificate]
    assert validate_chain(chain, [root.certificate], NOW) == leaf.certificate
    assert validate_chain([*chain, root.certificate], [root.certificate], NOW) == leaf.certificate


def test_without_anchors_only_the_chain_itself_is_checked() -> None:
    issuing = pki.intermediate(pki.root())
    leaf = pki.leaf(issuing)
    assert validate_chain([leaf.certificate, issuing.certificate], [], NOW) == leaf.certificate


def test_an_ed25519_leaf_is_accepted() -> None:
    root = pki.root()
    leaf = pki.leaf(root, ed25519.Ed25519PrivateKey.generate())
    assert validate_chain([leaf.certificate], [root.certificate], NOW) == leaf.certificate


def test_a_chain_in_the_wrong_order_is_not_a_chain() -> None:
    root = pki.root()
    issuing = pki.intermediate(root)
    leaf = pki.leaf(issuing)
    assert _reason([issuing.certificate, leaf.certificate], [root.certificate]) == "not_a_chain"


def test_a_forged_signature_with_the_right_issuer_name_is_not_a_chain() -> None:
    root = pki.root()
    impostor = pki.root()  # same subject name, another key
    leaf = pki.leaf(impostor)
    assert _reason([leaf.certificate, root.certificate], []) == "not_a_chain"


def test_an_issuer_that_is_no_ca_is_not_a_chain() -> None:
    root = pki.root()
    not_a_ca = pki.leaf(root, common_name="Just a leaf")
    leaf = pki.leaf(not_a_ca)
    assert _reason([leaf.certificate, not_a_ca.certificate], []) == "not_a_chain"


def test_an_expired_certificate_is_refused() -> None:
    root = pki.root()
    leaf = pki.leaf(root, not_after=NOW - timedelta(hours=1))
    assert _reason([leaf.certificate], [root.certificate]) == "expired"


def test_an_expired_intermediate_is_refused() -> None:
    root = pki.root()
    issuing = pki.intermediate(root, not_after=NOW - timedelta(hours=1))
    leaf = pki.leaf(issuing)
    assert _reason([leaf.certificate, issuing.certificate], []) == "expired"


def test_a_certificate_not_yet_valid_is_refused() -> None:
    root = pki.root()
    leaf = pki.leaf(root, not_before=NOW + timedelta(days=1))
    assert _reason([leaf.certificate], [root.certificate]) == "not_yet_valid"


def test_a_chain_to_another_root_is_untrusted() -> None:
    leaf = pki.leaf(pki.root("Somebody else's root"))
    assert _reason([leaf.certificate], [pki.root().certificate]) == "untrusted"


def test_a_leaf_without_digital_signature_usage_cannot_certify_a_signing_key() -> None:
    root = pki.root()
    leaf = pki.leaf(root, digital_signature=False)
    assert _reason([leaf.certificate], [root.certificate]) == "not_for_signing"


def test_x5c_is_standard_base64_der_leaf_first_without_the_root() -> None:
    root = pki.root()
    issuing = pki.intermediate(root)
    leaf = pki.leaf(issuing)
    values = x5c([leaf.certificate, issuing.certificate, root.certificate])
    assert len(values) == 2
    assert [x509.load_der_x509_certificate(base64.b64decode(v)) for v in values] == [
        leaf.certificate,
        issuing.certificate,
    ]
    assert all(base64.b64encode(base64.b64decode(v, validate=True)).decode() == v for v in values)


def test_a_pem_bundle_reads_back_in_order() -> None:
    root = pki.root()
    leaf = pki.leaf(root)
    text = pem_bundle([leaf.certificate, root.certificate])
    assert load_pem_bundle(text) == [leaf.certificate, root.certificate]


def test_a_bundle_with_a_private_key_or_without_certificates_is_refused() -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    certificate_pem = pem_bundle([pki.root().certificate])
    for text in (key_pem + certificate_pem, "hello", "-----BEGIN CERTIFICATE-----\nAAAA\n"):
        with pytest.raises(CertificateChainError) as refused:
            load_pem_bundle(text)
        assert refused.value.reason == "malformed"


def test_trust_anchors_come_from_inline_pem_or_a_file(tmp_path: Path) -> None:
    root = pki.root()
    text = pem_bundle([root.certificate])
    inline = get_settings().model_copy(update={"trusted_certificates": text})
    assert trust_anchors(inline) == [root.certificate]
    path = tmp_path / "anchors.pem"
    path.write_text(text)
    from_file = get_settings().model_copy(update={"trusted_certificates": str(path)})
    assert trust_anchors(from_file) == [root.certificate]
    assert trust_anchors(get_settings().model_copy(update={"trusted_certificates": None})) == []


def test_a_setting_without_certificates_is_refused_at_start(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from pydantic import ValidationError

    from app.config import Settings

    monkeypatch.setenv("STAPEL_TRUSTED_CERTIFICATES", "/nonexistent/anchors.pem")
    with pytest.raises(ValidationError, match="trusted_certificates"):
        Settings()
