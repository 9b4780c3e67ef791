"""`content/routing.yml`: which team takes an intake, by life situation."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.content.problems import Problem
from portal.content.schema import RoutingFile, RoutingTeams
from portal.intake.models import RoutingRule


def check(file: str, routing: RoutingFile, situation_slugs: set[str],
          municipality_slugs: set[str]) -> list[Problem]:
    problems = []
    missing = situation_slugs - set(routing.order)
    if missing:
        problems.append(Problem(file, "order", "must list every life situation, the weightiest "
                                               f"first; missing: {', '.join(sorted(missing))}"))
    for slug in sorted(set(routing.order) - situation_slugs):
        problems.append(Problem(file, "order", f"unknown life situation '{slug}'"))
    parts = [("default", routing.default)] + [(f"municipalities.{m}", t)
                                              for m, t in routing.municipalities.items()]
    for where, teams in parts:
        for situation in teams.teams:
            if situation not in situation_slugs:
                problems.append(Problem(file, f"{where}.teams.{situation}",
                                        f"unknown life situation '{situation}'"))
    for municipality in routing.municipalities:
        if municipality not in municipality_slugs:
            problems.append(Problem(file, f"municipalities.{municipality}",
                                    f"'{municipality}' is not a municipality of the catalogue"))
    return problems


def sync(session: Session, routing: RoutingFile) -> None:
    """The routing table as the file says: for the default and for each municipality
    with its own rules, a row per situation (its team, and its rank: 0 is the
    weightiest) and a fallback row (situation ""). Rows are updated in place, added or
    removed, so loading the same file twice changes nothing (nothing points at them)."""
    rank = {situation: i for i, situation in enumerate(routing.order)}
    default = routing.default

    def team_for(teams: RoutingTeams | None, situation: str) -> str:
        if teams is not None:
            if situation in teams.teams:
                return teams.teams[situation]
            if teams.fallback:
                return teams.fallback
        return default.teams.get(situation, default.fallback)

    wanted: dict[tuple[str, str], tuple[str, int]] = {}
    for municipality, teams in [("", None), *routing.municipalities.items()]:
        for situation in routing.order:
            wanted[municipality, situation] = (team_for(teams, situation), rank[situation])
        fallback = (teams.fallback if teams and teams.fallback else default.fallback)
        wanted[municipality, ""] = (fallback, len(rank))
    for row in session.scalars(select(RoutingRule)):
        target = wanted.pop((row.municipality, row.situation), None)
        if target is None:
            session.delete(row)
        else:
            row.team, row.rank = target
    for (municipality, situation), (team, position) in wanted.items():
        session.add(RoutingRule(municipality=municipality, situation=situation, team=team,
                                rank=position))
