"""Schemathesis against the atlas' own OpenAPI description: no 5xx, responses match the schema."""

from __future__ import annotations

import schemathesis
from hypothesis import HealthCheck, given, settings

from planlabor.atlas.data import source_of
from planlabor.atlas.server import create_app


def test_api_conforms_to_its_openapi(berlin) -> None:  # type: ignore[no-untyped-def]
    schema = schemathesis.openapi.from_asgi("/api/openapi.json", create_app(source_of(berlin)))
    operations = [r.ok() for r in schema.get_all_operations()]
    assert len(operations) >= 14
    seen: list[str] = []
    for op in operations:

        @given(case=op.as_strategy())
        @settings(max_examples=20, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        def check(case) -> None:  # type: ignore[no-untyped-def]
            response = case.call()
            assert response.status_code < 500, (case.path, case.query, response.text[:300])
            case.validate_response(response)

        check()
        seen.append(op.label)
    assert "GET /api/values" in seen and "GET /ogc/collections/{layer}/items" in seen
