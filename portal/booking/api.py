"""Booking as JSON (`/api/v1`): free times, booking one, and a booking by its code.

The contract is fixed (issue 9; the assistant books through it):

- `GET /offers/<slug>/slots?from=&to=&channel=`: the free times, one item per time and
  channel;
- `POST /bookings`: 201 with the reference and the code (shown once, never stored but
  as a hash), 409 when the time was just taken (with the next free times), 400 naming
  each wrong field;
- `GET /bookings/<reference>` and `DELETE` with the code in `X-Booking-Code`: a wrong
  code and an unknown reference get the same 403, and every attempt counts towards the
  per-booking and per-address limits (429 with Retry-After).

Like the web form these are public: anonymous, rate limited per address by the API's
client rules (`core.api.clients`). A server-to-server client (the assistant's action
server, one address for all its users) is not limited per address, but the limit per
booking always holds. The body of a booking is validated with the web form's own model
(`inputs.BookingInput`); error messages are in the body's `lang`.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from flask import Blueprint, Response, g, request
from flask_babel import gettext as _
from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator
from spectree import Response as Responses

from portal.booking import links, service
from portal.booking.inputs import BookingInput
from portal.booking.models import BOOKED, CANCELLED, CHANNELS, STATUSES, Booking
from portal.booking.slots import TZ, Slot, local_day
from portal.catalogue import service as catalogue
from portal.core.api import PREFIX
from portal.core.api.models import ApiError, BadParameter, LangQuery, invalid
from portal.core.api.spec import declare
from portal.core.extensions import csrf
from portal.core.models import utcnow

bp = Blueprint("booking_api", __name__, url_prefix=PREFIX)
DEFAULT_DAYS = 14
MAX_DAYS = 31
Channel = Literal["chat", "video", "phone"]


# --- what is sent and answered ------------------------------------------------------


class SlotQuery(LangQuery):
    """Which free times: Copenhagen calendar days `from`..`to` (at most 31 days)."""

    model_config = ConfigDict(frozen=True, extra="ignore", populate_by_name=True)

    from_: dt.date | None = Field(None, alias="from",
                                  description="First day, YYYY-MM-DD (default: today).")
    to: dt.date | None = Field(None, description="Last day, YYYY-MM-DD, at most 30 days "
                                                 "after `from` (default: 13 days after).")
    channel: Channel | None = Field(None, description="Only times for this channel.")

    @field_validator("from_", mode="before")
    @classmethod
    def _from(cls, value: Any) -> dt.date | None:
        return _date(value, "from")

    @field_validator("to", mode="before")
    @classmethod
    def _to(cls, value: Any, info: ValidationInfo) -> dt.date | None:
        last = _date(value, "to")
        first = info.data.get("from_") or local_day(utcnow())
        if last is not None and last < first:
            raise invalid(_("“to” must not be before “from”."))
        if last is not None and (last - first).days + 1 > MAX_DAYS:
            raise invalid(_("At most %(n)d days at a time: choose an earlier “to”.", n=MAX_DAYS))
        return last

    @field_validator("channel", mode="before")
    @classmethod
    def _channel(cls, value: Any) -> str | None:
        if value in (None, ""):
            return None
        if value not in CHANNELS:
            raise invalid(_("“channel” must be one of: %(values)s.", values=", ".join(CHANNELS)))
        return value


def _date(value: Any, name: str) -> dt.date | None:
    if value in (None, ""):
        return None
    text = value if isinstance(value, str) else ""
    try:
        if len(text) != 10:
            raise ValueError(text)
        return dt.date.fromisoformat(text)
    except ValueError:
        raise invalid(_("“%(name)s” must be a date written YYYY-MM-DD, e.g. 2026-12-01.",
                        name=name)) from None


class SlotOut(BaseModel):
    id: str = Field(description="Book it with this id (`POST /bookings`).")
    starts_at: dt.datetime = Field(description="ISO 8601 with the Copenhagen offset.")
    ends_at: dt.datetime
    channel: Channel


class SlotList(BaseModel):
    items: list[SlotOut]


class BookingCreated(BaseModel):
    reference: str = Field(description="Names the booking; not a secret.")
    code: str = Field(description="The secret code: shown this once, never again. With "
                                  "the reference it opens, moves and cancels the booking.")
    starts_at: dt.datetime
    ends_at: dt.datetime
    channel: Channel
    session_url: str = Field(description="Where the session is held (reference and code).")
    ics_url: str = Field(description="The calendar file (updated when the time moves or "
                                     "is cancelled).")


class BookingOut(BaseModel):
    reference: str
    status: Literal[STATUSES]  # type: ignore[valid-type]
    offer: str = Field(description="The offer's slug.")
    starts_at: dt.datetime
    ends_at: dt.datetime
    channel: Channel
    session_url: str
    ics_url: str


class SlotTakenError(BaseModel):
    error: Literal["slot_taken"]
    message: str
    next_slots: list[SlotOut] = Field(description="The next free times of the same offer "
                                                  "and channel.")


class BookingCode(BaseModel):
    """The booking's code, in a header (never in the URL, which logs and histories keep)."""

    model_config = ConfigDict(populate_by_name=True, extra="ignore")

    code: str = Field(alias="X-Booking-Code", max_length=100,
                      description="The code shown when the time was booked.")


# --- endpoints -------------------------------------------------------------------------


@bp.get("/offers/<slug>/slots")
@declare(query=SlotQuery, resp=Responses(HTTP_200=SlotList, HTTP_400=ApiError,
                                        HTTP_404=ApiError), tags=["booking"])
def slots(slug: str):
    """Free times of an offer"""
    query: SlotQuery = request.context.query
    offer = catalogue.get_offer(slug)
    if offer is None:
        return _no_offer(slug)
    first = query.from_ or local_day(utcnow())
    last = query.to or first + dt.timedelta(days=DEFAULT_DAYS - 1)
    channels = [query.channel] if query.channel else service_channels(offer)
    items = [slot_out(slot, channel) for channel in channels
             for slot in service.list_slots(offer.id, first, last, channel)]
    items.sort(key=lambda item: (item["starts_at"], CHANNELS.index(item["channel"])))
    return {"items": items}


@bp.post("/bookings")
@csrf.exempt  # a JSON API for clients without a browser session: no cookie is trusted
# (nothing here reads the session); access to a booking is by its code alone.
@declare(json=BookingInput, resp=Responses(HTTP_201=BookingCreated, HTTP_400=ApiError,
                                          HTTP_409=SlotTakenError, HTTP_429=ApiError),
         tags=["booking"])
def create_booking():
    """Book a free time (anonymously)"""
    data: BookingInput | None = request.context.json
    if data is None:  # not a JSON body (spectree leaves form bodies to the view)
        raise BadParameter({"request": _("Send the booking as JSON.")})
    try:
        slot = service.resolve(data.slot_id, data.channel)
        offer = catalogue.offer_by_id(slot.offer_id)
        if offer is None or offer.retired:
            raise service.SlotUnavailable
        booked = service.book(data.slot_id, data.channel, alias=data.alias, email=data.email,
                              phone=data.phone, lang=data.lang, requester=_requester())
    except service.TooManyAttempts as limited:
        return ({"error": "too_many_bookings",
                 "message": _("Many times have been booked from this connection. Please "
                              "wait %(minutes)d minutes and try again.",
                              minutes=max(1, -(-limited.retry_after // 60)))},
                429, {"Retry-After": str(limited.retry_after)})
    except service.SlotUnavailable:
        raise BadParameter({"slot_id": _("That time cannot be booked. Choose one of the "
                                         "free times.")}) from None
    except service.SlotTaken as taken:
        return {"error": "slot_taken",
                "message": _("That time was just taken. Choose one of the next free times."),
                "next_slots": [slot_out(s, data.channel) for s in taken.next_slots]}, 409
    booking = booked.booking
    return {"reference": booking.reference, "code": booked.code,
            **_times_and_links(booking)}, 201


@bp.get("/bookings/<reference>")
@declare(headers=BookingCode, resp=Responses(HTTP_200=BookingOut, HTTP_400=ApiError,
                                            HTTP_403=ApiError, HTTP_429=ApiError), tags=["booking"])
def booking(reference: str):
    """A booking, with its code"""
    found = _open(reference)
    if not isinstance(found, Booking):
        return found
    offer = catalogue.offer_by_id(found.offer_id)
    return {"reference": found.reference, "status": found.status,
            "offer": offer.slug if offer else "", **_times_and_links(found)}


@bp.delete("/bookings/<reference>")
@csrf.exempt  # as POST /bookings: no browser session is used; the code is the authority.
@declare(headers=BookingCode, resp=Responses("HTTP_204", HTTP_400=ApiError, HTTP_403=ApiError,
                                            HTTP_409=ApiError, HTTP_429=ApiError), tags=["booking"])
def cancel_booking(reference: str):
    """Cancel a booking, with its code (the time is free again)"""
    found = _open(reference)
    if not isinstance(found, Booking):
        return found
    if found.status != BOOKED:
        message = (_("This booking is already cancelled.") if found.status == CANCELLED
                   else _("This session has already been held, so it cannot be cancelled."))
        return {"error": "not_booked", "message": message}, 409
    service.cancel(found)
    return Response(status=204)


# --- helpers ------------------------------------------------------------------------


def service_channels(offer) -> list[str]:
    """The offer's channels that its schedules open (in the order of CHANNELS)."""
    opened = {c for rule in service.rules_for(offer.id) for c in rule.channels}
    return [c for c in CHANNELS if c in opened and c in offer.channels]


def slot_out(slot: Slot, channel: str) -> dict[str, Any]:
    return {"id": slot.id, "starts_at": slot.starts_at.astimezone(TZ),
            "ends_at": slot.ends_at.astimezone(TZ), "channel": channel}


def _times_and_links(booking: Booking) -> dict[str, Any]:
    return {
        "starts_at": booking.starts_at.astimezone(TZ),
        "ends_at": booking.ends_at.astimezone(TZ),
        "channel": booking.channel,
        "session_url": links.absolute(links.session_path(booking.reference, booking.lang)),
        "ics_url": links.absolute(links.calendar_path(booking.reference, booking.lang)),
    }


def _no_offer(slug: str):
    return {"error": "not_found",
            "message": _("There is no offer “%(slug)s”.", slug=slug)}, 404


def _open(reference: str) -> Booking | tuple:
    """The booking if the header's code is its code; else the answer to give (403 for a
    wrong code and an unknown reference alike, 429 after too many attempts)."""
    code = request.context.headers.code
    try:
        return service.open_booking(reference, code, _attempts_key(reference))
    except service.TooManyAttempts as limited:
        return ({"error": "too_many_attempts",
                 "message": _("Too many tries with a wrong code. Please wait %(minutes)d "
                              "minutes and try again.",
                              minutes=max(1, -(-limited.retry_after // 60)))},
                429, {"Retry-After": str(limited.retry_after)})
    except service.AccessDenied:
        return {"error": "access_denied",
                "message": _("The reference or the code is not right.")}, 403


def _requester() -> str | None:
    """Who is counted for the booking limit: the address, or nobody for the assistant
    (its chats have their own limits per conversation and address)."""
    return None if g.get("api_client") else (request.remote_addr or "")


def _attempts_key(reference: str) -> str:
    """Whose attempts count together for the per-address limit. A server-to-server client
    (with its token) speaks for many citizens from one address: its attempts are counted
    per booking only, which the per-booking limit already does."""
    client = g.get("api_client")
    if client:
        return f"client:{client}:{reference}"
    return request.remote_addr or ""
