"""FalkorDB adapter of the GraphStore port, over the native `falkordb` client."""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any
from weakref import WeakKeyDictionary

import redis
import redis.asyncio as aioredis
from falkordb import Edge, FalkorDB, Node, Path
from falkordb.helpers import stringify_param_value
from redis.asyncio.retry import Retry as AsyncRetry
from redis.backoff import ExponentialWithJitterBackoff

from graph.catalogue import Catalogue, split_statements
from graph.encoding import cypher_literal, rows_header
from graph.errors import GraphStoreError, MissingParameter, ReadOnlyViolation
from graph.model import NODE_KEYS
from graph.store import CatalogueStore, FulltextSyntax, Row, check_identifier

log = logging.getLogger(__name__)

# A node index `FOR (n:Label)` or a relationship index `FOR ()-[r:TYPE]-()`: db.indexes()
# lists both by their label or type.
_CREATE_INDEX = re.compile(
    r"CREATE\s+INDEX\s+FOR\s+(?:\((\w+):(?P<label>\w+)\)|\(\)-\[\w+:(?P<type>\w+)\]-\(\))"
    r"\s+ON\s+\((\w+)\.(?P<prop>\w+)\)",
    re.I,
)
_CREATE_FULLTEXT = re.compile(
    r"db\.idx\.fulltext\.createNodeIndex\(\s*\{\s*label:\s*'(?P<label>\w+)'.*?'(?P<prop>\w+)'\s*\)",
    re.I | re.S,
)


# Connections of `arun`'s client per event loop: more would only queue in the server,
# which runs as many queries at once as it has threads (one per core).
ASYNC_CONNECTIONS = 32
# FalkorDB's own default for DELTA_MAX_PENDING_CHANGES, put back if a `settle` that was
# cut short left the setting at 1.
_DEFAULT_PENDING_CHANGES = 10_000
# FalkorDB's error on a graph that does not exist yet (read: nothing to read).
_NO_GRAPH = "empty key"
_SCALARS = frozenset({str, int, float, bool, type(None)})
# Value types of FalkorDB's compact result format.
_NULL, _STRING, _INTEGER, _BOOLEAN, _DOUBLE, _ARRAY, _MAP = 1, 2, 3, 4, 5, 6, 10


def to_python(value: Any) -> Any:
    """Nodes and edges become property dicts (with `_labels` / `_type`); paths, lists."""
    if type(value) in _SCALARS:  # most values: one lookup instead of five isinstance
        return value
    if isinstance(value, Node):
        return {**value.properties, "_labels": list(value.labels or [])}
    if isinstance(value, Edge):
        return {**value.properties, "_type": value.relation}
    if isinstance(value, Path):
        return [to_python(n) for n in value.nodes()]
    if isinstance(value, list):
        return [to_python(v) for v in value]
    if isinstance(value, dict):
        return {k: to_python(v) for k, v in value.items()}
    return value


def encode_params(params: dict[str, Any]) -> str:
    """The `CYPHER a=... b=... ` header FalkorDB takes parameters in."""
    return "CYPHER " + " ".join(f"{k}={_literal(v)}" for k, v in params.items()) + " "


def _literal(value: Any) -> str:
    # Our encoder is 1.6x faster than the client's on the large rows resolution writes;
    # the client's takes what ours refuses (numpy scalars and the like).
    try:
        return cypher_literal(value)
    except TypeError:
        return str(stringify_param_value(value))


def _retry() -> AsyncRetry:
    """What redis-py gives a client that builds its own pool (a given pool's connections
    get none): a connection the server dropped while idle is retried on a fresh one."""
    return AsyncRetry(ExponentialWithJitterBackoff(base=0.01, cap=1), retries=10)


class FalkorDBStore(CatalogueStore):
    backend = "falkordb"
    # RediSearch: %w% matches within one edit; w* is a prefix.
    fulltext_syntax = FulltextSyntax(fuzzy="%{w}%", prefix="{w}*", either="({prefix}|{fuzzy})",
                                     joiner=" ")  # fmt: skip

    def __init__(
        self,
        catalogue: Catalogue,
        *,
        host: str = "127.0.0.1",
        port: int = 6379,
        graph_name: str = "c360",
        query_timeout_ms: int = 60_000,
        on_connection_error: Callable[[], None] | None = None,
    ) -> None:
        self.catalogue = catalogue
        self.graph_name = graph_name
        self.query_timeout_ms = query_timeout_ms
        # Client-side guard too: FalkorDB's own timeout does not cover a stalled socket.
        socket_timeout = query_timeout_ms / 1000 + 30 if query_timeout_ms else None
        self.db = FalkorDB(host=host, port=port, socket_timeout=socket_timeout)
        self.host, self.port, self.socket_timeout = host, port, socket_timeout
        self._async: WeakKeyDictionary[asyncio.AbstractEventLoop, aioredis.Redis] = (
            WeakKeyDictionary()
        )
        self.graph = self.db.select_graph(graph_name)
        # Called when the connection breaks, e.g. to turn it into GraphServerCrashed.
        self._on_connection_error = on_connection_error

    def write_encoded(self, name: str, encoded_rows: list[Any]) -> None:
        """The ingest hot path: rows were encoded as Cypher literals by worker processes,
        so here they are only joined into the parameter header."""
        statement = self.catalogue.get(name)
        if statement.parameters - {"rows"}:
            raise MissingParameter(f"statement {name!r} needs more than $rows: use run()")
        self._command(statement.name, "GRAPH.QUERY", rows_header(encoded_rows) + statement.text)

    def linked_components(self, label: str, key: str, rel_type: str) -> dict[str, int]:
        """In-database `algo.WCC`; nodes without a `rel_type` edge are left out."""
        check_identifier(label, key, rel_type)
        rows = self._execute(
            "linked components",
            f"CALL algo.wcc({{nodeLabels: ['{label}'], relationshipTypes: ['{rel_type}']}}) "
            f"YIELD node, componentId RETURN node.{key} AS key, componentId AS component",
            {},
            read_only=True,
        )
        # WCC puts every node in a component; one of its own means it has no such edge.
        sizes = Counter(row["component"] for row in rows)
        return {row["key"]: int(row["component"]) for row in rows if sizes[row["component"]] > 1}

    def ensure_schema(self) -> None:
        existing = self._existing_indexes()
        for ddl in split_statements(self.catalogue.schema_file("falkordb").read_text()):
            match = _CREATE_INDEX.search(ddl) or _CREATE_FULLTEXT.search(ddl)
            indexed = match and (match["label"] or match.groupdict().get("type"), match["prop"])
            if indexed in existing:
                continue  # FalkorDB's CREATE INDEX is not idempotent
            self.run_cypher(ddl, read_only=False)
        self._ensure_unique_constraints()

    def _fulltext_call(self, label: str) -> str:
        return f"CALL db.idx.fulltext.queryNodes('{label}', $q) YIELD node, score"

    def clear(self) -> None:
        try:
            self.graph.delete()
        except redis.ResponseError as exc:
            if "empty key" not in str(exc).lower() and "invalid graph" not in str(exc).lower():
                raise
        self.graph = self.db.select_graph(self.graph_name)

    def settle(self) -> None:
        """Make FalkorDB fold the node additions a bulk job left pending.

        FalkorDB 4.16 keeps new entries of a matrix in a delta beside it and folds the
        delta in once it holds DELTA_MAX_PENDING_CHANGES entries. After a statement that
        creates thousands of nodes the node-label delta keeps them as unmerged tuples
        that this count misses, so it is never folded, and every later statement that
        creates a node and then sets its properties merges all of them again: after a
        full resolution of 100,000 people `ingest/create_records` took 6-9 ms instead
        of 0.7-0.9, an attach 2x as long, until the server restarted. One write while
        the threshold is 1 folds that delta in (0.4 s there); the threshold is
        server-wide, so other writers in that moment fold theirs too, which is only
        slower.
        """
        started = time.perf_counter()
        client = self.db.connection
        name = "DELTA_MAX_PENDING_CHANGES"
        with self._errors_named("settle", "GRAPH.CONFIG"):
            previous = int(client.execute_command("GRAPH.CONFIG", "GET", name)[1])
            if previous <= 1:  # left so by a settle that did not finish
                previous = _DEFAULT_PENDING_CHANGES
            client.execute_command("GRAPH.CONFIG", "SET", name, 1)
            try:
                self.run_cypher("CREATE (n) DELETE n", read_only=False)
            finally:
                client.execute_command("GRAPH.CONFIG", "SET", name, previous)
        log.info("settled the graph's pending matrix changes in %.2f s",
                 time.perf_counter() - started)  # fmt: skip

    def close(self) -> None:
        self.db.connection.close()

    async def arun(self, name: str, params: dict[str, Any] | None = None) -> list[Row]:
        """`run` over an asyncio client: no worker thread to hand the call to and back
        from, each hand-off waiting for the GIL behind the event loop (the 360 view,
        2 API processes, 32 clients: 765-847 -> 824-920 views/s)."""
        statement, params = self._statement(name, params)
        read_only = not statement.writes
        command = "GRAPH.RO_QUERY" if read_only else "GRAPH.QUERY"
        arguments = self._arguments(command, self._query(statement.text, params))
        try:
            with self._errors_named(statement.name, command):
                response = await self._async_client().execute_command(*arguments)  # type: ignore[no-untyped-call]
        except GraphStoreError as exc:
            if read_only and _NO_GRAPH in str(exc):
                return []
            raise
        return self._rows(response)

    async def aclose(self) -> None:
        client = self._async.pop(asyncio.get_running_loop(), None)
        if client is not None:
            await client.aclose()

    def _async_client(self) -> aioredis.Redis:
        """One per event loop (an asyncio connection belongs to the loop that opened it;
        tests serve apps in several threads, each with its loop, over one store)."""
        loop = asyncio.get_running_loop()
        client = self._async.get(loop)
        if client is None:
            # A burst past the pool's size waits for a connection (redis-py's default
            # pool refuses the 101st concurrent command). Decoded, as the falkordb client's.
            pool = aioredis.BlockingConnectionPool(
                host=self.host, port=self.port, socket_timeout=self.socket_timeout,
                decode_responses=True, max_connections=ASYNC_CONNECTIONS,
                timeout=self.socket_timeout, retry=_retry(),
            )  # fmt: skip
            client = self._async[loop] = aioredis.Redis.from_pool(pool)  # owns it
        return client

    # -- internals ---------------------------------------------------------------
    def _execute(
        self, what: str, text: str, params: dict[str, Any], *, read_only: bool
    ) -> list[Row]:
        command = "GRAPH.RO_QUERY" if read_only else "GRAPH.QUERY"
        try:
            response = self._command(what, command, self._query(text, params))
        except GraphStoreError as exc:
            if read_only and _NO_GRAPH in str(exc):
                return []  # the graph does not exist yet: nothing to read
            raise
        return self._rows(response)

    @staticmethod
    def _query(text: str, params: dict[str, Any]) -> str:
        return (encode_params(params) if params else "") + text

    def _rows(self, response: Any) -> list[Row]:
        if (
            len(response) != 3
            or isinstance(response[0], redis.ResponseError)
            or isinstance(response[-1], redis.ResponseError)
        ):
            # No result set (a write's statistics only), or an error the client raises.
            from falkordb.query_result import QueryResult

            QueryResult(self.graph, response)
            return []
        header, rows, _ = response
        columns = [str(h[1] if isinstance(h, list | tuple) else h) for h in header]
        cell = self._cell
        return [dict(zip(columns, [cell(v) for v in row], strict=True)) for row in rows]

    def _cell(self, value: Any) -> Any:
        """One value of a compact result: the scalar types parsed here (the client's
        parser, then `to_python`, cost about twice as much on large reads); nodes,
        edges, paths and the rest by the client, as `to_python` gives them."""
        kind, raw = value[0], value[1]
        if kind == _STRING:
            return raw.decode() if isinstance(raw, bytes) else raw
        if kind == _INTEGER:
            return int(raw)
        if kind == _NULL:
            return None
        if kind == _ARRAY:
            return [self._cell(v) for v in raw]
        if kind == _DOUBLE:
            return float(raw)
        if kind == _BOOLEAN:
            return (raw.decode() if isinstance(raw, bytes) else raw) == "true"
        if kind == _MAP:
            keys = [k.decode() if isinstance(k, bytes) else str(k) for k in raw[::2]]
            return dict(zip(keys, [self._cell(v) for v in raw[1::2]], strict=True))
        from falkordb.query_result import parse_scalar

        return to_python(parse_scalar(value, self.graph))

    def _command(self, what: str, command: str, query: str) -> Any:
        with self._errors_named(what, command):
            return self.graph.execute_command(*self._arguments(command, query))

    def _arguments(self, command: str, query: str) -> list[Any]:
        args: list[Any] = [command, self.graph_name, query, "--compact"]
        if self.query_timeout_ms:
            args += ["timeout", self.query_timeout_ms]
        return args

    @contextmanager
    def _errors_named(self, what: str, command: str) -> Iterator[None]:
        """The client's errors (the same classes from the asyncio client) as ours."""
        try:
            yield
        except redis.ResponseError as exc:
            message = str(exc)
            if command == "GRAPH.RO_QUERY" and "read-only" in message.lower():
                raise ReadOnlyViolation(f"{what}: refused, it writes ({message})") from exc
            raise GraphStoreError(f"{what}: {message}") from exc
        except (redis.ConnectionError, redis.TimeoutError, OSError) as exc:
            if self._on_connection_error is not None:
                self._on_connection_error()  # raises GraphServerCrashed if the server died
            raise GraphStoreError(f"{what}: lost the FalkorDB connection: {exc}") from exc

    def _existing_indexes(self) -> set[tuple[str, str]]:
        rows = self.run_cypher("CALL db.indexes() YIELD label, properties RETURN label, properties")
        return {(r["label"], p) for r in rows for p in r["properties"]}

    def _ensure_unique_constraints(self) -> None:
        have = {
            (r["label"], tuple(r["properties"]))
            for r in self.run_cypher(
                "CALL db.constraints() YIELD type, label, properties, status "
                "RETURN type, label, properties, status"
            )
            if r["type"] == "UNIQUE"
        }
        for label, prop in NODE_KEYS.items():
            if (label.value, (prop,)) in have:
                continue
            self.graph.execute_command(
                "GRAPH.CONSTRAINT", "CREATE", self.graph_name, "UNIQUE", "NODE", label.value,
                "PROPERTIES", 1, prop,
            )  # fmt: skip
        self._wait_constraints_active()

    def _wait_constraints_active(self, timeout_s: float = 60.0) -> None:
        """Uniqueness constraints are built asynchronously; wait so later writes are checked."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            rows = self.run_cypher("CALL db.constraints() YIELD status RETURN status")
            failed = [r for r in rows if r["status"] == "FAILED"]
            if failed:
                raise GraphStoreError(
                    "a uniqueness constraint failed to build: the graph already holds "
                    "duplicate keys (see CALL db.constraints())"
                )
            if all(r["status"] == "OPERATIONAL" for r in rows):
                return
            time.sleep(0.05)
        raise GraphStoreError(f"uniqueness constraints not operational after {timeout_s}s")
