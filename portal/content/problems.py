"""What is wrong with the content, said so an editor can find and fix it."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    file: str
    field: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}: {self.field}" if self.field else self.file
        return f"{where}: {self.message}"


class ContentError(Exception):
    """Raised with every problem found, so an editor can fix them all in one go."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


def duplicates(kind: str, items: Iterable[tuple[str, str, str]]) -> list[Problem]:
    """`items` are (file, field, key); a repeat is reported where it is repeated."""
    problems = []
    first: dict[str, str] = {}
    for file, where, key in items:
        if key in first:
            problems.append(
                Problem(file, where, f"{kind} '{key}' is already defined in {first[key]}"))
        else:
            first[key] = file
    return problems


def named_after(file: str, field: str, value: str) -> list[Problem]:
    """A file must be named after its slug or key: `content/offers/<slug>.yml`."""
    stem = file.rsplit("/", 1)[-1].removesuffix(".yml")
    if stem == value:
        return []
    return [Problem(file, field, f"is '{value}', so the file must be named '{value}.yml'")]
