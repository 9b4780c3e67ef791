"""Search quality against PostgreSQL's own full-text search, at 34 and at 2,000 offers.

    .venv/bin/python -m bench.search_quality        # or: make search-quality

For each set of queries (tuned: tests/search_eval/queries.yml; held-out:
tests/search_eval/held_out.yml, never used for tuning), each catalogue (the demo
content; bench/generate.py's 2,000 offers, seed 2026) and each system (our search over
`GET /api/v1/offers`; the PostgreSQL baseline of tests/search_eval/baseline.py over the
same offers): recall@1, recall@3, precision@3 and off-topic@3 (an offer fits when it
serves a life situation the query is about: tests/search_eval/metrics.py), and at 34
offers the old top-1/top-3 on the expected offers (generated offers have other slugs).

Each catalogue is loaded into a scratch SQLite database under bench/results/ the way
`flask content load` loads it. Prints a table; writes
bench/results/search-quality-latest.json. PostgreSQL: SEARCH_EVAL_DATABASE_URL, default
the database indgang_search_eval on this machine (created when missing).
"""

from __future__ import annotations

import argparse
import json
import logging
import shutil
import sys
import time
from pathlib import Path

from flask import Flask

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
SEED = 2026


def scratch_app(content_dir: Path, workdir: Path) -> Flask:
    """The portal on its own SQLite database under `workdir`, `content_dir` loaded."""
    from flask_migrate import upgrade

    from portal import create_app
    from portal.catalogue.index import reset_index_cache
    from portal.content.loader import read_content, sync_content
    from portal.core.extensions import db

    workdir.mkdir(parents=True, exist_ok=True)
    database = workdir / "portal.sqlite3"
    database.unlink(missing_ok=True)
    app = create_app({
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{database}",
        "SECRET_KEY": "search-quality-only",
        "CONTENT_DIR": str(content_dir),
        "API_RATE_LIMIT": "",
    })
    with app.app_context():
        logging.disable(logging.INFO)  # alembic's "Running upgrade ..." lines
        try:
            upgrade()
        finally:
            logging.disable(logging.NOTSET)
        sync_content(db.session, read_content(content_dir, app.config["SEEDS_DIR"]))
        db.session.commit()
        reset_index_cache()
    return app


def catalogue_apps(workdir: Path, offers: int) -> dict[str, Flask]:
    """The demo content and `offers` generated from it, each in its own portal."""
    import portal
    from bench.generate import generate

    demo = Path(portal.__file__).resolve().parent.parent / "content"  # the portal's own
    generated = workdir / f"catalogue-{offers}"
    if generated.exists():
        shutil.rmtree(generated)
    generate(generated, offers, source_dir=demo, seed=SEED)
    for extra in demo.iterdir():  # what the generator does not copy (routing, consents)
        if not (generated / extra.name).exists():
            (shutil.copytree if extra.is_dir() else shutil.copy2)(extra, generated / extra.name)
    return {"34": scratch_app(demo, workdir / "demo"),
            str(offers): scratch_app(generated, workdir / "generated")}


def run(offers: int = 2000) -> dict:
    import psycopg

    from tests.search_eval import baseline
    from tests.search_eval.judge import SETS, Facts, judge, load_set, ours
    from tests.search_eval.metrics import GROUPS, summarise

    started = time.perf_counter()
    workdir = RESULTS / "search-quality"
    apps = catalogue_apps(workdir, offers)
    sets = {name: load_set(path) for name, path in SETS.items()}
    try:
        conn = baseline.connect()
    except psycopg.OperationalError as error:
        conn = None
        print(f"PostgreSQL not reachable ({error}); the baseline is left out.", file=sys.stderr)
    rows = []
    for catalogue, app in apps.items():
        facts = Facts.of(app)
        systems = {"ours": ours(app, facts)}
        if conn is not None:
            table = f"offers_{catalogue}"
            baseline.load(conn, table, app)
            systems["postgresql-fts"] = baseline.baseline(conn, table, facts)
        with app.app_context():
            for set_name, items in sets.items():
                for system, search in systems.items():
                    t0 = time.perf_counter()
                    judged = judge(items, facts, search, use_expect=(catalogue == "34"))
                    groups = {name: summarise(j for j in judged if part(j))
                              for name, part in GROUPS.items()}
                    rows.append({"set": set_name, "catalogue": catalogue,
                                 "offers": len(facts.area), "system": system,
                                 **summarise(judged), "seconds": round(time.perf_counter() - t0, 2),
                                 "groups": {k: v for k, v in groups.items() if v["queries"]
                                            # flagged for the demo's municipalities only
                                            and (k != "nothing here" or catalogue == "34")}})
    if conn is not None:
        conn.close()
    return {"generated_seed": SEED, "rows": rows,
            "seconds": round(time.perf_counter() - started, 1)}


def table(result: dict) -> str:
    def pct(value: float | None) -> str:
        return "     –" if value is None else f"{value:6.1%}"

    head = (f"{'set':9} {'catalogue':>9} {'system':15} {'n':>4} {'recall@1':>8} {'recall@3':>8} "
            f"{'prec@3':>8} {'offtop@3':>8} {'top-1':>7} {'top-3':>7}")
    lines = [head, "-" * len(head)]
    for r in result["rows"]:
        lines.append(f"{r['set']:9} {r['catalogue']:>9} {r['system']:15} {r['queries']:4} "
                     f"{pct(r['recall@1']):>8} {pct(r['recall@3']):>8} "
                     f"{pct(r['precision@3']):>8} {pct(r['off-topic@3']):>8} "
                     f"{pct(r['top-1']):>7} {pct(r['top-3']):>7}")
    lines += ["", "By part of the held-out set (recall@1 / recall@3 / precision@3 / off-topic@3):"]
    for r in result["rows"]:
        if r["set"] != "held-out":
            continue
        for name, g in r["groups"].items():
            lines.append(f"  {r['catalogue']:>5} {r['system']:15} {name:13} {g['queries']:4}  "
                         + " / ".join(pct(g[m]).strip() for m in
                                      ("recall@1", "recall@3", "precision@3", "off-topic@3")))
    lines.append(f"({result['seconds']} s; off-topic@3: lower is better)")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--offers", type=int, default=2000)
    args = parser.parse_args(argv)
    result = run(args.offers)
    print(table(result))
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / "search-quality-latest.json"
    out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(f"Written: {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
