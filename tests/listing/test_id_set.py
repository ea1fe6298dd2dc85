"""IdSet answers like a set of integers, whatever IDs a server sends."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from bbpr.id_set import BITMAP_IDS, IdSet

IDS = st.one_of(st.integers(0, 5000), st.integers(-(10**12), 10**12),
                st.sampled_from([0, BITMAP_IDS - 1, BITMAP_IDS, -1]))


@given(st.lists(IDS, max_size=300), st.lists(IDS, max_size=50))
def test_like_a_set(added: list[int], asked: list[int]) -> None:
    ids, reference = IdSet(), set()
    for number in added:
        ids.add(number)
        reference.add(number)
    assert len(ids) == len(reference)
    for number in [*added, *asked]:
        assert (number in ids) == (number in reference)


def test_dense_ids_take_a_bit_each() -> None:
    ids = IdSet()
    for number in range(1, 200_001):
        ids.add(number)
    assert len(ids) == 200_000 and 200_000 in ids and 200_001 not in ids
    assert len(ids._bits) <= 2 * (200_001 // 8 + 1)


def test_a_huge_id_does_not_grow_the_bitmap() -> None:
    ids = IdSet()
    ids.add(10**12)
    ids.add(-5)
    assert 10**12 in ids and -5 in ids and len(ids) == 2
    assert len(ids._bits) == 0
