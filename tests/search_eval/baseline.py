"""The baseline: PostgreSQL's own full-text search over the same offers.

Set up as a competent engineer would without any tuning for this catalogue:

- one row per offer, with the area it belongs to and its situation tags;
- one `tsvector` per offer: its Danish texts with the `danish` configuration and its
  English texts with `english`, weighted A = title, B = summary and keywords,
  C = description, for whom and what happens, D = how to use, waiting time, provider and
  contact; a GIN index on it;
- the query: the lexemes of `plainto_tsquery` of the citizen's words in both
  configurations, OR-ed (`|`) into one `tsquery` — any word may match;
- ranked by `ts_rank_cd` (best first), ties by slug;
- the portal's municipality filter: the municipality's own offers and its region's.

It has no "nearest elsewhere": its scope is the municipality's offers.

Its database is `indgang_search_eval` on this machine (SEARCH_EVAL_DATABASE_URL to
change it), created when missing; each catalogue has its own table, rebuilt on load.
"""

from __future__ import annotations

import os
import urllib.parse
from collections.abc import Callable

from flask import Flask

from tests.search_eval.judge import Facts
from tests.search_eval.metrics import Shown

DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/indgang_search_eval"
NOT_OURS = ("", "postgres", "test", "template0", "template1")

WEIGHTED = {
    "A": ("title",),
    "B": ("summary", "keywords"),
    "C": ("description", "for_whom", "what_happens"),
    "D": ("how_to_use", "waiting_time", "provider", "contact"),
}
CONFIG = {"da": "danish", "en": "english"}


def database_url() -> str:
    return os.environ.get("SEARCH_EVAL_DATABASE_URL", DEFAULT_URL)


def connect(url: str | None = None):
    """A connection to the evaluation's database, created when missing.

    Raises `psycopg.OperationalError` when PostgreSQL is not reachable.
    """
    import psycopg

    url = url or database_url()
    parts = urllib.parse.urlsplit(url)
    name = parts.path.lstrip("/")
    if name in NOT_OURS:
        raise ValueError(f"The baseline needs a database of its own, not '{name}'.")
    try:
        return psycopg.connect(url, autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as error:
        if f'database "{name}" does not exist' not in str(error):
            raise
    # Created from template1's connection (copying template0), so that the server's
    # `postgres` database is never used.
    server = urllib.parse.urlunsplit(parts._replace(path="/template1"))
    with psycopg.connect(server, autocommit=True, connect_timeout=5) as conn:
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE template0')
    return psycopg.connect(url, autocommit=True, connect_timeout=5)


def _vector_sql() -> str:
    parts = []
    for lang, config in CONFIG.items():
        for weight, fields in WEIGHTED.items():
            text = " || ' ' || ".join(f"coalesce({lang}_{f}, '')" for f in fields)
            parts.append(f"setweight(to_tsvector('{config}', {text}), '{weight}')")
    return " || ".join(parts)


def load(conn, table: str, app: Flask) -> int:
    """(Re)build `table` from the offers the portal shows; returns how many."""
    from portal.catalogue.index import current_index

    columns = [f"{lang}_{f}" for lang in CONFIG for fields in WEIGHTED.values() for f in fields]
    rows = []
    with app.app_context():
        for offer in current_index().offers_by_slug.values():
            values = []
            for lang in CONFIG:
                text = offer.text(lang)
                for fields in WEIGHTED.values():
                    for f in fields:
                        value = getattr(text, f) or ""
                        values.append(" ".join(value) if isinstance(value, list) else value)
            rows.append((offer.slug, offer.area.slug,
                         [s.slug for s in offer.situations], *values))
    conn.execute(f"DROP TABLE IF EXISTS {table}")
    conn.execute(f"CREATE TABLE {table} (slug text PRIMARY KEY, area text NOT NULL, "
                 f"situations text[] NOT NULL, {', '.join(c + ' text' for c in columns)}, "
                 "doc tsvector)")
    placeholders = ", ".join(["%s"] * (3 + len(columns)))
    with conn.cursor() as cur:
        cur.executemany(f"INSERT INTO {table} (slug, area, situations, {', '.join(columns)}) "
                        f"VALUES ({placeholders})", rows)
    conn.execute(f"UPDATE {table} SET doc = {_vector_sql()}")
    conn.execute(f"CREATE INDEX ON {table} USING gin (doc)")
    conn.execute(f"ANALYZE {table}")
    return len(rows)


# The citizen's words -> `plainto_tsquery` in each configuration (its lexemes AND-ed),
# the ANDs made ORs (any word may match), and the two configurations' queries OR-ed.
QUERY_SQL = """
WITH parts AS (
  SELECT nullif(replace(plainto_tsquery('danish', %(q)s)::text, ' & ', ' | '), '') AS da,
         nullif(replace(plainto_tsquery('english', %(q)s)::text, ' & ', ' | '), '') AS en
), query AS (
  SELECT nullif(concat_ws(' | ', da, en), '')::tsquery AS q FROM parts
)
SELECT slug FROM {table}, query
WHERE query.q IS NOT NULL AND doc @@ query.q
  AND (%(places)s::text[] IS NULL OR area = ANY(%(places)s::text[]))
ORDER BY ts_rank_cd(doc, query.q) DESC, slug
LIMIT %(limit)s
"""


def search(conn, table: str, q: str, places: list[str] | None, limit: int = 20) -> list[str]:
    """The baseline's result list (slugs, best first)."""
    return [row[0] for row in conn.execute(QUERY_SQL.format(table=table),
                                           {"q": q, "places": places, "limit": limit})]


def baseline(conn, table: str, facts: Facts) -> Callable[[dict], tuple[list[Shown], bool]]:
    """The baseline as a search for `judge.judge` (its scope: the municipality's)."""

    def run(item: dict) -> tuple[list[Shown], bool]:
        municipality = item.get("municipality")
        places = None
        if municipality:
            places = [p for p in (municipality, facts.region_of.get(municipality)) if p]
        return [facts.shown(s) for s in search(conn, table, item["q"], places)], False

    return run
