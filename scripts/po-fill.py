#!/usr/bin/env python3
"""Fill translations: `.venv/bin/python scripts/po-fill.py danish.json`.

The file maps English msgids to Danish: {"Booked: %(title)s": "Booket: %(title)s"}.
Run `make extract-messages` first (it adds the new msgids); this writes the Danish
texts into translations/da and the msgid itself into translations/en (English is the
message), leaves every other entry as it is, and says which msgids it did not find.
Then `make translations`. With no file, it lists the msgids still untranslated in Danish.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent


def _path(lang: str) -> Path:
    return ROOT / "translations" / lang / "LC_MESSAGES" / "messages.po"


def _load(lang: str):
    with _path(lang).open("rb") as f:
        return read_po(f, locale=lang)


def _save(lang: str, catalog) -> None:
    with _path(lang).open("wb") as f:
        write_po(f, catalog, width=76, sort_output=True, omit_header=False)


def main(argv: list[str]) -> int:
    da = _load("da")
    if not argv:
        for message in da:
            if message.id and not message.string:
                print(json.dumps(message.id, ensure_ascii=False))
        return 0
    wanted = json.loads(Path(argv[0]).read_text(encoding="utf-8"))
    en = _load("en")
    missing = []
    for msgid, danish in wanted.items():
        if msgid not in da or msgid not in en:
            missing.append(msgid)
            continue
        da[msgid].string, en[msgid].string = danish, msgid
        da[msgid].flags.discard("fuzzy")
        en[msgid].flags.discard("fuzzy")
    _save("da", da)
    _save("en", en)
    for msgid in missing:
        print(f"not in the catalogues (run make extract-messages?): {msgid!r}")
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
