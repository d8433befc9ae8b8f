"""Bus fixtures: one real tansu broker per session, and a bus per adapter.

Import the fixtures into a test module (`from tests.integration.bus_fixtures import bus,
tansu_broker`) to run it against both adapters: `bus` is parametrized over the in-process
`MemoryBus` and a `KafkaBus` on the session's broker.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from workers.bus import EventBus, MemoryBus
from workers.bus.broker import TansuBroker
from workers.bus.kafka import KafkaBus


@pytest.fixture(scope="session")
def tansu_broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TansuBroker]:
    broker = TansuBroker(Path(tmp_path_factory.mktemp("tansu")))
    broker.start()
    yield broker
    broker.stop()


@pytest.fixture(params=["memory", "kafka"])
def bus(request: pytest.FixtureRequest) -> Iterator[EventBus]:
    if request.param == "memory":
        memory = MemoryBus()
        yield memory
        memory.close()
        return
    broker: TansuBroker = request.getfixturevalue("tansu_broker")
    kafka = KafkaBus(broker.bootstrap_servers, client_id="c360-tests")
    yield kafka
    kafka.close()
    broker.check_alive()  # a broker that died under the test says so, with its log
