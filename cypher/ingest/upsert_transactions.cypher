// doc: Create or replace Transactions (changed rows); re-links each to the Record it now names.
// writes: true
// example: {"rows": [{"record_key": "crm:EX1", "props": {"key": "ex:transaction:1", "source": "ex", "source_id": "transaction:1", "hash": "h2", "ingested_at": 1700000000001}}]}
UNWIND $rows AS row
MATCH (r:Record {key: row.record_key})
MERGE (a:Transaction {key: row.props.key})
SET a = row.props
WITH r, a
OPTIONAL MATCH (:Record)-[old:HAS_TRANSACTION]->(a)
DELETE old
WITH DISTINCT r, a
MERGE (r)-[:HAS_TRANSACTION]->(a)
RETURN count(a) AS written
