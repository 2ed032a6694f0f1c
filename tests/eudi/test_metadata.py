from __future__ import annotations

from app.eudi.metadata import issuer_metadata_url


def test_the_well_known_part_goes_between_host_and_path() -> None:
    assert (
        issuer_metadata_url("https://stapel.example/issuers/hva")
        == "https://stapel.example/.well-known/jwt-vc-issuer/issuers/hva"
    )


def test_an_issuer_without_a_path_has_its_metadata_at_the_bare_well_known_address() -> None:
    assert (
        issuer_metadata_url("https://issuer.example")
        == "https://issuer.example/.well-known/jwt-vc-issuer"
    )
