"""Catalog lookup: ``_("text {name}", name=x)`` translated for the call's locale.

Placeholders are ``str.format`` names so a translator can move them; ``N_`` only marks a
text for extraction (command descriptions are translated when shown, not when defined).
"""

from __future__ import annotations

import contextvars
import gettext
import re
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path

from babel import Locale
from babel.support import Translations

DOMAIN = "cryptowire"
LOCALE_DIR = Path(__file__).with_name("locales")
DEFAULT = "en"
# Shipped languages: catalog name -> the name users see (in that language).
LANGUAGES: dict[str, str] = {
    "en": "English",
    "es": "Español",
    "pt_BR": "Português (Brasil)",
    "ru": "Русский",
    "uk": "Українська",
    "tr": "Türkçe",
    "de": "Deutsch",
    "fr": "Français",
    "zh_Hans": "简体中文",
    "ja": "日本語",
    "ko": "한국어",
    "vi": "Tiếng Việt",
    "id": "Bahasa Indonesia",
}
_BY_LOWER = {code.lower(): code for code in LANGUAGES}
# Platform codes that do not name a catalog by themselves (Telegram's IETF tags, Discord's
# locales): every Chinese variant reads the Simplified catalog, every Portuguese the Brazilian.
_ALIASES = {
    "zh": "zh_Hans",
    "zh_cn": "zh_Hans",
    "zh_sg": "zh_Hans",
    "zh_hans": "zh_Hans",
    "zh_hans_cn": "zh_Hans",
    "zh_hant": "zh_Hans",
    "zh_tw": "zh_Hans",
    "zh_hk": "zh_Hans",
    "pt": "pt_BR",
    "pt_pt": "pt_BR",
    "in": "id",  # Java's old code for Indonesian, still sent by some Android clients
}
_SEPARATORS = re.compile(r"[-_\s]+")
_LOCALE: contextvars.ContextVar[str] = contextvars.ContextVar("cryptowire_locale", default=DEFAULT)


def normalize(code: str | None) -> str | None:
    """A shipped catalog for a platform's language code (``es-419``, ``zh-hans``, ``pt-BR``),
    or None when we do not ship that language."""
    if not code:
        return None
    key = _SEPARATORS.sub("_", code.strip().lower())[:20]
    if key in _BY_LOWER:
        return _BY_LOWER[key]
    if key in _ALIASES:
        return _ALIASES[key]
    base = key.split("_", 1)[0]
    return _BY_LOWER.get(base) or _ALIASES.get(base)


def language_name(code: str) -> str:
    return LANGUAGES.get(code, code)


@cache
def translations(code: str) -> gettext.NullTranslations:
    """The compiled catalog of one language (English: the source texts themselves)."""
    if code == DEFAULT:
        return gettext.NullTranslations()
    return Translations.load(str(LOCALE_DIR), [code], domain=DOMAIN)


@cache
def babel_locale(code: str) -> Locale:
    return Locale.parse("zh_Hans_CN" if code == "zh_Hans" else code)


def current() -> str:
    """The locale of the call being served."""
    return _LOCALE.get()


@contextmanager
def use_locale(code: str | None) -> Iterator[str]:
    """Serve the enclosed code in ``code``: a language we do not ship is English, None keeps
    the language already in force. Restored on the way out, so concurrent tasks never see
    each other's language."""
    chosen = _LOCALE.get() if code is None else normalize(code) or DEFAULT
    token = _LOCALE.set(chosen)
    try:
        yield chosen
    finally:
        _LOCALE.reset(token)


def _(message: str, /, **values: object) -> str:
    """``message`` in the call's language, its ``{placeholders}`` filled from ``values``."""
    text = translations(_LOCALE.get()).gettext(message)
    return text.format(**values) if values else text


def _n(singular: str, plural: str, count: int, /, **values: object) -> str:
    """The plural form for ``count`` (``{count}`` is always available to the text)."""
    text = translations(_LOCALE.get()).ngettext(singular, plural, count)
    return text.format(count=count, **values)


def N_(message: str) -> str:
    """Mark ``message`` for extraction; it is translated later, where it is shown."""
    return message
