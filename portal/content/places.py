"""`content/municipalities.yml`: regions and the municipalities in them."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.catalogue.models import Area, AreaText
from portal.content.problems import Problem, duplicates
from portal.content.rows import remove_missing, sync_texts, upsert
from portal.content.schema import PlacesFile


def check(file: str, places: PlacesFile) -> list[Problem]:
    problems = duplicates(
        "area",
        [(file, f"regions.{i}.slug", r.slug) for i, r in enumerate(places.regions)]
        + [(file, f"municipalities.{i}.slug", m.slug)
           for i, m in enumerate(places.municipalities)],
    )
    regions = {r.slug for r in places.regions}
    for i, m in enumerate(places.municipalities):
        if m.region not in regions:
            problems.append(
                Problem(file, f"municipalities.{i}.region", f"unknown region '{m.region}'"))
    return problems


def slugs(places: PlacesFile) -> set[str]:
    """Every area an offer may belong to: a region or a municipality."""
    return {r.slug for r in places.regions} | {m.slug for m in places.municipalities}


def sync(session: Session, places: PlacesFile) -> dict[str, Area]:
    """Upsert every region and municipality; returns every area in the database by slug
    (old ones too: they are removed by `remove_unused` once no offer points at them)."""
    areas = {a.slug: a for a in session.scalars(select(Area))}
    for region in places.regions:
        area = upsert(session, areas, Area, region.slug, kind="region", region=None)
        sync_texts(area, AreaText, region)
    for muni in places.municipalities:
        latitude, longitude = muni.position or (None, None)
        area = upsert(session, areas, Area, muni.slug, kind="municipality",
                      region=areas[muni.region], latitude=latitude, longitude=longitude)
        sync_texts(area, AreaText, muni)
    return areas


def remove_unused(session: Session, areas: dict[str, Area], places: PlacesFile) -> None:
    """Delete the areas the content no longer has: municipalities before their regions."""
    keep = slugs(places)
    for kind in ("municipality", "region"):
        remove_missing(session, {s: a for s, a in areas.items() if a.kind == kind}, keep)
        session.flush()
