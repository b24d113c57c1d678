"""The shipped catalogs: every message translated in every language, placeholders, markup
and command names kept, compiled files current, and every translation within the
platforms' limits (Telegram 4096 / menu 256, Discord descriptions 100)."""

from __future__ import annotations

import io
import re
from functools import cache
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir, extract_python
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

from bot.i18n import LANGUAGES, _, use_locale
from bot.i18n.catalog import DOMAIN, LOCALE_DIR

ROOT = Path(__file__).resolve().parents[1]
KEYWORDS = {"_": None, "N_": None, "_n": (1, 2), "L": None, "gettext": None}
SHIPPED = [code for code in LANGUAGES if code != "en"]
PLACEHOLDER = re.compile(r"\{[a-z_]*\}")
MARKUP = re.compile(r"</?[a-z]+>")
COMMAND = re.compile(r"(?<![\w/])/[a-z_]{2,}")


@cache
def source_messages() -> dict[str, tuple[str, ...]]:
    """Every text the code marks for translation, freshly extracted (msgid -> all forms)."""
    found: dict[str, tuple[str, ...]] = {}
    method_map = [("bot/**.py", "python"), ("adapters/**.py", "python")]
    for _file, _line, message, _comments, _context in extract_from_dir(
        str(ROOT), method_map, keywords=KEYWORDS
    ):
        forms = (message,) if isinstance(message, str) else tuple(message)
        if forms[0]:
            found[forms[0]] = forms
    return found


@cache
def slash_texts() -> list[str]:
    """Discord's slash-command texts (descriptions, option descriptions, choice names)."""
    path = ROOT / "adapters" / "discord" / "slash.py"
    with path.open("rb") as handle:
        found = extract_python(handle, ["L"], [], {})
        return [message for _line, _func, message, _comments in found if message]


def catalog(code: str) -> Catalog:
    path = LOCALE_DIR / code / "LC_MESSAGES" / f"{DOMAIN}.po"
    with path.open("rb") as handle:
        return read_po(handle, locale=code)


def signature(text: str) -> tuple[tuple[str, ...], ...]:
    return (
        tuple(sorted(PLACEHOLDER.findall(text))),
        tuple(sorted(MARKUP.findall(text))),
        tuple(sorted(set(COMMAND.findall(text)))),
    )


def problems(source: dict[str, tuple[str, ...]], cat: Catalog) -> list[str]:
    """What a translator must fix: missing, fuzzy, or a translation whose placeholders,
    markup or command names differ from the English."""
    found = []
    for msgid, forms in source.items():
        message = cat.get(msgid)
        if message is None:
            found.append(f"missing: {msgid!r}")
            continue
        strings = (message.string,) if isinstance(message.string, str) else message.string
        if message.fuzzy or not all(strings):
            found.append(f"untranslated: {msgid!r}")
            continue
        for string in strings:
            wanted = {signature(form) for form in forms}
            if signature(string) not in wanted:
                found.append(f"differs: {msgid!r} -> {string!r}")
    return found


def test_the_code_marks_its_words_for_translation():
    source = source_messages()
    assert len(source) > 200
    assert "Search the archive" in source  # a command description (N_ in the core)
    assert "Only this tag, e.g. BTC" in source  # a Discord option description (L)
    assert "🚨 <b>BREAKING</b>" in source  # an alert label


@pytest.mark.parametrize("code", SHIPPED)
def test_every_message_is_translated_with_the_same_placeholders(code: str):
    assert problems(source_messages(), catalog(code)) == []


def test_the_check_fails_on_a_missing_or_broken_translation():
    source = {"Removed subscription #{id}.": ("Removed subscription #{id}.",)}
    source |= {"🚨 <b>BREAKING</b>": ("🚨 <b>BREAKING</b>",), "try /help": ("try /help",)}
    broken = Catalog(locale="de")
    broken.add("Removed subscription #{id}.", "Abo #{nummer} entfernt.")
    broken.add("🚨 <b>BREAKING</b>", "🚨 EILMELDUNG")
    assert len(problems(source, broken)) == 3  # placeholder, markup, missing
    broken.add("try /help", "versuch /hilfe")
    assert any("versuch /hilfe" in p for p in problems(source, broken))


@pytest.mark.parametrize("code", SHIPPED)
def test_compiled_catalogs_match_their_sources(code: str):
    """The .mo the package loads is the .po compiled (``make i18n`` was run)."""
    buffer = io.BytesIO()
    write_mo(buffer, catalog(code))
    buffer.seek(0)
    fresh = Translations(buffer, domain=DOMAIN)
    shipped = Translations.load(str(LOCALE_DIR), [code], domain=DOMAIN)
    assert isinstance(shipped, Translations), f"no compiled catalog for {code}"
    assert shipped._catalog == fresh._catalog


def test_every_shipped_language_has_a_catalog():
    on_disk = {p.parent.parent.name for p in LOCALE_DIR.glob(f"*/LC_MESSAGES/{DOMAIN}.mo")}
    assert on_disk == set(SHIPPED)


@pytest.mark.parametrize("code", SHIPPED)
def test_translations_fit_the_platform_limits(code: str):
    from adapters.discord.locales import MAX_DESCRIPTION
    from adapters.telegram.menu import MAX_DESCRIPTION as MENU_MAX
    from bot.commands.handler import COMMANDS

    with use_locale(code):
        for spec in COMMANDS:
            assert 1 <= len(spec.described()) <= min(MAX_DESCRIPTION, MENU_MAX), spec.name
        for text in slash_texts():
            assert 1 <= len(_(text)) <= MAX_DESCRIPTION, (text, _(text))
        for message in catalog(code):
            strings = (message.string,) if isinstance(message.string, str) else message.string
            assert all(len(string) <= 4096 for string in strings), message.id


def test_lookups_follow_the_call_not_the_process():
    with use_locale("de"):
        german = _("Search the archive")
        with use_locale("ja"):
            japanese = _("Search the archive")
        assert _("Search the archive") == german
    assert _("Search the archive") == "Search the archive"
    assert german != japanese != "Search the archive"


def test_every_command_description_is_marked_for_translation():
    """A command added with a plain string would stay English in every menu."""
    from bot.commands.handler import COMMANDS

    source = source_messages()
    assert [spec.name for spec in COMMANDS if spec.description not in source] == []
