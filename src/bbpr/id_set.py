"""A set of pull request IDs that costs a bit an ID, not a Python object.

A listing remembers every ID it handed out, so that a repeat a server sends (pages that
shift, a `next` that leads back) is dropped. In a `set` that is about 85 bytes a pull
request: 17 MB for a repository of 200,000, where the rest of a streaming listing needs
about 40 MB in all. Pull request IDs are small positive integers given out in sequence, so a
bitmap holds them in an eighth of a byte each; an ID outside the bitmap's reach (negative,
or absurdly large, as only a lying server sends) goes to an ordinary set instead, so that
no answer can make the bitmap huge.
"""

from __future__ import annotations

BITMAP_IDS = 1 << 24
"""IDs below this live in the bitmap (2 MB at most); others in the overflow set."""


class IdSet:
    """`in`, `add` and `len` for integers, compact for the IDs of one repository."""

    def __init__(self) -> None:
        self._bits = bytearray()
        self._others: set[int] = set()
        self._count = 0

    def __contains__(self, number: object) -> bool:
        if not isinstance(number, int):
            return False
        if 0 <= number < BITMAP_IDS:
            byte = number >> 3
            return byte < len(self._bits) and bool(self._bits[byte] & (1 << (number & 7)))
        return number in self._others

    def add(self, number: int) -> None:
        if number in self:
            return
        self._count += 1
        if not 0 <= number < BITMAP_IDS:
            self._others.add(number)
            return
        byte = number >> 3
        if byte >= len(self._bits):
            wanted = min(max(byte + 1, 2 * len(self._bits)), BITMAP_IDS >> 3)
            self._bits.extend(bytes(wanted - len(self._bits)))
        self._bits[byte] |= 1 << (number & 7)

    def __len__(self) -> int:
        return self._count
