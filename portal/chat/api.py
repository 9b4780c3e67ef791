"""`POST /api/v1/handoffs`: "talk to a person" from the chat (the assistant's action
server calls it with its token; see contracts in README, "Talk to a person").

The body names the chat conversation (Rasa's sender id = the portal's conversation id),
the municipality, the life situations and a summary the action server built; the
transcript only with the id of the `share-chat-transcript` consent text the citizen
accepted. The answer says whether a caseworker takes the chat now (`live`) and what the
assistant should tell the citizen (`message`, in `lang`). Thin: the rules are in
handoff.py.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from flask import Blueprint, g, jsonify, request, url_for
from flask_babel import gettext as _
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from pydantic.json_schema import SkipJsonSchema
from spectree import Response as Responses
from werkzeug.routing import BuildError

from portal.catalogue import service as catalogue
from portal.chat import handoff
from portal.core import contact
from portal.core.api import PREFIX
from portal.core.api.models import ApiError, BadParameter, invalid
from portal.core.api.spec import declare
from portal.core.extensions import csrf
from portal.core.i18n import DEFAULT, Language
from portal.core.text import typable

bp = Blueprint("chat_api", __name__, url_prefix=PREFIX)

MAX_SUMMARY = 4000
MAX_TRANSCRIPT = 100_000
MAX_SITUATIONS = 20


def _optional(description: str, max_length: int) -> Any:
    """An optional string field: absent or a string (the document shows no null)."""
    return Field(None, max_length=max_length, description=description,
                 json_schema_extra=lambda schema: schema.pop("default", None))


def _typed(value: str | None, lines: bool) -> str | None:
    """Text as people type it (a stray NUL or lone surrogate is refused, not stored)."""
    if value is not None and not typable(value, lines):
        raise invalid(_("The text may only hold letters, digits, spaces and punctuation."))
    return value


class HandoffContact(BaseModel):
    """How the citizen would like to be contacted if nobody can take the chat now."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    method: Literal["phone", "email", "letter"]
    phone: str | SkipJsonSchema[None] = _optional("Required for `phone`.", 40)
    email: str | SkipJsonSchema[None] = _optional("Required for `email`.", 254)
    address: str | SkipJsonSchema[None] = _optional("Required for `letter`.", 500)
    times: str | SkipJsonSchema[None] = _optional("When it suits (free text).", 300)

    @field_validator("phone", "email", "address", "times")
    @classmethod
    def _typed(cls, value: str | None) -> str | None:
        return _typed(value, lines=False)

    @model_validator(mode="after")
    def _detail(self) -> HandoffContact:
        if self.method == "phone" and not contact.phone_number((self.phone or "").strip()):
            raise invalid(_("Write the phone number to call: 8 digits, or + and the "
                            "country code."))
        if self.method == "email" and not contact.is_email((self.email or "").strip()):
            raise invalid(_("Write the e-mail address to write to, e.g. navn@eksempel.dk."))
        if self.method == "letter" and not (self.address or "").strip():
            raise invalid(_("Write the address to send the letter to."))
        return self

    def as_contact(self) -> dict[str, str]:
        phone = contact.phone_number(self.phone.strip()) if self.phone else None
        found = {"method": self.method, "phone": phone, "email": self.email,
                 "address": self.address, "times": self.times}
        return {k: v.strip() for k, v in found.items() if isinstance(v, str) and v.strip()}


class HandoffInput(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    conversation_id: str = Field(
        min_length=1, max_length=100, pattern=r"^[A-Za-z0-9_.:\-]+$",
        description="Rasa's sender id: the portal's id of the chat conversation.")
    lang: Language = Field(DEFAULT, description="The citizen's language (the answer's "
                                                "message and the intake's).")
    municipality: str = Field(max_length=80, description="A municipality's slug "
                                                         "(`GET /municipalities`).")
    situations: list[str] = Field(default_factory=list, max_length=MAX_SITUATIONS,
                                  description="Life situation slugs (`GET /situations`).")
    summary: str = Field(max_length=MAX_SUMMARY, description="Built by the action server "
                         "from the conversation: situations, offers shown, what was asked.")
    transcript: str | None = Field(None, max_length=MAX_TRANSCRIPT,
                                   description="Only with `transcript_consent_id`.")
    transcript_consent_id: int | None = Field(
        None, ge=1, le=2_147_483_647,
        description="The id of the `share-chat-transcript` consent text the citizen "
                    "accepted (`GET /consent-texts`).")
    contact: HandoffContact | None = Field(None, description="How to be contacted if "
                                                             "nobody can take the chat now.")

    @field_validator("summary", "transcript")
    @classmethod
    def _lines(cls, value: str | None) -> str | None:
        return _typed(value, lines=True)

    @field_validator("municipality", mode="before")
    @classmethod
    def _municipality(cls, value: Any) -> Any:
        if isinstance(value, str) and catalogue.get_municipality(value) is None:
            raise invalid(_("Choose a municipality from the list."))
        return value

    @field_validator("situations", mode="before")
    @classmethod
    def _situations(cls, value: Any) -> Any:
        if isinstance(value, list):
            known = {s.slug for s in catalogue.list_situations()}
            if any(not isinstance(v, str) or v not in known for v in value):
                raise invalid(_("Use the life situations' slugs (`GET /situations`)."))
            return list(dict.fromkeys(value))
        return value


class HandoffCreated(BaseModel):
    reference: str = Field(description="Names the intake; not a secret.")
    code: str = Field(description="The secret code: shown this once. With the reference it "
                                  "opens the status page.")
    status_url: str = Field(description="The status page (reference and code).")
    live: bool = Field(description="A caseworker takes the chat now: pause the "
                                   "conversation after saying `message`.")
    team: str | None = Field(description="The team's name; null when the municipality "
                                         "has none.")
    message: str = Field(description="For the citizen, in `lang`: who joins the chat now, "
                                     "or when and how they will be contacted.")
    contact_due_at: dt.datetime | None = Field(description="The first contact is due by "
                                                           "then.")


@bp.before_request
def _only_with_the_token():
    """Only the action server (with its token) hands a chat over (the message is in the
    body's language: core.api sets it for every POST)."""
    if g.get("api_client") is None:
        response = jsonify(error="unauthorized",
                           message=_("Only the chat assistant, with its token, can hand a "
                                     "chat over."))
        response.status_code = 401
        response.headers["WWW-Authenticate"] = "Bearer"
        return response
    return None


ERRORS = {
    "transcript_without_consent": ("transcript", lambda: _(
        "A transcript can only be sent with the citizen's consent to share it "
        "(transcript_consent_id).")),
    "not_transcript_consent": ("transcript_consent_id", lambda: _(
        "This is not the consent text for sharing the chat in this municipality.")),
}


@bp.post("/handoffs")
@csrf.exempt  # a server-to-server API with a token: no browser session is used
@declare(json=HandoffInput, resp=Responses(HTTP_201=HandoffCreated, HTTP_400=ApiError,
                                          HTTP_401=ApiError), tags=["handoff"])
def create_handoff():
    """Hand a chat over to a person (the assistant's token only)"""
    data: HandoffInput | None = request.context.json
    if data is None:
        raise BadParameter({"request": _("Send the handoff as JSON.")})
    try:
        created = handoff.create(handoff.HandoffRequest(
            conversation_id=data.conversation_id, lang=data.lang,
            municipality=data.municipality, situations=list(data.situations),
            summary=data.summary, transcript=data.transcript,
            transcript_consent_id=data.transcript_consent_id,
            contact=data.contact.as_contact() if data.contact else None))
    except handoff.HandoffError as error:
        errors = {}
        for name, code in error.errors.items():
            field, message = ERRORS.get(code, (name, lambda: _("This is not valid.")))
            errors[field] = message()
        raise BadParameter(errors) from None
    intake = created.intake
    return {"reference": intake.reference, "code": created.code,
            "status_url": status_url(data.lang, intake.reference), "live": created.live,
            "team": created.team.name if created.team else None,
            "message": created.message, "contact_due_at": intake.contact_due_at}, 201


def status_url(lang: str, reference: str) -> str:
    """The intake's status page (helper E's `intake.status`), the reference filled in."""
    try:
        return url_for("intake.status", lang=lang, reference=reference)
    except BuildError:
        path = "/en-indgang/status" if lang == "da" else "/en/one-entrance/status"
        return f"{path}?reference={reference}"
