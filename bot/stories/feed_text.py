"""Feed boilerplate around a summary, removed before story grouping reads it (decision 041).

Why: feeds and aggregators wrap a summary in text of their own: "The post <title> appeared
first on <outlet>." (often at the start, before the real summary), "Read The Full Article
<title> On <outlet>", 'Continue reading "<title>"', "[…]". It repeats the headline and
names the outlet, so two unrelated pieces of one outlet shared rare words and meaning.
Not ``bot.enrich.boilerplate``: it drops the whole sentence around a marker, which for
"The post <title> appeared first on Coinpedia Fintech News <summary's first sentence>" is
the news itself, and it keeps "Read The Full Article ... On Coin Edition" and "[…]".
"""

from __future__ import annotations

import re

BOILERPLATE = re.compile(
    r"The post .{0,300}? appeared first on (?:Coinpedia Fintech News|.{0,40}?(?:\.(?=\s|$)|$))"
    r"|Read [Tt]he [Ff]ull [Aa]rticle .{0,300}? [Oo]n [A-Z][\w.]*(?: [A-Z][\w.]*)?\.?\s*$"
    r"|Continue reading\s*[\"“].{0,300}?[\"”]"
    r"|\[(?:…|\.\.\.|&#8230;)\]"
)


def strip_boilerplate(text: str) -> str:
    """The summary without its feed boilerplate (a cheap test first: most have none)."""
    if "appeared first" not in text and "ead" not in text and "[" not in text:
        return text
    return " ".join(BOILERPLATE.sub(" ", text).split())
