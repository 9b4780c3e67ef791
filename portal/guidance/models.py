"""Guidance pages ("Til pårørende", the accessibility statement, ...)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, Date, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.core.extensions import db
from portal.core.models import TextsMixin


class Page(TextsMixin, db.Model):
    __tablename__ = "pages"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(80), unique=True)
    sources: Mapped[list[dict]] = mapped_column(JSON, default=list)
    last_checked: Mapped[dt.date] = mapped_column(Date)
    texts: Mapped[list[PageText]] = relationship(
        back_populates="page", cascade="all, delete-orphan", order_by="PageText.lang"
    )


class PageText(db.Model):
    __tablename__ = "page_texts"
    __table_args__ = (UniqueConstraint("page_id", "lang"), UniqueConstraint("lang", "slug"))

    id: Mapped[int] = mapped_column(primary_key=True)
    page_id: Mapped[int] = mapped_column(ForeignKey("pages.id", ondelete="CASCADE"))
    lang: Mapped[str] = mapped_column(String(5))
    slug: Mapped[str] = mapped_column(String(80))
    title: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(String(250))
    body: Mapped[str] = mapped_column(Text)
    page: Mapped[Page] = relationship(back_populates="texts")
