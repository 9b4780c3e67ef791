"""A stand-in identity provider (OpenID Connect) on a local port, for the sign-in tests.

No real identity provider can be reached from the tests, so this one plays its part
over real HTTP: discovery (/.well-known/openid-configuration), its signing keys
(/jwks) and the token endpoint (/token, client secret by HTTP Basic, PKCE checked).
Its authorization endpoint is never visited: a test reads the portal's redirect to it
(state, nonce, code_challenge) and plays the person signing in by asking `issue_code`
for a code, as the provider would after a successful sign-in. ID tokens are RS256 JWTs
signed with a key made for the run (`forge_with` signs with another key instead).
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

from joserfc import jwt
from joserfc.jwk import RSAKey


class StubIdentityProvider:
    def __init__(self, client_id: str, client_secret: str) -> None:
        self.client_id, self.client_secret = client_id, client_secret
        self.key = RSAKey.generate_key(2048, parameters={"kid": "stub-1"})
        self.forge_with: RSAKey | None = None
        self.codes: dict[str, dict] = {}
        self.token_requests = 0
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.issuer = f"http://127.0.0.1:{self._server.server_port}"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def issue_code(self, subject: str, nonce: str, code_challenge: str,
                   redirect_uri: str) -> str:
        code = secrets.token_urlsafe(16)
        self.codes[code] = {"sub": subject, "nonce": nonce, "challenge": code_challenge,
                            "redirect_uri": redirect_uri}
        return code

    def metadata(self) -> dict:
        return {
            "issuer": self.issuer,
            "authorization_endpoint": self.issuer + "/authorize",
            "token_endpoint": self.issuer + "/token",
            "jwks_uri": self.issuer + "/jwks",
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic"],
            "code_challenge_methods_supported": ["S256"],
        }

    def _token(self, form: dict[str, str], authorization: str) -> tuple[int, dict]:
        self.token_requests += 1
        expected = "Basic " + base64.b64encode(
            f"{self.client_id}:{self.client_secret}".encode()).decode()
        if authorization != expected:
            return 401, {"error": "invalid_client"}
        grant = self.codes.pop(form.get("code", ""), None)
        if grant is None or form.get("grant_type") != "authorization_code" \
                or form.get("redirect_uri") != grant["redirect_uri"]:
            return 400, {"error": "invalid_grant"}
        verifier = form.get("code_verifier", "")
        challenge = base64.urlsafe_b64encode(
            hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
        if challenge != grant["challenge"]:
            return 400, {"error": "invalid_grant", "error_description": "PKCE"}
        now = int(time.time())
        claims = {"iss": self.issuer, "sub": grant["sub"], "aud": self.client_id,
                  "iat": now, "exp": now + 300, "nonce": grant["nonce"]}
        key = self.forge_with or self.key
        id_token = jwt.encode({"alg": "RS256", "kid": "stub-1"}, claims, key)
        return 200, {"access_token": secrets.token_urlsafe(16), "token_type": "Bearer",
                     "expires_in": 300, "id_token": id_token}

    def _handler(self):
        idp = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:  # quiet
                pass

            def _json(self, status: int, body: dict) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:
                if self.path == "/.well-known/openid-configuration":
                    self._json(200, idp.metadata())
                elif self.path == "/jwks":
                    self._json(200, {"keys": [idp.key.as_dict(private=False)]})
                else:
                    self._json(404, {"error": "not_found"})

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
                if self.path == "/token":
                    self._json(*idp._token(form, self.headers.get("Authorization", "")))
                else:
                    self._json(404, {"error": "not_found"})

        return Handler
