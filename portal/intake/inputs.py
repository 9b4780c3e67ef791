"""An intake's fields: the one place that says what each may hold, and what to tell a
person who got one wrong (in their language).

The web form checks each step's fields with the `check_*` functions as the person goes;
the API's body (`IntakeInput`) runs the same functions in its validators, so the web,
the API and — over the API — the chat refuse the same input with the same words.
Texts are stored as written (escaped wherever they are shown); only control characters
that no keyboard types are refused, and every text has a length limit.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Literal

from flask_babel import gettext as _
from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator
from pydantic.json_schema import SkipJsonSchema

from portal.catalogue import service as catalogue
from portal.core import contact
from portal.core.api.models import absent, invalid, no_default
from portal.core.i18n import DEFAULT, LANGUAGES, Language
from portal.core.text import typable
from portal.intake.models import AGENCIES, ASKERS, AUTHORITIES, CONTACT_METHODS, NEEDS, URGENCIES
from portal.intake.service import IntakeData

MAX_STORY = 4000
MAX_GOALS = 2000
MAX_OTHER = 300
MAX_TIMES = 300
MAX_ADDRESS = 300
MAX_LANGUAGE = 60
MAX_EMAIL = 254
MAX_ITEMS = 30
MAX_CONSENTS = 30



class Invalid(ValueError):
    """One field's value is not right; `message` says so in the person's language."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


# --- single values ------------------------------------------------------------------


def _text(value: Any, limit: int, lines: bool = False) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise Invalid(_("Write it as text."))
    text = value.replace("\r\n", "\n").strip()
    if not typable(text, lines):
        raise Invalid(_("The text may only hold letters, digits, spaces and punctuation."))
    if len(text) > limit:
        raise Invalid(_("The text is too long (at most %(n)d characters).", n=limit))
    return text


def _choices(values: Any, allowed: Iterable[str]) -> list[str]:
    """A list of known choices, each once, in the order given."""
    if values is None:
        return []
    if isinstance(values, str) or not isinstance(values, list | tuple):
        raise Invalid(_("Choose from the list."))
    allowed = set(allowed)
    if len(values) > MAX_ITEMS or any(not isinstance(v, str) or v not in allowed
                                      for v in values):
        raise Invalid(_("Choose from the list."))
    return list(dict.fromkeys(values))


def check_lang(value: Any) -> str:
    if value in (None, ""):
        return DEFAULT
    if value not in LANGUAGES:
        raise Invalid(_("“lang” must be one of: %(values)s.", values=", ".join(LANGUAGES)))
    return value


def check_asker(value: Any) -> str:
    if value not in ASKERS:
        raise Invalid(_("Choose who is asking for help."))
    return value


def check_authority(value: Any, asker: str | None) -> str:
    """Only someone asking for another person has (or has not) authority to consent."""
    if asker == "self":
        return "none"
    if value in (None, "") and asker is None:
        return "none"
    if value not in AUTHORITIES:
        raise Invalid(_("Choose whether you have power of attorney or are the guardian."))
    return value


def check_municipality(value: Any) -> str:
    if not isinstance(value, str) or not value:
        raise Invalid(_("Choose the municipality the person lives in."))
    if catalogue.get_municipality(value) is None:
        raise Invalid(_("Choose a municipality from the list."))
    return value


def check_situations(values: Any) -> list[str]:
    return _choices(values, (s.slug for s in catalogue.list_situations()))


def check_story(value: Any, situations: list[str] | None) -> str:
    story = _text(value, MAX_STORY, lines=True)
    if not story and situations is not None and not situations:
        raise Invalid(_("Choose at least one situation, or write in your own words what it "
                        "is about."))
    return story


def check_goals(value: Any) -> str:
    return _text(value, MAX_GOALS, lines=True)


def check_agencies(values: Any) -> list[str]:
    return _choices(values, AGENCIES)


def check_agencies_other(value: Any, agencies: list[str] | None,
                         required: bool = False) -> str:
    """Which other agency: required on the web form when "other" is ticked."""
    other = _text(value, MAX_OTHER)
    if required and not other and agencies and "other" in agencies:
        raise Invalid(_("Write which other place helps you, or untick “Other”."))
    return other


def check_method(value: Any) -> str:
    if value not in CONTACT_METHODS:
        raise Invalid(_("Choose how we should contact you."))
    return value


def check_phone(value: Any, method: str | None) -> str:
    """A Danish number (8 digits) or +country code; kept as +<digits>."""
    raw = _text(value, 40)
    if not raw:
        if method == "phone":
            raise Invalid(_("Write the phone number we should call."))
        return ""
    number = contact.phone_number(raw)
    if number:
        return number
    raise Invalid(_("Write a Danish phone number with 8 digits, or an international number "
                    "that starts with + and the country code."))


def check_email(value: Any, method: str | None) -> str:
    email = _text(value, MAX_EMAIL)
    if not email:
        if method == "email":
            raise Invalid(_("Write the e-mail address we should write to."))
        return ""
    if not contact.is_email(email):
        raise Invalid(_("Write the e-mail address like this: name@example.dk."))
    return email


def check_address(value: Any, method: str | None) -> str:
    address = _text(value, MAX_ADDRESS, lines=True)
    if not address and method == "letter":
        raise Invalid(_("Write the postal address we should send the letter to."))
    return address


def check_times(value: Any) -> str:
    return _text(value, MAX_TIMES)


def check_needs(values: Any) -> list[str]:
    return _choices(values, NEEDS)


def check_interpreter_language(value: Any, needs: list[str] | None) -> str:
    language = _text(value, MAX_LANGUAGE)
    if not language and needs and "interpreter" in needs:
        raise Invalid(_("Write which language the interpreter should speak."))
    return language


def check_urgency(value: Any) -> str:
    if value not in URGENCIES:
        raise Invalid(_("Choose how soon you need help."))
    return value


def check_consents(values: Any) -> list[int]:
    if values is None:
        return []
    if (not isinstance(values, list) or len(values) > MAX_CONSENTS
            or any(isinstance(v, bool) or not isinstance(v, int) for v in values)):
        raise Invalid(_("Consents are given as a list of the consent texts' ids."))
    return list(dict.fromkeys(values))


def service_error(code: str) -> str:
    """The service's reasons (IntakeError), for people."""
    return {
        "relative_cannot_consent": _(
            "A relative or a professional cannot consent for an adult without power of "
            "attorney or guardianship. The person must consent themselves."),
        "unknown_consent": _(
            "The consent texts have changed. Please read them again and answer each."),
        "transcript_without_consent": _(
            "The conversation can only be sent with consent to send it."),
        "closed": _("This request is closed, so nothing more can be added."),
    }.get(code, _("This is not valid."))


# --- the API's body ------------------------------------------------------------------


def _wrap(check, *args: Any) -> Any:
    try:
        return check(*args)
    except Invalid as error:
        raise invalid(error.message) from None


class ContactInput(BaseModel):
    """How and when to be contacted: the detail the chosen method needs is required."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    method: Literal[CONTACT_METHODS]  # type: ignore[valid-type]
    phone: str | SkipJsonSchema[None] = Field(
        None, validate_default=True, max_length=40, json_schema_extra=no_default,
        description="Required for `phone`: 8 digits, or + and the country code.")
    email: str | SkipJsonSchema[None] = Field(None, validate_default=True,
                                              max_length=MAX_EMAIL,
                                              json_schema_extra=no_default,
                                              description="Required for `email`.")
    address: str | SkipJsonSchema[None] = Field(None, validate_default=True,
                                                max_length=MAX_ADDRESS,
                                                json_schema_extra=no_default,
                                                description="Required for `letter`.")
    times: str | SkipJsonSchema[None] = Field(None, max_length=MAX_TIMES,
                                              json_schema_extra=no_default,
                                              description="When it suits (free text).")
    interpreter_language: str | SkipJsonSchema[None] = absent(
        "With the `interpreter` need: the language the interpreter should speak.")

    @field_validator("method", mode="before")
    @classmethod
    def _method(cls, value: Any) -> str:
        return _wrap(check_method, value)

    @field_validator("phone", mode="before")
    @classmethod
    def _phone(cls, value: Any, info: ValidationInfo) -> str:
        return _wrap(check_phone, value, info.data.get("method"))

    @field_validator("email", mode="before")
    @classmethod
    def _email(cls, value: Any, info: ValidationInfo) -> str:
        return _wrap(check_email, value, info.data.get("method"))

    @field_validator("address", mode="before")
    @classmethod
    def _address(cls, value: Any, info: ValidationInfo) -> str:
        return _wrap(check_address, value, info.data.get("method"))

    @field_validator("times", mode="before")
    @classmethod
    def _times(cls, value: Any) -> str:
        return _wrap(check_times, value)

    @field_validator("interpreter_language", mode="before")
    @classmethod
    def _language(cls, value: Any) -> str:
        return _wrap(check_interpreter_language, value, None)


class IntakeInput(BaseModel):
    """The body of `POST /api/v1/intakes`: a whole intake at once."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    lang: Language = Field(DEFAULT, description="The language of the messages, the "
                                                "consent texts and the e-mails.")
    municipality: str = Field(max_length=80, description="A municipality's slug "
                                                         "(`GET /municipalities`).")
    asker: Literal[ASKERS] = Field(  # type: ignore[valid-type]
        description="Who is asking: the citizen, a relative or a professional.")
    authority: Literal[AUTHORITIES] = Field(  # type: ignore[valid-type]
        "none", validate_default=True,
        description="A relative's or professional's authority to consent for the citizen. "
                    "Without one the intake waits for the citizen's own consent.")
    situations: list[str] = Field(default_factory=list, max_length=MAX_ITEMS,
                                  description="Life situation slugs (`GET /situations`).")
    story: str = Field("", validate_default=True, max_length=MAX_STORY,
                       description="In their own words (required without situations).")
    goals: str = Field("", max_length=MAX_GOALS,
                       description="What they would like to be different.")
    agencies: list[Literal[AGENCIES]] = Field(  # type: ignore[valid-type]
        default_factory=list, max_length=MAX_ITEMS, description="Agencies already involved.")
    agencies_other: str = Field("", max_length=MAX_OTHER,
                                description="With `other`: which.")
    contact: ContactInput
    needs: list[Literal[NEEDS]] = Field(  # type: ignore[valid-type]
        default_factory=list, max_length=MAX_ITEMS, description="Accessibility needs.")
    urgency: Literal[URGENCIES]  # type: ignore[valid-type]
    consents: list[int] = Field(default_factory=list, max_length=MAX_CONSENTS,
                                description="The ids of the consent texts the person said "
                                            "yes to (`GET /consent-texts`); none for a "
                                            "relative without authority.")

    @field_validator("lang", mode="before")
    @classmethod
    def _lang(cls, value: Any) -> str:
        return _wrap(check_lang, value)

    @field_validator("municipality", mode="before")
    @classmethod
    def _municipality(cls, value: Any) -> str:
        return _wrap(check_municipality, value)

    @field_validator("asker", mode="before")
    @classmethod
    def _asker(cls, value: Any) -> str:
        return _wrap(check_asker, value)

    @field_validator("authority", mode="before")
    @classmethod
    def _authority(cls, value: Any, info: ValidationInfo) -> str:
        asker = info.data.get("asker")
        if asker is None:  # the asker was wrong: that is the error to report
            return "none"
        if value is None:
            value = "none"
        return _wrap(check_authority, value, asker)

    @field_validator("situations", mode="before")
    @classmethod
    def _situations(cls, value: Any) -> list[str]:
        return _wrap(check_situations, value)

    @field_validator("story", mode="before")
    @classmethod
    def _story(cls, value: Any, info: ValidationInfo) -> str:
        return _wrap(check_story, value, info.data.get("situations", ["?"]))

    @field_validator("goals", mode="before")
    @classmethod
    def _goals(cls, value: Any) -> str:
        return _wrap(check_goals, value)

    @field_validator("agencies", mode="before")
    @classmethod
    def _agencies(cls, value: Any) -> list[str]:
        return _wrap(check_agencies, value)

    @field_validator("agencies_other", mode="before")
    @classmethod
    def _other(cls, value: Any) -> str:
        return _wrap(check_agencies_other, value, None)

    @field_validator("needs", mode="before")
    @classmethod
    def _needs(cls, value: Any) -> list[str]:
        return _wrap(check_needs, value)

    @field_validator("urgency", mode="before")
    @classmethod
    def _urgency(cls, value: Any) -> str:
        return _wrap(check_urgency, value)

    @field_validator("consents", mode="before")
    @classmethod
    def _consents(cls, value: Any) -> list[int]:
        return _wrap(check_consents, value)

    def to_data(self) -> IntakeData:
        contact = {k: v for k, v in self.contact.model_dump().items() if v}
        return IntakeData(
            lang=self.lang, municipality=self.municipality, asker=self.asker,
            authority=self.authority, situations=list(self.situations), story=self.story,
            goals=self.goals, agencies=list(self.agencies),
            agencies_other=self.agencies_other if "other" in self.agencies else "",
            contact=contact, needs=list(self.needs), urgency=self.urgency,
            consents=list(self.consents))
