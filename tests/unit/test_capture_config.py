"""The capture worker's Debezium configuration per system-of-record dialect, the topic
names the apply worker consumes, and SQL Server-shaped change events as apply decodes
them. SQL Server cannot run here: these check what we hand Debezium and what we accept
from it; the PostgreSQL path runs for real in tests/integration/test_cdc.py."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any, cast

import pytest

from graph.store import GraphStore
from resolvers.identity import IdentityResolver
from workers.bus import MemoryBus, Message
from workers.cdc.apply import Apply, decode, fold_changes, record_key
from workers.cdc.capture import (
    ENVELOPE_PROPERTIES,
    Capture,
    UnsupportedDatabase,
    sor_dialect,
    source_schema,
)

MSSQL = "mssql+pyodbc://c360:S3cret%40x@sql.example:14330/crm?driver=ODBC+Driver+18+for+SQL+Server"
POSTGRES = "postgresql+psycopg://app:pw@db.example:5433/crm"


def capture(url: str, tmp_path: Path, **kwargs: Any) -> Capture:
    return Capture(url, MemoryBus(), offsets_path=tmp_path / "cdc" / "offsets.dat", **kwargs)


def apply_for(url: str | None, prefix: str = "c360") -> Apply:
    """An apply worker as `c360 apply` builds it for that system of record (no store is
    touched while it is only configured)."""
    return Apply(cast(GraphStore, object()), MemoryBus(), topic_prefix=prefix,
                 schema=source_schema(url), resolve=False,
                 resolver=cast(IdentityResolver, object()))  # fmt: skip


def java_route(props: dict[str, str], topic: str) -> str:
    """Kafka Connect's RegexRouter: the whole name must match, `$n` are groups."""
    match = re.fullmatch(props["transforms.route.regex"], topic)
    if match is None:
        return topic
    return re.sub(r"\$(\d)", lambda m: match.group(int(m.group(1))),
                  props["transforms.route.replacement"])  # fmt: skip


def test_sqlserver_properties(tmp_path: Path) -> None:
    worker = capture(MSSQL, tmp_path, topic_prefix="c360")
    props = worker.properties()
    assert props["connector.class"] == "io.debezium.connector.sqlserver.SqlServerConnector"
    assert (props["database.hostname"], props["database.port"]) == ("sql.example", "14330")
    assert (props["database.user"], props["database.password"]) == ("c360", "S3cret@x")
    assert props["database.names"] == "crm"
    assert props["database.encrypt"] == "false"
    assert "database.trustServerCertificate" not in props
    assert props["table.include.list"] == "dbo.customers,dbo.customer_interactions,dbo.transactions"
    assert props["schema.history.internal"] == "io.debezium.storage.file.history.FileSchemaHistory"
    history = Path(props["schema.history.internal.file.filename"])
    assert history.parent == Path(props["offset.storage.file.filename"]).parent
    assert history != Path(props["offset.storage.file.filename"])
    assert props["snapshot.mode"] == "initial"
    assert props["include.schema.changes"] == "false"
    for name in ("slot.name", "publication.name", "plugin.name", "database.dbname"):
        assert name not in props  # PostgreSQL's
    assert {k: props[k] for k in ENVELOPE_PROPERTIES} == ENVELOPE_PROPERTIES
    assert int(props["poll.interval.ms"]) >= 100  # each poll queries the change tables


def test_postgres_properties_are_unchanged(tmp_path: Path) -> None:
    props = capture(POSTGRES, tmp_path, slot_name="s1").properties()
    assert props["connector.class"] == "io.debezium.connector.postgresql.PostgresConnector"
    assert (props["database.hostname"], props["database.port"]) == ("db.example", "5433")
    assert (props["database.dbname"], props["slot.name"], props["plugin.name"]) == (
        "crm", "s1", "pgoutput")  # fmt: skip
    assert props["table.include.list"] == (
        "public.customers,public.customer_interactions,public.transactions"
    )
    assert props["poll.interval.ms"] == "10"
    assert "transforms" not in props and "schema.history.internal" not in props
    assert {k: props[k] for k in ENVELOPE_PROPERTIES} == ENVELOPE_PROPERTIES


@pytest.mark.parametrize(
    ("query", "encrypt", "trust"),
    [
        ("&Encrypt=yes&TrustServerCertificate=yes", "true", "true"),
        ("&encrypt=Mandatory", "true", None),
        ("&Encrypt=no", "false", None),
        ("&Encrypt=optional&TrustServerCertificate=no", "false", None),
    ],
)
def test_sqlserver_encryption_follows_the_url(
    tmp_path: Path, query: str, encrypt: str, trust: str | None
) -> None:
    props = capture(MSSQL + query, tmp_path).properties()
    assert props["database.encrypt"] == encrypt
    assert props.get("database.trustServerCertificate") == trust


def test_a_bad_encrypt_value_is_named(tmp_path: Path) -> None:
    with pytest.raises(UnsupportedDatabase, match="Encrypt='maybe'"):
        capture(MSSQL + "&Encrypt=maybe", tmp_path).properties()


def test_sqlserver_topics_are_what_apply_consumes(tmp_path: Path) -> None:
    worker = capture(MSSQL, tmp_path, topic_prefix="acme-cdc")
    props = worker.properties()
    assert worker.topics == apply_for(MSSQL, "acme-cdc").topics
    # Debezium names a SQL Server topic <prefix>.<database>.<schema>.<table>; the router
    # makes it the topic apply consumes
    for table in ("customers", "customer_interactions", "transactions"):
        assert java_route(props, f"acme-cdc.crm.dbo.{table}") == f"acme-cdc.dbo.{table}"
    assert java_route(props, "acme-cdc") == "acme-cdc"  # anything else is left alone
    assert java_route(props, "other.crm.dbo.customers") == "other.crm.dbo.customers"


def test_postgres_topics_are_what_apply_consumes(tmp_path: Path) -> None:
    assert capture(POSTGRES, tmp_path).topics == apply_for(POSTGRES).topics
    assert apply_for(None).topics == apply_for(POSTGRES).topics  # apply without a SoR URL
    assert apply_for(POSTGRES).topics[0] == "c360.public.customers"
    # a system of record capture does not read (SQLite): apply keeps PostgreSQL's names
    assert apply_for("sqlite:///sor.db").topics == apply_for(POSTGRES).topics


@pytest.mark.parametrize(
    ("url", "named"),
    [
        ("sqlite:///tmp/sor.db", "SQLite"),
        ("mysql+pymysql://u:p@h/db", "'mysql'"),
        ("oracle://u:p@h/db", "'oracle'"),
        ("not a url", "not a SQLAlchemy URL"),
    ],
)
def test_other_databases_are_refused_by_name(tmp_path: Path, url: str, named: str) -> None:
    with pytest.raises(UnsupportedDatabase, match=re.escape(named)) as err:
        capture(url, tmp_path)
    assert "C360_SOR_URL" in str(err.value)
    with pytest.raises(UnsupportedDatabase):
        sor_dialect(url)


def test_a_dsn_only_sqlserver_url_is_refused(tmp_path: Path) -> None:
    worker = capture("mssql+pyodbc://c360:pw@crm_dsn", tmp_path)
    with pytest.raises(UnsupportedDatabase, match="host and database"):
        worker.properties()


# --- SQL Server-shaped events as apply decodes them ----------------------------------


def _event(op: str, row: dict[str, Any] | None, **source: Any) -> bytes:
    block = {"connector": "sqlserver", "db": "crm", "schema": "dbo", "table": "customers",
             "ts_ms": 1_700_000_000_000, "commit_lsn": "0000002b:00000a58:0005", **source}  # fmt: skip
    before, after = (row, None) if op == "d" else (None, row)
    return json.dumps({"before": before, "after": after, "op": op, "source": block}).encode()


ID = "6F9619FF-8B86-D011-B42D-00C04FC964FF"


@pytest.mark.parametrize("topic", ["c360.dbo.customers", "c360.crm.dbo.customers"])
def test_decode_a_sqlserver_change(topic: str) -> None:
    row = {"id": ID, "given_name": "Ann", "owner_rep_id": ID, "email": "A@X.COM", "version": 4}
    change = decode(Message(topic, f'{{"id":"{ID}"}}',
                            _event("u", row, change_lsn="0000002b:00000a58:0003")), "c360")  # fmt: skip
    assert (change.key, change.op, change.version) == (record_key(ID.lower()), "upsert", 4)
    assert change.lsn == "0000002b:00000a58:0003"  # the change's own position
    assert change.commit_ms == 1_700_000_000_000
    assert change.row is not None
    assert (change.row["id"], change.row["owner_rep_id"]) == (ID.lower(), ID.lower())
    assert change.row["email"] == "A@X.COM"  # only ids are folded


def test_decode_a_sqlserver_snapshot_read_delete_and_tombstone() -> None:
    topic, key = "c360.dbo.customers", f'{{"id":"{ID}"}}'
    read = decode(Message(topic, key, _event("r", {"id": ID, "version": 1}, change_lsn=None,
                                             snapshot="true")), "c360")  # fmt: skip
    assert read.lsn == "0000002b:00000a58:0005"  # a snapshot read has only commit_lsn
    gone = decode(Message(topic, key, _event("d", {"id": ID, "version": 5},
                                             change_lsn="0000002c:00000010:0002")), "c360")  # fmt: skip
    tomb = decode(Message(topic, key, None), "c360")
    assert gone.key == tomb.key == read.key == record_key(ID.lower())
    assert (gone.op, tomb.op) == ("delete", "delete")


def test_sqlserver_changes_fold_by_version_not_by_lsn() -> None:
    """Order is the row version: a higher LSN string carrying an older version loses."""
    topic, key = "c360.dbo.customers", f'{{"id":"{ID}"}}'
    newer = decode(Message(topic, key, _event("u", {"id": ID, "version": 3},
                                              change_lsn="0000002b:00000a58:0003")), "c360")  # fmt: skip
    replay = decode(Message(topic, key, _event("u", {"id": ID, "version": 2},
                                               change_lsn="0000002c:00000001:0001")), "c360")  # fmt: skip
    assert fold_changes([newer, replay]) == [newer]
