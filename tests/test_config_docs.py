"""config.example.toml and the README's configuration table name every key of the settings
model, and nothing else; the example's active values are the model's defaults."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
from pydantic import BaseModel

from bot.config import Settings

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "config.example.toml"
README = ROOT / "README.md"
SECTION = re.compile(r"^#?\s*\[\[?(\w+)\]\]?\s*(#.*)?$")
KEY = re.compile(r"^#?\s*(\w+)\s*=")


def model_keys() -> dict[str, set[str]]:
    """Section -> its keys, from the pydantic model (what the program really reads)."""
    keys: dict[str, set[str]] = {}
    for name, field in Settings.model_fields.items():
        if name == "source_file":
            continue
        annotation = field.annotation
        inner = getattr(annotation, "__args__", (annotation,))[0]  # list[SourceConfig]
        assert isinstance(inner, type) and issubclass(inner, BaseModel), name
        keys[name] = set(inner.model_fields)
    return keys


def example_keys() -> dict[str, set[str]]:
    """Section -> keys written in config.example.toml, active or commented out
    (``# token = "..."``: documented, but not set by default)."""
    found: dict[str, set[str]] = {}
    section: str | None = None
    for raw in EXAMPLE.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        header = SECTION.match(line)
        if header:
            section = header.group(1)
            found.setdefault(section, set())
            continue
        key = KEY.match(line)
        if key and section is not None:
            found[section].add(key.group(1))
    return found


def readme_keys() -> dict[str, set[str]]:
    """Section -> keys named in the README's configuration table (parenthesised notes and
    what follows a colon, which also hold example values, are not keys)."""
    found: dict[str, set[str]] = {}
    for line in README.read_text(encoding="utf-8").splitlines():
        row = re.match(r"^\| `\[\[?(\w+)\]\]?` \| (.*) \|$", line)
        if row:
            cell = re.sub(r"\([^()]*\)", "", row.group(2))
            cell = re.split(r"(?<=`):|:\s", cell)[0]  # "`method`: `semantic` or ...": values
            found[row.group(1)] = set(re.findall(r"`(\w+)`", cell))
    return found


def test_the_example_documents_every_key_of_the_model() -> None:
    documented = example_keys()
    for section, keys in model_keys().items():
        assert section in documented, f"config.example.toml has no [{section}]"
        assert keys - documented[section] == set(), f"[{section}] undocumented keys"
        assert documented[section] - keys == set(), f"[{section}] keys the program ignores"


def test_the_readme_table_names_every_key_of_the_model() -> None:
    documented = readme_keys()
    for section, keys in model_keys().items():
        assert section in documented, f"README's configuration table has no [{section}]"
        assert keys - documented[section] == set(), f"[{section}] missing from the README"
        assert documented[section] - keys == set(), f"[{section}] README names unknown keys"


def test_the_example_loads_and_its_values_are_the_defaults() -> None:
    data = tomllib.loads(EXAMPLE.read_text(encoding="utf-8"))
    settings = Settings.model_validate(data)
    defaults = Settings()
    for section, values in data.items():
        if isinstance(values, list):  # [[sources]]: examples, not defaults
            continue
        for key, value in values.items():
            default = getattr(getattr(defaults, section), key)
            assert value == default, f"[{section}] {key} = {value!r}, default {default!r}"
    assert [s.name for s in settings.sources] == ["inbox", "example-feed"]


@pytest.mark.parametrize("section", sorted(model_keys()))
def test_every_section_is_explained_somewhere(section: str) -> None:
    text = EXAMPLE.read_text(encoding="utf-8")
    assert re.search(rf"^#?\s*\[\[?{section}\]\]?", text, re.MULTILINE), section
