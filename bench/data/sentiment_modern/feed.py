"""The pieces select.py and select_more.py share: outlets dropped, title key, row, split."""

import hashlib
import html

# General-fintech outlets whose items are rarely about crypto (and the feed's "Admin").
FINTECH = set(
    "Finextra|PYMNTS|Financial IT|Banking Dive|Payments Dive|Tearsheet|Finovate"
    "|The Fintech Times|Crowdfund Insider|Admin".split("|")
)


def norm(title: str) -> str:
    """HTML entities decoded, whitespace collapsed (the TSV's title)."""
    return " ".join(html.unescape(title).split())


def key(title: str) -> str:
    """The TSV's title_sha1: first 12 hex of sha1 of the normalised title."""
    return hashlib.sha1(norm(title).encode()).hexdigest()[:12]


def utd_row(a: dict) -> dict:
    """One Up-to-date-news article object (with _commit/_path of first sight) as a row."""
    return dict(
        title=a["title"],
        summary=a.get("summary") or "",
        url=a["link"],
        source=a["source"],
        date=a["pubDate"],
        repo="Up-to-date-news/cryptonews",
        commit=a["_commit"],
        path=a["_path"],
    )


def split_of(url: str) -> str:
    """tune when the last hex digit of sha1("split:" + url) is even, else holdout."""
    digit = int(hashlib.sha1(("split:" + url).encode()).hexdigest()[-1], 16)
    return "tune" if digit % 2 == 0 else "holdout"
