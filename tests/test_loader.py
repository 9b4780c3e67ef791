"""`flask content load` makes the database hold exactly the content: repeatable, in place.

These tests change the catalogue, so they never use the session `app` (whose demo data
other tests read). They get their own database:

- on SQLite, a file of their own in a temporary folder;
- on PostgreSQL (TEST_DATABASE_URL), a sibling database on the same server, named after
  the test database with `_loader` added, created here if it does not exist. Dropping
  and recreating its schema (`reset_database`) then cannot disturb the session `app`,
  whatever order pytest runs the modules in, and nothing has to be restored afterwards.

Each test starts from an empty, migrated database and loads a copy of `content/` that it
may edit.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
import yaml
from sqlalchemy import MetaData, make_url, select

from portal.core.extensions import db
from tests.conftest import ROOT, make_app, need, reset_database


def loader_database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = os.environ.get("TEST_DATABASE_URL")
    if not url:
        return f"sqlite:///{tmp_path_factory.mktemp('loader') / 'loader.sqlite3'}"
    import psycopg

    server = make_url(url).set(drivername="postgresql")
    name = f"{server.database}_loader"
    try:
        with psycopg.connect(server.render_as_string(hide_password=False),
                             autocommit=True) as conn:
            exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,))
            if exists.fetchone() is None:
                conn.execute(f'CREATE DATABASE "{name}"')
    except psycopg.OperationalError as exc:
        need(False, f"PostgreSQL at {server.render_as_string()} is needed: {exc}")
    return server.set(database=name).render_as_string(hide_password=False)


@pytest.fixture(scope="module")
def loader_app(tmp_path_factory):
    app = make_app(loader_database_url(tmp_path_factory))
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture()
def fresh(loader_app):
    """An empty database at the latest migration."""
    reset_database(loader_app)
    return loader_app


@pytest.fixture()
def content_dir(tmp_path) -> Path:
    target = tmp_path / "content"
    shutil.copytree(ROOT / "content", target)
    return target


def load(app, directory: Path) -> str:
    result = app.test_cli_runner().invoke(args=["content", "load", "--dir", str(directory)])
    assert result.exit_code == 0, result.output
    return result.output


def dump(app) -> dict[str, list[tuple]]:
    """Every table's rows, ids included, in primary-key order (the tables as migrated)."""
    with app.app_context():
        meta = MetaData()
        meta.reflect(bind=db.engine)
        with db.engine.connect() as conn:
            return {
                name: [tuple(row) for row in conn.execute(
                    select(table).order_by(*(list(table.primary_key) or list(table.columns)))
                )]
                for name, table in sorted(meta.tables.items())
            }


def edit(path: Path, change) -> None:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


def rows(app, sql_table: str, **where) -> list[dict]:
    with app.app_context():
        table = MetaData()
        table.reflect(bind=db.engine, only=[sql_table])
        t = table.tables[sql_table]
        query = select(t).where(*(t.c[k] == v for k, v in where.items()))
        with db.engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(query)]


def offer_id(app, slug: str) -> int:
    (row,) = rows(app, "offers", slug=slug)
    return row["id"]


def api(app, path: str):
    return app.test_client().get(path)


def test_loading_twice_gives_the_same_database(fresh, content_dir):
    offers = len(list(content_dir.glob("offers/*.yml")))
    assert load(fresh, content_dir).strip() == (
        f"Loaded {offers} offers: {offers} added, 0 updated, 0 removed."
    )
    first = dump(fresh)
    assert len(first["offers"]) == offers
    assert len(first["offer_texts"]) == 2 * offers
    assert first["offer_situations"] and first["areas"] and first["situations"]

    assert load(fresh, content_dir).strip() == (
        f"Loaded {offers} offers: 0 added, 0 updated, 0 removed."
    )
    assert dump(fresh) == first


def test_an_offer_deleted_from_content_is_removed_with_its_texts_and_links(fresh, content_dir):
    load(fresh, content_dir)
    gone = offer_id(fresh, "u-turn-koebenhavn")
    assert rows(fresh, "offer_situations", offer_id=gone)
    before = dump(fresh)

    (content_dir / "offers" / "u-turn-koebenhavn.yml").unlink()
    assert "0 added, 0 updated, 1 removed." in load(fresh, content_dir)

    assert rows(fresh, "offers", slug="u-turn-koebenhavn") == []
    assert rows(fresh, "offer_texts", offer_id=gone) == []
    assert rows(fresh, "offer_situations", offer_id=gone) == []
    # Nothing else moved.
    after = dump(fresh)
    assert after["offers"] == [r for r in before["offers"] if r[0] != gone]
    assert after["situations"] == before["situations"]
    assert after["areas"] == before["areas"]
    # And a client sees it gone at once (the load resets the search index).
    assert api(fresh, "/api/v1/offers/u-turn-koebenhavn").status_code == 404
    listed = api(fresh, "/api/v1/offers?per_page=100").get_json()
    assert "u-turn-koebenhavn" not in {item["slug"] for item in listed["items"]}
    assert listed["total"] == len(before["offers"]) - 1


def test_an_edited_title_is_updated_in_place(fresh, content_dir):
    load(fresh, content_dir)
    slug = "gaeldsraadgivning-haderslev"
    oid = offer_id(fresh, slug)
    (da_before,) = rows(fresh, "offer_texts", offer_id=oid, lang="da")
    before = dump(fresh)

    edit(content_dir / "offers" / f"{slug}.yml", lambda d: d["da"].update(title="Hjælp til gæld"))
    assert "0 added, 1 updated, 0 removed." in load(fresh, content_dir)

    assert offer_id(fresh, slug) == oid
    (da_after,) = rows(fresh, "offer_texts", offer_id=oid, lang="da")
    assert da_after["id"] == da_before["id"]
    assert da_after["title"] == "Hjælp til gæld"
    assert {**da_after, "title": da_before["title"]} == da_before
    after = dump(fresh)
    assert after["offers"] == before["offers"]
    changed = [r for r in after["offer_texts"] if r not in before["offer_texts"]]
    assert [r[0] for r in changed] == [da_before["id"]]
    assert api(fresh, f"/api/v1/offers/{slug}").get_json()["title"] == "Hjælp til gæld"


def test_a_new_offer_is_added(fresh, content_dir):
    load(fresh, content_dir)
    before = dump(fresh)
    source = content_dir / "offers" / "gaeldsraadgivning-haderslev.yml"
    target = content_dir / "offers" / "gaeldsraadgivning-kolding.yml"
    shutil.copy(source, target)

    def change(data):
        data.update(slug="gaeldsraadgivning-kolding", municipality="kolding")
        data["da"]["title"] = "Gældsrådgivning i Kolding"
        data["en"]["title"] = "Debt advice in Kolding"

    edit(target, change)
    assert "1 added, 0 updated, 0 removed." in load(fresh, content_dir)

    after = dump(fresh)
    assert len(after["offers"]) == len(before["offers"]) + 1
    assert after["offers"][:-1] == before["offers"]  # existing rows keep their ids
    new_id = offer_id(fresh, "gaeldsraadgivning-kolding")
    assert {r["lang"] for r in rows(fresh, "offer_texts", offer_id=new_id)} == {"da", "en"}
    assert rows(fresh, "offer_situations", offer_id=new_id)

    detail = api(fresh, "/api/v1/offers/gaeldsraadgivning-kolding?lang=en").get_json()
    assert detail["title"] == "Debt advice in Kolding"
    assert detail["municipality"]["slug"] == "kolding"
    listed = api(fresh, "/api/v1/offers?municipality=kolding&per_page=100").get_json()
    assert "gaeldsraadgivning-kolding" in {item["slug"] for item in listed["items"]}


def test_broken_content_is_not_loaded(fresh, content_dir):
    load(fresh, content_dir)
    before = dump(fresh)
    (content_dir / "offers" / "u-turn-koebenhavn.yml").unlink()
    edit(content_dir / "offers" / "busk-bornholm.yml", lambda d: d.update(access="sometimes"))

    result = fresh.test_cli_runner().invoke(args=["content", "load", "--dir", str(content_dir)])
    assert result.exit_code == 1
    assert "content/offers/busk-bornholm.yml: access: " in result.output
    assert "Loaded" not in result.output
    assert dump(fresh) == before  # not even the valid part (the deletion) was applied


def test_an_edited_routing_table_moves_only_what_changed(fresh, content_dir):
    """A team changed for one situation in content/routing.yml: that row changes in
    place, a municipality added gets its rows, nothing else is touched."""
    load(fresh, content_dir)
    before = {r[0]: r for r in dump(fresh)["routing_rules"]}

    def change(data):
        data["municipalities"]["egedal"]["teams"]["debt"] = "jobcenter"
        data["municipalities"]["fredericia"]["teams"].pop("violence")

    edit(content_dir / "routing.yml", change)
    load(fresh, content_dir)
    after = {r[0]: r for r in dump(fresh)["routing_rules"]}
    assert after.keys() == before.keys()
    changed = {(r[1], r[2], r[3]) for i, r in after.items() if r != before[i]}
    assert changed == {("egedal", "debt", "jobcenter"), ("fredericia", "violence", "din-indgang")}
