"""TelegramAdapter: a python-telegram-bot Application embedded in our asyncio loop.

We call ``initialize`` / ``start`` / ``updater.start_polling`` (or ``start_webhook``)
ourselves and never ``run_polling``, so PTB never owns the loop; there is no PTB JobQueue
(scheduling is the core's). ``send`` and ``edit`` turn every outcome into a DeliveryResult.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Sequence
from typing import Any
from urllib.parse import urlsplit

from telegram import InputMediaPhoto, LinkPreviewOptions, Message
from telegram.constants import ParseMode
from telegram.error import BadRequest, ChatMigrated, InvalidToken, TelegramError
from telegram.ext import Application, Defaults

from adapters.telegram.errors import (
    is_not_modified,
    is_photo_problem,
    is_unsupported_method,
    to_result,
)
from adapters.telegram.handlers import TelegramHandlers
from adapters.telegram.keyboards import PageCache
from adapters.telegram.menu import bot_commands, load_core_commands, telegram_code
from adapters.telegram.ordering import PerChatUpdateProcessor
from adapters.telegram.permissions import AdminCache
from adapters.telegram.render import MAX_CAPTION, MAX_TEXT, render_alert, safe_url
from adapters.telegram.request import AiohttpRequest, PacedPollRequest
from bot.config import TelegramConfig
from bot.errors import RuntimeFailure, UserError
from bot.i18n import LANGUAGES, use_locale
from bot.models import Alert, Capabilities, ChatRef, DeliveryKind, DeliveryResult
from bot.ops.logs import SecretMasker
from bot.ports import CoreServices

log = logging.getLogger(__name__)

ALLOWED_UPDATES = ["message", "channel_post", "callback_query", "my_chat_member"]
CAPABILITIES = Capabilities(
    max_text_len=MAX_TEXT,
    markup="html",
    sends_per_second=30,
    per_chat_interval_s=1.0,
    per_group_per_minute=20,
    max_caption_len=MAX_CAPTION,
    supports_images=True,
    supports_edit=True,
)
_THREAD_GONE = ("message thread not found", "topic_closed", "topic_deleted", "topic_id_invalid")


def build_application(config: TelegramConfig, token: str) -> Application:  # type: ignore[type-arg]
    """An Application talking to ``config.base_url``; no JobQueue; updates of different
    chats handled concurrently, those of one chat in order."""
    return (
        Application.builder()
        .token(token)
        .base_url(config.base_url)
        .base_file_url(config.base_file_url)
        .job_queue(None)
        .request(AiohttpRequest())  # aiohttp, sends take turns: see request.py
        # At stop PTB cancels the long poll and confirms the handled updates with one more
        # getUpdates; with a single connection, a poll torn down by a reset still held it,
        # that call hit "Pool timeout" and the next start handled them again: two turns.
        .get_updates_request(PacedPollRequest())
        # a reply to a command deleted meanwhile is still sent, just without the quote
        .defaults(Defaults(allow_sending_without_reply=True))
        .concurrent_updates(PerChatUpdateProcessor())
        .build()
    )


def _chat_id(value: str) -> int | str:
    return int(value) if value.lstrip("-").isdigit() else value


def _listen_address(value: str) -> tuple[str, int]:
    host, _, port = value.rpartition(":")
    if not host or not port.isdigit():
        raise UserError(f"[telegram] webhook_listen must be HOST:PORT, not {value!r}")
    return host, int(port)


class TelegramAdapter:
    """ChatAdapter for Telegram (see bot/ports.py)."""

    name = "telegram"
    capabilities = CAPABILITIES

    def __init__(
        self,
        config: TelegramConfig,
        *,
        masker: SecretMasker | None = None,
        commands: Sequence[Any] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if config.token is None:
            raise UserError("[telegram] token is not set (or set CRYPTOWIRE_TELEGRAM_TOKEN)")
        token = config.token.get_secret_value()
        if masker is not None:
            masker.add(token)
        self.config = config
        if config.webhook_url:  # check the address now, not after connecting
            _listen_address(config.webhook_listen)
        self.application = build_application(config, token)
        self.bot = self.application.bot
        self.admins = AdminCache.for_bot(self.bot, clock=clock)
        self.pages = PageCache(clock=clock)
        self._commands = commands
        self._ready = False
        self._stopped = False
        self._init_lock = asyncio.Lock()
        self.photos = True  # False once the server says it has no sendPhoto (an emulator)

    # ------------------------------------------------------------------ lifecycle
    async def start(self, core: CoreServices) -> None:
        handlers = TelegramHandlers(
            core, admins=self.admins, pages=self.pages, bot_admins=frozenset(self.config.admins)
        )
        handlers.register(self.application)
        try:
            await self.application.initialize()
        except InvalidToken:
            raise RuntimeFailure("Telegram rejected the bot token ([telegram] token)") from None
        except TelegramError as exc:
            raise RuntimeFailure(f"cannot reach the Telegram Bot API: {exc.message}") from None
        self._ready = True
        await self._register_commands()
        await self.application.start()
        updater = self.application.updater
        assert updater is not None
        if self.config.webhook_url:
            await self._start_webhook()
        else:
            await updater.start_polling(
                timeout=self.config.poll_timeout,
                allowed_updates=ALLOWED_UPDATES,
                error_callback=self._polling_failed,
            )
        mode = "webhook" if self.config.webhook_url else "long polling"
        log.info("telegram: @%s receiving updates by %s", self.bot.username, mode)

    @staticmethod
    def _polling_failed(error: TelegramError) -> None:
        """PTB retries with backoff; one line per failure instead of a traceback each time."""
        log.warning("telegram: polling failed, retrying: %s: %s", type(error).__name__, error)

    async def _start_webhook(self) -> None:
        host, port = _listen_address(self.config.webhook_listen)
        url = str(self.config.webhook_url)
        secret = self.config.webhook_secret
        updater = self.application.updater
        assert updater is not None
        await updater.start_webhook(
            listen=host,
            port=port,
            url_path=urlsplit(url).path.lstrip("/"),
            webhook_url=url,
            secret_token=secret.get_secret_value() if secret else None,
            allowed_updates=ALLOWED_UPDATES,
        )

    async def _register_commands(self) -> None:
        specs = self._commands if self._commands is not None else load_core_commands()
        if not bot_commands(specs):
            log.warning("telegram: no commands to register with setMyCommands")
            return
        # The default menu, then one per shipped language: Telegram shows each user the
        # menu of their app's language_code (two letters), the default to everyone else.
        for code in (None, *LANGUAGES):
            with use_locale(code):
                commands = bot_commands(specs)
            try:
                await self.bot.set_my_commands(commands, language_code=telegram_code(code))
            except TelegramError as exc:
                log.error("telegram: setMyCommands(%s) failed, menu stale: %s", code, exc)
                if code is None:  # the server refuses the menu itself: one line, not 13
                    return

    async def stop(self) -> None:
        """Stop receiving updates, let running handlers finish, close connections."""
        app = self.application
        if app.updater is not None and app.updater.running:
            await app.updater.stop()
        if app.running:
            await app.stop()
        self._stopped = True
        self._ready = False
        await app.shutdown()

    # ------------------------------------------------------------------ delivery
    async def _not_ready(self, to: ChatRef) -> DeliveryResult | None:
        """None when the bot can send. The dispatcher may start before the adapter (pending
        alerts after a restart), so the bot is initialised on first use if need be."""
        if self._stopped:
            return DeliveryResult.failed("telegram adapter is stopped")
        async with self._init_lock:
            if not self._ready:
                try:
                    await self.bot.initialize()
                except Exception as exc:
                    return self._failure("initialize", to, exc)
                self._ready = True
        return None

    async def send(self, to: ChatRef, alert: Alert) -> DeliveryResult:
        """Deliver one alert; every failure comes back as a result, never an exception."""
        if problem := await self._not_ready(to):
            return problem
        chat: int | str = _chat_id(to.chat_id)
        thread = int(to.thread_id) if to.thread_id and to.thread_id.isdigit() else None
        for _ in range(3):
            try:
                message = await self._post(chat, thread, alert)
            except ChatMigrated as exc:
                log.warning("telegram: chat %s moved to %s; sending there", chat, exc.new_chat_id)
                chat = exc.new_chat_id
            except BadRequest as exc:
                if thread is None or not any(p in exc.message.lower() for p in _THREAD_GONE):
                    return self._failure("send", to, exc)
                log.warning("telegram: topic %s of %s is gone; posting in General", thread, chat)
                thread = None
            except Exception as exc:
                return self._failure("send", to, exc)
            else:
                return DeliveryResult.sent(message.message_id)
        return DeliveryResult.failed("chat kept moving")

    async def _post(self, chat: int | str, thread: int | None, alert: Alert) -> Message:
        article = alert.article
        digest = alert.kind is DeliveryKind.DIGEST or bool(alert.digest_items)
        photo = None if digest else safe_url(article.image_url)
        if alert.rendered is not None and not alert.rendered.image:
            photo = None  # the chat's template sends no cover image
        if photo and self.photos:
            try:
                return await self.bot.send_photo(
                    chat,
                    photo,
                    caption=render_alert(alert, limit=MAX_CAPTION),
                    parse_mode=ParseMode.HTML,
                    message_thread_id=thread,
                )
            except TelegramError as exc:
                if is_unsupported_method(exc):
                    self.photos = False  # a Bot API look-alike without sendPhoto: say it once
                    log.warning("telegram: this server has no sendPhoto; alerts go as text")
                elif not is_photo_problem(exc):
                    raise
                else:
                    log.warning("telegram: photo refused for %s (%s); sending text", chat, exc)
        return await self.bot.send_message(
            chat,
            render_alert(alert, limit=MAX_TEXT),
            parse_mode=ParseMode.HTML,
            link_preview_options=self._preview(alert),
            message_thread_id=thread,
        )

    @staticmethod
    def _preview(alert: Alert) -> LinkPreviewOptions:
        """A small preview of the article's page; none for digests and retractions."""
        url = safe_url(alert.article.url)
        hidden = alert.rendered is not None and not alert.rendered.preview
        if url is None or hidden or alert.retracted or alert.kind is DeliveryKind.DIGEST:
            return LinkPreviewOptions(is_disabled=True)
        return LinkPreviewOptions(url=url, prefer_small_media=True)

    async def edit(self, to: ChatRef, message_id: str, alert: Alert) -> DeliveryResult:
        """Show the alert's new state in a sent message (text or photo caption)."""
        if problem := await self._not_ready(to):
            return problem
        chat, mid = _chat_id(to.chat_id), int(message_id)
        attempts = [self._edit_caption, self._edit_text]
        no_cover = (alert.rendered is not None and not alert.rendered.image) or not self.photos
        if no_cover or not safe_url(alert.article.image_url):
            attempts.reverse()
        elif alert.new_image:
            attempts.insert(0, self._edit_media)
        last: Exception | None = None
        for attempt in attempts:
            try:
                await attempt(chat, mid, alert)
                return DeliveryResult.sent(message_id)
            except BadRequest as exc:
                if is_not_modified(exc):
                    return DeliveryResult.sent(message_id)
                last = exc
                # a new photo Telegram cannot fetch still gets its caption updated
                if attempt != self._edit_media and "there is no" not in exc.message.lower():
                    break  # a real failure, not "this message has no text/caption"
            except Exception as exc:
                return self._failure("edit", to, exc)
        assert last is not None
        return self._failure("edit", to, last)

    async def _edit_text(self, chat: int | str, message_id: int, alert: Alert) -> None:
        await self.bot.edit_message_text(
            render_alert(alert, limit=MAX_TEXT),
            chat_id=chat,
            message_id=message_id,
            parse_mode=ParseMode.HTML,
            link_preview_options=self._preview(alert),
        )

    async def _edit_media(self, chat: int | str, message_id: int, alert: Alert) -> None:
        """A new cover image: editMessageMedia replaces the photo and its caption."""
        await self.bot.edit_message_media(
            InputMediaPhoto(
                media=str(alert.article.image_url),
                caption=render_alert(alert, limit=MAX_CAPTION),
                parse_mode=ParseMode.HTML,
            ),
            chat_id=chat,
            message_id=message_id,
        )

    async def _edit_caption(self, chat: int | str, message_id: int, alert: Alert) -> None:
        await self.bot.edit_message_caption(
            chat_id=chat,
            message_id=message_id,
            caption=render_alert(alert, limit=MAX_CAPTION),
            parse_mode=ParseMode.HTML,
        )

    async def pin(self, to: ChatRef, message_id: str) -> DeliveryResult:
        """Pin a sent message (breaking news in a broadcast channel): pinChatMessage."""
        if problem := await self._not_ready(to):
            return problem
        try:
            await self.bot.pin_chat_message(_chat_id(to.chat_id), int(message_id))
        except Exception as exc:
            return self._failure("pin", to, exc)
        return DeliveryResult.sent(message_id)

    @staticmethod
    def _failure(action: str, to: ChatRef, error: Exception) -> DeliveryResult:
        result = to_result(error)
        if isinstance(error, TelegramError):
            why = result.reason or f"retry after {result.retry_after:g}s"
            log.warning("telegram: %s to %s: %s (%s)", action, to, result.kind, why)
        else:
            log.error("telegram: %s to %s failed unexpectedly", action, to, exc_info=error)
        return result
