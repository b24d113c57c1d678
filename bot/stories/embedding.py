"""Static sentence vectors (model2vec-style) for story grouping: numpy and ``tokenizers``.

Why static vectors: two outlets word one event differently ("Starbucks aims to enter NFT
business" / "Starbucks announces NFT initiative"), and word overlap misses them. A
static model is one row per token, distilled from a sentence transformer
(all-MiniLM-L6-v2, Apache-2.0) by ``bench/distil_embeddings.py``: a text's vector is the
mean of its tokens' rows minus the corpus mean, normalised. No network, no torch: about
20 µs per text. The files live in ``bot/data/story_vectors/`` (decision 018).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from functools import cache, lru_cache
from importlib import resources
from pathlib import Path

import numpy as np

MAX_TEXT_CHARS = 1500  # a title + lead; longer input is cut (bounded work per article)
CHUNK_CACHE = 1 << 16  # whitespace chunks whose token ids are remembered
RECENT_TEXTS = 64  # texts whose vectors are remembered (the same headline, moments apart)
VECTOR_DTYPE = np.float16  # stored form (bytes in story_members.vector)


class StaticEmbedder:
    """Token rows + tokenizer, loaded once per process (a few MB, read-only)."""

    def __init__(self, folder: Path) -> None:
        from tokenizers import Tokenizer

        self.tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        self.tokenizer.no_truncation()
        self.tokenizer.no_padding()
        rows = np.load(folder / "vectors.npy")
        scales = np.load(folder / "scales.npy").astype(np.float32)
        self.rows = rows.astype(np.float32) * scales[:, None]
        self.mean = np.load(folder / "mean.npy").astype(np.float32)
        self.dims = int(self.rows.shape[1])
        self.unknown = self.tokenizer.token_to_id("[UNK]")
        # bounded: a hostile stream of new words cannot grow it forever
        self._chunk_ids = lru_cache(maxsize=CHUNK_CACHE)(self._encode_chunk)
        # an article's headline is embedded twice in a row (sentiment, then story features)
        self._recent = lru_cache(maxsize=RECENT_TEXTS)(self._vector)

    def token_ids(self, text: str) -> list[int]:
        """The tokenizer's ids for ``text`` (unknown tokens dropped), one whitespace chunk
        at a time through a cache: headlines reuse few words, and a whole-text ``encode``
        cost ~100 µs (``encode_batch`` more: its worker threads spin on a busy machine).
        Chunking at whitespace gives the same ids: BERT pre-tokenizes at whitespace first,
        and no added token spans a space."""
        ids: list[int] = []
        for chunk in text[:MAX_TEXT_CHARS].split():
            ids.extend(self._chunk_ids(chunk))
        return ids

    def _encode_chunk(self, chunk: str) -> tuple[int, ...]:
        encoded = self.tokenizer.encode(chunk, add_special_tokens=False).ids
        return tuple(t for t in encoded if t != self.unknown)

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """One unit-length float32 row per text (a zero row when no token is known)."""
        out = np.zeros((len(texts), self.dims), dtype=np.float32)
        for i, text in enumerate(texts):
            vector = self._recent(text)
            if vector is not None:
                out[i] = vector
        return out

    def _vector(self, text: str) -> np.ndarray | None:
        ids = self.token_ids(text)
        if not ids:
            return None
        vector = self.rows[ids].sum(axis=0)
        # math.sqrt of the float32 sum, not np.sqrt: one numpy call less per norm, and the
        # same float32 divisor (a correctly rounded double square root, rounded to float32
        # by the division, is the correctly rounded float32 one; decision 048)
        norm = math.sqrt((vector * vector).sum())
        if norm == 0.0:
            return None
        vector /= norm
        vector -= self.mean
        norm = math.sqrt((vector * vector).sum())
        if norm == 0.0:
            return None
        vector /= norm
        vector.flags.writeable = False  # shared by the texts' later callers
        return vector


@cache
def default_embedder() -> StaticEmbedder:
    """The shipped model (bot/data/story_vectors), loaded on first use in each process."""
    folder = resources.files("bot").joinpath("data", "story_vectors")
    return StaticEmbedder(Path(str(folder)))


def to_bytes(vector: np.ndarray) -> bytes:
    return vector.astype(VECTOR_DTYPE).tobytes()


def from_bytes(raw: bytes) -> np.ndarray:
    return np.frombuffer(raw, dtype=VECTOR_DTYPE).astype(np.float32)
