"""Change data capture: the system of record -> the bus -> the graph.

- `workers.cdc.postgres.ensure_logical_wal(admin_url)`: PostgreSQL at wal_level=logical.
- `workers.cdc.capture.Capture`: the Debezium embedded engine publishing change events
  (`python -m workers.cdc.capture` runs one as a process).
- `workers.cdc.apply.Apply`: the consumer group that applies them to the graph.

Imported from their modules, so the apply side never loads the JVM bridge.
"""
