"""`c360 demo --no-serve`, the main job of `make demo`, as a process on a fresh graph."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from graph.catalogue import Catalogue
from graph.embedded import ServerInfo
from graph.falkordb_store import FalkorDBStore

C360 = str(Path(sys.executable).parent / "c360")


@pytest.mark.falkordb
def test_demo_ingests_resolves_relates_and_scores(
    falkordb_server: ServerInfo, catalogue: Catalogue, tmp_path: Path
) -> None:
    graph = f"demo_{uuid.uuid4().hex[:10]}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("C360_")}
    env.update(C360_GRAPH_URI=f"redis://127.0.0.1:{falkordb_server.port}",
               C360_GRAPH_NAME=graph, C360_HOME=str(tmp_path))  # fmt: skip
    try:
        done = subprocess.run(
            [C360, "demo", "--no-serve", "--people", "300"],
            env=env, capture_output=True, text=True, timeout=600,
        )  # fmt: skip
        out = " ".join(done.stdout.split())  # rich wraps long lines
        assert done.returncode == 0, done.stderr[-3000:]
        f1 = re.search(r"identity: [\d,]+ records -> [\d,]+ customers .*? F1 (\d\.\d+);", out)
        assert f1 and float(f1.group(1)) > 0.8, out[-3000:]
        # Beside F1, how many people have a namesake: what decides how hard the data is.
        assert re.search(r"F1 [\d.]+; \d+\.\d% of people share their full name", out), out[-3000:]
        assert re.search(r"notes: [\d,]+ texts analysed", out), out[-2000:]
        assert re.search(r"scores: model scores-0001 \(churn AUC", out), out[-2000:]
        store = FalkorDBStore(catalogue, port=falkordb_server.port, graph_name=graph)
        try:
            rows = store.run_cypher(
                "MATCH (c:Customer {status: 'active'}) "
                "RETURN count(c) AS customers, count(c.churn_risk) AS scored"
            )
        finally:
            store.close()
        # every active customer gets a score, or the base rate when it has no history
        assert rows[0]["customers"] > 0 and rows[0]["scored"] == rows[0]["customers"]
    finally:
        store = FalkorDBStore(catalogue, port=falkordb_server.port, graph_name=graph)
        store.clear()
        store.close()
