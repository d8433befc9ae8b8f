"""The embedded FalkorDB server: lifecycle, reuse, crash reporting and persistence.

Each test starts its own `EmbeddedFalkorDB` on its own home (not the session fixture)
and stops it in a `finally`; the module checks at the end that no redis-server it
started is still running.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psutil
import pytest
import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from graph.catalogue import Catalogue
from graph.embedded import LOG_FILE, STATE_FILE, EmbeddedFalkorDB, free_port
from graph.errors import GraphServerCrashed
from graph.falkordb_store import FalkorDBStore

pytestmark = pytest.mark.falkordb

STARTED: list[EmbeddedFalkorDB] = []  # every server object this module made
HOMES: list[Path] = []


def _is_running(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


@pytest.fixture(scope="module", autouse=True)
def no_server_left_behind() -> Iterator[None]:
    yield
    pids = {s.info.pid for s in STARTED if s.info is not None}
    left = sorted(pid for pid in pids if _is_running(pid))
    homes = [str(h.resolve()) for h in HOMES]
    for proc in psutil.process_iter(["name", "pid"]):
        try:
            if "redis" not in (proc.info["name"] or ""):
                continue
            cwd = proc.cwd()
        except psutil.Error:
            continue
        if any(cwd.startswith(home) for home in homes) and proc.pid not in left:
            left.append(proc.pid)
    for pid in left:  # clean up before failing, so the failure leaves nothing running
        os.kill(pid, signal.SIGKILL)
    assert left == [], f"redis-server processes left running: {left}"


@contextmanager
def server_on(home: Path, **options: Any) -> Iterator[EmbeddedFalkorDB]:
    """An EmbeddedFalkorDB for `home`, started; stopped afterwards whatever happens."""
    server = EmbeddedFalkorDB(home, **options)
    STARTED.append(server)
    HOMES.append(home)
    try:
        server.start()
        yield server
    finally:
        server.stop()


@contextmanager
def store_on(
    server: EmbeddedFalkorDB, catalogue: Catalogue, graph: str = "g"
) -> Iterator[FalkorDBStore]:
    assert server.info is not None
    store = FalkorDBStore(
        catalogue, port=server.info.port, graph_name=graph, on_connection_error=server.check_alive
    )
    try:
        yield store
    finally:
        store.close()


def answers(port: int) -> bool:
    client = redis.Redis(
        host="127.0.0.1",
        port=port,
        socket_timeout=2,
        socket_connect_timeout=2,
        retry=Retry(NoBackoff(), 0),  # a refused connection is the answer, no retrying
    )
    try:
        return bool(client.ping())
    except (redis.RedisError, OSError):
        return False
    finally:
        client.close()


def write_nodes(store: FalkorDBStore, n: int) -> None:
    """n separate, acknowledged writes (one statement each)."""
    for i in range(n):
        store.run_cypher(
            "CREATE (:Item {v: $v, label: $label})", {"v": i, "label": f"item {i}"}, read_only=False
        )


def item_values(store: FalkorDBStore) -> list[int]:
    rows = store.run_cypher("MATCH (n:Item) RETURN n.v AS v ORDER BY v")
    return [r["v"] for r in rows]


def kill_hard(server: EmbeddedFalkorDB) -> int:
    """SIGKILL the server process (no shutdown, no final AOF flush); its exit code."""
    assert server.process is not None and server.info is not None
    os.kill(server.info.pid, signal.SIGKILL)
    return server.process.wait(timeout=10)


# -- lifecycle ----------------------------------------------------------------------------


def test_start_answers(tmp_path: Path, catalogue: Catalogue) -> None:
    with server_on(tmp_path) as server, store_on(server, catalogue) as store:
        info = server.info
        assert info is not None and server.owned
        assert server.process is not None and server.process.pid == info.pid
        assert info.home == str(tmp_path / "falkordb")
        assert "redis" in psutil.Process(info.pid).name()
        state = json.loads((tmp_path / "falkordb" / STATE_FILE).read_text())
        assert state == {"pid": info.pid, "port": info.port, "home": info.home}
        assert store.run_cypher("RETURN 1 AS one", read_only=False) == [{"one": 1}]
        assert (tmp_path / "falkordb" / LOG_FILE).exists()


def test_second_instance_reuses_the_running_server(tmp_path: Path, catalogue: Catalogue) -> None:
    with server_on(tmp_path) as first:
        assert first.info is not None
        second = EmbeddedFalkorDB(tmp_path)
        STARTED.append(second)
        info = second.start()
        assert info == first.info  # same pid, same port
        assert second.owned is False and second.process is None

        second.stop()  # not the owner: must leave the server alone

        assert _is_running(first.info.pid)
        assert answers(first.info.port)
        assert (tmp_path / "falkordb" / STATE_FILE).exists()
        with store_on(first, catalogue) as store:
            assert store.run_cypher("RETURN 2 AS two", read_only=False) == [{"two": 2}]


def test_owner_stop_stops_the_process_and_removes_the_state_file(tmp_path: Path) -> None:
    with server_on(tmp_path) as server:
        assert server.info is not None
        pid, port = server.info.pid, server.info.port
        assert _is_running(pid)

        server.stop()

        assert not _is_running(pid)
        assert not psutil.pid_exists(pid)  # reaped, not a zombie
        assert server.process is not None and server.process.returncode == 0  # clean SIGTERM
        assert not (tmp_path / "falkordb" / STATE_FILE).exists()
        assert not answers(port)
        assert server.owned is False
        server.stop()  # a second stop is a no-op


def _dead_pid() -> int:
    proc = subprocess.Popen(["true"])
    proc.wait()
    return proc.pid


@pytest.mark.parametrize("state", ["dead-pid", "live-pid-not-redis", "not-json"])
def test_stale_state_file_is_ignored(state: str, tmp_path: Path, catalogue: Catalogue) -> None:
    folder = tmp_path / "falkordb"
    folder.mkdir()
    stale_port = free_port()
    if state == "dead-pid":
        stale_pid = _dead_pid()
        assert not psutil.pid_exists(stale_pid)
        text = json.dumps({"pid": stale_pid, "port": stale_port, "home": str(folder)})
    elif state == "live-pid-not-redis":
        stale_pid = os.getpid()  # alive, but this test process, not a redis-server
        text = json.dumps({"pid": stale_pid, "port": stale_port, "home": str(folder)})
    else:
        stale_pid = -1
        text = '{"pid": 12'
    (folder / STATE_FILE).write_text(text)

    with server_on(tmp_path) as server, store_on(server, catalogue) as store:
        assert server.owned
        assert server.info is not None and server.info.pid != stale_pid
        assert server.info.pid == server.process.pid  # type: ignore[union-attr]
        state_now = json.loads((folder / STATE_FILE).read_text())
        assert state_now["pid"] == server.info.pid and state_now["port"] == server.info.port
        assert store.run_cypher("RETURN 1 AS one", read_only=False) == [{"one": 1}]
    assert _is_running(os.getpid())  # the stale "live" pid was never signalled


# -- crash --------------------------------------------------------------------------------


def test_killed_server_is_reported_with_exit_code_and_log(
    tmp_path: Path, catalogue: Catalogue
) -> None:
    with server_on(tmp_path) as server, store_on(server, catalogue, "crash") as store:
        assert server.info is not None
        write_nodes(store, 3)
        assert item_values(store) == [0, 1, 2]

        code = kill_hard(server)
        assert code == -signal.SIGKILL

        with pytest.raises(GraphServerCrashed) as info:
            store.run_cypher("MATCH (n:Item) RETURN count(n) AS c")
        message = str(info.value)
        assert f"pid {server.info.pid}" in message and f"port {server.info.port}" in message
        assert f"has exited with code {code}" in message
        log_path = tmp_path / "falkordb" / LOG_FILE
        assert str(log_path) in message
        tail = server.log_tail()
        assert tail != "(no log)" and "Ready to accept connections" in log_path.read_text()
        assert message.endswith(tail)
        # check_alive on its own says the same.
        with pytest.raises(GraphServerCrashed, match=f"code {code}"):
            server.check_alive()
    assert not (tmp_path / "falkordb" / STATE_FILE).exists()


# -- persistence --------------------------------------------------------------------------


def test_data_survives_a_clean_stop_and_restart(tmp_path: Path, catalogue: Catalogue) -> None:
    with server_on(tmp_path) as server, store_on(server, catalogue) as store:
        store.ensure_schema()
        store.run_cypher(
            "UNWIND range(0, 99) AS i CREATE (:Item {v: i, label: 'item ' + toString(i)})",
            read_only=False,
        )
        store.run_cypher(
            "MATCH (a:Item {v: 0}), (b:Item {v: 1}) CREATE (a)-[:NEXT]->(b)", read_only=False
        )
        first_pid = server.info.pid  # type: ignore[union-attr]
    assert not _is_running(first_pid)

    with server_on(tmp_path) as again, store_on(again, catalogue) as store:
        assert again.info is not None and again.info.pid != first_pid and again.owned
        assert item_values(store) == list(range(100))
        assert store.run_cypher("MATCH (n:Item {v: 42}) RETURN n.label AS label") == [
            {"label": "item 42"}
        ]
        assert store.run_cypher("MATCH (:Item)-[e:NEXT]->(:Item) RETURN count(e) AS c") == [
            {"c": 1}
        ]
        indexes = store.run_cypher("CALL db.indexes() YIELD label RETURN DISTINCT label")
        assert {"Record", "Email", "Phone"} <= {r["label"] for r in indexes}


def test_a_clean_stop_turns_a_long_query_log_into_a_snapshot(
    tmp_path: Path, catalogue: Catalogue
) -> None:
    """Replaying logged queries is what makes a start slow: past `compact_over_bytes` of
    them, a clean stop rewrites the AOF first, and the next start loads a snapshot."""
    aof = tmp_path / "falkordb" / "appendonlydir"

    def logged() -> int:
        return sum(p.stat().st_size for p in aof.glob("*.incr.aof"))

    with (
        server_on(tmp_path, compact_over_bytes=10**9) as server,
        store_on(server, catalogue) as store,
    ):
        write_nodes(store, 50)
    kept = logged()
    assert kept > 0  # under the limit: stopped as it was, the queries stay logged
    with server_on(tmp_path, compact_over_bytes=0) as server, store_on(server, catalogue) as store:
        write_nodes(store, 50)
        assert logged() > kept
    assert logged() == 0
    with server_on(tmp_path) as again, store_on(again, catalogue) as store:
        assert len(item_values(store)) == 100


def _kill_then_restart(
    tmp_path: Path, catalogue: Catalogue, writes: int, *, fsync: str, wait_s: float
) -> list[int]:
    with server_on(tmp_path, fsync=fsync) as server, store_on(server, catalogue) as store:
        write_nodes(store, writes)  # every one acknowledged before the next is sent
        time.sleep(wait_s)
        kill_hard(server)
        # The killed server's state file is still there; the next start must see it is stale.
        assert (tmp_path / "falkordb" / STATE_FILE).exists()
    with server_on(tmp_path, fsync=fsync) as again, store_on(again, catalogue) as store:
        assert again.owned
        return item_values(store)


def test_every_acknowledged_write_survives_sigkill_with_fsync_always(
    tmp_path: Path, catalogue: Catalogue
) -> None:
    # appendfsync always: the AOF is written and fsynced before the reply goes out, so a
    # kill straight after the last reply loses nothing.
    assert _kill_then_restart(tmp_path, catalogue, 200, fsync="always", wait_s=0) == list(
        range(200)
    )


def test_writes_survive_sigkill_with_fsync_everysec_after_a_pause(
    tmp_path: Path, catalogue: Catalogue
) -> None:
    # appendfsync everysec (the default) promises at most about one second of writes lost:
    # the AOF buffer is fsynced once a second in the background, and while a background
    # fsync is slow Redis may even postpone write()ing the buffer for up to 2 s. So the
    # guarantee only covers writes older than that window; waiting 2.5 s before the kill
    # puts every write outside it and makes the test deterministic. (A SIGKILL alone
    # keeps what is already in the OS page cache; losing more needs the machine to die.)
    assert _kill_then_restart(tmp_path, catalogue, 200, fsync="everysec", wait_s=2.5) == list(
        range(200)
    )


def test_a_server_tied_to_its_owner_stops_when_the_owner_is_killed(tmp_path: Path) -> None:
    """Test sessions tie their server to themselves: a killed session leaves none running."""
    script = (
        "import sys, time, pathlib\n"
        "from graph.embedded import EmbeddedFalkorDB\n"
        "info = EmbeddedFalkorDB(pathlib.Path(sys.argv[1]), die_with_owner=True).start()\n"
        "print(info.pid, flush=True)\n"
        "time.sleep(120)\n"
    )
    owner = subprocess.Popen([sys.executable, "-c", script, str(tmp_path)], stdout=subprocess.PIPE,
                             text=True, cwd=Path(__file__).resolve().parents[2])  # fmt: skip
    assert owner.stdout is not None
    server_pid = int(owner.stdout.readline())
    assert psutil.pid_exists(server_pid)
    owner.kill()
    owner.wait()
    deadline = time.monotonic() + 30
    while (
        psutil.pid_exists(server_pid)
        and psutil.Process(server_pid).status() != psutil.STATUS_ZOMBIE
    ):
        assert time.monotonic() < deadline, "the server outlived its killed owner"
        time.sleep(0.1)
