"""The template engine's guarantees: one-line refusals when set, nothing a template can do
to reach Python, run away, inject markup, links or mentions, and no exception at send
time (the default look instead, logged once)."""

from __future__ import annotations

import logging
from dataclasses import replace

import pytest

from bot.delivery.templating import markup
from bot.delivery.templating.book import TemplateBook
from bot.delivery.templating.engine import Templates
from bot.delivery.templating.values import sample_article
from bot.models import Alert, ChatKind, ChatRef, ChatSettings, DeliveryKind

T = Templates()
ALERT = Alert(article=sample_article(), extra_sources=1)


def _text(template: str, alert: Alert = ALERT) -> str:
    rendered = T.render(template, alert)
    return "\n".join("".join(span.text for span in line) for line in rendered.lines)


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ("{{ titel }}", "unknown placeholder {{ titel }} (did you mean title?)"),
        ("line one\n{{ title | bold }", "syntax error on line 2: unexpected '}'"),
        ("{% if title %}{{ title }}", "syntax error on line 1: Unexpected end of template"),
        ("{{ title.__class__ }}", "fails on a sample article"),
        ("{{ title.ljust(100000000) }}", "fails on a sample article"),
        ("{{ 'x' * 100000000 }}", "text that is too long"),
        ("{{ '%999999999d' % 1 }}", "% formatting is not available"),
        ("{{ tags | join('x' * 30000) }}", "text that is too long"),
        ("{% for i in range(9) %}x{% endfor %}", "unknown placeholder {{ range }}"),
        ("{% set x = title %}{{ x }}", "{% set %} cannot be used"),
        ("{% macro m() %}{{ m() }}{% endmacro %}{{ m() }}", "macros cannot be used"),
        ("{% include 'x' %}", "include cannot be used"),
        ("{% for c in title %}{{ c }}{% endfor %}", "a loop may only go over tags"),
        (
            "{% for a in tags %}{% for b in tags %}{% for c in tags %}x{% endfor %}"
            "{% endfor %}{% endfor %}",
            "nested two deep at most",
        ),
        ("{% for t in tags recursive %}{{ loop(tags) }}{% endfor %}", "recursive loops"),
        ("{{ title }} https://evil.example", "cannot contain links of its own"),
        ("{{ title }} see evil.com now", "cannot contain links of its own"),
        ("{{ title | replace('a', 'www.evil') }}", "cannot contain links of its own"),
        ("{{ title }} @here", "cannot mention anyone"),
        ("{{ title }} \ue001bold", "private-use characters"),
        ("", "the template is empty"),
        ("x" * 2001, "at most 2000 characters"),
        ("{{ '' }}", "renders an empty message"),
    ],
)
def test_a_bad_template_is_refused_with_one_line_naming_the_problem(template, expected):
    problem = T.check(template)
    assert problem is not None and expected in problem
    assert "\n" not in problem and len(problem) < 300


def test_text_is_shown_as_typed_and_only_helpers_style_it():
    template = "<b>{{ title | bold }}</b> **{{ source | italic }}** [x]({{ link }})"
    assert T.check(template) is None
    (line,) = T.render(template, ALERT).lines
    assert line[0].text == "<b>" and not line[0].bold
    assert line[1].bold and line[1].text == ALERT.article.title
    assert line[2].text == "</b> **" and not any((line[2].bold, line[2].italic))
    assert line[3].italic and line[3].text == "Decrypt"
    assert line[-1].text.endswith(f"[x]({ALERT.article.url})") and not line[-1].url


def test_links_only_to_the_article_and_built_links_are_removed():
    hostile = "{{ title | linked(link) }} {{ 'evil' ~ '.exa' ~ 'mple' }}"
    assert T.check(hostile) is None
    (line,) = T.render(hostile, ALERT).lines
    assert line[0].url == "https://decrypt.co/etf-inflows"
    assert line[-1].text.endswith(markup.REMOVED_LINK)
    other = "{{ title | linked(('https://' ~ 'evil') ~ '.example/') }}"
    (line,) = T.render(other, ALERT).lines
    assert all(not span.url for span in line)  # not the article's: no link at all


def test_mentions_from_headlines_are_neutralised_but_the_chats_own_stay():
    article = replace(sample_article(), title="Pump @everyone @here now, says @satoshi_n")
    text = _text("{{ title }}", replace(ALERT, article=article))
    assert "@everyone" not in text and "@here" not in text
    assert "@\u200beveryone" in text and "@satoshi_n" in text  # the headline's own name
    built = _text("{{ '@' ~ 'someone' }} {{ mention }}", replace(ALERT, mention="@alice_t"))
    assert built == "@\u200bsomeone @alice_t"


def test_a_template_failing_at_send_time_falls_back_and_is_logged_once(caplog):
    template = "{{ 100 // (sources_count - 4) }} {{ title }}"
    assert T.check(template) is None  # fine on every sample
    chat = ChatSettings(1, ChatRef("telegram", "1"), ChatKind.PRIVATE, template=template)
    book = TemplateBook(templates=T)
    breaking = Alert(article=sample_article(), extra_sources=3, kind=DeliveryKind.BREAKING)
    with caplog.at_level(logging.WARNING, logger="cryptowire.templates"):
        first = book.apply(breaking, chat)
        second = book.apply(breaking, chat)
    assert first.rendered is None and second.rendered is None  # the default look
    assert book.apply(ALERT, chat).rendered is not None
    warnings = [r for r in caplog.records if "template failed" in r.getMessage()]
    assert len(warnings) == 1 and "ZeroDivisionError" in warnings[0].getMessage()


def test_admin_defaults_apply_in_order_and_a_bad_one_stops_with_one_line():
    book = TemplateBook({"telegram": "compact"}, [("telegram", "@news", "full")])
    plain = ChatSettings(1, ChatRef("telegram", "5"))
    target = ChatSettings(2, ChatRef("telegram", "@news"))
    own = replace(plain, template="{{ title }}")
    assert "linked | bold }} · {{ source | italic }}" in (book.text_for(plain) or "")
    assert "Sources ({{ sources_count }})" in (book.text_for(target) or "")
    assert book.text_for(own) == "{{ title }}"
    assert book.text_for(ChatSettings(3, ChatRef("discord", "9"))) is None  # fixed look
    with pytest.raises(Exception, match=r"^\[templates\] discord: unknown placeholder"):
        TemplateBook({"discord": "{{ nope }}"})


def test_mentions_by_tag():
    chat = ChatSettings(1, ChatRef("discord", "5"), mentions=(("BTC", "<@&1>"), ("ETH", "<@&2>")))
    assert TemplateBook.mention_for(chat, ("ETH", "BTC")) == "<@&1> <@&2>"
    assert TemplateBook.mention_for(chat, ("SOL",)) is None
    alert = TemplateBook().apply(Alert(article=sample_article()), chat)  # tags BTC, ETF
    assert alert.mention == "<@&1>" and alert.rendered is None  # no template: fixed look


def test_digests_use_a_templates_digest_part_or_keep_the_fixed_layout():
    digest = Alert(
        article=sample_article(),
        kind=DeliveryKind.DIGEST,
        digest_items=(sample_article(), replace(sample_article(), title="Second", id=13)),
    )
    book = TemplateBook(templates=T)
    with_part = ChatSettings(
        1,
        ChatRef("console", "x"),
        template="{{ title }}{% if digest %}"
        "{% for item in items %}\n- {{ item.title }}{% endfor %}{% endif %}",
    )
    shown = book.apply(digest, with_part).rendered
    assert shown is not None and [line[0].text for line in shown.lines][-1] == "- Second"
    single = replace(with_part, template="{{ title }}")
    assert book.apply(digest, single).rendered is None
