"""The search in-process: where `find_offers` spends its time (filtering, ranking with a
warm and a cold expansion cache, garbage-collection pauses), and cProfile listings."""

from __future__ import annotations

import cProfile
import gc
import io
import os
import pstats
import re
import statistics
import time

import yaml

from bench.harness.catalogues import Catalogue, app_env
from bench.harness.common import ACCEPT_ENCODING, QUERIES, ROOT, api_headers
from bench.harness.load import search_paths
from bench.harness.report import summary


def profile_search(catalogue: Catalogue, rounds: int, with_cprofile: bool) -> dict:
    """In-process timing of `find_offers` for every evaluation query, and where it goes:
    filtering, ranking (result pages come from the in-memory index), garbage collection.
    """
    os.environ.update({k: v for k, v in app_env(catalogue).items()
                       if k in ("DATABASE_URL", "INDGANG_CONTENT_DIR", "SECRET_KEY",
                                "PORTAL_API_TOKEN")})

    from bench.harness import portal

    app = portal.create_app()
    queries = yaml.safe_load(QUERIES.read_text(encoding="utf-8"))
    report: dict = {"catalogue": catalogue.name, "backend": catalogue.backend}
    timings: dict[str, list[float]] = {k: [] for k in (
        "api_request_in_process", "find_offers", "filter_candidates", "rank_warm_cache",
        "rank_cold_cache")}

    def clock(name: str, func):
        t0 = time.perf_counter()
        value = func()
        timings[name].append((time.perf_counter() - t0) * 1000)
        return value

    gc_pauses: dict[int, list[float]] = {0: [], 1: [], 2: []}
    gc_started: list[float] = [0.0]

    def gc_watch(phase: str, info: dict) -> None:
        if phase == "start":
            gc_started[0] = time.perf_counter()
        else:
            gc_pauses[info["generation"]].append((time.perf_counter() - gc_started[0]) * 1000)

    with app.test_request_context():
        portal.reset_index_cache()
        t0 = time.perf_counter()
        index = portal.current_index()
        report["index_build_s"] = round(time.perf_counter() - t0, 2)
        report["vocabulary"] = len(index.vocabulary)
        report["documents"] = len(index.documents)
        parsed = []
        for item in queries:
            args = {"q": item["q"], "per_page": "20"}
            if item.get("municipality"):
                args["municipality"] = item["municipality"]
            parsed.append(portal.parse_offer_query(args, item.get("lang", "da")))
        for q in parsed:  # warm the expansion cache, as a running worker has it
            portal.find_offers(q)
        client = app.test_client()
        paths = search_paths()
        gc.callbacks.append(gc_watch)
        try:
            for _ in range(rounds):
                for q, path in zip(parsed, paths, strict=True):
                    clock("find_offers", lambda q=q: portal.find_offers(q))
                    candidates = clock("filter_candidates", lambda q=q: {
                        d.offer_id for d in (index.documents_for.get(q.municipality, [])
                                             if q.municipality else index.documents)
                        if portal.passes_filters(d, q)})
                    clock("rank_warm_cache", lambda q=q, c=candidates: index.rank(q.q, c))
                    clock("api_request_in_process", lambda p=path: client.get(
                        p, headers={"Accept-Encoding": ACCEPT_ENCODING, **api_headers(p)}))
        finally:
            gc.callbacks.remove(gc_watch)
        # Ranking with a cold expansion cache (a fresh worker, or rare words).
        index.expand.cache_clear()
        for q in parsed:
            clock("rank_cold_cache", lambda q=q: index.rank(q.q))
        report["timings_ms"] = {name: summary(v, 2) for name, v in timings.items() if v}
        iterations = len(timings["find_offers"])  # each: find_offers, its parts, API call
        report["gc"] = {
            f"gen{gen}": {"collections": len(p),
                          "per_1000_iterations": round(1000 * len(p) / iterations, 1),
                          "max_ms": round(max(p, default=0.0), 1),
                          "mean_ms": round(statistics.mean(p), 2) if p else 0.0}
            for gen, p in gc_pauses.items()
        }
        report["gc"]["tracked_objects"] = len(gc.get_objects())
        if with_cprofile:
            for name, func in (
                ("find_offers", lambda: [portal.find_offers(q) for q in parsed]),
                ("api_request", lambda: [client.get(p, headers=api_headers(p)) for p in paths]),
            ):
                profiler = cProfile.Profile()
                profiler.enable()
                for _ in range(rounds):
                    func()
                profiler.disable()
                for order, count in (("tottime", 18), ("cumulative", 28)):
                    out = io.StringIO()
                    pstats.Stats(profiler, stream=out).sort_stats(order).print_stats(count)
                    report[f"profile_{name}_{order}"] = _trim_pstats(out.getvalue())
    return report


def _trim_pstats(text: str) -> str:
    lines = text.splitlines()
    start = next((i for i, ln in enumerate(lines) if ln.strip().startswith("ncalls")), 0)
    root = str(ROOT) + "/"
    site = re.compile(r"\S*/site-packages/")
    return "\n".join(site.sub("", ln.replace(root, "")) for ln in lines[start:] if ln.strip())
