"""Templates rendered piece by piece (each top-level piece compiled once per process and
rendered once per alert, whichever chat's template it came from) give exactly the message
the whole template gives, embed and Telegram choices included; a preset under a chat's own
header costs no new compile."""

from __future__ import annotations

import random
from dataclasses import replace
from typing import Any

from bot.delivery.templating import heads, pieces, presets
from bot.delivery.templating.engine import Templates
from bot.delivery.templating.values import PLACEHOLDERS, sample_article
from bot.models import Alert, DeliveryKind, Sentiment


class _Whole(Templates):
    """Each template as one piece: the whole template rendered at once, for every chat."""

    def _remember(self, text: str) -> Any:
        parts = (self._pieces._piece(self.env.parse(text).body, whole=True),)
        digest = bool(pieces.names(parts) & {"items", "digest"})
        found = self._cache[text] = (parts, digest, pieces.shows_summary_plainly(parts))
        return found


HEADERS = ["", "Desk {n} · {{{{ source }}}}\n", "{{{{ title | bold }}}} #{n}\n", "{{# {n} #}}"]
HEADERS += ["Desk {n}\n", "{{{{ sentiment_emoji }}}} {n}\n"]
OWN = [
    "{% if summary %}{{ title | bold }}\n{{ summary }}{% endif %}@{{ summary }}",
    "{{ title }} {{ summary | cut(60) }} {{ summary }}",
    "{{ embed(title=title, colour='#ff0000') }}{{ field('Coins', coins | join(' ')) }}"
    "{{ telegram(preview=false) }}{% for t in tags %}{{ t | code }} {% endfor %}"
    "{{ source }}\n{{ summary }}",
    "{{ field('A', source) }}{{ title | linked }}{{ field('B', sentiment) }}{{ mention }}",
]


def _alerts() -> list[Alert]:
    base = sample_article()
    hostile = replace(
        base,
        title="<b>Pump</b> **now** @everyone https://evil.example/x",
        summary="Funds grew @here and www.phish.io/a <i>x</i> " * 20,
        sentiment=Sentiment.NEGATIVE,
        id=13,
    )
    bare = replace(base, summary="", url=None, tags=(), id=14)
    return [
        Alert(article=base, extra_sources=2),
        Alert(article=hostile, kind=DeliveryKind.BREAKING, mention="@alice"),
        Alert(article=bare, updated=True, retracted=True),
        Alert(article=base, kind=DeliveryKind.DIGEST, digest_items=(base, hostile, bare)),
    ]


def test_piece_by_piece_gives_the_whole_template_s_message_for_every_chat() -> None:
    texts = [
        presets.preset(name, platform)
        for name in ("compact", "standard", "full")
        for platform in ("telegram", "discord", "console")
    ]
    texts = [str(t) for t in texts] + OWN
    chats = [h.format(n=n) + t for n, (h, t) in enumerate((h, t) for t in texts for h in HEADERS)]
    fast, whole = Templates(), _Whole()
    for text in chats:
        assert fast.check(text) is None, text
    rng = random.Random(5)
    order = [(text, alert) for text in chats for alert in _alerts()]
    rng.shuffle(order)  # chats of one alert interleaved with others' as in a busy lane
    for mention in (None, "@bob"):
        for text, alert in order:
            alert = replace(alert, mention=alert.mention or mention)
            got = fast.render_or_none(text, alert)
            assert got == whole.render_or_none(text, alert), (text, alert.article.title)
            assert fast.render_or_none(text, alert) == got  # another chat, same template
    runs = [text for text in chats if any(isinstance(p, pieces.Run) for p in fast._entry(text)[0])]
    assert len(runs) >= len(texts)  # shared tails served as runs, for every template
    # the embed choices came from pieces other chats rendered first, and still arrived
    discord = presets.preset("standard", "discord")
    shown = fast.render(f"Desk 1 · {{{{ source }}}}\n{discord}", _alerts()[0])
    assert [name for name, _, _ in shown.fields] == ["Source", "Tags", "Sentiment"]
    assert shown.footer == "+2 sources · Cryptowire" and shown.author == "Article 12"


def test_a_preset_under_a_chat_s_own_header_is_compiled_once() -> None:
    templates = Templates()
    standard = presets.standard("telegram")
    assert templates.check(f"Desk 0 · {{{{ source }}}}\n{standard}") is None
    compiled = len(templates._pieces._known)
    for n in range(1, 40):  # forty chats, forty templates: no new piece to compile
        templates.render(f"Desk {n} · {{{{ source }}}}\n{standard}", _alerts()[0])
        templates.render(f"{{# chat {n} #}}{standard}", _alerts()[1])
    assert len(templates._pieces._known) == compiled


HEADS = [
    "Desk 1 · {{ source }}",
    "{{ title -}}",
    "x {%- if breaking %}B{% endif %}",
    "trailing space ",
    "{% raw %}{{ not }}",
    "{% raw %}{{ a }}{% endraw %}",
    "{# c",
    "ok {# c #}",
    "{{ 'a",
    "{% if breaking %}",
    "{{ title | bold }}{% for t in tags %}{{ t }}{% endfor %}",
    "A\r",
    "",
    "{{ source }}\n  {{ title }}",
    "{# chat 7 #}",
    "{#- c #}",
    "{# c -#}",
    "{# c +#}",
    "{# a #} b {{source}}",
    "{# {{ x #}",
    "50% #1 }} %} {{  title  }}",
    "{{ true }}",
    "{{ source|bold }}",
]
TAILS = [
    "\n" + presets.standard("telegram"),
    "\n{%- if breaking %}X{% endif %}{{ title }}",
    "\n   {{- title }} \n",
    "\n\n{{ summary }}\n",
    "\n{% endif %}{{ title }}",
    "\n{% endraw %}",
    presets.preset("compact", "telegram"),
    "{%- if breaking %}X{% endif %}{{ title }}",
    " {{- title }} x",
    "{% endif %}",
]


def test_a_known_template_under_a_chat_s_head_parses_to_the_whole_template_s_parts() -> None:
    """Only the head is parsed when the rest is a template seen before; the parts are
    those of the whole text, whatever whitespace control, comments or raw blocks meet at
    the cut; a text that does not parse as a whole still does not."""
    from jinja2 import TemplateSyntaxError

    cut = pieces.Pieces(Templates().env, PLACEHOLDERS)
    for tail in TAILS:
        for learn in ("Desk 7 · {{ title }}", "Desk 8", "{# 7 #}", "{# 8 #}"):  # learnt
            try:
                cut.parts_of(learn + tail)
            except TemplateSyntaxError:
                pass
        for head in HEADS:
            text = head + tail
            try:
                whole = cut.split(cut.env.parse(text))
            except TemplateSyntaxError:
                try:
                    cut.parts_of(text)
                except TemplateSyntaxError:
                    continue
                raise AssertionError(f"parsed a text that does not parse: {text!r}") from None
            assert pieces.flat(cut.parts_of(text)) == whole, repr(text)
    assert cut._tails  # the cut really served (the standard preset's tail at least)


def test_a_plain_head_read_without_the_parser_gives_the_parser_s_parts() -> None:
    """Text, ``{{ name }}`` and comments are read to the parser's very nodes; anything
    else (filters, whitespace control, constants, unknown names) goes to the parser."""
    cut = pieces.Pieces(Templates().env, PLACEHOLDERS)
    plain = ["Desk 7 · {{ source }}", "{# chat 7 #}", "{{source}} x {{  title  }}!"]
    plain += ["50% #1 }} %} a", "{# {{ x }} #}ok {# b #}", "A\nB {{ tags }}", "x #} y"]
    parsed = ["{{ true }}", "{{ source|bold }}", "{{- source }}", "{#- c #}", "{# c -#}"]
    parsed += ["{{ unknown }}", "{ a", "a\n", "A\r", "{% if x %}{% endif %}", "{{ Title }}"]
    for head in plain + parsed:
        got = heads.plain_head(head, PLACEHOLDERS)
        assert (got is not None) == (head in plain), head
        try:
            whole = cut._split(cut.env.parse(head))
        except Exception:
            assert got is None, head
            continue
        assert cut._standalone(head) == whole, head
    assert heads.cuts("{# chat 7 #}{% if digest %}\nx") == [
        ("{# chat 7 #}", "{% if digest %}\nx"),
        ("{# chat 7 #}{% if digest %}", "\nx"),
    ]
    assert heads.cuts("{# chat 7 -#} x") == []  # "-#}" strips what starts the tail
