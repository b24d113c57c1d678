"""The shared line memo (a fan-out's chats reuse each other's sanitised, parsed lines) gives
the same message as sanitising and parsing the whole text, and never keeps a link or a
mention the whole-text path would neutralise, whoever rendered the line first."""

from __future__ import annotations

import random
from dataclasses import replace

from bot.delivery.templating import lines, markup, presets
from bot.delivery.templating.engine import Templates
from bot.delivery.templating.values import sample_article
from bot.models import Alert, ChatKind, ChatRef, ChatSettings

ARTICLE_URL = "https://decrypt.co/etf-inflows"
ALLOWED = f"Bitcoin ETF @alice wrote https://decrypt.co/etf-inflows and decrypt.co\n{ARTICLE_URL}"
B, IT, E, K = (markup.OPEN[s] for s in (markup.BOLD, markup.ITALIC, markup.ELASTIC, markup.LINK))
B_, IT_, E_, K_ = (
    markup.CLOSE[s] for s in (markup.BOLD, markup.ITALIC, markup.ELASTIC, markup.LINK)
)
PIECES = [
    "Bitcoin ",
    "ETF",
    " ",
    "  ",
    "\n",
    "\n\n\n",
    " \n",
    "\t",
    "@alice",
    "@everyone",
    "@here",
    "@mallory",
    "x@bob",
    "https://evil.example/x",
    "https://decrypt.co/etf-inflows",
    "(see https://decrypt.co/etf-inflows).",
    "evil.com",
    "decrypt.co",
    "www.phish.io/a",
    "\u00a0",
    B,
    B_,
    IT,
    IT_,
    E,
    E_,
    f"{K}{ARTICLE_URL}{markup.URL_END}",
    f"{K}https://evil.example/{markup.URL_END}",
    K_,
    "é中🚀",
]


def _whole(text: str, mention: str | None) -> tuple[tuple, str]:
    kept = markup.sanitise(text, lambda: ALLOWED, mention)
    return markup.parse(kept, frozenset({ARTICLE_URL})), kept


def test_line_by_line_matches_the_whole_text_on_hostile_mixtures() -> None:
    rng = random.Random(17)
    for mention in (None, "@alice", "@bob @carol"):
        memo = lines.LineMemo(lambda: ALLOWED, mention, frozenset({ARTICLE_URL}))
        for _ in range(3000):
            text = "".join(rng.choices(PIECES, k=rng.randint(0, 14)))
            first = lines.process(text, memo)
            again = lines.process(text, memo)  # now from the memo
            assert first == again
            if first is None:  # a link target holding a new line: the whole-text path
                continue
            expected_lines, expected_text = _whole(text, mention)
            assert first[0] == expected_lines, repr(text)
            assert markup.tidy(first[1]) == markup.tidy(expected_text), repr(text)


def test_no_chat_gets_another_chats_links_or_mentions_through_the_memo() -> None:
    """Two chats with different /mention on one alert: each keeps only its own name."""
    templates = Templates()
    alert = Alert(article=sample_article())
    template = "{{ title }}\n{{ mention }} @bob {{ summary }}"
    assert templates.check(template) is not None  # a literal @name is refused when set...
    template = "{{ title }}\n{{ mention }} {{ '@' ~ 'bob' }}"  # ...and built ones neutralised
    assert templates.check(template) is None
    shown = {}
    for who in ("@bob", "@carol", None):
        rendered = templates.render(template, replace(alert, mention=who))
        shown[who] = "\n".join("".join(s.text for s in line) for line in rendered.lines)
    assert "@bob" in shown["@bob"] and "@\u200bbob" not in shown["@bob"]
    assert "@\u200bbob" in shown["@carol"] and "@carol" in shown["@carol"]
    assert "@\u200bbob" in shown[None]


def test_the_summary_line_is_sanitised_once_for_every_chat_of_an_alert() -> None:
    templates = Templates()
    article = replace(sample_article(), summary="Funds grew. " * 50 + "@everyone look")
    alert = Alert(article=article)
    chats = [
        ChatSettings(
            id=n,
            ref=ChatRef("telegram", str(n)),
            kind=ChatKind.PRIVATE,
            template=f"Desk {n}: {{{{ title }}}}\n{{{{ summary }}}}",
        )
        for n in range(5)
    ]
    outputs = [templates.render(chat.template or "", alert) for chat in chats]
    summaries = {id(out.lines[1]) for out in outputs}
    assert len(summaries) == 1  # one parsed line object shared by all five chats
    text = "".join(s.text for s in outputs[0].lines[1])
    assert "@\u200beveryone" in text and "@everyone" not in text
    assert [o.lines[0][0].text.split(":")[0] for o in outputs] == [f"Desk {n}" for n in range(5)]


class _WholeText(Templates):
    """The path for alerts without an id: no memo, no stand-in, the whole text at once."""

    def _memo_of(self, *args: object, **kwargs: object) -> None:
        return None


def test_templates_give_the_same_message_with_and_without_the_shared_lines() -> None:
    fast, whole = Templates(), _WholeText()
    summaries = [
        "Funds grew @everyone and https://evil.example/x plus decrypt.co news @alice " * 30,
        "Short one with www.phish.io/a and @here.",
        "",
    ]
    templates = [
        presets.preset(name, platform)
        for name in ("compact", "standard", "full")
        for platform in ("telegram", "discord", "console")
    ]
    templates += [
        "{% if summary %}{{ title | bold }}\n{{ summary }}{% endif %}@{{ summary }}",
        "{{ title }} {{ summary | cut(60) }} {{ summary }}",  # not plain: no stand-in
        "{{ title }} {{ mention }} {{ summary | italic }}\n{{ summary }}",
    ]
    for template in templates:
        assert template and fast.check(template) is None, template
        for summary in summaries:
            for mention in (None, "@alice", "@bob"):
                article = replace(sample_article(), summary=summary)
                alert = Alert(article=article, mention=mention, extra_sources=2)
                assert fast.render(template, alert) == whole.render(template, alert), template
    # the stand-in really served the presets, and not the template that cuts the summary
    assert fast._entry(presets.standard("telegram"))[2] is True
    assert fast._entry(templates[-2])[2] is False
