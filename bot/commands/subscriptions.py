"""/subscribe, /unsubscribe and /subscriptions; keeps the in-memory index in step."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta

from bot.alerts.matching import SubscriptionIndex
from bot.alerts.subscription_filter import FilterError, normalize_tag
from bot.commands.context import ArchiveReader, ChatStore, Context
from bot.commands.parser import CommandError, parse_positive_int, parse_subscription
from bot.commands.replies import (
    delivery_mode,
    settings_summary,
    subscription_line,
    subscription_list,
)
from bot.i18n import _
from bot.models import Reply

# Tags accepted even before the archive has seen them (a fresh install has no articles).
POPULAR_TAGS = frozenset(
    "BTC ETH SOL XRP BNB DOGE ADA TRX AVAX LINK DOT MATIC POL TON SHIB LTC BCH UNI ATOM XLM "
    "ETC FIL APT ARB OP NEAR ICP HBAR VET MKR AAVE GRT ALGO STX INJ RNDR SUI SEI TIA PEPE "
    "BONK WIF FET IMX LDO RUNE CRV SNX COMP SAND MANA AXS FTM KAS XMR ZEC DASH USDT USDC "
    "DAI DEFI NFT ETF DAO WEB3 AI GAMING STABLECOIN STABLECOINS REGULATION SEC MINING "
    "MARKET MARKETS TRADING EXCHANGE HACK SECURITY LAYER2 CBDC MEMECOIN ALTCOIN BLOCKCHAIN".split()
)
KNOWN_TAGS_TTL = timedelta(minutes=5)


class SubscriptionCommands:
    """The subscription commands; every change is written to storage, then to the index."""

    def __init__(
        self,
        archive: ArchiveReader,
        chats: ChatStore,
        index: SubscriptionIndex | None,
        clock: Callable[[], datetime],
        popular_tags: Iterable[str] | None,
        max_subscriptions: int,
    ) -> None:
        self.archive = archive
        self.chats = chats
        self.index = index
        self.clock = clock
        self.popular = frozenset(POPULAR_TAGS if popular_tags is None else popular_tags)
        self.max_subscriptions = max_subscriptions
        self._known: tuple[datetime, set[str]] | None = None
        self._loading: asyncio.Task[None] | None = None

    async def known_tags(self) -> set[str]:
        """Archive tags plus the popular ones, refreshed every few minutes. One refresh at
        a time: a burst of /subscribe that finds the cache stale waits for one query
        instead of each running its own."""
        now = self.clock()
        if self._known is None or now - self._known[0] > KNOWN_TAGS_TTL:
            loading = self._loading
            if (
                loading is None
                or loading.done()
                or loading.get_loop() is not asyncio.get_running_loop()
            ):
                loading = self._loading = asyncio.ensure_future(self._load(now))
            await asyncio.shield(loading)  # a caller cancelled does not cancel the others'
        assert self._known is not None
        return self._known[1]

    async def _load(self, now: datetime) -> None:
        tags = {t.upper() for t in await self.archive.known_tags("", 1000)}
        self._known = (now, tags | self.popular)

    async def subscribe(self, ctx: Context) -> Reply:
        if not ctx.args:
            raise CommandError(
                _(
                    "tell me what to follow, e.g. /subscribe BTC ETH positive "
                    "(popular tags: BTC ETH SOL XRP DEFI ETF)"
                )
            )
        flt, mention = parse_subscription(ctx.args, await self.known_tags())
        existing = await self.chats.list_subscriptions(ctx.chat.id)
        for old in existing:
            if old.filter == flt and old.mention == mention:
                return ctx.reply(
                    _("Already subscribed: {subscription}", subscription=subscription_line(old))
                )
        if len(existing) >= self.max_subscriptions:
            raise CommandError(
                _(
                    "this chat has the maximum of {limit} subscriptions; "
                    "remove one with /unsubscribe ID",
                    limit=self.max_subscriptions,
                )
            )
        subscription = await self.chats.add_subscription(
            ctx.chat.id, flt, created_by=ctx.cmd.user_id, mention=mention
        )
        if self.index is not None:
            self.index.add_subscription(subscription, ctx.chat.id)
        text = _(
            "Subscribed {subscription}; you get {mode}.",
            subscription=subscription_line(subscription),
            mode=delivery_mode(ctx.chat),
        )
        return ctx.reply(text)

    async def unsubscribe(self, ctx: Context) -> Reply:
        if len(ctx.args) != 1:
            raise CommandError(
                _("say which one: /unsubscribe 3, /unsubscribe BTC or /unsubscribe all")
            )
        target = ctx.args[0]
        if target.lower() == "all":
            removed = await self.chats.remove_all_subscriptions(ctx.chat.id)
            self._forget(removed)
            if not removed:
                return ctx.reply(_("There were no subscriptions to remove."))
            return ctx.reply(_("Removed all {count} subscription(s).", count=len(removed)))
        if target.lstrip("#").isdigit():
            number = parse_positive_int(target, _("a subscription id"), "/unsubscribe 3")
            if not await self.chats.remove_subscription(ctx.chat.id, number):
                raise CommandError(
                    _(
                        "this chat has no subscription #{id}; /subscriptions lists their ids",
                        id=number,
                    )
                )
            self._forget([number])
            return ctx.reply(_("Removed subscription #{id}.", id=number))
        try:
            tag = normalize_tag(target)
        except FilterError as exc:
            raise CommandError(_("{problem}; example: /unsubscribe BTC", problem=exc)) from None
        named = await self.chats.remove_subscriptions_by_tag(ctx.chat.id, tag)
        if not named:
            raise CommandError(
                _("no subscription here names {tag}; /subscriptions lists them", tag=tag)
            )
        self._forget([s.id for s in named])
        removed_lines = ", ".join(subscription_line(s) for s in named)
        return ctx.reply(_("Removed {subscriptions}.", subscriptions=removed_lines))

    async def show(self, ctx: Context) -> Reply:
        subscriptions = await self.chats.list_subscriptions(ctx.chat.id)
        routes = (await self.chats.routes([ctx.chat.id])).get(ctx.chat.id, {})
        lines = [subscription_list(subscriptions), settings_summary(ctx.chat, ctx.now)]
        if routes:
            shown = ", ".join(
                _("{tag} -> topic {topic}", tag=tag, topic=thread)
                for tag, thread in sorted(routes.items())
            )
            lines.append(_("Topic routes: {routes}.", routes=shown))
        return ctx.reply("\n".join(lines))

    def _forget(self, ids: Iterable[int]) -> None:
        if self.index is not None:
            for subscription_id in ids:
                self.index.remove(subscription_id)
