"""The catalogues under test, each in its own database, loaded the way production is
(`flask db upgrade` + `flask content load`), and the portal's environment for each."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.parse
from dataclasses import dataclass
from pathlib import Path

from bench.generate import generate
from bench.harness.common import API_TOKEN, DEMO_CONTENT, HOST, ROOT, say


@dataclass
class Catalogue:
    name: str  # "demo" or "2000"
    backend: str  # "sqlite" or "postgresql"
    content_dir: Path
    database_url: str
    slugs: list[str]
    load_seconds: float = 0.0
    loaded: bool = False

    @property
    def label(self) -> str:
        return f"{self.name} ({len(self.slugs)}) {self.backend}"


def app_env(catalogue: Catalogue) -> dict[str, str]:
    """The environment of a portal serving `catalogue` (gunicorn, flask, in-process)."""
    env = {**os.environ, "FLASK_APP": "portal", "DATABASE_URL": catalogue.database_url,
           "INDGANG_CONTENT_DIR": str(catalogue.content_dir),
           "SECRET_KEY": "bench-only-secret", "PORTAL_API_TOKEN": API_TOKEN,
           "PYTHONUNBUFFERED": "1",
           "PYTHONFAULTHANDLER": "1"}  # a crashing worker leaves its tracebacks in the log
    env.pop("FLASK_DEBUG", None)
    return env


def offer_slugs(content_dir: Path) -> list[str]:
    return sorted(p.stem for p in (content_dir / "offers").glob("*.yml"))


def demo(workdir: Path) -> Catalogue:
    """The demo content in its own SQLite database under `workdir` (not yet loaded)."""
    return Catalogue("demo", "sqlite", DEMO_CONTENT, f"sqlite:///{workdir / 'demo.sqlite3'}",
                     offer_slugs(DEMO_CONTENT))


def catalogues(workdir: Path, offers: int, postgresql_url: str | None) -> list[Catalogue]:
    """The demo content and `offers` generated offers on SQLite, and both again on
    PostgreSQL when `postgresql_url` is given (it must be on this machine)."""
    t0 = time.perf_counter()
    generated_dir = workdir / f"catalogue-{offers}"
    generate(generated_dir, offers)
    say(f"  generated {offers} offers in {time.perf_counter() - t0:.1f} s")
    found = [demo(workdir),
             Catalogue(str(offers), "sqlite", generated_dir,
                       f"sqlite:///{workdir / 'generated.sqlite3'}", offer_slugs(generated_dir))]
    if postgresql_url:
        host = urllib.parse.urlsplit(postgresql_url).hostname
        if host not in (None, "", "localhost", HOST, "::1"):
            raise SystemExit("BENCH_DATABASE_URL must point at this machine (127.0.0.1).")
        found += [
            Catalogue("demo", "postgresql", DEMO_CONTENT, postgresql_url,
                      offer_slugs(DEMO_CONTENT)),
            Catalogue(str(offers), "postgresql", generated_dir, postgresql_url,
                      offer_slugs(generated_dir)),
        ]
    return found


def load(catalogue: Catalogue) -> None:
    """`flask db upgrade` + `flask content load` into the catalogue's own database
    (PostgreSQL: its `public` schema is dropped and recreated first)."""
    if catalogue.loaded:
        return
    if catalogue.backend == "postgresql":
        wipe_postgresql(catalogue.database_url)
    env = app_env(catalogue)
    started = time.perf_counter()
    for args in (["db", "upgrade"], ["content", "load"]):
        done = subprocess.run([sys.executable, "-m", "flask", *args], cwd=ROOT, env=env,
                              capture_output=True, text=True, timeout=900)
        if done.returncode != 0:
            raise SystemExit(f"flask {' '.join(args)} failed for {catalogue.label}:\n"
                             f"{done.stdout}\n{done.stderr}")
    catalogue.load_seconds = time.perf_counter() - started
    catalogue.loaded = True
    say(f"  loaded {catalogue.label} in {catalogue.load_seconds:.1f} s")


def wipe_postgresql(url: str) -> None:
    from sqlalchemy import create_engine, text

    from bench.harness.portal import normalise_db_url

    engine = create_engine(normalise_db_url(url))
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()
