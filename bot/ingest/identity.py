"""Which stored article a new document is, and whether a reader would see a change.

``identity_keys`` lists every key an article can be recognised by, strongest first
(same external id of the same source, same canonical URL, same source + normalised
title); ``identity_key`` is the first of them. The archive looks an article up by
all of its keys, so a re-delivery that lost its external id still matches by URL.
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from bot.models import Article

MAX_KEY = 512
_PART_LIMIT = 200
_TRACKING_EXACT = frozenset(
    {
        "ref",
        "ref_src",
        "ref_url",
        "referrer",
        "fbclid",
        "gclid",
        "dclid",
        "msclkid",
        "mc_cid",
        "mc_eid",
        "igshid",
        "yclid",
        "_ga",
        "_gl",
        "cmpid",
        "spm",
    }
)
_DEFAULT_PORTS = {"http": 80, "https": 443}


def _is_tracking(name: str) -> bool:
    lowered = name.lower()
    return lowered.startswith(("utm_", "hsa_", "pk_")) or lowered in _TRACKING_EXACT


def canonical_url(url: str) -> str:
    """Lower-case scheme and host, no ``www.``, default port, fragment, tracking parameters
    (``utm_*``, ``ref``, ``fbclid``...) or trailing slash; remaining parameters sorted."""
    text = url.strip()
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:
        return text
    if not parts.scheme or not parts.hostname:
        return text
    scheme = parts.scheme.lower()
    host = parts.hostname.lower().rstrip(".")
    host = host.removeprefix("www.")
    if ":" in host:
        host = f"[{host}]"
    netloc = host if port is None or port == _DEFAULT_PORTS.get(scheme) else f"{host}:{port}"
    path = re.sub(r"/{2,}", "/", parts.path).rstrip("/")
    query = [
        (k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not _is_tracking(k)
    ]
    return urlunsplit((scheme, netloc, path, urlencode(sorted(query)), ""))


_PUNCT = re.compile(r"[^\w\s]")


def normalised_title(title: str) -> str:
    """Case, accents, punctuation, spacing removed: "Bitcoin's $92K dip!" -> "bitcoins 92k dip"."""
    if title.isascii():
        text = title.lower()
    else:
        text = unicodedata.normalize("NFKD", title)
        text = "".join(ch for ch in text if not unicodedata.combining(ch)).casefold()
    text = text.replace("’", "").replace("'", "")
    return " ".join(_PUNCT.sub(" ", text).split())


def _part(text: str) -> str:
    """Long parts are replaced by their hash so a key never exceeds ``MAX_KEY``."""
    if len(text) <= _PART_LIMIT:
        return text
    return "h" + hashlib.sha256(text.encode("utf-8")).hexdigest()


def identity_keys(article: Article) -> tuple[str, ...]:
    """Every key this article is known by, strongest first (each <= 512 characters)."""
    keys: list[str] = []
    source = _part(article.source_key)
    if article.external_id:
        keys.append(f"id:{source}:{_part(article.external_id.strip())}")
    if article.url:
        canonical = canonical_url(article.url)
        without_scheme = canonical.split("://", 1)[-1]
        keys.append(f"url:{_part(without_scheme)}")
    keys.append(f"title:{source}:{_part(normalised_title(article.title))}")
    return tuple(key[:MAX_KEY] for key in keys)


def identity_key(article: Article) -> str:
    """The strongest identity: external id, else canonical URL, else source + title."""
    return identity_keys(article)[0]


# Everything a reader can see of an article, as the source stated it. Fields listed in
# ``article.inferred`` are left out: they derive from the stated text (so a change there
# already changes the hash), a defaulted ``published_at`` is the time of parsing (the
# same file parsed twice must stay a duplicate), and a better lexicon after a deploy must
# not turn every re-delivered feed item into an "update".
_VISIBLE = (
    "title",
    "summary",
    "body",
    "url",
    "source_key",
    "source_name",
    "published_at",
    "updated_at",
    "lang",
    "tags",
    "sentiment",
    "image_url",
    "sticky_weight",
    "draft",
)


# One encoder for every hash (``json.dumps`` with these options builds a new one per call).
_ENCODE = json.JSONEncoder(sort_keys=True, ensure_ascii=False, default=str).encode


def content_hash(article: Article) -> str:
    """sha256 hex over the visible fields: identical content -> identical hash."""
    payload: dict[str, object] = {}
    inferred = article.inferred
    for name in _VISIBLE:
        if name in inferred:
            continue
        value = getattr(article, name)
        if hasattr(value, "isoformat"):
            value = value.isoformat()
        elif isinstance(value, tuple):
            value = list(value)
        payload[name] = value
    if article.retracted:  # only when set, so the hashes of everything else stay as they were
        payload["retracted"] = True
    return hashlib.sha256(_ENCODE(payload).encode("utf-8")).hexdigest()
