"""``/settings``: in a private chat, a button that opens the settings Mini App (decision
017); elsewhere, or when the bot has no public HTTPS address, the commands that do it."""

from __future__ import annotations

from dataclasses import replace

from bot.commands.context import Context
from bot.i18n import N_, _
from bot.models import AppButton, ChatKind, Reply

APP_PLATFORM = "telegram"  # the platform whose clients open Mini Apps
BY_COMMANDS = N_("Settings by command: /subscriptions, /digest, /quiet, /timezone, /format.")


def settings_reply(ctx: Context, app_url: str | None) -> Reply:
    if ctx.chat.kind != ChatKind.PRIVATE:
        return ctx.reply(_("Open /settings in a private chat with me.") + " " + _(BY_COMMANDS))
    if not app_url or ctx.chat.ref.platform != APP_PLATFORM:
        return ctx.reply(_(BY_COMMANDS))
    text = _("Your alerts: subscriptions, digest, quiet hours and format, in one place.")
    return replace(ctx.reply(text), button=AppButton(_("⚙️ Open settings"), app_url))
