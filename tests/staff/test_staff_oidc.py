"""Single sign-on for staff (OpenID Connect): off by default; when configured, the ID
token's subject signs in the existing member it belongs to, and nobody else.

No real identity provider can be reached from here. What is tested: that the hook is
off unless all three settings are given (no button, no endpoints), the mapping from a
token's claims to an existing member (never a new account), and the whole redirect
flow against a stand-in provider on a local port (tests/staff/stub_idp.py) that signs
real RS256 ID tokens: Authlib's checks of signature, issuer, audience, nonce, state and
PKCE run for real. What is not tested: any particular provider's quirks (Entra ID,
KOMBIT Context Handler, ...), which must be tried against the real one when set up.
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from joserfc.jwk import RSAKey

from portal.core.extensions import db
from portal.staff import oidc
from portal.staff.models import StaffMember
from tests.conftest import make_app
from tests.staff.helpers import browser, new_member, text_of, token
from tests.staff.stub_idp import StubIdentityProvider

CLIENT_ID, CLIENT_SECRET = "indgang-test", "not-a-real-secret"


@pytest.fixture(scope="module")
def idp():
    provider = StubIdentityProvider(CLIENT_ID, CLIENT_SECRET)
    yield provider
    provider.close()


@pytest.fixture(scope="module")
def sso_app(staff_app, idp):
    """The portal on the staff tests' database, with single sign-on configured."""
    app = make_app(staff_app.config["SQLALCHEMY_DATABASE_URI"], OIDC_ISSUER=idp.issuer,
                   OIDC_CLIENT_ID=CLIENT_ID, OIDC_CLIENT_SECRET=CLIENT_SECRET)
    yield app
    with app.app_context():
        db.engine.dispose()


def test_off_by_default_no_button_and_no_endpoints(staff_app):
    assert not oidc.configured(staff_app.config)
    client = browser(staff_app)
    page = client.get("/en/staff/sign-in").get_data(as_text=True)
    assert "organisation's account" not in text_of(page)
    started = client.post("/personale/log-ind/oidc", data={"csrf_token": token(client)})
    assert started.status_code == 404
    assert client.get("/personale/log-ind/oidc/svar?code=x&state=y").status_code == 404


@pytest.mark.parametrize("missing", ["OIDC_ISSUER", "OIDC_CLIENT_ID", "OIDC_CLIENT_SECRET"])
def test_off_unless_all_three_settings_are_given(missing):
    config = {"OIDC_ISSUER": "https://idp.example", "OIDC_CLIENT_ID": "x",
              "OIDC_CLIENT_SECRET": "y", missing: ""}
    assert not oidc.configured(config)


def test_the_button_shows_when_configured(sso_app):
    page = browser(sso_app).get("/en/staff/sign-in").get_data(as_text=True)
    assert "Sign in with your organisation's account" in text_of(page)


def test_claims_map_to_an_existing_active_member_and_never_create_one(sso_app):
    member_id, _email = new_member(sso_app, oidc_subject="subject-anna")
    _inactive, _ = new_member(sso_app, oidc_subject="subject-gone", active=False)
    with sso_app.app_context():
        count = db.session.query(StaffMember).count()
        assert oidc.member_for_claims({"sub": "subject-anna"}).id == member_id
        for claims in [{"sub": "subject-nobody", "email": _email}, {"sub": "subject-gone"},
                       {}, {"sub": None}, {"sub": 42}, {"sub": ""}, {"sub": "x" * 300}]:
            assert oidc.member_for_claims(claims) is None, claims
        assert db.session.query(StaffMember).count() == count


def start(client) -> dict[str, str]:
    """Press the button: the portal sends the browser to the provider; its query."""
    response = client.post("/en/staff/sign-in/oidc",
                           data={"csrf_token": token(client, "/en/staff/sign-in")})
    assert response.status_code == 302
    return {k: v[0] for k, v in parse_qs(urlsplit(response.headers["Location"]).query).items()}


def reply_path(query: dict[str, str]) -> str:
    return urlsplit(query["redirect_uri"]).path


def test_a_whole_sign_in_through_the_identity_provider(sso_app, idp):
    member_id, _email = new_member(sso_app, oidc_subject="subject-bo")
    client = browser(sso_app)
    query = start(client)
    assert query["client_id"] == CLIENT_ID and query["response_type"] == "code"
    assert query["code_challenge_method"] == "S256" and query["nonce"] and query["state"]
    assert reply_path(query) == "/en/staff/sign-in/oidc/reply"
    code = idp.issue_code("subject-bo", query["nonce"], query["code_challenge"],
                          query["redirect_uri"])
    answer = client.get(f"{reply_path(query)}?code={code}&state={query['state']}")
    assert answer.status_code == 303
    assert answer.headers["Location"] == "/en/staff/day"
    with client.session_transaction() as session:
        assert session["_user_id"] == f"{member_id}:1"
        assert not any(key.startswith("_state_") for key in session)  # nothing left over
    assert client.get("/en/staff/day").status_code == 200


def test_a_subject_without_an_account_is_refused(sso_app, idp):
    client = browser(sso_app)
    query = start(client)
    code = idp.issue_code("subject-unknown", query["nonce"], query["code_challenge"],
                          query["redirect_uri"])
    answer = client.get(f"{reply_path(query)}?code={code}&state={query['state']}")
    assert answer.status_code == 403
    assert "has no access to Indgang" in text_of(answer.get_data(as_text=True))
    assert client.get("/en/staff/day").status_code == 302


def test_a_token_signed_by_someone_else_is_refused(sso_app, idp):
    new_member(sso_app, oidc_subject="subject-forged")
    client = browser(sso_app)
    query = start(client)
    code = idp.issue_code("subject-forged", query["nonce"], query["code_challenge"],
                          query["redirect_uri"])
    idp.forge_with = RSAKey.generate_key(2048, parameters={"kid": "stub-1"})
    try:
        answer = client.get(f"{reply_path(query)}?code={code}&state={query['state']}")
    finally:
        idp.forge_with = None
    assert answer.status_code == 403
    assert client.get("/en/staff/day").status_code == 302


def test_an_answer_for_another_browser_is_refused(sso_app, idp):
    """Login CSRF: a code obtained in the attacker's browser, replayed in the victim's,
    does not match the victim's state (and its nonce is the attacker's)."""
    new_member(sso_app, oidc_subject="subject-attacker")
    attacker, victim = browser(sso_app), browser(sso_app)
    query = start(attacker)
    start(victim)
    code = idp.issue_code("subject-attacker", query["nonce"], query["code_challenge"],
                          query["redirect_uri"])
    answer = victim.get(f"{reply_path(query)}?code={code}&state={query['state']}")
    assert answer.status_code == 403
    assert victim.get("/en/staff/day").status_code == 302


def test_a_wrong_nonce_is_refused(sso_app, idp):
    new_member(sso_app, oidc_subject="subject-replay")
    client = browser(sso_app)
    query = start(client)
    code = idp.issue_code("subject-replay", "another-nonce", query["code_challenge"],
                          query["redirect_uri"])
    answer = client.get(f"{reply_path(query)}?code={code}&state={query['state']}")
    assert answer.status_code == 403
