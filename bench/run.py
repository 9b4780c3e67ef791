"""Indgang's benchmark: the production server under load, and what a phone downloads.

    python -m bench.run            # or: make bench   (about 10 minutes)
    python -m bench.run --quick    # 5 s per scenario, no worker sweep (about 3 minutes)

For each catalogue (the demo content, 2,000 generated offers; with BENCH_DATABASE_URL
also on PostgreSQL, whose `public` schema is WIPED) and each server configuration:
gunicorn on 127.0.0.1, warmed up; wrk on the search API and the offer pages; page
weight in Chromium; then a table, the targets, a search profile, and a JSON copy in
bench/results/. The parts live in bench/harness/ (see bench/README.md).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import sys
import tempfile
import time
from dataclasses import asdict
from pathlib import Path

from bench.harness import catalogues, report, targets
from bench.harness.common import ACCEPT_ENCODING, MAX_DURATION, find_tool, say
from bench.harness.load import LoadResult, measure, page_paths, search_paths, warm_up
from bench.harness.load import write_wrk_script as wrk_script
from bench.harness.pageweight import page_weights
from bench.harness.processes import ServerConfig, serve
from bench.harness.profile import profile_search

GENERATED_OFFERS = 2000


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.split("\n")[0])
    parser.add_argument("--duration", type=float, default=20.0,
                        help=f"seconds per measured scenario (at most {MAX_DURATION})")
    parser.add_argument("--warm", type=float, default=3.0, help="seconds of load before each")
    parser.add_argument("--connections", type=int, default=20)
    parser.add_argument("--workers", type=int, default=2 * (os.cpu_count() or 1),
                        help="workers of the main runs (as gunicorn.conf.py: 2 per core)")
    parser.add_argument("--worker-class", default="sync", choices=("sync", "gthread"))
    parser.add_argument("--threads", type=int, default=4, help="threads per gthread worker")
    parser.add_argument("--sweep", default="sync:2,sync:3,sync:4,gthread:2,gthread:3,gthread:4",
                        help="worker configurations tried on the 2,000-offer catalogue "
                             "(class:workers,...); empty for none")
    parser.add_argument("--offers", type=int, default=GENERATED_OFFERS)
    parser.add_argument("--quick", action="store_true",
                        help="5 s per scenario, 1 s warm-up, no sweep")
    parser.add_argument("--no-page-weight", action="store_true")
    parser.add_argument("--profile", choices=("auto", "always", "never"), default="auto",
                        help="cProfile search: when the p95 target is missed (auto)")
    args = parser.parse_args(argv)
    if args.quick:
        args.duration, args.warm, args.sweep = 5.0, 1.0, ""
    args.duration = max(1.0, min(args.duration, MAX_DURATION))
    args.warm = max(0.0, min(args.warm, MAX_DURATION))
    return args


def parse_sweep(text: str, threads: int) -> list[ServerConfig]:
    configs = []
    for item in filter(None, (s.strip() for s in text.split(","))):
        cls, _, n = item.partition(":")
        if cls not in ("sync", "gthread") or not n.isdigit():
            raise SystemExit(f"--sweep: '{item}' is not class:workers (sync:2, gthread:3)")
        configs.append(ServerConfig(int(n), cls, threads if cls == "gthread" else 1))
    return configs


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    started = time.perf_counter()
    cores = os.cpu_count() or 1
    say("Indgang benchmark")
    say(f"  machine: {cores} cores, Python {platform.python_version()}, {platform.system()}, "
        f"load average {os.getloadavg()[0]:.2f} at start")
    say(f"  load: wrk, {args.connections} keep-alive connections, {args.duration:.0f} s per "
        f"scenario after {args.warm:.0f} s warm-up, Accept-Encoding: {ACCEPT_ENCODING}")
    report.print_intro(cores, args.connections)
    wrk = find_tool("wrk", "wrk", "the load runs")
    if wrk is None:
        say("  wrk is needed for the load runs; stopping.")
        return 2
    chromium = None
    if not args.no_page_weight:
        chromium = find_tool("chromium", "chromium", "page weight: not measured without it")

    main_config = ServerConfig(args.workers, args.worker_class,
                               args.threads if args.worker_class == "gthread" else 1)
    sweep = [c for c in parse_sweep(args.sweep, args.threads) if c != main_config]
    results: list[LoadResult] = []
    weights: list[dict] = []
    profiles: list[dict] = []
    search = search_paths()

    with tempfile.TemporaryDirectory(prefix="indgang-bench-") as tmp:
        workdir = Path(tmp)
        say("\nCatalogues")
        all_catalogues = catalogues.catalogues(workdir, args.offers,
                                               os.environ.get("BENCH_DATABASE_URL"))
        for catalogue in all_catalogues:
            if catalogue.backend == "sqlite":
                catalogues.load(catalogue)

        search_script = wrk_script(search, workdir, "search")
        for catalogue in all_catalogues:
            catalogues.load(catalogue)  # PostgreSQL catalogues share one database: load now
            pages = page_paths(catalogue)
            page_script = wrk_script(pages, workdir, f"pages-{catalogue.name}")
            configs = [main_config] + (sweep if catalogue.name != "demo"
                                       and catalogue.backend == "sqlite" else [])
            for config in configs:
                say(f"\n{catalogue.label}, gunicorn {config.label}")
                with serve(f"{catalogue.name}-{catalogue.backend}", config,
                           catalogues.app_env(catalogue), workdir,
                           postgresql=catalogue.backend == "postgresql") as server:
                    warm_up(server, config, search, pages)
                    say(f"  ready in {server.started_seconds:.1f} s, warm in "
                        f"{server.warm_seconds:.1f} s (every worker built its search index)")
                    for scenario, script in (("search API", search_script),
                                             ("offer page", page_script)):
                        results.append(measure(wrk, server, catalogue, config, scenario, script,
                                               args.connections, args.duration, args.warm))
                    if config == main_config:
                        results.append(measure(wrk, server, catalogue, config, "search API",
                                               search_script, 1, min(args.duration, 10), 0))
                        if not args.no_page_weight and catalogue.backend == "sqlite":
                            say("  page weight ...")
                            weights.append(page_weights(server.base_url, chromium,
                                                        catalogue.name))

        at_scale = report.search_at_scale(results, args.offers, args.connections)
        missed = any(not targets.SEARCH_P95.met(r.p95_ms) for r in at_scale)
        generated = next(c for c in all_catalogues if c.name == str(args.offers))
        if args.profile == "always" or (args.profile == "auto" and missed):
            say("\nProfiling search in-process (target missed)" if missed else
                "\nProfiling search in-process")
            profiles.append(profile_search(generated, rounds=3, with_cprofile=True))
        elif args.profile == "auto":
            profiles.append(profile_search(generated, rounds=2, with_cprofile=False))

    report.print_load_report(results, args.offers, args.connections)
    for weight in weights:
        say("")
        report.print_page_weight(weight)
    for profile in profiles:
        say("")
        report.print_profile(profile)

    best = report.best_config(results, str(args.offers), args.connections)
    payload = {
        "when": dt.datetime.now().isoformat(timespec="seconds"),
        "machine": {"cores": cores, "python": platform.python_version(),
                    "platform": platform.platform()},
        "settings": vars(args),
        "note": "wrk shares the machine's cores with the server; closed-loop latency",
        "targets": {"search_p95_ms": targets.SEARCH_P95.limit,
                    "first_visit_kb": targets.FIRST_VISIT.limit,
                    "second_page_kb": targets.SECOND_PAGE.limit},
        "load": [asdict(r) for r in results],
        "best_search_config": asdict(best) if best else None,
        "page_weight": weights,
        "profile": profiles,
        "elapsed_s": round(time.perf_counter() - started, 1),
    }
    out = report.write_json(payload, "bench", "latest.json")
    say(f"\nJSON: {out}  (and bench/results/latest.json); took {payload['elapsed_s']:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
