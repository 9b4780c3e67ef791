"""`content/situations.yml`: the life situations, in the order the home page shows them."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.catalogue.models import Situation, SituationText
from portal.content.problems import Problem, duplicates
from portal.content.rows import remove_missing, sync_texts, upsert
from portal.content.schema import SituationsFile


def check(file: str, situations: SituationsFile) -> list[Problem]:
    problems = duplicates("situation", [(file, f"situations.{i}.slug", s.slug)
                                        for i, s in enumerate(situations.situations)])
    slugs = {s.slug for s in situations.situations}
    for i, situation in enumerate(situations.situations):
        for j, broader in enumerate(situation.part_of):
            if broader not in slugs or broader == situation.slug:
                problems.append(Problem(file, f"situations.{i}.part_of.{j}",
                                        f"'{broader}' is not another life situation"))
    return problems


def sync(session: Session, situations: SituationsFile) -> dict[str, Situation]:
    """Upsert every situation; returns every situation in the database by slug."""
    rows = {s.slug: s for s in session.scalars(select(Situation))}
    for position, item in enumerate(situations.situations):
        situation = upsert(session, rows, Situation, item.slug, icon=item.icon,
                           position=position, part_of=list(item.part_of))
        sync_texts(situation, SituationText, item)
    return rows


def remove_unused(session: Session, rows: dict[str, Situation],
                  situations: SituationsFile) -> None:
    remove_missing(session, rows, {s.slug for s in situations.situations})
    session.flush()
