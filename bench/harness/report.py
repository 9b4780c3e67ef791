"""The reports: percentiles, the load table, verdicts against the targets, page weight,
the search profile, and the JSON files in bench/results/."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import statistics
from pathlib import Path

from bench.harness import targets
from bench.harness.common import RESULTS_DIR, ROOT, say
from bench.harness.cpu import NOISY_OTHER_CPU
from bench.harness.load import LoadResult


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(share * (len(ordered) - 1))))
    return ordered[index]


def summary(values: list[float], digits: int = 1) -> dict[str, float]:
    """p50, p95, p99 and mean of `values`, rounded."""
    return {"p50": round(percentile(values, 0.5), digits),
            "p95": round(percentile(values, 0.95), digits),
            "p99": round(percentile(values, 0.99), digits),
            "mean": round(statistics.mean(values), digits) if values else float("nan")}


def kb(n: float) -> str:
    return f"{n / 1024:.1f} KB"


def verdict(target: targets.Target, value: float, unit: str | None = None) -> str:
    """e.g. "target p95 <= 150 ms ...: 92.1 ms  PASS"."""
    return (f"target {target.what} {target.text}: {value:g} {unit or target.unit}  "
            f"{target.verdict(value)}")


def write_json(payload: dict, prefix: str, latest: str) -> Path:
    """bench/results/<prefix>-<time>.json, copied to bench/results/<latest>."""
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    out = RESULTS_DIR / f"{prefix}-{stamp}.json"
    out.write_text(json.dumps(payload, indent=2, ensure_ascii=False, default=str))
    shutil.copyfile(out, RESULTS_DIR / latest)
    return out.relative_to(ROOT)


# --- bench.run ----------------------------------------------------------------------


def print_intro(cores: int, connections: int) -> None:
    for line in (
        f"NOTE: wrk runs on the same {cores} cores as the server, so the numbers are a lower "
        "bound of what",
        "the server alone can do. The 'cpu' columns say how many cores the server, wrk and "
        "every other",
        "process used during each run ('db': PostgreSQL, when used), and 'steal' what the",
        "hypervisor gave to other machines (other and steal skew the numbers).",
        f"Latency is closed-loop: with {connections} clients a request also waits for "
        "those ahead of it",
        f"(p50 ~ {connections} / rps); the 1-client rows show the service time without "
        "queueing.",
    ):
        say(("  " if line.startswith("NOTE") else "        ") + line)


def print_table(results: list[LoadResult]) -> None:
    header = (f"{'scenario':<14} {'catalogue':<16} {'server':<14} {'conns':>5} {'rps':>8} "
              f"{'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'errors':>6}  "
              f"{'cpu: server':>11} {'db':>5} {'wrk':>5} {'other':>5} {'steal':>5}")
    say(header)
    say("-" * len(header))
    for r in results:
        catalogue = f"{r.catalogue} ({r.offers}) {r.backend[:2]}"
        errors = sum(r.errors.values())
        say(f"{r.scenario:<14} {catalogue:<16} {r.server:<14} {r.connections:>5} {r.rps:>8.1f} "
            f"{r.p50_ms:>8.1f} {r.p95_ms:>8.1f} {r.p99_ms:>8.1f} {errors:>6}  "
            f"{r.server_cpu_cores:>11.2f} {r.db_cpu_cores:>5.2f} {r.client_cpu_cores:>5.2f} "
            f"{r.other_cpu_cores:>5.2f} {r.steal_cpu_cores:>5.2f}"
            + ("  !" if r.noisy else "")
            + (f"  {r.worker_failures} WORKER(S) LOST" if r.worker_failures else ""))
    if any(r.noisy for r in results):
        say(f"  ! other processes (or the hypervisor: steal) took more than {NOISY_OTHER_CPU} "
            "cores during this run: noisy, run again on a quiet machine")
    if any(r.worker_failures for r in results):
        say("  WORKER(S) LOST: gunicorn replaced a worker that timed out or crashed during the "
            "run (its log is kept in bench/results/); its requests failed or waited")


def best_config(results: list[LoadResult], catalogue: str, connections: int) -> LoadResult | None:
    candidates = [r for r in results if r.scenario == "search API" and r.catalogue == catalogue
                  and r.backend == "sqlite" and r.connections == connections and not r.errors]
    return min(candidates, key=lambda r: (r.p95_ms, -r.rps), default=None)


def print_load_report(results: list[LoadResult], offers: int, connections: int) -> None:
    """The table, the best server configuration, and search p95 against its target."""
    say("\n" + "=" * 100)
    say("RESULTS  (latency in ms; closed loop; load generator on the same cores)")
    say("=" * 100)
    print_table(results)
    best = best_config(results, str(offers), connections)
    if best:
        say(f"\nBest server configuration for search at {offers} offers (lowest p95, then "
            f"highest rps): {best.server} — {best.rps:.0f} rps, p95 {best.p95_ms:.1f} ms")
    for r in search_at_scale(results, offers, connections):
        say(f"Target search p95 {targets.SEARCH_P95.text} at {r.offers} offers, "
            f"{r.connections} clients, {r.server} ({r.backend}): {r.p95_ms:.1f} ms  "
            f"{targets.SEARCH_P95.verdict(r.p95_ms)}")
    for r in results:
        if r.connections == 1 and r.catalogue == str(offers):
            say(f"  (one client alone, {r.backend}: p50 {r.p50_ms:.1f} ms, p95 {r.p95_ms:.1f} ms "
                f"= the service time without queueing)")


def search_at_scale(results: list[LoadResult], offers: int, connections: int) -> list[LoadResult]:
    """The search runs the p95 target is about: the generated catalogue, all clients."""
    return [r for r in results if r.scenario == "search API" and r.catalogue == str(offers)
            and r.connections == connections]


def print_page_weight(weight: dict) -> None:
    if weight.get("not_measured"):
        say(f"Page weight, {weight['catalogue']} catalogue: not measured — "
            f"{weight['not_measured']}")
        return
    first, second = weight["first_visit"], weight["second_page"]
    say(f"Page weight, {weight['catalogue']} catalogue ({weight['method']}; "
        f"Accept-Encoding: {weight['accept_encoding']}):")
    say(f"  first visit, home page   {kb(first['bytes']):>10}  target "
        f"{targets.FIRST_VISIT.text}  {'PASS' if first['pass'] else 'FAIL'}")
    for kind, size in sorted(first["by_kind"].items(), key=lambda kv: -kv[1]):
        say(f"      {kind:<12} {kb(size):>10}")
    for r in sorted(first["resources"], key=lambda r: -r["transfer"]):
        if r["from_cache"]:
            continue
        path = r["url"].split("://", 1)[-1].split("/", 1)[-1].split("?")[0]
        say(f"        {kb(r['transfer']):>9} (decoded {kb(r['decoded']):>9}) "
            f"{r['status']} {r['content_encoding'] or '-':<4} /{path}")
    say(f"  second page, search      {kb(second['bytes']):>10}  target "
        f"{targets.SECOND_PAGE.text}  {'PASS' if second['pass'] else 'FAIL'}  "
        f"({second['url'].split('://', 1)[-1].split('/', 1)[-1]})")
    for r in second["resources"]:
        path = r["url"].split("://", 1)[-1].split("/", 1)[-1].split("?")[0]
        how = "from cache" if r["from_cache"] else f"{kb(r['transfer'])} {r['status']}"
        say(f"        /{path:<48} {how}")
    say(f"  static files refetched on the second page: {len(second['refetched_static'])}")
    bad = [c for c in weight["cache_checks"] if not c["ok"]]
    say(f"  cache headers: {len(weight['cache_checks']) - len(bad)}/"
        f"{len(weight['cache_checks'])} static files long-lived, 304 on If-None-Match, "
        f"compressed when text")
    for c in weight["cache_checks"]:
        mark = "ok " if c["ok"] else "BAD"
        say(f"      {mark} /{c['url'].split('?')[0]:<50} {c['cache_control'] or '-'}; "
            f"ETag {'yes' if c['etag'] else 'no'}; 304 {'yes' if c['revalidates'] else 'no'}; "
            f"{c['content_encoding'] or 'identity'}")


def print_profile(report: dict) -> None:
    say(f"In-process search timing, {report['catalogue']} catalogue ({report['documents']} "
        f"offers; index build {report['index_build_s']} s, vocabulary {report['vocabulary']} "
        "terms):")
    for name, t in report["timings_ms"].items():
        say(f"  {name:<24} p50 {t['p50']:>7.2f}  p95 {t['p95']:>7.2f}  p99 {t['p99']:>7.2f}  "
            f"mean {t['mean']:>7.2f} ms")
    gcr = report["gc"]
    say(f"  garbage collection ({gcr['tracked_objects']} tracked objects): " + "; ".join(
        f"{gen} {g['collections']}x, max {g['max_ms']} ms" for gen, g in gcr.items()
        if isinstance(g, dict)))
    for key in ("profile_find_offers_tottime", "profile_find_offers_cumulative",
                "profile_api_request_cumulative"):
        if key in report:
            say(f"\n  cProfile, {key.removeprefix('profile_').replace('_', ' ')}:")
            for line in report[key].splitlines():
                say("    " + line[:150])
