"""The API against its own OpenAPI document: generated requests (schemathesis), in process.

For every operation of /api/v1/openapi.json, schemathesis draws requests from the declared
parameters and bodies (valid ones and, in its coverage phase, boundary and invalid values) and
sends them through the ASGI app, signed in with a bearer token of a wide role. Each answer must
not be a server error, must have a status the document declares for that operation, and must
match the declared body (the 422 shape included). Short by design (a few examples per
operation, well under a minute); every case it found is kept as a plain test in
test_bad_input.py.
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from bad_input_site import bad_site  # noqa: F401 (the fixture)

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
# Whose token each operation is called with: the role that may do the most there (the finance
# officer for payment lists, the city analyst for plans and imports, the enterprise for its claims,
# the policy officer for the rest).
ROLE_BY_PREFIX = (("/api/v1/awards/payment-lists", "finance"), ("/api/v1/evaluation", "city"),
                  ("/api/v1/plans", "city"), ("/api/v1/imports", "city"), ("/api/v1/claims", "firm"),
                  ("/api/v1/warnings", "city"), ("/api/v1/fdi", "city"), ("/api/v1/warning/", "city"),
                  ("/api/v1", "policy"))


def role_for(path: str) -> str:
    return next(role for prefix, role in ROLE_BY_PREFIX if path.startswith(prefix))


@pytest.fixture(scope="module")
def api_schema(bad_site):
    return schemathesis.openapi.from_asgi("/api/v1/openapi.json", bad_site.app)


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@settings(max_examples=8, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_the_api_answers_as_its_document_says(case, bad_site):
    case.call_and_validate(headers=bad_site.headers(role_for(case.path)), checks=CHECKS)
