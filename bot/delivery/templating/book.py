"""Which template and which mention a chat's alert gets, applied just before it is sent.

Order: the chat's own template (``/template``, ``/format``), else the admin's default for
its ``[[broadcast]]`` target, else for its platform (``[templates]``), else none: the
adapter's fixed look (what every chat had before templates existed). Edits go through
the same path, so a message edited in place keeps the chat's template.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import replace

from bot.delivery.templating import presets
from bot.delivery.templating.engine import Templates
from bot.errors import UserError
from bot.models import Alert, ChatSettings, DeliveryKind

log = logging.getLogger("cryptowire.templates")


def resolve(value: str, platform: str) -> str:
    """A config or command value: a preset name (compact, standard, full) or a template."""
    named = presets.preset(value.strip(), platform) if "{" not in value else None
    return named if named is not None else value


class TemplateBook:
    """Per-process: admin defaults, the compiled-template cache, mention rules."""

    def __init__(
        self,
        defaults: Mapping[str, str] | None = None,
        targets: Iterable[tuple[str, str, str]] = (),
        templates: Templates | None = None,
    ) -> None:
        self.templates = templates or Templates()
        self.defaults: dict[str, str] = {}
        self.targets: dict[tuple[str, str], str] = {}
        for platform, value in (defaults or {}).items():
            if value:
                self.defaults[platform] = self._checked(value, platform, f"[templates] {platform}")
        for platform, chat, value in targets:
            if value:
                where = f"[[broadcast]] {platform}:{chat} template"
                self.targets[(platform, chat)] = self._checked(value, platform, where)

    def _checked(self, value: str, platform: str, where: str) -> str:
        text = resolve(value, platform)
        problem = self.templates.check(text)
        if problem:
            raise UserError(f"{where}: {problem}")
        return text

    def text_for(self, chat: ChatSettings) -> str | None:
        """The template this chat's alerts use; None for the fixed look."""
        if chat.template:
            return chat.template
        found = self.targets.get((chat.ref.platform, chat.ref.chat_id))
        return found if found is not None else self.defaults.get(chat.ref.platform)

    def default_for(self, chat: ChatSettings) -> str:
        """What ``/template reset`` goes back to (as text, for showing)."""
        found = self.targets.get((chat.ref.platform, chat.ref.chat_id))
        found = found or self.defaults.get(chat.ref.platform)
        return found or presets.standard(chat.ref.platform)

    @staticmethod
    def mention_for(chat: ChatSettings, tags: Iterable[str]) -> str | None:
        """Who ``/mention`` pings for an article with these tags (each one once)."""
        if not chat.mentions:
            return None
        wanted = {tag.upper() for tag in tags}
        found = [who for tag, who in chat.mentions if tag == "*" or tag in wanted]
        return " ".join(dict.fromkeys(" ".join(found).split())) or None

    def handles_digest(self, text: str) -> bool:
        return self.templates.handles_digest(text)

    def apply(self, alert: Alert, chat: ChatSettings, sources: tuple[str, ...] = ()) -> Alert:
        """The alert with the chat's mention and template applied; never raises."""
        try:
            mention = alert.mention or self.mention_for(chat, alert.article.tags)
            if mention != alert.mention:
                alert = replace(alert, mention=mention)
            text = self.text_for(chat)
            if text is None:
                return alert
            digest = alert.kind is DeliveryKind.DIGEST or bool(alert.digest_items)
            if digest and not self.handles_digest(text):
                return alert  # a template for single alerts: the digest keeps its fixed look
            rendered = self.templates.render_or_none(text, alert, sources)
            return alert if rendered is None else replace(alert, rendered=rendered)
        except Exception:
            log.warning("applying chat %s's template failed; default look", chat.id, exc_info=True)
            return alert
