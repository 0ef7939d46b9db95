"""Pseudonyms for analysts: a keyed hash of the prison number, the same for a man in every export.

The key (at least 16 bytes) lives outside the database (``DESIST_PSEUDONYM_KEY`` or
``DESIST_PSEUDONYM_KEY_FILE``): a copy of the database alone cannot turn pseudonyms back into prison
numbers, not even by hashing every possible number, and a new key gives unlinkable pseudonyms.

Example
-------
>>> pseudonym(b"0123456789abcdef-demo-key", "A1234BC")
'P-064F3861BE'
"""

from __future__ import annotations

import hashlib
import hmac

MIN_KEY_BYTES = 16
#: hex digits shown (40 bits: unique across tens of thousands of men with a negligible chance of a clash)
DIGITS = 10


def pseudonym(key: bytes, prison_number: str) -> str:
    """``P-`` and the first ten hex digits of HMAC-SHA256(key, the prison number in capitals)."""
    if len(key) < MIN_KEY_BYTES:
        raise ValueError(f"a pseudonym key needs at least {MIN_KEY_BYTES} bytes")
    normal = prison_number.strip().upper().encode("utf-8")
    return "P-" + hmac.new(key, normal, hashlib.sha256).hexdigest()[:DIGITS].upper()
