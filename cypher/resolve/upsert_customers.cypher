// doc: Create or replace Customers (golden records): $rows hold the whole property map of each, id included.
// writes: true
// example: {"rows": [{"id": "C0000000000000", "props": {"id": "C0000000000000", "kind": "person", "status": "active", "created_at": 1700000000000, "updated_at": 1700000000000, "completeness": 0.5, "name": "Ann Example", "record_count": 1}}]}
UNWIND $rows AS row
MERGE (c:Customer {id: row.id})
SET c = row.props
RETURN count(c) AS written
