"""The shape of the files in `content/`.

Content is written by editors, so every rule here exists to turn a mistake into a
message that names the file, the field and what is wrong (see `loader.read_content`).
Rules across files (an offer's municipality must exist, ...) are each kind's `check`
in `places.py`, `situations.py`, `offers.py` and `pages.py`.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from portal.core.slugs import MAX_SLUG_LENGTH, SLUG_PATTERN

SEED_FILE_PATTERN = r"^\d{3}_[0-9a-f]{16}\.txt$"

Slug = Annotated[str, Field(pattern=SLUG_PATTERN, max_length=MAX_SLUG_LENGTH)]
Text = Annotated[str, Field(min_length=1)]
Line = Annotated[str, Field(min_length=1, max_length=200)]
Access = Literal["open", "self", "referral"]
Channel = Literal["chat", "video", "phone"]
Audience = Literal["citizens", "relatives"]


class Strict(BaseModel):
    """Unknown fields are errors: a misspelt field name must not vanish silently."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class Source(Strict):
    """Where the facts come from: a seed file and line ranges in it."""

    file: Annotated[str, Field(pattern=SEED_FILE_PATTERN)]
    lines: list[tuple[int, int]] = Field(min_length=1)

    @field_validator("lines")
    @classmethod
    def ranges_ascend(cls, ranges: list[tuple[int, int]]) -> list[tuple[int, int]]:
        for first, last in ranges:
            if first < 1 or last < first:
                raise ValueError(f"line range {first}-{last} is not a valid range")
        return ranges


class Name(Strict):
    name: Line


class RegionFile(Strict):
    slug: Slug
    da: Name
    en: Name


# Denmark's latitude and longitude (Bornholm and Skagen included): a position outside is
# a typo, such as latitude and longitude swapped.
Latitude = Annotated[float, Field(ge=54.5, le=57.8)]
Longitude = Annotated[float, Field(ge=8.0, le=15.2)]


class MunicipalityFile(Strict):
    slug: Slug
    region: Slug
    # Approximate position of the town hall (a public geographic fact), [latitude,
    # longitude]: orders "the nearest offers elsewhere" when nothing here fits.
    position: tuple[Latitude, Longitude] | None = None
    da: Name
    en: Name


class PlacesFile(Strict):
    """`content/municipalities.yml`."""

    regions: list[RegionFile] = Field(min_length=1)
    municipalities: list[MunicipalityFile] = Field(min_length=1)


class SituationText(Strict):
    name: Line
    description: Line
    # Everyday words and phrases people use for this situation (not the offer text).
    terms: list[Line] = Field(default_factory=list)


class SituationFile(Strict):
    slug: Slug
    icon: Annotated[str, Field(pattern=r"^[a-z0-9-]+$")]
    # Broader situations this one is a part of ("young-substances" of "alcohol" and
    # "drugs"): its offers also fit words that name those.
    part_of: list[Slug] = Field(default_factory=list)
    da: SituationText
    en: SituationText


class SituationsFile(Strict):
    """`content/situations.yml`."""

    situations: list[SituationFile] = Field(min_length=1)


class OfferText(Strict):
    """One language's text of an offer. Plain language; the citizen reads this on a phone."""

    title: Line
    summary: Annotated[str, Field(min_length=1, max_length=160)]
    description: Text
    for_whom: Text
    how_to_use: Text
    waiting_time: Text
    what_happens: Text
    provider: Line
    contact: Text
    legal_basis: Line | None = None
    keywords: list[Line] = Field(default_factory=list)

    @field_validator("summary")
    @classmethod
    def one_line(cls, value: str) -> str:
        if "\n" in value:
            raise ValueError("the summary must be one line")
        return value


class OfferFile(Strict):
    """`content/offers/<slug>.yml`: one offer in both languages."""

    slug: Slug
    municipality: Slug
    access: Access
    anonymous: bool
    virtual: bool
    channels: list[Channel] = Field(default_factory=list)
    audiences: list[Audience] = Field(min_length=1)
    situations: list[Slug] = Field(min_length=1)
    min_age: Annotated[int, Field(ge=0, le=120)] | None = None
    max_age: Annotated[int, Field(ge=0, le=120)] | None = None
    sources: list[Source] = Field(min_length=1)
    last_checked: dt.date
    # Treatment must start within this many days of a request (e.g. 14 for alcohol
    # treatment, Sundhedsloven § 141): booking offers a request when no time is free.
    start_within_days: Annotated[int, Field(ge=1, le=365)] | None = None
    # Anyone can use it from any municipality (a national or anonymous line). Only where
    # the offer's sources say so: list those lines in `sources`.
    open_to_all: bool = False
    da: OfferText
    en: OfferText

    @model_validator(mode="after")
    def consistent(self) -> OfferFile:
        if self.virtual and not self.channels:
            raise ValueError("a virtual offer must list its channels (chat, video, phone)")
        if not self.virtual and self.channels:
            raise ValueError("channels are only for virtual offers (set virtual: true)")
        if self.min_age is not None and self.max_age is not None and self.min_age > self.max_age:
            raise ValueError("min_age is greater than max_age")
        return self


class PageText(Strict):
    slug: Slug
    title: Line
    summary: Annotated[str, Field(min_length=1, max_length=200)]
    # Markdown (CommonMark, raw HTML is not rendered).
    body: Text


class PageFile(Strict):
    """`content/pages/<key>.yml`: a guidance page in both languages."""

    key: Slug
    sources: list[Source] = Field(default_factory=list)
    last_checked: dt.date
    da: PageText
    en: PageText



# --- the one-entrance intake: consent texts and routing ------------------------------

ConsentAgency = Literal["jobcentre", "uu", "psychiatry", "doctor", "addiction", "school"]


class ConsentLanguage(Strict):
    """One language of a consent text: everything the person sees before saying yes."""

    purpose: Text
    info_types: list[Line] = Field(min_length=1)   # which kinds of information
    parties: list[Line] = Field(min_length=1)      # from and to whom
    text: Text                                     # what they consent to, in full
    refusal: Text                                  # what saying no means (Rsl. § 12)


class ConsentTextFile(Strict):
    id: Slug
    version: Annotated[int, Field(ge=1)]
    agency: ConsentAgency | None = None
    transcript: bool = False
    da: ConsentLanguage
    en: ConsentLanguage

    @model_validator(mode="after")
    def about_one_thing(self) -> ConsentTextFile:
        if (self.agency is None) == (not self.transcript):
            raise ValueError("a consent text is about one agency (agency: ...) or the chat "
                             "transcript (transcript: true)")
        return self


class ConsentsFile(Strict):
    """`content/consents/default.yml` (every municipality) or `<municipality>.yml`."""

    texts: list[ConsentTextFile] = Field(min_length=1)


class RoutingTeams(Strict):
    fallback: Slug | None = None
    teams: dict[Slug, Slug] = Field(default_factory=dict)  # situation -> team key


class RoutingFile(Strict):
    """`content/routing.yml`: which team takes an intake, by life situation."""

    order: list[Slug] = Field(min_length=1)  # situations, the weightiest need first
    default: RoutingTeams
    municipalities: dict[Slug, RoutingTeams] = Field(default_factory=dict)

    @model_validator(mode="after")
    def default_has_a_fallback(self) -> RoutingFile:
        if not self.default.fallback:
            raise ValueError("default.fallback is required: the team when no rule applies")
        return self
