"""Staff accounts: passwords, signing in with a lockout, and who a member is.

Passwords are argon2 hashes. After `STAFF_LOCKOUT_ATTEMPTS` wrong passwords in a row an
account is locked for `STAFF_LOCKOUT_MINUTES`; while it is locked even the right
password is refused, and the answer never says whether an account exists.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app, render_template, url_for
from sqlalchemy import select

from portal.core.extensions import db
from portal.core.models import utcnow
from portal.staff.models import CASEWORKER as CASEWORKER  # for staff_required(CASEWORKER)
from portal.staff.models import ROLES, TEAM, TREATER, StaffMember, Unit

_hasher = PasswordHasher()
# Verified when no account has the e-mail, so that a wrong e-mail takes as long as a
# wrong password (the answer must not tell which accounts exist).
_DUMMY_HASH = _hasher.hash("not a password of anyone")
MIN_PASSWORD_LENGTH = 12


@dataclass(frozen=True)
class SignIn:
    member: StaffMember | None
    locked: bool = False  # the account exists and is locked (not told to the visitor)


def hash_password(password: str) -> str:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValueError(f"a password has at least {MIN_PASSWORD_LENGTH} characters")
    return _hasher.hash(password)


def _verify(password_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and bool(password_hash)
    except (VerificationError, InvalidHashError):
        return False


def sign_in(email: str, password: str, now: dt.datetime | None = None) -> SignIn:
    """The member whose e-mail and password these are, counting failures to a lockout."""
    now = now or utcnow()
    member = member_by_email(email)
    ok = _verify(member.password_hash if member else None, password)
    if member is None:
        return SignIn(None)
    if member.locked_until is not None and member.locked_until > now:
        return SignIn(None, locked=True)
    if not ok or not member.active:
        member.failed_logins += 1
        if member.failed_logins >= current_app.config["STAFF_LOCKOUT_ATTEMPTS"]:
            minutes = current_app.config["STAFF_LOCKOUT_MINUTES"]
            member.locked_until = now + dt.timedelta(minutes=minutes)
            member.failed_logins = 0
        db.session.commit()
        return SignIn(None, locked=member.locked_until is not None and member.locked_until > now)
    member.failed_logins = 0
    member.locked_until = None
    member.last_login_at = now
    if _hasher.check_needs_rehash(member.password_hash):
        member.password_hash = _hasher.hash(password)
    db.session.commit()
    return SignIn(member)


def sign_out_everywhere(member: StaffMember) -> None:
    """Every login cookie of the member stops working (they carry the session version)."""
    member.session_version += 1
    db.session.commit()


def member_by_email(email: str) -> StaffMember | None:
    email = (email or "").strip().lower()
    if not email or len(email) > 254:
        return None
    return db.session.scalar(select(StaffMember).where(StaffMember.email == email))


def member_by_login_id(login_id: str) -> StaffMember | None:
    """Flask-Login's user loader: "<id>:<session version>" of an active member."""
    member_id, _sep, version = (login_id or "").partition(":")
    if not (member_id.isdigit() and version.isdigit()):
        return None
    member = db.session.get(StaffMember, int(member_id))
    if member is None or not member.active or member.session_version != int(version):
        return None
    return member


def get_member(member_id: int) -> StaffMember | None:
    return db.session.get(StaffMember, member_id)


def member_by_oidc_subject(subject: str) -> StaffMember | None:
    """The member an identity provider's subject belongs to (set up beforehand: an
    identity provider never creates staff accounts here)."""
    if not subject:
        return None
    return db.session.scalar(select(StaffMember).where(StaffMember.oidc_subject == subject))


def create_member(email: str, name: str, password: str | None, roles: list[str],
                  units: list[Unit], demo: bool = False) -> StaffMember:
    unknown = set(roles) - set(ROLES)
    if unknown:
        raise ValueError(f"unknown roles: {sorted(unknown)}")
    member = StaffMember(email=email.strip().lower(), name=name, roles=list(roles),
                         password_hash=hash_password(password) if password else None,
                         units=list(units), demo=demo)
    db.session.add(member)
    return member


def demo_members_exist() -> bool:
    return db.session.scalar(select(StaffMember.id).where(StaffMember.demo).limit(1)) is not None


def treaters_of_unit(unit: Unit) -> list[StaffMember]:
    return [m for m in unit.members if m.has_role(TREATER) and m.active]


def get_unit(slug: str) -> Unit | None:
    return db.session.scalar(select(Unit).where(Unit.slug == slug))


def teams(municipality: str | None = None) -> list[Unit]:
    """The caseworkers' teams (of a municipality, or all), by name."""
    query = select(Unit).where(Unit.kind == TEAM).order_by(Unit.name)
    if municipality is not None:
        query = query.where(Unit.municipality == municipality)
    return list(db.session.scalars(query))


def units_of_members(member_ids: set[int]) -> list[Unit]:
    """The units these members belong to, each once, by name."""
    if not member_ids:
        return []
    return list(db.session.scalars(
        select(Unit).join(Unit.members).where(StaffMember.id.in_(member_ids))
        .distinct().order_by(Unit.name)))


# --- Who may open a staff page (used by every area's staff pages) ----------------------


def current_member() -> StaffMember | None:
    """The signed-in member of this request (Flask-Login checked the session version)."""
    from flask_login import current_user

    return current_user if getattr(current_user, "is_authenticated", False) else None


def staff_required(role: str | None = None) -> Callable:
    """A staff page: a visitor who is not signed in is sent to the sign-in page; a
    signed-in member without `role` (a caseworker on a treater's page) gets 403."""

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any):
            from flask_login import current_user

            if not getattr(current_user, "is_authenticated", False):
                return current_app.login_manager.unauthorized()
            if role is not None and not current_user.has_role(role):
                return render_template("staff/forbidden.html", role=role), 403
            return view(*args, **kwargs)

        return wrapper

    return decorator


def unit_ids(member: StaffMember) -> set[int]:
    return {unit.id for unit in member.units}


def colleague_ids(member: StaffMember) -> set[int]:
    """The members of the member's units (the member included)."""
    return {m.id for unit in member.units for m in unit.members} | {member.id}


# --- The staff pages each area offers (the staff menu and where a sign-in lands) -------


@dataclass(frozen=True)
class StaffPage:
    endpoint: str  # registered in both languages (takes `lang`)
    label: Any  # a lazy gettext string
    role: str


def register_page(app: Any, endpoint: str, label: Any, role: str) -> None:
    """An area offers a staff page to members with `role` (called from its init_app)."""
    app.extensions.setdefault("staff_pages", []).append(StaffPage(endpoint, label, role))


def pages_for(member: StaffMember | None) -> list[StaffPage]:
    if member is None:
        return []
    return [p for p in current_app.extensions.get("staff_pages", []) if member.has_role(p.role)]


def start_page(member: StaffMember, lang: str) -> str:
    """Where a member lands after signing in: their first page (a treater's day)."""
    pages = pages_for(member)
    return url_for(pages[0].endpoint if pages else "staff.home", lang=lang)


_SAFE_PATH = re.compile(r"/(?![/\\])[^\s\\]*")


def local_path(url: str | None) -> str | None:
    """`url` if it is a path of this site ("/personale/dag?date=..."), else None: a
    `next` field must never send anyone to another site ("//evil.example", "/\\evil",
    or with a tab or newline that browsers drop)."""
    if not url or len(url) > 2000 or not _SAFE_PATH.fullmatch(url):
        return None
    return url
