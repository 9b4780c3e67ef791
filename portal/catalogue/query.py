"""A search in the catalogue: its parameters as they arrive, and the query they become.

`OfferSearchParams` is the one declaration of the search's parameters: the API
validates `GET /api/v1/offers` with it (and documents it in the OpenAPI document), and
the search page parses its query string with it, so both reject the same bad input with
the same message in the citizen's language. `OfferQuery` is what the service searches.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from flask_babel import gettext as _
from pydantic import Field, ValidationError, field_validator

from portal.catalogue.index import current_index
from portal.core.api.models import LangQuery, bad_parameters, invalid
from portal.core.slugs import MAX_SLUG_LENGTH, SLUG_PATTERN, could_be_slug

ACCESS_VALUES = ("open", "self", "referral")
AUDIENCES = ("citizens", "relatives")
MAX_QUERY_LENGTH = 200
MAX_PER_PAGE = 100
MAX_PAGE = 10_000
DEFAULT_PER_PAGE = 20
_ACCESS_PATTERN = "^({0})(,({0}))*$".format("|".join(ACCESS_VALUES))
_TRUE = ("1", "true", "yes", "on")
_FALSE = ("", "0", "false", "no")


@dataclass(frozen=True)
class OfferQuery:
    q: str = ""
    municipality: str | None = None
    situation: str | None = None
    access: frozenset[str] = frozenset()
    anonymous: bool = False
    virtual: bool = False
    audience: str | None = None
    lang: str = "da"
    page: int = 1
    per_page: int = DEFAULT_PER_PAGE

    @property
    def filtered(self) -> bool:
        return bool(self.municipality or self.situation or self.access or self.anonymous
                    or self.virtual or self.audience)


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


class OfferSearchParams(LangQuery):
    """The search's parameters (query string)."""

    q: str = Field("", max_length=MAX_QUERY_LENGTH,
                   description="The citizen's own words, in Danish or English.")
    municipality: str | None = Field(
        None, pattern=SLUG_PATTERN, max_length=MAX_SLUG_LENGTH,
        description="Municipality slug; includes its region's offers.")
    situation: str | None = Field(None, pattern=SLUG_PATTERN, max_length=MAX_SLUG_LENGTH,
                                  description="Life situation slug.")
    access: str | None = Field(
        None, pattern=_ACCESS_PATTERN,
        description="Comma-separated: " + ", ".join(ACCESS_VALUES) + ". open = no referral; "
                    "self = self-referral; referral = the authority decides.")
    anonymous: bool = Field(False, description="1: only offers that can be used anonymously.")
    virtual: bool = Field(False, description="1: only offers with online sessions.")
    audience: Literal["citizens", "relatives"] | None = Field(
        None, description="relatives: only offers that also serve relatives.")
    page: int = Field(1, ge=1, le=MAX_PAGE,
                      description="Page number; past the last page, items is empty.")
    per_page: int = Field(DEFAULT_PER_PAGE, ge=1, le=MAX_PER_PAGE, description="Items per page.")

    @field_validator("q", mode="before")
    @classmethod
    def _q(cls, value: Any) -> str:
        q = _text(value)
        if len(q) > MAX_QUERY_LENGTH:
            raise invalid(_("The search text is too long (at most %(n)d characters).",
                            n=MAX_QUERY_LENGTH))
        return q

    @field_validator("municipality", mode="before")
    @classmethod
    def _municipality(cls, value: Any) -> str | None:
        slug = _text(value) or None
        if slug and not (could_be_slug(slug) and slug in current_index().municipality_slugs):
            raise invalid(_("We do not know the municipality “%(value)s”.", value=slug))
        return slug

    @field_validator("situation", mode="before")
    @classmethod
    def _situation(cls, value: Any) -> str | None:
        slug = _text(value) or None
        if slug and not (could_be_slug(slug) and slug in current_index().situation_slugs):
            raise invalid(_("We do not know the life situation “%(value)s”.", value=slug))
        return slug

    @field_validator("access", mode="before")
    @classmethod
    def _access(cls, value: Any) -> str | None:
        wanted = [v.strip() for v in _text(value).split(",") if v.strip()]
        if any(v not in ACCESS_VALUES for v in wanted):
            raise invalid(_("“access” must be one or more of: open, self, referral."))
        return ",".join(sorted(set(wanted), key=ACCESS_VALUES.index)) or None

    @field_validator("anonymous", "virtual", mode="before")
    @classmethod
    def _flag(cls, value: Any, info) -> bool:
        if isinstance(value, bool):
            return value
        text = _text(value).lower()
        if text in _FALSE:
            return False
        if text in _TRUE:
            return True
        raise invalid(_("“%(name)s” must be 1 or 0.", name=info.field_name))

    @field_validator("audience", mode="before")
    @classmethod
    def _audience(cls, value: Any) -> str | None:
        audience = _text(value) or None
        if audience and audience not in AUDIENCES:
            raise invalid(_("“audience” must be citizens or relatives."))
        return audience

    @field_validator("page", "per_page", mode="before")
    @classmethod
    def _positive_int(cls, value: Any, info) -> int:
        default, maximum = {"page": (1, MAX_PAGE),
                            "per_page": (DEFAULT_PER_PAGE, MAX_PER_PAGE)}[info.field_name]
        raw = str(value) if isinstance(value, int) and not isinstance(value, bool) else _text(value)
        if not raw:
            return default
        # ASCII digits only: str.isdigit() also accepts "²" and "٣", and int() refuses
        # very long digit strings; both would otherwise fail as server errors or odd pages.
        number = int(raw) if raw.isascii() and raw.isdigit() and len(raw) <= 9 else 0
        if not 1 <= number <= maximum:
            raise invalid(_("“%(name)s” must be a whole number from 1 to %(max)d.",
                            name=info.field_name, max=maximum))
        return number

    def to_query(self) -> OfferQuery:
        return OfferQuery(
            q=self.q, municipality=self.municipality, situation=self.situation,
            access=frozenset(self.access.split(",")) if self.access else frozenset(),
            anonymous=self.anonymous, virtual=self.virtual, audience=self.audience,
            lang=self.lang, page=self.page, per_page=self.per_page,
        )


def parse_offer_query(args: Mapping[str, str], lang: str) -> OfferQuery:
    """A search page's parameters as an `OfferQuery`; raises `core.api.BadParameter`."""
    try:
        return OfferSearchParams.model_validate({**args, "lang": lang}).to_query()
    except ValidationError as error:
        raise bad_parameters(error) from None

