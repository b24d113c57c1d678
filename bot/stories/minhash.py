"""MinHash signatures and LSH band keys of an article's content words (story grouping's
candidate look-up, decision 010), exact and vectorised; moved out of ``grouping`` with
decision 048, which remembers token columns and band keys across articles.

Band keys are stored: a change here would stop new articles from finding the stories
already in a database (tests/test_stories_minhash.py pins both to the integer formulas).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from functools import lru_cache

import numpy as np

NUM_HASHES = 32  # one row per band: a band key is one MinHash value
_MERSENNE = (1 << 61) - 1
_MASK63 = (1 << 63) - 1


def _seed(i: int) -> tuple[int, int]:
    digest = hashlib.blake2b(f"cw-minhash-{i}".encode(), digest_size=16).digest()
    a = int.from_bytes(digest[:8], "big") % _MERSENNE | 1
    b = int.from_bytes(digest[8:], "big") % _MERSENNE
    return a, b


_PERMUTATIONS = tuple(_seed(i) for i in range(NUM_HASHES))
# The same universal hashes as numpy columns, split into 32-bit halves so every partial
# product fits in uint64 (see ``_permuted``).
_A = np.array([a for a, _ in _PERMUTATIONS], dtype=np.uint64)[:, None]
_B = np.array([b for _, b in _PERMUTATIONS], dtype=np.uint64)[:, None]
_A_HI = _A >> np.uint64(32)
_A_LO = _A & np.uint64(0xFFFFFFFF)
_A_HI8 = _A_HI << np.uint64(3)
_P = np.uint64(_MERSENNE)
_LOW32 = np.uint64(0xFFFFFFFF)
_LOW29 = np.uint64((1 << 29) - 1)
_S61, _S32, _S29 = np.uint64(61), np.uint64(32), np.uint64(29)


def _token_hash(token: str) -> int:
    return int.from_bytes(hashlib.blake2b(token.encode(), digest_size=8).digest(), "big")


@lru_cache(maxsize=1 << 15)
def _reduced_token_hash(token: str) -> int:
    """``_token_hash`` mod the Mersenne prime: (a*h + b) mod p only depends on h mod p."""
    return _token_hash(token) % _MERSENNE


def _permuted(hashes: list[int]) -> np.ndarray:
    """(a*h + b) mod (2**61 - 1) for every permutation (rows) and hash h < 2**61
    (columns), exactly, in uint64: with a = a1*2**32 + a0 and h = h1*2**32 + h0,
    a*h = a1*h1*2**64 + (a1*h0 + a0*h1)*2**32 + a0*h0, and 2**61 = 1 mod p folds each
    part below 2**61; their sum stays below 2**64. tests/test_stories_minhash.py pins
    it to the integer formula."""
    x = np.array(hashes, dtype=np.uint64)
    x_hi = x >> _S32
    x_lo = x & _LOW32
    middle = _A_HI * x_lo
    middle += _A_LO * x_hi
    low = _A_LO * x_lo
    total = _A_HI8 * x_hi  # a1*h1*2**64 = a1*h1*8 (mod p), below 2**61
    total += middle >> _S29  # middle*2**32 = (middle >> 29)*2**61 + (middle & 2**29-1)*2**32
    middle &= _LOW29
    middle <<= _S32
    total += middle
    total += low >> _S61
    low &= _P
    total += low
    total += _B
    high = total >> _S61
    total &= _P
    total += high  # now below p + 4: at most one more p to take off
    return np.minimum(total, total - _P)  # uint64: x - p wraps above x when x < p


# token -> its NUM_HASHES permuted hash values (one column of ``_permuted``). Headlines
# reuse a small vocabulary, so a signature is mostly a gather of known columns and one
# minimum; unknown tokens are permuted together, one ``_permuted`` per article at most,
# as before (decision 048). Bounded (~6 MB): cleared when full.
_COLUMNS: dict[str, np.ndarray] = {}
_COLUMNS_MAX = 1 << 14


def minhash(tokens: Iterable[str]) -> tuple[int, ...]:
    """NUM_HASHES minimum hash values of the token set under fixed universal hashes
    ``(a * h + b) % (2**61 - 1)`` of each token's blake2b hash h (numpy, exact)."""
    tokens = list(tokens)
    if not tokens:
        return ()
    known = _COLUMNS
    missing = [t for t in tokens if t not in known]
    if missing:
        if len(known) + len(missing) > _COLUMNS_MAX:
            known.clear()
            missing = list(dict.fromkeys(tokens))
        fresh = _permuted([_reduced_token_hash(t) for t in missing])
        fresh.flags.writeable = False
        known.update(zip(missing, fresh.T, strict=True))
    return tuple(np.array([known[t] for t in tokens]).min(axis=0).tolist())


_BAND_OFFSET = 1 << 62
# blake2b already fed with each band's "i:" prefix: copying one is cheaper than a new hash.
_BAND_PREFIXES = tuple(hashlib.blake2b(b"%d:" % i, digest_size=8) for i in range(NUM_HASHES))


# band -> {value: key}: similar articles share band values (that is what finds their
# story), so in a bulk load ~80 % of them were worked out before. Int-to-int dicts: no
# tuple per look-up, and nothing the cyclic GC walks. Bounded: cleared when full.
_BAND_KEYS: tuple[dict[int, int], ...] = tuple({} for _ in range(NUM_HASHES))
_BAND_KEYS_MAX = 1 << 11  # per band: 65,536 in all


def band_keys(signature: Sequence[int]) -> tuple[int, ...]:
    """One signed 63-bit key per band (band index mixed in), fit for a BIGINT column:
    the blake2b of "{band}:{value}"."""
    keys = []
    for i, value in enumerate(signature):
        known = _BAND_KEYS[i] if i < NUM_HASHES else {}
        key = known.get(value)
        if key is None:
            digest = (
                _BAND_PREFIXES[i].copy()
                if i < NUM_HASHES
                else hashlib.blake2b(b"%d:" % i, digest_size=8)
            )
            digest.update(b"%d" % value)
            if len(known) >= _BAND_KEYS_MAX:
                known.clear()
            key = known[value] = (int.from_bytes(digest.digest(), "big") & _MASK63) - _BAND_OFFSET
        keys.append(key)
    return tuple(keys)
