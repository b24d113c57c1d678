"""The shipped templates: ``/format compact|standard|full``, per platform.

``standard`` is each platform's fixed look written as a template: rendered through the
engine and the adapter it gives exactly what the fixed renderers give (a test holds it to
that), so ``/template`` can show it as the starting point for a chat's own.
"""

from __future__ import annotations

from bot.i18n import N_

_SOURCES = '{{ ("+" ~ extra_sources ~ (" source" if extra_sources == 1 else " sources")) }}'

TELEGRAM_STANDARD = (
    "{% if retracted %}⚠️ {{ 'RETRACTED' | bold }}: the source withdrew this story.\n"
    "{% elif breaking %}🚨 {{ 'BREAKING' | bold }}\n{% endif %}"
    "{% if updated and not retracted %}✏️ {{ 'Updated' | italic }}\n{% endif %}"
    "{{ (title | linked | strike) | bold if retracted else title | linked | bold }}\n"
    "{{ sentiment_emoji }} {{ sentiment | capitalize }} · {{ source | italic }} · "
    "{{ published | date('%d %b %Y, %H:%M %Z') }}"
    "{% if extra_sources %} · " + _SOURCES.replace("}}", "| bold }}") + "{% endif %}\n"
    "\n{{ summary }}\n\n{{ hashtags }}\n{{ mention }}"
)

DISCORD_STANDARD = (
    "{{ embed(title=('RETRACTED · ' if retracted else ('🔴 BREAKING · ' if breaking else ''))"
    " ~ title, author=('Article ' ~ id) if id else '', footer=('updated · ' if updated else '')"
    " ~ ((" + _SOURCES[3:-3] + " ~ ' · ') if extra_sources else '') ~ 'Cryptowire',"
    " image=not retracted) }}"
    "{{ field('Source', source) if source else '' }}"
    "{{ field('Tags', tags | map('code') | join(' ')) if tags else '' }}"
    "{{ field('Sentiment', sentiment | capitalize) }}"
    "{% if retracted %}This story was retracted by its source.{% else %}"
    "{{ summary or body }}{% endif %}"
)

CONSOLE_STANDARD = (
    "{% if breaking %}BREAKING{% if retracted %} · RETRACTED{% elif updated %} · UPDATED"
    "{% endif %}\n{% elif retracted %}RETRACTED\n{% elif updated %}UPDATED\n{% endif %}"
    "{{ title }}\n"
    "{{ source }} · {{ time }} · {{ sentiment_arrow }} {{ sentiment }}"
    "{% if extra_sources %} · " + _SOURCES + "{% endif %}\n"
    "{% if summary %}{{ summary | cut(320) }}\n{% endif %}"
    "{% if hashtags %}{{ hashtags }}\n{% endif %}"
    "{% if link %}{{ link }}\n{% endif %}"
    "{{ mention }}"
)

_DIGEST = (
    "{% if digest %}{{ ('Digest · ' ~ count ~ (' story' if count == 1 else ' stories')) | bold }}"
    "\n{% for item in items %}{{ item.sentiment_emoji }} {{ item.title | linked(item.link) }}"
    " · {{ item.source | italic }}{% if not item.link %}{% endif %}\n{% endfor %}{% else %}"
)

COMPACT = (
    _DIGEST + "{{ sentiment_emoji }} {{ title | linked | bold }} · {{ source | italic }}"
    "{{ telegram(cover=false, preview=false) }}{{ embed(timestamp=false, image=false) }}"
    "{% endif %}"
)
CONSOLE_COMPACT = (
    "{% if digest %}Digest · {{ count }} stories\n{% for item in items %}"
    "{{ item.sentiment_arrow }} {{ item.title }} · {{ item.source }} {{ item.link }}\n"
    "{% endfor %}{% else %}{{ sentiment_arrow }} {{ title }} · {{ source }} {{ link }}"
    "{% endif %}"
)

FULL = (
    _DIGEST + "{% if breaking %}🚨 {{ 'BREAKING' | bold }}\n{% endif %}"
    "{% if retracted %}⚠️ {{ 'RETRACTED' | bold }}\n{% elif updated %}✏️ "
    "{{ 'Updated' | italic }}\n{% endif %}"
    "{{ title | linked | bold }}\n"
    "{{ sentiment_emoji }} {{ sentiment | capitalize }} · {{ source | italic }} · {{ time }}\n\n"
    "{{ summary or body }}\n\n"
    "Sources ({{ sources_count }}): {{ sources | join(', ') }}\n"
    "{{ hashtags }}\n{{ mention }}"
    "{{ telegram(cover=true, preview=true) }}"
    "{{ embed(title=title, footer='Story ' ~ story_id if story_id else 'Cryptowire') }}"
    "{% endif %}"
)
CONSOLE_FULL = (
    "{% if digest %}Digest · {{ count }} stories\n{% for item in items %}"
    "{{ item.title }} — {{ item.source }}, {{ item.time }}\n{{ item.link }}\n{% endfor %}"
    "{% else %}{% if breaking %}BREAKING\n{% endif %}{% if retracted %}RETRACTED\n"
    "{% elif updated %}UPDATED\n{% endif %}{{ title }}\n"
    "{{ source }} · {{ time }} · {{ sentiment_arrow }} {{ sentiment }}\n\n"
    "{{ summary or body }}\n\n"
    "Sources ({{ sources_count }}): {{ sources | join(', ') }}\n"
    "{{ hashtags }}\n{{ link }}\n{{ image }}\n{{ mention }}{% endif %}"
)

STANDARD = {"telegram": TELEGRAM_STANDARD, "discord": DISCORD_STANDARD}
STANDARD["console"] = CONSOLE_STANDARD
PRESETS: dict[str, dict[str, str]] = {
    "compact": {"console": CONSOLE_COMPACT, "*": COMPACT},
    "standard": {**STANDARD, "*": CONSOLE_STANDARD},
    "full": {"console": CONSOLE_FULL, "*": FULL},
}
PRESET_HELP = {  # marked for translation: /format shows them in the chat's language
    "compact": N_("one line: sentiment, linked title, source"),
    "standard": N_("today's alert (the default)"),
    "full": N_("title, summary, every source, tags and the cover image"),
}


def preset(name: str, platform: str) -> str | None:
    """The preset's text for a platform; None for an unknown name."""
    table = PRESETS.get(name.lower())
    if table is None:
        return None
    return table.get(platform) or table["*"]


def standard(platform: str) -> str:
    """The default template of a platform (its fixed look)."""
    return STANDARD.get(platform, CONSOLE_STANDARD)


def preset_name(text: str | None, platform: str) -> str | None:
    """Which preset a stored template is, if it is one."""
    if text is None:
        return "standard"
    for name in PRESETS:
        if preset(name, platform) == text:
            return name
    return None
