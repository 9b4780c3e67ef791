"""Every UI string in portal/ (templates and Python) is translated, in Danish and English.

The strings are extracted from the source with Babel, as `make extract-messages` does, so
a new `_()` fails here until translations/*/LC_MESSAGES/messages.po has it.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
PLACEHOLDER = re.compile(r"%\([a-z_]+\)[sd]")


def source_messages() -> dict[str, str]:
    """msgid -> where it was first found, from the files babel.cfg maps."""
    with open(ROOT / "babel.cfg") as f:
        method_map, options_map = parse_mapping_cfg(f)
    keywords = {**DEFAULT_KEYWORDS, "_l": None}
    portal = ROOT / "portal"
    found: dict[str, str] = {}
    for filename, lineno, message, _comments, _context in extract_from_dir(
        ROOT, method_map, options_map, keywords=keywords,
        directory_filter=lambda d: Path(d) == ROOT or Path(d).is_relative_to(portal),
    ):
        for msgid in message if isinstance(message, tuple) else (message,):
            if msgid:
                found.setdefault(msgid, f"{filename}:{lineno}")
    return found


def catalogue(lang: str):
    path = ROOT / "translations" / lang / "LC_MESSAGES" / "messages.po"
    assert path.exists(), f"{path} is missing: pybabel init -l {lang} (see the Makefile)"
    with open(path, "rb") as f:
        return read_po(f, locale=lang)


@pytest.fixture(scope="module")
def messages() -> dict[str, str]:
    found = source_messages()
    assert len(found) > 50, "extraction found (almost) nothing: check babel.cfg"
    return found


@pytest.mark.parametrize("lang", ["da", "en"])
def test_every_message_is_translated(messages, lang):
    cat = catalogue(lang)
    problems = []
    for msgid, where in sorted(messages.items()):
        entry = cat.get(msgid)
        if entry is None:
            problems.append(f"missing ({where}): {msgid!r}")
            continue
        if entry.fuzzy:
            problems.append(f"fuzzy: {msgid!r}")
        text = entry.string if isinstance(entry.string, str) else entry.string[0]
        if not text:
            if lang == "da":
                problems.append(f"not translated: {msgid!r}")
        elif sorted(PLACEHOLDER.findall(text)) != sorted(PLACEHOLDER.findall(msgid)):
            problems.append(f"placeholders differ: {msgid!r} -> {text!r}")
    assert not problems, (
        f"translations/{lang}: run `make extract-messages`, translate, then `make translations`"
        "\n  " + "\n  ".join(problems)
    )


def test_english_is_the_message_itself():
    cat = catalogue("en")
    differs = [m.id for m in cat if m.id and m.string and m.string != m.id]
    assert not differs, differs


@pytest.mark.parametrize("lang", ["da", "en"])
def test_catalogue_is_not_fuzzy_as_a_whole(lang):
    # A catalogue without a (non-fuzzy) header is skipped by a plain `pybabel compile`,
    # and the site silently falls back to the English msgids.
    cat = catalogue(lang)
    assert not cat.fuzzy, f"translations/{lang}: the header is missing or marked fuzzy"
    assert str(cat.locale) == lang


def test_danish_reads_like_danish():
    cat = catalogue("da")
    for msgid, expected in [
        ("Find help", "Find hjælp"),
        ("No referral needed", "Kræver ikke visitation"),
        ("You can be anonymous", "Du kan være anonym"),
        ("For relatives", "Til pårørende"),
    ]:
        assert cat.get(msgid).string == expected
