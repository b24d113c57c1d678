"""Add coins from a saved public coin list to ``bot/data/coins.tsv`` (data only).

    # 1. save a list once, by hand, from any public source, for example CoinGecko's
    #    /api/v3/coins/markets?vs_currency=usd&per_page=250 (a JSON list of objects with
    #    "symbol", "name" and "market_cap_rank"); a CSV with symbol,name[,rank] works too
    # 2. merge it (no network: the bot never fetches coin lists at run time)
    python -m bench.build_coins saved_markets.json --top 300 --dry-run
    python -m bench.build_coins saved_markets.json --top 300

Existing rows are never changed (their guards and aliases were chosen by hand); a coin
whose ticker is already known is skipped. New rows are cautious: a ticker of one or two
letters gets guard ``none`` ($TICKER or (TICKER) only), a ticker of letters only gets
``ctx`` (also "TICKER price", "TICKER rises 5%"), one with digits ``plain``. The name is
added in exact case when it is one word ("~Kaspa"), in any case when it is several.
Review the appended block before committing it; see docs/coins-data.md.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from datetime import UTC, datetime
from pathlib import Path

COINS = Path(__file__).resolve().parents[1] / "bot" / "data" / "coins.tsv"


def read_list(path: Path) -> list[tuple[int, str, str]]:
    """(rank, SYMBOL, name) rows of a saved JSON or CSV coin list, best rank first."""
    text = path.read_text(encoding="utf-8")
    if path.suffix.lower() == ".json":
        rows = [
            (r.get("market_cap_rank"), r.get("symbol"), r.get("name")) for r in json.loads(text)
        ]
    else:
        rows = [
            (r.get("rank"), r.get("symbol"), r.get("name"))
            for r in csv.DictReader(text.splitlines())
        ]
    out = []
    for i, (rank, symbol, name) in enumerate(rows):
        if symbol and name:
            out.append(
                (int(rank) if str(rank or "").isdigit() else 10**6 + i, symbol.upper(), name)
            )
    return sorted(out)


def known_tickers(text: str) -> set[str]:
    known: set[str] = set()
    for line in text.splitlines():
        if line.strip() and not line.startswith("#"):
            known.update(line.split("\t")[0].split("|"))
    return known


def new_row(symbol: str, name: str) -> str | None:
    if not symbol.isalnum() or "\t" in name or "|" in name:
        return None
    guard = "none" if len(symbol) <= 2 else "ctx" if symbol.isalpha() else "plain"
    words = name.split()
    names = f"~{name}" if len(words) == 1 else " ".join(w.lower() for w in words)
    if name.upper() == symbol:
        names = "-"
    return f"{symbol}\t{guard}\t{names}\t-"


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("saved_list", type=Path)
    parser.add_argument("--top", type=int, default=300, help="only coins ranked up to this")
    parser.add_argument("--dry-run", action="store_true", help="print the rows, change nothing")
    args = parser.parse_args(argv)
    text = COINS.read_text(encoding="utf-8")
    known = known_tickers(text)
    added = []
    for rank, symbol, name in read_list(args.saved_list):
        if rank > args.top or symbol in known:
            continue
        row = new_row(symbol, name)
        if row:
            added.append(row)
            known.add(symbol)
    print("\n".join(added) or "nothing new")
    if added and not args.dry_run:
        stamp = datetime.now(UTC).date().isoformat()
        block = f"# Added by bench/build_coins.py from {args.saved_list.name} on {stamp}.\n"
        COINS.write_text(text.rstrip("\n") + "\n" + block + "\n".join(added) + "\n", "utf-8")
        print(f"appended {len(added)} coins to {COINS}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
