"""`content/consents/<default|municipality>.yml`: the consent texts of the intake.

Every version of every text is kept in the database for good: a consent points at the
text it was given with. Changing a text means raising its `version`; a changed text
under an old version is refused (it would change what people already consented to).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.content.problems import ContentError, Problem, duplicates
from portal.content.schema import ConsentLanguage, ConsentsFile
from portal.core.i18n import LANGUAGES
from portal.intake.models import ConsentText

DEFAULT = "default"


def check(files: list[tuple[str, ConsentsFile]], municipality_slugs: set[str]) -> list[Problem]:
    problems: list[Problem] = []
    names = {Path(file).stem for file, _ in files}
    if files and DEFAULT not in names:
        problems.append(Problem("content/consents/default.yml", "",
                                "is required: the texts of every municipality"))
    for file, consents in files:
        name = Path(file).stem
        if name != DEFAULT and name not in municipality_slugs:
            problems.append(Problem(file, "", f"'{name}' is not a municipality of the "
                                              "catalogue (or 'default')"))
        problems += duplicates("consent text", [(file, f"texts.{i}.id", t.id)
                                                for i, t in enumerate(consents.texts)])
    return problems


def text_hash(language: ConsentLanguage) -> str:
    """A hash of everything the person is shown, to prove later what it was."""
    shown = json.dumps(language.model_dump(), ensure_ascii=False, sort_keys=True)
    return hashlib.sha256(shown.encode()).hexdigest()


def sync(session: Session, files: list[tuple[str, ConsentsFile]]) -> None:
    existing = {(t.key, t.version, t.municipality, t.lang): t
                for t in session.scalars(select(ConsentText))}
    seen = set()
    problems = []
    for file, consents in files:
        municipality = "" if Path(file).stem == DEFAULT else Path(file).stem
        for i, item in enumerate(consents.texts):
            for lang in LANGUAGES:
                language: ConsentLanguage = getattr(item, lang)
                key = (item.id, item.version, municipality, lang)
                seen.add(key)
                digest = text_hash(language)
                row = existing.get(key)
                if row is None:
                    session.add(ConsentText(
                        key=item.id, version=item.version, municipality=municipality,
                        lang=lang, agency=item.agency, transcript=item.transcript,
                        text_hash=digest, active=True, **language.model_dump()))
                elif row.text_hash != digest:
                    problems.append(Problem(file, f"texts.{i}.{lang}", (
                        f"the text of '{item.id}' version {item.version} has changed: raise "
                        "its version (consents already given keep the old text)")))
                else:
                    row.active = True
    for key, row in existing.items():
        if key not in seen:
            row.active = False  # kept: consents given with it still point at it
    if problems:
        raise ContentError(problems)
