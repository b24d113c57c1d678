"""Static sentence vectors (model2vec-style) for story grouping: numpy and ``tokenizers``.

Why static vectors: two outlets word one event differently ("Starbucks aims to enter NFT
business" / "Starbucks announces NFT initiative"), and word overlap misses them. A
static model is one row per token, distilled from a sentence transformer
(all-MiniLM-L6-v2, Apache-2.0) by ``bench/distil_embeddings.py``: a text's vector is the
mean of its tokens' rows minus the corpus mean, normalised. No network, no torch: about
20 µs per text. The files live in ``bot/data/story_vectors/`` (decision 018).
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from importlib import resources
from pathlib import Path

import numpy as np

MAX_TEXT_CHARS = 1500  # a title + lead; longer input is cut (bounded work per article)
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

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """One unit-length float32 row per text (a zero row when no token is known)."""
        out = np.zeros((len(texts), self.dims), dtype=np.float32)
        cut = [t[:MAX_TEXT_CHARS] for t in texts]
        for i, encoding in enumerate(self.tokenizer.encode_batch(cut, add_special_tokens=False)):
            ids = [t for t in encoding.ids if t != self.unknown]
            if not ids:
                continue
            vector = self.rows[ids].mean(axis=0)
            norm = float(np.linalg.norm(vector))
            if norm == 0.0:
                continue
            vector = vector / norm - self.mean
            norm = float(np.linalg.norm(vector))
            if norm > 0.0:
                out[i] = vector / norm
        return out


@cache
def default_embedder() -> StaticEmbedder:
    """The shipped model (bot/data/story_vectors), loaded on first use in each process."""
    folder = resources.files("bot").joinpath("data", "story_vectors")
    return StaticEmbedder(Path(str(folder)))


def to_bytes(vector: np.ndarray) -> bytes:
    return vector.astype(VECTOR_DTYPE).tobytes()


def from_bytes(raw: bytes) -> np.ndarray:
    return np.frombuffer(raw, dtype=VECTOR_DTYPE).astype(np.float32)
