"""/digest, /quiet, /timezone, /mute and /route: how and where a chat gets its alerts."""

from __future__ import annotations

from bot.alerts.schedule_rules import held_due_at, next_digest_at, zone
from bot.alerts.subscription_filter import FilterError, normalize_tag
from bot.commands.context import ChatStore, Context
from bot.commands.parser import (
    CommandError,
    parse_clock,
    parse_duration,
    parse_quiet,
    parse_timezone,
)
from bot.commands.replies import delivery_mode, settings_summary, when
from bot.models import ChatKind, ChatSettings, Reply

OFF = ("off", "none", "stop", "instant")


class SettingsCommands:
    """Each command shows the current value without arguments and changes it with one."""

    def __init__(self, chats: ChatStore) -> None:
        self.chats = chats

    async def digest(self, ctx: Context) -> Reply:
        example = "/digest daily 08:00"
        if not ctx.args:
            return ctx.reply(f"This chat gets {delivery_mode(ctx.chat)}. Change: {example}")
        choice = ctx.args[0].lower()
        if choice in OFF and len(ctx.args) == 1:
            chat = await self.chats.update_settings(
                ctx.chat.id, mode="instant", digest_schedule=None, digest_time=None
            )
            held = await self._reschedule(chat, ctx)
            return ctx.reply(f"Digest off: alerts arrive as they happen.{held}")
        if choice == "hourly" and len(ctx.args) == 1:
            chat = await self.chats.update_settings(
                ctx.chat.id, mode="digest", digest_schedule="hourly", digest_time=None
            )
        elif choice == "daily" and len(ctx.args) == 2:
            at = parse_clock(ctx.args[1], example)
            chat = await self.chats.update_settings(
                ctx.chat.id, mode="digest", digest_schedule="daily", digest_time=at
            )
        else:
            raise CommandError(
                f"'{' '.join(ctx.args)}' is not a digest setting; use off, hourly or "
                f"daily HH:MM, e.g. {example}"
            )
        nxt = when(next_digest_at(chat, ctx.now), ctx.tz)
        held = await self._reschedule(chat, ctx)
        return ctx.reply(f"You now get {delivery_mode(chat)}; the next one is at {nxt}.{held}")

    async def quiet(self, ctx: Context) -> Reply:
        if not ctx.args:
            current = (
                f"{ctx.chat.quiet_start}-{ctx.chat.quiet_end}" if ctx.chat.quiet_start else "off"
            )
            return ctx.reply(
                f"Quiet hours: {current} ({ctx.chat.timezone}). Change: /quiet 23:00-07:00"
            )
        if len(ctx.args) == 1 and ctx.args[0].lower() in OFF:
            chat = await self.chats.update_settings(ctx.chat.id, quiet_start=None, quiet_end=None)
            return ctx.reply(f"Quiet hours off.{await self._reschedule(chat, ctx)}")
        start, end = parse_quiet("".join(ctx.args))
        chat = await self.chats.update_settings(ctx.chat.id, quiet_start=start, quiet_end=end)
        held = await self._reschedule(chat, ctx)
        return ctx.reply(
            f"Quiet hours {start}-{end} ({ctx.chat.timezone}): alerts are held and sent as one "
            f"digest when they end.{held}"
        )

    async def timezone(self, ctx: Context) -> Reply:
        if not ctx.args:
            return ctx.reply(f"Time zone: {ctx.chat.timezone}. Change: /timezone Europe/Berlin")
        if len(ctx.args) != 1:
            raise CommandError("one zone name please, e.g. /timezone America/New_York")
        name = parse_timezone(ctx.args[0])
        chat = await self.chats.update_settings(ctx.chat.id, timezone=name)
        held = await self._reschedule(chat, ctx)
        return ctx.reply(f"Time zone set to {name}. {settings_summary(chat, ctx.now)}{held}")

    async def _reschedule(self, chat: ChatSettings, ctx: Context) -> str:
        """Alerts already held for a digest follow the new schedule; a note when any are."""
        due = held_due_at(chat, ctx.now)
        held = await self.chats.reschedule_held(chat.id, due)
        if not held:
            return ""
        at = "now" if due <= ctx.now else f"at {when(due, zone(chat.timezone))}"
        return f" {held} held alert(s) go out {at}."

    async def mute(self, ctx: Context) -> Reply:
        if not ctx.args:
            return ctx.reply(f"{settings_summary(ctx.chat, ctx.now)} Mute: /mute 2h, /mute off")
        if len(ctx.args) == 1 and ctx.args[0].lower() in (*OFF, "unmute"):
            await self.chats.update_settings(ctx.chat.id, muted_until=None)
            return ctx.reply("Unmuted: alerts are on again.")
        until = ctx.now + parse_duration(" ".join(ctx.args))
        await self.chats.update_settings(ctx.chat.id, muted_until=until)
        return ctx.reply(
            f"Muted until {when(until, ctx.tz)} ({ctx.chat.timezone}); alerts until then are "
            "dropped. /mute off ends it early."
        )

    async def route(self, ctx: Context) -> Reply:
        thread = ctx.cmd.chat.thread_id
        if not ctx.args:
            routes = (await self.chats.routes([ctx.chat.id])).get(ctx.chat.id, {})
            if not routes:
                return ctx.reply("No topic routes. Inside a forum topic: /route BTC")
            shown = ", ".join(f"{tag} -> topic {t}" for tag, t in sorted(routes.items()))
            return ctx.reply(f"Topic routes: {shown}.")
        if ctx.chat.kind != ChatKind.GROUP or not thread:
            raise CommandError(
                "use /route inside a forum topic of a group, e.g. /route BTC in the BTC topic"
            )
        if len(ctx.args) == 1 and ctx.args[0].lower() in OFF:
            count = await self.chats.remove_routes(ctx.chat.id, thread_id=thread)
            return ctx.reply(f"Removed {count} route(s) to this topic.")
        try:
            tags = [normalize_tag(arg) for arg in ctx.args]
        except FilterError as exc:
            raise CommandError(f"{exc}; example: /route BTC") from None
        for tag in tags:
            await self.chats.set_route(ctx.chat.id, tag, thread)
        return ctx.reply(f"Alerts tagged {', '.join(tags)} now go to this topic.")
