"""Staff: treaters and caseworkers, and the units they work in.

A unit is a treatment centre or a team in a municipality; a staff member belongs to one
or more units and has one or more roles. What a member may see and do follows from
both (see `service.py`).
"""

from __future__ import annotations

import datetime as dt

from flask_login import UserMixin
from sqlalchemy import JSON, Column, ForeignKey, String, Table
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.core.extensions import db
from portal.core.models import UtcDateTime, utcnow

TREATER = "treater"
CASEWORKER = "caseworker"
ROLES = (TREATER, CASEWORKER)
TREATMENT_CENTRE = "treatment-centre"
TEAM = "team"
UNIT_KINDS = (TREATMENT_CENTRE, TEAM)

staff_units = Table(
    "staff_units",
    db.metadata,
    Column("staff_id", ForeignKey("staff.id", ondelete="CASCADE"), primary_key=True),
    Column("unit_id", ForeignKey("units.id", ondelete="CASCADE"), primary_key=True),
)


class Unit(db.Model):
    """A treatment centre or a team, in a municipality (an area of the catalogue)."""

    __tablename__ = "units"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    kind: Mapped[str] = mapped_column(String(30))
    municipality: Mapped[str] = mapped_column(String(80))  # an area slug
    name: Mapped[str] = mapped_column(String(200))
    # Where alerts go (a request when no time is free, a new intake); None: nowhere.
    email: Mapped[str | None] = mapped_column(String(254))
    members: Mapped[list[StaffMember]] = relationship(
        secondary=staff_units, back_populates="units", order_by="StaffMember.name")


class StaffMember(UserMixin, db.Model):
    __tablename__ = "staff"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)  # lower-case
    name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str | None] = mapped_column(String(200))  # None: OIDC only
    roles: Mapped[list[str]] = mapped_column(JSON, default=list)
    active: Mapped[bool] = mapped_column(default=True)
    # Created by `flask demo load` for development; production refuses to start with any.
    demo: Mapped[bool] = mapped_column(default=False)
    oidc_subject: Mapped[str | None] = mapped_column(String(255), unique=True)
    failed_logins: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[dt.datetime | None] = mapped_column(UtcDateTime())
    # Part of the login cookie: raising it signs the member out everywhere.
    session_version: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime(), default=utcnow)
    last_login_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime())
    units: Mapped[list[Unit]] = relationship(
        secondary=staff_units, back_populates="members", order_by="Unit.name")

    def get_id(self) -> str:
        """Flask-Login's id: member and session version, so old cookies stop working."""
        return f"{self.id}:{self.session_version}"

    @property
    def is_active(self) -> bool:
        return self.active

    def has_role(self, role: str) -> bool:
        return role in (self.roles or [])
