"""`content/offers/<slug>.yml`: one offer in both languages."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.booking import service as booking
from portal.catalogue.models import Area, Offer, OfferText, Situation
from portal.content.problems import Problem, duplicates, named_after
from portal.content.rows import remove_missing, sync_texts, upsert
from portal.content.schema import OfferFile
from portal.content.sources import check_sources


def check(offers: list[tuple[str, OfferFile]], area_slugs: set[str],
          situation_slugs: set[str], seed_lines: dict[str, int] | None) -> list[Problem]:
    problems: list[Problem] = []
    for file, offer in offers:
        problems += named_after(file, "slug", offer.slug)
        if offer.municipality not in area_slugs:
            problems.append(Problem(file, "municipality", "unknown municipality or region "
                                                          f"'{offer.municipality}'"))
        for i, slug in enumerate(offer.situations):
            if slug not in situation_slugs:
                problems.append(Problem(file, f"situations.{i}", f"unknown life situation "
                                                                 f"'{slug}'"))
        problems += check_sources(file, offer.sources, seed_lines)
    problems += duplicates("offer", [(file, "slug", o.slug) for file, o in offers])
    return problems


def sync(session: Session, offers: list[OfferFile], areas: dict[str, Area],
         situations: dict[str, Situation]) -> dict[str, int]:
    """Upsert every offer; delete the ones the content no longer has, except those with
    bookings or requests: they are retired (kept for their bookings, never shown)."""
    stats = {"offers_added": 0, "offers_updated": 0, "offers_removed": 0, "offers_retired": 0}
    rows = {o.slug: o for o in session.scalars(select(Offer))}
    for item in offers:
        existed = item.slug in rows
        offer = upsert(
            session, rows, Offer, item.slug,
            area=areas[item.municipality],
            access=item.access,
            anonymous=item.anonymous,
            virtual=item.virtual,
            channels=list(item.channels),
            for_citizens="citizens" in item.audiences,
            for_relatives="relatives" in item.audiences,
            min_age=item.min_age,
            max_age=item.max_age,
            sources=[s.model_dump() for s in item.sources],
            last_checked=item.last_checked,
            start_within_days=item.start_within_days,
            open_to_all=item.open_to_all,
            retired=False,
        )
        wanted = [situations[s] for s in item.situations]
        if [s.slug for s in offer.situations] != [s.slug for s in wanted]:
            offer.situations = wanted
        sync_texts(offer, OfferText, item)
        if not existed:
            stats["offers_added"] += 1
        elif session.is_modified(offer) or any(session.is_modified(t) for t in offer.texts):
            stats["offers_updated"] += 1
    keep = {o.slug for o in offers}
    gone = {slug: row for slug, row in rows.items() if slug not in keep}
    in_use = booking.offers_in_use({row.id for row in gone.values()})
    for row in gone.values():
        if row.id in in_use and not row.retired:  # its bookings keep it: hidden, not deleted
            row.retired = True
    stats["offers_removed"] = remove_missing(
        session, {slug: row for slug, row in gone.items() if row.id not in in_use}, set())
    stats["offers_retired"] = sum(1 for row in gone.values() if row.id in in_use)
    return stats
