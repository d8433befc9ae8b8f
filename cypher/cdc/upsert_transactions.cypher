// doc: Create or replace Transactions from change events, guarded by the row version like cdc/upsert_records. Each is linked to the Record it names; one whose Record has not arrived yet (topics are ordered per key, not across tables) is parked with the Unlinked label and linked by cdc/link_parked when the Record comes. One batch is one atomic statement.
// writes: true
// example: {"rows": [{"record_key": "crm:EX1", "props": {"key": "sor:transactions:EX9", "source": "sor", "source_id": "EX9", "kind": "transaction", "record_key": "crm:EX1", "hash": "h1", "ingested_at": 1, "version": 1, "deleted": false}}]}
UNWIND $rows AS row
MERGE (a:Transaction {key: row.props.key})
WITH a, row
WHERE a.version IS NULL OR a.version < row.props.version OR coalesce(row.new_life, false)
SET a = row.props
SET a:Unlinked
WITH a, row
OPTIONAL MATCH (:Record)-[old:HAS_TRANSACTION]->(a)
DELETE old
WITH DISTINCT a, row
MATCH (r:Record {key: row.record_key})
MERGE (r)-[:HAS_TRANSACTION]->(a)
REMOVE a:Unlinked
RETURN count(a) AS linked
