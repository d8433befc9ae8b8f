"""The `EventBus` port and its adapters.

`MemoryBus` (in-process, the embedded default) is importable from here; `KafkaBus`
(`workers.bus.kafka`) and `TansuBroker` (`workers.bus.broker`) are imported from their
modules, so code that only needs the port does not load librdkafka.
"""

from __future__ import annotations

from workers.bus.memory import MemoryBus, MemorySubscription
from workers.bus.port import (
    DLQ_SUFFIX,
    H_AT,
    H_ERROR,
    H_ERROR_TYPE,
    H_GROUP,
    H_OFFSET,
    H_PARTITION,
    H_TOPIC,
    H_TRACE,
    BatchHandler,
    BusBase,
    BusError,
    ConsumeStats,
    EventBus,
    Handler,
    Headers,
    Message,
    Subscription,
    Value,
    dead_letter,
    dlq_topic,
    drive,
)

__all__ = [
    "DLQ_SUFFIX",
    "H_AT",
    "H_ERROR",
    "H_ERROR_TYPE",
    "H_GROUP",
    "H_OFFSET",
    "H_PARTITION",
    "H_TOPIC",
    "H_TRACE",
    "BatchHandler",
    "BusBase",
    "BusError",
    "ConsumeStats",
    "EventBus",
    "Handler",
    "Headers",
    "MemoryBus",
    "MemorySubscription",
    "Message",
    "Subscription",
    "Value",
    "dead_letter",
    "dlq_topic",
    "drive",
]
