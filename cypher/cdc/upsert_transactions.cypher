// doc: Create or replace Transactions from change events, guarded by the row version like cdc/upsert_records. Each is linked to the Record it names; one whose Record has not arrived yet (topics are ordered per key, not across tables) is parked with the Unlinked label and linked by cdc/link_parked when the Record comes. The label is set and removed only where that happens: changing a node's labels costs FalkorDB about 0.5 ms a node, most of a batch when every row took it on and off. One batch is one atomic statement.
// writes: true
// example: {"rows": [{"record_key": "crm:EX1", "props": {"key": "sor:transactions:EX9", "source": "sor", "source_id": "EX9", "kind": "transaction", "record_key": "crm:EX1", "hash": "h1", "ingested_at": 1, "version": 1, "deleted": false}}]}
UNWIND $rows AS row
MERGE (a:Transaction {key: row.props.key})
WITH a, row
WHERE a.version IS NULL OR a.version < row.props.version OR coalesce(row.new_life, false)
SET a = row.props
WITH a, row
OPTIONAL MATCH (:Record)-[old:HAS_TRANSACTION]->(a)
DELETE old
WITH DISTINCT a, row
OPTIONAL MATCH (r:Record {key: row.record_key})
FOREACH (_ IN CASE WHEN r IS NULL THEN [1] ELSE [] END | SET a:Unlinked)
FOREACH (_ IN CASE WHEN r IS NULL THEN [] ELSE [1] END | MERGE (r)-[:HAS_TRANSACTION]->(a))
FOREACH (_ IN CASE WHEN r IS NOT NULL AND a:Unlinked THEN [1] ELSE [] END | REMOVE a:Unlinked)
RETURN count(r) AS linked
