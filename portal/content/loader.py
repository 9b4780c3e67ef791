"""Read `content/`, validate it, and bring the database in line with it.

`read_content` never touches the database; it returns the parsed content or raises
`ContentError` with every problem found (file, field, what is wrong). `sync_content`
upserts by slug and deletes what the content no longer has, so loading twice gives the
same database, row ids included. Each kind of file has its module (places, situations,
offers, pages, consents, routing) with its checks and how it is written to the database.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from pydantic import BaseModel, ValidationError
from sqlalchemy.orm import Session

from portal.content import consents, offers, pages, places, routing, situations
from portal.content.problems import ContentError, Problem
from portal.content.schema import (
    ConsentsFile,
    OfferFile,
    PageFile,
    PlacesFile,
    RoutingFile,
    SituationsFile,
)
from portal.content.sources import seed_line_counts
from portal.core.models import record_content_fingerprint


@dataclass
class Content:
    places: PlacesFile
    situations: SituationsFile
    offers: list[OfferFile] = field(default_factory=list)
    pages: list[PageFile] = field(default_factory=list)
    # The intake's consent texts ((file, parsed): the file names the municipality) and
    # its routing table.
    consents: list[tuple[str, ConsentsFile]] = field(default_factory=list)
    routing: RoutingFile | None = None
    fingerprint: str = ""


class _Reader:
    """Parses files under one content folder, collecting problems and a fingerprint."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.problems: list[Problem] = []
        self.digest = hashlib.sha256()

    def name(self, path: Path) -> str:
        """A content file's name as problems show it: `content/offers/x.yml`."""
        root = self.root
        return str(path.relative_to(root.parent)) if root.parent in path.parents else str(path)

    def parse(self, path: Path, model: type[BaseModel]) -> BaseModel | None:
        rel = self.name(path)
        try:
            raw_bytes = path.read_bytes()
        except OSError as exc:
            self.problems.append(Problem(rel, "", f"cannot be read ({exc.strerror})"))
            return None
        self.digest.update(path.name.encode() + b"\0" + raw_bytes)
        try:
            raw = yaml.safe_load(raw_bytes)
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            where = f"line {mark.line + 1}" if mark else ""
            self.problems.append(
                Problem(rel, where, f"is not valid YAML: {getattr(exc, 'problem', exc)}"))
            return None
        if not isinstance(raw, dict):
            self.problems.append(Problem(rel, "", "must be a mapping of fields (key: value)"))
            return None
        try:
            return model.model_validate(raw)
        except ValidationError as exc:
            for err in exc.errors():
                location = ".".join(str(part) for part in err["loc"]) or "(file)"
                self.problems.append(Problem(rel, location, _plain(err)))
            return None

    def parse_all(self, folder: str, model: type[BaseModel]) -> list[tuple[str, BaseModel]]:
        """(file as the editor sees it, parsed model) for each valid file in `folder`, so
        cross-file problems name the real file."""
        parsed = [(self.name(p), self.parse(p, model))
                  for p in sorted((self.root / folder).glob("*.yml"))]
        return [(file, item) for file, item in parsed if item is not None]


def read_content(content_dir: str | Path, seeds_dir: str | Path | None = None) -> Content:
    """Parse and validate every file under `content_dir`.

    When `seeds_dir` is given, each source reference must point at lines that exist in
    that seed file.
    """
    reader = _Reader(Path(content_dir))
    places_path = reader.root / "municipalities.yml"
    situations_path = reader.root / "situations.yml"
    places_file = reader.parse(places_path, PlacesFile)
    situations_file = reader.parse(situations_path, SituationsFile)
    offer_files = reader.parse_all("offers", OfferFile)
    page_files = reader.parse_all("pages", PageFile)
    consent_files = reader.parse_all("consents", ConsentsFile)
    routing_path = reader.root / "routing.yml"
    routing_file = reader.parse(routing_path, RoutingFile)

    problems = reader.problems
    if places_file is not None and situations_file is not None:
        seed_lines = seed_line_counts(seeds_dir)
        problems += places.check(reader.name(places_path), places_file)
        problems += situations.check(reader.name(situations_path), situations_file)
        problems += offers.check(offer_files, places.slugs(places_file),
                                 {s.slug for s in situations_file.situations}, seed_lines)
        problems += pages.check(page_files, seed_lines)
        municipality_slugs = {m.slug for m in places_file.municipalities}
        problems += consents.check(consent_files, municipality_slugs)
        if routing_file is not None:
            problems += routing.check(reader.name(routing_path), routing_file,
                                      {s.slug for s in situations_file.situations},
                                      municipality_slugs)
    if problems:
        raise ContentError(problems)
    return Content(places_file, situations_file, [o for _, o in offer_files],
                   [p for _, p in page_files], consent_files, routing_file,
                   reader.digest.hexdigest())


def _plain(err: dict) -> str:
    kind = err.get("type", "")
    if kind == "missing":
        return "is required but missing"
    if kind == "extra_forbidden":
        return "is not a known field (misspelt?)"
    return err.get("msg", "is invalid")


def sync_content(session: Session, content: Content) -> dict[str, int]:
    """Make the database hold exactly `content`. Returns counts of what changed."""
    areas = places.sync(session, content.places)
    situation_rows = situations.sync(session, content.situations)
    stats = offers.sync(session, content.offers, areas, situation_rows)
    pages.sync(session, content.pages)
    consents.sync(session, content.consents)
    if content.routing is not None:
        routing.sync(session, content.routing)
    session.flush()
    # Situations and areas go after the offers, which may have pointed at them.
    situations.remove_unused(session, situation_rows, content.situations)
    places.remove_unused(session, areas, content.places)
    record_content_fingerprint(session, content.fingerprint)
    session.commit()
    return stats
