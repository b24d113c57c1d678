"""PTB handlers: Telegram commands and button taps in, the core's replies out.

Every command becomes a ``bot.models.IncomingCommand`` for ``core.handle_command``; what
the adapter adds is Telegram knowledge: who administers a group or channel, forum topics,
``/subscribe @channel`` from a private chat, the /subscribe picker and paginated lists.
Failures reach ``on_error``, which logs them with context and answers the user briefly.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from telegram import (
    Bot,
    CallbackQuery,
    Chat,
    ChatFullInfo,
    InlineKeyboardMarkup,
    LinkPreviewOptions,
    Message,
    Update,
)
from telegram.constants import ChatMemberStatus, ChatType, ParseMode
from telegram.error import BadRequest, TelegramError
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    ChatMemberHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from adapters.telegram.app_button import app_markup
from adapters.telegram.context import (
    PLATFORM,
    ParsedCommand,
    chat_kind,
    chat_ref,
    describe,
    parse_command,
    sender_id,
    sender_name,
    target_argument,
)
from adapters.telegram.errors import chat_gone, is_not_modified, unanswered
from adapters.telegram.keyboards import (
    PAGE_SIZE,
    PageCache,
    PickerStates,
    is_on,
    page_keyboard,
    picker_target,
    selection,
    subscribe_keyboard,
    toggled,
    with_tags_on,
)
from adapters.telegram.language import localized, picker_prompt, picker_summary
from adapters.telegram.permissions import AdminCache, may_manage, resolve_channel
from adapters.telegram.render import esc, render_article_list, reply_parts, split_text
from adapters.telegram.request import Handler, patient
from bot.errors import UserError
from bot.i18n import N_, _
from bot.models import ChatKind, ChatRef, IncomingCommand, Reply
from bot.ports import CoreServices

log = logging.getLogger(__name__)

NO_PREVIEW = LinkPreviewOptions(is_disabled=True)
POPULAR_TAGS = 12
MAX_PICKER_EXTRA = 18  # followed tags beyond the popular ones
SORRY = N_("Sorry, something went wrong on our side. Please try again in a minute.")


@dataclass(frozen=True, slots=True)
class Target:
    """The chat a command acts on, and whether the sender may change its settings."""

    ref: ChatRef
    kind: ChatKind
    can_manage: bool
    title: str | None


class TelegramHandlers:
    """Registers on an Application and routes its updates to the core."""

    def __init__(
        self,
        core: CoreServices,
        *,
        admins: AdminCache,
        pages: PageCache,
        bot_admins: frozenset[int],
    ) -> None:
        self.core = core
        self.admins = admins
        self.pages = pages
        self.bot_admins = bot_admins
        self.pickers = PickerStates()

    def register(self, application: Application) -> None:  # type: ignore[type-arg]
        updates = filters.UpdateType.MESSAGE | filters.UpdateType.CHANNEL_POST

        def lang(handler: Handler) -> Handler:  # the chat's language; replies wait out 429s
            return patient(localized(handler, reply_language=self.core.reply_language))

        on_command = MessageHandler(updates & filters.COMMAND, lang(self.on_command))
        application.add_handler(on_command)
        application.add_handler(CallbackQueryHandler(lang(self.on_picker), pattern=r"^sub:"))
        application.add_handler(CallbackQueryHandler(lang(self.on_page), pattern=r"^pg:"))
        membership = ChatMemberHandler.MY_CHAT_MEMBER
        application.add_handler(ChatMemberHandler(lang(self.on_membership), membership))
        application.add_error_handler(lang(self.on_error))

    # ------------------------------------------------------------------ commands
    async def on_command(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        if message is None or not message.text:
            return
        command = parse_command(message.text, context.bot.username)
        if command is None:
            return  # addressed to another bot in the same group
        target = await self._target(message, command)
        if target is None:
            return
        if command.name == "subscribe" and not _arguments(command, message):
            await self._show_picker(message, target, command)
            return
        text = command.text
        if target.kind is ChatKind.CHANNEL and message.chat.type == ChatType.PRIVATE:
            text = f"/{command.name} {' '.join(command.args[1:])}".strip()
        reply = await self.core.handle_command(self._incoming(message, target, text))
        await self._reply(message, reply)

    async def _target(self, message: Message, command: ParsedCommand) -> Target | None:
        """Which chat the command configures; replies with the reason and returns None if
        the sender may not name that chat."""
        chat = message.chat
        named = target_argument(command) if chat.type == ChatType.PRIVATE else None
        if named is None:
            return Target(
                chat_ref(chat, message),
                chat_kind(chat),
                await self._may_manage(chat, message),
                chat.title,
            )
        user_id = message.from_user.id if message.from_user else 0
        resolved, problem = await self._resolve_channel(named, user_id, message.get_bot())
        if problem is not None:
            await message.reply_text(esc(problem), parse_mode=ParseMode.HTML)
            return None
        assert resolved is not None
        return Target(
            ChatRef(PLATFORM, str(resolved.id)),
            chat_kind(resolved),
            True,
            resolved.title or named,
        )

    async def _may_manage(
        self, chat: Chat, message: Message | None, user_id: int | None = None
    ) -> bool:
        return await may_manage(self.admins, chat, message, user_id)

    async def _resolve_channel(
        self, name: str, user_id: int, bot: Bot
    ) -> tuple[ChatFullInfo | None, str | None]:
        return await resolve_channel(self.admins, name, user_id, bot)

    def _incoming(self, message: Message, target: Target, text: str) -> IncomingCommand:
        user = sender_id(message)
        language = message.from_user.language_code if message.from_user else None
        return IncomingCommand(
            chat=target.ref,
            text=text,
            user_id=user,
            chat_kind=target.kind,
            user_name=sender_name(message),
            can_manage=target.can_manage,
            is_admin=user.lstrip("-").isdigit() and int(user) in self.bot_admins,
            chat_title=target.title,
            language=language,
            chat_language=language if target.kind is ChatKind.PRIVATE else None,
        )

    async def _reply(self, message: Message, reply: Reply) -> None:
        if reply.articles:
            header, footer = reply_parts(reply.text, reply.articles)
            token = self.pages.put(header, reply.articles, message.chat.id, footer)
            await self._send_page(message, token, 1, edit=False)
            return
        prefix = "⚠️ " if reply.error else ""
        for chunk in split_text(reply.text):
            await message.reply_text(
                prefix + chunk,
                parse_mode=ParseMode.HTML,
                link_preview_options=NO_PREVIEW,
                reply_markup=app_markup(reply),  # a Mini App button (/settings), if any
            )
            prefix = ""

    async def _send_page(self, message: Message, token: str, page: int, *, edit: bool) -> bool:
        entry = self.pages.get(token)
        if entry is None:
            return False
        page = min(max(1, page), entry.pages)
        start = (page - 1) * PAGE_SIZE + 1
        text = render_article_list(entry.header, entry.page(page), start=start, footer=entry.footer)
        markup = page_keyboard(token, page, entry.pages)
        send = message.edit_text if edit else message.reply_text
        await send(
            text, parse_mode=ParseMode.HTML, link_preview_options=NO_PREVIEW, reply_markup=markup
        )
        return True

    # ------------------------------------------------------------------ /subscribe picker
    async def _show_picker(self, message: Message, target: Target, command: ParsedCommand) -> None:
        if not target.can_manage:
            await message.reply_text(
                _("Only this group's administrators can change its subscriptions.")
            )
            return
        tags = (await self.core.known_tags(""))[:POPULAR_TAGS]
        on: set[str] = set()
        if self.core.subscribed_tags is not None:
            on = await self.core.subscribed_tags(target.ref)
        shown = {tag.upper() for tag in tags}  # followed tags stay reachable to switch off
        tags += [tag for tag in sorted(on) if tag.upper() not in shown][:MAX_PICKER_EXTRA]
        channel = target.ref.chat_id if target.ref.chat_id != str(message.chat.id) else None
        await message.reply_text(
            picker_prompt(target.title if channel else None),
            parse_mode=ParseMode.HTML,
            reply_markup=subscribe_keyboard(tags, on=on, target=channel),
        )

    async def on_picker(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        if query is None or not isinstance(query.message, Message):
            return
        message, data, user = query.message, str(query.data), query.from_user
        key = (message.chat.id, message.message_id)
        async with self.pickers.lock(key):
            markup = self.pickers.current(key, message.reply_markup)
            channel = picker_target(markup)
            if channel is not None:
                allowed = await self.admins.is_admin(int(channel), user.id)
            else:
                allowed = await self._may_manage(message.chat, None, user.id)
            if not allowed:
                refusal = _("Only administrators can change these subscriptions.")
                await query.answer(refusal, show_alert=True)
                return
            if data.startswith(("sub:x", "sub:go")) or markup is None:
                self.pickers.close(key)
                await query.answer()
                await query.edit_message_text(
                    picker_summary(selection(markup).tags), parse_mode=ParseMode.HTML
                )
                return
            if data.startswith("sub:t:"):
                if not await self._switch_tag(query, markup, data, channel):
                    return
                markup = await self._refreshed(markup, data, channel, message)
            else:
                await query.answer()
                markup = toggled(markup, data)
            self.pickers.remember(key, markup)
            await query.edit_message_reply_markup(reply_markup=markup)

    async def _refreshed(
        self, markup: InlineKeyboardMarkup, data: str, channel: str | None, message: Message
    ) -> InlineKeyboardMarkup:
        """The keyboard after a switch: ticks as the core now has them (else just flipped)."""
        if self.core.subscribed_tags is None:
            return toggled(markup, data)
        ref = ChatRef(PLATFORM, channel) if channel else chat_ref(message.chat, message)
        return with_tags_on(markup, await self.core.subscribed_tags(ref))

    async def _switch_tag(
        self, query: CallbackQuery, markup: InlineKeyboardMarkup, data: str, channel: str | None
    ) -> bool:
        """Switch one tag's alerts through the core; True when the core accepted it."""
        message, user = query.message, query.from_user
        assert isinstance(message, Message)
        tag = data.split(":", 2)[2]
        text = f"/unsubscribe {tag}" if is_on(markup, data) else None
        text = text or selection(markup).subscribe_command(tag)
        ref = ChatRef(PLATFORM, channel) if channel else chat_ref(message.chat, message)
        kind = ChatKind.CHANNEL if channel else chat_kind(message.chat)
        incoming = IncomingCommand(
            chat=ref,
            text=text,
            user_id=str(user.id),
            chat_kind=kind,
            user_name=f"@{user.username}" if user.username else user.full_name,
            can_manage=True,
            is_admin=user.id in self.bot_admins,
            chat_title=None if channel else message.chat.title,
            language=user.language_code,
            chat_language=user.language_code if kind is ChatKind.PRIVATE else None,
        )
        reply = await self.core.handle_command(incoming)
        first_line = (reply.text.splitlines() or [""])[0]
        await query.answer(first_line[:200], show_alert=reply.error)
        return not reply.error

    # ------------------------------------------------------------------ pagination
    async def on_page(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        if query is None or not isinstance(query.message, Message):
            return
        _prefix, token, page = [*str(query.data).split(":", 2), "", ""][:3]
        if not page.isdigit():
            await query.answer()
            return  # not a button we made
        try:
            shown = await self._send_page(query.message, token, int(page), edit=True)
        except BadRequest as exc:
            if not is_not_modified(exc):
                raise
            shown = True
        if shown:
            await query.answer()
        else:
            await query.answer(_("This list has expired: send the command again."), show_alert=True)

    # ------------------------------------------------------------------ membership
    async def on_membership(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """The bot was added to or removed from a chat: forget cached admins; greet a group
        that just added it with the core's /start text, so people see how to begin."""
        change = update.my_chat_member
        if change is None:
            return
        chat = change.chat
        self.admins.forget(chat.id)
        before, after = change.old_chat_member.status, change.new_chat_member.status
        log.info("telegram: my status in chat %s: %s -> %s", chat.id, before, after)
        outside = (ChatMemberStatus.LEFT, ChatMemberStatus.BANNED)
        inside = (ChatMemberStatus.MEMBER, ChatMemberStatus.ADMINISTRATOR)
        if chat.type not in (ChatType.GROUP, ChatType.SUPERGROUP):
            return
        if before not in outside or after not in inside:
            return
        adder = change.from_user
        greeting = IncomingCommand(
            chat=ChatRef(PLATFORM, str(chat.id)),
            text="/start",
            user_id=str(adder.id),
            chat_kind=ChatKind.GROUP,
            user_name=f"@{adder.username}" if adder.username else adder.full_name,
            can_manage=False,
            is_admin=adder.id in self.bot_admins,
            chat_title=chat.title,
            language=adder.language_code,
        )
        reply = await self.core.handle_command(greeting)
        for chunk in split_text(reply.text):
            await context.bot.send_message(
                chat.id, chunk, parse_mode=ParseMode.HTML, link_preview_options=NO_PREVIEW
            )

    async def on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Log every handler failure with its context; tell the user in one short line."""
        error, where = context.error, describe(update)
        if await chat_gone(self.core, update, where, error) or unanswered(where, error):
            return  # blocked, kicked, or a reply that may have arrived: one line, no answer
        if isinstance(error, UserError):
            log.info("telegram: %s: %s", where, error)
            answer = str(error).splitlines()[0] if str(error) else _(SORRY)
        else:
            log.error(
                "telegram: handler failed (%s): %s",
                where,
                type(error).__name__,
                exc_info=(type(error), error, error.__traceback__) if error else None,
            )
            answer = _(SORRY)
        if not isinstance(update, Update):
            return
        try:
            if update.callback_query is not None:
                await update.callback_query.answer(answer[:200], show_alert=True)
            elif update.effective_message is not None:
                await update.effective_message.reply_text(answer)
        except TelegramError as exc:
            log.warning("telegram: could not tell %s about the failure: %s", where, exc)


def _arguments(command: ParsedCommand, message: Message) -> list[str]:
    """Arguments that configure something (a leading @channel from a private chat excluded)."""
    args = command.args
    if message.chat.type == ChatType.PRIVATE and target_argument(command):
        return args[1:]
    return args
