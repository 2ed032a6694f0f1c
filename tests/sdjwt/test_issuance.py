from __future__ import annotations

import pytest

from app.sdjwt.disclosures import SD_ALG
from app.sdjwt.issuance import conceal, serialise
from app.sdjwt.presentation import reveal, split


def test_concealed_claims_come_back_from_their_disclosures() -> None:
    payload, disclosures = conceal({"iss": "https://i.example"}, {"a": 1, "b": {"c": [1, 2]}})
    assert payload["_sd_alg"] == SD_ALG
    assert "a" not in payload
    assert "b" not in payload
    assert reveal(payload, [d.encoded for d in disclosures]).claims == {
        "iss": "https://i.example",
        "a": 1,
        "b": {"c": [1, 2]},
    }


def test_digests_are_padded_with_decoys_in_blocks_and_sorted() -> None:
    payload, disclosures = conceal({}, {f"claim{i}": i for i in range(3)})
    digests = payload["_sd"]
    assert len(digests) % 8 == 0
    assert len(digests) >= len(disclosures) + 2
    assert digests == sorted(digests)
    assert len(set(digests)) == len(digests)


def test_each_issuance_salts_afresh() -> None:
    first, _ = conceal({}, {"a": 1})
    second, _ = conceal({}, {"a": 1})
    assert set(first["_sd"]).isdisjoint(second["_sd"])


def test_a_claim_cannot_be_both_visible_and_disclosable() -> None:
    with pytest.raises(ValueError, match="both"):
        conceal({"a": 1}, {"a": 2})


def test_the_serialisation_ends_with_a_tilde_without_key_binding() -> None:
    _, disclosures = conceal({}, {"a": 1, "b": 2})
    text = serialise("h.p.s", disclosures)
    assert text.endswith("~")
    assert text.count("~") == 3
    assert split(text).disclosures == [d.encoded for d in disclosures]
