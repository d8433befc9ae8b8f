"""The HTTP application: FastAPI for REST (health, readiness, metrics, analysts' Cypher),
Strawberry for GraphQL at /graphql (queries, mutations, graphql-transport-ws
subscriptions), and the background tasks of an API process (event fan-out, webhook
deliveries, alert rules). `create_app` is given its store and Redis: the composition
root (`c360 serve`, the tests) decides which.
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
import mimetypes
import os
import random
import re
import time
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
import redis.asyncio as aioredis
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse, Response
from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    VariableNode,
)
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)
from pydantic import BaseModel, Field, field_validator
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.extensions import MaxTokensLimiter, ParserCache, SchemaExtension
from strawberry.schema.schema import validate_document

from api.audit import AuditLog
from api.auth import AuthError, Permission, TokenVerifier, jwt_secret
from api.events import Event, EventHub
from api.limits import RateLimiter
from api.schema import Context, build_schema
from api.service import CustomerFilter, CustomerService, GraphWrites, Visibility
from api.sor_writes import SorWrites, writes_for
from api.webhooks import Webhooks
from c360.settings import REPO_ROOT, Settings
from graph.errors import GraphStoreError
from graph.store import GraphStore
from ingest.quarantine import Quarantine
from workers.alerts import AlertEngine, AlertRules, Alerts
from workers.event_kinds import ALERT_RAISED

log = logging.getLogger("c360.api")

# Cypher an analyst may not send: clauses and procedures that write or change the schema.
_WRITE = re.compile(
    r"\b(CREATE|MERGE|SET|DELETE|DETACH|REMOVE|DROP|FOREACH|LOAD\s+CSV)\b"
    r"|\bCALL\s+(db\.idx\.\w+\.(create|drop)\w*|dbms\.|apoc\.|db\.create|db\.drop|gds\.\w+\.write)",
    re.IGNORECASE,
)
_STRINGS = re.compile(r"'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\"|`[^`]*`|//[^\n]*|/\*.*?\*/", re.S)

# Customers whose count is asked for again within this many seconds get the cached one.
COUNT_TTL_S = 5.0
# Worker threads for store calls (asyncio's default pool: cores + 4, six here). A 360 view
# makes five at once; with 32 clients the six queued them (2,000 people: 194-206 -> 232-237
# views/s).
STORE_THREADS = 32
# Connections of the API's Redis client per process; more would only queue in Redis,
# which runs one command at a time.
REDIS_CONNECTIONS = 32


def refuse_writes(text: str) -> None:
    """Raise if analyst Cypher could write; string literals and comments are ignored."""
    found = _WRITE.search(_STRINGS.sub("''", text))
    if found:
        raise PermissionError(
            f"read-only Cypher: {found.group(0).strip()!r} at offset {found.start()} would write"
        )


# Set (by `c360.serving.serve`) when several worker processes serve: each keeps its
# metrics in files there, and any one of them answers /metrics with the sum of all.
MULTIPROCESS_DIR = "PROMETHEUS_MULTIPROC_DIR"


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "c360_http_requests_total", "HTTP requests", ["route", "status"], registry=self.registry
        )
        self.latency = Histogram(
            "c360_http_request_seconds", "HTTP request latency", ["route"], registry=self.registry,
            buckets=(0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
        )  # fmt: skip
        self.operations = Counter(
            "c360_graphql_operations_total", "GraphQL operations", ["type", "outcome"],
            registry=self.registry,
        )  # fmt: skip
        self.subscribers = Gauge(
            "c360_subscribers", "Subscribers connected", registry=self.registry,
            multiprocess_mode="livesum",
        )  # fmt: skip
        self.events = Counter(
            "c360_events_published_total", "Events published", ["kind"], registry=self.registry
        )

    def exposition(self) -> bytes:
        """The Prometheus text of this process, or of every worker process together."""
        if MULTIPROCESS_DIR not in os.environ:
            return generate_latest(self.registry)
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        return generate_latest(registry)


@dataclass
class ApiState:
    """Everything the resolvers and routes share within one API process."""

    settings: Settings
    store: GraphStore
    redis: aioredis.Redis
    verifier: TokenVerifier
    service: CustomerService
    writes: GraphWrites | SorWrites
    hub: EventHub
    audit: AuditLog
    limiter: RateLimiter
    webhooks: Webhooks
    metrics: Metrics
    _counts: dict[Any, tuple[float, int]] = field(default_factory=dict)
    _engine: AlertEngine | None = None

    def stewardship(self) -> Any:
        from resolvers.identity import IdentityResolver
        from resolvers.review import Stewardship

        return Stewardship(IdentityResolver(self.store))

    def alert_rules(self) -> AlertRules:
        return AlertRules(self.store)

    def alerts(self) -> Alerts:
        return Alerts(self.store)

    def customers_of_decisions(self, decision_ids: list[str]) -> list[str]:
        ids: set[str] = set()
        for decision in decision_ids:
            for row in self.store.run("resolve/decision", {"id": decision}):
                ids.update(row.get("customers") or [])
        return sorted(ids)

    async def count_customers(self, where: CustomerFilter, visibility: Visibility) -> int:
        key = (where, visibility)
        cached = self._counts.get(key)
        if cached and time.monotonic() - cached[0] < COUNT_TTL_S:
            return cached[1]
        total = await asyncio.to_thread(self.service.count, where, visibility)
        self._counts[key] = (time.monotonic(), total)
        return total

    async def publish(self, kind: str, key: str, data: dict[str, Any]) -> str:
        """Publish an event, then run the alert rules on it (alerts are idempotent per
        rule and event, so a replay raises nothing twice)."""
        event_id = await self.hub.publish(kind, key, data)
        self.metrics.events.labels(kind).inc()
        if self._engine is not None and kind != ALERT_RAISED:
            event = Event(id=event_id, kind=kind, key=key, at=int(time.time() * 1000), data=data)
            await self._engine.aevaluate(event)  # publishes alert.raised through the hub
        return event_id


# -- GraphQL protections ---------------------------------------------------------------------
class QueryLimits(SchemaExtension):
    """Refuses, before validation and execution, a query that nests deeper than
    `max_depth`, uses more than `max_aliases` aliases, or whose estimated cost (fields,
    each multiplied by the page sizes above it) is over `max_cost`. One walk of the
    document; stateless between requests, so validation itself can be cached."""

    def __init__(self, max_depth: int, max_cost: int, max_aliases: int = 30,
                 default_page: int = 20) -> None:  # fmt: skip
        self.max_depth = max_depth
        self.max_cost = max_cost
        self.max_aliases = max_aliases
        self.default_page = default_page
        self.depth = 0
        self.aliases = 0

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        document = context.graphql_document
        if document is not None:
            fragments = {
                d.name.value: d
                for d in document.definitions
                if isinstance(d, FragmentDefinitionNode)
            }
            variables = context.variables or {}
            for definition in document.definitions:
                if not isinstance(definition, OperationDefinitionNode):
                    continue
                if (
                    context.operation_name
                    and definition.name
                    and definition.name.value != context.operation_name
                ):
                    continue
                cost = self._walk(definition.selection_set, fragments, variables, 1)
                if self.depth > self.max_depth:
                    raise GraphQLError(
                        f"query depth {self.depth} is over the limit of {self.max_depth}",
                        extensions={"code": "QUERY_TOO_COMPLEX"},
                    )
                if self.aliases > self.max_aliases:
                    raise GraphQLError(
                        f"{self.aliases} aliases, the limit is {self.max_aliases}",
                        extensions={"code": "QUERY_TOO_COMPLEX"},
                    )
                if cost > self.max_cost:
                    raise GraphQLError(
                        f"query cost {cost} is over the limit of {self.max_cost}: ask for "
                        "smaller pages or fewer fields",
                        extensions={"code": "QUERY_TOO_COMPLEX"},
                    )
        yield

    def _walk(
        self, selection: SelectionSetNode | None, fragments: dict[str, FragmentDefinitionNode],
        variables: dict[str, Any], depth: int, seen: frozenset[str] = frozenset(),
    ) -> int:  # fmt: skip
        if selection is None:
            return 0
        self.depth = max(self.depth, depth)
        if depth > self.max_depth:
            return 0  # already refused; do not walk a hostile document further
        total = 0
        for node in selection.selections:
            if isinstance(node, FieldNode):
                self.aliases += node.alias is not None
                multiplier = 1
                for argument in node.arguments or ():
                    if argument.name.value == "first":
                        value = argument.value
                        if isinstance(value, IntValueNode):
                            multiplier = int(value.value)
                        elif isinstance(value, VariableNode):
                            given = variables.get(value.name.value)
                            # `first` of a page is an Int; elsewhere (merge) it is an id
                            multiplier = given if isinstance(given, int) else self.default_page
                inner = self._walk(node.selection_set, fragments, variables, depth + 1, seen)
                total += 1 + max(multiplier, 1) * inner
            elif isinstance(node, InlineFragmentNode):
                total += self._walk(node.selection_set, fragments, variables, depth, seen)
            elif isinstance(node, FragmentSpreadNode):
                name = node.name.value
                if name in fragments and name not in seen:  # cycles are validation's to refuse
                    total += self._walk(
                        fragments[name].selection_set, fragments, variables, depth, seen | {name}
                    )
        return total


class ValidationByText(SchemaExtension):
    """Each query text is validated once (per set of rules). Strawberry's ValidationCache
    keys its cache by the parsed document, and a graphql-core document hashes its whole
    tree on every look-up (3% of an API process's time under the 360 view); the text is
    the same key, hashed in C. Bounded: a full cache starts again empty."""

    def __init__(self, validated: dict[tuple[str, Any], list[GraphQLError]], most: int) -> None:
        self.validated = validated
        self.most = most

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        document = context.graphql_document
        if context.query is not None and document is not None and context.validation_rules:
            key = (context.query, context.validation_rules)
            errors = self.validated.get(key)
            if errors is None:
                if len(self.validated) >= self.most:
                    self.validated.clear()
                errors = validate_document(
                    context.schema._schema, document, context.validation_rules
                )
                self.validated[key] = errors
            context.pre_execution_errors = errors
        yield


class AuditPiiReads(SchemaExtension):
    """One audit entry per operation listing the customers whose personal data it read."""

    def on_execute(self) -> Iterator[None]:
        yield
        context = self.execution_context.context
        if isinstance(context, Context) and context.pii_reads and context._principal is not None:
            targets = sorted(context.pii_reads)
            context.pii_reads.clear()
            context.state.audit.record_soon(
                context._principal, "pii.read", ",".join(targets[:50]),
                fields=["email", "phone", "dob", "address"], detail={"customers": len(targets)},
            )  # fmt: skip


_PARAM_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")


class CypherQuery(BaseModel):
    query: str = Field(min_length=1, max_length=20_000, description="Read-only Cypher.")
    params: dict[str, Any] = Field(
        default_factory=dict,
        description="$parameters: plain names; values JSON (no empty map keys).",
    )

    @field_validator("params")
    @classmethod
    def _plain_names(cls, params: dict[str, Any]) -> dict[str, Any]:
        bad = [name for name in params if not _PARAM_NAME.match(name)]
        if bad:
            raise ValueError(f"parameter names must be plain identifiers: {bad[:5]}")
        return params


class CypherResult(BaseModel):
    rows: list[dict[str, Any]]
    truncated: bool
    row_cap: int


class ErrorBody(BaseModel):
    errors: list[dict[str, Any]]


def error_response(
    status: int, code: str, message: str, headers: dict[str, str] | None = None
) -> JSONResponse:
    """The one error shape, for REST as for GraphQL: errors[].message and extensions.code."""
    return JSONResponse(
        {"errors": [{"message": message, "extensions": {"code": code}}]}, status_code=status,
        headers=headers,
    )  # fmt: skip


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    code: {"model": ErrorBody, "description": text}
    for code, text in (
        (400, "bad input"), (401, "no, malformed, bad or expired token"), (403, "not allowed"),
        (422, "the body does not fit the schema"), (429, "rate limited"), (504, "timed out"),
    )
}  # fmt: skip


_CLOSE = (b"connection", b"close")


class Guard:
    """Pure ASGI middleware (Starlette's BaseHTTPMiddleware costs a task group and a
    stream per request): the token and rate limit of every API call are checked before
    any work, the request timeout applies, and every request is counted and timed."""

    def __init__(self, app: ASGIApp, state: ApiState, graphql: ASGIApp) -> None:
        self.app = app
        self.state = state
        self.graphql = graphql
        settings = state.settings
        # Connections to rebalance: 32 kept-alive connections opened at once went 20/12
        # to two workers (accepts race), and the busier one's clients waited longer.
        self.close_one_in = settings.api_keepalive_requests if settings.api_workers > 1 else 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path")
        # /graphql goes straight to Strawberry's ASGI app: through FastAPI's router and
        # its dependency injection a 360 view cost about 15% more (174 -> 201 views/s).
        target = self.graphql if path == "/graphql" else self.app
        if scope["type"] != "http":
            await target(scope, receive, send)
            return
        route = path if path in _ROUTES else "other"
        started = time.perf_counter()
        status = 500

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                if self.close_one_in and random.random() * self.close_one_in < 1:
                    message = {**message, "headers": [*message.get("headers", ()), _CLOSE]}
            await send(message)

        try:
            if route in ("/graphql", "/cypher") and scope["method"] == "POST":
                refused = await self._admit(scope)
                if refused is not None:
                    await refused(scope, receive, sending)
                    return
            timeout = self.state.settings.request_timeout_s
            try:
                async with asyncio.timeout(timeout):  # no task per request, as wait_for makes
                    await target(scope, receive, sending)
            except TimeoutError:
                if status == 500:  # nothing sent yet: say why
                    await error_response(504, "TIMEOUT", f"the request took over {timeout} s")(
                        scope, receive, sending
                    )
        finally:
            metrics = self.state.metrics
            metrics.requests.labels(route, str(status)).inc()
            metrics.latency.labels(route).observe(time.perf_counter() - started)

    async def _admit(self, scope: Scope) -> JSONResponse | None:
        header = next(
            (v.decode("latin-1") for k, v in scope["headers"] if k == b"authorization"), None
        )
        try:
            principal = self.state.verifier.principal_from_header(header)
        except AuthError as exc:
            return error_response(exc.http_status, exc.code, exc.message)
        scope.setdefault("state", {})["principal"] = principal
        return await _rate_limit(self.state, principal.sub)


def redis_client(url: str, *, wait_s: float) -> aioredis.Redis:
    """The API's Redis client (rate limits, audit, events, webhooks). A burst past its
    pool waits up to `wait_s` for a connection: redis-py's default pool refuses the
    101st concurrent command, and 150 subscribers resuming at once after a restart (each
    reading the stream's history) lost 50 of their subscriptions to it."""
    pool = aioredis.BlockingConnectionPool.from_url(
        url, decode_responses=False, max_connections=REDIS_CONNECTIONS, timeout=wait_s
    )
    return aioredis.Redis.from_pool(pool)


def create_app(
    settings: Settings, store: GraphStore, redis_url: str, *, run_workers: bool = True
) -> FastAPI:
    """The API over an open store and a Redis; `run_workers` starts webhook deliveries
    in this process too (one process of a deployment is enough, more share the work)."""
    client = redis_client(redis_url, wait_s=settings.request_timeout_s)
    verifier = (
        TokenVerifier(jwks_url=settings.jwks_url, audience=settings.jwt_audience)
        if settings.jwks_url
        else TokenVerifier(secret=jwt_secret(settings), audience=settings.jwt_audience)
    )
    metrics = Metrics()
    state = ApiState(
        settings=settings, store=store, redis=client, verifier=verifier,
        service=CustomerService(store),
        writes=writes_for(settings, store, GraphWrites(store, Quarantine(settings.quarantine_dir))),
        hub=EventHub(client, on_count=metrics.subscribers.set),
        audit=AuditLog(client), limiter=RateLimiter(client, per_minute=settings.rate_per_minute),
        webhooks=Webhooks(store, client), metrics=metrics,
    )  # fmt: skip
    state._engine = AlertEngine(store, publish=state.hub.publish)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        # Store calls run in worker threads and wait on the graph server, not on the CPU.
        asyncio.get_running_loop().set_default_executor(
            ThreadPoolExecutor(STORE_THREADS, thread_name_prefix="c360-store")
        )
        await state.hub.start()
        if isinstance(state.writes, SorWrites):  # the SoR's change path into the graph
            state.writes.start()
        tasks = [asyncio.create_task(state.webhooks.run_forever())] if run_workers else []
        log.info(json.dumps({"event": "api.started", "workers": run_workers}))
        try:
            yield
        finally:
            state.webhooks.stop()
            for task in tasks:
                task.cancel()
                with suppress(asyncio.CancelledError, Exception):
                    await task
            await state.webhooks.aclose()
            if isinstance(state.writes, SorWrites):
                await asyncio.to_thread(state.writes.close)
            await state.hub.stop()
            await client.aclose()
            await store.aclose()
            if MULTIPROCESS_DIR in os.environ:  # its live gauges stop counting
                multiprocess.mark_process_dead(os.getpid())  # type: ignore[no-untyped-call]

    validated: dict[tuple[str, Any], list[GraphQLError]] = {}
    schema = build_schema(
        [  # factories: each operation gets fresh extension instances
            lambda: MaxTokensLimiter(max_token_count=5_000),
            lambda: QueryLimits(settings.max_query_depth, settings.max_query_cost),
            AuditPiiReads,
            # Clients send the same few documents again and again: parse and validate
            # each once (validation was most of a 360 view's CPU time).
            lambda: ParserCache(maxsize=512),
            lambda: ValidationByText(validated, most=512),
        ]
    )

    class GraphQLApp(GraphQL[Context, None]):
        # orjson: the largest of 200 sampled 360 views encodes in 6 us, the stdlib took 80.
        # Text, not bytes: Strawberry sends bytes over a WebSocket as binary frames.
        def encode_json(self, data: object) -> str:
            return orjson.dumps(data).decode()

        def decode_json(self, data: str | bytes) -> object:
            return orjson.loads(data)

        async def get_context(self, request: Any, response: Any) -> Context:
            # The Guard has checked the token of a POST; anything else brings its own.
            admitted = request.scope.get("state", {}).get("principal")
            if admitted is not None:
                return Context(state=state, _principal=admitted)
            return Context(state=state, authorization=request.headers.get("authorization"))

        async def on_ws_connect(self, context: Context) -> Any:
            try:  # a bad token and a missing permission both arrive as GraphQLError
                context.require(Permission.SUBSCRIBE)
            except GraphQLError as exc:
                raise ConnectionRejectionError(
                    {"message": exc.message, "code": (exc.extensions or {}).get("code")}
                ) from None
            return None

    graphql = GraphQLApp(schema, allow_queries_via_get=False)

    app = FastAPI(
        title="c360", version="0.1.0", lifespan=lifespan,
        description="Customer 360 over a property graph. GraphQL (queries, mutations, "
        "subscriptions over graphql-transport-ws) at /graphql; this page documents the REST part.",
    )  # fmt: skip
    app.state.c360 = state

    @app.exception_handler(RequestValidationError)
    async def invalid_body(_: Request, exc: RequestValidationError) -> JSONResponse:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e.get('loc', ()))}: {e.get('msg')}"
            for e in exc.errors()[:5]
        )
        return error_response(422, "BAD_INPUT", problems or "the body does not fit the schema")

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = {404: "NOT_FOUND", 405: "METHOD_NOT_ALLOWED"}.get(exc.status_code, "HTTP_ERROR")
        return error_response(exc.status_code, code, str(exc.detail))

    app.add_middleware(Guard, state=state, graphql=graphql)

    @app.get("/healthz", responses=ERROR_RESPONSES)
    async def healthz() -> dict[str, str]:
        """The process is up."""
        return {"status": "ok"}

    @app.get("/readyz", responses={503: {"model": ErrorBody, "description": "not ready"}})
    async def readyz() -> Response:
        """The graph store and the cache answer."""
        checks: dict[str, str] = {}
        try:
            await asyncio.wait_for(asyncio.to_thread(store.run_cypher, "RETURN 1 AS one"), 2.0)
            checks["graph"] = "ok"
        except Exception as exc:  # readiness reports, it does not raise
            checks["graph"] = f"failed: {exc}"
        try:
            await asyncio.wait_for(client.ping(), 2.0)
            checks["cache"] = "ok"
        except Exception as exc:
            checks["cache"] = f"failed: {exc}"
        ready = all(v == "ok" for v in checks.values())
        return JSONResponse({"status": "ready" if ready else "not ready", "checks": checks},
                            status_code=200 if ready else 503)  # fmt: skip

    @app.get("/metrics", response_class=Response)
    async def prometheus() -> Response:
        """Prometheus metrics of the API (all its worker processes)."""
        return Response(metrics.exposition(), media_type=CONTENT_TYPE_LATEST)

    @app.post("/cypher", response_model=CypherResult, responses=ERROR_RESPONSES)
    async def cypher(body: CypherQuery, request: Request) -> Response:
        """Read-only Cypher for analysts: writes are refused before they reach the store,
        the store runs it read-only with a timeout, and at most the row cap comes back."""
        principal = request.state.principal
        try:
            principal.require(Permission.RUN_CYPHER)
        except AuthError as exc:
            return error_response(exc.http_status, exc.code, exc.message)
        try:
            refuse_writes(body.query)
        except PermissionError as exc:
            return error_response(400, "WRITE_REFUSED", str(exc))
        try:
            rows = await asyncio.to_thread(store.run_cypher, body.query, body.params)
        except ValueError as exc:  # a parameter value the store cannot encode
            return error_response(400, "BAD_INPUT", f"params: {exc}")
        except GraphStoreError as exc:
            text = str(exc)
            code = (
                "TIMEOUT"
                if "timed out" in text.lower() or "timeout" in text.lower()
                else "CYPHER_ERROR"
            )
            return error_response(504 if code == "TIMEOUT" else 400, code, text)
        await state.audit.record(
            principal, "cypher.read", "graph", detail={"query": body.query[:500]}
        )
        cap = settings.cypher_max_rows
        return JSONResponse(
            json.loads(
                json.dumps(
                    {"rows": rows[:cap], "truncated": len(rows) > cap, "row_cap": cap}, default=str
                )
            )
        )

    serve_web_app(app, REPO_ROOT / "web" / "dist")
    return app


_ROUTES = {"/graphql", "/cypher", "/healthz", "/readyz", "/metrics"}
# First path segments that belong to the API: never answered with the web app's page.
_API_PREFIXES = {"graphql", "cypher", "healthz", "readyz", "metrics", "docs", "redoc",
                 "openapi.json", "webhooks"}  # fmt: skip


def serve_web_app(app: FastAPI, dist: Path) -> None:
    """The reps' app (`make web` builds web/dist) at `/`: its files, gzipped where the build
    left a .gz beside them, and index.html for the app's own routes (/customers/C1...).
    Registered after every API route, so it shadows none; without a build, nothing."""
    if not (dist / "index.html").is_file():
        return
    root = dist.resolve()

    @app.get("/{path:path}", include_in_schema=False)
    async def web_app(path: str, request: Request) -> Response:
        if path.split("/", 1)[0] in _API_PREFIXES:
            return error_response(404, "NOT_FOUND", f"no route /{path}")
        file = (root / path).resolve()
        if not (path and file.is_file() and root in file.parents):
            file = root / "index.html"  # a client-side route
        immutable = file.parent.name == "assets"  # names carry a content hash
        headers = {
            "Cache-Control": "public, max-age=31536000, immutable" if immutable else "no-cache"
        }
        gz = file.with_name(file.name + ".gz")
        if "gzip" in request.headers.get("accept-encoding", "") and gz.is_file():
            headers["Content-Encoding"] = "gzip"
            headers["Vary"] = "Accept-Encoding"
            media = mimetypes.guess_type(file.name)[0] or "application/octet-stream"
            return FileResponse(gz, media_type=media, headers=headers)
        return FileResponse(file, headers=headers)


async def _rate_limit(state: ApiState, client_id: str) -> JSONResponse | None:
    """Per client (the token's subject), shared by every API process through Redis."""
    decision = await state.limiter.hit(client_id)
    if decision.allowed:
        return None
    retry = max(1, math.ceil(decision.retry_after_s))
    return error_response(
        429, "RATE_LIMITED", f"over {state.settings.rate_per_minute} requests a minute; retry in {retry} s",
        headers={"Retry-After": str(retry)},
    )  # fmt: skip
