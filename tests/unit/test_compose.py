"""compose/ cannot run here (no Docker engine), so it is linted against the code: every
C360_* variable is a setting that accepts its value, every dependency and mounted file
exists, no two services publish one host port, and the Debezium Connect connector names
the tables, topics and envelope the capture and apply code use."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any, cast

import pytest
import yaml
from sqlalchemy import make_url

from c360.settings import REPO_ROOT, Settings
from graph.store import GraphStore
from ingest.sor.schema import TABLE_NAMES, metadata
from resolvers.identity import IdentityResolver
from workers.bus import MemoryBus
from workers.bus.kafka import DEFAULT_PARTITIONS
from workers.cdc.apply import LABELS, Apply
from workers.cdc.capture import (
    ENVELOPE_PROPERTIES,
    Capture,
    drop_database_segment,
    source_schema,
)

COMPOSE = REPO_ROOT / "compose"
VARIABLE = re.compile(r"\$\{(\w+)(?::?([-?])([^}]*))?\}")


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    loaded = yaml.safe_load((COMPOSE / "docker-compose.yml").read_text())
    assert isinstance(loaded, dict) and isinstance(loaded.get("services"), dict)
    return loaded


@pytest.fixture(scope="module")
def connector() -> dict[str, str]:
    loaded = json.loads((COMPOSE / "connect" / "sqlserver-connector.json").read_text())
    assert all(isinstance(v, str) for v in loaded.values()), "Connect wants string values"
    return cast(dict[str, str], loaded)


def interpolated(value: Any) -> str:
    """A value as compose would pass it with every required variable set ("x")."""
    return VARIABLE.sub(lambda m: m.group(3) if m.group(2) == "-" else "x", str(value))


def environment(service: dict[str, Any]) -> dict[str, str]:
    env = service.get("environment") or {}
    if isinstance(env, list):
        env = dict(item.split("=", 1) for item in env)
    return {str(k): interpolated(v) for k, v in env.items()}


def c360_env(compose: dict[str, Any], name: str) -> dict[str, str]:
    return {k: v for k, v in environment(compose["services"][name]).items()
            if k.startswith("C360_")}  # fmt: skip


def test_every_c360_variable_is_a_setting_that_takes_its_value(compose: dict[str, Any]) -> None:
    seen = 0
    for name in compose["services"]:
        values: dict[str, str] = {}
        for key, value in c360_env(compose, name).items():
            field = key.removeprefix("C360_").lower()  # pydantic-settings: prefix + field name
            assert field in Settings.model_fields, f"{name}: {key} is not a c360 setting"
            values[field] = value
        Settings.model_validate(values)  # raises, naming the field, on a value it refuses
        seen += len(values)
    assert seen > 0


def test_services_and_their_dependencies(compose: dict[str, Any]) -> None:
    services = compose["services"]
    wanted = {"sqlserver", "sor-init", "kafka", "connect", "connect-register", "capture",
              "neo4j", "redis", "apply", "api"}  # fmt: skip
    assert wanted <= set(services)
    for name, service in services.items():
        depends = service.get("depends_on") or {}
        for target in depends:
            assert target in services, f"{name} depends on {target}, which is no service"
            condition = depends[target].get("condition") if isinstance(depends, dict) else None
            if condition == "service_healthy":
                assert "healthcheck" in services[target], f"{target} has no health check"
            if condition == "service_completed_successfully":
                assert services[target].get("restart") == "no", f"{target} is no one-shot"
    assert services["sqlserver"]["environment"]["MSSQL_AGENT_ENABLED"] == "true"
    assert services["kafka"]["environment"]["KAFKA_PROCESS_ROLES"] == "broker,controller"
    assert services["connect"]["image"].startswith("quay.io/debezium/connect:")
    assert services["neo4j"]["image"].startswith("neo4j:5")
    assert services["api"]["command"] == ["c360", "serve"]
    assert services["apply"]["command"] == ["c360", "apply"]
    assert services["capture"]["command"] == ["c360", "capture"]


def _host_ports(spec: Any) -> list[int]:
    text = str(spec["published"]) if isinstance(spec, dict) else str(spec)
    parts = text.split(":")
    if len(parts) < 2:
        return []  # a container port only: nothing published on a fixed host port
    host = parts[-2]
    low, _, high = host.partition("-")
    return list(range(int(low), int(high or low) + 1))


def test_published_host_ports_do_not_collide(compose: dict[str, Any]) -> None:
    owner: dict[int, str] = {}
    for name, service in compose["services"].items():
        for spec in service.get("ports") or []:
            for port in _host_ports(spec):
                assert port not in owner, f"{name} and {owner[port]} both publish {port}"
                owner[port] = name
    assert {1433, 8083, 8360, 7687} <= set(owner)


def test_mounted_and_copied_files_exist(compose: dict[str, Any]) -> None:
    for name, service in compose["services"].items():
        for volume in service.get("volumes") or []:
            source = str(volume).split(":", 1)[0]
            if source.startswith("."):
                assert (COMPOSE / source).exists(), f"{name} mounts missing {source}"
            else:
                assert source in compose["volumes"], f"{name}: undeclared volume {source}"
    init = COMPOSE / "sqlserver" / "init.sh"
    assert compose["services"]["sor-init"]["command"] == ["/app/compose/sqlserver/init.sh"]
    assert init.stat().st_mode & 0o111, "init.sh must be executable"
    assert "enable_cdc.sql" in init.read_text()
    dockerfile = (COMPOSE / "Dockerfile").read_text()
    for source in re.findall(r"^COPY (?!--from)(\S+)", dockerfile, re.M):
        assert (REPO_ROOT / source).exists(), f"the Dockerfile copies missing {source}"


def test_the_image_installs_cpu_torch_first_and_the_odbc_driver() -> None:
    dockerfile = (COMPOSE / "Dockerfile").read_text()
    assert "FROM python:3.11-slim" in dockerfile
    torch = dockerfile.index(
        "pip install torch==2.13.0 --index-url https://download.pytorch.org/whl/cpu"
    )
    assert torch < dockerfile.index("pip install -e .")
    assert "msodbcsql18" in dockerfile


def test_every_required_variable_has_an_example(compose: dict[str, Any]) -> None:
    text = (COMPOSE / "docker-compose.yml").read_text()
    required = {m.group(1) for m in VARIABLE.finditer(text) if m.group(2) == "?"}
    example = (COMPOSE / ".env.example").read_text()
    defined = set(re.findall(r"^(\w+)=", example, re.M))
    assert required and required <= defined, required - defined


# --- the connector against the code ----------------------------------------------------


def test_the_connector_captures_every_system_of_record_table(connector: dict[str, str]) -> None:
    # The data tables; the outbox (SQLite's stand-in for a change log) is never captured.
    tables = [f"dbo.{name}" for name in TABLE_NAMES]
    assert "outbox" in metadata.tables and "dbo.outbox" not in tables
    assert sorted(connector["table.include.list"].split(",")) == sorted(tables)
    enabled = re.findall(r"@source_name = N'(\w+)'",
                         (COMPOSE / "sqlserver" / "enable_cdc.sql").read_text())  # fmt: skip
    assert sorted(f"dbo.{t}" for t in enabled) == sorted(tables)


def test_the_connector_names_what_the_services_use(
    compose: dict[str, Any], connector: dict[str, str]
) -> None:
    env = c360_env(compose, "apply")
    prefix = Settings.model_fields["cdc_topic_prefix"].default
    assert connector["topic.prefix"] == prefix == env["C360_CDC_TOPIC_PREFIX"]
    url = make_url(env["C360_SOR_URL"])
    assert connector["database.names"] == url.database
    assert (connector["database.hostname"], connector["database.port"]) == (url.host,
                                                                            str(url.port))  # fmt: skip
    assert connector["database.hostname"] in compose["services"]
    assert (
        connector["schema.history.internal.kafka.bootstrap.servers"] == env["C360_KAFKA_BOOTSTRAP"]
    )
    kafka = compose["services"]["kafka"]["environment"]
    assert int(connector["topic.creation.default.partitions"]) == DEFAULT_PARTITIONS
    assert int(kafka["KAFKA_NUM_PARTITIONS"]) == DEFAULT_PARTITIONS
    # the password comes from Connect's environment, not from this file
    assert connector["database.password"] == "${env:MSSQL_SA_PASSWORD}"
    connect = compose["services"]["connect"]["environment"]
    assert "MSSQL_SA_PASSWORD" in connect and connect["CONNECT_CONFIG_PROVIDERS"] == "env"
    register = "\n".join(compose["services"]["connect-register"]["command"])
    assert f"/connectors/{connector['name']}/config" in register
    assert "sqlserver-connector.json" in register


def test_connect_topics_are_what_apply_consumes(
    compose: dict[str, Any], connector: dict[str, str]
) -> None:
    env = c360_env(compose, "apply")
    prefix, url = env["C360_CDC_TOPIC_PREFIX"], env["C360_SOR_URL"]
    assert {k: v for k, v in connector.items() if k.startswith("transforms")} == (
        drop_database_segment(prefix)
    )
    regex = connector["transforms.route.regex"]
    routed = []
    for table in LABELS:  # Debezium's own names for them, through the router
        match = re.fullmatch(regex, f"{prefix}.{make_url(url).database}.dbo.{table}")
        assert match is not None, table
        routed.append(connector["transforms.route.replacement"].replace("$1", match.group(1))
                      .replace("$2", match.group(2)))  # fmt: skip
    apply = Apply(cast(GraphStore, object()), MemoryBus(), topic_prefix=prefix,
                  schema=source_schema(url), resolve=False,
                  resolver=cast(IdentityResolver, object()))  # fmt: skip
    assert routed == apply.topics


def test_connect_writes_the_envelope_apply_reads(
    compose: dict[str, Any], connector: dict[str, str], tmp_path: Path
) -> None:
    for name in ("key", "value"):
        assert connector[f"{name}.converter"] == "org.apache.kafka.connect.json.JsonConverter"
        assert connector[f"{name}.converter.schemas.enable"] == "false"
    shared = {k: v for k, v in ENVELOPE_PROPERTIES.items() if k in connector}
    assert set(shared) >= {"decimal.handling.mode", "time.precision.mode", "tombstones.on.delete"}
    assert {k: connector[k] for k in shared} == shared
    # the embedded engine (c360 capture) configured from the same URL says the same
    env = c360_env(compose, "capture")
    embedded = Capture(env["C360_SOR_URL"], MemoryBus(), offsets_path=tmp_path / "o.dat",
                       topic_prefix=env["C360_CDC_TOPIC_PREFIX"]).properties()  # fmt: skip
    for key in ("connector.class", "database.hostname", "database.port", "database.user",
                "database.names", "database.encrypt", "topic.prefix", "snapshot.mode",
                "include.schema.changes", "transforms", "transforms.route.regex",
                "transforms.route.replacement", *shared):  # fmt: skip
        assert connector[key] == embedded[key], key
