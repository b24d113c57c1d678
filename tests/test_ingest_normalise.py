"""Text repair, HTML and markdown to text, and every date shape sources write."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from bot.ingest.errors import RejectedDocument
from bot.ingest.normalise import (
    clean_block,
    clean_line,
    fix_text,
    html_to_text,
    markdown_to_text,
    parse_datetime,
)

NOW = datetime(2026, 1, 10, 12, 0, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("broken", "fixed"),
    [
        ("the fragile natureâ€¦", "the fragile nature…"),
        ("Bitcoinâ€™s rally", "Bitcoin’s rally"),
        ("El Corte InglÃ©s", "El Corte Inglés"),
        ("â€œquotedâ€\x9d", "“quoted”"),
        ("plain ascii stays", "plain ascii stays"),
        ("curly ‘quotes’ stay curly", "curly ‘quotes’ stay curly"),
        ("zero\u200bwidth and soft\u00adhyphen", "zerowidth and softhyphen"),
        ("bell\x07 and null\x00", "bell and null"),
        ("Cafe\u0301", "Café"),  # NFC
    ],
)
def test_fix_text(broken: str, fixed: str) -> None:
    assert fix_text(broken) == fixed


def test_clean_line_and_block() -> None:
    assert clean_line("  a \t b\n c\u00a0 d ") == "a b c d"
    assert clean_block("a  b\n\n\n\n c \n\nd") == "a b\n\nc\n\nd"


@pytest.mark.parametrize(
    ("html", "text"),
    [
        ("<p>One <b>bold</b> move.</p><p>Two.</p>", "One bold move.\n\nTwo."),
        ("Fish &amp; chips &#8212; &quot;yes&quot;", 'Fish & chips — "yes"'),
        ("a<br>b<br/>c", "a\nb\nc"),
        ("<script>alert(1)</script>Safe", "Safe"),
        ("no tags, 3 < 4 > 2", "no tags, 3 < 4 > 2"),
        ("<ul><li>x</li><li>y</li></ul>", "x\n\ny"),
        ("<p>a<!-- hidden --> b</p><style>p{}</style>", "a b"),
    ],
)
def test_html_to_text(html: str, text: str) -> None:
    assert clean_block(html_to_text(html)) == text


@pytest.mark.parametrize(
    ("markdown", "text"),
    [
        ("## Overview\n\nBody.", "Overview\n\nBody."),
        ("See [the report](https://x.example/r) now.", "See the report now."),
        ("![chart](https://x.example/c.png)\n\nText", "\n\nText"),
        ("**bold** and __strong__ and *it*", "bold and strong and it"),
        ("> quoted line\n> more", "quoted line more"),
        ("soft\nwrapped\nline\n\nnext", "soft wrapped line\n\nnext"),
        ("- one\n- two\n  continued", "- one\n- two continued"),
        ("a\n\n---\n\nb", "a\n\n\n\nb"),
        ("[ref link][1]\n\n[1]: https://x.example", "ref link\n\n"),
        ("```\ncode\n```", "\ncode\n"),
        ("price is $5 * 2", "price is $5 * 2"),
        ("snake_case_name stays", "snake_case_name stays"),
    ],
)
def test_markdown_to_text(markdown: str, text: str) -> None:
    assert markdown_to_text(markdown) == text


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2026-01-07T03:54:43.000Z", datetime(2026, 1, 7, 3, 54, 43, tzinfo=UTC)),
        ("2026-01-07T05:54:43+02:00", datetime(2026, 1, 7, 3, 54, 43, tzinfo=UTC)),
        ("2026-01-07 03:54", datetime(2026, 1, 7, 3, 54, tzinfo=UTC)),
        ("2026-01-07", datetime(2026, 1, 7, tzinfo=UTC)),
        ("Jan 7, 2026, 08:34 AM", datetime(2026, 1, 7, 8, 34, tzinfo=UTC)),
        ("January 7th, 2026 8:34 pm", datetime(2026, 1, 7, 20, 34, tzinfo=UTC)),
        ("Wed, 07 Jan 2026 08:34:00 GMT", datetime(2026, 1, 7, 8, 34, tzinfo=UTC)),
        ("Wed, 07 Jan 2026 08:34:00 -0500", datetime(2026, 1, 7, 13, 34, tzinfo=UTC)),
        ("3 hours ago", NOW.replace(microsecond=0) - timedelta(hours=3)),
        ("an hour ago", NOW.replace(microsecond=0) - timedelta(hours=1)),
        ("just now", NOW.replace(microsecond=0)),
        ("yesterday", datetime(2026, 1, 9, tzinfo=UTC)),
        (1767787200, datetime(2026, 1, 7, 12, 0, tzinfo=UTC)),
        (1767787200000, datetime(2026, 1, 7, 12, 0, tzinfo=UTC)),
        (date(2026, 1, 7), datetime(2026, 1, 7, tzinfo=UTC)),
        (datetime(2026, 1, 7, 8, 0), datetime(2026, 1, 7, 8, 0, tzinfo=UTC)),
        (
            datetime(2026, 1, 7, 8, 0, tzinfo=timezone(timedelta(hours=-5))),
            datetime(2026, 1, 7, 13, 0, tzinfo=UTC),
        ),
    ],
)
def test_dates_become_aware_utc(value: object, expected: datetime) -> None:
    parsed = parse_datetime(value, field="date", now=NOW)
    assert parsed == expected
    assert parsed.tzinfo is UTC


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("2026-02-31", "impossible date in date: '2026-02-31'"),
        ("2026-02-29T10:00:00Z", "impossible date"),  # 2026 is not a leap year
        ("0000-01-01", "impossible date"),
        ("2026-00-10", "impossible date"),
        ("1900-01-01", "before 1970"),
        (-5, "before 1970"),
        (10**20, "impossible date"),
        ("soon-ish", "unreadable date in date: 'soon-ish'"),
        ("x" * 200, "not a date"),
        (True, "not a date"),
        (["2026-01-01"], "not a date"),
        ("", "not a date"),
    ],
)
def test_impossible_and_unreadable_dates_are_rejected(value: object, reason: str) -> None:
    with pytest.raises(RejectedDocument) as caught:
        parse_datetime(value, field="date", now=NOW)
    assert reason in str(caught.value)
