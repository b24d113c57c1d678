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
from bot.i18n import _
from bot.models import ChatKind, ChatSettings, Reply

OFF = ("off", "none", "stop", "instant")


class SettingsCommands:
    """Each command shows the current value without arguments and changes it with one."""

    def __init__(self, chats: ChatStore) -> None:
        self.chats = chats

    async def digest(self, ctx: Context) -> Reply:
        example = "/digest daily 08:00"
        if not ctx.args:
            return ctx.reply(
                _(
                    "This chat gets {mode}. Change: {example}",
                    mode=delivery_mode(ctx.chat),
                    example=example,
                )
            )
        choice = ctx.args[0].lower()
        if choice in OFF and len(ctx.args) == 1:
            chat = await self.chats.update_settings(
                ctx.chat.id, mode="instant", digest_schedule=None, digest_time=None
            )
            held = await self._reschedule(chat, ctx)
            return ctx.reply(_("Digest off: alerts arrive as they happen.") + held)
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
                _(
                    "'{words}' is not a digest setting; use off, hourly or daily HH:MM, "
                    "e.g. {example}",
                    words=" ".join(ctx.args)[:60],
                    example=example,
                )
            )
        nxt = when(next_digest_at(chat, ctx.now), ctx.tz)
        held = await self._reschedule(chat, ctx)
        return ctx.reply(
            _("You now get {mode}; the next one is at {time}.", mode=delivery_mode(chat), time=nxt)
            + held
        )

    async def quiet(self, ctx: Context) -> Reply:
        if not ctx.args:
            current = (
                f"{ctx.chat.quiet_start}-{ctx.chat.quiet_end}" if ctx.chat.quiet_start else _("off")
            )
            return ctx.reply(
                _(
                    "Quiet hours: {hours} ({zone}). Change: /quiet 23:00-07:00",
                    hours=current,
                    zone=ctx.chat.timezone,
                )
            )
        if len(ctx.args) == 1 and ctx.args[0].lower() in OFF:
            chat = await self.chats.update_settings(ctx.chat.id, quiet_start=None, quiet_end=None)
            return ctx.reply(_("Quiet hours off.") + await self._reschedule(chat, ctx))
        start, end = parse_quiet("".join(ctx.args))
        chat = await self.chats.update_settings(ctx.chat.id, quiet_start=start, quiet_end=end)
        held = await self._reschedule(chat, ctx)
        return ctx.reply(
            _(
                "Quiet hours {start}-{end} ({zone}): alerts are held and sent as one "
                "digest when they end.",
                start=start,
                end=end,
                zone=ctx.chat.timezone,
            )
            + held
        )

    async def timezone(self, ctx: Context) -> Reply:
        if not ctx.args:
            return ctx.reply(
                _("Time zone: {zone}. Change: /timezone Europe/Berlin", zone=ctx.chat.timezone)
            )
        if len(ctx.args) != 1:
            raise CommandError(_("one zone name please, e.g. /timezone America/New_York"))
        name = parse_timezone(ctx.args[0])
        chat = await self.chats.update_settings(ctx.chat.id, timezone=name)
        held = await self._reschedule(chat, ctx)
        return ctx.reply(
            _("Time zone set to {zone}.", zone=name) + f" {settings_summary(chat, ctx.now)}{held}"
        )

    async def _reschedule(self, chat: ChatSettings, ctx: Context) -> str:
        """Alerts already held for a digest follow the new schedule; a note when any are."""
        due = held_due_at(chat, ctx.now)
        held = await self.chats.reschedule_held(chat.id, due)
        if not held:
            return ""
        if due <= ctx.now:
            return " " + _("{count} held alert(s) go out now.", count=held)
        at = when(due, zone(chat.timezone))
        return " " + _("{count} held alert(s) go out at {time}.", count=held, time=at)

    async def mute(self, ctx: Context) -> Reply:
        if not ctx.args:
            return ctx.reply(
                f"{settings_summary(ctx.chat, ctx.now)} " + _("Mute: /mute 2h, /mute off")
            )
        if len(ctx.args) == 1 and ctx.args[0].lower() in (*OFF, "unmute"):
            await self.chats.update_settings(ctx.chat.id, muted_until=None)
            return ctx.reply(_("Unmuted: alerts are on again."))
        until = ctx.now + parse_duration(" ".join(ctx.args))
        await self.chats.update_settings(ctx.chat.id, muted_until=until)
        return ctx.reply(
            _(
                "Muted until {time} ({zone}); alerts until then are dropped. "
                "/mute off ends it early.",
                time=when(until, ctx.tz),
                zone=ctx.chat.timezone,
            )
        )

    async def route(self, ctx: Context) -> Reply:
        thread = ctx.cmd.chat.thread_id
        if not ctx.args:
            routes = (await self.chats.routes([ctx.chat.id])).get(ctx.chat.id, {})
            if not routes:
                return ctx.reply(_("No topic routes. Inside a forum topic: /route BTC"))
            shown = ", ".join(
                _("{tag} -> topic {topic}", tag=tag, topic=t) for tag, t in sorted(routes.items())
            )
            return ctx.reply(_("Topic routes: {routes}.", routes=shown))
        if ctx.chat.kind != ChatKind.GROUP or not thread:
            raise CommandError(
                _("use /route inside a forum topic of a group, e.g. /route BTC in the BTC topic")
            )
        if len(ctx.args) == 1 and ctx.args[0].lower() in OFF:
            count = await self.chats.remove_routes(ctx.chat.id, thread_id=thread)
            return ctx.reply(_("Removed {count} route(s) to this topic.", count=count))
        try:
            tags = [normalize_tag(arg) for arg in ctx.args]
        except FilterError as exc:
            raise CommandError(_("{problem}; example: /route BTC", problem=exc)) from None
        for tag in tags:
            await self.chats.set_route(ctx.chat.id, tag, thread)
        return ctx.reply(_("Alerts tagged {tags} now go to this topic.", tags=", ".join(tags)))
