"""SHA-256 without loading OpenSSL.

:mod:`hashlib` loads OpenSSL's libcrypto on import, some 3.5 ms of a
one-patch ``reviewbot check`` that hashes a few short strings (finding
fingerprints, cache names).  CPython also builds its own SHA-256 module,
which loads in a fraction of that; the digests are the same.
"""

from __future__ import annotations

try:
    from _sha2 import sha256  # type: ignore[import-not-found]  # CPython 3.12 and later
except ImportError:
    try:
        from _sha256 import sha256  # type: ignore[import-not-found,no-redef]  # CPython 3.11
    except ImportError:  # a Python built without them
        from hashlib import sha256  # type: ignore[assignment]

__all__ = ["sha256", "sha256_hex"]


def sha256_hex(text: str) -> str:
    """The SHA-256 of ``text`` (UTF-8), in hex."""
    return sha256(text.encode("utf-8")).hexdigest()
