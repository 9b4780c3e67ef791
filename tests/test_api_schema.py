"""Schemathesis against the declared API: requests generated from the OpenAPI document
(every operation, every parameter, valid and odd values) must never give a server error,
and every answer must be what the document says (status, content type, body schema)."""

from __future__ import annotations

import pytest
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_headers_conformance, response_schema_conformance]
# Every operation of the document (a new endpoint is tested without a test of its own).
OPERATIONS = ["/municipalities", "/offers", "/offers/{slug}", "/openapi.json", "/pages",
              "/situations"]


@pytest.fixture(scope="module")
def api_schema(app: Flask):
    return schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)


def test_every_operation_is_fuzzed(api_schema):
    assert sorted(api_schema.raw_schema["paths"]) == OPERATIONS


@pytest.mark.parametrize("path", OPERATIONS)
def test_the_api_keeps_its_documented_contract(api_schema, path):
    operation = api_schema[path]["GET"]

    # Derandomized: the same requests on every run, so CI cannot turn red by chance.
    @settings(max_examples=150, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    @given(data=st.data())
    def run(data):
        case = data.draw(operation.as_strategy())
        # Uncompressed: the WSGI transport does not decode brotli.
        case.call_and_validate(checks=CHECKS, headers={"Accept-Encoding": "identity"})

    run()

