"""One tokeniser shared by tagging, sentiment and the language guess.

``\\$?\\w+`` keeps cashtags whole; an apostrophe suffix is its own token ("Bitcoin's" ->
"Bitcoin", "'s"; "isn't" -> "isn", "'t", which the sentiment model reads as a negator);
sentence and clause punctuation is a token only before a space, so "Crypto.com" stays
two words, not a sentence end. Tokenising once per article is most of the speed of
enrichment.
"""

from __future__ import annotations

import re

TOKEN = re.compile(r"\$?\w+|['’]\w+|[.!?;:,](?=\s|$)")


def tokenize(text: str) -> tuple[list[str], list[str]]:
    """The tokens as written and in lower case (curly apostrophes made straight)."""
    raw = TOKEN.findall(text)
    if not raw:
        return raw, []
    low = "\x00".join(raw).lower().replace("’", "'").split("\x00")
    return raw, low
