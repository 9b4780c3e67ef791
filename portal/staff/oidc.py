"""Single sign-on for staff with OpenID Connect (Authlib), for production.

Off unless `OIDC_ISSUER`, `OIDC_CLIENT_ID` and `OIDC_CLIENT_SECRET` are all set; then the
sign-in page also offers "Sign in with your organisation's account". The identity
provider only says who someone is (the ID token's `sub`, checked by Authlib: signature
from the provider's keys, issuer, audience, expiry, the nonce of this browser's request,
and the `state` against cross-site requests; PKCE on top). Whether that person may use
Indgang, and as what, is decided here: the subject must belong to an existing, active
staff member (`StaffMember.oidc_subject`, set up beforehand). An identity provider
never creates an account and never gives a role.

The identity provider must accept both redirect addresses (one per language):
`<PORTAL_BASE_URL>/personale/log-ind/oidc/svar` and `<PORTAL_BASE_URL>/en/staff/sign-in/oidc/reply`.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from flask import Flask, Response, current_app

from portal.staff import service
from portal.staff.models import StaffMember

log = logging.getLogger(__name__)
CLIENT = "staff_idp"
EXTENSION = "staff_oidc"


def configured(config: Mapping[str, Any]) -> bool:
    return all(config.get(key) for key in ("OIDC_ISSUER", "OIDC_CLIENT_ID", "OIDC_CLIENT_SECRET"))


def init_app(app: Flask) -> None:
    if not configured(app.config):
        return
    from authlib.integrations.flask_client import OAuth

    oauth = OAuth(app)
    oauth.register(
        CLIENT,
        client_id=app.config["OIDC_CLIENT_ID"],
        client_secret=app.config["OIDC_CLIENT_SECRET"],
        server_metadata_url=(app.config["OIDC_ISSUER"].rstrip("/")
                             + "/.well-known/openid-configuration"),
        client_kwargs={"scope": "openid", "code_challenge_method": "S256"},
    )
    app.extensions[EXTENSION] = oauth


def enabled() -> bool:
    """Whether this portal offers single sign-on (the sign-in page shows the button)."""
    return EXTENSION in current_app.extensions


def _client():
    return current_app.extensions[EXTENSION].create_client(CLIENT)


def start(redirect_uri: str) -> Response:
    """Send the browser to the identity provider (state and nonce kept in the session)."""
    return _client().authorize_redirect(redirect_uri)


def finish() -> StaffMember | None:
    """The member the identity provider's answer names, or None when the answer is not
    valid or names nobody who may sign in here (the caller says the same either way)."""
    try:
        token = _client().authorize_access_token()
    except Exception:  # a refused, forged, expired or unreachable answer: no sign-in
        log.warning("OIDC sign-in refused", exc_info=True)
        return None
    return member_for_claims(token.get("userinfo") or {})


def member_for_claims(claims: Mapping[str, Any]) -> StaffMember | None:
    """The existing, active member whose `oidc_subject` is the token's `sub`; never a new
    one (e-mail or name claims are not trusted to match an account)."""
    subject = claims.get("sub")
    if not isinstance(subject, str) or not subject or len(subject) > 255:
        return None
    member = service.member_by_oidc_subject(subject)
    if member is None or not member.active:
        return None
    return member
