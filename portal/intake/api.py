"""The intake as JSON (`/api/v1`): the consent texts, sending an intake, and an intake
by its code (status, caseworker, consents; withdrawing one).

The contract is fixed (issue 10; the assistant's chat form uses it):

- `GET /consent-texts?municipality=&lang=`: the texts a person in a municipality is
  asked about (the chat's transcript text has `"transcript": true`);
- `POST /intakes`: 201 with the reference and the code (shown once, stored only as a
  hash), 400 naming each wrong field in the body's `lang`, 429 with Retry-After;
- `GET /intakes/<reference>` and `POST /intakes/<reference>/consents/<id>/withdraw` with
  the code in `X-Intake-Code`: a wrong code and an unknown reference get the same 403.

Public like the web form: anonymous callers are limited per address (INTAKE_RATE_LIMIT
for sending, the code limits for opening). The action server's token makes the channel
"chat" and lifts the per-address limits; the per-intake code limit always holds.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from flask import Blueprint, g, request, url_for
from flask_babel import gettext as _
from pydantic import BaseModel, ConfigDict, Field, field_validator
from spectree import Response as Responses

from portal.core.api import PREFIX
from portal.core.api.models import ApiError, BadParameter, LangQuery, invalid
from portal.core.api.spec import declare
from portal.core.extensions import csrf
from portal.core.i18n import TIMEZONE
from portal.intake import inputs, service
from portal.intake.inputs import IntakeInput
from portal.intake.models import STATUSES, Consent, Intake

bp = Blueprint("intake_api", __name__, url_prefix=PREFIX)


# --- what is sent and answered ---------------------------------------------------------


class ConsentTextQuery(LangQuery):
    municipality: str = Field(description="A municipality's slug (`GET /municipalities`).")

    @field_validator("municipality", mode="before")
    @classmethod
    def _municipality(cls, value: Any) -> str:
        try:
            return inputs.check_municipality(value)
        except inputs.Invalid as error:
            raise invalid(error.message) from None


class ConsentTextOut(BaseModel):
    id: int = Field(description="Give this id in `consents` when the person says yes.")
    key: str = Field(description="Stable across versions, e.g. share-jobcentre.")
    version: int
    agency: str | None = Field(description="The agency the text is about (null: none).")
    transcript: bool = Field(description="The chat transcript's consent "
                                         "(key share-chat-transcript).")
    purpose: str
    info_types: list[str] = Field(description="Which kinds of information.")
    parties: list[str] = Field(description="Shared between these parties.")
    text: str = Field(description="The exact text the person says yes to.")
    refusal: str = Field(description="What happens if they say no.")


class ConsentTextList(BaseModel):
    items: list[ConsentTextOut]


class IntakeCreated(BaseModel):
    reference: str = Field(description="Names the intake; not a secret.")
    code: str = Field(description="The secret code: shown this once, never again.")
    status: Literal[STATUSES]  # type: ignore[valid-type]
    status_url: str = Field(description="The status page (reference and code open it).")
    team: str | None = Field(description="The team that got it (null: none yet).")
    contact_due_at: dt.datetime | None = Field(
        description="The first contact is due by then (ISO 8601, Copenhagen offset).")


class CaseworkerOut(BaseModel):
    name: str
    email: str | None = Field(description="How to reach them: their team's e-mail.")


class ConsentOut(BaseModel):
    id: int = Field(description="The consent's id (withdraw it with this id).")
    key: str
    version: int
    purpose: str
    parties: list[str]
    info_types: list[str]
    given_at: dt.datetime
    withdrawn_at: dt.datetime | None
    given_by: str = Field(description="self, relative or professional.")
    capacity: str = Field(description="self, power_of_attorney or guardianship.")


class IntakeOut(BaseModel):
    reference: str
    status: Literal[STATUSES]  # type: ignore[valid-type]
    municipality: str
    team: str | None
    caseworker: CaseworkerOut | None = Field(description="The coordinating caseworker, "
                                                         "once one has taken it.")
    contact_due_at: dt.datetime | None
    created_at: dt.datetime
    consents: list[ConsentOut]


class IntakeCode(BaseModel):
    """The intake's code, in a header (never in the URL, which logs and histories keep)."""

    model_config = ConfigDict(populate_by_name=True, extra="ignore")

    code: str = Field(alias="X-Intake-Code", max_length=100,
                      description="The code shown when the intake was sent.")


# --- endpoints ---------------------------------------------------------------------------


@bp.get("/consent-texts")
@declare(query=ConsentTextQuery, resp=Responses(HTTP_200=ConsentTextList, HTTP_400=ApiError),
         tags=["intake"])
def consent_texts():
    """The consent texts of a municipality"""
    query: ConsentTextQuery = request.context.query
    return {"items": [_text_out(t) for t in service.consent_texts(query.municipality,
                                                                   query.lang)]}


@bp.post("/intakes")
@csrf.exempt  # a JSON API for clients without a browser session: no cookie is trusted
# (nothing here reads the session); access to an intake is by its code alone.
@declare(json=IntakeInput, resp=Responses(HTTP_201=IntakeCreated, HTTP_400=ApiError,
                                         HTTP_429=ApiError), tags=["intake"])
def create_intake():
    """Send an intake (the one-entrance intake)"""
    body: IntakeInput | None = request.context.json
    if body is None:
        raise BadParameter({"request": _("Send the intake as JSON.")})
    client = g.get("api_client")
    try:
        service.check_submission_limit(None if client else (request.remote_addr or ""))
    except service.TooManyAttempts as limited:
        return _too_many(limited, _("Many requests have been sent from this connection. "
                                    "Please wait %(minutes)d minutes and try again.",
                                    minutes=_minutes(limited)))
    try:
        made = service.submit(body.to_data(), channel="chat" if client else "web")
    except service.IntakeError as error:
        raise BadParameter({name: inputs.service_error(code)
                            for name, code in error.errors.items()}) from None
    intake = made.intake
    team = service.team_of(intake)
    return {"reference": intake.reference, "code": made.code, "status": intake.status,
            "status_url": _status_url(intake), "team": team.name if team else None,
            "contact_due_at": _local(intake.contact_due_at)}, 201


@bp.get("/intakes/<reference>")
@declare(headers=IntakeCode, resp=Responses(HTTP_200=IntakeOut, HTTP_400=ApiError,
                                           HTTP_403=ApiError, HTTP_429=ApiError),
         tags=["intake"])
def intake(reference: str):
    """An intake, with its code"""
    found = _open(reference)
    if not isinstance(found, Intake):
        return found
    team = service.team_of(found)
    caseworker = service.caseworker_of(found)
    return {
        "reference": found.reference, "status": found.status,
        "municipality": found.municipality, "team": team.name if team else None,
        "caseworker": ({"name": caseworker.name, "email": team.email if team else None}
                       if caseworker else None),
        "contact_due_at": _local(found.contact_due_at),
        "created_at": _local(found.created_at),
        "consents": [_consent_out(c) for c in found.consents],
    }


@bp.post("/intakes/<reference>/consents/<consent_id>/withdraw")
@csrf.exempt  # as POST /intakes: no browser session is used; the code is the authority.
@declare(headers=IntakeCode, resp=Responses(HTTP_200=ConsentOut, HTTP_400=ApiError,
                                           HTTP_403=ApiError, HTTP_404=ApiError,
                                           HTTP_429=ApiError), tags=["intake"])
def withdraw_consent(reference: str, consent_id: str):
    """Withdraw a consent, with the intake's code (at once; the record stays)"""
    found = _open(reference)
    if not isinstance(found, Intake):
        return found
    try:
        consent = service.withdraw(found, int(consent_id))
    except (KeyError, ValueError):
        return {"error": "not_found",
                "message": _("This request has no consent with that id.")}, 404
    return _consent_out(consent)


# --- helpers -------------------------------------------------------------------------------


def _local(moment: dt.datetime | None) -> dt.datetime | None:
    return moment.astimezone(TIMEZONE) if moment else None


def _minutes(limited: service.TooManyAttempts) -> int:
    return max(1, -(-limited.retry_after // 60))


def _too_many(limited: service.TooManyAttempts, message: str):
    return ({"error": "too_many_requests", "message": message}, 429,
            {"Retry-After": str(limited.retry_after)})


def _status_url(intake: Intake) -> str:
    return url_for("intake.status_page", lang=intake.lang, reference=intake.reference,
                   _external=True)


def _text_out(text) -> dict[str, Any]:
    return {"id": text.id, "key": text.key, "version": text.version, "agency": text.agency,
            "transcript": text.transcript, "purpose": text.purpose,
            "info_types": list(text.info_types), "parties": list(text.parties),
            "text": text.text, "refusal": text.refusal}


def _consent_out(consent: Consent) -> dict[str, Any]:
    text = consent.consent_text
    return {"id": consent.id, "key": consent.key, "version": consent.version,
            "purpose": text.purpose, "parties": list(text.parties),
            "info_types": list(text.info_types), "given_at": _local(consent.given_at),
            "withdrawn_at": _local(consent.withdrawn_at), "given_by": consent.given_by,
            "capacity": consent.capacity}


def _open(reference: str) -> Intake | tuple:
    """The intake if the header's code is its code; else the answer to give (403 for a
    wrong code and an unknown reference alike, 429 after too many attempts)."""
    code = request.context.headers.code
    client = g.get("api_client")
    try:
        return service.open_intake(reference, code, None if client else
                                   (request.remote_addr or ""))
    except service.TooManyAttempts as limited:
        return _too_many(limited, _("Too many tries with a wrong code. Please wait "
                                    "%(minutes)d minutes and try again.",
                                    minutes=_minutes(limited)))
    except service.AccessDenied:
        return {"error": "forbidden",
                "message": _("The reference or the code is not right.")}, 403


def init_app(app) -> None:
    app.register_blueprint(bp)
