"""Schemathesis over the REST part's OpenAPI: generated requests (valid and not) to every
documented route of the real app on a real store; every response must be documented,
fit its schema and never be a server error."""

from __future__ import annotations

from collections.abc import Iterator

import hypothesis
import pytest
import schemathesis
from fastapi import FastAPI

from api.app import create_app
from api.auth import mint_token
from c360.settings import Settings
from graph.catalogue import Catalogue
from graph.embedded import ServerInfo
from tests.conftest import own_graph

pytestmark = pytest.mark.falkordb

SECRET = "schemathesis-secret-" + "z" * 40


@pytest.fixture(scope="module")
def rest_app(
    falkordb_server: ServerInfo, catalogue: Catalogue, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[FastAPI]:
    with own_graph(falkordb_server, catalogue, "t_oas", query_timeout_ms=2_000) as store:
        store.run_cypher(
            "CREATE (:Customer {id: 'C1', status: 'active', kind: 'person'})", read_only=False
        )
        settings = Settings(home=tmp_path_factory.mktemp("oas-home"), jwt_secret=SECRET,
                            rate_per_minute=1_000_000)  # fmt: skip
        yield create_app(
            settings, store, f"redis://127.0.0.1:{falkordb_server.port}/0", run_workers=False
        )


@pytest.fixture(scope="module")
def rest_schema(rest_app: FastAPI) -> schemathesis.BaseSchema:
    return schemathesis.openapi.from_asgi("/openapi.json", rest_app)


ANALYST = mint_token(SECRET, sub="schemathesis", roles=["analyst"], ttl_s=24 * 3600)


def test_rest_routes_answer_as_documented(rest_schema: schemathesis.BaseSchema) -> None:
    checked = []
    for result in rest_schema.get_all_operations():
        operation = result.ok()

        @hypothesis.given(case=operation.as_strategy())
        @hypothesis.settings(
            max_examples=25, deadline=None, suppress_health_check=list(hypothesis.HealthCheck),
            database=None,
        )  # fmt: skip
        def check(case: schemathesis.Case) -> None:
            # Schema-valid text need not be valid Cypher: a 400 CYPHER_ERROR is right there.
            case.call_and_validate(
                headers={"Authorization": f"Bearer {ANALYST}"},
                excluded_checks=[schemathesis.checks.positive_data_acceptance],
            )

        check()
        checked.append(operation.label)
    assert len(checked) == 4, checked


def test_the_graphql_route_is_not_in_the_rest_document(rest_app: FastAPI) -> None:
    paths = rest_app.openapi()["paths"]
    assert set(paths) == {"/healthz", "/readyz", "/metrics", "/cypher"}
