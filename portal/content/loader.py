"""Read `content/`, validate it, and bring the database in line with it.

`read_content` never touches the database; it returns the parsed content or raises
`ContentError` with every problem found (file, field, what is wrong). `sync_content`
upserts by slug and deletes what the content no longer has, so loading twice gives the
same database, row ids included.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from pydantic import BaseModel, ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.catalogue.models import (
    Area,
    AreaText,
    ContentState,
    Offer,
    OfferText,
    Situation,
    SituationText,
)
from portal.content.schema import (
    LANGUAGES,
    OfferFile,
    PageFile,
    PlacesFile,
    SituationsFile,
)
from portal.guidance.models import Page, PageText


@dataclass(frozen=True)
class Problem:
    file: str
    field: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}: {self.field}" if self.field else self.file
        return f"{where}: {self.message}"


class ContentError(Exception):
    """Raised with every problem found, so an editor can fix them all in one go."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


@dataclass
class Content:
    places: PlacesFile
    situations: SituationsFile
    offers: list[OfferFile] = field(default_factory=list)
    pages: list[PageFile] = field(default_factory=list)
    fingerprint: str = ""


def read_content(content_dir: str | Path, seeds_dir: str | Path | None = None) -> Content:
    """Parse and validate every file under `content_dir`.

    When `seeds_dir` is given, each source reference must point at lines that exist in
    that seed file.
    """
    root = Path(content_dir)
    problems: list[Problem] = []
    digest = hashlib.sha256()

    def parse(path: Path, model: type[BaseModel]) -> BaseModel | None:
        rel = _rel(root, path)
        try:
            raw_bytes = path.read_bytes()
        except OSError as exc:
            problems.append(Problem(rel, "", f"cannot be read ({exc.strerror})"))
            return None
        digest.update(path.name.encode() + b"\0" + raw_bytes)
        try:
            raw = yaml.safe_load(raw_bytes)
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            where = f"line {mark.line + 1}" if mark else ""
            problems.append(
                Problem(rel, where, f"is not valid YAML: {getattr(exc, 'problem', exc)}")
            )
            return None
        if not isinstance(raw, dict):
            problems.append(Problem(rel, "", "must be a mapping of fields (key: value)"))
            return None
        try:
            return model.model_validate(raw)
        except ValidationError as exc:
            for err in exc.errors():
                location = ".".join(str(part) for part in err["loc"]) or "(file)"
                problems.append(Problem(rel, location, _plain(err)))
            return None

    places = parse(root / "municipalities.yml", PlacesFile)
    situations = parse(root / "situations.yml", SituationsFile)
    # (file as the editor sees it, parsed model), so cross-file problems name the real file.
    offers = [(_rel(root, p), parse(p, OfferFile)) for p in sorted((root / "offers").glob("*.yml"))]
    pages = [(_rel(root, p), parse(p, PageFile)) for p in sorted((root / "pages").glob("*.yml"))]

    offers_ok = [(f, o) for f, o in offers if o is not None]
    pages_ok = [(f, p) for f, p in pages if p is not None]
    if places is not None and situations is not None:
        problems += _cross_check(root, places, situations, offers_ok, pages_ok, seeds_dir)
    if problems:
        raise ContentError(problems)
    return Content(
        places, situations, [o for _, o in offers_ok], [p for _, p in pages_ok], digest.hexdigest()
    )


def _rel(root: Path, path: Path) -> str:
    """A content file's name as problems show it: `content/offers/x.yml`."""
    return str(path.relative_to(root.parent)) if root.parent in path.parents else str(path)


def _plain(err: dict) -> str:
    kind = err.get("type", "")
    if kind == "missing":
        return "is required but missing"
    if kind == "extra_forbidden":
        return "is not a known field (misspelt?)"
    return err.get("msg", "is invalid")


def _cross_check(
    root: Path,
    places: PlacesFile,
    situations: SituationsFile,
    offers: list[tuple[str, OfferFile]],
    pages: list[tuple[str, PageFile]],
    seeds_dir: str | Path | None,
) -> list[Problem]:
    problems: list[Problem] = []
    places_file = _rel(root, root / "municipalities.yml")
    situations_file = _rel(root, root / "situations.yml")
    region_slugs = {r.slug for r in places.regions}
    area_slugs = region_slugs | {m.slug for m in places.municipalities}
    situation_slugs = {s.slug for s in situations.situations}

    def dupes(kind: str, items: list[tuple[str, str, str]]) -> None:
        """`items` are (file, field, slug); a repeat is reported where it is repeated."""
        first: dict[str, str] = {}
        for file, where, slug in items:
            if slug in first:
                problems.append(
                    Problem(file, where, f"{kind} '{slug}' is already defined in {first[slug]}")
                )
            else:
                first[slug] = file

    dupes(
        "area",
        [(places_file, f"regions.{i}.slug", r.slug) for i, r in enumerate(places.regions)]
        + [
            (places_file, f"municipalities.{i}.slug", m.slug)
            for i, m in enumerate(places.municipalities)
        ],
    )
    dupes(
        "situation",
        [(situations_file, f"situations.{i}.slug", s.slug)
         for i, s in enumerate(situations.situations)],
    )
    for i, m in enumerate(places.municipalities):
        if m.region not in region_slugs:
            problems.append(
                Problem(places_file, f"municipalities.{i}.region", f"unknown region '{m.region}'")
            )

    seed_lines = _seed_line_counts(seeds_dir)
    for file, offer in offers:
        if Path(file).stem != offer.slug:
            problems.append(
                Problem(file, "slug", f"is '{offer.slug}', so the file must be named "
                                      f"'{offer.slug}.yml'")
            )
        if offer.municipality not in area_slugs:
            problems.append(
                Problem(
                    file, "municipality", f"unknown municipality or region '{offer.municipality}'"
                )
            )
        for i, slug in enumerate(offer.situations):
            if slug not in situation_slugs:
                problems.append(
                    Problem(file, f"situations.{i}", f"unknown life situation '{slug}'")
                )
        problems += _check_sources(file, offer.sources, seed_lines)
    dupes("offer", [(file, "slug", o.slug) for file, o in offers])

    for file, page in pages:
        if Path(file).stem != page.key:
            problems.append(
                Problem(file, "key", f"is '{page.key}', so the file must be named "
                                     f"'{page.key}.yml'")
            )
        problems += _check_sources(file, page.sources, seed_lines)
    dupes("page", [(file, "key", p.key) for file, p in pages])
    for lang in LANGUAGES:
        dupes(
            f"page slug ({lang})",
            [(file, f"{lang}.slug", getattr(p, lang).slug) for file, p in pages],
        )
    return problems


def _seed_line_counts(seeds_dir: str | Path | None) -> dict[str, int] | None:
    if seeds_dir is None or not Path(seeds_dir).is_dir():
        return None
    return {
        p.name: sum(1 for _ in p.open(encoding="utf-8", errors="replace"))
        for p in Path(seeds_dir).glob("*.txt")
    }


def _check_sources(file: str, sources, seed_lines: dict[str, int] | None) -> list[Problem]:
    if seed_lines is None:
        return []
    problems = []
    for i, source in enumerate(sources):
        count = seed_lines.get(source.file)
        if count is None:
            problems.append(Problem(file, f"sources.{i}.file", f"no seed file '{source.file}'"))
            continue
        for first, last in source.lines:
            if last > count:
                problems.append(
                    Problem(
                        file,
                        f"sources.{i}.lines",
                        f"{first}-{last} is past the end of {source.file} ({count} lines)",
                    )
                )
    return problems


# --- writing to the database -------------------------------------------------------


def sync_content(session: Session, content: Content) -> dict[str, int]:
    """Make the database hold exactly `content`. Returns counts of what changed."""
    stats = {"offers_added": 0, "offers_updated": 0, "offers_removed": 0}

    areas = {a.slug: a for a in session.scalars(select(Area))}
    for region in content.places.regions:
        area = _upsert(session, areas, Area, region.slug, kind="region", region=None)
        _sync_texts(
            area, AreaText, {lang: {"name": getattr(region, lang).name} for lang in LANGUAGES}
        )
    for muni in content.places.municipalities:
        area = _upsert(
            session, areas, Area, muni.slug, kind="municipality", region=areas[muni.region]
        )
        _sync_texts(
            area, AreaText, {lang: {"name": getattr(muni, lang).name} for lang in LANGUAGES}
        )

    situations = {s.slug: s for s in session.scalars(select(Situation))}
    for position, item in enumerate(content.situations.situations):
        situation = _upsert(
            session, situations, Situation, item.slug, icon=item.icon, position=position
        )
        _sync_texts(
            situation, SituationText, {lang: getattr(item, lang).model_dump() for lang in LANGUAGES}
        )

    offers = {o.slug: o for o in session.scalars(select(Offer))}
    for item in content.offers:
        existed = item.slug in offers
        offer = _upsert(
            session,
            offers,
            Offer,
            item.slug,
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
        )
        wanted = [situations[s] for s in item.situations]
        if [s.slug for s in offer.situations] != [s.slug for s in wanted]:
            offer.situations = wanted
        _sync_texts(
            offer, OfferText, {lang: getattr(item, lang).model_dump() for lang in LANGUAGES}
        )
        if not existed:
            stats["offers_added"] += 1
        elif session.is_modified(offer) or any(session.is_modified(t) for t in offer.texts):
            stats["offers_updated"] += 1

    pages = {p.key: p for p in session.scalars(select(Page))}
    for item in content.pages:
        page = _upsert(
            session,
            pages,
            Page,
            item.key,
            key_field="key",
            sources=[s.model_dump() for s in item.sources],
            last_checked=item.last_checked,
        )
        _sync_texts(page, PageText, {lang: getattr(item, lang).model_dump() for lang in LANGUAGES})

    keep_offers = {o.slug for o in content.offers}
    for slug, offer in offers.items():
        if slug not in keep_offers:
            session.delete(offer)
            stats["offers_removed"] += 1
    keep_pages = {p.key for p in content.pages}
    for key, page in pages.items():
        if key not in keep_pages:
            session.delete(page)
    session.flush()
    # Situations and areas are deleted after offers, which may point at them.
    keep_situations = {s.slug for s in content.situations.situations}
    for slug, situation in situations.items():
        if slug not in keep_situations:
            session.delete(situation)
    keep_areas = {r.slug for r in content.places.regions} | {
        m.slug for m in content.places.municipalities
    }
    session.flush()
    for slug, area in areas.items():
        if slug not in keep_areas and area.kind == "municipality":
            session.delete(area)
    session.flush()
    for slug, area in areas.items():
        if slug not in keep_areas and area.kind == "region":
            session.delete(area)

    state = session.get(ContentState, 1)
    if state is None:
        session.add(
            ContentState(id=1, fingerprint=content.fingerprint, loaded_at=dt.datetime.now(dt.UTC))
        )
    elif state.fingerprint != content.fingerprint:
        state.fingerprint = content.fingerprint
        state.loaded_at = dt.datetime.now(dt.UTC)
    session.commit()
    return stats


def _upsert(session: Session, existing: dict, model, slug: str, key_field: str = "slug", **values):
    """Return the row for `slug`, created if missing, with `values` set where they differ."""
    row = existing.get(slug)
    if row is None:
        row = model(**{key_field: slug})
        session.add(row)
        existing[slug] = row
    for name, value in values.items():
        if getattr(row, name) != value:
            setattr(row, name, value)
    return row


def _sync_texts(owner, text_model, by_lang: dict[str, dict]) -> None:
    current = {t.lang: t for t in owner.texts}
    for lang, values in by_lang.items():
        row = current.get(lang)
        if row is None:
            row = text_model(lang=lang)
            owner.texts.append(row)
        for name, value in values.items():
            if getattr(row, name) != value:
                setattr(row, name, value)
    for lang, row in current.items():
        if lang not in by_lang:
            owner.texts.remove(row)
