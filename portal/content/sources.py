"""Every fact names its source: a seed file and lines that exist in it."""

from __future__ import annotations

from pathlib import Path

from portal.content.problems import Problem
from portal.content.schema import Source


def seed_line_counts(seeds_dir: str | Path | None) -> dict[str, int] | None:
    """Lines per seed file; None when the seeds are not at hand (then not checked)."""
    if seeds_dir is None or not Path(seeds_dir).is_dir():
        return None
    return {
        p.name: sum(1 for _ in p.open(encoding="utf-8", errors="replace"))
        for p in Path(seeds_dir).glob("*.txt")
    }


def check_sources(file: str, sources: list[Source],
                  seed_lines: dict[str, int] | None) -> list[Problem]:
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
                problems.append(Problem(
                    file, f"sources.{i}.lines",
                    f"{first}-{last} is past the end of {source.file} ({count} lines)"))
    return problems
