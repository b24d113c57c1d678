"""Hostile files too big to keep in git, written at test time (each just under the 2 MiB
default file limit unless the point is to be over it)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

LIMIT = 2 * 1024 * 1024  # [ingest] max_file_bytes default


def _front(meta: str, body: str = "Body text.\n") -> bytes:
    return f"---\n{meta}\n---\n{body}".encode()


def _fill(head: str, unit: str, tail: str = "") -> bytes:
    room = LIMIT - len(head.encode()) - len(tail.encode()) - 16
    return (head + unit * (room // len(unit.encode())) + tail).encode()


GENERATED: dict[str, Callable[[], bytes]] = {
    # 500,000 list items in front matter: 6 s and 140 MB in PyYAML before the 64 KiB cap
    "huge_front_matter_list.md": lambda: _fill("---\ntitle: T\nitems:\n", "- a\n", "---\nb\n"),
    "huge_front_matter_flow.md": lambda: _fill("---\ntitle: T\nitems: [", "a,", "a]\n---\nb\n"),
    "huge_title.md": lambda: _fill("---\ntitle: ", "Bitcoin ", "\n---\nbody\n"),
    "long_title_in_front_matter.md": lambda: _front("title: " + "Solana " * 8000),
    "huge_title_plain.txt": lambda: _fill("", "Ether ", "\n\nbody\n"),
    "brackets_body.md": lambda: _fill("Bracket flood\n\n", "[", ""),
    "emphasis_body.md": lambda: _fill("Emphasis flood\n\n", "__a ", ""),
    "link_parens_body.md": lambda: _fill("Paren flood\n\n", "[x](", ""),
    "html_many_tags.html": lambda: _fill("<!doctype html><html><body><h1>Tags</h1>", "<b>", ""),
    "html_deep_nesting.html": lambda: _fill(
        "<!doctype html><html><body><h1>Deep</h1>", "<div>", "</body></html>"
    ),
    "one_long_line.txt": lambda: _fill("One long line\n\n", "x", ""),
    "many_short_lines.txt": lambda: _fill("A million short lines\n\n", "a\n", ""),
    "over_the_limit.md": lambda: _front("title: Too big", "x" * (LIMIT + 1)),
    "nul_after_8k.txt": lambda: b"NUL bytes late\n\n" + b"a" * 9000 + b"\x00" * 1000,
}


def write_generated(folder: Path) -> list[str]:
    """Write every generated file into ``folder``; return their names."""
    for name, make in GENERATED.items():
        (folder / name).write_bytes(make())
    return list(GENERATED)
