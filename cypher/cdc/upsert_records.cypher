// doc: Create or replace system-of-record Records from change events, guarded by the row version: a row whose version is not above the stored one changes nothing (a replay, a duplicate, a stale event), so at-least-once delivery has exactly-once effect; row.new_life (the apply worker decided from log positions that the row was deleted and inserted again) writes a lower version too. Properties replaced and identifier edges re-linked as in ingest/upsert_records; identifier nodes are never deleted. One batch is one atomic statement.
// writes: true
// example: {"rows": [{"props": {"key": "sor:EX9", "source": "sor", "source_id": "EX9", "kind": "person", "hash": "h1", "ingested_at": 1, "version": 2, "deleted": false, "name": "Ann Example"}, "emails": ["ann@example.com"], "phones": ["+18765550101"], "addresses": [], "handles": [], "websites": [], "works_at": []}]}
UNWIND $rows AS row
MERGE (r:Record {key: row.props.key})
WITH r, row
WHERE r.version IS NULL OR r.version < row.props.version OR coalesce(row.new_life, false)
SET r = row.props
WITH r, row
OPTIONAL MATCH (r)-[old:HAS_EMAIL|HAS_PHONE|LOCATED_AT|HAS_HANDLE|HAS_WEBSITE|WORKS_AT]->()
DELETE old
WITH DISTINCT r, row
FOREACH (v IN row.emails | MERGE (x:Email {value: v}) MERGE (r)-[:HAS_EMAIL]->(x))
FOREACH (v IN row.phones | MERGE (x:Phone {e164: v}) MERGE (r)-[:HAS_PHONE]->(x))
FOREACH (a IN row.addresses | MERGE (x:Address {key: a.key}) ON CREATE SET x = a MERGE (r)-[:LOCATED_AT]->(x))
FOREACH (h IN row.handles | MERGE (x:Handle {key: h.key}) ON CREATE SET x = h MERGE (r)-[:HAS_HANDLE]->(x))
FOREACH (v IN row.websites | MERGE (x:Website {domain: v}) MERGE (r)-[:HAS_WEBSITE]->(x))
FOREACH (k IN row.works_at | MERGE (b:Record {key: k}) MERGE (r)-[:WORKS_AT]->(b))
RETURN count(r) AS written
