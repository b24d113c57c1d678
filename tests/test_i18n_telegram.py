"""Telegram users in their languages: the real core and storage behind real
python-telegram-bot polling the fake Bot API. Users whose apps say es, de, ru and zh-hans
get answers in those languages; /language switches a chat; setMyCommands is called once
per shipped language."""

from __future__ import annotations

from typing import Any

import pytest

from bot.commands.handler import COMMANDS
from bot.i18n import LANGUAGES
from storage.plugin import SqlStorage
from tests.fakes.telegram_harness import running_adapter
from tests.test_telegram_core import messages, real_core, seed

ALICE, BOB, CAROL, DMITRY, MEI = 9101, 9102, 9103, 9104, 9105
SQLITE_ONLY = pytest.mark.parametrize("backend", ["sqlite"])


def speaker(fake: Any, user_id: int, language_code: str | None) -> Any:
    chat = fake.private_chat(user_id, f"User{user_id}")
    if language_code:
        fake.users[user_id]["language_code"] = language_code
    return chat


@SQLITE_ONLY
async def test_each_user_is_answered_in_the_language_of_their_app(storage: SqlStorage):
    await seed(storage, 3)
    async with running_adapter(real_core(storage), commands=COMMANDS) as (fake, _):
        fake.command(speaker(fake, ALICE, "es"), ALICE, "/help")
        fake.command(speaker(fake, BOB, "de"), BOB, "/subscribe BTC negative")
        fake.command(speaker(fake, CAROL, "en"), CAROL, "/subscribe BTC negative")
        fake.command(speaker(fake, DMITRY, "ru"), DMITRY, "/latest BTC")
        fake.command(speaker(fake, MEI, "zh-hans"), MEI, "/subscribe NOTATAG")
        spanish = (await messages(fake, ALICE))[0]["text"]
        german = (await messages(fake, BOB))[0]["text"]
        english = (await messages(fake, CAROL))[0]["text"]
        russian = (await messages(fake, DMITRY))[0]["text"]
        chinese = (await messages(fake, MEI))[0]["text"]
    assert "/help [COMMAND] - Qué hace cada comando" in spanish
    assert "/search WORDS... - Buscar en el archivo" in spanish and "Get alerts" not in spanish
    assert german.endswith("BTC negative abonniert; du bekommst sofortige Alerts.")
    assert english.endswith("BTC negative; you get instant alerts.")
    assert "Последние новости по BTC" in russian
    assert "标签" in chinese and "NOTATAG" in chinese  # the error, in Chinese, echoes the word


@SQLITE_ONLY
async def test_language_command_switches_the_chat_and_is_remembered(storage: SqlStorage):
    async with running_adapter(real_core(storage), commands=COMMANDS) as (fake, _):
        chat = speaker(fake, ALICE, "es")
        fake.command(chat, ALICE, "/language")
        shown = (await messages(fake, ALICE, 1))[-1]["text"]
        fake.command(chat, ALICE, "/language de")
        switched = (await messages(fake, ALICE, 2))[-1]["text"]
        fake.command(chat, ALICE, "/subscriptions")
        listed = (await messages(fake, ALICE, 3))[-1]["text"]
        fake.command(chat, ALICE, "/language klingon")
        refused = (await messages(fake, ALICE, 4))[-1]["text"]
    assert "Español (es)" in shown and "Deutsch" in shown  # the choice and the list
    assert switched == "Die Sprache dieses Chats ist jetzt Deutsch."
    assert listed.startswith("Noch keine Abos")  # German although the app says Spanish
    assert "klingon" in refused and "pt_BR" in refused
    chat_row = await storage.chats.find(chat_ref(ALICE))
    assert chat_row is not None and chat_row.language == "de"


async def test_only_group_admins_may_switch_a_group(storage: SqlStorage):
    async with running_adapter(real_core(storage), commands=COMMANDS) as (fake, _):
        group = fake.group(-100700, "Mercado", admins={ALICE: "creator"})
        speaker(fake, ALICE, "es")
        speaker(fake, BOB, "ru")
        fake.command(group, BOB, "/language ru")
        refused = (await messages(fake, group.id, 1))[-1]["text"]
        fake.command(group, ALICE, "/language fr")
        await messages(fake, group.id, 2)
        fake.command(group, BOB, "/subscriptions")
        listed = (await messages(fake, group.id, 3))[-1]["text"]
    assert "админ" in refused  # the refusal in the asker's language
    assert listed.startswith("Aucun abonnement")  # the group's choice beats Bob's app
    chat_row = await storage.chats.find(group_ref(-100700))
    assert chat_row is not None and chat_row.language == "fr"


@SQLITE_ONLY
async def test_set_my_commands_once_per_language_plus_the_default(storage: SqlStorage):
    async with running_adapter(real_core(storage), commands=COMMANDS) as (fake, _):
        calls = fake.calls_to("setMyCommands")
    codes = [call.params.get("language_code") for call in calls]
    assert codes[0] is None  # the default menu, English
    assert sorted(c for c in codes if c) == sorted({c.split("_")[0].lower() for c in LANGUAGES})
    menus = {call.params.get("language_code"): call.params["commands"] for call in calls}
    by_name = {code: {c["command"]: c["description"] for c in menu} for code, menu in menus.items()}
    assert by_name[None]["search"] == "Search the archive"
    assert by_name["es"]["search"] == "Buscar en el archivo"
    assert by_name["de"]["search"] == "Das Archiv durchsuchen"
    assert by_name["ru"]["search"] == "Поиск по архиву"
    assert by_name["zh"]["search"] == "搜索存档"
    for code, menu in by_name.items():
        assert list(menu) == [spec.name for spec in COMMANDS], code  # names never translated
        assert all(1 <= len(d) <= 256 for d in menu.values())


def chat_ref(user_id: int):
    from bot.models import ChatRef

    return ChatRef("telegram", str(user_id))


def group_ref(chat_id: int):
    from bot.models import ChatRef

    return ChatRef("telegram", str(chat_id))


@SQLITE_ONLY
async def test_why_explains_in_the_chat_language(storage: SqlStorage):
    await seed(storage, 1)  # one article tagged BTC, negative
    async with running_adapter(real_core(storage), commands=COMMANDS) as (fake, _):
        chat = speaker(fake, DMITRY, "ru")
        fake.command(chat, DMITRY, "/subscribe ETH positive")
        await messages(fake, DMITRY, 1)
        fake.command(chat, DMITRY, "/why 1")
        why = (await messages(fake, DMITRY, 2))[-1]["text"]
    assert "подписка #1 нужны ETH, у статьи теги BTC" in why
    assert "нужны новости positive, статья negative" in why
    assert why.endswith("Ни одна подписка не подходит, поэтому сюда не отправлено.")
    assert "Bitcoin <miners> & whales move 0 thousand coins" in why  # the title as published


@SQLITE_ONLY
async def test_picker_and_page_buttons_follow_the_chats_language_not_the_app(storage: SqlStorage):
    """A chat switched to German: an English-speaking app's user gets the /subscribe
    picker, the page buttons and the next page in German, as the core's replies."""
    from tests.test_telegram_core import seed as seed_moves

    await seed_moves(storage, 8)
    async with running_adapter(real_core(storage), commands=COMMANDS) as (fake, _):
        chat = speaker(fake, CAROL, "en")
        fake.command(chat, CAROL, "/language de")
        await messages(fake, CAROL, 1)
        fake.command(chat, CAROL, "/subscribe")
        picker = (await messages(fake, CAROL, 2))[-1]
        fake.command(chat, CAROL, "/latest BTC 8")
        page = (await messages(fake, CAROL, 3))[-1]
        (row,) = fake.buttons(page)
        fake.press(CAROL, page["message_id"], row[1][1], CAROL)
        await fake.wait_calls("answerCallbackQuery")
        second = next(m for m in fake.messages_in(CAROL) if m["message_id"] == page["message_id"])
        fake.command(chat, CAROL, "/language auto")
        await messages(fake, CAROL, 4)
        fake.command(chat, CAROL, "/subscribe")
        english = (await messages(fake, CAROL, 5))[-1]
    assert picker["text"].startswith("Tippe auf einen Tag")
    assert [label for label, _ in row] == ["1/2", "Weiter ▶"]
    assert [label for label, _ in fake.buttons(second)[0]] == ["◀ Zurück", "2/2"]
    assert "ID 6 · Story" in second["text"] and "id 6 · story" not in second["text"]
    assert english["text"].startswith("Tap a tag")  # back to the app's language


@SQLITE_ONLY
async def test_vietnamese_and_indonesian_apps_are_answered_in_their_languages(
    storage: SqlStorage,
):
    async with running_adapter(real_core(storage), commands=COMMANDS) as (fake, _):
        fake.command(speaker(fake, ALICE, "vi"), ALICE, "/subscribe BTC negative")
        fake.command(speaker(fake, BOB, "id"), BOB, "/subscriptions")
        fake.command(speaker(fake, CAROL, "in"), CAROL, "/language")
        vietnamese = (await messages(fake, ALICE))[0]["text"]
        indonesian = (await messages(fake, BOB))[0]["text"]
        old_code = (await messages(fake, CAROL))[0]["text"]
    assert vietnamese.startswith("Đã đăng ký") and "BTC negative" in vietnamese
    assert indonesian.startswith("Belum ada langganan. Contoh: /subscribe BTC ETH positive")
    assert "Pengiriman: peringatan instan; zona waktu UTC." in indonesian
    assert "Bahasa Indonesia (id)" in old_code and "Tiếng Việt" in old_code
