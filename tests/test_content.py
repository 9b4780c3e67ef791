"""The content in `content/` is valid and true to the seeds; broken content is refused
with messages that name the file, the field and what is wrong.

These tests never touch a database: `read_content` and `flask content check` only read
files. Broken content is made by copying `content/` to a temporary folder and editing
the copy.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
import yaml

from portal.content.loader import read_content
from portal.content.problems import ContentError, Problem
from portal.core.i18n import LANGUAGES
from tests.conftest import ROOT, make_app, need

CONTENT = ROOT / "content"
CATALOGUE = ROOT.parent / "shared" / "CATALOGUE.md"
TEXT_FIELDS = ("title", "summary", "description", "for_whom", "how_to_use", "waiting_time",
               "what_happens", "provider", "contact")

# Eight or more digits, maybe grouped ("70 20 12 01", "+45 7020-1201"), or an e-mail address.
PHONE = re.compile(r"(?<![\w+])\+?\d(?:[ .\-\u00a0]?\d){7,}(?!\d)")
EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")


@pytest.fixture(scope="module")
def cli_app(tmp_path_factory):
    """An app for its configuration and CLI; these tests never open its database."""
    return make_app(f"sqlite:///{tmp_path_factory.mktemp('unused') / 'unused.sqlite3'}")


@pytest.fixture(scope="module")
def seeds(cli_app) -> Path:
    path = Path(cli_app.config["SEEDS_DIR"])
    need(path.is_dir(), f"the seed documents are needed in {path}")
    return path


@pytest.fixture(scope="module")
def content(seeds):
    return read_content(CONTENT, seeds)


def catalogue_rows() -> list[dict[str, str]]:
    """The offers table of shared/CATALOGUE.md, one dict per row keyed by column."""
    if not CATALOGUE.is_file():
        return []  # test_catalogue_table_is_read says why
    lines = [line for line in CATALOGUE.read_text(encoding="utf-8").splitlines()
             if line.startswith("| ")]
    header = [c.strip() for c in lines[0].strip().strip("|").split("|")]
    rows = []
    for line in lines[1:]:
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == len(header) and re.fullmatch(r"[a-z0-9-]+", cells[0]):
            rows.append(dict(zip(header, cells, strict=True)))
    return rows


CATALOGUE_ROWS = catalogue_rows()


def seed_ranges(cell: str) -> list[tuple[str, int, int]]:
    """`001: 474–475, 619–632 (620)` -> [("001", 474, 475), ("001", 619, 632), ...]."""
    prefix, _, ranges = cell.partition(":")
    found = []
    for first, last in re.findall(r"(\d+)(?:[–-](\d+))?", ranges):
        found.append((prefix.strip(), int(first), int(last or first)))
    return found


# --- the real content ----------------------------------------------------------------


def test_real_content_is_valid(content):
    assert len(content.offers) >= 34
    assert content.pages


def test_content_files_have_a_text_per_portal_language():
    """The files' shapes follow the portal's one language list (core.i18n.LANGUAGES)."""
    from portal.content import schema

    for model in (schema.RegionFile, schema.MunicipalityFile, schema.SituationFile,
                  schema.OfferFile, schema.PageFile):
        assert set(LANGUAGES) <= set(model.model_fields), model.__name__
        assert all(model.model_fields[lang].is_required() for lang in LANGUAGES)


def test_catalogue_table_is_read():
    need(CATALOGUE.is_file(), f"{CATALOGUE} is needed")
    assert len(CATALOGUE_ROWS) >= 30, "could not read the offers table of CATALOGUE.md"
    assert {"slug", "municipality", "access", "anon", "virtual", "seed lines"} <= set(
        CATALOGUE_ROWS[0])


@pytest.mark.parametrize("row", CATALOGUE_ROWS, ids=lambda row: row["slug"])
def test_every_catalogue_offer_exists_as_described(row, content):
    slug = row["slug"]
    assert (CONTENT / "offers" / f"{slug}.yml").is_file(), f"content/offers/{slug}.yml is missing"
    offer = next(o for o in content.offers if o.slug == slug)
    assert offer.municipality == row["municipality"]
    first_word = re.split(r"[\s,(]", row["access"])[0]
    if first_word in ("open", "self", "referral"):
        assert offer.access == first_word
    assert offer.anonymous == (row["anon"] == "yes")
    assert offer.virtual == bool(row["virtual"])
    assert set(offer.channels) == set(re.findall(r"chat|video|phone", row["virtual"]))
    # The offer cites the seed lines the catalogue points at (overlapping ranges at least).
    cited = [(s.file[:3], first, last) for s in offer.sources for first, last in s.lines]
    for seed, first, last in seed_ranges(row["seed lines"]):
        assert any(f == seed and a <= last and first <= b for f, a, b in cited), (
            f"{slug} does not cite {seed}: {first}-{last}"
        )


def test_every_offer_has_danish_and_english_text(content):
    for offer in content.offers:
        for lang in LANGUAGES:
            text = getattr(offer, lang)
            for name in TEXT_FIELDS:
                assert getattr(text, name).strip(), f"{offer.slug}: {lang}.{name} is empty"
        # English is written, not copied from Danish.
        assert offer.en.description != offer.da.description, offer.slug
        assert offer.en.summary != offer.da.summary, offer.slug


def test_every_source_points_at_lines_in_the_seeds(content, seeds):
    counts = {p.name: len(p.read_text(encoding="utf-8").splitlines()) for p in seeds.glob("*.txt")}
    cited = [(o.slug, o.sources) for o in content.offers] + [
        (p.key, p.sources) for p in content.pages
    ]
    for name, sources in cited:
        for source in sources:
            assert source.file in counts, f"{name}: no seed file {source.file}"
            for first, last in source.lines:
                assert 1 <= first <= last <= counts[source.file], (
                    f"{name}: {source.file} lines {first}-{last} (it has {counts[source.file]})"
                )


def test_no_invented_phone_numbers_or_email_addresses(content, seeds):
    seed_text = "\n".join(p.read_text(encoding="utf-8") for p in seeds.glob("*.txt"))
    seed_phones = {re.sub(r"\D", "", m) for m in PHONE.findall(seed_text)}
    seed_emails = {m.lower() for m in EMAIL.findall(seed_text)}
    for offer in content.offers:
        for lang in LANGUAGES:
            text = getattr(offer, lang)
            for name in TEXT_FIELDS:
                value = getattr(text, name)
                for phone in PHONE.findall(value):
                    assert re.sub(r"\D", "", phone) in seed_phones, (
                        f"{offer.slug} {lang}.{name}: phone number '{phone}' is not in the seeds"
                    )
                for email in EMAIL.findall(value):
                    assert email.lower() in seed_emails, (
                        f"{offer.slug} {lang}.{name}: e-mail '{email}' is not in the seeds"
                    )


def test_contact_texts_say_the_content_is_a_demonstration(content):
    for offer in content.offers:
        assert "demonstrationsindhold" in offer.da.contact.lower(), offer.slug
        assert "demonstration content" in offer.en.contact.lower(), offer.slug


def test_the_detectors_would_catch_invented_contact_details():
    assert PHONE.search("Ring på 70 20 12 01 i dag")
    assert PHONE.search("Tlf. +45 7020-1201")
    assert PHONE.search("tlf. 86123456")
    assert not PHONE.search("Bornholms politik fra 2013 (SEL § 85, 15–30 år)")
    assert EMAIL.search("Skriv til raadgivning@kommune.dk.")


def test_flask_content_check_accepts_the_real_content(cli_app, seeds):
    result = cli_app.test_cli_runner().invoke(args=["content", "check"])
    assert result.exit_code == 0, result.output
    assert "OK: " in result.output
    assert " offers" in result.output


# --- broken content ------------------------------------------------------------------


def copy_content(tmp_path: Path, name: str = "content") -> Path:
    target = tmp_path / name
    shutil.copytree(CONTENT, target)
    return target


def edit(path: Path, change) -> None:
    """Load a YAML file, let `change(data)` edit it, write it back."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


def problems_of(directory: Path, seeds: Path) -> list[Problem]:
    with pytest.raises(ContentError) as caught:
        read_content(directory, seeds)
    assert str(caught.value), "the error must say what is wrong"
    return caught.value.problems


def find(problems: list[Problem], file: str, field: str) -> Problem:
    matches = [p for p in problems if p.file == file and p.field == field]
    assert matches, f"no problem for {file}: {field} in:\n" + "\n".join(map(str, problems))
    return matches[0]


def _set(*path_and_value):
    *path, value = path_and_value

    def change(data):
        for key in path[:-1]:
            data = data[key]
        data[path[-1]] = value

    return change


def _delete(*path):
    def change(data):
        for key in path[:-1]:
            data = data[key]
        del data[path[-1]]

    return change


def _add_line_range(data):
    data["sources"][0]["lines"].append([1, 1_000_000])


# (file under content/, how to break it, field in the problem, words in the message)
BREAKAGES = {
    "missing required field": (
        "offers/gaeldsraadgivning-haderslev.yml", _delete("da", "summary"),
        "da.summary", "required"),
    "unknown field": (
        "offers/u-turn-koebenhavn.yml", _set("anonymus", True),
        "anonymus", "not a known field"),
    "bad access value": (
        "offers/pitstop-aarhus.yml", _set("access", "sometimes"),
        "access", "referral"),
    "summary with a newline": (
        "offers/cafeer-holstebro.yml", _set("en", "summary", "First line\nsecond line"),
        "en.summary", "one line"),
    "unknown municipality": (
        "offers/busk-bornholm.yml", _set("municipality", "atlantis"),
        "municipality", "atlantis"),
    "unknown situation": (
        "offers/peer-guide-aarhus.yml", _set("situations", ["discharged", "space-travel"]),
        "situations.1", "space-travel"),
    "line range past the seed's end": (
        "offers/straksraadgivning-egedal.yml", _add_line_range,
        "sources.0.lines", "past the end"),
    "duplicate page slug": (
        # privacy.yml takes the Danish slug of accessibility.yml (read before it).
        "pages/privacy.yml",
        lambda data: data["da"].update(slug=yaml.safe_load(
            (CONTENT / "pages" / "accessibility.yml").read_text(encoding="utf-8"))["da"]["slug"]),
        "da.slug", "accessibility.yml"),
    "offer file named after another slug": (
        "offers/hverdagskurser-haderslev.yml", _set("slug", "hverdagskurser"),
        "slug", "hverdagskurser.yml"),
    "municipality in an unknown region": (
        "municipalities.yml", lambda data: data["municipalities"][0].update(region="region-x"),
        "municipalities.0.region", "region-x"),
}


@pytest.mark.parametrize("case", BREAKAGES, ids=str)
def test_broken_content_names_file_field_and_problem(case, tmp_path, seeds):
    file, change, field, words = BREAKAGES[case]
    directory = copy_content(tmp_path)
    edit(directory / file, change)
    problem = find(problems_of(directory, seeds), f"content/{file}", field)
    assert words in problem.message
    assert str(problem).startswith(f"content/{file}: {field}: ")


def test_invalid_yaml_names_the_file_and_line(tmp_path, seeds):
    directory = copy_content(tmp_path)
    path = directory / "offers" / "straksbehandling-koebenhavn.yml"
    lines = path.read_text(encoding="utf-8").splitlines()
    lines[3] = "access: [open"  # an unclosed list on line 4
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    problems = [p for p in problems_of(directory, seeds)
                if p.file == "content/offers/straksbehandling-koebenhavn.yml"]
    assert len(problems) == 1
    assert re.fullmatch(r"line \d+", problems[0].field)
    assert "not valid YAML" in problems[0].message


def test_every_problem_is_reported_at_once(tmp_path, seeds):
    """An editor fixes everything in one go: one broken file does not hide the next."""
    directory = copy_content(tmp_path)
    for file, change, _field, _words in BREAKAGES.values():
        edit(directory / file, change)
    problems = problems_of(directory, seeds)
    for file, _change, field, _words in BREAKAGES.values():
        find(problems, f"content/{file}", field)


def test_problems_name_files_in_the_folder_actually_checked(tmp_path, seeds):
    directory = copy_content(tmp_path, "draft")
    edit(directory / "offers" / "busk-bornholm.yml", _set("municipality", "atlantis"))
    edit(directory / "offers" / "pitstop-aarhus.yml", _set("access", "sometimes"))
    problems = problems_of(directory, seeds)
    find(problems, "draft/offers/busk-bornholm.yml", "municipality")
    find(problems, "draft/offers/pitstop-aarhus.yml", "access")


def test_flask_content_check_on_broken_content_exits_1_with_the_problem(cli_app, tmp_path, seeds):
    directory = copy_content(tmp_path)
    edit(directory / "offers" / "busk-bornholm.yml", _set("municipality", "atlantis"))
    result = cli_app.test_cli_runner().invoke(args=["content", "check", "--dir", str(directory)])
    assert result.exit_code == 1
    assert "1 problem(s)" in result.output
    assert ("content/offers/busk-bornholm.yml: municipality: unknown municipality or region "
            "'atlantis'") in result.output
    assert "OK:" not in result.output
