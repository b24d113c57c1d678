"""Templates through the console demo, as a user drives it: set by command, alerts arrive in
the chat's template, bad templates are refused with one line and the old one stays."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.test_console_demo import Lines, demo

pytestmark = pytest.mark.slow

ARTICLE = """---
title: "Bitcoin **soars** [click](https://evil.example) @everyone _now_"
publishedAt: '2026-02-10T08:00:00Z'
url: https://news.example/btc-soars
source:
  name: Test Wire
  key: test-wire
tags: [BTC]
sentiment: POSITIVE
---
Bitcoin rose sharply on Tuesday as buyers returned to the market in force.
"""

SECOND = (
    ARTICLE.replace("Test Wire", "Other Wire")
    .replace("test-wire", "other-wire")
    .replace("btc-soars", "btc-soars-2")
)


def _send(process, line: str) -> None:  # type: ignore[no-untyped-def]
    process.stdin.write(line + "\n")
    process.stdin.flush()


def _drop(tmp_path: Path, inbox: Path, name: str, text: str) -> None:
    (tmp_path / "draft.md").write_text(text, encoding="utf-8")
    os.replace(tmp_path / "draft.md", inbox / name)


def _alert_lines(lines: Lines, head: str = "┌─ ALERT") -> list[str]:
    lines.wait_for(lambda line: line.startswith(head))
    body: list[str] = []
    while True:
        line = lines.wait_for(lambda _line: True, timeout=5)
        if line.startswith("└─"):
            return body
        body.append(line)


def test_template_set_by_command_shapes_the_alert_and_a_bad_one_is_refused(tmp_path: Path):
    inbox = tmp_path / "inbox"
    process = demo(["--inbox", str(inbox)], tmp_path)
    lines = Lines(process)
    lines.wait_for(lambda line: "Drop article files into" in line)
    _send(process, "/subscribe BTC")
    lines.wait_for(lambda line: line.startswith("Subscribed"))
    _send(process, r"/template NEWS {{ sentiment_arrow }} {{ title | bold }}\n{{ link }}")
    lines.wait_for(lambda line: line.startswith("Template set"))

    _drop(tmp_path, inbox, "one.md", ARTICLE)
    body = _alert_lines(lines)
    # shown as typed: no markup of any platform, no live mass mention
    assert body[0].startswith("│ NEWS ▲ Bitcoin **soars** [click](https://evil.example)")
    assert "@\u200beveryone" in body[0] and "@everyone" not in body[0]
    assert body[1] == "│ https://news.example/btc-soars"
    assert len(body) == 2

    # a bad template: one line naming the problem, and the previous template stays
    _send(process, "/template {{ title }} {{ nonsense }}")
    refused = lines.wait_for(lambda line: line.startswith("Template not changed"))
    assert "unknown placeholder {{ nonsense }}" in refused
    _send(process, "/template {% if title %}{{ title }}")
    refused = lines.wait_for(lambda line: line.startswith("Template not changed"))
    assert "syntax error on line 1" in refused
    _send(process, "/template {{ title }} see www.evil.example")
    assert "links of its own" in lines.wait_for(lambda x: x.startswith("Template not changed"))

    # a second source of the same story: the sent alert is edited in place, same template
    _drop(tmp_path, inbox, "two.md", SECOND)
    body = _alert_lines(lines, "┌─ EDIT of #1")
    assert body[0].startswith("│ NEWS ▲ Bitcoin **soars**")
    assert len(body) == 2

    _send(process, "/template reset")
    lines.wait_for(lambda line: line.startswith("Template reset"))
    process.stdin.close()
    assert process.wait(timeout=60) == 0
    assert "Traceback" not in "\n".join(lines.rest())
