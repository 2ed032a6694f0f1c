"""The keyed permutation from slot numbers to status indexes."""

from __future__ import annotations

import pytest

from app.status_lists.allocation import Permutation, half_width, permutation, permute

KEY = bytes(range(16))
OTHER_KEY = bytes(range(1, 17))


@pytest.mark.parametrize("size", [1000, 131072])
def test_permutation_is_a_bijection_onto_the_list(size: int) -> None:
    index_of = Permutation(KEY, size)
    assert sorted(index_of(slot) for slot in range(size)) == list(range(size))


@pytest.mark.parametrize("size", range(1, 70))
def test_permutation_is_a_bijection_for_every_small_size(size: int) -> None:
    index_of = Permutation(KEY, size)
    assert sorted(index_of(slot) for slot in range(size)) == list(range(size))


def test_permutation_is_not_the_identity_nor_order_preserving() -> None:
    index_of = Permutation(KEY, 131072)
    first = [index_of(slot) for slot in range(1000)]
    assert sum(index == slot for slot, index in enumerate(first)) < 10
    assert first != sorted(first)
    # Consecutive slots land all over the list, not in one neighbourhood.
    assert max(first) - min(first) > 131072 // 2


def test_each_key_gives_another_permutation_and_the_same_key_the_same_one() -> None:
    size = 131072
    ours = [permute(slot, KEY, size) for slot in range(100)]
    assert ours == [Permutation(KEY, size)(slot) for slot in range(100)]
    assert ours != [permute(slot, OTHER_KEY, size) for slot in range(100)]


def test_the_permutation_of_a_list_is_cached() -> None:
    assert permutation(KEY, 131072) is permutation(KEY, 131072)


@pytest.mark.parametrize("slot", [-1, 1000])
def test_slots_outside_the_list_are_refused(slot: int) -> None:
    with pytest.raises(ValueError, match="outside"):
        permute(slot, KEY, 1000)


@pytest.mark.parametrize("size", [0, 2**32 + 1])
def test_impossible_sizes_are_refused(size: int) -> None:
    with pytest.raises(ValueError, match="size"):
        Permutation(KEY, size)


@pytest.mark.parametrize(
    ("size", "domain"),
    [
        (1, 4),
        (4, 4),
        (5, 16),
        (16, 16),
        (17, 64),
        (1000, 1024),
        (131072, 2**18),
        (2**18 + 1, 2**20),
    ],
)
def test_the_feistel_domain_is_the_smallest_even_width_power_of_two_covering_the_list(
    size: int, domain: int
) -> None:
    assert 2 ** (2 * half_width(size)) == domain
