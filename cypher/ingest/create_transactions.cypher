// doc: Create Transactions known to be new, each linked to the Record it came with (which the caller checked exists). One batch is one atomic statement.
// writes: true
// example: {"rows": [{"record_key": "crm:EX1", "props": {"key": "ex:transaction:1", "source": "ex", "source_id": "transaction:1", "hash": "h1", "ingested_at": 1700000000000}}]}
UNWIND $rows AS row
MATCH (r:Record {key: row.record_key})
CREATE (r)-[:HAS_TRANSACTION]->(a:Transaction)
SET a = row.props
RETURN count(a) AS written
