"""The one settings object. Every `C360_*` environment variable is read here and only here.

This module imports nothing of ours, so every package may import it; adapters still
receive what they need as arguments from the wiring in `c360.wiring`.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

REPO_ROOT = Path(__file__).resolve().parent.parent


def api_workers_for(settings: dict[str, Any]) -> int:
    """The API's worker processes by default: one per CPU core, at most 8, less one core
    left to the embedded graph server when it runs here (no `graph_uri`). On two cores
    with the embedded server, the 360 view at 32 clients, alternating: one process
    809-863 views/s at p99 54-64 ms, two 802-832 views/s at p99 77-80 ms (the graph
    server takes ~45% of a view's CPU, and two loops contend with it for the cores)."""
    cores = os.cpu_count() or 1
    left_to_graph = 0 if settings.get("graph_uri") else 1
    return max(1, min(8, cores - left_to_graph))


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="C360_", extra="ignore")

    home: Path = Field(
        default=Path("~/.c360"),
        description="Where the embedded graph server keeps its data, logs and quarantine.",
    )
    graph_uri: str | None = Field(
        default=None,
        description="Empty: the embedded FalkorDB. bolt://... or neo4j://...: Neo4j 5. "
        "redis://host:port: an already running FalkorDB server.",
    )
    graph_name: str = Field(default="c360", description="Graph (FalkorDB) or database (Neo4j).")
    neo4j_user: str = "neo4j"
    neo4j_password: str = ""
    neo4j_database: str | None = Field(
        default=None, description="Neo4j database; empty: the server default."
    )
    query_timeout_ms: int = Field(default=60_000, ge=0, description="0 means no limit.")
    batch_size: int = Field(default=2_000, ge=1, le=50_000)
    falkordb_fsync: Literal["everysec", "always", "no"] = Field(
        default="everysec",
        description="AOF fsync policy of the embedded server: everysec may lose up to a "
        "second of writes on a hard kill; always loses none and is slower.",
    )
    cypher_dir: Path = REPO_ROOT / "cypher"
    # --- system of record and change data capture (c360 capture, c360 apply) ------------
    sor_url: str | None = Field(
        default=None,
        description="The system of record (SQLAlchemy URL: postgresql+psycopg://..., "
        "mssql+pyodbc://..., sqlite:///path). Capture reads its log; when set, the API "
        "writes interactions and corrections there (SQLite: relayed to the graph "
        "in-process through its outbox).",
    )
    kafka_bootstrap: str | None = Field(
        default=None, description="Kafka bootstrap servers the capture and apply workers share."
    )
    kafka_consumer_config: dict[str, str | int | float | bool] = Field(
        default_factory=dict,
        description="librdkafka consumer properties over the bus's defaults, as JSON (e.g. "
        '{"fetch.wait.max.ms": 500, "security.protocol": "SASL_SSL"}).',
    )
    cdc_topic_prefix: str = "c360"
    cdc_slot: str = Field(default="c360_capture", description="PostgreSQL replication slot.")
    apply_group: str = "c360-apply"
    apply_full_run_fraction: float = Field(
        default=0.25,
        ge=0,
        description="A catch-up backlog of at least this part of the graph's records is "
        "resolved by one full run instead of record by record (a full run costs about a "
        "quarter per record); above 1: never.",
    )
    metrics_port: int = Field(
        default=0,
        ge=0,
        le=65535,
        description="Where c360 capture / c360 apply serve Prometheus /metrics (all "
        "interfaces); 0: not served. One port per process.",
    )
    # --- the API (c360 serve) -----------------------------------------------------------
    redis_url: str | None = Field(
        default=None,
        description="Cache/PubSub (subscription fan-out, rate limits, audit, webhook "
        "deliveries). Empty: the embedded FalkorDB process, which is a Redis server too.",
    )
    api_host: str = "127.0.0.1"
    api_port: int = Field(default=8360, ge=0, le=65535)
    api_workers: int = Field(
        default_factory=api_workers_for, ge=1, le=64,
        description="API worker processes; default one per CPU core, at most 8, less one "
        "for the embedded graph server.",
    )  # fmt: skip
    api_keepalive_requests: int = Field(
        default=100, ge=0,
        description="With several API workers: a kept-alive connection is closed after about "
        "this many requests (each response 1 in N), so its client reconnects to whichever "
        "worker accepts first, the least busy; a connection stays with the worker that "
        "accepted it. 0: never closed.",
    )  # fmt: skip
    jwt_secret: str | None = Field(
        default=None,
        description="HS256 secret for bearer tokens. Empty and no JWKS URL: a random "
        "secret kept in <home>/jwt_secret, shared by `c360 serve` and `c360 token`.",
    )
    jwks_url: str | None = Field(
        default=None, description="Production: verify RS256/ES256 tokens with this JWKS."
    )
    jwt_audience: str = "c360"
    rate_per_minute: int = Field(default=6_000, ge=1, description="Requests per client.")
    max_page_size: int = Field(default=100, ge=1, le=1_000)
    max_query_depth: int = Field(default=10, ge=2)
    max_query_cost: int = Field(default=5_000, ge=10)
    request_timeout_s: float = Field(default=15.0, gt=0)
    api_query_timeout_ms: int = Field(
        default=5_000, ge=0, description="Graph query timeout for API reads and writes."
    )
    cypher_max_rows: int = Field(default=1_000, ge=1, description="Row cap of POST /cypher.")
    log_level: str = "INFO"

    @property
    def home_dir(self) -> Path:
        return self.home.expanduser()

    @property
    def cdc_offsets_file(self) -> Path:
        return self.home_dir / "cdc" / "offsets.dat"

    @property
    def jwt_secret_file(self) -> Path:
        return self.home_dir / "jwt_secret"

    @property
    def quarantine_dir(self) -> Path:
        return self.home_dir / "quarantine"
