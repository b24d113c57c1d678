"""What a parse worker sends back survives the trip between processes unchanged, and the
main process passes the first pass's results on without rebuilding them (decision 048):
the same articles, features (vectors to the bit), bands and fields as inline, while the
vectors travel as raw bytes and the first pass's fields as one sealed blob."""

from __future__ import annotations

import pickle

import numpy as np

from bot.ingest.prefetch import Dated, Parsed, finish_one, read_one
from tests.test_ingest_streamed import _documents

MAX_BYTES = 4 << 20


def _features_equal(a: object, b: object) -> bool:
    assert a is not None and b is not None
    for name in a.__dataclass_fields__:  # type: ignore[attr-defined]
        x, y = getattr(a, name), getattr(b, name)
        if isinstance(x, np.ndarray):
            if not (x.dtype == y.dtype and x.shape == y.shape and x.tobytes() == y.tobytes()):
                return False
        elif x != y:
            return False
    return True


def test_second_pass_results_cross_processes_unchanged():
    documents = _documents(40)
    parsed = [finish_one(read_one(d, MAX_BYTES)) for d in documents]
    back: list[Parsed] = pickle.loads(pickle.dumps(parsed, pickle.HIGHEST_PROTOCOL))
    for before, after in zip(parsed, back, strict=True):
        assert after.article == before.article
        assert after.identity == before.identity and after.bands == before.bands
        assert _features_equal(before.features, after.features)
        assert after.features.profile == before.features.profile  # compare=False in ==
        assert after.features.figures.large == before.features.figures.large
    # the vectors travel as their bytes, not through numpy's own pickle (~3x dearer)
    assert b"_reconstruct" not in pickle.dumps(parsed[0].features)


def test_first_pass_results_are_passed_on_sealed():
    documents = _documents(12)
    dated = [read_one(d, MAX_BYTES) for d in documents]
    from_worker = pickle.dumps(dated, pickle.HIGHEST_PROTOCOL)
    in_main: list[Dated] = pickle.loads(from_worker)
    # the main process reads only the order keys: the fields stay one blob
    assert all(d.read is not None and d.read._value is None for d in in_main)
    assert [(d.when, d.size) for d in in_main] == [(d.when, d.size) for d in dated]
    to_worker = pickle.dumps(in_main, pickle.HIGHEST_PROTOCOL)
    in_worker: list[Dated] = pickle.loads(to_worker)
    for before, after in zip(dated, in_worker, strict=True):
        assert after.fields == before.fields and after.moment == before.moment
        assert finish_one(after).article == finish_one(before).article
