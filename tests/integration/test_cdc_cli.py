"""`c360 capture` and `c360 apply` as an operator runs them: two processes configured by
C360_* variables, a row committed in PostgreSQL, the record in the graph; SIGTERM stops
both."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from c360.processes import stop_process
from c360.settings import REPO_ROOT
from ingest.sor.db import SystemOfRecord
from tests.integration import bus_fixtures, pg_fixtures
from workers.bus.broker import TansuBroker
from workers.cdc.capture import drop_slot

pytestmark = pytest.mark.falkordb

tansu_broker = bus_fixtures.tansu_broker
logical_postgres = pg_fixtures.logical_postgres
cdc_database_url = pg_fixtures.cdc_database_url
C360 = str(Path(sys.executable).parent / "c360")


def test_capture_and_apply_commands_carry_a_commit_into_the_graph(
    cdc_database_url: str, tansu_broker: TansuBroker, tmp_path: Path
) -> None:
    slot = f"c360_cli_{uuid.uuid4().hex[:8]}"
    env = {**os.environ, "C360_HOME": str(tmp_path / "home"), "C360_SOR_URL": cdc_database_url,
           "C360_KAFKA_BOOTSTRAP": tansu_broker.bootstrap_servers, "C360_CDC_SLOT": slot,
           "C360_CDC_TOPIC_PREFIX": f"cli{uuid.uuid4().hex[:6]}", "C360_APPLY_GROUP": slot}  # fmt: skip
    logs = {name: (tmp_path / f"{name}.log").open("w") for name in ("capture", "apply")}
    workers = {name: subprocess.Popen([C360, name], env=env, cwd=REPO_ROOT, stdout=log,
                                      stderr=subprocess.STDOUT) for name, log in logs.items()}  # fmt: skip
    try:
        sor = SystemOfRecord.from_url(cdc_database_url)
        row = sor.upsert_customer({"kind": "person", "given_name": "Ann", "family_name": "Cli",
                                   "email": "ann.cli@example.com", "parish": "St. Ann"})  # fmt: skip
        sor.close()
        query = f"MATCH (r:Record {{key: 'sor:{row['id']}'}}) RETURN r.name AS name"
        deadline = time.monotonic() + 90
        found = ""
        while "Ann Cli" not in found and time.monotonic() < deadline:
            for name, worker in workers.items():
                assert worker.poll() is None, (
                    f"c360 {name} stopped: {(tmp_path / f'{name}.log').read_text()[-2000:]}"
                )
            found = subprocess.run([C360, "cypher", query], env=env, capture_output=True,
                                   text=True, check=False).stdout  # fmt: skip
            time.sleep(0.5)
        assert "Ann Cli" in found, (tmp_path / "capture.log").read_text()[-2000:]
    finally:
        for worker in workers.values():
            worker.send_signal(signal.SIGTERM)  # all at once, then wait for each
        for worker in workers.values():
            stop_process(worker, 30)
        for log in logs.values():
            log.close()
        drop_slot(cdc_database_url, slot)
    # Services log one JSON object per line (their INFO events included); `apply` ends with
    # a line of its stats.
    lines = {name: (tmp_path / f"{name}.log").read_text().splitlines() for name in logs}
    logged = [json.loads(line) for line in lines["capture"] if line.startswith('{"ts"')]
    assert any(e["level"] == "info" and "connector started" in e["msg"] for e in logged), lines
    stats = json.loads(next(line for line in reversed(lines["apply"]) if '"applied"' in line))
    assert stats["applied"] >= 1 and stats["dead_lettered"] == 0
