// doc: Create Interactions known to be new, each linked to the Record it came with (which the caller checked exists). One batch is one atomic statement.
// writes: true
// example: {"rows": [{"record_key": "crm:EX1", "props": {"key": "ex:interaction:1", "source": "ex", "source_id": "interaction:1", "hash": "h1", "ingested_at": 1700000000000}}]}
UNWIND $rows AS row
MATCH (r:Record {key: row.record_key})
CREATE (r)-[:HAS_INTERACTION]->(a:Interaction)
SET a = row.props
RETURN count(a) AS written
