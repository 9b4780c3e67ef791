"""The offer catalogue: areas (regions, municipalities), life situations and offers.

Translatable text lives in a `*_texts` table per entity, one row per language (see
`TextsMixin`), so a third language needs no new columns; it does need its texts in
every content file and the UI's translations (`portal.core.i18n.LANGUAGES`).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    JSON,
    Column,
    Date,
    Float,
    ForeignKey,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.core.extensions import db
from portal.core.models import TextsMixin

offer_situations = Table(
    "offer_situations",
    db.metadata,
    Column("offer_id", ForeignKey("offers.id", ondelete="CASCADE"), primary_key=True),
    Column("situation_id", ForeignKey("situations.id", ondelete="CASCADE"), primary_key=True),
)


class Area(TextsMixin, db.Model):
    """A region or a municipality. Municipalities point to their region."""

    __tablename__ = "areas"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    kind: Mapped[str] = mapped_column(String(20))  # "region" | "municipality"
    region_id: Mapped[int | None] = mapped_column(ForeignKey("areas.id"))
    region: Mapped[Area | None] = relationship(remote_side=[id])
    # A municipality's approximate position (its town hall), for "the nearest offers
    # elsewhere" when nothing in the chosen municipality fits. None for regions.
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    texts: Mapped[list[AreaText]] = relationship(
        back_populates="area", cascade="all, delete-orphan", order_by="AreaText.lang"
    )


class AreaText(db.Model):
    __tablename__ = "area_texts"
    __table_args__ = (UniqueConstraint("area_id", "lang"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id", ondelete="CASCADE"))
    lang: Mapped[str] = mapped_column(String(5))
    name: Mapped[str] = mapped_column(String(200))
    area: Mapped[Area] = relationship(back_populates="texts")


class Situation(TextsMixin, db.Model):
    """A life situation: an entry point on the home page and a tag on offers."""

    __tablename__ = "situations"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    icon: Mapped[str] = mapped_column(String(80))
    position: Mapped[int] = mapped_column(default=0)
    # Broader situations this one is a part of: its offers also fit words naming them.
    part_of: Mapped[list[str]] = mapped_column(JSON, default=list)
    texts: Mapped[list[SituationText]] = relationship(
        back_populates="situation", cascade="all, delete-orphan", order_by="SituationText.lang"
    )


class SituationText(db.Model):
    __tablename__ = "situation_texts"
    __table_args__ = (UniqueConstraint("situation_id", "lang"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    situation_id: Mapped[int] = mapped_column(ForeignKey("situations.id", ondelete="CASCADE"))
    lang: Mapped[str] = mapped_column(String(5))
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(String(200))
    terms: Mapped[list[str]] = mapped_column(JSON, default=list)
    situation: Mapped[Situation] = relationship(back_populates="texts")


class Offer(TextsMixin, db.Model):
    """A service a citizen can use. `access` says whether it needs a referral decision."""

    __tablename__ = "offers"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id"))
    access: Mapped[str] = mapped_column(String(20))  # open | self | referral
    anonymous: Mapped[bool] = mapped_column(default=False)
    virtual: Mapped[bool] = mapped_column(default=False)
    channels: Mapped[list[str]] = mapped_column(JSON, default=list)
    for_citizens: Mapped[bool] = mapped_column(default=True)
    for_relatives: Mapped[bool] = mapped_column(default=False)
    min_age: Mapped[int | None]
    max_age: Mapped[int | None]
    sources: Mapped[list[dict]] = mapped_column(JSON, default=list)
    last_checked: Mapped[dt.date] = mapped_column(Date)
    # Treatment must start within this many days of a request (e.g. 14: Sundhedsloven
    # § 141 for alcohol treatment); None when no such promise applies.
    start_within_days: Mapped[int | None]
    # Anyone can use it, whichever municipality they live in (a national or anonymous
    # line), as its sources say: shown as "open to all" among the offers elsewhere.
    open_to_all: Mapped[bool] = mapped_column(default=False)
    # Gone from content/ while it still has bookings: kept, but not shown (see content).
    retired: Mapped[bool] = mapped_column(default=False)

    area: Mapped[Area] = relationship()
    situations: Mapped[list[Situation]] = relationship(
        secondary=offer_situations, order_by="Situation.position"
    )
    texts: Mapped[list[OfferText]] = relationship(
        back_populates="offer", cascade="all, delete-orphan", order_by="OfferText.lang"
    )

    @property
    def needs_referral(self) -> bool:
        return self.access == "referral"


class OfferText(db.Model):
    __tablename__ = "offer_texts"
    __table_args__ = (UniqueConstraint("offer_id", "lang"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    offer_id: Mapped[int] = mapped_column(ForeignKey("offers.id", ondelete="CASCADE"))
    lang: Mapped[str] = mapped_column(String(5))
    title: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text)
    for_whom: Mapped[str] = mapped_column(Text)
    how_to_use: Mapped[str] = mapped_column(Text)
    waiting_time: Mapped[str] = mapped_column(Text)
    what_happens: Mapped[str] = mapped_column(Text)
    provider: Mapped[str] = mapped_column(String(200))
    contact: Mapped[str] = mapped_column(Text)
    legal_basis: Mapped[str | None] = mapped_column(String(200))
    keywords: Mapped[list[str]] = mapped_column(JSON, default=list)
    offer: Mapped[Offer] = relationship(back_populates="texts")
