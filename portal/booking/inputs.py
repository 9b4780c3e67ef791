"""What a citizen sends to book a time or to ask for one: the one declaration of it.

`BookingInput` is the body of `POST /api/v1/bookings` (validated and documented by the
API's declaration) and the booking form's fields on the web, so both refuse the same
input with the same words, in the user's language (`invalid`). `RequestInput` is the
form for asking for a time when none is free soon enough. Nothing here identifies a
person: an alias (any name they like, or none), and an e-mail address or a phone
number only for reminders.

Fields are validated in the order they are declared: a later field's check may read an
earlier one's value (`info.data`), e.g. the phone number is required for phone sessions.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal, TypeVar

from flask_babel import gettext as _
from pydantic import BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, field_validator

from portal.booking.models import CHANNELS
from portal.booking.slots import parse_slot_id
from portal.core import contact
from portal.core.api.models import BadParameter, bad_parameters, invalid
from portal.core.i18n import DEFAULT, LANGUAGES, Language
from portal.core.text import typable

MAX_ALIAS = 60
MAX_EMAIL = 254
MAX_WISHES = 500
MAX_SLOT_ID = 30


def _text(value: Any, name: str) -> str:
    """A text field's value, stripped; anything but a text (a number, a list) is refused."""
    if value is None:
        return ""
    if not isinstance(value, str):
        raise invalid(_("“%(name)s” must be a text.", name=name))
    return value.strip()


def _alias(value: Any) -> str | None:
    alias = _text(value, "alias")
    if not typable(alias):
        raise invalid(_("The name may only hold letters, digits, spaces and punctuation."))
    if len(alias) > MAX_ALIAS:
        raise invalid(_("The name is too long (at most %(n)d characters).", n=MAX_ALIAS))
    return alias or None


def _email(value: Any) -> str | None:
    email = _text(value, "email")
    if not email:
        return None
    if len(email) > MAX_EMAIL or not typable(email) or not contact.is_email(email):
        raise invalid(_("Write the e-mail address like this: name@example.dk."))
    return email


def _phone(value: Any) -> str | None:
    """A Danish number (8 digits) or an international one (+ or 00 and the country code),
    kept as +<digits> so a sender can use it as it is."""
    raw = _text(value, "phone")
    if not raw:
        return None
    number = contact.phone_number(raw)
    if number:
        return number
    raise invalid(_("Write a Danish phone number with 8 digits, or an international number "
                    "that starts with + and the country code."))


def _lang(value: Any) -> str:
    if value in (None, ""):
        return DEFAULT
    if value not in LANGUAGES:
        raise invalid(_("“lang” must be one of: %(values)s.", values=", ".join(LANGUAGES)))
    return value


class BookingInput(BaseModel):
    """A booking: which time, how to meet, and — all optional — what to call the citizen
    and where to remind them. No name, no CPR number."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    slot_id: str = Field(max_length=MAX_SLOT_ID,
                         description="A free time's id, from the offer's slots.")
    channel: Literal["chat", "video", "phone"] = Field(description="How the session is held.")
    alias: str | None = Field(None, max_length=MAX_ALIAS,
                              description="What the treater may call the citizen (any name "
                                          "or none; never their real name if they wish).")
    email: str | None = Field(None, max_length=MAX_EMAIL,
                              description="For the confirmation and a reminder (optional).")
    phone: str | None = Field(None, validate_default=True, max_length=30,
                              description="For a reminder by SMS (optional); required for "
                                          "phone sessions. Danish (8 digits) or +country code.")
    lang: Language = Field(DEFAULT, description="The language of the reminders and links.")

    @field_validator("slot_id", mode="before")
    @classmethod
    def _slot_id(cls, value: Any) -> str:
        slot_id = _text(value, "slot_id")
        if not slot_id:
            raise invalid(_("Choose a time."))
        if len(slot_id) > MAX_SLOT_ID or parse_slot_id(slot_id) is None:
            raise invalid(_("That time cannot be booked. Choose one of the free times."))
        return slot_id

    @field_validator("channel", mode="before")
    @classmethod
    def _channel(cls, value: Any) -> str:
        channel = _text(value, "channel")
        if channel not in CHANNELS:
            raise invalid(_("Choose chat, video or phone."))
        return channel

    @field_validator("alias", mode="before")
    @classmethod
    def _alias(cls, value: Any) -> str | None:
        return _alias(value)

    @field_validator("email", mode="before")
    @classmethod
    def _email(cls, value: Any) -> str | None:
        return _email(value)

    @field_validator("phone", mode="before")
    @classmethod
    def _phone(cls, value: Any, info: ValidationInfo) -> str | None:
        phone = _phone(value)
        if phone is None and info.data.get("channel") == "phone":
            raise invalid(_("Write the phone number the treater should call."))
        return phone

    @field_validator("lang", mode="before")
    @classmethod
    def _lang(cls, value: Any) -> str:
        return _lang(value)


class RequestInput(BaseModel):
    """Asking the treatment centre for a time (none is free soon enough): it must be able
    to answer, so an e-mail address or a phone number is needed here."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    alias: str | None = None
    phone: str | None = None
    email: str | None = Field(None, validate_default=True)
    wishes: str = ""
    lang: Language = DEFAULT

    @field_validator("alias", mode="before")
    @classmethod
    def _alias(cls, value: Any) -> str | None:
        return _alias(value)

    @field_validator("phone", mode="before")
    @classmethod
    def _phone(cls, value: Any) -> str | None:
        return _phone(value)

    @field_validator("email", mode="before")
    @classmethod
    def _email(cls, value: Any, info: ValidationInfo) -> str | None:
        email = _email(value)
        if email is None and "phone" in info.data and info.data["phone"] is None:
            raise invalid(_("Write an e-mail address or a phone number, so that the treatment "
                            "centre can offer you a time."))
        return email

    @field_validator("wishes", mode="before")
    @classmethod
    def _wishes(cls, value: Any) -> str:
        wishes = _text(value, "wishes").replace("\r\n", "\n")
        if not typable(wishes, lines=True):
            raise invalid(_("The text may only hold letters, digits, spaces and punctuation."))
        if len(wishes) > MAX_WISHES:
            raise invalid(_("The text is too long (at most %(n)d characters).", n=MAX_WISHES))
        return wishes

    @field_validator("lang", mode="before")
    @classmethod
    def _lang(cls, value: Any) -> str:
        return _lang(value)


Model = TypeVar("Model", bound=BaseModel)


def parse_form(model: type[Model], form: Mapping[str, Any]) -> Model:
    """A web form's fields as `model`; raises `BadParameter` with a message per field."""
    values = form.to_dict() if hasattr(form, "to_dict") else dict(form)  # first values
    try:
        return model.model_validate(values)
    except ValidationError as error:
        raise bad_parameters(error) from None


__all__ = ["BadParameter", "BookingInput", "RequestInput", "parse_form"]
