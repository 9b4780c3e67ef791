"""Demo staff and schedules for development: `flask demo load` (run by `make run`) and
`flask demo remove`. Never in production: a portal started with INDGANG_ENV=production
refuses to start while any demo account exists (see `refuse_demo_in_production`).

The demo treaters work at Holstebro's treatment centre (virtual alcohol treatment, by
chat, at lunch and in the evening) and in its housing-support team (virtual bostøtte:
video, phone or chat in the daytime). The accounts and addresses are made up (`.invalid`
addresses): they are listed in the README.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import click
from flask import Flask
from flask.cli import AppGroup
from sqlalchemy import delete, select
from sqlalchemy.exc import SQLAlchemyError

from portal.booking.models import ScheduleRule
from portal.catalogue import service as catalogue
from portal.core.extensions import db
from portal.staff import service as staff
from portal.staff.models import CASEWORKER, TEAM, TREATER, TREATMENT_CENTRE, StaffMember, Unit

PASSWORD = "demo-indgang-2026"  # every demo account's (README: "Demo accounts")


@dataclass(frozen=True)
class DemoUnit:
    slug: str
    kind: str
    municipality: str
    name: str
    email: str


@dataclass(frozen=True)
class DemoTreater:
    email: str
    name: str
    unit: str


@dataclass(frozen=True)
class DemoHours:
    treater: str
    offer: str
    weekdays: tuple[int, ...]
    opens: dt.time
    closes: dt.time
    minutes: int
    channels: tuple[str, ...]


UNITS = (
    DemoUnit("behandlingscenter-holstebro", TREATMENT_CENTRE, "holstebro",
             "Behandlingscenter Holstebro (demo)", "behandlingscenter@holstebro.demo.invalid"),
    DemoUnit("bostoette-holstebro", TEAM, "holstebro", "Bostøtte Holstebro (demo)",
             "bostoette@holstebro.demo.invalid"),
)
TREATERS = (
    DemoTreater("behandler@demo.invalid", "Anna Demo (alkoholbehandler)",
                "behandlingscenter-holstebro"),
    DemoTreater("behandler2@demo.invalid", "Bo Demo (alkoholbehandler)",
                "behandlingscenter-holstebro"),
    DemoTreater("bostoette@demo.invalid", "Cecilie Demo (bostøttemedarbejder)",
                "bostoette-holstebro"),
)
# Caseworkers' teams for the one-entrance intake (content/routing.yml names them by key:
# the unit is "<municipality>-<key>"). Egedal's centres of Tæt på Tværs (001 l.
# 2287-2324) and Fredericia's Din Indgang and its ordinary adult area (001 l. 3071-3082);
# every other municipality of the catalogue gets one "indgang" team.
CASEWORKER_TEAMS = (
    DemoUnit("egedal-css", TEAM, "egedal", "Center for Social Service, Egedal (demo)",
             "css@egedal.demo.invalid"),
    DemoUnit("egedal-jobcenter", TEAM, "egedal", "Jobcenter Egedal (demo)",
             "jobcenter@egedal.demo.invalid"),
    DemoUnit("fredericia-din-indgang", TEAM, "fredericia", "Din Indgang, Fredericia (demo)",
             "din-indgang@fredericia.demo.invalid"),
    DemoUnit("fredericia-voksen", TEAM, "fredericia", "Voksenområdet, Fredericia (demo)",
             "voksen@fredericia.demo.invalid"),
)
CASEWORKERS = (
    ("css.egedal@demo.invalid", "Dorte Demo (sagsbehandler, CSS Egedal)", ("egedal-css",)),
    ("jobcenter.egedal@demo.invalid", "Emil Demo (sagsbehandler, Jobcenter Egedal)",
     ("egedal-jobcenter",)),
    ("dinindgang.fredericia@demo.invalid", "Frida Demo (Din Indgang, Fredericia)",
     ("fredericia-din-indgang",)),
    ("voksen.fredericia@demo.invalid", "Gustav Demo (Voksenområdet, Fredericia)",
     ("fredericia-voksen",)),
)
# Member of every other municipality's "indgang" team.
CASEWORKER_ELSEWHERE = ("sagsbehandler@demo.invalid", "Hanne Demo (sagsbehandler)")
ALCOHOL = "virtuel-alkoholbehandling-holstebro"
HOUSING = "virtuel-bostoette-holstebro"
EVERY_WEEKDAY = (0, 1, 2, 3, 4)
HOURS = (
    # Lunch (11:30-13:00) and evenings (from 17:00), as the seeds describe (001 l. 3473-3476).
    DemoHours("behandler@demo.invalid", ALCOHOL, EVERY_WEEKDAY, dt.time(11, 30),
              dt.time(13, 0), 30, ("chat",)),
    DemoHours("behandler@demo.invalid", ALCOHOL, (0, 1, 2, 3), dt.time(17, 0),
              dt.time(20, 0), 30, ("chat",)),
    DemoHours("behandler2@demo.invalid", ALCOHOL, (0, 2, 4, 6), dt.time(19, 0),
              dt.time(21, 30), 30, ("chat",)),
    DemoHours("bostoette@demo.invalid", HOUSING, EVERY_WEEKDAY, dt.time(9, 0),
              dt.time(15, 0), 45, ("video", "phone", "chat")),
)

demo_cli = AppGroup("demo", help="Demo staff and schedules for development.")


def load() -> list[StaffMember]:
    """Create or update the demo units, treaters and schedules (safe to repeat)."""
    units = {}
    for item in UNITS:
        unit = staff.get_unit(item.slug) or Unit(slug=item.slug)
        unit.kind, unit.municipality, unit.name, unit.email = (item.kind, item.municipality,
                                                               item.name, item.email)
        db.session.add(unit)
        units[item.slug] = unit
    members = {}
    for item in TREATERS:
        member = staff.member_by_email(item.email)
        if member is None:
            member = staff.create_member(item.email, item.name, PASSWORD, [TREATER],
                                         [units[item.unit]], demo=True)
        member.name, member.units, member.demo = item.name, [units[item.unit]], True
        members[item.email] = member
    db.session.flush()
    db.session.execute(delete(ScheduleRule).where(
        ScheduleRule.treater_id.in_([m.id for m in members.values()])))
    start = dt.date.today() - dt.timedelta(days=1)
    for hours in HOURS:
        offer = catalogue.get_offer(hours.offer)
        if offer is None:
            raise click.ClickException(f"load the content first: no offer {hours.offer}")
        for weekday in hours.weekdays:
            db.session.add(ScheduleRule(
                offer_id=offer.id, treater_id=members[hours.treater].id, weekday=weekday,
                opens=hours.opens, closes=hours.closes, session_minutes=hours.minutes,
                channels=list(hours.channels), valid_from=start, valid_until=None))
    db.session.commit()
    return list(members.values()) + _load_caseworkers()


def _unit(item: DemoUnit) -> Unit:
    unit = staff.get_unit(item.slug) or Unit(slug=item.slug)
    unit.kind, unit.municipality, unit.name, unit.email = (item.kind, item.municipality,
                                                           item.name, item.email)
    db.session.add(unit)
    return unit


def _member(email: str, name: str, units: list[Unit]) -> StaffMember:
    member = staff.member_by_email(email)
    if member is None:
        member = staff.create_member(email, name, PASSWORD, [CASEWORKER], units, demo=True)
    member.name, member.units, member.demo = name, units, True
    return member


def _load_caseworkers() -> list[StaffMember]:
    teams = {item.slug: _unit(item) for item in CASEWORKER_TEAMS}
    covered = {item.municipality for item in CASEWORKER_TEAMS}
    elsewhere = []
    for municipality in catalogue.list_municipalities():
        if municipality.slug in covered:
            continue
        elsewhere.append(_unit(DemoUnit(
            f"{municipality.slug}-indgang", TEAM, municipality.slug,
            f"Én indgang, {municipality.text('da').name} (demo)",
            f"indgang@{municipality.slug}.demo.invalid")))
    members = [_member(email, name, [teams[slug] for slug in slugs])
               for email, name, slugs in CASEWORKERS]
    members.append(_member(*CASEWORKER_ELSEWHERE, elsewhere))
    db.session.commit()
    return members


def remove() -> int:
    """Delete every demo account (their schedules go with them; bookings stay)."""
    demo = list(db.session.scalars(select(StaffMember).where(StaffMember.demo)))
    for member in demo:
        db.session.execute(delete(ScheduleRule).where(ScheduleRule.treater_id == member.id))
        member.active = False
        member.demo = False
        member.password_hash = None
        member.email = f"removed-demo-{member.id}@demo.invalid"
    db.session.commit()
    return len(demo)


@demo_cli.command("load")
def load_command() -> None:
    """Demo treaters (password in the README) with lunch and evening hours."""
    members = load()
    click.echo(f"Demo staff: {', '.join(m.email for m in members)} (password: {PASSWORD})")


@demo_cli.command("remove")
def remove_command() -> None:
    """Disable every demo account (needed before INDGANG_ENV=production starts)."""
    click.echo(f"Demo accounts disabled: {remove()}")


def refuse_demo_in_production(app: Flask) -> None:
    """In production, no demo account may exist: a known password is a door left open."""
    if app.config["INDGANG_ENV"] != "production":
        return
    with app.app_context():
        try:
            exists = staff.demo_members_exist()
        except SQLAlchemyError:  # no tables yet (before `flask db upgrade`): nothing to fear
            db.session.rollback()
            return
    if exists:
        raise RuntimeError("INDGANG_ENV=production, but demo staff accounts exist (with the "
                           "password from the README): run `flask demo remove` first.")
